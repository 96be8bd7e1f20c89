/**
 * The claim bound to a PersistentVolume (`spec.claimRef`), looked up in the Kubernetes API: a
 * PV-backed volume's directory on the node is named after the PV, while `pvcRef` and the volume's
 * name come from the claim. A binding does not change while a pod uses the volume, so answers
 * are cached; failures and unbound PVs are asked again after `retryMs`.
 */
import type { DecodeOptions } from '../../kube/client.ts';
import type { Clock } from '../../lib/clock.ts';
import { systemClock } from '../../lib/clock.ts';
import type { ClaimRef } from './pod-volumes.ts';

/** Resolves PV names to their claims. */
export interface ClaimResolver {
  /** The claim bound to PV `pvName`, undefined when unknown (unbound, not found, API unavailable). */
  claimOf(pvName: string, signal: AbortSignal): Promise<ClaimRef | undefined>;
}

/** The one method of the Kubernetes client this needs. */
export interface JsonGetter {
  getJSON<T>(path: string, options: DecodeOptions<T>): Promise<T>;
}

function rec(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** `spec.claimRef` of a PersistentVolume (pure; undefined when unbound or malformed). */
export function decodeClaimRef(pv: unknown): ClaimRef | undefined {
  const ref = rec(rec(rec(pv)?.spec)?.claimRef);
  const name = ref?.name;
  const namespace = ref?.namespace;
  return typeof name === 'string' && name !== '' && typeof namespace === 'string' && namespace !== '' ? { name, namespace } : undefined;
}

/** Most PVs remembered (a node mounts far fewer). */
const maxEntries = 4096;

/** A cached resolver on the API (`get persistentvolumes`). */
export function apiClaimResolver(options: { client: JsonGetter; clock?: Clock; retryMs?: number; timeoutMs?: number }): ClaimResolver {
  const clock = options.clock ?? systemClock;
  const retryMs = options.retryMs ?? 60_000;
  const cache = new Map<string, { claim: ClaimRef | undefined; untilMs: number }>();
  return {
    async claimOf(pvName, signal) {
      const hit = cache.get(pvName);
      if (hit !== undefined && clock.nowMs() < hit.untilMs) return hit.claim;
      let claim: ClaimRef | undefined;
      try {
        claim = await options.client.getJSON(`/api/v1/persistentvolumes/${encodeURIComponent(pvName)}`, {
          decode: (v) => decodeClaimRef(v), signal, timeoutMs: options.timeoutMs ?? 5000, maxBytes: 1 << 20,
        });
      } catch {
        claim = undefined;
      }
      if (cache.size >= maxEntries) cache.clear();
      cache.set(pvName, { claim, untilMs: claim === undefined ? clock.nowMs() + retryMs : Number.POSITIVE_INFINITY });
      return claim;
    },
  };
}
