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

function bad(source: string, what: string, text: string): KubemeterError {
  return new KubemeterError(ErrorCode.InvalidFile, `${source}: ${what}, got ${quoteInput(text)}`, { source });
}

function zeroLine(): PressureLine {
  return { avg10: 0, avg60: 0, avg300: 0, totalMicroseconds: 0n };
}

const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/** Is text[start, end) digits, or digits '.' digits (the kernel prints `%lu.%02lu`)? */
function isDecimal(text: string, start: number, end: number, allowDot: boolean): boolean {
  if (end <= start) return false;
  let dot = -1;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === DOT && allowDot && dot < 0 && i > start && i < end - 1) dot = i;
    else if (c < ZERO || c > NINE) return false;
  }
  return true;
}

/**
 * One `some`/`full` line from `start` (after the kind word) to `end`: space-separated `key=value`
 * pairs. Scanned in place rather than split: a pass with KubeletPSI parses ~1,300 of these files,
 * and splitting each line into arrays of substrings made parsing cost more than reading.
 */
function parseLine(text: string, start: number, end: number, source: string): PressureLine {
  const out = zeroLine();
  let i = start;
  while (i < end) {
    if (text.charCodeAt(i) === 0x20) {
      i++;
      continue;
    }
    let j = text.indexOf(' ', i);
    if (j < 0 || j > end) j = end;
    const eq = text.indexOf('=', i);
    if (eq <= i || eq >= j) throw bad(source, 'expected key=value pairs', text.slice(start, end));
    const keyLength = eq - i;
    if (keyLength === 5 && text.startsWith('total', i)) {
      if (!isDecimal(text, eq + 1, j, false)) throw bad(source, 'total is not an unsigned integer', text.slice(start, end));
      // Up to 15 digits fit a double exactly; longer totals go through BigInt's own parser.
      const v = j - eq - 1 <= 15 ? BigInt(Number(text.slice(eq + 1, j))) : BigInt(text.slice(eq + 1, j));
      if (v > maxUint64) throw bad(source, 'total is beyond 2^64-1', text.slice(start, end));
      out.totalMicroseconds = v;
    } else if (text.startsWith('avg', i) && (keyLength === 5 || keyLength === 6)) {
      const key = text.slice(i, eq);
      if (key === 'avg10' || key === 'avg60' || key === 'avg300') {
        if (!isDecimal(text, eq + 1, j, true)) throw bad(source, `${key} is not a decimal number`, text.slice(start, end));
        out[key] = Number(text.slice(eq + 1, j));
      }
    }
    i = j + 1;
  }
  return out;
}

/** Parse the text of a `*.pressure` file; throws InvalidFile naming `source` on garbage. */
export function parsePressure(text: string, source: string): PressureSample {
  let some: PressureLine | undefined;
  let full: PressureLine | undefined;
  let start = 0;
  const n = text.length;
  while (start < n) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = n;
    if (text.startsWith('some ', start)) some = parseLine(text, start + 5, end, source);
    else if (text.startsWith('full ', start)) full = parseLine(text, start + 5, end, source);
    start = end + 1;
  }
  // A file with neither line is not a pressure file (opencontainers would report zeros; an
  // empty or foreign file is more likely a broken read than a cgroup without pressure).
  if (some === undefined && full === undefined) throw bad(source, 'no "some" or "full" line', text.slice(0, 80));
  return { some: some ?? zeroLine(), full: full ?? zeroLine() };
}
