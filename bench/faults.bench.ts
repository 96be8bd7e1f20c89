/**
 * Faults and churn. (1) `kubemeter server` against simulated kubelets of which 10 % are faulty in
 * every way `kubemeter simulate` knows (slow past the timeout, hanging, 500, 403, truncated,
 * garbage, 100 MiB bodies, counter resets, clock skew, duplicate series, NaN): every healthy node
 * must be served fresh each cycle and memory must stay bounded. (2) 1,000 cycles of node
 * add/remove churn (and pod churn) through the server's own scrape loop and store: RSS must grow
 * by less than 10 %.
 */
import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { acceleratedClock } from '../src/sim/clock.ts';
import { startSimulator } from '../src/sim/simulator.ts';
import { faultLabel } from '../src/sim/nodes-file.ts';
import { median } from './measure.ts';
import { adminClient, scratch, startServer, startSimCluster } from './cluster.ts';
import type { BenchResult, BenchSuite } from './types.ts';

const benchDir = dirname(fileURLToPath(import.meta.url));

async function faultyCluster(quick: boolean, log: (l: string) => void): Promise<BenchResult[]> {
  const nodes = quick ? 100 : 1000;
  const resolutionMs = quick ? 10_000 : 15_000;
  const warmup = quick ? 1 : 2;
  const cycles = quick ? 2 : 8;
  const { dir, cleanup } = scratch();
  const sim = await startSimCluster({
    dir, nodes, podsPerNode: 30, containersPerPod: 2, faults: 'all=10%', addressBase: '127.102.0.1',
    durationMs: (warmup + cycles + 12) * resolutionMs + 300_000, extraArgs: ['--fault-latency', quick ? '8s' : '15s'],
  });
  try {
    const healthy = sim.nodes.filter((n) => n.labels[faultLabel] === undefined).map((n) => n.name);
    log(`${nodes} nodes, ${nodes - healthy.length} faulty; starting the server`);
    const server = await startServer({ dir, nodesFile: sim.nodesFile, client: adminClient(dir), args: ['--metric-resolution', `${resolutionMs / 1000}s`, ...(quick ? ['--kubelet-request-timeout', '5s'] : [])] });
    try {
      let previous = new Map<string, string>();
      const freshShare: number[] = [];
      for (let i = 1; i <= warmup + cycles; i++) {
        await server.waitTicks(i, resolutionMs * 3 + 60_000);
        const r = await server.get('/apis/metrics.k8s.io/v1beta1/nodes');
        if (r.status !== 200) throw new Error(`GET nodes: HTTP ${r.status}: ${r.body.toString().slice(0, 300)}`);
        const items = (JSON.parse(r.body.toString()) as { items: Array<{ metadata: { name: string }; timestamp: string }> }).items;
        const now = new Map(items.map((it) => [it.metadata.name, it.timestamp]));
        if (i > warmup) {
          // Fresh: served, with a newer kubelet timestamp than in the previous cycle.
          const fresh = healthy.filter((n) => now.has(n) && now.get(n) !== previous.get(n)).length;
          freshShare.push(fresh / healthy.length);
          const t = server.ticks[i - 1]!;
          log(`cycle ${i - warmup}: ${fresh}/${healthy.length} healthy nodes fresh, ${items.length} nodes served, tick ${t.durationMs} ms, RSS ${(t.stats.rssBytes / 2 ** 20).toFixed(0)} MiB`);
        }
        previous = now;
      }
      const rss = server.ticks.slice(warmup, warmup + cycles).map((t) => t.stats.rssBytes);
      const growth = (rss.at(-1)! - rss[0]!) / rss[0]!;
      // Bounded means a plateau: the second half of the cycles, once the heap has grown to its working size.
      const mid = rss[Math.floor(rss.length / 2)]!;
      const lateGrowth = (rss.at(-1)! - mid) / mid;
      const minFresh = Math.min(...freshShare);
      return [
        { name: 'healthy nodes served fresh each cycle (worst cycle)', value: minFresh * 100, unit: '%', target: '100 %', met: minFresh === 1, note: `${healthy.length} healthy of ${nodes}; 10 % faulty, every fault kind; ${cycles} cycles` },
        { name: 'server RSS with 10 % faulty nodes', value: median(rss) / 2 ** 20, unit: 'MiB', note: `peak ${(Math.max(...rss) / 2 ** 20).toFixed(0)} MiB; 100 MiB bodies are cut at the 32 MiB cap` },
        { name: 'RSS change over the faulty cycles', value: growth * 100, unit: '%', note: `first to last of ${cycles} cycles (includes the heap growing to its working size)` },
        { name: 'RSS change over the second half of the faulty cycles', value: lateGrowth * 100, unit: '%', target: '< 10 %', met: lateGrowth < 0.1, note: `cycle ${Math.floor(rss.length / 2) + 1} to ${cycles}` },
        { name: 'cycle wall time with 10 % faulty nodes', value: median(server.ticks.slice(warmup, warmup + cycles).map((t) => t.durationMs)), unit: 'ms', note: 'bounded by the request timeout of the slow and hanging nodes' },
      ];
    } finally {
      await server.stop();
    }
  } finally {
    await sim.stop();
    cleanup();
  }
}

interface TickReply {
  id: number;
  tickMs: number;
  cpuUs: number;
  rssBytes: number;
  heapUsedBytes: number;
  served: string[];
  points: { node: number; container: number };
}

