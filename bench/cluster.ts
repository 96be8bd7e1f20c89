/**
 * Benchmark plumbing: simulated kubelets in their own processes (`kubemeter simulate`, sharded so
 * no process passes the open-file limit), the real `kubemeter server` in another child process
 * (bench/server-harness.ts) whose CPU and memory are read from inside it, and a client
 * certificate in system:masters to read the metrics API.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCertificateAuthority, issueCertificate } from '../src/auth/x509-gen.ts';
import { freePort } from '../test/support/free-port.ts';
import { serverNodeFlags } from '../src/server/heap-tuning.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const main = join(repo, 'src', 'cmd', 'main.ts');

/** A node as written in the nodes file. */
export interface FileNode {
  name: string;
  address: string;
  port: number;
  labels: Record<string, string>;
}

/** A scratch directory removed by `cleanup`. */
export function scratch(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-bench-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function waitFor(what: string, check: () => boolean, timeoutMs: number, child?: ChildProcess): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const start = Date.now();
    const poll = (): void => {
      if (check()) return resolvePromise();
      if (child !== undefined && child.exitCode !== null) return reject(new Error(`${what}: process exited with ${child.exitCode}`));
      if (Date.now() - start > timeoutMs) return reject(new Error(`${what}: not ready after ${timeoutMs} ms`));
      setTimeout(poll, 100);
    };
    poll();
  });
}

function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  return new Promise((resolvePromise) => {
    const kill = setTimeout(() => c.kill('SIGKILL'), 10_000);
    c.once('exit', () => {
      clearTimeout(kill);
      resolvePromise();
    });
    c.kill('SIGTERM');
  });
}

/** Simulated kubelets running in child processes. */
export interface SimCluster {
  nodesFile: string;
  nodes: FileNode[];
  stop(): Promise<void>;
}

/** Options of startSimCluster. */
export interface SimClusterOptions {
  dir: string;
  nodes: number;
  podsPerNode: number;
  containersPerPod: number;
  faults?: string;
  addressBase: string;
  /** Upper bound of the run (the simulators stop by themselves after it). */
  durationMs: number;
  extraArgs?: string[];
}

/** Start `kubemeter simulate` shards (≤ 4,000 nodes each: a listener and a connection per node). */
export async function startSimCluster(o: SimClusterOptions): Promise<SimCluster> {
  const shards = Math.max(1, Math.ceil(o.nodes / 4000));
  const children: ChildProcess[] = [];
  const files: string[] = [];
  for (let i = 0; i < shards; i++) {
    const file = join(o.dir, `nodes-${i}.json`);
    files.push(file);
    const args = [main, 'simulate', '--nodes', String(o.nodes), '--pods-per-node', String(o.podsPerNode), '--containers-per-pod', String(o.containersPerPod),
      '--shard', `${i}/${shards}`, '--tls', '--address-base', o.addressBase, '--nodes-file-out', file, '--duration', `${Math.ceil(o.durationMs / 1000)}s`,
      ...(o.faults === undefined ? [] : ['--faults', o.faults]), ...(o.extraArgs ?? [])];
    const c = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr?.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-4000);
    });
    c.on('exit', (code) => {
      if (code !== 0 && code !== null) process.stderr.write(`simulate shard ${i} exited with ${code}: ${err}\n`);
    });
    children.push(c);
  }
  const stop = async (): Promise<void> => {
    await Promise.all(children.map(stopChild));
  };
  try {
    for (const [i, f] of files.entries()) await waitFor(`simulate shard ${i}`, () => existsSync(f), 120_000, children[i]);
  } catch (e) {
    await stop();
    throw e;
  }
  const nodes = files.flatMap((f) => JSON.parse(readFileSync(f, 'utf8')) as FileNode[]);
  const nodesFile = join(o.dir, 'nodes.json');
  writeFileSync(nodesFile, JSON.stringify(nodes));
  return { nodesFile, nodes, stop };
}

/** A client certificate the server trusts as system:masters. */
export interface ApiClientCert {
  caFile: string;
  certPem: string;
  keyPem: string;
}

/** Generate a client CA (written to `dir`) and an admin client certificate. */
export function adminClient(dir: string): ApiClientCert {
  const ca = createCertificateAuthority({ commonName: 'bench-client-ca' });
  const caFile = join(dir, 'client-ca.crt');
  writeFileSync(caFile, ca.certPem);
  const c = issueCertificate(ca, { commonName: 'bench-admin', organizations: ['system:masters'], usage: 'client' });
  return { caFile, certPem: c.certPem, keyPem: c.keyPem };
}


/** CPU (µs) and memory (bytes) of the server process, as it reports them. */
export interface ServerStats {
  cpuUs: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** V8 heap reserved (heapTotal). */
  heapTotalBytes: number;
}

/** One "Scrape finished" line of the server's log. */
export interface TickEvent {
  durationMs: number;
  nodeCount: number;
  failedNodes: number;
  podCount: number;
  /** Server stats read right after the line arrived. */
  stats: ServerStats;
}

/** The server child process. */
export interface ServerProcess {
  pid: number;
  port: number;
  /** Completed ticks, in order. */
  ticks: TickEvent[];
  /** The server's CPU and memory; `gc`: after a full GC; `heapSnapshot`: also write a heap snapshot to that file. */
  stats(options?: { gc?: boolean; heapSnapshot?: string }): Promise<ServerStats>;
  /** Resolves when `n` ticks have completed. */
  waitTicks(n: number, timeoutMs: number): Promise<void>;
  /** GET an API path with the admin certificate; the body as a Buffer. */
  get(path: string): Promise<{ status: number; body: Buffer }>;
  stop(): Promise<void>;
}

