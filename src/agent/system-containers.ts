/**
 * The Summary's system containers besides `pods`, as the kubelet decides them: `kubelet`
 * (`--kubelet-cgroups`), `runtime` (`--runtime-cgroups`) and `misc` (`--system-cgroups`), each
 * only when configured. Without `--kubelet-cgroups` the kubelet reports the cgroup its own
 * process is in, found again every 5 minutes by a periodic task; the agent, which is not the
 * kubelet, looks for the process named `kubelet` (`/proc/<pid>/comm`) on the same schedule and
 * takes its cgroup with the kubelet's rule (accountingCgroupOf). The `kubelet` entry's start time
 * is the kubelet's process start, as the kubelet reports its own start; the others take the
 * cgroup's creation time, as cAdvisor does.
 */
import { accountingCgroupOf, findPidsByComm, readPidStat, readProcCgroup } from '../cgroup/proc.ts';

/** `--kubelet-cgroups`, `--runtime-cgroups`, `--system-cgroups`; `''` = not configured. */
export interface SystemCgroupNames {
  kubelet: string;
  runtime: string;
  misc: string;
}

/** A system container to read in this pass. */
export interface SystemCgroupTarget {
  name: 'kubelet' | 'runtime' | 'misc';
  /** Absolute cgroup path. */
  path: string;
  /** Known start time (the kubelet process), ms since the epoch; else the cgroup's creation time is used. */
  startTimeMs: number | undefined;
}

/** How often the kubelet's process and cgroup are looked up again (the kubelet's periodic task interval). */
export const kubeletRescanMs = 5 * 60_000;

/** Linux USER_HZ: /proc/<pid>/stat times are in 1/100 s. */
const ticksPerSecond = 100;

/** Is `path` an absolute cgroup path without `.`/`..` elements (a cgroup namespace shows `/..` for cgroups outside it)? */
export function isCgroupPath(path: string): boolean {
  return path.startsWith('/') && !path.split('/').some((p) => p === '.' || p === '..');
}

/** Decides, pass by pass, which system containers are configured and where they are. */
export class SystemContainerResolver {
  private readonly names: SystemCgroupNames;
  private readonly procRoot: string;
  private readonly version: 'v1' | 'v2';
  private nextScanMs = Number.NEGATIVE_INFINITY;
  private kubelet: { pid: number; cgroup: string | undefined; startTicks: number } | undefined;

  constructor(options: { names: SystemCgroupNames; procRoot: string; version: 'v1' | 'v2' }) {
    this.names = options.names;
    this.procRoot = options.procRoot;
    this.version = options.version;
  }

  /** Find the kubelet's process and cgroup again when the last lookup is older than kubeletRescanMs. */
  private scanKubelet(nowMs: number, onError: (what: string, e: unknown) => void): void {
    if (nowMs < this.nextScanMs) return;
    this.nextScanMs = nowMs + kubeletRescanMs;
    this.kubelet = undefined;
    try {
      for (const pid of findPidsByComm(this.procRoot, 'kubelet')) {
        const lines = readProcCgroup(this.procRoot, pid);
        const stat = readPidStat(this.procRoot, pid);
        if (lines === undefined || stat === undefined) continue;
        const cgroup = accountingCgroupOf(lines, this.version);
        this.kubelet = { pid, cgroup: cgroup !== undefined && isCgroupPath(cgroup) ? cgroup : undefined, startTicks: stat.startTicks };
        return;
      }
    } catch (e) {
      onError('kubelet process lookup', e);
    }
  }

  /** The system containers to read now; `bootTimeMs` dates the kubelet's process start. */
  targets(nowMs: number, bootTimeMs: number, onError: (what: string, e: unknown) => void): SystemCgroupTarget[] {
    const out: SystemCgroupTarget[] = [];
    this.scanKubelet(nowMs, onError);
    const k = this.kubelet;
    const kubeletPath = this.names.kubelet !== '' ? this.names.kubelet : k?.cgroup;
    if (kubeletPath !== undefined) {
      const startTimeMs = k === undefined || bootTimeMs <= 0 ? undefined : bootTimeMs + Math.round((k.startTicks * 1000) / ticksPerSecond);
      out.push({ name: 'kubelet', path: kubeletPath, startTimeMs });
    }
    if (this.names.runtime !== '') out.push({ name: 'runtime', path: this.names.runtime, startTimeMs: undefined });
    if (this.names.misc !== '') out.push({ name: 'misc', path: this.names.misc, startTimeMs: undefined });
    return out;
  }
}
