/**
 * Log and etc-hosts usage of pods, as the kubelet's host stats provider measures them: a
 * container's `logs` are the files directly in `<pod-logs-dir>/<ns>_<pod>_<uid>/<container>/`
 * (each `st_blocks × 512` bytes and one inode; subdirectories are not entered), the pod's own log
 * usage the files directly in the pod log directory, and etc-hosts the file
 * `<root-dir>/pods/<uid>/etc-hosts`. A missing directory or file means no value, not an error.
 */
import { join } from 'node:path';
import type { Clock } from '../../lib/clock.ts';
import { ErrorCode, isKubemeterError } from '../../lib/errors.ts';
import { ErrorKind } from '../error-kinds.ts';
import { entryUsage, readDirEntries, readDirNames } from './du.ts';
import { parsePodLogDirName, podEtcHostsPath, safeEntryName } from './layout.ts';
import type { StoragePod, UsageReading } from './types.ts';

/** What measuring logs needs. */
export interface LogContext {
  rootDir: string;
  podLogsDir: string;
  clock: Clock;
  gate: (() => Promise<void>) | undefined;
  onError(kind: ErrorKind, what: string, e: unknown): void;
}

function counted(ctx: LogContext, what: string, e: unknown): undefined {
  // Gone between listing and reading, or never there: no value, as the kubelet.
  if (!isKubemeterError(e, ErrorCode.NotFound)) ctx.onError(ErrorKind.Unreadable, what, e);
  return undefined;
}

/** Most files measured per log directory (a runtime keeps a few rotated files; a flood is cut, not walked). */
const maxFilesPerDir = 1024;

/** Pod log directories by pod UID (a missing log root is an empty map). */
export async function listPodLogDirs(ctx: LogContext): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let names: string[];
  try {
    names = await readDirNames(ctx.podLogsDir);
  } catch (e) {
    counted(ctx, ctx.podLogsDir, e);
    return out;
  }
  for (const name of names) {
    const p = parsePodLogDirName(name);
    if (p !== undefined && safeEntryName(name)) out.set(p.uid, join(ctx.podLogsDir, name));
  }
  return out;
}

/** Σ usage of the files (not directories) directly in `dir`; undefined when `dir` cannot be read. */
export async function filesUsage(ctx: LogContext, dir: string): Promise<UsageReading | undefined> {
  let entries: { name: string; isDir: boolean }[];
  try {
    entries = await readDirEntries(dir);
  } catch (e) {
    return counted(ctx, dir, e);
  }
  const out: UsageReading = { timeMs: ctx.clock.nowMs(), usedBytes: 0, inodesUsed: 0 };
  // A handful of files (current and rotated logs): lstat them at once rather than one wake-up each.
  const files = entries.filter((e) => !e.isDir).slice(0, maxFilesPerDir);
  const results = await Promise.all(files.map((f) => entryUsage(join(dir, f.name)).then((u) => u, (e: unknown) => e as Error)));
  for (const r of results) {
    if (!(r instanceof Error)) {
      out.usedBytes += r.usedBytes;
      out.inodesUsed += r.inodesUsed;
    } else if (isKubemeterError(r, ErrorCode.NotFound)) {
      // A log rotated away between readdir and lstat: skipped, as a vanished entry.
      ctx.onError(ErrorKind.Vanished, dir, r);
    } else {
      return counted(ctx, dir, r);
    }
  }
  return out;
}

/** Log usage of one pod and its containers, and its etc-hosts file. */
export async function measurePodLogs(ctx: LogContext, pod: StoragePod, logDir: string | undefined, podsDirReadable: boolean): Promise<{
  podLogs: UsageReading | undefined; etcHosts: UsageReading | undefined; containerLogs: Map<string, UsageReading>;
}> {
  const containerLogs = new Map<string, UsageReading>();
  await ctx.gate?.();
  let etcHosts: UsageReading | undefined;
  const hosts = podEtcHostsPath(ctx.rootDir, pod.uid);
  try {
    if (podsDirReadable) etcHosts = { timeMs: ctx.clock.nowMs(), ...(await entryUsage(hosts)) };
  } catch (e) {
    etcHosts = counted(ctx, hosts, e);
  }
  if (logDir === undefined) return { podLogs: undefined, etcHosts, containerLogs };
  const names = pod.containers.map((c) => c.name).filter(safeEntryName);
  const [podLogs, ...usages] = await Promise.all([filesUsage(ctx, logDir), ...names.map((n) => filesUsage(ctx, join(logDir, n)))]);
  names.forEach((n, i) => {
    const u = usages[i];
    if (u !== undefined) containerLogs.set(n, u);
  });
  return { podLogs, etcHosts, containerLogs };
}
