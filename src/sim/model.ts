/**
 * The simulated cluster as pure functions of time: what one node's kubelet would report at a given
 * instant. No state is kept per container; every value is computed from the seed, the node, the
 * pod slot and the container index (profiles and pod names are memoised, about 20 KiB per served
 * node), and any instant can be served.
 *
 * Self-consistency: each container's cumulative CPU is the closed-form integral of a rate that
 * breathes sinusoidally around a per-container mean (so counters only grow, and the rate a server
 * derives from two samples is the mean rate over that window); a pod's CPU is its containers'
 * integral since the pod started (across restarts) plus its sandbox; a node's is every slot's
 * integral since boot plus system daemons, so node ≥ Σ pods at all times. Values are sampled at
 * per-cgroup housekeeping instants (10 s apart, each cgroup with its own phase), as cAdvisor does,
 * so two requests within one housekeeping period see the same timestamp and value.
 */
import { hash32, logUniform, pick, suffix, unit, uuid } from './random.ts';

/** How every simulated node is shaped. */
export interface ClusterShape {
  /** Seed of every derived value. */
  seed: number;
  /** Pods per node (each a slot whose pod may be replaced over time). */
  podsPerNode: number;
  /** Containers per pod. */
  containersPerPod: number;
  /** Share of a node's pods replaced per minute (0 = pods live forever). */
  churnPerMinute: number;
  /** Share of containers that restart periodically (every 5–60 min). */
  restartShare: number;
  /** Housekeeping period of every cgroup, ms (cAdvisor's default is 10 s). */
  housekeepingMs: number;
  /** Unix ms the simulation starts at; nodes booted up to 60 days before it. */
  originMs: number;
}

/** Which node: its slot in the cluster and its incarnation (a replaced node is a new node). */
export interface NodeIdentity {
  index: number;
  generation: number;
}

/** Distortions a faulty kubelet applies to the values it reports. */
export interface Distortion {
  /** Added to every reported time (a skewed node clock), ms. */
  skewMs?: number;
  /** Counters restart from zero at every multiple of this period since boot (without a restart). */
  counterResetEveryMs?: number;
}

/** One container's reported stats. */
export interface ContainerSnapshot {
  name: string;
  /** Start of the current incarnation, Unix ms. */
  startMs: number;
  /** Sample time (cpu and memory share it), Unix ms. */
  timeMs: number;
  /** Cumulative CPU of the current incarnation, core-nanoseconds. */
  cpuNs: bigint;
  /** CPU rate at the sample time, nanocores. */
  usageNanoCores: number;
  workingSetBytes: number;
  usageBytes: number;
  rssBytes: number;
  pageFaults: bigint;
  majorPageFaults: bigint;
  /** Restarts so far. */
  restarts: number;
}

/** One pod's reported stats. */
export interface PodSnapshot {
  namespace: string;
  name: string;
  uid: string;
  startMs: number;
  timeMs: number;
  cpuNs: bigint;
  usageNanoCores: number;
  workingSetBytes: number;
  usageBytes: number;
  containers: ContainerSnapshot[];
}

/** One node's reported stats. */
export interface NodeSnapshot {
  name: string;
  bootMs: number;
  timeMs: number;
  cpuNs: bigint;
  usageNanoCores: number;
  workingSetBytes: number;
  usageBytes: number;
  memoryCapacityBytes: number;
  cpuCores: number;
  pods: PodSnapshot[];
}

const MIB = 1 << 20;
const PAGE = 4096;
const SANDBOX_WORKING_SET_BYTES = 1_146_880;
const SANDBOX_RATE_CORES = 0.0001;

const namespaces = ['default', 'payments-prod', 'search-staging', 'monitoring', 'ingress-nginx', 'kube-system', 'batch', 'web-frontend'];
const apps = ['api-gateway', 'checkout', 'redis', 'postgres-replica', 'coredns', 'fluent-bit', 'node-exporter', 'web', 'orders', 'worker', 'kafka-consumer', 'auth'];
const sidecars = ['istio-proxy', 'log-shipper', 'config-reloader', 'oauth2-proxy', 'metrics-exporter'];

/** Kubelet-style node name of an identity. */
export function nodeName(id: NodeIdentity): string {
  return id.generation === 0 ? `sim-node-${id.index}` : `sim-node-${id.index}-${id.generation}`;
}

/** A container's usage profile: mean rate, how it breathes, its memory, its restarts. */
interface Profile {
  rateCores: number;
  amplitude: number;
  periodMs: number;
  phase: number;
  workingSetBytes: number;
  memAmplitude: number;
  memPeriodMs: number;
  restartEveryMs: number;
  restartOffsetMs: number;
  startDelayMs: number;
  offsetMs: number;
}

