/**
 * The one place cgroup and /proc files are read. Kernel pseudo-files are small and answer from
 * memory, so a synchronous open/read/close into one reused buffer is the cheapest way to read
 * them: measured on cgroup v1 leaf files, fs.readFileSync costs ~15 µs of CPU per file and
 * fs.promises.readFile several times that, open+readSync+close into a shared buffer ~10 µs. A
 * housekeeping pass reads ~3000 files, so this is the difference between meeting and missing the
 * pass budget. Callers must not hold on to the buffer across calls (strings are copied out).
 */
import { closeSync, fstatSync, openSync, readSync, statfsSync } from 'node:fs';
import { ErrorCode, KubemeterError } from '../lib/errors.ts';

/** Largest file read (bytes): a cgroup.procs of a busy root cgroup fits easily; more is hostile. */
export const maxFileBytes = 4 * 1024 * 1024;

let buffer = Buffer.allocUnsafe(64 * 1024);

/** A read returning fewer bytes than this ends the file (see readSmallFile). */
const shortReadBytes = 2048;

/** Errors that mean "the file (or its cgroup) is not there", as opposed to "it is broken". */
const absentCodes = new Set(['ENOENT', 'ENOTDIR', 'ENODEV', 'ESRCH']);

/** Did reading fail because the file or its directory does not exist (any more)? */
export function isAbsent(e: unknown): boolean {
  if (e instanceof KubemeterError) return e.code === ErrorCode.NotFound;
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' && absentCodes.has(e.code);
}

/**
 * Read a small text file (latin1: kernel files are ASCII). Returns undefined when it does not
 * exist; throws KubemeterError InvalidFile (unreadable) or TooLarge otherwise.
 */
export function readSmallFile(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if (isAbsent(e)) return undefined;
    throw new KubemeterError(ErrorCode.InvalidFile, `${path}: cannot open: ${(e as Error).message}`, { cause: e, source: path });
  }
  try {
    let used = 0;
    for (;;) {
      let n: number;
      const wanted = buffer.length - used;
      try {
        n = readSync(fd, buffer, used, wanted, null);
      } catch (e) {
        // A cgroup removed between open and read answers ENODEV: it vanished, not broken.
        if (isAbsent(e)) return undefined;
        throw new KubemeterError(ErrorCode.InvalidFile, `${path}: cannot read: ${(e as Error).message}`, { cause: e, source: path });
      }
      if (n === 0) break;
      used += n;
      // A short read is the end of the file, which saves the usual extra read() that returns 0
      // (one syscall in four per file; ~1 µs of a ~6 µs read): regular files return everything
      // up to the request, and kernel seq_files (every cgroup and /proc file read here) fill a
      // read up to the request or their page-sized buffer, stopping short only at the end or
      // when the next record (a line, < 256 bytes here) would overflow the page.
      if (n < wanted && n < shortReadBytes) break;
      if (used === buffer.length) {
        if (buffer.length >= maxFileBytes) {
          throw new KubemeterError(ErrorCode.TooLarge, `${path}: larger than ${maxFileBytes} bytes`, { source: path });
        }
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger, 0, 0, used);
        buffer = bigger;
      }
    }
    return buffer.toString('latin1', 0, used);
  } finally {
    closeSync(fd);
  }
}

/** Like readSmallFile, but a missing file is an error (NotFound) naming the path. */
export function readRequiredFile(path: string): string {
  const text = readSmallFile(path);
  if (text === undefined) throw new KubemeterError(ErrorCode.NotFound, `${path}: no such file`, { source: path });
  return text;
}

function stillLinked(fd: number): boolean {
  try {
    return fstatSync(fd).nlink > 0;
  } catch {
    return false;
  }
}

const cgroupFsTypes = new Set([0x27e0eb, 0x63677270]);

/** Is `dir` on a cgroup filesystem (v1 `cgroup` or `cgroup2`)? False when it cannot be told. */
export function isCgroupFs(dir: string): boolean {
  try {
    return cgroupFsTypes.has(statfsSync(dir).type);
  } catch {
    return false;
  }
}

