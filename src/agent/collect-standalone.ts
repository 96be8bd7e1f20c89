/**
 * The documented mapping of a host without Kubernetes onto pods and containers, so the same
 * endpoints and `kubemeter top` work anywhere:
 * - a systemd service or scope `<slice>.slice/<unit>.service` → pod `<unit>` in namespace
 *   `<slice>` (`system`, `user-1000`, …; `host` for units directly under the root), one container
 *   named `<unit>`;
 * - a Docker/Podman container → pod named after the container (engine API name, or the short id
 *   without an engine socket) in namespace `docker`/`podman` — or the Compose project when the
 *   container has `com.docker.compose.project` — with one container named after the Compose
 *   service, else the container name.
 * Pod UIDs are stable name-based UUIDs of the cgroup path (or of the container id).
 */
import type { StandaloneUnit } from './discover.ts';
import type { EngineContainer } from './identity/engine.ts';
import type { PodSnapshot } from './model.ts';
import type { PodContext } from './collect-pods.ts';
import { readNetwork } from './collect-pods.ts';

/** A name-based (version 5 layout) UUID of `text`: stable across restarts and hosts. */
export function stableUid(text: string): string {
  // Loaded on first use, not imported: node:crypto costs 3.3 MiB RSS, and only standalone mode
  // (a minority of agents) needs it.
  const h = process.getBuiltinModule('node:crypto').createHash('sha1').update(text).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Pod and container names of a unit (pure). */
export function unitNames(unit: StandaloneUnit, engine: EngineContainer | undefined): { pod: string; namespace: string; container: string } {
  if (unit.kind === 'docker' || unit.kind === 'podman') {
    const name = engine?.name ?? unit.unit.slice(0, 12);
    const project = engine?.labels['com.docker.compose.project'];
    const service = engine?.labels['com.docker.compose.service'];
    return { pod: name, namespace: project ?? unit.kind, container: service ?? name };
  }
  return { pod: unit.unit, namespace: unit.slice === '-' ? 'host' : unit.slice, container: unit.unit };
}

/** One unit as a pod with one container; undefined when its cgroup vanished or failed. */
export function collectUnitPod(
  ctx: PodContext,
  unit: StandaloneUnit,
  engines: ReadonlyMap<string, EngineContainer>,
  uidOf: (key: string) => string,
): PodSnapshot | undefined {
  const reading = ctx.tracker.read(unit.path);
  if (reading === undefined) return undefined;
  const engine = unit.containerId === undefined ? undefined : engines.get(unit.containerId);
  const names = unitNames(unit, engine);
  let pids: number[] = [];
  try {
    pids = ctx.reader.readPids(unit.path);
  } catch (e) {
    ctx.onError('node', `pids of ${unit.path}`, e);
  }
  const startTimeMs = engine?.createdMs ?? ctx.createdMs(unit.path);
  return {
    uid: uidOf(unit.containerId ?? unit.path),
    name: names.pod,
    namespace: names.namespace,
    resolved: true,
    startTimeMs,
    reading,
    containers: [{ id: unit.containerId ?? '', name: names.container, startTimeMs, reading }],
    network: readNetwork(ctx, pids),
    processCount: pids.length,
  };
}
