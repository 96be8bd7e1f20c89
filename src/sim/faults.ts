/**
 * Faults of simulated kubelets: the `--faults` grammar, and which node gets which fault.
 *
 *   --faults all=10%                 10 % of the nodes faulty, spread evenly over every kind
 *   --faults hang=2,http-500=1%      two hanging nodes and 1 % answering 500
 *
 * A node has at most one fault. Faulty nodes are spread over the cluster by a seeded permutation
 * (not the first N), so shards and restarts with the same seed agree.
 */
import { ErrorCode, KubemeterError, quoteInput } from '../lib/errors.ts';
import { hash32 } from './random.ts';

/** Every fault a simulated kubelet can have. */
export const faultKinds = [
  'latency', // answers only after --fault-latency (past the scraper's timeout)
  'hang', // accepts the request and never answers
  'http-500', // 500 Internal Server Error
  'http-403', // 403 Forbidden, as a kubelet without RBAC for the caller
  'truncate', // promises a Content-Length, sends part of the body, closes the connection
  'garbage', // 200 with binary noise
  'huge', // 200 with a 100 MiB body
  'counter-reset', // cumulative CPU counters drop to zero every 30 s without a restart
  'skew', // every timestamp 5 minutes ahead (a node with a wrong clock)
  'duplicate', // every container series (or pod) twice with different values
  'nan', // NaN values (largest uint64 in /stats/summary)
] as const;

/** One kind of fault. */
export type FaultKind = (typeof faultKinds)[number];

/** One `kind=share` term of the spec. */
export interface FaultRequest {
  /** A kind, or `all` for an even split over every kind. */
  kind: FaultKind | 'all';
  /** Absolute node count… */
  count?: number;
  /** …or a percentage of the nodes. */
  percent?: number;
}

const aliases: Record<string, FaultKind> = { '500': 'http-500', '403': 'http-403', reset: 'counter-reset', latency: 'latency', slow: 'latency' };

/** Parse `--faults` text. Throws KubemeterError(InvalidFlag) naming the bad term. */
export function parseFaultSpec(text: string): FaultRequest[] {
  const out: FaultRequest[] = [];
  if (text.trim() === '') return out;
  for (const term of text.split(',')) {
    const m = /^\s*([a-z0-9-]+)\s*=\s*(\d+(?:\.\d+)?)(%?)\s*$/.exec(term);
    const fail = (why: string): never => {
      throw new KubemeterError(ErrorCode.InvalidFlag, `--faults: ${quoteInput(term)}: ${why} (expected KIND=COUNT or KIND=PERCENT%, KIND one of all, ${faultKinds.join(', ')})`, { source: '--faults' });
    };
    if (m === null) return fail('not KIND=SHARE');
    const name = m[1] ?? '';
    const kind = name === 'all' ? 'all' : (faultKinds as readonly string[]).includes(name) ? (name as FaultKind) : aliases[name];
    if (kind === undefined) return fail(`unknown fault kind ${quoteInput(name)}`);
    const value = Number(m[2]);
    if (m[3] === '%') {
      if (!(value >= 0 && value <= 100)) fail('a percentage must be from 0 to 100');
      out.push({ kind, percent: value });
    } else {
      if (!Number.isInteger(value)) fail('a count must be a whole number');
      out.push({ kind, count: value });
    }
  }
  return out;
}

/** How many nodes a request covers out of `nodes`. Any positive percentage covers at least one node. */
function countOf(r: FaultRequest, nodes: number): number {
  if (r.count !== undefined) return r.count;
  const p = r.percent ?? 0;
  return p > 0 ? Math.max(1, Math.round((p / 100) * nodes)) : 0;
}

/** The fault of every node index (undefined = healthy). Throws when more faults than nodes are asked for. */
export function assignFaults(requests: readonly FaultRequest[], nodes: number, seed: number): Array<FaultKind | undefined> {
  const kinds: FaultKind[] = [];
  for (const r of requests) {
    const n = countOf(r, nodes);
    for (let i = 0; i < n; i++) kinds.push(r.kind === 'all' ? faultKinds[i % faultKinds.length]! : r.kind);
  }
  if (kinds.length > nodes) {
    throw new KubemeterError(ErrorCode.InvalidFlag, `--faults asks for ${kinds.length} faulty nodes but there are only ${nodes}`, { source: '--faults' });
  }
  // A seeded permutation of the node indices: faulty nodes are scattered, and reproducible.
  const order = Array.from({ length: nodes }, (_, i) => i).sort((a, b) => hash32(seed, a, 0xfa) - hash32(seed, b, 0xfa) || a - b);
  const out: Array<FaultKind | undefined> = new Array<FaultKind | undefined>(nodes).fill(undefined);
  kinds.forEach((k, i) => {
    out[order[i]!] = k;
  });
  return out;
}
