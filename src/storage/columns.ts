/**
 * The points of every node and container series of a store, in store-wide typed arrays addressed
 * by slot number instead of one object per series. A series object with its two points cost
 * about 330 bytes of heap (the object, four boxed float64 fields, two BigInts) and a pod's
 * container array another 180; here a series is 57 bytes outside the object heap, which the
 * garbage collector neither traces nor copies, and which grows with no slack to double (untouched
 * capacity of a large typed array is never made resident).
 *
 * A pod's containers occupy a run of consecutive slots (in the order of its sorted container
 * names); a node's own series is a run of one. Runs that are given back are kept on a free list
 * per length and reused by the next run of that length.
 */
import type { UsageSample } from './types.ts';
import { seriesRate, type RateResult, type SeriesPoints } from './rate.ts';

// Float64 fields of a slot: all integers below 2^53 (ms, bytes, ns as the kubelet's float64).
const TS = 0;
const WS = 1;
const START = 2;
const PREV_TS = 3;
const PREV_START = 4;
const STRIDE = 5;

// Flag bits of a slot.
const HAS_PREV = 1;
/** The prev point is synthetic, placed at the container start (fresh-container rule). */
const PREV_AT_START = 2;
/** The CPU counter does not fit 64 unsigned bits and is kept in `bigCpu` (never from a kubelet). */
const CPU_BIG = 4;
const PREV_CPU_BIG = 8;
/**
 * The series was in its pod's current scrape (a bit cleared when the pod's first sample of a
 * scrape arrives, instead of a float64 scrape stamp per series).
 */
const SEEN = 16;

const TWO_64 = 1n << 64n;
const firstCapacity = 1024;

/** The store-wide point columns (see the file comment). */
export class PointColumns {
  private f = new Float64Array(firstCapacity * STRIDE);
  /** Cumulative CPU, core-ns: [last, prev] per slot. */
  private cpu = new BigUint64Array(firstCapacity * 2);
  private flags = new Uint8Array(firstCapacity);
  /** Counters outside [0, 2^64), by slot × 2 (+ 1 for prev): exact whatever a decoder lets through. */
  private readonly bigCpu = new Map<number, bigint>();
  /** Slots ever handed out (the rest of the capacity is untouched). */
  private top = 0;
  /** Free runs by length. */
  private readonly free = new Map<number, number[]>();
  /** Reused by rate(): one object instead of one per call. */
  private readonly points: SeriesPoints = { timestampMs: 0, cpuUsageCoreNanoSeconds: 0n, workingSetBytes: 0, startTimeNs: 0, prevTimestampMs: 0, prevCpuUsageCoreNanoSeconds: 0n, prevStartTimeNs: 0 };

  /** The first of `n` consecutive fresh slots (no points, not seen). */
  alloc(n: number): number {
    const reused = this.free.get(n)?.pop();
    const base = reused ?? this.top;
    if (reused === undefined) {
      this.top += n;
      if (this.top > this.flags.length) this.grow(this.top);
    }
    for (let s = base; s < base + n; s++) {
      this.f.fill(0, s * STRIDE, s * STRIDE + STRIDE);
      this.flags[s] = 0;
    }
    return base;
  }

  /** Give back a run made by alloc. */
  release(base: number, n: number): void {
    for (let s = base; s < base + n; s++) this.dropBig(s);
    let runs = this.free.get(n);
    if (runs === undefined) this.free.set(n, (runs = []));
    runs.push(base);
  }

  /** Slots in use or free (the columns' length in slots). */
  get slots(): number {
    return this.top;
  }

  private grow(min: number): void {
    let cap = this.flags.length;
    while (cap < min) cap *= 2;
    const f = new Float64Array(cap * STRIDE);
    f.set(this.f);
    const cpu = new BigUint64Array(cap * 2);
    cpu.set(this.cpu);
    const flags = new Uint8Array(cap);
    flags.set(this.flags);
    this.f = f;
    this.cpu = cpu;
    this.flags = flags;
  }

  private dropBig(s: number): void {
    if ((this.flags[s]! & (CPU_BIG | PREV_CPU_BIG)) === 0) return;
    this.bigCpu.delete(s * 2);
    this.bigCpu.delete(s * 2 + 1);
    this.flags[s]! &= ~(CPU_BIG | PREV_CPU_BIG);
  }

  /** Copy slot `from`'s points and marks to slot `to`. */
  copy(from: number, to: number): void {
    this.f.copyWithin(to * STRIDE, from * STRIDE, from * STRIDE + STRIDE);
    this.cpu[to * 2] = this.cpu[from * 2]!;
    this.cpu[to * 2 + 1] = this.cpu[from * 2 + 1]!;
    this.dropBig(to);
    const flags = this.flags[from]!;
    this.flags[to] = flags;
    if ((flags & CPU_BIG) !== 0) this.bigCpu.set(to * 2, this.bigCpu.get(from * 2)!);
    if ((flags & PREV_CPU_BIG) !== 0) this.bigCpu.set(to * 2 + 1, this.bigCpu.get(from * 2 + 1)!);
  }

