/**
 * Pacing of a fan-out by the event loop's delay: how many kubelet requests may be in flight is
 * adjusted, between a floor and --kubelet-max-concurrent-requests, so that the server's own
 * event-loop turns stay short while it scrapes.
 *
 * Why: a kubelet response is decoded as its bytes arrive, in the turn that reads them, and the
 * node is stored in the turn its body ends. When the server is short of CPU (a 300,000-pod cycle
 * on two cores shared with the kubelets), every request in flight has bytes waiting at each poll,
 * so one turn decodes a chunk of each of them: with 256 in flight, turns of 200–400 ms, and every
 * API request queued behind one (gets of one pod took seconds). More requests in flight add no
 * throughput then, only longer turns; fewer keep the thread as busy with short turns. When the
 * kubelets are slow rather than the server (network, busy kubelets), the loop is idle, its delay
 * stays low and the limit grows back to the flag's value.
 *
 * The control is additive increase, multiplicative decrease (TCP's), on the delay of a timer
 * armed every `periodMs`: a timer runs once per turn, so its delay is about the length of the
 * turn (or collection pause) it waited behind.
 */

/** Settings of the in-flight limit's control. */
export interface PaceOptions {
  /** Most requests in flight (--kubelet-max-concurrent-requests). */
  maxInFlight: number;
  /** Fewest: the limit never goes below this (nor above maxInFlight). */
  minInFlight: number;
  /** Event-loop delay above which the limit is cut, ms. */
  targetDelayMs: number;
}

/**
 * Defaults of the pacing: a turn longer than 5 ms halves the limit down to 4 in flight. The api
 * benchmark's target is a get p99 under 10 ms, so a turn a get waits behind must stay well under
 * that; 4 in flight keep the thread busy when the kubelets answer within a few ms.
 */
export const defaultPace = { minInFlight: 4, targetDelayMs: 5 } as const;

/**
 * The in-flight limit as a pure state machine: fed delays, it says how many may be in flight.
 * Until the first delay above target it doubles per calm sample (a fan-out starts at the floor
 * and reaches the flag's value within a few samples when the loop stays calm); afterwards it adds
 * one per calm sample. Every delay above target halves it.
 */
export class InFlightLimit {
  private readonly o: PaceOptions;
  private value: number;
  private slowStart = true;

  constructor(o: PaceOptions) {
    this.o = { ...o, minInFlight: Math.max(1, Math.min(o.minInFlight, o.maxInFlight)) };
    this.value = this.o.minInFlight;
  }

  /** Requests that may be in flight now. */
  get limit(): number {
    return this.value;
  }

  /** Take one event-loop delay sample, ms; returns the new limit. */
  observe(delayMs: number): number {
    const { minInFlight, maxInFlight, targetDelayMs } = this.o;
    if (delayMs > targetDelayMs) {
      this.slowStart = false;
      this.value = Math.max(minInFlight, Math.floor(this.value / 2));
    } else {
      this.value = Math.min(maxInFlight, this.slowStart ? this.value * 2 : this.value + 1);
    }
    return this.value;
  }
}

/** Admission of requests under an InFlightLimit, with the timer that measures the delay. */
export interface Pacer {
  /**
   * Resolves when one more request may start, with the function to call once it has ended; at
   * once (with a no-op) when the fan-out's signal has aborted or the pacer is disposed.
   */
  acquire(): Promise<() => void>;
  /** Stop the timer and let every waiter through. */
  dispose(): void;
}

/** Options of startPacer. */
export interface PacerOptions extends PaceOptions {
  /** Cancels the fan-out: every waiter goes through (one listener for all of them). */
  signal?: AbortSignal;
  /** Interval of the delay timer, ms. */
  periodMs?: number;
  /** Monotonic clock, ms (performance.now). */
  nowMs?: () => number;
  /** Told each delay sample and the limit it gave (tests, logs). */
  onSample?: (delayMs: number, limit: number) => void;
  /**
   * Whether to pace now (default: always). While false every request starts at once and the
   * limit is left as it was: pacing trades scrape throughput for the API's latency, which is
   * worth it only while the API is in use.
   */
  active?: () => boolean;
}

const noop = (): void => undefined;

/** Start pacing (the timer runs until dispose). */
export function startPacer(o: PacerOptions): Pacer {
  const control = new InFlightLimit(o);
  const periodMs = o.periodMs ?? 10;
  const nowMs = o.nowMs ?? (() => performance.now());
  const waiters: Array<(release: () => void) => void> = [];
  let active = 0;
  let open = false;
  const slot = (): (() => void) => {
    active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      active--;
      admit();
    };
  };
  const pacing = o.active ?? ((): boolean => true);
  const admit = (): void => {
    const unlimited = open || !pacing();
    while (waiters.length > 0 && (unlimited || active < control.limit)) waiters.shift()!(open ? noop : slot());
  };
  let due = nowMs() + periodMs;
  const sample = (): void => {
    const now = nowMs();
    const delayMs = Math.max(0, now - due);
    if (pacing()) o.onSample?.(delayMs, control.observe(delayMs));
    admit();
    due = now + periodMs;
    timer = setTimeout(sample, periodMs);
    timer.unref();
  };
  let timer = setTimeout(sample, periodMs);
  timer.unref();
  const dispose = (): void => {
    open = true;
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', dispose);
    admit();
  };
  if (o.signal?.aborted === true) dispose();
  else o.signal?.addEventListener('abort', dispose, { once: true });
  return {
    acquire: () => {
      if (open) return Promise.resolve(noop);
      if ((active < control.limit || !pacing()) && waiters.length === 0) return Promise.resolve(slot());
      return new Promise((resolve) => waiters.push(resolve));
    },
    dispose,
  };
}
