/**
 * The housekeeping loop: every `--housekeeping-interval` (jittered by up to +10% so that many
 * nodes do not sample in lockstep; cAdvisor jitters per container instead, which a single pass
 * does not need) one pass discovers the cgroups, resolves identities, reads every cgroup with
 * its own timestamp and publishes an immutable Snapshot. A failing read skips that cgroup and
 * is counted; a pass never throws.
 */
import { readBootTimeMs, readMeminfo } from '../cgroup/proc.ts';
import type { CgroupDriver } from '../cgroup/layout.ts';
import type { CgroupReader } from '../cgroup/reader.ts';
import type { Clock } from '../lib/clock.ts';
import { systemClock } from '../lib/clock.ts';
import { errorMessage } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { silentLogger } from '../lib/log.ts';
import type { Sleep } from '../kube/backoff.ts';
import { realSleep } from '../kube/backoff.ts';
import type { NodeFsPaths } from './collect-node.ts';
import { collectNode, startFsReads } from './collect-node.ts';
import type { PodContext } from './collect-pods.ts';
import { collectKubePod } from './collect-pods.ts';
import { collectUnitPod, stableUid } from './collect-standalone.ts';
import type { StandaloneUnit } from './discover.ts';
import { discoverKubepods, discoverStandalone, KubepodsCache } from './discover.ts';
import type { ErrorKind } from './error-kinds.ts';
import { ErrorKind as Kind } from './error-kinds.ts';
import type { EngineContainer } from './identity/engine.ts';
import { listEngineContainers } from './identity/engine.ts';
import type { IdentityProvider, IdentitySnapshot } from './identity/types.ts';
import { emptyIdentity } from './identity/types.ts';
import type { StorageSnapshot } from './fs/types.ts';
import type { PodSnapshot, Snapshot, SystemContainerSnapshot } from './model.ts';
import { ReadingTracker } from './readings.ts';
import type { SystemCgroupNames } from './system-containers.ts';
import { SystemContainerResolver } from './system-containers.ts';

/** A monotonic clock in milliseconds. */
function wallMs(): number {
  const [s, ns] = process.hrtime();
  return s * 1000 + ns / 1e6;
}

/** Options of the Collector. */
export interface CollectorOptions {
  reader: CgroupReader;
  procRoot: string;
  nodeName: string;
  /** `--cgroup-root`: parent of `kubepods` (default `/`). */
  cgroupRoot: string;
  driver: CgroupDriver | 'auto';
  /** Identity sources, tried in order; the first that answers wins. */
  identity: readonly IdentityProvider[];
  /** Map systemd units and engine containers onto pods (hosts without Kubernetes). */
  standalone: { engineEndpoints: readonly string[] } | undefined;
  fs: NodeFsPaths;
  clock?: Clock;
  logger?: Logger;
  /** Deadline for one identity lookup, ms (default 5000). */
  identityTimeoutMs?: number;
  /**
   * Feature gate KubeletPSI: read `cpu.pressure`, `memory.pressure` and `io.pressure` of every
   * cgroup. Only on cgroup v2 with PSI in the kernel (the root has `cpu.pressure`), as the kubelet
   * decides it once at start. Default false.
   */
  pressure?: boolean;
  /** `--kubelet-cgroups`, `--runtime-cgroups`, `--system-cgroups` (`''` or absent: not configured; see system-containers.ts). */
  systemCgroups?: Partial<SystemCgroupNames>;
  /** Volume, log and runtime filesystem stats measured in the background; each snapshot takes the latest. */
  storage?: { latest(): StorageSnapshot } | undefined;
}

/** Counters for the agent's own /metrics. */
export interface CollectorStats {
  passes: number;
  /** CPU (user+system) of all passes, seconds. */
  cpuSecondsTotal: number;
  lastPassCpuSeconds: number;
  lastPassWallSeconds: number;
  errors: Map<ErrorKind, number>;
  /** Cgroups read in the last pass. */
  cgroupsSeen: number;
  podsUnresolved: number;
  /** Identity source used by the last pass (`none` when none answered). */
  identitySource: string;
}

/** Collects snapshots of the node's cgroups. */
export class Collector {
  private readonly o: CollectorOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly tracker: ReadingTracker;
  private readonly created = new Map<string, number>();
  private readonly uids = new Map<string, string>();
  private readonly sandboxVerdicts = new Map<string, boolean>();
  /** What the last walk of the kubepods tree found, reused for directories that list the same names. */
  private readonly kubepods = new KubepodsCache();
  private bootTimeMs: number | undefined;
  private readonly system: SystemContainerResolver;
  /** Whether pressure is read, decided at the first pass. */
  private pressureOn: boolean | undefined;
  private snapshot: Snapshot | undefined;
  private passing: Promise<void> | undefined;
  private readonly counters: CollectorStats = {
    passes: 0, cpuSecondsTotal: 0, lastPassCpuSeconds: 0, lastPassWallSeconds: 0,
    errors: new Map(), cgroupsSeen: 0, podsUnresolved: 0, identitySource: 'none',
  };

