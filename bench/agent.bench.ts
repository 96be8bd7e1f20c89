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
import { fork, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Collector } from '../src/agent/collector.ts';
import { createAgentHandler } from '../src/agent/http.ts';
import type { CgroupMounts } from '../src/cgroup/mounts.ts';
import { cgroupDir, readCgroupMounts } from '../src/cgroup/mounts.ts';
import { agentNodeEnv, agentNodeFlags } from '../src/cmd/agent-node-flags.ts';
import { OpenFileCache } from '../src/cgroup/read-file.ts';
import { createCgroupReader } from '../src/cgroup/reader.ts';
import { createCertificateAuthority, issueCertificate } from '../src/auth/x509-gen.ts';
import { startFixtureCri } from './cri-server.ts';
import { writeGeneratedHost } from '../test/support/agent-fixtures.ts';
import { imageEnv } from '../test/support/dockerfile.ts';
import { freePort } from '../test/support/free-port.ts';
import type { PassFigures, PassProbeRequest } from './agent-pass-probe.ts';
import { median, sink } from './measure.ts';
import type { BenchContext, BenchResult, BenchSuite } from './types.ts';

const benchDir = dirname(fileURLToPath(import.meta.url));

/** The pass measured in a process of its own under the Node options of one agent configuration (bench/agent-pass-probe.ts). */
async function probePass(ctx: BenchContext, label: string, request: PassProbeRequest): Promise<PassFigures> {
  // The default configuration runs with the re-execution's flags and environment from the first instruction, as the agent does.
  const child = fork(join(benchDir, 'agent-pass-probe.ts'), [JSON.stringify(request)], {
    execArgv: request.lowMemory ? [...agentNodeFlags] : [], env: request.lowMemory ? { ...process.env, ...agentNodeEnv } : process.env, stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const figures = await new Promise<PassFigures>((resolve, reject) => {
    child.once('message', (m) => resolve(m as PassFigures));
    child.once('exit', (c) => reject(new Error(`agent pass probe exited with ${c}`)));
  });
  await new Promise((r) => child.once('exit', r));
  ctx.log(`${label}${request.pressure ? ' (KubeletPSI)' : ''}, ${configuration(request.lowMemory)}: ${figures.pods} pods, ${figures.files} files${figures.pressureRead ? ' with pressure' : ''}; pass ${figures.passMs.toFixed(2)} ms CPU, floor ${figures.floorMs.toFixed(2)} ms (open/read/close floor ${figures.openFloorMs.toFixed(2)} ms); ${(figures.allocatedBytes / 1024).toFixed(0)} KiB allocated per pass`);
  return figures;
}

/** How a configuration is named in rows. */
function configuration(lowMemory: boolean): string {
  return lowMemory ? 'default (no optimizing compiler)' : '--low-memory=false (Maglev)';
}

function passResults(label: string, f: PassFigures, containers: number, lowMemory: boolean): BenchResult[] {
  const note = `${containers} app containers, ${f.files} files; floor ${f.floorMs.toFixed(2)} ms reads the same files kept open (one positional read each, as the pass) and lists the same directories without parsing; with an open/read/close per file it is ${f.openFloorMs.toFixed(2)} ms`;
  const pass: BenchResult = { name: `housekeeping pass, ${label}, ${configuration(lowMemory)}`, value: f.passMs, unit: 'ms CPU', ratio: { value: f.passMs / f.floorMs, against: 'read-only floor' }, note };
  if (!lowMemory) return [{ ...pass, note: `for comparison: the agent started with --low-memory=false; ${note}` }];
  return [
    { ...pass, target: '≤ 20 ms and ≤ 2× floor', met: f.passMs <= 20 && f.passMs / f.floorMs <= 2, note: `measured in a process started as the agent runs (node ${agentNodeFlags.join(' ')}); ${note}` },
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

async function summaryLatency(roots: { procRoot: string; sysRoot: string }, runs: number): Promise<{ renderMs: number; cachedMs: number }> {
  const collector = new Collector({
    reader: createCgroupReader(readCgroupMounts(roots), { files: new OpenFileCache({ checkLinks: false }) }), procRoot: roots.procRoot, nodeName: 'bench', cgroupRoot: '/', driver: 'cgroupfs',
    identity: [], standalone: undefined, fs: { rootDir: undefined, imageFsDir: undefined },
  });
  await collector.collectOnce();
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
    collector.close();
  }
  return { renderMs: median(render), cachedMs: median(cached) };
}

/**
 * The environment of the agent's container (the ENV of the Dockerfile's runtime stage, and a
 * PATH), which the measured processes run in rather than the benchmark's own: variables Node acts
 * on at start are the deployment's choice, not the benchmark machine's. (NODE_EXTRA_CA_CERTS, for
 * one, makes Node parse the named CA bundle at start: ~0.8 MiB of RSS for a 140-certificate one.)
 */
const containerEnv: Readonly<Record<string, string>> = { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', ...imageEnv() };

/** Compile the sources as the package ships them (dist/, with source maps), into a temporary directory. */
function buildDist(outDir: string): string {
  const tsc = new URL('../node_modules/.bin/tsc', import.meta.url).pathname;
  const project = new URL('../tsconfig.build.json', import.meta.url).pathname;
  // Type errors elsewhere in the tree do not stop the emit; the agent's files are checked by the gate.
  spawnSync(tsc, ['-p', project, '--outDir', outDir, '--declaration', 'false'], { stdio: 'ignore' });
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
    '--address=127.0.0.1', '--housekeeping-interval=100ms', '--standalone=false', '--root-dir', dir, '--log-level=error', ...extraArgs], { stdio: 'ignore', env: containerEnv });
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
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: 'ignore', env: containerEnv });
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

function rssResults(label: string, f: RssFigures, bare: { name: string; mib: number }, note: string, targeted: boolean): BenchResult[] {
  const target = (mib: number): Partial<BenchResult> => (targeted ? { target: '≤ 60 MiB', met: mib <= 60 } : {});
  return [
    { name: `agent RSS after the first pass, ${label}`, value: f.firstMiB, unit: 'MiB', ratio: { value: f.firstMiB / bare.mib, against: bare.name }, ...target(f.firstMiB), note },
    {
      name: `agent RSS after 100 passes, ${label}`, value: f.hundredMiB, unit: 'MiB', ratio: { value: f.hundredMiB / bare.mib, against: bare.name }, ...target(f.hundredMiB),
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
    'One housekeeping pass of `kubemeter agent` over 110 pods × 3 containers, in CPU milliseconds (median) in a process started with the agent\'s Node options (default configuration; `--low-memory=false` for comparison), next to a plain loop that only lists the same directories and reads the same files with one open/read/close each (the floor); `/stats/summary` latency for 110 pods right after a pass (rendered) and again (cached); resident memory of the compiled agent after its first pass and after 100 passes (read-only port; secure port with a CRI runtime answering over gRPC; each also with `--low-memory=false`, for comparison), next to bare Node HTTP and HTTPS servers on the same Node binary, with the CPU of the forced heap compactions that keep it there and the CPU of the whole agent process per pass (every thread: pass, compactions, V8\'s own collections, scrapes).',
  async run(ctx) {
    const pods = ctx.quick ? 5 : 110;
    const containers = ctx.quick ? 1 : 3;
    const runs = ctx.quick ? 3 : 15;
    const out: BenchResult[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'kubemeter-bench-agent-'));
    try {
      writeGeneratedHost(dir, pods, containers);
      const fixtureRoots = { procRoot: join(dir, 'proc'), sysRoot: join(dir, 'sys') };
      for (const lowMemory of [true, false]) {
        for (const pressure of [false, true]) {
          const figures = await probePass(ctx, 'fixture', { ...fixtureRoots, cgroupRoot: '/', runs, pressure, lowMemory });
          out.push(...passResults(`generated cgroup v2 tree, ${pods} pods${pressure ? ', KubeletPSI (pressure files read)' : ''}`, figures, pods * containers, lowMemory));
        }
      }
      const lat = await summaryLatency(fixtureRoots, ctx.quick ? 2 : 11);
      out.push({ name: `/stats/summary latency, ${pods} pods, rendered after a pass`, value: lat.renderMs, unit: 'ms', note: 'HTTP on 127.0.0.1, build + encode + transfer (in the benchmark\'s own process)' });
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
        out.push(...rssResults(`${pods} pods, read-only port`, readOnly, { name: 'bare Node HTTP server', mib: bare }, `compiled kubemeter agent, read-only port only, started as \`node dist/cmd/main.js agent\` (it re-executes itself once as node ${agentNodeFlags.join(' ')}: no optimizing compiler; with ${Object.entries(agentNodeEnv).map(([k, v]) => `${k}=${v}`).join(' ')})`, true));
        const readOnlyMaglev = await agentRss(main, dir, ['--port=0', '--low-memory=false'], ctx);
        out.push(...rssResults(`${pods} pods, read-only port, --low-memory=false`, readOnlyMaglev, { name: 'bare Node HTTP server', mib: bare }, 'for comparison: the same with --low-memory=false (no re-execution; TurboFan off at run time, Maglev on)', false));
        const ca = createCertificateAuthority({ commonName: 'bench-ca' });
        writeFileSync(join(dir, 'ca.crt'), ca.certPem);
        const socket = join(dir, 'cri.sock');
        const stopCri = await startFixtureCri(socket, pods, containers);
        try {
          const secureArgs = async (): Promise<string[]> => [`--port=${await freePort()}`, `--cert-dir=${join(dir, 'pki')}`, '--node-ip=127.0.0.1', `--client-ca-file=${join(dir, 'ca.crt')}`,
            '--authorization-mode=AlwaysAllow', `--container-runtime-endpoint=unix://${socket}`];
          const full = await agentRss(main, dir, await secureArgs(), ctx);
          out.push(...rssResults(`${pods} pods, secure port + CRI client`, full, { name: 'bare Node HTTPS server', mib: bareSecure },
            'HTTPS port (self-signed certificate, TLS/auth stack) and the CRI client (gRPC over node:http2), answered by a gRPC CRI server with the same pods; default configuration (no optimizing compiler)', true));
          const fullMaglev = await agentRss(main, dir, [...await secureArgs(), '--low-memory=false'], ctx);
          out.push(...rssResults(`${pods} pods, secure port + CRI client, --low-memory=false`, fullMaglev, { name: 'bare Node HTTPS server', mib: bareSecure },
            'for comparison: the same with --low-memory=false (Maglev on)', false));
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
        const psiNote = mounts.version === 'v1' ? ', KubeletPSI on (no pressure on v1)' : ', KubeletPSI';
        for (const lowMemory of [true, false]) {
          const real = await probePass(ctx, 'real', { procRoot: '/proc', sysRoot: '/sys', cgroupRoot: tree.root, runs, pressure: true, lowMemory });
          out.push(...passResults(`real cgroup ${mounts.version}${mounts.hybrid ? ' (hybrid)' : ''} tree, ${pods} pods${psiNote}`, real, pods * containers, lowMemory));
        }
      } finally {
        tree.cleanup();
      }
    } else {
      ctx.log('not root: the real-cgroup pass is skipped');
    }
    return out;
  },
};
