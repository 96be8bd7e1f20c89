/**
 * Writer for the Prometheus text exposition format 0.0.4, byte for byte as the Go client's text
 * encoder (prometheus/common expfmt MetricFamilyToText) writes it, which is what the kubelet serves:
 * `# HELP` (only when there is help text) and `# TYPE` per family, then `name{l="v",…} value [ms]`
 * lines; values through the encoder's special cases and Go's %g; label values escape `\`, `"` and
 * newline, HELP escapes `\` and newline. Names are written as given (they come from our own code).
 * The writer keeps the given order; `normalizeFamilies` applies the registry's ordering first.
 */
import { formatGoFloat } from '../go-format.ts';
import { compareGoStrings } from '../go-strings.ts';
import type { Family, MetricType, Sample } from './types.ts';

/** Go's byte-wise string order, the order of the registry's families and labels (kept here for existing importers). */
export { compareGoStrings };

const labelEscapes = /[\\"\n]/;
const helpEscapes = /[\\\n]/;

function escapeLabelValue(v: string): string {
  if (!labelEscapes.test(v)) return v;
  return v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

function escapeHelp(v: string): string {
  if (!helpEscapes.test(v)) return v;
  return v.replace(/[\\\n]/g, (c) => (c === '\n' ? '\\n' : '\\\\'));
}

/** A sample value as the Go text encoder writes it: 1, 0 (also for -0), -1, NaN, ±Inf special-cased, else %g. */
export function formatSampleValue(v: number): string {
  if (v === 0) return '0';
  if (v === 1) return '1';
  if (v === -1) return '-1';
  return formatGoFloat(v);
}

/** Appends exposition text piece by piece (no intermediate objects); `text` is the result. */
export class ExpositionBuilder {
  /** The text written so far. */
  text = '';

  /** Writes a family header: `# HELP` when help is given, then `# TYPE`. */
  family(name: string, type: MetricType, help?: string): this {
    if (help !== undefined) this.text += `# HELP ${name} ${escapeHelp(help)}\n`;
    this.text += `# TYPE ${name} ${type}\n`;
    return this;
  }

  /** Writes one sample line; `labels` is flat `[name0, value0, …]`, written in the given order. */
  sample(name: string, labels: readonly string[], value: number, timestampMs?: number): this {
    return this.sampleWithLabelText(name, labelText(labels), value, timestampMs);
  }

  /** Writes one sample line whose label part was made by labelText (once for several families' samples). */
  sampleWithLabelText(name: string, labels: string, value: number, timestampMs?: number): this {
    this.text += timestampMs === undefined ? `${name}${labels} ${formatSampleValue(value)}\n` : `${name}${labels} ${formatSampleValue(value)} ${timestampMs}\n`;
    return this;
  }
}

/** The label part of a sample line, `{n0="v0",…}` with values escaped, or '' for no labels. */
export function labelText(labels: readonly string[]): string {
  if (labels.length === 0) return '';
  let text = '{';
  for (let i = 0; i < labels.length; i += 2) {
    text += `${i === 0 ? '' : ','}${labels[i] ?? ''}="${escapeLabelValue(labels[i + 1] ?? '')}"`;
  }
  return `${text}}`;
}

/** Exposition text for `families` in the given order; families without samples are skipped (as Gather does). */
export function writeExposition(families: readonly Family[]): string {
  const b = new ExpositionBuilder();
  for (const f of families) {
    if (f.samples.length === 0) continue;
    b.family(f.name, f.type, f.help);
    for (const s of f.samples) b.sample(s.name, s.labels, s.value, s.timestampMs);
  }
  return b.text;
}

/** Pairs sorted by label name. */
function sortedLabels(labels: readonly string[]): string[] {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i < labels.length; i += 2) pairs.push([labels[i] ?? '', labels[i + 1] ?? '']);
  pairs.sort((p, q) => compareGoStrings(p[0], q[0]));
  return pairs.flat();
}

/** client_golang's metric order: fewer labels first, then label values in order, then timestamp (none last). */
function compareSamples(a: Sample, b: Sample): number {
  if (a.labels.length !== b.labels.length) return a.labels.length - b.labels.length;
  for (let i = 1; i < a.labels.length; i += 2) {
    const c = compareGoStrings(a.labels[i] ?? '', b.labels[i] ?? '');
    if (c !== 0) return c;
  }
  if (a.timestampMs === undefined) return b.timestampMs === undefined ? 0 : 1;
  if (b.timestampMs === undefined) return -1;
  return a.timestampMs - b.timestampMs;
}

/**
 * The order a Go registry's Gather produces: families by name, label pairs by name, samples by label
 * values. Samples of summary and histogram families keep their order (Go orders those by their
 * structure, which flat samples do not carry). Returns new objects; the input is not modified.
 */
export function normalizeFamilies(families: readonly Family[]): Family[] {
  return families
    .map((f) => {
      const samples = f.samples.map((s) => ({ ...s, labels: sortedLabels(s.labels) }));
      if (f.type !== 'summary' && f.type !== 'histogram') samples.sort(compareSamples);
      return { ...f, samples };
    })
    .sort((a, b) => compareGoStrings(a.name, b.name));
}
