/**
 * Who a cgroup belongs to: pod name, namespace and UID, container name, and which container is
 * the pod's sandbox. Identity providers (CRI, Kubernetes API, standalone engines) answer with an
 * IdentitySnapshot; the collector falls back to documented placeholders for what none knows.
 */
import type { PodVolumeSpec } from '../fs/pod-volumes.ts';

/** A pod as an identity source knows it. */
export interface PodIdentity {
  uid: string;
  name: string;
  namespace: string;
  /** Pod start (sandbox creation or status.startTime), ms since the epoch, when known. */
  startTimeMs: number | undefined;
  /** `spec.volumes`, when the source knows the spec (the Kubernetes API): names volume stats. */
  volumes?: readonly PodVolumeSpec[];
}

/** A container as an identity source knows it. */
export interface ContainerIdentity {
  /** Runtime container id (no `containerd://` scheme). */
  id: string;
  podUid: string;
  /** Container name; `POD` for sandboxes in Docker/CRI-O terms. */
  name: string;
  /** The pod's sandbox (pause) container: never reported, used for the pod network. */
  sandbox: boolean;
  /** Creation time, ms since the epoch, when known. */
  createdAtMs: number | undefined;
}

/** What one lookup returns. */
export interface IdentitySnapshot {
  /** Pod UID → pod. */
  pods: Map<string, PodIdentity>;
  /** Container id → container. */
  containers: Map<string, ContainerIdentity>;
}

/** A source of pod and container identity. */
export interface IdentityProvider {
  /** Short name for logs and metrics (`cri`, `kube-api`, `docker`). */
  readonly name: string;
  /** Current identities. Throws (any error) when the source is unavailable. */
  lookup(signal: AbortSignal): Promise<IdentitySnapshot>;
  /** Release connections. */
  close(): void;
}

/** Namespace given to pods no identity source knows. */
export const unresolvedNamespace = 'kubemeter-unresolved';

/** Name given to a pod no identity source knows: its cgroup name in cgroupfs form. */
export function placeholderPodName(uid: string): string {
  return `pod${uid}`;
}

/** Name given to a container no identity source knows: the short (12 hex) id, as `docker ps` shows it. */
export function placeholderContainerName(id: string): string {
  return id.slice(0, 12);
}

/** An empty snapshot. */
export function emptyIdentity(): IdentitySnapshot {
  return { pods: new Map(), containers: new Map() };
}
