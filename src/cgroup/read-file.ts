/**
 * The one place cgroup and /proc files are read. Kernel pseudo-files are small and answer from
 * memory, so a synchronous open/read/close into one reused buffer is the cheapest way to read
 * them: measured on cgroup v1 leaf files, fs.readFileSync costs ~15 µs of CPU per file and
 * fs.promises.readFile several times that, open+readSync+close into a shared buffer ~10 µs. A
 * housekeeping pass reads ~3000 files, so this is the difference between meeting and missing the
 * pass budget. Callers must not hold on to the buffer across calls (strings are copied out).
 */
import { ErrorCode, KubemeterError } from '../lib/errors.ts';
import { nodeFs } from '../lib/node-fs.ts';
import { dropUnstamped } from '../lib/pass-stamps.ts';

const { closeSync, fstatSync, openSync, readSync, readvSync, statfsSync } = nodeFs;

/** Largest file read (bytes): a cgroup.procs of a busy root cgroup fits easily; more is hostile. */
export const maxFileBytes = 4 * 1024 * 1024;

let buffer = Buffer.allocUnsafe(64 * 1024);

/** The shared buffer as readvSync takes it (kept in step with `buffer`). */
let whole = [buffer];

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
  const n = readSmallFileBytes(path);
  return n < 0 ? undefined : buffer.toString('latin1', 0, n);
}

/**
 * Read a small file into the shared buffer (sharedBytes()); returns the byte count, or -1 when
 * it does not exist. The bytes are valid until the next read of any file. Throws as readSmallFile.
 */
export function readSmallFileBytes(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if (isAbsent(e)) return -1;
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
        if (isAbsent(e)) return -1;
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
        whole = [buffer];
      }
    }
    return used;
  } finally {
    closeSync(fd);
  }
}