  private setCpu(s: number, prev: 0 | 1, v: bigint): void {
    const bit = prev === 0 ? CPU_BIG : PREV_CPU_BIG;
    if (v >= 0n && v < TWO_64) {
      this.cpu[s * 2 + prev] = v;
      if ((this.flags[s]! & bit) !== 0) {
        this.bigCpu.delete(s * 2 + prev);
        this.flags[s]! &= ~bit;
      }
    } else {
      this.bigCpu.set(s * 2 + prev, v);
      this.flags[s]! |= bit;
    }
  }

  private getCpu(s: number, prev: 0 | 1): bigint {
    return (this.flags[s]! & (prev === 0 ? CPU_BIG : PREV_CPU_BIG)) === 0 ? this.cpu[s * 2 + prev]! : this.bigCpu.get(s * 2 + prev)!;
  }

  /** Slot `s` was marked since its run was last unmarked (unsee). */
  seen(s: number): boolean {
    return (this.flags[s]! & SEEN) !== 0;
  }

  /** Mark slot `s` as reported in the current scrape. */
  markSeen(s: number): void {
    this.flags[s]! |= SEEN;
  }

  /** Unmark the run of `n` slots from `base` (a new scrape of their pod begins). */
  unsee(base: number, n: number): void {
    for (let s = base; s < base + n; s++) this.flags[s]! &= ~SEEN;
  }

  /** Sample time of the newer point, Unix ms. */
  timestampMs(s: number): number {
    return this.f[s * STRIDE + TS]!;
  }

  /** Working set of the newer point, bytes. */
  workingSetBytes(s: number): number {
    return this.f[s * STRIDE + WS]!;
  }

  /** The series has an older point (a rate can be served). */
  hasPrev(s: number): boolean {
    return (this.flags[s]! & HAS_PREV) !== 0;
  }

  /** The older point is the synthetic one at the container start. */
  prevAtStartTime(s: number): boolean {
    return (this.flags[s]! & PREV_AT_START) !== 0;
  }

  /** Forget the older point. */
  dropPrev(s: number): void {
    this.flags[s]! &= ~(HAS_PREV | PREV_AT_START);
  }

  /** The newer point becomes `sample` (the older one is left as it is). */
  setLast(s: number, sample: UsageSample, startTimeNs: number): void {
    const o = s * STRIDE;
    this.f[o + TS] = sample.timestampMs;
    this.f[o + WS] = sample.workingSetBytes;
    this.f[o + START] = startTimeNs;
    this.setCpu(s, 0, sample.cpuUsageCoreNanoSeconds);
  }

  /** The newer point becomes the older one (a real point, not at the start time). */
  shift(s: number): void {
    const o = s * STRIDE;
    this.f[o + PREV_TS] = this.f[o + TS]!;
    this.f[o + PREV_START] = this.f[o + START]!;
    this.setCpu(s, 1, this.getCpu(s, 0));
    this.flags[s] = (this.flags[s]! | HAS_PREV) & ~PREV_AT_START;
  }

  /** Fresh-container rule: a synthetic older point at the start time with zero CPU. */
  prevAtStart(s: number, startTimeNs: number): void {
    const o = s * STRIDE;
    this.f[o + PREV_TS] = Math.trunc(startTimeNs / 1e6);
    this.f[o + PREV_START] = startTimeNs;
    this.setCpu(s, 1, 0n);
    this.flags[s]! |= HAS_PREV | PREV_AT_START;
  }

  /** Start time of the newer point, Unix ns as float64. */
  startTimeNs(s: number): number {
    return this.f[s * STRIDE + START]!;
  }

  /** Sample time of the older point, Unix ms. */
  prevTimestampMs(s: number): number {
    return this.f[s * STRIDE + PREV_TS]!;
  }

  /** Start time of the older point, Unix ns as float64. */
  prevStartTimeNs(s: number): number {
    return this.f[s * STRIDE + PREV_START]!;
  }

  /** The rate of slot `s` over its older point (which it must have). */
  rate(s: number): RateResult {
    const p = this.points;
    const o = s * STRIDE;
    p.timestampMs = this.f[o + TS]!;
    p.workingSetBytes = this.f[o + WS]!;
    p.startTimeNs = this.f[o + START]!;
    p.cpuUsageCoreNanoSeconds = this.getCpu(s, 0);
    p.prevTimestampMs = this.f[o + PREV_TS]!;
    p.prevStartTimeNs = this.f[o + PREV_START]!;
    p.prevCpuUsageCoreNanoSeconds = this.getCpu(s, 1);
    return seriesRate(p, this.prevAtStartTime(s));
  }
}