/** The simulator's view of one node: identity, boot, and per-slot/container profiles (computed once). */
export class NodeModel {
  readonly id: NodeIdentity;
  readonly name: string;
  readonly bootMs: number;
  readonly cpuCores: number;
  readonly memoryCapacityBytes: number;
  private readonly shape: ClusterShape;
  private readonly key: number;
  private readonly systemRateCores: number;
  private readonly systemWorkingSetBytes: number;
  private readonly offsetMs: number;
  /**
   * Profiles by slot × containersPerPod + container, computed on first use: every snapshot reads
   * each one three or four times, and deriving one costs a dozen hashes (the simulator shares the
   * machine with the server it feeds, so its CPU per request matters). About 18 KiB per node.
   */
  private readonly profiles: (Profile | undefined)[] = [];
  /** The latest pod identity of each slot (names and uid are hashes of the slot's generation). */
  private readonly podIds: ({ generation: number; namespace: string; app: string; name: string; uid: string } | undefined)[] = [];

  constructor(shape: ClusterShape, id: NodeIdentity) {
    this.shape = shape;
    this.id = id;
    this.name = nodeName(id);
    this.key = hash32(shape.seed, id.index, id.generation);
    // First-generation nodes booted hours to weeks ago; a replacement's kubelet has been up a
    // minute when the node joins (it registers after boot), so its first scrape has data.
    this.bootMs = id.generation === 0 ? shape.originMs - Math.round(logUniform(3_600_000, 60 * 86_400_000, this.key, 1)) : shape.originMs - 60_000;
    this.systemRateCores = 0.05 + 0.25 * unit(this.key, 2);
    this.systemWorkingSetBytes = Math.round((400 + 800 * unit(this.key, 3)) * MIB / PAGE) * PAGE;
    this.offsetMs = Math.floor(unit(this.key, 4) * shape.housekeepingMs);
    let meanCores = this.systemRateCores;
    let meanBytes = this.systemWorkingSetBytes;
    for (let s = 0; s < shape.podsPerNode; s++) {
      for (let c = 0; c < shape.containersPerPod; c++) {
        const p = this.profile(s, c);
        meanCores += p.rateCores;
        meanBytes += p.workingSetBytes * (1 + p.memAmplitude);
      }
    }
    this.cpuCores = [4, 8, 16, 32, 64, 96].find((n) => n >= meanCores * 1.5) ?? 128;
    this.memoryCapacityBytes = [16, 32, 64, 128, 256].map((g) => g * 1024 * MIB).find((b) => b >= meanBytes * 1.3) ?? 512 * 1024 * MIB;
  }

  private profile(slot: number, c: number): Profile {
    const i = slot * this.shape.containersPerPod + c;
    return (this.profiles[i] ??= this.deriveProfile(slot, c));
  }

  private deriveProfile(slot: number, c: number): Profile {
    const k = hash32(this.key, slot, c);
    const sidecar = c > 0;
    const hk = this.shape.housekeepingMs;
    return {
      rateCores: sidecar ? logUniform(0.0005, 0.05, k, 1) : logUniform(0.001, 0.4, k, 1),
      amplitude: 0.2 + 0.6 * unit(k, 2),
      periodMs: 300_000 + unit(k, 3) * 3_300_000,
      phase: unit(k, 4) * 2 * Math.PI,
      workingSetBytes: sidecar ? logUniform(8 * MIB, 128 * MIB, k, 5) : logUniform(16 * MIB, 1536 * MIB, k, 5),
      memAmplitude: 0.05 + 0.25 * unit(k, 6),
      memPeriodMs: 600_000 + unit(k, 7) * 6_600_000,
      restartEveryMs: unit(k, 8) < this.shape.restartShare ? 300_000 + unit(k, 9) * 3_300_000 : Infinity,
      restartOffsetMs: unit(k, 10) * 300_000,
      startDelayMs: 500 + Math.floor(unit(k, 11) * 4000),
      offsetMs: Math.floor(unit(k, 12) * hk),
    };
  }

  /** Cumulative CPU of a profile between two instants, core-nanoseconds (closed-form integral). */
  private cpuIntegralNs(p: Profile, fromMs: number, toMs: number): number {
    if (toMs <= fromMs) return 0;
    const w = (2 * Math.PI) / p.periodMs;
    const a = (fromMs - this.bootMs) * w + p.phase;
    const b = (toMs - this.bootMs) * w + p.phase;
    // ∫ r(1 + A sin θ) dt = r(Δt + A/ω (cos θa − cos θb)); ms → ns is ×1e6 per core.
    return p.rateCores * 1e6 * ((toMs - fromMs) + (p.amplitude / w) * (Math.cos(a) - Math.cos(b)));
  }

