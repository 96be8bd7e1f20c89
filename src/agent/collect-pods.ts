/**
 * Turning discovered pod cgroups into PodSnapshots: identity (or placeholders), which container
 * cgroup is the sandbox (never reported, used for the network), app containers with their
 * creation time, the pod network from a process in the pod, and the process count.
 */
import { join } from 'node:path';
import type { CgroupReader } from '../cgroup/reader.ts';
import { readNetDev } from '../cgroup/proc.ts';
import { readSmallFile } from '../cgroup/read-file.ts';
import type { Clock } from '../lib/clock.ts';
import type { ContainerCgroup, PodCgroup } from './discover.ts';
import type { IdentitySnapshot } from './identity/types.ts';
import { placeholderContainerName, placeholderPodName, unresolvedNamespace } from './identity/types.ts';
import type { ContainerSnapshot, NetworkReading, PodSnapshot } from './model.ts';
import type { ReadingTracker } from './readings.ts';

/** What pod collection needs. */
export interface PodContext {
  reader: CgroupReader;
  tracker: ReadingTracker;
  clock: Clock;
  procRoot: string;
  identity: IdentitySnapshot;
  /** Creation time of a cgroup, cached by the caller (ms). */
  createdMs(path: string): number;
  /** Count a failure that does not come from a cgroup read. */
  onError(kind: 'node', what: string, e: unknown): void;
  /**
   * Sandbox verdicts for unidentified container cgroups, by cgroup path: a container does not
   * turn into a pause container, and re-reading every pid's comm each pass would double the
   * syscalls of a pass over unresolved pods. The caller prunes it.
   */
  sandboxVerdicts: Map<string, boolean>;
}

function safePids(ctx: PodContext, path: string): number[] {
  try {
    return ctx.reader.readPids(path);
  } catch (e) {
    ctx.onError('node', `pids of ${path}`, e);
    return [];
  }
}

/**
 * Is this (unidentified) cgroup a pause container? At least one process named `pause` and no
 * process with another name (a process that cannot be seen decides nothing).
 */
export function looksLikeSandbox(procRoot: string, pids: readonly number[]): boolean {
  let pause = false;
  for (const pid of pids) {
    const comm = readSmallFile(join(procRoot, String(pid), 'comm'));
    if (comm === undefined) continue;
    if (comm.trim() !== 'pause') return false;
    pause = true;
  }
  return pause;
}

/** Network of the namespace a process lives in; undefined when none of the pids can be read. */
export function readNetwork(ctx: Pick<PodContext, 'procRoot' | 'clock' | 'onError'>, pids: readonly number[]): NetworkReading | undefined {
  for (const pid of pids.slice(0, 3)) {
    try {
      const timeMs = ctx.clock.nowMs();
      const interfaces = readNetDev(ctx.procRoot, pid);
      if (interfaces !== undefined) return { timeMs, interfaces };
    } catch (e) {
      ctx.onError('node', `net/dev of pid ${pid}`, e);
      return undefined;
    }
  }
  return undefined;
}

interface Classified {
  cgroup: ContainerCgroup;
  pids: number[];
  sandbox: boolean;
  name: string;
  createdAtMs: number | undefined;
}

/** One pod of the kubepods tree; undefined when its cgroup vanished. */
export function collectKubePod(ctx: PodContext, pod: PodCgroup): PodSnapshot | undefined {
  const known = ctx.identity.pods.get(pod.uid);
  const reading = ctx.tracker.read(pod.path);
  if (reading === undefined && !ctx.reader.exists(pod.path)) return undefined;

  const classified: Classified[] = pod.containers.map((c) => {
    const pids = safePids(ctx, c.path);
    const id = ctx.identity.containers.get(c.id);
    if (id !== undefined) return { cgroup: c, pids, sandbox: id.sandbox, name: id.name, createdAtMs: id.createdAtMs };
    let sandbox = ctx.sandboxVerdicts.get(c.path);
    if (sandbox === undefined) {
      sandbox = looksLikeSandbox(ctx.procRoot, pids);
      // Only a verdict based on seen processes is final; an empty cgroup may be starting.
      if (pids.length > 0) ctx.sandboxVerdicts.set(c.path, sandbox);
    }
    return { cgroup: c, pids, sandbox, name: placeholderContainerName(c.id), createdAtMs: undefined };
  });

  // Restarted containers can leave an old cgroup behind for a moment: keep the newest per name.
  const newest = new Map<string, Classified & { startTimeMs: number }>();
  for (const c of classified) {
    if (c.sandbox) continue;
    const startTimeMs = c.createdAtMs ?? ctx.createdMs(c.cgroup.path);
    const prev = newest.get(c.name);
    if (prev === undefined || startTimeMs > prev.startTimeMs) newest.set(c.name, { ...c, startTimeMs });
  }
  const containers: ContainerSnapshot[] = [];
  let processCount = 0;
  for (const c of newest.values()) {
    const r = ctx.tracker.read(c.cgroup.path);
    if (r === undefined) continue;
    processCount += c.pids.length;
    containers.push({ id: c.cgroup.id, name: c.name, startTimeMs: c.startTimeMs, reading: r });
  }

  // The sandbox owns the pod's network namespace; any process of the pod shares it.
  const sandboxPids = classified.filter((c) => c.sandbox).flatMap((c) => c.pids);
  const anyPids = sandboxPids.length > 0 ? sandboxPids : classified.flatMap((c) => c.pids);
  const network = readNetwork(ctx, anyPids.length > 0 ? anyPids : safePids(ctx, pod.path));

  return {
    uid: pod.uid,
    name: known?.name ?? placeholderPodName(pod.uid),
    namespace: known?.namespace ?? unresolvedNamespace,
    resolved: known !== undefined,
    startTimeMs: known?.startTimeMs ?? ctx.createdMs(pod.path),
    reading,
    containers,
    network,
    processCount,
    ...(known?.volumes === undefined ? {} : { volumes: known.volumes }),
  };
}
