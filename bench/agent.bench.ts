/**
 * The agent's housekeeping cost: one pass over 110 pods × 3 containers (a generated cgroup v2
 * fixture tree, and real cgroups on this machine when run as root) in CPU milliseconds, next to
 * the floor — a plain loop that only reads the same files and lists the same directories, the
 * least any collector must pay — as a ratio; `/stats/summary` latency for 110 pods (right after a
 * pass, when it is rendered, and cached); and the resident memory of a running `kubemeter agent`
 * after its first pass and after 100 (read-only port; secure port with a CRI runtime answering),
 * next to bare Node HTTP and HTTPS servers, with the CPU its forced heap compactions cost and the
 * CPU of the whole process per pass (every thread, every collection included).
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GCProfiler, getHeapStatistics } from 'node:v8';
import { Collector } from '../src/agent/collector.ts';
import { createAgentHandler } from '../src/agent/http.ts';
import type { CgroupMounts } from '../src/cgroup/mounts.ts';
import { cgroupDir, readCgroupMounts } from '../src/cgroup/mounts.ts';
import { OpenFileCache } from '../src/cgroup/read-file.ts';
import { createCgroupReader } from '../src/cgroup/reader.ts';
import { createCertificateAuthority, issueCertificate } from '../src/auth/x509-gen.ts';
import { startFixtureCri } from './cri-server.ts';
import { writeGeneratedHost } from '../test/support/agent-fixtures.ts';
import { freePort } from '../test/support/free-port.ts';
import { median, sink } from './measure.ts';
import type { BenchContext, BenchResult, BenchSuite } from './types.ts';

const buffer = Buffer.allocUnsafe(64 * 1024);

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

async function cpuMsAsync(fn: () => Promise<unknown>): Promise<number> {
  const c0 = process.cpuUsage();
  await fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
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

interface PassFigures {
  passMs: number;
  /** Reading the same files kept open (a positional read each, as the pass does) and listing the same directories. */
  floorMs: number;
  /** Reading the same files with open/read/close each (the pass before files were kept open). */
  openFloorMs: number;
  files: number;
  /** V8 heap bytes one pass allocates (median). */
  allocatedBytes: number;
}

/** Files read by the pass itself through a kept-open descriptor: the cgroup files. /proc files are opened per read in the pass too. */
function isCgroupFile(path: string, procRoot: string): boolean {
  return !path.startsWith(procRoot + '/');
}

