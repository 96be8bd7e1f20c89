/**
 * One housekeeping pass measured in a process of its own, started with the Node options the
 * agent runs under (the parent chooses them: the default configuration, without V8's optimizing
 * compilers, or `--low-memory=false`), so that the pass is measured as the agent runs it and not
 * as the benchmark's own process would run it. Reports over IPC (or prints) the pass's CPU per
 * run (median), the read-only floors next to it, and the heap bytes one pass allocates.
 *
 *   node [NODE OPTIONS] bench/agent-pass-probe.ts JSON
 *
 * JSON: { procRoot, sysRoot, cgroupRoot, runs, pressure, lowMemory }.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, readvSync } from 'node:fs';
import { join } from 'node:path';
import { GCProfiler, getHeapStatistics } from 'node:v8';
import { Collector } from '../src/agent/collector.ts';
import type { CgroupMounts } from '../src/cgroup/mounts.ts';
import { cgroupDir, readCgroupMounts } from '../src/cgroup/mounts.ts';
import { OpenFileCache } from '../src/cgroup/read-file.ts';
import { createCgroupReader } from '../src/cgroup/reader.ts';
import { tuneHeapForAgent } from '../src/cmd/agent.ts';
import { median, sink } from './measure.ts';

/** What the parent asks for. */
export interface PassProbeRequest {
  procRoot: string;
  sysRoot: string;
  /** `--cgroup-root`: parent of `kubepods`. */
  cgroupRoot: string;
  runs: number;
  /** Feature gate KubeletPSI. */
  pressure: boolean;
  /** The agent's run-time V8 settings for this configuration (tuneHeapForAgent's argument). */
  lowMemory: boolean;
}

/** What the probe reports. */
export interface PassFigures {
  passMs: number;
  /** Reading the same files kept open (a positional read each with the pass's call, readvSync) and listing the same directories. */
  floorMs: number;
  /** Reading the same files with open/read/close each (the pass before files were kept open). */
  openFloorMs: number;
  files: number;
  /** V8 heap bytes one pass allocates (median). */
  allocatedBytes: number;
  pods: number;
  /** Whether pressure files were read (KubeletPSI on a v2 host with PSI). */
  pressureRead: boolean;
}

const buffer = Buffer.allocUnsafe(64 * 1024);
const buffers = [buffer];

/** The open/read/close floor: read a file the cheapest way a fresh open allows (open, one read, close). */
function rawRead(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return 0;
  }
  try {
    return readSync(fd, buffer, 0, buffer.length, 0);
  } finally {
    closeSync(fd);
  }
}