/** The buffer readSmallFileBytes fills (shared by every read: parse before reading again). */
export function sharedBytes(): Uint8Array {
  return buffer;
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
function preadAll(fd: number, dir: string, file: string): number {
  // The first read with readvSync (one preadv): readSync runs four argument validators, each
  // through Node's stack-hiding wrapper, which without V8's optimizing compilers (the agent's
  // default) allocates an array per call: ~0.75 MiB of a pass's garbage and ~0.2 µs per read
  // (1.2 -> 1.0 µs per kept-open file).
  // Positional: a kernel seq_file read at offset 0 regenerates its content, so a file kept
  // open reads fresh values every time, as an open/read/close would.
  return preadRest(fd, readvSync(fd, whole, 0), dir, file);
}

/**
 * Go on reading `fd` after a first read at offset 0 gave `first` bytes: a read shorter than
 * shortReadBytes is the whole file (the buffer is always larger).
 */
function preadRest(fd: number, first: number, dir: string, file: string): number {
  let used = first;
  if (used === 0 || (used < buffer.length && used < shortReadBytes)) return used;
  for (;;) {
    if (used === buffer.length) {
      if (buffer.length >= maxFileBytes) {
        throw new KubemeterError(ErrorCode.TooLarge, `${dir}/${file}: larger than ${maxFileBytes} bytes`, { source: `${dir}/${file}` });
      }
      const bigger = Buffer.allocUnsafe(buffer.length * 2);
      buffer.copy(bigger, 0, 0, used);
      buffer = bigger;
      whole = [buffer];
    }
    const wanted = buffer.length - used;
    const n = readSync(fd, buffer, used, wanted, used);
    if (n === 0) break;
    used += n;
    if (n < wanted && n < shortReadBytes) break;
  }
  return used;
}

/**
 * How many files to keep open: half the process's descriptor limit (Node raises the soft limit to
 * the hard one at start), at most 16,384, so sockets and other files always have room.
 */
export function defaultMaxOpen(limitsText: string | undefined = readSmallFile('/proc/self/limits')): number {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(limitsText ?? '');
  if (m === null) return 512;
  const soft = m[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(m[1]);
  return Math.max(0, Math.min(16_384, Math.floor(soft / 2)));
}

/** The kept-open files of one cgroup directory, by slot (a fixed index per file name chosen by the reader). */
export class FileGroup {
  /** The directory the file names are relative to. */
  readonly dir: string;
  /** The pass this group was last read in. */
  pass: number;
  /**
   * Per slot, the text a reader last parsed from that file and what it made of it, for files
   * that often read the same from one pass to the next (see the v2 reader's pressure files).
   * Dropped with the group, i.e. with its cgroup.
   */
  readonly lastText: (string | undefined)[] = [];
  /** What the reader made of `lastText` in the same slot. */
  readonly lastValue: unknown[] = [];
  private readonly fds: number[] = [];
  private readonly cache: OpenFileCache;

  constructor(cache: OpenFileCache, dir: string, pass: number) {
    this.cache = cache;
    this.dir = dir;
    this.pass = pass;
  }

  /** Read `<dir>/<file>` through the descriptor kept in `slot`; undefined when the file does not exist. */
  read(slot: number, file: string): string | undefined {
    const n = this.readBytes(slot, file);
    return n < 0 ? undefined : buffer.toString('latin1', 0, n);
  }

  /**
   * Read `<dir>/<file>` through the descriptor kept in `slot` into the shared buffer (bytes());
   * returns the byte count, or -1 when the file does not exist. The bytes are valid until the
   * next read of any file: parse them at once.
   */
  readBytes(slot: number, file: string): number {
    let fd = this.fds[slot] ?? -1;
    if (fd >= 0 && this.cache.checkLinks && !stillLinked(fd)) fd = this.drop(slot);
    if (fd >= 0) {
      try {
        // preadAll's first read without the call around it: nearly every cgroup file is read
        // whole by it, ~2,700 reads per pass run on V8's interpreter (~2% of a pass).
        const n = readvSync(fd, whole, 0);
        return n < shortReadBytes ? n : preadRest(fd, n, this.dir, file);
      } catch (e) {
        this.drop(slot);
        if (e instanceof KubemeterError) throw e;
        if (!isAbsent(e)) throw new KubemeterError(ErrorCode.InvalidFile, `${this.dir}/${file}: cannot read: ${(e as Error).message}`, { cause: e, source: `${this.dir}/${file}` });
        // Removed (ENODEV), perhaps created again under the same name: open it afresh.
      }
    }
    const path = `${this.dir}/${file}`;
    if (!this.cache.mayOpen()) return readSmallFileBytes(path);
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      if (isAbsent(e)) return -1;
      if (typeof e === 'object' && e !== null && 'code' in e && (e.code === 'EMFILE' || e.code === 'ENFILE')) {
        this.cache.exhausted();
        return readSmallFileBytes(path);
      }
      throw new KubemeterError(ErrorCode.InvalidFile, `${path}: cannot open: ${(e as Error).message}`, { cause: e, source: path });
    }
    this.fds[slot] = fd;
    this.cache.opened(1);
    try {
      return preadAll(fd, this.dir, file);
    } catch (e) {
      this.drop(slot);
      if (e instanceof KubemeterError) throw e;
      if (isAbsent(e)) return -1;
      throw new KubemeterError(ErrorCode.InvalidFile, `${path}: cannot read: ${(e as Error).message}`, { cause: e, source: path });
    }
  }

  /** The buffer the last readBytes filled (shared by every read: parse before reading again). */
  bytes(): Uint8Array {
    return buffer;
  }

  /** Close the descriptor in `slot`; returns -1. */
  private drop(slot: number): number {
    const fd = this.fds[slot] ?? -1;
    if (fd >= 0) {
      this.fds[slot] = -1;
      this.cache.opened(-1);
      try {
        closeSync(fd);
      } catch {
        // Already closed: nothing is held any more either way.
      }
    }
    return -1;
  }

  /** Close every descriptor. */
  closeAll(): void {
    for (let slot = 0; slot < this.fds.length; slot++) this.drop(slot);
  }
}

/** Close a group's files as its cgroup is forgotten. */
function closeGroup(g: FileGroup): void {
  g.closeAll();
}

/**
 * Cgroup files kept open from one housekeeping pass to the next and re-read at offset 0, grouped
 * by cgroup directory (one map lookup per cgroup, not per file: hashing a freshly built path per
 * file cost more than the read it saved). Opening and closing dominate the cost of reading a
 * small kernel file: measured on this project's 2-core machine (cgroup v1, 1,760 files of 440
 * cgroups), open+read+close took 20.7 ms of CPU per round and a positional read of the same files
 * kept open 5.7 ms. The price is kernel memory: each open cgroup file holds a page-sized seq_file
 * buffer, ~4.4 KiB per file (7.75 MiB for those 1,760), charged to the agent's own cgroup. Groups
 * not read during a pass are closed at its end, so the files of removed cgroups are released
 * within one pass; a read of a removed cgroup's file answers ENODEV and is retried once with a
 * fresh open (the cgroup may have been created again under the same name). At most `maxOpen`
 * files are kept (defaultMaxOpen); beyond that, and when the process runs out of descriptors, files are read with
 * open/read/close. On filesystems other than cgroupfs (fixture trees) a file deleted or replaced
 * since it was opened still reads its old content, so there `checkLinks` makes every read first
 * check that the file is still linked.
 */
export class OpenFileCache {
  /** Check that a kept file is still linked before each read (not needed on cgroupfs). */
  readonly checkLinks: boolean;
  private readonly groups = new Map<unknown, Map<string, FileGroup>>();
  private pass = 0;
  private readonly maxOpen: number;
  private openCount = 0;
  private outOfDescriptors = false;

  constructor(options: { maxOpen?: number; checkLinks?: boolean } = {}) {
    this.maxOpen = options.maxOpen ?? defaultMaxOpen();
    this.checkLinks = options.checkLinks ?? true;
  }

  /** Number of files held open. */
  get size(): number {
    return this.openCount;
  }

  /**
   * The group of cgroup `name` in hierarchy `space` (any object identifying it); `dirOf(space,
   * name)` makes its directory the first time (a plain function, not a closure per call). `name`
   * is the map key, so callers that keep their name strings from pass to pass pay no hashing.
   */
  group<S>(space: S, name: string, dirOf: (space: S, name: string) => string): FileGroup {
    let byName = this.groups.get(space);
    if (byName === undefined) this.groups.set(space, (byName = new Map()));
    let g = byName.get(name);
    if (g === undefined) byName.set(name, (g = new FileGroup(this, dirOf(space, name), this.pass)));
    else g.pass = this.pass;
    return g;
  }

  /** Read one file by path (kept open in a group of its own directory). Undefined when it does not exist. */
  read(path: string): string | undefined {
    const slash = path.lastIndexOf('/');
    const dir = path.slice(0, slash);
    return this.group('paths', path, () => dir).read(0, path.slice(slash + 1));
  }

  /** May another file be kept open? */
  mayOpen(): boolean {
    return !this.outOfDescriptors && this.openCount < this.maxOpen;
  }

  /** Count files opened (+) or closed (−). */
  opened(delta: number): void {
    this.openCount += delta;
  }

  /** The process ran out of descriptors: read with open/read/close until the pass ends. */
  exhausted(): void {
    this.outOfDescriptors = true;
  }

  /** End a pass: close every group that was not read during it. */
  endPass(): void {
    this.groups.forEach((byName) => dropUnstamped(byName, this.pass, closeGroup));
    this.pass++;
    this.outOfDescriptors = false;
  }

  /** Close every file. */
  close(): void {
    for (const byName of this.groups.values()) for (const g of byName.values()) g.closeAll();
    this.groups.clear();
  }
}