  constructor(options: CollectorOptions) {
    this.o = options;
    this.clock = options.clock ?? systemClock;
    this.log = options.logger ?? silentLogger;
    this.tracker = new ReadingTracker({ reader: options.reader, clock: this.clock, onError: (kind, path, e) => this.count(kind, path, e) });
    const names = options.systemCgroups ?? {};
    this.system = new SystemContainerResolver({
      names: { kubelet: names.kubelet ?? '', runtime: names.runtime ?? '', misc: names.misc ?? '' }, procRoot: options.procRoot, version: options.reader.version,
    });
  }

  /** The last published snapshot; undefined before the first pass. */
  latest(): Snapshot | undefined {
    return this.snapshot;
  }

  /** Counters for self-metrics. */
  stats(): Readonly<CollectorStats> {
    return this.counters;
  }

  /** Resolves when no pass is running: background filesystem walks wait on it, so that they never add to a pass's CPU. */
  idle(): Promise<void> {
    return this.passing ?? Promise.resolve();
  }

  /** Count a failure found outside the passes (background filesystem walks) in the same error counters. */
  recordError(kind: ErrorKind, what: string, e: unknown): void {
    this.count(kind, what, e);
  }

  private count(kind: ErrorKind, what: string, e: unknown): void {
    this.counters.errors.set(kind, (this.counters.errors.get(kind) ?? 0) + 1);
    this.log.debug('collection error', { kind, what, error: errorMessage(e) });
  }

  private createdMs(path: string): number {
    let t = this.created.get(path);
    if (t === undefined) {
      t = Math.max(this.o.reader.creationTimeMs(path) ?? 0, this.bootTimeMs ?? 0);
      this.created.set(path, t);
    }
    return t;
  }

  private async identity(signal: AbortSignal): Promise<IdentitySnapshot> {
    for (const p of this.o.identity) {
      try {
        const s = await p.lookup(AbortSignal.any([signal, AbortSignal.timeout(this.o.identityTimeoutMs ?? 5000)]));
        this.counters.identitySource = p.name;
        return s;
      } catch (e) {
        this.count(Kind.Identity, p.name, e);
      }
    }
    this.counters.identitySource = 'none';
    return emptyIdentity();
  }

  private async engines(signal: AbortSignal): Promise<Map<string, EngineContainer>> {
    const out = new Map<string, EngineContainer>();
    for (const endpoint of this.o.standalone?.engineEndpoints ?? []) {
      try {
        for (const c of await listEngineContainers(endpoint, { signal, timeoutMs: this.o.identityTimeoutMs ?? 5000 })) out.set(c.id, c);
      } catch (e) {
        // An engine that is not installed is normal on most hosts: count only other failures.
        if (!/ENOENT|ECONNREFUSED/.test(errorMessage(e))) this.count(Kind.Identity, endpoint, e);
      }
    }
    return out;
  }

  /** Run one housekeeping pass and publish its snapshot. */
  async collectOnce(signal: AbortSignal = new AbortController().signal): Promise<Snapshot> {
    let resolve = (): void => undefined;
    this.passing = new Promise<void>((r) => (resolve = r));
    try {
      return await this.pass(signal);
    } finally {
      this.passing = undefined;
      resolve();
    }
  }

