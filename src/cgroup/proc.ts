/**
 * Pure parsers for the /proc files the node stats need (meminfo, stat, loadavg, net/dev,
 * <pid>/stat) and thin readers taking an injectable /proc root.
 */
import { join } from 'node:path';
import { ErrorCode, KubemeterError, quoteInput } from '../lib/errors.ts';
import { isSpace, latin1, textBytes } from './bytes.ts';
import { parseUint64, uint64At } from './parse.ts';
import { readRequiredFile, readSmallFile, readSmallFileBytes, sharedBytes } from './read-file.ts';
import { nodeFs } from '../lib/node-fs.ts';

const { readdirSync } = nodeFs;

function bad(source: string, what: string, text: string): KubemeterError {
  return new KubemeterError(ErrorCode.InvalidFile, `${source}: ${what}, got ${quoteInput(text)}`, { source });
}

/** `/proc/meminfo` as key → bytes (`kB` values × 1024; unit-less counts as they are). */
export function parseMeminfo(text: string, source = '/proc/meminfo'): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const m = /^([^:\s]+):\s+(\d+)(?:\s+kB)?\s*$/.exec(line);
    if (m === null) throw bad(source, 'expected "Key: value [kB]" lines', line);
    const v = BigInt(m[2]!);
    out.set(m[1]!, line.trimEnd().endsWith('kB') ? v * 1024n : v);
  }
  return out;
}

/** The `btime` line of `/proc/stat`: boot time in seconds since the epoch. */
export function parseBootTimeSeconds(text: string, source = '/proc/stat'): number {
  const m = /^btime (\d+)$/m.exec(text);
  if (m === null) throw bad(source, 'no btime line', text.slice(0, 80));
  return Number(m[1]);
}

/** Total number of tasks (threads included) from `/proc/loadavg`: the number after `/` in field 4. */
export function parseLoadavgTasks(text: string, source = '/proc/loadavg'): number {
  const m = /^\S+ \S+ \S+ \d+\/(\d+) \d+\s*$/.exec(text);
  if (m === null) throw bad(source, 'expected "l1 l5 l15 running/total lastpid"', text);
  return Number(m[1]);
}

/** Counters of one network interface, as the Summary API keeps them. */
export interface InterfaceCounters {
  name: string;
  rxBytes: bigint;
  rxErrors: bigint;
  txBytes: bigint;
  txErrors: bigint;
}

const ignoredInterfacePrefixes = ['lo', 'veth', 'docker', 'nerdctl'];

// Token bounds of the line being parsed (17 fields: start and end of each).
const netDevFields = new Int32Array(34);

/** Is byte `c` a field separator of a net/dev line (whitespace, or the `:` after the name)? */
function isNetDevSeparator(c: number): boolean {
  return c === 0x3a || isSpace(c);
}

/**
 * A net/dev text as the kernel prints it: two header lines, then per interface its name, `:` and
 * 16 counters of at most 19 digits (below 2^64: nothing saturates) separated by spaces. For such
 * text the fields are exactly the tokens cAdvisor's rules split out.
 */
const kernelNetDev = /^[^\n]*\n[^\n]*\n(?: *[^\s:]+: *\d{1,19}(?: +\d{1,19}){15}\n)*$/;

/** One interface line of kernelNetDev text: the name and counters 1, 3, 9 and 11 (rx bytes and errors, tx bytes and errors). */
const netDevLine = / *([^\s:]+): *(\d+) +\d+ +(\d+)(?: +\d+){5} +(\d+) +\d+ +(\d+)[^\n]*\n/y;

/**
 * kernelNetDev text parsed with native regular expressions and BigInt's own decimal parser:
 * without V8's optimizing compilers (the agent's default, for memory) the loop over the bytes
 * below cost ~15 µs per file, and a pass reads one per pod.
 */
function netDevByText(text: string): InterfaceCounters[] {
  const out: InterfaceCounters[] = [];
  netDevLine.lastIndex = text.indexOf('\n', text.indexOf('\n') + 1) + 1;
  for (let m = netDevLine.exec(text); m !== null; m = netDevLine.exec(text)) {
    const name = m[1]!;
    const lower = name.toLowerCase();
    if (ignoredInterfacePrefixes.some((p) => lower.startsWith(p))) continue;
    out.push({ name, rxBytes: BigInt(m[2]!), rxErrors: BigInt(m[3]!), txBytes: BigInt(m[4]!), txErrors: BigInt(m[5]!) });
  }
  return out;
}