async function measurePass(ctx: BenchContext, label: string, roots: { procRoot: string; sysRoot: string }, cgroupRoot: string, runs: number, pressure: boolean): Promise<{ figures: PassFigures; collector: Collector }> {
  const mounts = readCgroupMounts(roots);
  // The generated tree stands in for cgroupfs, where a removed cgroup's kept-open files answer
  // ENODEV: the agent checks that kept files are still linked only on other filesystems (fixture
  // trees replaced by tests), and nothing is replaced here, so the pass is measured as on cgroupfs.
  const fileCache = new OpenFileCache({ checkLinks: false });
  const collector = new Collector({
    reader: createCgroupReader(mounts, { files: fileCache }), procRoot: roots.procRoot, nodeName: 'bench', cgroupRoot, driver: 'cgroupfs', identity: [], standalone: undefined,
    fs: { rootDir: undefined, imageFsDir: undefined }, pressure,
  });
  const first = await collector.collectOnce();
  const kubepods = cgroupRoot === '/' ? '/kubepods' : `${cgroupRoot}/kubepods`;
  const pods = first.pods.map((p) => ({
    path: `${kubepods}/burstable/pod${p.uid}`,
    containers: p.containers.map((c) => c.reading.path),
    sandbox: undefined as string | undefined,
    netPid: undefined as number | undefined,
  }));
  for (const p of pods) {
    const sandbox = readdirSync(cgroupDir(mounts.version === 'v2' ? mounts.unified! : mounts.controllers.cpuacct!, p.path)).find((n) => n.startsWith('ffff'));
    if (sandbox !== undefined) p.sandbox = `${p.path}/${sandbox}`;
    // The pass reads the pod network from the sandbox's first process.
    const procs = p.sandbox === undefined ? [] : readFileSync(`${cgroupDir(mounts.version === 'v2' ? mounts.unified! : mounts.controllers.cpuacct!, p.sandbox)}/cgroup.procs`, 'latin1').split('\n').filter((x) => x !== '');
    if (procs[0] !== undefined) p.netPid = Number(procs[0]);
  }
  const pressureRead = first.node.root?.pressure !== undefined;
  const { files, dirs } = passFiles(mounts, roots.procRoot, kubepods, pods, pressureRead);
  const held = new Map<string, number>();
  for (const f of files) {
    if (!isCgroupFile(f, roots.procRoot)) continue;
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
          n += fd === undefined ? rawRead(f) : readSync(fd, buffer, 0, buffer.length, 0);
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
  const figures = { passMs: median(passes), floorMs: median(floors), openFloorMs: median(openFloors), files: files.length, allocatedBytes: median(allocated) };
  ctx.log(`${label}${pressure ? ' (KubeletPSI)' : ''}: ${first.pods.length} pods, ${files.length} files${pressureRead ? ' with pressure' : ''}; pass ${figures.passMs.toFixed(2)} ms CPU, floor ${figures.floorMs.toFixed(2)} ms (open/read/close floor ${figures.openFloorMs.toFixed(2)} ms); ${(figures.allocatedBytes / 1024).toFixed(0)} KiB allocated per pass`);
  return { figures, collector };
}

function passResults(label: string, f: PassFigures, containers: number): BenchResult[] {
  return [
    {
      name: `housekeeping pass, ${label}`,
      value: f.passMs,
      unit: 'ms CPU',
      ratio: { value: f.passMs / f.floorMs, against: 'read-only floor' },
      target: '≤ 20 ms and ≤ 2× floor',
      met: f.passMs <= 20 && f.passMs / f.floorMs <= 2,
      note: `${containers} app containers, ${f.files} files; floor ${f.floorMs.toFixed(2)} ms reads the same files kept open (one positional read each, as the pass) and lists the same directories without parsing; with an open/read/close per file it is ${f.openFloorMs.toFixed(2)} ms`,
    },
    {
      name: `heap allocated per housekeeping pass, ${label}`,
      value: Math.round(f.allocatedBytes / 1024),
      unit: 'KiB',
      note: 'V8 heap bytes one pass allocates (used-heap growth plus what collections during the pass freed, by v8.GCProfiler): the published sample (readings are fresh objects each pass, as handlers may still be serving the previous one) and the pass\'s garbage',
    },
  ];
}

/** Create a real kubepods tree (no processes) under a unique root; returns the root and a cleanup. */
function realTree(mounts: CgroupMounts, pods: number, containers: number): { root: string; cleanup: () => void } {
  const root = `/kubemeter-bench-${process.pid}`;
  const bases = mounts.version === 'v2' ? [mounts.unified!] : [mounts.controllers.cpu, mounts.controllers.cpuacct, mounts.controllers.memory].filter((m) => m !== undefined);
  const made: string[] = [];
  const mk = (name: string): void => {
    for (const b of new Set(bases.map((m) => cgroupDir(m, name)))) {
      mkdirSync(b);
      made.push(b);
    }
  };
  const cleanup = (): void => {
    for (const d of [...made].reverse()) if (existsSync(d)) rmdirSync(d);
  };
  try {
    mk(root);
    mk(`${root}/kubepods`);
    mk(`${root}/kubepods/burstable`);
    for (let p = 0; p < pods; p++) {
      const pod = `${root}/kubepods/burstable/pod00000000-0000-4000-8000-${p.toString(16).padStart(12, '0')}`;
      mk(pod);
      for (let c = 0; c < containers; c++) mk(`${pod}/${c.toString(16).padStart(8, '0')}${'e'.repeat(48)}${p.toString(16).padStart(8, '0')}`);
    }
  } catch (e) {
    cleanup();
    throw e;
  }
  return { root, cleanup };
}

async function summaryLatency(collector: Collector, runs: number): Promise<{ renderMs: number; cachedMs: number }> {
  const server = createServer(createAgentHandler({ source: collector }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/stats/summary`;
  const render: number[] = [];
  const cached: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      await collector.collectOnce();
      let t0 = performance.now();
      sink.value = await (await fetch(url)).text();
      render.push(performance.now() - t0);
      t0 = performance.now();
      sink.value = await (await fetch(url)).text();
      cached.push(performance.now() - t0);
    }
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
  return { renderMs: median(render), cachedMs: median(cached) };
}

/** Compile the sources as the package ships them (dist/), into a temporary directory. */
function buildDist(outDir: string): string {
  const tsc = new URL('../node_modules/.bin/tsc', import.meta.url).pathname;
  const project = new URL('../tsconfig.build.json', import.meta.url).pathname;
  // Type errors elsewhere in the tree do not stop the emit; the agent's files are checked by the gate.
  spawnSync(tsc, ['-p', project, '--outDir', outDir, '--declaration', 'false', '--sourceMap', 'false'], { stdio: 'ignore' });
  return join(outDir, 'cmd/main.js');
}


interface RssFigures {
  /** RSS right after the first pass, MiB. */
  firstMiB: number;
  /** RSS after 100 passes with scrapes in between, MiB. */
  hundredMiB: number;
  /** Housekeeping CPU per pass in the running agent, ms. */
  passCpuMs: number;
  /** Heap compaction CPU per pass (all compactions / passes), ms. */
  compactionCpuMs: number;
  /** Passes after which the heap was compacted. */
  compactions: number;
  passes: number;
  /** CPU of the whole agent process (every thread: passes, scrapes, V8's own and forced collections) per pass from the first pass to the last, ms. */
  processCpuMs: number;
  /** The last RSS split into file-backed pages (mostly the node binary's code and data) and anonymous memory, MiB. */
  fileMiB: number;
  anonMiB: number;
}

/** CPU (user+system, all threads) of process `pid` so far, ms, and its RSS split, from /proc. */
function procFigures(pid: number): { cpuMs: number; fileMiB: number; anonMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticksPerSecond = 100; // USER_HZ on Linux
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { cpuMs: ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond, fileMiB: kib('RssFile') / 1024, anonMiB: kib('RssAnon') / 1024 };
}

/**
 * RSS of a real `kubemeter agent` process serving the fixture host: right after its first pass,
 * and after 100 passes (every 100 ms) with /stats/summary and /metrics/resource scraped between
 * them, as read from its own /metrics.
 */
async function agentRss(main: string, dir: string, extraArgs: string[], ctx: BenchContext): Promise<RssFigures> {
  const port = await freePort();
  const child = spawn(process.execPath, [main, 'agent', '--proc-root', join(dir, 'proc'), '--sys-root', join(dir, 'sys'), '--read-only-port', String(port),
    '--address=127.0.0.1', '--housekeeping-interval=100ms', '--standalone=false', '--root-dir', dir, '--log-level=error', ...extraArgs], { stdio: 'ignore' });
  const base = `http://127.0.0.1:${port}`;
  const own = async (): Promise<{ passes: number; rssMiB: number; passCpuS: number; compactions: number; compactionCpuS: number }> => {
    const text = await (await fetch(`${base}/metrics`)).text();
    const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
    return {
      passes: value('kubemeter_agent_housekeeping_passes_total'),
      rssMiB: value('process_resident_memory_bytes') / 2 ** 20,
      passCpuS: value('kubemeter_agent_housekeeping_cpu_seconds_total'),
      compactions: value('kubemeter_agent_heap_compactions_total'),
      compactionCpuS: value('kubemeter_agent_heap_compaction_cpu_seconds_total'),
    };
  };
  try {
    for (let i = 0; i < 400; i++) {
      if (await fetch(`${base}/healthz`).then((r) => r.ok, () => false)) break;
      await sleep(25);
    }
    const first = await own();
    const firstProc = procFigures(child.pid!);
    let now = first;
    for (let i = 0; now.passes < 100 && i < 1000; i++) {
      sink.value = await (await fetch(`${base}/stats/summary`)).text();
      sink.value = await (await fetch(`${base}/metrics/resource`)).text();
      await sleep(200);
      now = await own();
    }
    const lastProc = procFigures(child.pid!);
    const processCpuMs = (lastProc.cpuMs - firstProc.cpuMs) / Math.max(1, now.passes - first.passes);
    ctx.log(`agent RSS ${first.rssMiB.toFixed(1)} MiB after pass ${first.passes}, ${now.rssMiB.toFixed(1)} MiB after ${now.passes} (${lastProc.fileMiB.toFixed(1)} file-backed, ${lastProc.anonMiB.toFixed(1)} anonymous); ${now.compactions} heap compactions; process CPU ${processCpuMs.toFixed(1)} ms per pass (${extraArgs.join(' ')})`);
    return {
      firstMiB: first.rssMiB, hundredMiB: now.rssMiB, passes: now.passes, compactions: now.compactions,
      passCpuMs: (now.passCpuS / now.passes) * 1000, compactionCpuMs: (now.compactionCpuS / now.passes) * 1000,
      processCpuMs, fileMiB: lastProc.fileMiB, anonMiB: lastProc.anonMiB,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

/**
 * Run `code` (a server answering every request with its own RSS in bytes) in a child process of
 * the same Node binary, wait until `get` gets an answer, and return the RSS after 40 requests.
 */
async function bareProcessRss(code: string, get: () => Promise<string | undefined>): Promise<number> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: 'ignore' });
  try {
    let rss = Number.NaN;
    for (let i = 0; i < 400; i++) {
      if (await get() !== undefined) {
        for (let j = 0; j < 40; j++) rss = Number(await get());
        break;
      }
      await sleep(25);
    }
    return rss / 2 ** 20;
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

/** RSS of a bare Node HTTP server after 40 requests: the floor any Node agent starts from on this machine. */
async function bareServerRss(): Promise<number> {
  const port = await freePort();
  const code = `const s = process.getBuiltinModule('node:http').createServer((q, r) => r.end(String(process.memoryUsage().rss))); s.listen(${port}, '127.0.0.1');`;
  return bareProcessRss(code, () => fetch(`http://127.0.0.1:${port}/`).then((x) => x.text(), () => undefined));
}

/**
 * RSS of a bare Node HTTPS server (HTTP/2 with HTTP/1.1, client certificates requested, as the
 * agent's secure port) after 40 requests: the floor of any Node process serving TLS here.
 */
async function bareSecureServerRss(dir: string): Promise<number> {
  const ca = createCertificateAuthority({ commonName: 'bench-bare-ca' });
  const leaf = issueCertificate(ca, { commonName: 'bench-bare', usage: 'server', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  writeFileSync(join(dir, 'bare.key'), leaf.keyPem);
  writeFileSync(join(dir, 'bare.crt'), leaf.certPem);
  writeFileSync(join(dir, 'bare-ca.crt'), ca.certPem);
  const port = await freePort();
  const file = (name: string): string => `fs.readFileSync(${JSON.stringify(join(dir, name))})`;
  const code = `const fs = process.getBuiltinModule('node:fs');
    const s = process.getBuiltinModule('node:http2').createSecureServer({ key: ${file('bare.key')}, cert: ${file('bare.crt')}, ca: ${file('bare-ca.crt')}, requestCert: true, rejectUnauthorized: false, allowHTTP1: true },
      (q, r) => r.end(String(process.memoryUsage().rss)));
    s.listen(${port}, '127.0.0.1');`;
  const https = process.getBuiltinModule('node:https');
  return bareProcessRss(code, () => new Promise((resolve) => {
    https.get({ host: '127.0.0.1', port, rejectUnauthorized: false, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    }).once('error', () => resolve(undefined));
  }));
}

function rssResults(label: string, f: RssFigures, bare: { name: string; mib: number }, note: string): BenchResult[] {
  return [
    { name: `agent RSS after the first pass, ${label}`, value: f.firstMiB, unit: 'MiB', ratio: { value: f.firstMiB / bare.mib, against: bare.name }, target: '≤ 60 MiB', met: f.firstMiB <= 60, note },
    {
      name: `agent RSS after 100 passes, ${label}`, value: f.hundredMiB, unit: 'MiB', ratio: { value: f.hundredMiB / bare.mib, against: bare.name }, target: '≤ 60 MiB', met: f.hundredMiB <= 60,
      note: `passes every 100 ms, /stats/summary and /metrics/resource scraped between them; ${f.fileMiB.toFixed(1)} MiB file-backed (the node binary's pages), ${f.anonMiB.toFixed(1)} MiB anonymous (heap, malloc, stacks)`,
    },
    {
      name: `heap compaction CPU per pass, ${label}`, value: f.compactionCpuMs, unit: 'ms CPU', ratio: { value: f.compactionCpuMs / f.passCpuMs, against: 'the pass in the same agent' },
      note: `${f.compactions} forced compactions after ${f.passes} passes (pass ${f.passCpuMs.toFixed(1)} ms CPU there), as the agent's /metrics counts them: the price of the RSS above, not part of the pass figures`,
    },
    {
      name: `agent process CPU per pass, ${label}`, value: f.processCpuMs, unit: 'ms CPU', ratio: { value: f.processCpuMs / f.passCpuMs, against: 'the pass in the same agent' },
      note: 'every thread of the agent from its first pass to its last, divided by the passes: the pass, its forced compaction, V8\'s own collections and the scrapes between passes',
    },
  ];
}

/** The suite. */
export const suite: BenchSuite = {
  name: 'agent',
  title: 'Agent housekeeping',
  description:
    'One housekeeping pass of `kubemeter agent` over 110 pods × 3 containers, in CPU milliseconds (median), next to a plain loop that only lists the same directories and reads the same files with one open/read/close each (the floor); `/stats/summary` latency for 110 pods right after a pass (rendered) and again (cached); resident memory of the compiled agent after its first pass and after 100 passes (read-only port; secure port with a CRI runtime answering over gRPC; each also with `--low-memory`), next to bare Node HTTP and HTTPS servers on the same Node binary, with the CPU of the forced heap compactions that keep it there and the CPU of the whole agent process per pass (every thread: pass, compactions, V8\'s own collections, scrapes).',
  async run(ctx) {
    const pods = ctx.quick ? 5 : 110;
    const containers = ctx.quick ? 1 : 3;
    const runs = ctx.quick ? 3 : 15;
    const out: BenchResult[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'kubemeter-bench-agent-'));
    try {
      writeGeneratedHost(dir, pods, containers);
      const fixtureRoots = { procRoot: join(dir, 'proc'), sysRoot: join(dir, 'sys') };
      const fixture = await measurePass(ctx, 'fixture', fixtureRoots, '/', runs, false);
      out.push(...passResults(`generated cgroup v2 tree, ${pods} pods`, fixture.figures, pods * containers));
      const fixturePsi = await measurePass(ctx, 'fixture', fixtureRoots, '/', runs, true);
      fixturePsi.collector.close();
      out.push(...passResults(`generated cgroup v2 tree, ${pods} pods, KubeletPSI (pressure files read)`, fixturePsi.figures, pods * containers));
      const lat = await summaryLatency(fixture.collector, ctx.quick ? 2 : 11);
      out.push({ name: `/stats/summary latency, ${pods} pods, rendered after a pass`, value: lat.renderMs, unit: 'ms', note: 'HTTP on 127.0.0.1, build + encode + transfer' });
      out.push({ name: `/stats/summary latency, ${pods} pods, cached`, value: lat.cachedMs, unit: 'ms' });
      if (!ctx.quick) {
        // Inside the repository so that the compiled modules resolve node_modules; removed below.
        const distDir = new URL(`../node_modules/.cache/kubemeter-bench-dist-${process.pid}`, import.meta.url).pathname;
        const main = buildDist(distDir);
        try {
        const bare = await bareServerRss();
        out.push({ name: 'bare Node HTTP server RSS (baseline)', value: bare, unit: 'MiB', note: 'the same Node binary serving 40 requests: what any Node process with an HTTP port costs on this machine' });
        const bareSecure = await bareSecureServerRss(dir);
        out.push({ name: 'bare Node HTTPS server RSS (baseline)', value: bareSecure, unit: 'MiB', note: 'HTTP/2 and HTTP/1.1 over TLS, client certificates requested, 40 requests: the floor of any Node process with the secure port' });
        const readOnly = await agentRss(main, dir, ['--port=0'], ctx);
        out.push(...rssResults(`${pods} pods, read-only port`, readOnly, { name: 'bare Node HTTP server', mib: bare }, 'compiled kubemeter agent, read-only port only, started as `node dist/cmd/main.js agent` (TurboFan off at run time, Maglev on)'));
        const readOnlyLow = await agentRss(main, dir, ['--port=0', '--low-memory'], ctx);
        out.push(...rssResults(`${pods} pods, read-only port, --low-memory`, readOnlyLow, { name: 'bare Node HTTP server', mib: bare }, 'the same with --low-memory: it re-executes itself once with --no-opt --no-maglev, so no optimizing compiler runs and a pass costs more CPU (see its rows)'));
        const ca = createCertificateAuthority({ commonName: 'bench-ca' });
        writeFileSync(join(dir, 'ca.crt'), ca.certPem);
        const socket = join(dir, 'cri.sock');
        const stopCri = await startFixtureCri(socket, pods, containers);
        try {
          const secureArgs = async (): Promise<string[]> => [`--port=${await freePort()}`, `--cert-dir=${join(dir, 'pki')}`, '--node-ip=127.0.0.1', `--client-ca-file=${join(dir, 'ca.crt')}`,
            '--authorization-mode=AlwaysAllow', `--container-runtime-endpoint=unix://${socket}`];
          const full = await agentRss(main, dir, await secureArgs(), ctx);
          out.push(...rssResults(`${pods} pods, secure port + CRI client`, full, { name: 'bare Node HTTPS server', mib: bareSecure },
            'HTTPS port (self-signed certificate, TLS/auth stack) and the CRI client (gRPC over node:http2), answered by a gRPC CRI server with the same pods'));
          const fullLow = await agentRss(main, dir, [...await secureArgs(), '--low-memory'], ctx);
          out.push(...rssResults(`${pods} pods, secure port + CRI client, --low-memory`, fullLow, { name: 'bare Node HTTPS server', mib: bareSecure },
            'the same with --low-memory (no optimizing compiler)'));
        } finally {
          stopCri();
        }
        } finally {
          rmSync(distDir, { recursive: true, force: true });
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    if (process.getuid?.() === 0) {
      const mounts = readCgroupMounts({ procRoot: '/proc', sysRoot: '/sys' });
      const tree = realTree(mounts, pods, containers);
      try {
        const real = await measurePass(ctx, 'real', { procRoot: '/proc', sysRoot: '/sys' }, tree.root, runs, true);
        real.collector.close();
        const psiNote = mounts.version === 'v1' ? ', KubeletPSI on (no pressure on v1)' : ', KubeletPSI';
        out.push(...passResults(`real cgroup ${mounts.version}${mounts.hybrid ? ' (hybrid)' : ''} tree, ${pods} pods${psiNote}`, real.figures, pods * containers));
      } finally {
        tree.cleanup();
      }
    } else {
      ctx.log('not root: the real-cgroup pass is skipped');
    }
    return out;
  },
};
