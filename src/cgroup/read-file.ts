/**
 * The one place cgroup and /proc files are read. Kernel pseudo-files are small and answer from
 * memory, so a synchronous open/read/close into one reused buffer is the cheapest way to read
 * them: measured on cgroup v1 leaf files, fs.readFileSync costs ~15 µs of CPU per file and
 * fs.promises.readFile several times that, open+readSync+close into a shared buffer ~10 µs. A
 * housekeeping pass reads ~3000 files, so this is the difference between meeting and missing the
 * pass budget. Callers must not hold on to the buffer across calls (strings are copied out).
 */
import { closeSync, openSync, readSync } from 'node:fs';
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