/**
 * `/proc/<pid>/net/dev` in `bytes[start, end)` with cAdvisor's rules: skip the two header lines,
 * read every `:` as a space, split on whitespace, require 17 fields, drop devices whose
 * lower-cased name starts with `lo`, `veth`, `docker` or `nerdctl`. Fields are found in place
 * (a pass reads one of these per pod: splitting each line into 17 strings was a tenth of a
 * pass's garbage); only the kept interfaces' names become strings.
 */
export function parseNetDevBytes(bytes: Uint8Array, start: number, end: number, source = 'net/dev'): InterfaceCounters[] {
  const text = latin1(bytes, start, end);
  if (kernelNetDev.test(text)) return netDevByText(text);
  const out: InterfaceCounters[] = [];
  const f = netDevFields;
  let lineNo = 0;
  for (let lineStart = start; lineStart <= end; lineNo++) {
    let lineEnd = lineStart;
    while (lineEnd < end && bytes[lineEnd] !== 0x0a) lineEnd++;
    const next = lineEnd + 1;
    if (lineNo < 2) {
      lineStart = next;
      continue;
    }
    let count = 0;
    let blank = true;
    for (let i = lineStart; i < lineEnd; ) {
      const c = bytes[i]!;
      if (!isSpace(c)) blank = false;
      if (isNetDevSeparator(c)) {
        i++;
        continue;
      }
      let j = i + 1;
      while (j < lineEnd && !isNetDevSeparator(bytes[j]!)) j++;
      if (count < 17) {
        f[2 * count] = i;
        f[2 * count + 1] = j;
      }
      count++;
      i = j;
    }
    if (!blank) {
      if (count !== 17) throw bad(source, 'expected an interface name and 16 counters', latin1(bytes, lineStart, lineEnd));
      const name = latin1(bytes, f[0]!, f[1]!);
      const lower = name.toLowerCase();
      if (!ignoredInterfacePrefixes.some((p) => lower.startsWith(p))) {
        const at = (k: number): bigint => {
          const v = uint64At(bytes, f[2 * k]!, f[2 * k + 1]!);
          if (v === undefined) throw bad(`${source} ${name}`, 'expected an unsigned integer or "max"', latin1(bytes, f[2 * k]!, f[2 * k + 1]!));
          return v;
        };
        out.push({ name, rxBytes: at(1), rxErrors: at(3), txBytes: at(9), txErrors: at(11) });
      }
    }
    lineStart = next;
  }
  return out;
}

/** `/proc/<pid>/net/dev` text, as parseNetDevBytes. */
export function parseNetDev(text: string, source = 'net/dev'): InterfaceCounters[] {
  return parseNetDevBytes(textBytes(text), 0, text.length, source);
}

/** Fields of `/proc/<pid>/stat` the agent uses. Ticks are USER_HZ (100 on Linux). */
export interface PidStat {
  comm: string;
  userTicks: number;
  systemTicks: number;
  startTicks: number;
}

/** `/proc/<pid>/stat`; the command name may contain spaces and parentheses, so split at the last `)`. */
export function parsePidStat(text: string, source = 'stat'): PidStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw bad(source, 'expected "pid (comm) state …"', text);
  const rest = text.slice(close + 2).trim().split(' ');
  // rest[0] is field 3 (state); utime is field 14, stime 15, starttime 22.
  const num = (field: number): number => {
    const v = Number(rest[field - 3]);
    if (!Number.isSafeInteger(v)) throw bad(source, `field ${field} is not an integer`, text);
    return v;
  };
  return { comm: text.slice(open + 1, close), userTicks: num(14), systemTicks: num(15), startTicks: num(22) };
}

/** Parsed /proc/meminfo of the host. */
export function readMeminfo(procRoot: string): Map<string, bigint> {
  const path = join(procRoot, 'meminfo');
  return parseMeminfo(readRequiredFile(path), path);
}

