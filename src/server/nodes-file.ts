/**
 * `--nodes-file`: nodes without a Kubernetes API, as a YAML or JSON list of
 * `{name, address, port?, labels?, capacity?, allocatable?}`. The file is re-read when it changes
 * (polled by modification time, which works on every filesystem and through symlink swaps as
 * ConfigMap volumes do); a broken edit keeps the previous list and is logged.
 */
import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ErrorCode, KubemeterError, errorMessage } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import type { KubeletNode } from '../scraper/address.ts';
import type { ClusterView } from './cluster.ts';

const entrySchema = z.object({
  name: z.string().min(1).max(253),
  address: z.string().min(1).max(253),
  port: z.number().int().min(1).max(65535).optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  capacity: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  allocatable: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
}).strict();
const fileSchema = z.array(entrySchema).max(100_000);

/** Parse the nodes file text (YAML is a superset of JSON). Throws KubemeterError(InvalidFile). */
export function parseNodesFile(text: string, source: string): KubeletNode[] {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch (e) {
    throw new KubemeterError(ErrorCode.InvalidFile, `${source}: not YAML or JSON: ${errorMessage(e)}`, { source, cause: e });
  }
  const r = fileSchema.safeParse(doc ?? []);
  if (!r.success) {
    const issue = r.error.issues[0];
    const path = issue === undefined ? '' : issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    throw new KubemeterError(ErrorCode.InvalidFile, `${source}: ${path === '' ? '' : `${path.replace(/^\./, '')}: `}${issue?.message ?? 'invalid'} (expected a list of {name, address, port?, labels?, capacity?, allocatable?})`, { source });
  }
  const seen = new Set<string>();
  return r.data.map((e, i) => {
    if (seen.has(e.name)) throw new KubemeterError(ErrorCode.InvalidFile, `${source}: [${i}].name: duplicate node ${JSON.stringify(e.name)}`, { source });
    seen.add(e.name);
    return {
      name: e.name,
      addresses: [{ type: isIP(e.address) === 0 ? 'Hostname' : 'InternalIP', address: e.address }],
      kubeletPort: e.port ?? 0,
      labels: e.labels ?? {},
      ...(e.annotations === undefined ? {} : { annotations: e.annotations }),
      ready: true,
    };
  });
}

/** A ClusterView over a nodes file. */
export class NodesFileView implements ClusterView {
  readonly podSource = undefined;
  private list: KubeletNode[] = [];
  private byName = new Map<string, KubeletNode>();
  private lastMtimeMs = -1;
  private error = '';
  private readonly path: string;
  private readonly logger: Logger;
  private readonly pollMs: number;

  constructor(options: { path: string; logger: Logger; pollMs?: number }) {
    this.path = options.path;
    this.logger = options.logger;
    this.pollMs = options.pollMs ?? 2000;
    // The first read must succeed: a server without nodes is a configuration error.
    this.reload(true);
  }

  private reload(initial: boolean): void {
    let mtime: number;
    try {
      mtime = statSync(this.path).mtimeMs;
    } catch (e) {
      if (initial) throw new KubemeterError(ErrorCode.InvalidFile, `cannot read nodes file: ${errorMessage(e)}`, { source: this.path, cause: e });
      this.error = errorMessage(e);
      return;
    }
    if (mtime === this.lastMtimeMs) return;
    try {
      const nodes = parseNodesFile(readFileSync(this.path, 'utf8'), this.path);
      this.list = nodes;
      this.byName = new Map(nodes.map((n) => [n.name, n]));
      this.lastMtimeMs = mtime;
      this.error = '';
      if (!initial) this.logger.info('Nodes file reloaded', { path: this.path, nodes: nodes.length });
    } catch (e) {
      if (initial) throw e;
      this.lastMtimeMs = mtime;
      this.error = errorMessage(e);
      this.logger.error('Nodes file rejected, keeping the previous nodes', { path: this.path, err: this.error });
    }
  }

  nodes(): readonly KubeletNode[] {
    return this.list;
  }

  node(name: string): KubeletNode | undefined {
    return this.byName.get(name);
  }

  synced(): boolean {
    return true;
  }

  syncError(): string {
    return this.error;
  }

  start(signal: AbortSignal): void {
    const timer = setInterval(() => this.reload(false), this.pollMs);
    timer.unref();
    signal.addEventListener('abort', () => clearInterval(timer), { once: true });
  }

  waitForSync(): Promise<void> {
    return Promise.resolve();
  }
}
