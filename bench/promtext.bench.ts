/**
 * Prometheus text parsing on the scrape hot path: a 110-pod kubelet /metrics/resource page parsed by
 * the streaming parser, compared with JSON.parse on the same samples as JSON, and with a
 * split-and-regex parser (the obvious alternative to a hand-written scanner).
 */
import { ExpositionParser, parseExposition } from '../src/lib/promtext/parse.ts';
import { writeExposition } from '../src/lib/promtext/write.ts';
import { kubeletResourcePage } from './kubelet-page.ts';
import { median, megabytesPerSecond, sink, timeLoop } from './measure.ts';
import type { BenchResult, BenchSuite } from './types.ts';

/** The obvious alternative: split lines, one regex per sample line, one per label. No error reporting. */
function regexParse(text: string, onSample: (name: string, labels: string[], value: number, ts: number | undefined) => void): void {
  const line = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?[ \t]+(\S+)(?:[ \t]+(-?\d+))?[ \t]*$/;
  const label = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (const l of text.split('\n')) {
    if (l === '' || l.startsWith('#')) continue;
    const m = line.exec(l);
    if (m === null) throw new Error(`bad line ${l}`);
    const labels: string[] = [];
    if (m[2] !== undefined) {
      for (const lm of m[2].matchAll(label)) labels.push(lm[1] ?? '', (lm[2] ?? '').replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)));
    }
    onSample(m[1] ?? '', labels, Number(m[3]), m[4] === undefined ? undefined : Number(m[4]));
  }
}

/** Streams `text` through an ExpositionParser in `chunk`-sized pieces; the handler does what a decoder minimally does. */
function streamParse(text: string, chunk: number): number {
  let acc = 0;
  const p = new ExpositionParser({
    onSample: (name, labels, value) => {
      acc += value + labels.length + name.length;
    },
  });
  if (chunk >= text.length) p.push(text);
  else for (let i = 0; i < text.length; i += chunk) p.push(text.slice(i, i + chunk));
  p.end();
  return acc;
}

export const suite: BenchSuite = {
  name: 'promtext',
  title: 'Prometheus text parsing and writing (src/lib/promtext)',
  description:
    'Input: a kubelet /metrics/resource page for 110 pods with 2–4 containers each, written by our writer (the ' +
    'kubelet\'s exact format), and the same samples as a JSON document (families → samples → {labels, value, ' +
    'timestampMs}). Throughput is in MB/s of each format\'s own bytes; ratios are medians of per-run pairs.',
  async run(ctx) {
    const page = kubeletResourcePage({ pods: ctx.quick ? 10 : 110 });
    const textBytes = Buffer.byteLength(page.text);
    const jsonBytes = Buffer.byteLength(page.json);
    ctx.log(`page: ${page.samples} samples, text ${textBytes} bytes, JSON ${jsonBytes} bytes`);
    // Chunks as a socket reader gets them: flat strings decoded from 16 KiB buffers (not slices of
    // the page, which V8 would represent as views on it). Prepared outside the timed loop.
    const chunks: string[] = [];
    const pageBuffer = Buffer.from(page.text);
    for (let i = 0; i < pageBuffer.length; i += 16_384) chunks.push(pageBuffer.subarray(i, i + 16_384).toString('utf8'));
    const measures = {
      stream: () => {
        sink.value = streamParse(page.text, Infinity);
      },
      chunked: () => {
        let acc = 0;
        const p = new ExpositionParser({ onSample: (n, l, v) => (acc += v + l.length + n.length) });
        for (const c of chunks) p.push(c);
        p.end();
        sink.value = acc;
      },
      families: () => {
        sink.value = parseExposition(page.text);
      },
      regex: () => {
        let acc = 0;
        regexParse(page.text, (n, l, v) => (acc += v + l.length + n.length));
        sink.value = acc;
      },
      json: () => {
        sink.value = JSON.parse(page.json);
      },
      write: () => {
        sink.value = writeExposition(page.families);
      },
    };
    const runs = ctx.quick ? 3 : 9;
    const minMs = ctx.quick ? 20 : 300;
    // Warm up every path so all are optimised before anything is timed.
    for (const fn of Object.values(measures)) timeLoop(fn, { minMs: ctx.quick ? 10 : 200 });
    const mbps: Record<keyof typeof measures, number[]> = { stream: [], chunked: [], families: [], regex: [], json: [], write: [] };
    const ratios = { stream: [] as number[], chunked: [] as number[], families: [] as number[], regexVsStream: [] as number[] };
    for (let r = 0; r < runs; r++) {
      // Interleaved in one run so machine drift affects the baseline and the candidate alike.
      const one: Record<string, number> = {};
      for (const [key, fn] of Object.entries(measures)) {
        const bytes = key === 'json' ? jsonBytes : textBytes;
        one[key] = megabytesPerSecond(bytes, timeLoop(fn, { minMs }));
        mbps[key as keyof typeof measures].push(one[key]);
      }
      const json = one.json ?? NaN;
      ratios.stream.push((one.stream ?? NaN) / json);
      ratios.chunked.push((one.chunked ?? NaN) / json);
      ratios.families.push((one.families ?? NaN) / json);
      ratios.regexVsStream.push((one.stream ?? NaN) / (one.regex ?? NaN));
      ctx.log(`run ${r + 1}/${runs}: parser ${one.stream?.toFixed(0)} MB/s, JSON.parse ${json.toFixed(0)} MB/s`);
    }
    const streamRatio = median(ratios.stream);
    const pageNote = `${page.samples} samples, ${(textBytes / 1024).toFixed(0)} KiB text`;
    const results: BenchResult[] = [
      {
        name: 'parse, streaming parser (whole page)',
        value: median(mbps.stream),
        unit: 'MB/s',
        ratio: { value: streamRatio, against: 'JSON.parse' },
        target: '≥ 0.5× JSON.parse',
        met: streamRatio >= 0.5,
        note: `${pageNote}; callback reads name, labels, value`,
      },
      {
        name: 'parse, streaming parser (16 KiB chunks)',
        value: median(mbps.chunked),
        unit: 'MB/s',
        ratio: { value: median(ratios.chunked), against: 'JSON.parse' },
        note: 'as pushed from a socket',
      },
      {
        name: 'parse to Family[] (parseExposition)',
        value: median(mbps.families),
        unit: 'MB/s',
        ratio: { value: median(ratios.families), against: 'JSON.parse' },
        note: 'materialises every sample and label array',
      },
      {
        name: 'JSON.parse of the same samples',
        value: median(mbps.json),
        unit: 'MB/s',
        note: `${(jsonBytes / 1024).toFixed(0)} KiB JSON (baseline)`,
      },
      {
        name: 'parse, split + regex per line',
        value: median(mbps.regex),
        unit: 'MB/s',
        note: `the streaming parser is ${median(ratios.regexVsStream).toFixed(2)}× this`,
      },
      {
        name: 'write page (writeExposition)',
        value: median(mbps.write),
        unit: 'MB/s',
        note: `${(textBytes / 1e6 / median(mbps.write) * 1e6).toFixed(0)} µs per page`,
      },
    ];
    return results;
  },
};