async function churn(quick: boolean, log: (l: string) => void): Promise<BenchResult[]> {
  const nodes = quick ? 10 : 25;
  const cycles = quick ? 30 : 1000;
  const replacePerCycle = Math.max(1, Math.round(nodes * 0.08));
  const speed = 60;
  const resolutionMs = 15_000;
  const originMs = Date.now();
  const clock = acceleratedClock({ speed, originMs });
  const sim = await startSimulator({ nodes, podsPerNode: 30, containersPerPod: 2, churnPerMinute: 0.05, restartShare: 0.05, tls: true, port: 0, addressBase: '127.103.0.1', clock, durationMs: 3_600_000 });
  const child = fork(join(benchDir, 'churn-harness.ts'), [String(speed), String(originMs), String(resolutionMs)], { execArgv: ['--expose-gc'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  let id = 0;
  const tick = (gc = false): Promise<TickReply> => new Promise((resolve, reject) => {
    const myId = ++id;
    const onMessage = (m: TickReply): void => {
      if (m.id !== myId) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(m);
    };
    const onExit = (code: number | null): void => reject(new Error(`churn harness exited with ${code}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send({ id: myId, gc, nodes: sim.nodes.map((n) => ({ name: n.name, address: n.address, port: n.port })) });
  });
  try {
    const replies: TickReply[] = [];
    let next = 0;
    let missing = 0;
    const firstCycle = new Map<string, number>();
    for (let c = 0; c < cycles; c++) {
      const startReal = Date.now();
      if (c > 0) {
        // Node churn: remove some nodes and add new ones (new names, boots and pods) in their place.
        for (let k = 0; k < replacePerCycle; k++) sim.replaceNode((next++) % nodes);
      }
      const warm = Math.floor(cycles / 10);
      for (const n of sim.nodes) if (!firstCycle.has(n.name)) firstCycle.set(n.name, c);
      const r = await tick(c === warm || c === cycles - 1);
      replies.push(r);
      // A node scraped for the first time has one point; from its second scrape on it must be served.
      missing += sim.nodes.filter((n) => firstCycle.get(n.name)! < c && !r.served.includes(n.name)).length;
      // Forget removed nodes (bounded bookkeeping here too).
      if (firstCycle.size > 4 * nodes) for (const name of [...firstCycle.keys()]) if (!sim.nodes.some((n) => n.name === name)) firstCycle.delete(name);
      if (c % Math.max(1, Math.floor(cycles / 10)) === 0) log(`churn cycle ${c}: tick ${r.tickMs.toFixed(0)} ms, RSS ${(r.rssBytes / 2 ** 20).toFixed(1)} MiB, heap ${(r.heapUsedBytes / 2 ** 20).toFixed(1)} MiB, points ${r.points.node}/${r.points.container}`);
      const wait = resolutionMs / speed - (Date.now() - startReal);
      if (wait > 0) await new Promise((res) => setTimeout(res, wait));
    }
    const warm = Math.floor(cycles / 10);
    const window = Math.max(1, Math.floor(cycles / 20));
    const early = median(replies.slice(warm, warm + window).map((r) => r.rssBytes));
    const late = median(replies.slice(-window).map((r) => r.rssBytes));
    const growth = (late - early) / early;
    const heapEarly = replies[warm]!.heapUsedBytes;
    const heapLate = replies.at(-1)!.heapUsedBytes;
    return [
      {
        name: `RSS growth over ${cycles} cycles of node churn`, value: growth * 100, unit: '%', target: '< 10 %', met: growth < 0.1,
        note: `${nodes} nodes, ${replacePerCycle} replaced per cycle (${(cycles - 1) * replacePerCycle} node removals and additions), pods replaced at 5 %/min; median RSS of cycles ${warm}–${warm + window} (${(early / 2 ** 20).toFixed(0)} MiB) vs the last ${window} (${(late / 2 ** 20).toFixed(0)} MiB)`,
      },
      { name: `retained heap growth over ${cycles} churn cycles`, value: ((heapLate - heapEarly) / heapEarly) * 100, unit: '%', note: `after a full GC: ${(heapEarly / 2 ** 20).toFixed(1)} → ${(heapLate / 2 ** 20).toFixed(1)} MiB` },
      { name: 'established nodes missing from the store during churn', value: missing, unit: 'node-cycles', target: '0', met: missing === 0, note: 'a node is expected from its second scrape on' },
    ];
  } finally {
    child.send({ stop: true });
    await new Promise((res) => (child.exitCode !== null ? res(undefined) : child.once('exit', res)));
    await sim.close();
  }
}

export const suite: BenchSuite = {
  name: 'faults',
  title: 'Faulty nodes and churn (kubemeter server × kubemeter simulate --faults)',
  description:
    'Part 1: the real server against simulated kubelets, 10 % of them faulty, spread evenly over every fault kind. ' +
    'Part 2: 1,000 cycles of node add/remove churn (plus pod churn and container restarts) through the server\'s own ' +
    'scrape loop and store (bench/churn-harness.ts), with simulated time running 60× faster so the cycles take ' +
    'minutes instead of hours.',
  async run(ctx) {
    return [...(await faultyCluster(ctx.quick, ctx.log)), ...(await churn(ctx.quick, ctx.log))];
  },
};
