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
  // Indexed: an empty cgroup (no verdict is kept for it, so it is asked again every pass) would
  // otherwise cost an iterator and its result object each time without V8's optimizing compilers.
  for (let i = 0; i < pids.length; i++) {
    const pid = pids[i]!;
    const comm = readSmallFile(join(procRoot, String(pid), 'comm'));
    if (comm === undefined) continue;
    if (comm.trim() !== 'pause') return false;
    pause = true;
  }
  return pause;
}

/** Network of the namespace a process lives in; undefined when none of the pids can be read. */
export function readNetwork(ctx: Pick<PodContext, 'procRoot' | 'clock' | 'onError'>, pids: readonly number[]): NetworkReading | undefined {
  for (let i = 0; i < pids.length && i < 3; i++) {
    const pid = pids[i]!;
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
  /** Creation time: the identity source's, else the cgroup's (ms); set for app containers only. */
  startTimeMs: number;
}

/** Is an app container named `name` among classified[0, end)? */
function seenBefore(classified: readonly Classified[], end: number, name: string): boolean {
  for (let j = 0; j < end; j++) {
    const o = classified[j]!;
    if (!o.sandbox && o.name === name) return true;
  }
  return false;
}

/** Up to `max` pids of the containers in order, sandboxes or app containers (readNetwork tries three). */
function firstPids(classified: readonly Classified[], sandbox: boolean | undefined, max: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < classified.length; i++) {
    const c = classified[i]!;
    if (sandbox !== undefined && c.sandbox !== sandbox) continue;
    const pids = c.pids;
    for (let k = 0; k < pids.length; k++) {
      if (out.length === max) return out;
      out.push(pids[k]!);
    }
  }
  return out;
}

/** One pod of the kubepods tree; undefined when its cgroup vanished. */
export function collectKubePod(ctx: PodContext, pod: PodCgroup): PodSnapshot | undefined {
  const known = ctx.identity.pods.get(pod.uid);
  const reading = ctx.tracker.read(pod.path);
  if (reading === undefined && !ctx.reader.exists(pod.path)) return undefined;

  const classified: Classified[] = [];
  // Indexed loops, no per-container closures: without V8's optimizing compilers (the agent's
  // default) for…of allocates an iterator and a result object per element.
  const podContainers = pod.containers;
  for (let n = 0; n < podContainers.length; n++) {
    const c = podContainers[n]!;
    const pids = safePids(ctx, c.path);
    const id = ctx.identity.containers.get(c.id);
    let sandbox: boolean | undefined;
    if (id !== undefined) sandbox = id.sandbox;
    else {
      sandbox = ctx.sandboxVerdicts.get(c.path);
      if (sandbox === undefined) {
        sandbox = looksLikeSandbox(ctx.procRoot, pids);
        // Only a verdict based on seen processes is final; an empty cgroup may be starting.
        if (pids.length > 0) ctx.sandboxVerdicts.set(c.path, sandbox);
      }
    }
    const startTimeMs = sandbox ? 0 : (id?.createdAtMs ?? ctx.createdMs(c.path));
    classified.push({ cgroup: c, pids, sandbox, name: id !== undefined ? id.name : placeholderContainerName(c.id), startTimeMs });
  }

  // Restarted containers can leave an old cgroup behind for a moment: keep the newest per name
  // (the first of equals), in the order names first appear. A pod has a handful of containers:
  // comparing pairs costs less than a map and a copy of each entry per pod per pass.
  const containers: ContainerSnapshot[] = [];
  let processCount = 0;
  for (let i = 0; i < classified.length; i++) {
    const c = classified[i]!;
    if (c.sandbox || seenBefore(classified, i, c.name)) continue;
    let newest = c;
    for (let k = i + 1; k < classified.length; k++) {
      const o = classified[k]!;
      if (!o.sandbox && o.name === c.name && o.startTimeMs > newest.startTimeMs) newest = o;
    }
    const r = ctx.tracker.read(newest.cgroup.path);
    if (r === undefined) continue;
    processCount += newest.pids.length;
    containers.push({ id: newest.cgroup.id, name: newest.name, startTimeMs: newest.startTimeMs, reading: r });
  }

  // The sandbox owns the pod's network namespace; any process of the pod shares it.
  let netPids = firstPids(classified, true, 3);
  if (netPids.length === 0) netPids = firstPids(classified, undefined, 3);
  const network = readNetwork(ctx, netPids.length > 0 ? netPids : safePids(ctx, pod.path));

  const snapshot: PodSnapshot = {
    uid: pod.uid,
    name: known?.name ?? placeholderPodName(pod.uid),
    namespace: known?.namespace ?? unresolvedNamespace,
    resolved: known !== undefined,
    startTimeMs: known?.startTimeMs ?? ctx.createdMs(pod.path),
    reading,
    containers,
    network,
    processCount,
  };
  if (known?.volumes !== undefined) snapshot.volumes = known.volumes;
  return snapshot;
}