  private rateNanoCores(p: Profile, tMs: number): number {
    return Math.round(p.rateCores * 1e9 * (1 + p.amplitude * Math.sin((tMs - this.bootMs) * (2 * Math.PI / p.periodMs) + p.phase)));
  }

  private workingSet(p: Profile, tMs: number, startMs: number): number {
    const drift = 1 + p.memAmplitude * Math.sin((tMs - this.bootMs) * (2 * Math.PI / p.memPeriodMs) + p.phase);
    // A fresh incarnation grows into its working set over about two minutes.
    const ramp = Math.min(1, 0.3 + (tMs - startMs) / 170_000);
    return Math.max(PAGE, Math.round((p.workingSetBytes * drift * ramp) / PAGE) * PAGE);
  }

  /** Which pod occupies `slot` at `tMs`: its generation and start. */
  private podAt(slot: number, tMs: number): { generation: number; startMs: number } {
    const k = hash32(this.key, slot, 0xc0de);
    const firstStart = this.bootMs + 20_000 + Math.floor(unit(k, 1) * Math.min(7_200_000, Math.max(0, this.shape.originMs - this.bootMs)));
    const churn = this.shape.churnPerMinute;
    if (!(churn > 0) || tMs < firstStart) return { generation: 0, startMs: firstStart };
    const lifetimeMs = (60_000 / churn) * (0.5 + unit(k, 2));
    const generation = Math.floor((tMs - firstStart) / lifetimeMs);
    return { generation, startMs: firstStart + Math.floor(generation * lifetimeMs) };
  }

  /** The slot's first pod start (the slot's containers have consumed CPU since then). */
  private slotStartMs(slot: number): number {
    return this.podAt(slot, -Infinity).startMs;
  }

  private sampleTime(offsetMs: number, tMs: number): number {
    const hk = this.shape.housekeepingMs;
    return Math.floor((tMs - offsetMs) / hk) * hk + offsetMs;
  }

  /** Start of the incarnation of a container (first start `firstMs`) running at `tMs`, and its restart count. */
  private incarnation(p: Profile, firstMs: number, tMs: number): { startMs: number; restarts: number } {
    const firstRestart = firstMs + p.restartOffsetMs;
    if (!Number.isFinite(p.restartEveryMs) || tMs < firstRestart) return { startMs: firstMs, restarts: 0 };
    const restarts = Math.floor((tMs - firstRestart) / p.restartEveryMs) + 1;
    return { startMs: firstRestart + (restarts - 1) * p.restartEveryMs, restarts };
  }

  /** The counter origin under a counter-reset distortion. */
  private counterFrom(startMs: number, tMs: number, d: Distortion): number {
    const every = d.counterResetEveryMs;
    if (every === undefined || !(every > 0)) return startMs;
    return Math.max(startMs, this.bootMs + Math.floor((tMs - this.bootMs) / every) * every);
  }

  /** Namespace, app, pod name and uid of the pod of `slot`'s given generation. */
  private podIdentity(slot: number, generation: number): { namespace: string; app: string; name: string; uid: string } {
    const cached = this.podIds[slot];
    if (cached !== undefined && cached.generation === generation) return cached;
    const pk = hash32(this.key, slot, generation, 0x90d);
    const app = pick(apps, this.key, slot);
    const namespace = pick(namespaces, this.key, slot, 1);
    const name = app === 'fluent-bit' || app === 'node-exporter' ? `${app}-${suffix(5, pk, 2)}` : `${app}-${suffix(10, this.key, slot, 3)}-${suffix(5, pk, 2)}`;
    const id = { generation, namespace, app, name, uid: uuid(pk, 4) };
    this.podIds[slot] = id;
    return id;
  }

