/**
 * Pressure stall information (cgroup v2 `cpu.pressure`, `memory.pressure`, `io.pressure`): the
 * nested keyed format `some avg10=<f> avg60=<f> avg300=<f> total=<µs>` and `full …`, parsed with
 * the rules of opencontainers/cgroups `statPSI`: lines other than `some`/`full` are ignored, a
 * missing line reads as zeros, unknown keys are ignored, and a malformed pair or number is an
 * error for the whole file.
 */
import { ErrorCode, KubemeterError, quoteInput } from '../lib/errors.ts';
import { maxUint64 } from './parse.ts';

/** One PSI line. */
export interface PressureLine {
  /** Share of wall time stalled over the last 10 s, percent. */
  avg10: number;
  /** Over the last 60 s, percent. */
  avg60: number;
  /** Over the last 300 s, percent. */
  avg300: number;
  /** Cumulative stall time in microseconds, as the file has it. */
  totalMicroseconds: bigint;
}

/** The two lines of one pressure file. */
export interface PressureSample {
  /** Time at least one task was stalled. */
  some: PressureLine;
  /** Time all non-idle tasks were stalled (zeros where the kernel prints no `full` line). */
  full: PressureLine;
}

/** The pressure files of one cgroup; a member is absent when its file is absent or broken. */
export interface CgroupPressure {
  cpu: PressureSample | undefined;
  memory: PressureSample | undefined;
  io: PressureSample | undefined;
}

// Go's strconv.ParseFloat accepts more spellings, but the kernel prints `%lu.%02lu`.
const decimal = /^\d+(?:\.\d+)?$/;
const digits = /^\d+$/;

function bad(source: string, what: string, text: string): KubemeterError {
  return new KubemeterError(ErrorCode.InvalidFile, `${source}: ${what}, got ${quoteInput(text)}`, { source });
}

function zeroLine(): PressureLine {
  return { avg10: 0, avg60: 0, avg300: 0, totalMicroseconds: 0n };
}

function parseLine(fields: readonly string[], source: string, line: string): PressureLine {
  const out = zeroLine();
  for (let i = 1; i < fields.length; i++) {
    const f = fields[i]!;
    const eq = f.indexOf('=');
    if (eq <= 0) throw bad(source, 'expected key=value pairs', line);
    const key = f.slice(0, eq);
    const value = f.slice(eq + 1);
    if (key === 'total') {
      if (!digits.test(value)) throw bad(source, 'total is not an unsigned integer', line);
      const v = BigInt(value);
      if (v > maxUint64) throw bad(source, 'total is beyond 2^64-1', line);
      out.totalMicroseconds = v;
    } else if (key === 'avg10' || key === 'avg60' || key === 'avg300') {
      if (!decimal.test(value)) throw bad(source, `${key} is not a decimal number`, line);
      out[key] = Number(value);
    }
  }
  return out;
}

/** Parse the text of a `*.pressure` file; throws InvalidFile naming `source` on garbage. */
export function parsePressure(text: string, source: string): PressureSample {
  let some: PressureLine | undefined;
  let full: PressureLine | undefined;
  for (const line of text.split('\n')) {
    const fields = line.split(' ').filter((f) => f !== '');
    const kind = fields[0];
    if (kind === 'some') some = parseLine(fields, source, line);
    else if (kind === 'full') full = parseLine(fields, source, line);
  }
  // A file with neither line is not a pressure file (opencontainers would report zeros; an
  // empty or foreign file is more likely a broken read than a cgroup without pressure).
  if (some === undefined && full === undefined) throw bad(source, 'no "some" or "full" line', text.slice(0, 80));
  return { some: some ?? zeroLine(), full: full ?? zeroLine() };
}