/**
 * Compile the sources as the image ships them (tsc with tsconfig.build.json) into `root`/dist,
 * next to a copy of package.json (the server reads its version there, and it makes the output ES
 * modules); the path of the compiled `src/cmd/server.ts`, for startServer's `compiledServer`.
 * `root` must be inside the repository, so that the output finds node_modules.
 */
export function buildServer(root: string): string {
  const tsc = join(repo, 'node_modules', '.bin', 'tsc');
  const outDir = join(root, 'dist');
  // Type errors elsewhere in the tree do not stop the emit (the gate checks them).
  spawnSync(tsc, ['-p', join(repo, 'tsconfig.build.json'), '--outDir', outDir, '--declaration', 'false', '--sourceMap', 'false'], { stdio: 'ignore' });
  copyFileSync(join(repo, 'package.json'), join(root, 'package.json'));
  const server = join(outDir, 'cmd', 'server.js');
  if (!existsSync(server)) throw new Error(`tsc wrote no ${server}`);
  return server;
}

/** Options of startServer. */
export interface StartServerOptions {
  dir: string;
  nodesFile: string;
  client: ApiClientCert;
  args?: string[];
  /** Run this compiled server module (buildServer) instead of the TypeScript sources. */
  compiledServer?: string;
}

/** Start `kubemeter server` on the simulated cluster. */
export async function startServer(o: StartServerOptions): Promise<ServerProcess> {
  const port = await freePort();
  // KUBEMETER_BENCH_CPU_PROF=DIR writes a V8 CPU profile of the server there (to find hot spots).
  // KUBEMETER_BENCH_SERVER_NODE_FLAGS="--trace-gc …" adds Node/V8 flags to the server (to try them).
  const args = [
    ...(process.env.KUBEMETER_BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.KUBEMETER_BENCH_CPU_PROF] : []),
    // What `kubemeter server` re-executes itself with (the harness runs it in-process, so it gets
    // them here); flags from the environment come after them and win.
    ...serverNodeFlags,
    ...(process.env.KUBEMETER_BENCH_SERVER_NODE_FLAGS ? process.env.KUBEMETER_BENCH_SERVER_NODE_FLAGS.split(' ').filter((f) => f !== '') : []), '--expose-gc',
    ...(o.compiledServer === undefined ? [join(repo, 'bench', 'server-harness.ts')] : [join(repo, 'bench', 'compiled-server-harness.js'), o.compiledServer]),
    '--nodes-file', o.nodesFile, '--kubelet-insecure-tls', '--secure-port', String(port), '--bind-address', '127.0.0.1',
    '--cert-dir', join(o.dir, 'server-certs'), '--client-ca-file', o.client.caFile, '--logging-format', 'json', '--v', '2',
    ...(o.args ?? []),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let nextId = 1;
  const waiting = new Map<number, (s: ServerStats) => void>();
  child.on('message', (m: { id: number; cpu: { user: number; system: number }; mem: NodeJS.MemoryUsage }) => {
    waiting.get(m.id)?.({ cpuUs: m.cpu.user + m.cpu.system, rssBytes: m.mem.rss, heapUsedBytes: m.mem.heapUsed, heapTotalBytes: m.mem.heapTotal });
    waiting.delete(m.id);
  });
  const stats = (opts: { gc?: boolean; heapSnapshot?: string } = {}): Promise<ServerStats> => new Promise((resolvePromise, reject) => {
    const id = nextId++;
    waiting.set(id, resolvePromise);
    if (!child.connected) reject(new Error('server process is gone'));
    else child.send({ id, gc: opts.gc === true, ...(opts.heapSnapshot === undefined ? {} : { heapSnapshot: opts.heapSnapshot }) });
  });
  const ticks: TickEvent[] = [];
  let serving = false;
  let pending = '';
  let lastError = '';
  let tail = '';
  child.stderr?.on('data', (d: Buffer) => {
    tail = (tail + d.toString()).slice(-1500);
    pending += d.toString();
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line) as Record<string, unknown>;
      } catch {
        lastError = line.slice(0, 500);
        continue;
      }
      if (rec.msg === 'Serving securely') serving = true;
      if (rec.level === 'error' && rec.msg !== 'Failed to scrape node' && rec.msg !== 'Failed to scrape node, timeout to access kubelet') lastError = line.slice(0, 500);
      if (rec.msg === 'Scrape finished') {
        const ev = { durationMs: Number(rec.durationMs), nodeCount: Number(rec.nodeCount), failedNodes: Number(rec.failedNodes), podCount: Number(rec.podCount) };
        void stats().then((s) => ticks.push({ ...ev, stats: s }), () => undefined);
      }
    }
  });
  const get = (path: string): Promise<{ status: number; body: Buffer }> => new Promise((resolvePromise, reject) => {
    const req = request({ host: '127.0.0.1', port, path, cert: o.client.certPem, key: o.client.keyPem, rejectUnauthorized: false, timeout: 120_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
  const proc: ServerProcess = {
    pid: child.pid ?? 0,
    port,
    ticks,
    stats,
    waitTicks: (n, timeoutMs) => waitFor(`server tick ${n} (${lastError})`, () => ticks.length >= n, timeoutMs, child),
    get,
    stop: () => stopChild(child),
  };
  try {
    await waitFor(`server listening (${lastError}; last output: ${tail})`, () => serving, 300_000, child);
  } catch (e) {
    await proc.stop();
    throw e;
  }
  return proc;
}