  private async pass(signal: AbortSignal): Promise<Snapshot> {
    const startedMs = this.clock.nowMs();
    // process.hrtime rather than the global performance, whose first use loads perf_hooks and
    // Node's performance-timeline modules, which the agent otherwise never needs.
    const wall0 = wallMs();
    const cpu0 = process.cpuUsage();
    const { reader, procRoot } = this.o;
    const nodeError = (_k: 'node', what: string, e: unknown): void => this.count(Kind.Node, what, e);
    if (this.bootTimeMs === undefined) {
      try {
        this.bootTimeMs = readBootTimeMs(procRoot);
      } catch (e) {
        nodeError('node', 'boot time', e);
      }
    }
    this.pressureOn ??= this.o.pressure === true && reader.version === 'v2' && (reader.pressureSupported?.() ?? false);
    let meminfo: Map<string, bigint> | undefined;
    try {
      meminfo = readMeminfo(procRoot);
    } catch {
      // collectNode reads it again and counts the failure.
    }
    const swap = meminfo === undefined || (meminfo.get('SwapTotal') ?? 0n) > 0n;
    this.tracker.options = this.pressureOn || !swap ? { pressure: this.pressureOn, swap } : undefined;
    const fsPromise = startFsReads(this.o.fs, this.clock, (what, e) => nodeError('node', what, e));
    const [identity, engines] = await Promise.all([this.identity(signal), this.o.standalone ? this.engines(signal) : new Map<string, EngineContainer>()]);

    let tree: ReturnType<typeof discoverKubepods> = { driver: 'cgroupfs', podsPath: undefined, pods: [] };
    let units: StandaloneUnit[] = [];
    try {
      tree = discoverKubepods(reader, { cgroupRoot: this.o.cgroupRoot, driver: this.o.driver, cache: this.kubepods });
      if (this.o.standalone) units = discoverStandalone(reader, { skip: new Set(tree.podsPath === undefined ? [] : [tree.podsPath]) });
    } catch (e) {
      this.count(Kind.Discovery, 'cgroup tree', e);
    }

    const ctx: PodContext = { reader, tracker: this.tracker, clock: this.clock, procRoot, identity, createdMs: (p) => this.createdMs(p), onError: nodeError, sandboxVerdicts: this.sandboxVerdicts };
    const podsReading = tree.podsPath === undefined ? undefined : this.tracker.read(tree.podsPath);
    const node = collectNode(
      { reader, tracker: this.tracker, clock: this.clock, procRoot, nodeName: this.o.nodeName, bootTimeMs: this.bootTimeMs ?? 0, rootCgroupStartMs: this.createdMs('/'), onError: nodeError, meminfo },
      podsReading === undefined || tree.podsPath === undefined ? undefined : { reading: podsReading, startTimeMs: this.createdMs(tree.podsPath) },
    );
    const system: SystemContainerSnapshot[] = [];
    for (const t of this.system.targets(this.clock.nowMs(), this.bootTimeMs ?? 0, (what, e) => nodeError('node', what, e))) {
      // Only cgroups that exist, as the kubelet (a configured one that does not is only logged there).
      if (!reader.exists(t.path)) continue;
      const reading = this.tracker.read(t.path);
      if (reading !== undefined) system.push({ name: t.name, startTimeMs: t.startTimeMs ?? this.createdMs(t.path), reading });
    }
    if (system.length > 0) node.systemContainers = system;
    const pods: PodSnapshot[] = [];
    for (let i = 0; i < tree.pods.length; i++) {
      const snap = collectKubePod(ctx, tree.pods[i]!);
      if (snap !== undefined) pods.push(snap);
    }
    const uidOf = (key: string): string => {
      let uid = this.uids.get(key);
      if (uid === undefined) this.uids.set(key, (uid = stableUid(key)));
      return uid;
    };
    for (const u of units) {
      const snap = collectUnitPod(ctx, u, engines, uidOf);
      if (snap !== undefined) pods.push(snap);
    }
    [node.fs, node.imageFs] = await fsPromise;

    this.counters.cgroupsSeen = this.tracker.endPass();
    reader.endPass?.();
    // Creation times of cgroups that are gone would otherwise accumulate forever.
    if (this.created.size > 4 * (this.counters.cgroupsSeen + 16)) this.created.clear();
    if (this.sandboxVerdicts.size > 4 * (this.counters.cgroupsSeen + 16)) this.sandboxVerdicts.clear();
    const cpu = process.cpuUsage(cpu0);
    this.counters.passes++;
    this.counters.lastPassCpuSeconds = (cpu.user + cpu.system) / 1e6;
    this.counters.cpuSecondsTotal += this.counters.lastPassCpuSeconds;
    this.counters.lastPassWallSeconds = (wallMs() - wall0) / 1000;
    this.counters.podsUnresolved = pods.filter((p) => !p.resolved).length;
    const snapshot: Snapshot = { startedMs, durationMs: wallMs() - wall0, node, pods };
    const storage = this.o.storage?.latest();
    if (storage !== undefined) snapshot.storage = storage;
    this.snapshot = snapshot;
    return snapshot;
  }

  /**
   * Run passes until `signal` aborts; `afterPass` runs after each one (the agent compacts its heap
   * there). With `afterFirstPass`, the caller has just run a pass itself, so the loop waits one
   * interval first: a second pass at once would give a CPU rate over a window of milliseconds.
   */
  async run(options: { intervalMs: number; signal: AbortSignal; sleep?: Sleep; random?: () => number; afterPass?: () => void; afterFirstPass?: boolean }): Promise<void> {
    const sleep = options.sleep ?? realSleep;
    const random = options.random ?? Math.random;
    if (options.afterFirstPass === true) await sleep(options.intervalMs * (1 + 0.1 * random()), options.signal);
    while (!options.signal.aborted) {
      try {
        await this.collectOnce(options.signal);
      } catch (e) {
        this.count(Kind.Pass, 'housekeeping', e);
        this.log.warn('housekeeping pass failed', { error: errorMessage(e) });
      }
      options.afterPass?.();
      await sleep(options.intervalMs * (1 + 0.1 * random()), options.signal);
    }
  }

  /** Release identity connections. */
  close(): void {
    for (const p of this.o.identity) p.close();
    this.o.reader.close?.();
  }
}