  /** Everything the kubelet would report at `nowMs`. */
  snapshot(nowMs: number, d: Distortion = {}): NodeSnapshot {
    const shape = this.shape;
    const skew = d.skewMs ?? 0;
    const pods: PodSnapshot[] = [];
    // A pod is reported at its newest container's sample and the node at its newest pod's (or its
    // own housekeeping instant when empty): cumulative values then nest exactly, node ≥ Σ pods ≥
    // Σ containers, as they do in cgroups where a parent's counter includes its children's.
    let nodeT = this.sampleTime(this.offsetMs, nowMs);
    for (let s = 0; s < shape.podsPerNode; s++) {
      const pod = this.podAt(s, nowMs);
      const id = this.podIdentity(s, pod.generation);
      const { app, namespace } = id;
      const containers: ContainerSnapshot[] = [];
      let podT = -Infinity;
      for (let c = 0; c < shape.containersPerPod; c++) {
        const p = this.profile(s, c);
        const firstMs = pod.startMs + p.startDelayMs;
        const t = this.sampleTime(p.offsetMs, nowMs);
        if (t < firstMs) continue; // no housekeeping of this container yet
        podT = Math.max(podT, t);
        const ci = this.incarnation(p, firstMs, t);
        const ws = this.workingSet(p, t, ci.startMs);
        const faults = BigInt(Math.floor((t - ci.startMs) / 1000) * 3 + Math.floor(ws / PAGE / 4));
        containers.push({
          name: c === 0 ? app : (sidecars[c - 1] ?? `sidecar-${c}`),
          startMs: ci.startMs + skew,
          timeMs: t + skew,
          cpuNs: BigInt(Math.round(this.cpuIntegralNs(p, this.counterFrom(ci.startMs, t, d), t))),
          usageNanoCores: this.rateNanoCores(p, t),
          workingSetBytes: ws,
          usageBytes: ws + Math.round(ws * 0.2 / PAGE) * PAGE,
          rssBytes: Math.round(ws * 0.85 / PAGE) * PAGE,
          pageFaults: faults,
          majorPageFaults: BigInt(Math.floor(Number(faults) / 5000)),
          restarts: ci.restarts,
        });
      }
      if (containers.length === 0) continue;
      nodeT = Math.max(nodeT, podT);
      let podCpu = SANDBOX_RATE_CORES * 1e6 * Math.max(0, podT - this.counterFrom(pod.startMs, podT, d));
      let podRate = SANDBOX_RATE_CORES * 1e9;
      let podWs = SANDBOX_WORKING_SET_BYTES;
      for (let c = 0; c < shape.containersPerPod; c++) {
        const p = this.profile(s, c);
        const firstMs = pod.startMs + p.startDelayMs;
        if (podT < firstMs) continue;
        // The pod cgroup has counted its containers since they first started, across restarts.
        podCpu += this.cpuIntegralNs(p, this.counterFrom(firstMs, podT, d), podT);
        podRate += this.rateNanoCores(p, podT);
        podWs += this.workingSet(p, podT, this.incarnation(p, firstMs, podT).startMs);
      }
      pods.push({
        namespace,
        name: id.name,
        uid: id.uid,
        startMs: pod.startMs + skew,
        timeMs: podT + skew,
        cpuNs: BigInt(Math.round(podCpu)),
        usageNanoCores: Math.round(podRate),
        workingSetBytes: podWs,
        usageBytes: podWs + Math.round(podWs * 0.2 / PAGE) * PAGE,
        containers,
      });
    }
    let nodeCpu = this.systemRateCores * 1e6 * Math.max(0, nodeT - this.counterFrom(this.bootMs, nodeT, d));
    let nodeRate = this.systemRateCores * 1e9;
    let nodeWs = this.systemWorkingSetBytes;
    for (let s = 0; s < shape.podsPerNode; s++) {
      const slotStart = this.slotStartMs(s);
      const pod = this.podAt(s, nodeT);
      for (let c = 0; c < shape.containersPerPod; c++) {
        const p = this.profile(s, c);
        // The node has run this slot's containers since the slot's first pod, whatever replaced it.
        nodeCpu += SANDBOX_RATE_CORES * 1e6 * Math.max(0, nodeT - this.counterFrom(slotStart, nodeT, d)) / shape.containersPerPod;
        nodeCpu += this.cpuIntegralNs(p, this.counterFrom(slotStart + p.startDelayMs, nodeT, d), nodeT);
        const firstMs = pod.startMs + p.startDelayMs;
        if (nodeT >= firstMs) {
          nodeRate += this.rateNanoCores(p, nodeT);
          nodeWs += this.workingSet(p, nodeT, this.incarnation(p, firstMs, nodeT).startMs);
        }
      }
    }
    nodeWs = Math.round(nodeWs / PAGE) * PAGE;
    return {
      name: this.name,
      bootMs: this.bootMs + skew,
      timeMs: nodeT + skew,
      cpuNs: BigInt(Math.round(nodeCpu)),
      usageNanoCores: Math.round(nodeRate),
      workingSetBytes: nodeWs,
      usageBytes: nodeWs + Math.round(nodeWs * 0.6 / PAGE) * PAGE,
      memoryCapacityBytes: this.memoryCapacityBytes,
      cpuCores: this.cpuCores,
      pods,
    };
  }
}
