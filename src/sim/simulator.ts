/**
 * `kubemeter simulate` as a library: N simulated kubelets on loopback, each at its own 127.x.y.z
 * address, serving data computed on demand from NodeModel (about 20 KiB per node once served), with
 * faults on a chosen share of nodes, a nodes file for `kubemeter server --nodes-file`, and a hard
 * stop after `durationMs`.
 */
import { writeFileSync, renameSync } from 'node:fs';
import { createCertificateAuthority, issueCertificate, type CertificateAuthority } from '../auth/x509-gen.ts';
import { ErrorCode, KubemeterError, errorMessage } from '../lib/errors.ts';
import { systemClock, type Clock } from '../lib/clock.ts';
import { silentLogger, type Logger } from '../lib/log.ts';
import { loopbackAddress, parseLoopback } from './addresses.ts';
import { assignFaults, parseFaultSpec, type FaultKind, type FaultRequest } from './faults.ts';
import { NodeModel, type ClusterShape } from './model.ts';
import { defaultFaultTimings, startNodeServer, type FaultTimings, type NodeCounters, type NodeServer } from './node-server.ts';
import { nodesFileText } from './nodes-file.ts';

/** Options of startSimulator. */
export interface SimulatorOptions {
  nodes: number;
  podsPerNode: number;
  containersPerPod: number;
  /** Share of each node's pods replaced per minute (default 0). */
  churnPerMinute?: number;
  /** Share of containers that restart every 5–60 minutes (default 0.02). */
  restartShare?: number;
  /** Seed (default 1). */
  seed?: number;
  /** `--faults` text or parsed requests. */
  faults?: string | readonly FaultRequest[];
  faultTimings?: Partial<FaultTimings>;
  /** Serve HTTPS with certificates from a generated CA (one leaf per node, its address as SAN). */
  tls?: boolean;
  /** First address (default 127.1.0.1). */
  addressBase?: string;
  /** Port of every node (default 10250; 0 = a free port per node, written to the nodes file). */
  port?: number;
  /** Stop by itself after this many ms of real time (default: run until close()). */
  durationMs?: number;
  /** Simulated time (default the system clock). */
  clock?: Clock;
  /** Serve only part of the nodes: shard `index` of `count` (several processes, one cluster). */
  shard?: { index: number; count: number };
  logger?: Logger;
}

/** One served node. */
export interface SimNode {
  index: number;
  readonly name: string;
  address: string;
  port: number;
  fault: FaultKind | undefined;
  readonly model: NodeModel;
  readonly counters: NodeCounters;
}

/** A running simulator. */
export interface Simulator {
  /** Served nodes, in index order. */
  readonly nodes: readonly SimNode[];
  /** PEM of the CA that signed the nodes' serving certificates (with tls). */
  readonly caPem: string | undefined;
  /** The nodes file for `kubemeter server --nodes-file` (JSON, a YAML subset). */
  nodesFile(): string;
  /** Write the nodes file atomically (rename), as the server re-reads it on change. */
  writeNodesFile(path: string): void;
  /** Remove the node at `index` and add a new one (new name, boot, pods) at the same address. */
  replaceNode(index: number): SimNode;
  /** Resolves when the simulator has stopped (close() or the duration). */
  readonly done: Promise<void>;
  /** Stop: close every listener and connection. Idempotent. */
  close(): Promise<void>;
}

interface NodeSlot {
  node: SimNode & { model: NodeModel; counters: NodeCounters };
  server: NodeServer;
  generation: number;
}

const LISTEN_BATCH = 256;

function checkInt(name: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new KubemeterError(ErrorCode.InvalidFlag, `--${name} must be an integer from ${min} to ${max}, not ${v}`, { source: `--${name}` });
  }
}

