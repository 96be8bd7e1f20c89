/**
 * Pressure stall information (cgroup v2 `cpu.pressure`, `memory.pressure`, `io.pressure`): the
 * nested keyed format `some avg10=<f> avg60=<f> avg300=<f> total=<µs>` and `full …`, parsed with
 * the rules of opencontainers/cgroups `statPSI`: lines other than `some`/`full` are ignored, a
 * missing line reads as zeros, unknown keys are ignored, and a malformed pair or number is an
 * error for the whole file.
 */
import { ErrorCode, KubemeterError, quoteInput } from '../lib/errors.ts';
import { latin1, named, textBytes } from './bytes.ts';
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
const SPACE = 0x20;
const EQUALS = 0x3d;

/**
 * The number in bytes[start, end) when it is digits, or digits '.' digits (the kernel prints
 * `%lu.%02lu`), else NaN. Up to 15 digits the mantissa is exact and so is 10^k, and one division
 * of two exact doubles is correctly rounded: the same double as Number() of the text.
 */
function decimalAt(bytes: Uint8Array, start: number, end: number, allowDot: boolean): number {
  if (end <= start) return NaN;
  let mantissa = 0;
  let dot = -1;
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    if (c === DOT && allowDot && dot < 0 && i > start && i < end - 1) dot = i;
    else if (c < ZERO || c > NINE) return NaN;
    else mantissa = mantissa * 10 + (c - ZERO);
  }
  const digits = dot < 0 ? end - start : end - start - 1;
  if (digits > 15) return Number(latin1(bytes, start, end));
  return dot < 0 ? mantissa : mantissa / 10 ** (end - dot - 1);
}

/** Compare bytes[at, at + word.length) with an ASCII word. */
function startsWith(bytes: Uint8Array, at: number, end: number, word: string): boolean {
  if (end - at < word.length) return false;
  for (let k = 0; k < word.length; k++) if (bytes[at + k] !== word.charCodeAt(k)) return false;
  return true;
}

/**
 * One `some`/`full` line from `start` (after the kind word) to `end`: space-separated `key=value`
 * pairs, scanned in place in the bytes read: a pass with KubeletPSI parses ~1,300 of these
 * files, and slicing keys and values out of decoded text allocated ~1 MiB per pass.
 */
function parseLine(bytes: Uint8Array, lineStart: number, start: number, end: number, dir: string, file: string): PressureLine {
  let avg10 = 0;
  let avg60 = 0;
  let avg300 = 0;
  let totalMicroseconds = 0n;
  let i = start;
  while (i < end) {
    if (bytes[i] === SPACE) {
      i++;
      continue;
    }
    let j = i;
    while (j < end && bytes[j] !== SPACE) j++;
    let eq = i;
    while (eq < j && bytes[eq] !== EQUALS) eq++;
    if (eq === i || eq === j) throw bad(named(dir, file), 'expected key=value pairs', latin1(bytes, lineStart, end));
    const keyLength = eq - i;
    if (keyLength === 5 && startsWith(bytes, i, eq, 'total')) {
      const v = decimalAt(bytes, eq + 1, j, false);
      if (Number.isNaN(v)) throw bad(named(dir, file), 'total is not an unsigned integer', latin1(bytes, lineStart, end));
      totalMicroseconds = j - eq - 1 <= 15 ? BigInt(v) : BigInt(latin1(bytes, eq + 1, j));
      if (totalMicroseconds > maxUint64) throw bad(named(dir, file), 'total is beyond 2^64-1', latin1(bytes, lineStart, end));
    } else if ((keyLength === 5 || keyLength === 6) && startsWith(bytes, i, eq, 'avg')) {
      const which = keyLength === 6 ? (startsWith(bytes, i, eq, 'avg300') ? 300 : 0) : startsWith(bytes, i, eq, 'avg10') ? 10 : startsWith(bytes, i, eq, 'avg60') ? 60 : 0;
      if (which !== 0) {
        const v = decimalAt(bytes, eq + 1, j, true);
        if (Number.isNaN(v)) throw bad(named(dir, file), `avg${which} is not a decimal number`, latin1(bytes, lineStart, end));
        if (which === 10) avg10 = v;
        else if (which === 60) avg60 = v;
        else avg300 = v;
      }
    }
    i = j + 1;
  }
  return { avg10, avg60, avg300, totalMicroseconds };
}

/**
 * A pressure file exactly as the kernel prints it (`%lu.%02lu` averages, a total of at most 15
 * digits, a `some` line and perhaps a `full` one), its eight numbers captured: checked and split
 * in one native regular-expression match, each value then converted by Number or BigInt, which
 * give the same values as decimalAt for numbers of at most 15 digits. Without V8's optimizing
 * compilers (the agent's default, for memory) the general loop over the bytes cost ~9 µs per file
 * and a pass with KubeletPSI reads ~1,300 of them; a check, then index searches and decimalAt at
 * the places the format fixes, ~2.2 µs; this match ~1.2 µs. Anything else (unknown keys, other
 * lines, longer numbers, garbage) goes through the general parser, which gives the same values
 * for kernel text.
 */
const kernelPressure = /^some avg10=(\d{1,13}\.\d\d) avg60=(\d{1,13}\.\d\d) avg300=(\d{1,13}\.\d\d) total=(\d{1,15})\n(?:full avg10=(\d{1,13}\.\d\d) avg60=(\d{1,13}\.\d\d) avg300=(\d{1,13}\.\d\d) total=(\d{1,15})\n)?$/;

/**
 * parsePressure over `bytes[start, end)`; errors name `named(dir, file)`. `text`, when the caller
 * has it already, is the latin1 text of those bytes.
 */
export function parsePressureBytes(bytes: Uint8Array, start: number, end: number, dir: string, file: string, text: string = latin1(bytes, start, end)): PressureSample {
  const m = kernelPressure.exec(text);
  if (m !== null) {
    const some: PressureLine = { avg10: Number(m[1]), avg60: Number(m[2]), avg300: Number(m[3]), totalMicroseconds: BigInt(m[4]!) };
    const full: PressureLine = m[5] === undefined ? zeroLine() : { avg10: Number(m[5]), avg60: Number(m[6]), avg300: Number(m[7]), totalMicroseconds: BigInt(m[8]!) };
    return { some, full };
  }
  let some: PressureLine | undefined;
  let full: PressureLine | undefined;
  let lineStart = start;
  while (lineStart < end) {
    let lineEnd = lineStart;
    while (lineEnd < end && bytes[lineEnd] !== 0x0a) lineEnd++;
    if (startsWith(bytes, lineStart, lineEnd, 'some ')) some = parseLine(bytes, lineStart, lineStart + 5, lineEnd, dir, file);
    else if (startsWith(bytes, lineStart, lineEnd, 'full ')) full = parseLine(bytes, lineStart, lineStart + 5, lineEnd, dir, file);
    lineStart = lineEnd + 1;
  }
  // A file with neither line is not a pressure file (opencontainers would report zeros; an
  // empty or foreign file is more likely a broken read than a cgroup without pressure).
  if (some === undefined && full === undefined) throw bad(named(dir, file), 'no "some" or "full" line', latin1(bytes, start, Math.min(end, start + 80)));
  return { some: some ?? zeroLine(), full: full ?? zeroLine() };
}

/** Parse the text of a `*.pressure` file; throws InvalidFile naming `source` on garbage. */
export function parsePressure(text: string, source: string): PressureSample {
  return parsePressureBytes(textBytes(text), 0, text.length, source, '');
}
