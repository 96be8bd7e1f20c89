/**
 * The data model of the Prometheus text exposition format 0.0.4 as kubemeter uses it: flat samples
 * grouped in families. Labels are a flat array of name/value pairs (`[n0, v0, n1, v1, …]`): it keeps
 * the order the text had (needed to write it back byte for byte), costs one allocation instead of one
 * per label, and a consumer looking for 2–3 labels scans it faster than it would build a map.
 */
import { ErrorCode, KubemeterError } from '../errors.ts';

/** The `# TYPE` of a family; `untyped` when the text had no TYPE line. */
export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

/** One sample line. */
export interface Sample {
  /** Series name as written (`x`, or `x_sum`/`x_count`/`x_bucket` inside a summary or histogram family). */
  name: string;
  /** Flat label pairs `[name0, value0, name1, value1, …]`, unescaped, in text order. */
  labels: readonly string[];
  /** The sample value (NaN and ±Infinity allowed). */
  value: number;
  /** Explicit timestamp in milliseconds since the epoch, or undefined when the line had none. */
  timestampMs: number | undefined;
}

/** A metric family: its HELP and TYPE metadata and its samples. */
export interface Family {
  /** Family name (the name of the HELP/TYPE lines). */
  name: string;
  /** HELP text, unescaped; undefined when there was no HELP line. */
  help: string | undefined;
  /** TYPE of the family. */
  type: MetricType;
  /** Samples in text order. */
  samples: Sample[];
}

/** The value of label `name` in flat label pairs, or undefined when absent. */
export function labelValue(labels: readonly string[], name: string): string | undefined {
  for (let i = 0; i < labels.length; i += 2) if (labels[i] === name) return labels[i + 1];
  return undefined;
}

/** Where and why exposition text could not be parsed (code InvalidExposition, or TooLarge for limits). */
export class ExpositionError extends KubemeterError {
  /** 1-based line number of the offending line. */
  readonly line: number;

  constructor(
    line: number,
    message: string,
    options: { source?: string; code?: typeof ErrorCode.InvalidExposition | typeof ErrorCode.TooLarge } = {},
  ) {
    const where = options.source === undefined ? '' : ` from ${options.source}`;
    super(options.code ?? ErrorCode.InvalidExposition, `metrics text${where}, line ${line}: ${message}`, {
      ...(options.source === undefined ? {} : { source: options.source }),
    });
    this.name = 'ExpositionError';
    this.line = line;
  }
}