function cpuMs(fn: () => void): number {
  const c0 = process.cpuUsage();
  fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

async function cpuMsAsync(fn: () => Promise<unknown>): Promise<number> {
  const c0 = process.cpuUsage();
  await fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

/**
 * Bytes `fn` allocates on the V8 heap: the growth of the used heap plus what the collections
 * that ran meanwhile freed (each one's used size before minus after). Garbage is what the agent's
 * heap compactor and V8's own collections pay for after every pass.
 */
async function allocatedBytes(fn: () => Promise<unknown>): Promise<number> {
  const profiler = new GCProfiler();
  const before = getHeapStatistics().used_heap_size;
  profiler.start();
  await fn();
  const gcs = profiler.stop();
  const after = getHeapStatistics().used_heap_size;
  let freed = 0;
  for (const s of gcs?.statistics ?? []) freed += s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize;
  return after - before + freed;
}

/** Every file and directory a pass touches, as plain paths (mirrors the readers), with the pressure files when `pressure`. */
function passFiles(mounts: CgroupMounts, procRoot: string, kubepods: string, pods: { path: string; containers: string[]; sandbox: string | undefined; netPid: number | undefined }[], pressure: boolean): { files: string[]; dirs: string[] } {
  // Without swap (SwapTotal 0) the pass does not read v2 memory.swap.current: neither does the floor.
  const swap = !/^SwapTotal:\s+0 kB$/m.test(readFileSync(join(procRoot, 'meminfo'), 'latin1'));
  const statFiles = mounts.version === 'v2'
    ? ['cpu.stat', 'memory.stat', 'memory.current', 'memory.max', ...(swap ? ['memory.swap.current'] : []), 'memory.swap.max']
    : ['cpuacct.usage', 'memory.stat', 'memory.usage_in_bytes', 'memory.limit_in_bytes', 'memory.memsw.limit_in_bytes'];
  const dirsOf = (name: string): { cpu: string; mem: string } => {
    if (mounts.version === 'v2') return { cpu: cgroupDir(mounts.unified!, name), mem: cgroupDir(mounts.unified!, name) };
    return { cpu: cgroupDir(mounts.controllers.cpuacct!, name), mem: cgroupDir(mounts.controllers.memory!, name) };
  };
  const files: string[] = [];
  const stats = (name: string): void => {
    const d = dirsOf(name);
    // The readers skip the other memory files of a cgroup without memory.stat: so does the floor.
    const withMemory = existsSync(`${d.mem}/memory.stat`);
    if (!withMemory) files.push(`${d.cpu}/${statFiles[0]!}`, `${d.mem}/memory.stat`);
    else for (const f of statFiles) files.push(`${f.startsWith('cpu') ? d.cpu : d.mem}/${f}`);
    if (pressure) files.push(...['cpu.pressure', ...(withMemory ? ['memory.pressure'] : []), 'io.pressure'].map((f) => `${d.cpu}/${f}`));
  };
  const dirs = [dirsOf(kubepods).cpu, dirsOf(`${kubepods}/burstable`).cpu];
  stats('/');
  stats(kubepods);
  for (const p of pods) {
    dirs.push(dirsOf(p.path).cpu);
    stats(p.path);
    for (const c of p.containers) {
      files.push(`${dirsOf(c).cpu}/cgroup.procs`);
      stats(c);
    }
    if (p.sandbox !== undefined) files.push(`${dirsOf(p.sandbox).cpu}/cgroup.procs`);
    if (p.netPid !== undefined) files.push(join(procRoot, String(p.netPid), 'net', 'dev'));
  }
  for (const f of ['meminfo', 'loadavg', 'sys/kernel/pid_max', 'sys/kernel/threads-max', '1/net/dev', 'stat']) files.push(join(procRoot, f));
  return { files, dirs };
}

/** Files read by the pass itself through a kept-open descriptor: the cgroup files. /proc files are opened per read in the pass too. */
function isCgroupFile(path: string, procRoot: string): boolean {
  return !path.startsWith(procRoot + '/');
}

/** Measure the pass and its floors as `request` says. */
export async function measurePass(request: PassProbeRequest): Promise<PassFigures> {
  const { procRoot, sysRoot, cgroupRoot, runs, pressure } = request;
  const mounts = readCgroupMounts({ procRoot, sysRoot });
  // The generated tree stands in for cgroupfs, where a removed cgroup's kept-open files answer
  // ENODEV: the agent checks that kept files are still linked only on other filesystems (fixture
  // trees replaced by tests), and nothing is replaced here, so the pass is measured as on cgroupfs.
  const fileCache = new OpenFileCache({ checkLinks: false });
  const collector = new Collector({
    reader: createCgroupReader(mounts, { files: fileCache }), procRoot, nodeName: 'bench', cgroupRoot, driver: 'cgroupfs', identity: [], standalone: undefined,
    fs: { rootDir: undefined, imageFsDir: undefined }, pressure,
  });
  try {
    const first = await collector.collectOnce();
    const kubepods = cgroupRoot === '/' ? '/kubepods' : `${cgroupRoot}/kubepods`;
    const walk = mounts.version === 'v2' ? mounts.unified! : mounts.controllers.cpuacct!;
    const pods = first.pods.map((p) => ({
      path: `${kubepods}/burstable/pod${p.uid}`,
      containers: p.containers.map((c) => c.reading.path),
      sandbox: undefined as string | undefined,
      netPid: undefined as number | undefined,
    }));
    for (const p of pods) {
      const sandbox = readdirSync(cgroupDir(walk, p.path)).find((n) => n.startsWith('ffff'));
      if (sandbox !== undefined) p.sandbox = `${p.path}/${sandbox}`;
      // The pass reads the pod network from the sandbox's first process.
      const procs = p.sandbox === undefined ? [] : readFileSync(`${cgroupDir(walk, p.sandbox)}/cgroup.procs`, 'latin1').split('\n').filter((x) => x !== '');
      if (procs[0] !== undefined) p.netPid = Number(procs[0]);
    }
    const pressureRead = first.node.root?.pressure !== undefined;
    const { files, dirs } = passFiles(mounts, procRoot, kubepods, pods, pressureRead);
    const held = new Map<string, number>();
    for (const f of files) {
      if (!isCgroupFile(f, procRoot)) continue;
      try {
        held.set(f, openSync(f, 'r'));
      } catch {
        // Absent (no swap file, for instance): the pass's open fails the same way once.
      }
    }
    const passes: number[] = [];
    const floors: number[] = [];
    const openFloors: number[] = [];
    try {
      for (let i = 0; i < runs; i++) {
        passes.push(await cpuMsAsync(() => collector.collectOnce()));
        floors.push(cpuMs(() => {
          let n = 0;
          for (const d of dirs) n += readdirSync(d).length;
          for (const f of files) {
            const fd = held.get(f);
            // The pass's own read call for kept-open files (src/cgroup/read-file.ts): one preadv.
            n += fd === undefined ? rawRead(f) : readvSync(fd, buffers, 0);
          }
          sink.value = n;
        }));
        openFloors.push(cpuMs(() => {
          let n = 0;
          for (const d of dirs) n += readdirSync(d).length;
          for (const f of files) n += rawRead(f);
          sink.value = n;
        }));
      }
    } finally {
      for (const fd of held.values()) closeSync(fd);
    }
    // Measured apart from the CPU runs: the GC profiler has a cost of its own.
    const allocated: number[] = [];
    for (let i = 0; i < Math.min(runs, 7); i++) allocated.push(await allocatedBytes(() => collector.collectOnce()));
    return { passMs: median(passes), floorMs: median(floors), openFloorMs: median(openFloors), files: files.length, allocatedBytes: median(allocated), pods: first.pods.length, pressureRead };
  } finally {
    collector.close();
  }
}

if (process.argv[2] !== undefined) {
  const request = JSON.parse(process.argv[2]) as PassProbeRequest;
  // The agent's run-time V8 settings (its heap compactor is not run: the pass is measured alone).
  tuneHeapForAgent(request.lowMemory);
  const figures = await measurePass(request);
  if (process.send !== undefined) process.send(figures);
  else console.log(JSON.stringify(figures));
}