/** Boot time of the host, ms since the epoch. */
export function readBootTimeMs(procRoot: string): number {
  const path = join(procRoot, 'stat');
  return parseBootTimeSeconds(readRequiredFile(path), path) * 1000;
}

/** Number of tasks (processes and threads) on the host. */
export function readTaskCount(procRoot: string): number {
  const path = join(procRoot, 'loadavg');
  return parseLoadavgTasks(readRequiredFile(path), path);
}

/** The pid limit: min(kernel.pid_max, kernel.threads-max), as the kubelet reports `rlimit.maxpid`. */
export function readMaxPid(procRoot: string): number {
  const read = (name: string): number => {
    const path = join(procRoot, 'sys', 'kernel', name);
    return Number(parseUint64(readRequiredFile(path), path));
  };
  return Math.min(read('pid_max'), read('threads-max'));
}

/** Interfaces seen by a process's network namespace; undefined when the process is gone. */
export function readNetDev(procRoot: string, pid: number): InterfaceCounters[] | undefined {
  // Not path.join: read once per pod per pass, its normalisation was ~3% of a pass run without
  // V8's optimizing compilers; a doubled slash from a root given with a trailing one reads the same.
  const path = `${procRoot}/${pid}/net/dev`;
  const n = readSmallFileBytes(path);
  return n < 0 ? undefined : parseNetDevBytes(sharedBytes(), 0, n, path);
}

/** `/proc/<pid>/stat` parsed; undefined when the process is gone. */
export function readPidStat(procRoot: string, pid: number): PidStat | undefined {
  const path = join(procRoot, String(pid), 'stat');
  const text = readSmallFile(path);
  return text === undefined ? undefined : parsePidStat(text, path);
}

/** `/proc/<pid>/cgroup` as hierarchy → cgroup path: `cpu`, `memory`, `name=systemd`, … (v1; each of a co-mounted line's controllers) and `''` for the unified line `0::/path`. */
export function parseProcCgroup(text: string, source = 'cgroup'): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const a = line.indexOf(':');
    const b = a < 0 ? -1 : line.indexOf(':', a + 1);
    if (a <= 0 || b < 0 || !/^\d+$/.test(line.slice(0, a))) throw bad(source, 'expected "id:controllers:path" lines', line);
    const path = line.slice(b + 1);
    const controllers = line.slice(a + 1, b);
    if (controllers === '') out.set('', path);
    else for (const c of controllers.split(',')) out.set(c, path);
  }
  return out;
}

/**
 * The cgroup the kubelet accounts a process to (its `getContainer`): on cgroup v2 the unified
 * path; on v1 the `cpu` path, which must equal the `memory` path (else undefined), replaced by
 * the `name=systemd` path when there is one (systemd hosts, where accounting may be off and the
 * cpu/memory cgroup is then an ancestor). Undefined when a needed line is missing.
 */
export function accountingCgroupOf(lines: ReadonlyMap<string, string>, version: 'v1' | 'v2'): string | undefined {
  if (version === 'v2') return lines.get('');
  const cpu = lines.get('cpu');
  const memory = lines.get('memory');
  if (cpu === undefined || memory === undefined || cpu !== memory) return undefined;
  return lines.get('name=systemd') ?? cpu;
}

/** Pids under `procRoot` whose `comm` is exactly `comm`, lowest first. */
export function findPidsByComm(procRoot: string, comm: string): number[] {
  let names: string[];
  try {
    names = readdirSync(procRoot);
  } catch (e) {
    throw new KubemeterError(ErrorCode.InvalidFile, `${procRoot}: cannot list: ${(e as Error).message}`, { cause: e, source: procRoot });
  }
  const out: number[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const text = readSmallFile(join(procRoot, name, 'comm'));
    if (text !== undefined && text.trimEnd() === comm) out.push(Number(name));
  }
  return out.sort((x, y) => x - y);
}

/** `/proc/<pid>/cgroup` parsed; undefined when the process is gone. */
export function readProcCgroup(procRoot: string, pid: number): Map<string, string> | undefined {
  const path = join(procRoot, String(pid), 'cgroup');
  const text = readSmallFile(path);
  return text === undefined ? undefined : parseProcCgroup(text, path);
}
