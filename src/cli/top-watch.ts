/**
 * `top --watch`: refresh every `--interval`, with CPU and memory deltas since the previous frame.
 * On a terminal each frame overwrites the previous one in place (cursor home, erase to end of each
 * line, erase below) so there is no flicker; elsewhere frames are appended, separated by a blank
 * line. Errors are shown in the frame and the loop goes on; the AbortSignal (Ctrl-C) ends it with
 * exit code 0 and the cursor restored.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Quantity } from '../lib/quantity.ts';
import { podUsage } from './cells.ts';
import { nodeRows, podRows } from './kubectl-printer.ts';
import { layoutRows } from './tabwriter.ts';
import { fetchNodes, fetchPods, type FetchContext } from './top-fetch.ts';
import type { TopOptions } from './top-options.ts';
import { renderNodes, renderPods, describe, type TopIO } from './top-output.ts';
import { loadYaml } from './top-render.ts';

/** Usage remembered per row key: millicores and bytes. */
export type Previous = Map<string, { cpuMilli: bigint; memoryBytes: bigint }>;

/** Signed delta cell: `+12m`, `-3Mi`, `0m`; `-` without a previous sample. */
export function deltaCell(now: bigint, before: bigint | undefined, unit: 'm' | 'Mi'): string {
  if (before === undefined) return '-';
  const d = now - before;
  const v = unit === 'Mi' ? d / 1048576n : d;
  return `${v > 0n ? '+' : ''}${v}${unit}`;
}

const milli = (q: Quantity | undefined): bigint => q?.milliValue() ?? 0n;
const bytes = (q: Quantity | undefined): bigint => q?.value() ?? 0n;

/** Appends CPU(Δ) and MEMORY(Δ) cells to kubectl-style rows; returns the text and the new memory. */
export function withDeltas(rows: string[][], keys: (string | undefined)[], usage: Map<string, { cpuMilli: bigint; memoryBytes: bigint }>, previous: Previous, header: boolean): string {
  const out = rows.map((row, i) => {
    if (header && i === 0) return [...row, 'CPU(Δ)', 'MEMORY(Δ)'];
    const key = keys[i];
    const u = key === undefined ? undefined : usage.get(key);
    if (u === undefined) return [...row, '', ''];
    const p = previous.get(key!);
    return [...row, deltaCell(u.cpuMilli, p?.cpuMilli, 'm'), deltaCell(u.memoryBytes, p?.memoryBytes, 'Mi')];
  });
  return layoutRows(out);
}

/** One watch frame for the kubectl table, and the usage to remember. */
async function frame(ctx: FetchContext, o: TopOptions, previous: Previous, color: boolean): Promise<{ text: string; usage: Previous }> {
  const usage: Previous = new Map();
  if (o.output !== '' || o.utilization) {
    if (o.output === 'yaml') await loadYaml();
    // Extended outputs are redrawn as they are (their own columns already carry requests/limits).
    const text = o.kind === 'node' ? renderNodes(await fetchNodes(ctx, o), o, color, ctx.nowMs()) : renderPods(await fetchPods(ctx, o), o, color, ctx.nowMs());
    return { text, usage };
  }
  const header = !o.noHeaders;
  if (o.kind === 'node') {
    const s = await fetchNodes(ctx, o);
    const available = new Map(s.nodes.map((n) => [n.name, o.showCapacity ? n.capacity : n.allocatable]));
    const rows = nodeRows({ metrics: s.metrics, available, noHeaders: o.noHeaders, sortBy: o.sortBy === 'cpu' || o.sortBy === 'memory' ? o.sortBy : '' });
    for (const m of s.metrics) usage.set(m.name, { cpuMilli: milli(m.usage['cpu']), memoryBytes: bytes(m.usage['memory']) });
    const keys = rows.map((r, i) => (header && i === 0 ? undefined : r[0]));
    return { text: withDeltas(rows, keys, usage, previous, header), usage };
  }
  const s = await fetchPods(ctx, o);
  if (s.noResources !== undefined) return { text: `${s.noResources}\n`, usage };
  const rows = podRows({ metrics: s.metrics, containers: o.containers, withNamespace: o.allNamespaces, noHeaders: o.noHeaders, sortBy: o.sortBy === 'cpu' || o.sortBy === 'memory' ? o.sortBy : '', sum: false });
  for (const m of s.metrics) {
    const key = `${m.namespace}/${m.name}`;
    if (o.containers) for (const c of m.containers) usage.set(`${key}/${c.name}`, { cpuMilli: milli(c.usage['cpu']), memoryBytes: bytes(c.usage['memory']) });
    else {
      const u = podUsage(m);
      usage.set(key, { cpuMilli: milli(u['cpu']), memoryBytes: bytes(u['memory']) });
    }
  }
  const ns = o.allNamespaces ? 1 : 0;
  const keys = rows.map((r, i) => {
    if (header && i === 0) return undefined;
    const namespace = ns === 1 ? r[0]! : ctx.namespace;
    return o.containers ? `${namespace}/${r[ns]}/${r[ns + 1]}` : `${namespace}/${r[ns]}`;
  });
  return { text: withDeltas(rows, keys, usage, previous, header), usage };
}

/** Runs the watch loop until `io.signal` aborts; resolves to 0. */
export async function watchTop(ctx: FetchContext, o: TopOptions, io: TopIO, color: boolean): Promise<number> {
  const tty = io.stdout.isTTY === true;
  let previous: Previous = new Map();
  if (tty) io.stdout.write('\x1b[?25l\x1b[2J');
  let first = true;
  const aborted = (): boolean => io.signal?.aborted === true;
  try {
    while (!aborted()) {
      let text: string;
      try {
        const f = await frame(ctx, o, previous, color);
        text = f.text;
        previous = f.usage;
      } catch (e) {
        if (aborted()) break;
        text = `${describe(e)}\n`;
      }
      if (tty) io.stdout.write(`\x1b[H${text.replaceAll('\n', '\x1b[K\n')}\x1b[J`);
      else io.stdout.write(`${first ? '' : '\n'}${text}`);
      first = false;
      try {
        await sleep(o.intervalMs, undefined, io.signal !== undefined ? { signal: io.signal } : {});
      } catch {
        break; // aborted
      }
    }
  } finally {
    if (tty) io.stdout.write('\x1b[?25h');
  }
  return 0;
}
