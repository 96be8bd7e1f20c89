/**
 * Effective pod requests and limits as Kubernetes computes them (component-helpers resource
 * PodRequests/PodLimits): regular containers summed, native sidecars (init containers with
 * restartPolicy Always) added to that sum, each classic init container counted with the sidecars
 * started before it, the pod value being the larger of the two; pod-level resources
 * (`spec.resources`) win when set. This fixes client-node's topPods, which ignores sidecars and
 * adds memory requests to the limit total.
 */
import { Quantity } from '../lib/quantity.ts';
import type { ContainerSpecView, PodView } from './core-view.ts';

const zero = Quantity.zero();

function max(a: Quantity, b: Quantity): Quantity {
  return a.cmp(b) >= 0 ? a : b;
}

/**
 * The pod's effective value of `resource` over `pick` (requests or limits). For limits, undefined
 * means unbounded: some container that runs with the app has no limit for the resource.
 */
function effective(pod: PodView, resource: string, which: 'requests' | 'limits'): Quantity | undefined {
  const podLevel = which === 'requests' ? pod.podRequests : pod.podLimits;
  const fromPod = podLevel?.[resource];
  if (fromPod !== undefined) return fromPod;
  let sum = zero;
  let sidecars = zero;
  let initMax = zero;
  let any = false;
  let unbounded = false;
  const get = (c: ContainerSpecView): Quantity | undefined => c[which][resource];
  for (const c of pod.containers) {
    const v = get(c);
    if (v !== undefined) any = true;
    if (c.kind === 'container') {
      if (v === undefined) unbounded = true;
      sum = sum.add(v ?? zero);
    } else if (c.kind === 'sidecar') {
      if (v === undefined) unbounded = true;
      sum = sum.add(v ?? zero);
      sidecars = sidecars.add(v ?? zero);
      initMax = max(initMax, sidecars);
    } else {
      initMax = max(initMax, (v ?? zero).add(sidecars));
    }
  }
  if (which === 'limits' && unbounded) return undefined;
  if (!any) return undefined;
  return max(sum, initMax);
}

/** Effective pod requests of `resource` (undefined when nothing requests it). */
export function podRequests(pod: PodView, resource: string): Quantity | undefined {
  return effective(pod, resource, 'requests');
}

/** Effective pod limits of `resource` (undefined when a running container is unlimited or none sets one). */
export function podLimits(pod: PodView, resource: string): Quantity | undefined {
  return effective(pod, resource, 'limits');
}
