/**
 * Names of Docker and Podman containers from the engine's HTTP API on its unix socket
 * (`GET /containers/json`, Podman serves the same Docker-compatible API), for hosts without
 * Kubernetes. Each request has a deadline and a response size cap.
 */
import { ErrorCode, KubemeterError, quoteInput } from '../../lib/errors.ts';

/** A container as the engine lists it. */
export interface EngineContainer {
  id: string;
  /** Name without the leading `/`. */
  name: string;
  labels: Record<string, string>;
  /** Creation time, ms since the epoch. */
  createdMs: number | undefined;
}

/** Largest accepted list response (bytes). */
const maxBodyBytes = 8 * 1024 * 1024;

/** `unix:///var/run/docker.sock` or a bare path → the socket path. */
export function engineSocketPath(endpoint: string): string {
  if (endpoint.startsWith('unix://')) return endpoint.slice('unix://'.length);
  if (endpoint.startsWith('/')) return endpoint;
  throw new KubemeterError(ErrorCode.InvalidFlag, `engine endpoint ${quoteInput(endpoint)}: only unix sockets are supported`, { source: endpoint });
}

/** Decode a `/containers/json` answer (pure). Entries without an id are skipped. */
export function decodeEngineContainers(value: unknown, source: string): EngineContainer[] {
  if (!Array.isArray(value)) throw new KubemeterError(ErrorCode.InvalidDocument, `${source}: expected a JSON array of containers`, { source });
  const out: EngineContainer[] = [];
  for (const item of value) {
    if (typeof item !== 'object' || item === null) continue;
    const o = item as Record<string, unknown>;
    if (typeof o.Id !== 'string' || o.Id === '') continue;
    const names = Array.isArray(o.Names) ? o.Names.filter((n): n is string => typeof n === 'string') : [];
    const labels: Record<string, string> = {};
    if (typeof o.Labels === 'object' && o.Labels !== null) {
      for (const [k, v] of Object.entries(o.Labels)) if (typeof v === 'string') labels[k] = v;
    }
    out.push({
      id: o.Id,
      name: (names[0] ?? o.Id.slice(0, 12)).replace(/^\//, ''),
      labels,
      createdMs: typeof o.Created === 'number' && o.Created > 0 ? o.Created * 1000 : undefined,
    });
  }
  return out;
}

/** List the engine's containers (all states). */
export function listEngineContainers(endpoint: string, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<EngineContainer[]> {
  const socketPath = engineSocketPath(endpoint);
  const source = `${endpoint} /containers/json`;
  return new Promise((resolve, reject) => {
    // getBuiltinModule, not an ES import: see src/cmd/agent.ts (an ES import of node:http loads undici).
    const req = process.getBuiltinModule('node:http').request(
      { socketPath, path: '/containers/json?all=1', method: 'GET', headers: { host: 'localhost' }, timeout: options.timeoutMs ?? 5000, ...(options.signal ? { signal: options.signal } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > maxBodyBytes) {
            req.destroy(new KubemeterError(ErrorCode.TooLarge, `${source}: answer larger than ${maxBodyBytes} bytes`, { source }));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) {
            reject(new KubemeterError(ErrorCode.HttpStatus, `${source}: HTTP ${res.statusCode}: ${quoteInput(text, 200)}`, { source }));
            return;
          }
          try {
            resolve(decodeEngineContainers(JSON.parse(text), source));
          } catch (e) {
            reject(e instanceof KubemeterError ? e : new KubemeterError(ErrorCode.InvalidDocument, `${source}: not JSON`, { source, cause: e }));
          }
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new KubemeterError(ErrorCode.Timeout, `${source}: no answer in time`, { source })));
    req.on('error', (e) => reject(e instanceof KubemeterError ? e : new KubemeterError(ErrorCode.Network, `${source}: ${e.message}`, { source, cause: e })));
    req.end();
  });
}