/** Start the simulator; resolves once every node listens. */
export async function startSimulator(o: SimulatorOptions): Promise<Simulator> {
  checkInt('nodes', o.nodes, 1, 1_000_000);
  checkInt('pods-per-node', o.podsPerNode, 0, 1000);
  checkInt('containers-per-pod', o.containersPerPod, 1, 100);
  const port = o.port ?? 10250;
  checkInt('port', port, 0, 65535);
  const churn = o.churnPerMinute ?? 0;
  if (!(churn >= 0 && churn <= 60)) throw new KubemeterError(ErrorCode.InvalidFlag, `--churn must be from 0 to 60 (pods replaced per pod and minute), not ${churn}`, { source: '--churn' });
  const clock = o.clock ?? systemClock;
  const logger = o.logger ?? silentLogger;
  const seed = o.seed ?? 1;
  const base = parseLoopback(o.addressBase ?? '127.1.0.1');
  const shard = o.shard ?? { index: 0, count: 1 };
  checkInt('shard count', shard.count, 1, 1024);
  checkInt('shard index', shard.index, 0, shard.count - 1);
  const faults = assignFaults(typeof o.faults === 'string' ? parseFaultSpec(o.faults) : (o.faults ?? []), o.nodes, seed);
  // Fail before binding anything if the last address is outside 127/8.
  loopbackAddress(base, o.nodes - 1);
  const timings: FaultTimings = { ...defaultFaultTimings, ...o.faultTimings };
  const shape: ClusterShape = {
    seed,
    podsPerNode: o.podsPerNode,
    containersPerPod: o.containersPerPod,
    churnPerMinute: churn,
    restartShare: o.restartShare ?? 0.02,
    housekeepingMs: 10_000,
    originMs: clock.nowMs(),
  };
  const ca: CertificateAuthority | undefined = o.tls === true ? createCertificateAuthority({ commonName: 'kubemeter-simulate-ca' }) : undefined;
  const first = Math.floor((shard.index * o.nodes) / shard.count);
  const last = Math.floor(((shard.index + 1) * o.nodes) / shard.count);
  const slots: NodeSlot[] = [];
  let stopped = false;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });

  const startSlot = async (index: number): Promise<NodeSlot> => {
    const address = loopbackAddress(base, index);
    const slot = { generation: 0 } as NodeSlot;
    const model = (): NodeModel => slot.node.model;
    const tls = ca === undefined ? undefined : issueCertificate(ca, { commonName: `system:node:sim-node-${index}`, ipAddresses: [address], dnsNames: [`sim-node-${index}`], usage: 'server' });
    let server: NodeServer;
    try {
      server = await startNodeServer({ model, fault: faults[index], timings, clock, host: address, port, ...(tls === undefined ? {} : { tls }) });
    } catch (e) {
      throw new KubemeterError(ErrorCode.Network, `cannot listen on ${address}:${port} for node ${index}: ${errorMessage(e)}`, { source: `${address}:${port}`, cause: e });
    }
    const nodeModel = new NodeModel(shape, { index, generation: 0 });
    slot.server = server;
    slot.node = { index, name: nodeModel.name, address, port: server.port, fault: faults[index], model: nodeModel, counters: server.counters };
    return slot;
  };

  const close = async (): Promise<void> => {
    if (stopped) return done;
    stopped = true;
    clearTimeout(timer);
    await Promise.all(slots.map((s) => s.server.close()));
    resolveDone();
    return done;
  };

  let timer: NodeJS.Timeout | undefined;
  try {
    for (let i = first; i < last; i += LISTEN_BATCH) {
      const batch: Promise<NodeSlot>[] = [];
      for (let j = i; j < Math.min(last, i + LISTEN_BATCH); j++) batch.push(startSlot(j));
      const settled = await Promise.allSettled(batch);
      for (const r of settled) if (r.status === 'fulfilled') slots.push(r.value);
      const failed = settled.find((r) => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    }
  } catch (e) {
    await close();
    throw e;
  }
  slots.sort((a, b) => a.node.index - b.node.index);
  logger.info('Simulated kubelets listening', { nodes: slots.length, first: slots[0]?.node.address, port, tls: ca !== undefined });
  if (o.durationMs !== undefined) {
    timer = setTimeout(() => void close(), o.durationMs);
  }

  const nodes = slots.map((s) => s.node);
  const sim: Simulator = {
    nodes,
    caPem: ca?.certPem,
    nodesFile: () => nodesFileText(nodes),
    writeNodesFile(path) {
      const tmp = `${path}.tmp-${process.pid}`;
      writeFileSync(tmp, nodesFileText(nodes));
      renameSync(tmp, path);
    },
    replaceNode(index) {
      const slot = slots.find((s) => s.node.index === index);
      if (slot === undefined) throw new KubemeterError(ErrorCode.NotFound, `node index ${index} is not served here`, { source: 'replaceNode' });
      slot.generation++;
      // A replacement boots now: its model's origin is the current simulated time.
      const model = new NodeModel({ ...shape, originMs: clock.nowMs() }, { index, generation: slot.generation });
      slot.node = { ...slot.node, model, name: model.name };
      const pos = nodes.findIndex((n) => n.index === index);
      nodes[pos] = slot.node;
      return slot.node;
    },
    done,
    close,
  };
  return sim;
}
