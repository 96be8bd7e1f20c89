/**
 * The agent's filesystem statistics, measured in the background and never inside a housekeeping
 * pass: every `--volume-stats-agg-period` (jittered to [period, 2 × period), as the kubelet's
 * `wait.JitterUntil(…, 1.0, sliding)`) the volumes of every pod; every housekeeping interval
 * (+0–10%) the pods' log files and etc-hosts and, with a CRI runtime, the writable layers
 * (`ListContainerStats`) and image filesystem (`ImageFsInfo`). Every step awaits the gate (no
 * pass running) and the abort signal; results are published as one immutable StorageSnapshot
 * whose values each carry their own time.
 */
import { join } from 'node:path';
import type { Clock } from '../../lib/clock.ts';
import { systemClock } from '../../lib/clock.ts';
import { ErrorCode, errorMessage, isKubemeterError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/log.ts';
import { silentLogger } from '../../lib/log.ts';
import type { Sleep } from '../../kube/backoff.ts';
import { realSleep } from '../../kube/backoff.ts';
import { ErrorKind } from '../error-kinds.ts';
import type { CriStorage, ImageFsInfo, RuntimeFsUsage } from '../identity/cri.ts';
import type { ClaimResolver } from './claims.ts';
import { readDirNames } from './du.ts';
import { listPodLogDirs, measurePodLogs } from './logs.ts';
import type { PodStorage, StoragePod, StorageSnapshot, UsageReading, VolumeReading } from './types.ts';
import { measurePodVolumes } from './volumes.ts';

/** Options of the StorageCollector. */
export interface StorageCollectorOptions {
  /** The kubelet's `--root-dir` (pods' volumes and etc-hosts are below it). */
  rootDir: string;
  /** Where pod logs are (`/var/log/pods`). */
  podLogsDir: string;
  /** The pods to measure (the last housekeeping pass's). */
  pods: () => readonly StoragePod[];
  /** `--volume-stats-agg-period`, ms (0 disables volume stats, as in the kubelet). */
  volumeStatsAggPeriodMs: number;
  /** Period of log, etc-hosts and runtime reads, ms (the housekeeping interval). */
  refreshIntervalMs: number;
  cri?: CriStorage | undefined;
  claims?: ClaimResolver | undefined;
  /** Resolves when no housekeeping pass is running. */
  gate?: () => Promise<void>;
  /** Count a failure in the agent's collection errors. */
  onError: (kind: ErrorKind, what: string, e: unknown) => void;
  /** Entries one volume walk may visit (default 200,000). */
  maxWalkEntries?: number;
  /** Time budget of one volume walk, ms (default 30,000). */
  walkBudgetMs?: number;
  /** Deadline of one CRI call, ms (default 5000). */
  criTimeoutMs?: number;
  clock?: Clock;
  logger?: Logger;
  random?: () => number;
  sleep?: Sleep;
}

/** Pods whose logs are read concurrently. */
const podsAtOnce = 8;

const empty: StorageSnapshot = { pods: new Map(), writableLayers: new Map(), imageFs: undefined, containerFs: undefined };

/** Measures pod volumes, logs and the runtime's filesystems in the background. */
export class StorageCollector {
  private readonly o: StorageCollectorOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  private volumes = new Map<string, readonly VolumeReading[]>();
  private host = new Map<string, { podLogs: UsageReading | undefined; etcHosts: UsageReading | undefined; containerLogs: Map<string, UsageReading> }>();
  private layers: ReadonlyMap<string, RuntimeFsUsage> = new Map();
  private imageFs: ImageFsInfo = { imageFs: undefined, containerFs: undefined };
  private published: StorageSnapshot = empty;
  private dirty = false;
  private deniedLogged = false;

  constructor(options: StorageCollectorOptions) {
    this.o = options;
    this.clock = options.clock ?? systemClock;
    this.log = options.logger ?? silentLogger;
  }

  /** The current results (the same object until something new was measured). */
  latest(): StorageSnapshot {
    if (this.dirty) {
      this.dirty = false;
      const pods = new Map<string, PodStorage>();
      for (const uid of new Set([...this.volumes.keys(), ...this.host.keys()])) {
        const h = this.host.get(uid);
        pods.set(uid, { volumes: this.volumes.get(uid), podLogs: h?.podLogs, etcHosts: h?.etcHosts, containerLogs: h?.containerLogs ?? new Map() });
      }
      this.published = { pods, writableLayers: this.layers, imageFs: this.imageFs.imageFs, containerFs: this.imageFs.containerFs };
    }
    return this.published;
  }

  /**
   * Can `<root-dir>/pods` be read? The kubelet makes it root:root 0750, so an agent without
   * group 0 or root cannot: that is one error per round (and one warning), not one per pod.
   * Absent (no kubelet on this host) is no error.
   */
  private async podsDirReadable(): Promise<boolean> {
    const dir = join(this.o.rootDir, 'pods');
    try {
      await readDirNames(dir);
      return true;
    } catch (e) {
      if (isKubemeterError(e, ErrorCode.NotFound)) return false;
      this.o.onError(ErrorKind.Unreadable, dir, e);
      if (!this.deniedLogged) {
        this.deniedLogged = true;
        this.log.warn('pod volumes and etc-hosts cannot be read: no volume stats', { dir, error: errorMessage(e) });
      }
      return false;
    }
  }

  /** Measure every current pod's volumes once (pods that are gone are dropped). */
  async refreshVolumes(signal: AbortSignal): Promise<void> {
    const next = new Map<string, readonly VolumeReading[]>();
    await this.o.gate?.();
    if (!(await this.podsDirReadable())) {
      this.volumes = next;
      this.dirty = true;
      return;
    }
    const gate = this.o.gate;
    const ctx = {
      rootDir: this.o.rootDir, clock: this.clock, signal, claims: this.o.claims, onError: this.o.onError,
      walk: { maxEntries: this.o.maxWalkEntries ?? 200_000, budgetMs: this.o.walkBudgetMs ?? 30_000, ...(gate === undefined ? {} : { gate }) },
    };
    // A few pods at a time, for the same reason as the logs (each walk is bounded on its own).
    const pods = this.o.pods();
    for (let i = 0; i < pods.length; i += podsAtOnce) {
      if (signal.aborted) return;
      const batch = pods.slice(i, i + podsAtOnce);
      const results = await Promise.all(batch.map((pod) => measurePodVolumes(ctx, pod)));
      batch.forEach((pod, j) => {
        const v = results[j];
        if (v !== undefined) next.set(pod.uid, v);
      });
    }
    if (signal.aborted) return;
    this.volumes = next;
    this.dirty = true;
  }

  /** Read logs, etc-hosts and the runtime's filesystems once. */
  async refreshHost(signal: AbortSignal): Promise<void> {
    const ctx = { rootDir: this.o.rootDir, podLogsDir: this.o.podLogsDir, clock: this.clock, gate: this.o.gate, onError: this.o.onError };
    await this.o.gate?.();
    const logDirs = await listPodLogDirs(ctx);
    const podsDirReadable = await this.podsDirReadable();
    const next = new Map<string, { podLogs: UsageReading | undefined; etcHosts: UsageReading | undefined; containerLogs: Map<string, UsageReading> }>();
    // Pods a few at a time: each needs a handful of small reads, which one by one would cost a
    // thread-pool round trip each (measured: 50-70 ms of CPU per round for 110 pods one by one).
    const pods = this.o.pods();
    for (let i = 0; i < pods.length; i += podsAtOnce) {
      if (signal.aborted) return;
      await this.o.gate?.();
      const batch = pods.slice(i, i + podsAtOnce);
      const results = await Promise.all(batch.map((pod) => measurePodLogs(ctx, pod, logDirs.get(pod.uid), podsDirReadable)));
      batch.forEach((pod, j) => next.set(pod.uid, results[j]!));
    }
    this.host = next;
    if (this.o.cri !== undefined) {
      const call = AbortSignal.any([signal, AbortSignal.timeout(this.o.criTimeoutMs ?? 5000)]);
      const [layers, imageFs] = await Promise.allSettled([this.o.cri.writableLayers(call), this.o.cri.imageFsInfo(call)]);
      if (layers.status === 'fulfilled') this.layers = layers.value;
      else this.o.onError(ErrorKind.Node, 'CRI ListContainerStats', layers.reason);
      if (imageFs.status === 'fulfilled') this.imageFs = imageFs.value;
      else this.o.onError(ErrorKind.Node, 'CRI ImageFsInfo', imageFs.reason);
    }
    this.dirty = true;
  }

  /** Run both loops until `signal` aborts; the first round of each starts at once. */
  async run(signal: AbortSignal): Promise<void> {
    const sleep = this.o.sleep ?? realSleep;
    const random = this.o.random ?? Math.random;
    const loop = async (what: string, periodMs: number, jitter: number, once: (s: AbortSignal) => Promise<void>): Promise<void> => {
      while (!signal.aborted) {
        try {
          await once(signal);
        } catch (e) {
          // Each step counts its own failures; this is a bug's last line of defence.
          this.o.onError(ErrorKind.Pass, what, e);
          this.log.warn('filesystem stats failed', { what, error: errorMessage(e) });
        }
        await sleep(periodMs * (1 + jitter * random()), signal);
      }
    };
    const loops = [loop('logs and runtime filesystems', this.o.refreshIntervalMs, 0.1, (s) => this.refreshHost(s))];
    if (this.o.volumeStatsAggPeriodMs > 0) loops.push(loop('volumes', this.o.volumeStatsAggPeriodMs, 1.0, (s) => this.refreshVolumes(s)));
    await Promise.all(loops);
  }

  /** Release the runtime connection. */
  close(): void {
    this.o.cri?.close();
  }
}