/** Read `fd` from offset 0 into the shared buffer; returns the byte count. Throws the errno error. */
function preadAll(fd: number, path: string): number {
  let used = 0;
  for (;;) {
    const wanted = buffer.length - used;
    // Positional: a kernel seq_file read at offset 0 regenerates its content, so a file kept
    // open reads fresh values every time, as an open/read/close would.
    const n = readSync(fd, buffer, used, wanted, used);
    if (n === 0) break;
    used += n;
    if (n < wanted && n < shortReadBytes) break;
    if (used === buffer.length) {
      if (buffer.length >= maxFileBytes) {
        throw new KubemeterError(ErrorCode.TooLarge, `${path}: larger than ${maxFileBytes} bytes`, { source: path });
      }
      const bigger = Buffer.allocUnsafe(buffer.length * 2);
      buffer.copy(bigger, 0, 0, used);
      buffer = bigger;
    }
  }
  return used;
}

/**
 * Cgroup files kept open from one housekeeping pass to the next and re-read at offset 0.
 * Opening and closing dominate the cost of reading a small kernel file: measured on this
 * project's 2-core machine (cgroup v1, 1,760 files of 440 cgroups), open+read+close took 20.7 ms
 * of CPU per round and a positional read of the same files kept open 5.7 ms. The price is kernel
 * memory: each open cgroup file holds a page-sized seq_file buffer, ~4.4 KiB per file (7.75 MiB
 * for those 1,760), charged to the agent's own cgroup. Files not read during a pass are closed at
 * its end, so the files of removed cgroups are released within one pass; a read of a removed
 * cgroup's file answers ENODEV and is retried once with a fresh open (the cgroup may have been
 * created again under the same name). At most `maxOpen` files are kept; beyond that, and when
 * the process runs out of descriptors, files are read with open/read/close. On filesystems other
 * than cgroupfs (fixture trees) a file deleted or replaced since it was opened still reads its old
 * content, so there `checkLinks` makes every read first check that the file is still linked.
 */
export class OpenFileCache {
  private readonly open = new Map<string, { fd: number; pass: number }>();
  private pass = 0;
  private readonly maxOpen: number;
  private readonly checkLinks: boolean;
  private exhausted = false;

  constructor(options: { maxOpen?: number; checkLinks?: boolean } = {}) {
    this.maxOpen = options.maxOpen ?? 16_384;
    this.checkLinks = options.checkLinks ?? true;
  }

  /** Number of files held open. */
  get size(): number {
    return this.open.size;
  }

  /** Like readSmallFile, through a kept-open descriptor. Undefined when the file does not exist. */
  read(path: string): string | undefined {
    let held = this.open.get(path);
    if (held !== undefined && this.checkLinks && !stillLinked(held.fd)) {
      this.drop(path, held.fd);
      held = undefined;
    }
    if (held !== undefined) {
      held.pass = this.pass;
      try {
        return buffer.toString('latin1', 0, preadAll(held.fd, path));
      } catch (e) {
        this.drop(path, held.fd);
        if (e instanceof KubemeterError) throw e;
        if (!isAbsent(e)) throw new KubemeterError(ErrorCode.InvalidFile, `${path}: cannot read: ${(e as Error).message}`, { cause: e, source: path });
        // Removed (ENODEV), perhaps created again: fall through to a fresh open.
      }
    }
    if (this.exhausted || this.open.size >= this.maxOpen) return readSmallFile(path);
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      if (isAbsent(e)) return undefined;
      if (typeof e === 'object' && e !== null && 'code' in e && (e.code === 'EMFILE' || e.code === 'ENFILE')) {
        this.exhausted = true;
        return readSmallFile(path);
      }
      throw new KubemeterError(ErrorCode.InvalidFile, `${path}: cannot open: ${(e as Error).message}`, { cause: e, source: path });
    }
    this.open.set(path, { fd, pass: this.pass });
    try {
      return buffer.toString('latin1', 0, preadAll(fd, path));
    } catch (e) {
      this.drop(path, fd);
      if (e instanceof KubemeterError) throw e;
      if (isAbsent(e)) return undefined;
      throw new KubemeterError(ErrorCode.InvalidFile, `${path}: cannot read: ${(e as Error).message}`, { cause: e, source: path });
    }
  }

  /** End a pass: close every file that was not read during it. */
  endPass(): void {
    for (const [path, held] of this.open) if (held.pass !== this.pass) this.drop(path, held.fd);
    this.pass++;
    this.exhausted = false;
  }

  /** Close every file. */
  close(): void {
    for (const [path, held] of this.open) this.drop(path, held.fd);
  }

  private drop(path: string, fd: number): void {
    this.open.delete(path);
    try {
      closeSync(fd);
    } catch {
      // Already closed: nothing is held any more either way.
    }
  }
}
