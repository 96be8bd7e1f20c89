/**
 * What the background filesystem walks found: per pod its volumes, log files and etc-hosts, and
 * from the CRI runtime the writable layers and image filesystem. Each value carries the time of
 * its own read; the Summary joins them with the housekeeping pass's node filesystems.
 */
import type { FsUsage } from '../../cgroup/fs-stats.ts';
import type { RuntimeFsUsage } from '../identity/cri.ts';
import type { ClaimRef, PodVolumeSpec } from './pod-volumes.ts';

/** Bytes and inodes a set of files uses, measured at `timeMs`. */
export interface UsageReading {
  timeMs: number;
  usedBytes: number;
  inodesUsed: number;
}

/** One pod volume. */
export interface VolumeReading {
  /** The pod spec volume name (or the directory name when unknown, see nameVolume). */
  name: string;
  pvcRef: ClaimRef | undefined;
  /** Local ephemeral storage (counted in `ephemeral-storage`, listed first). */
  ephemeral: boolean;
  /** When the measurement started, ms. */
  timeMs: number;
  usedBytes: bigint;
  inodesUsed: bigint;
  /** statfs of the volume's filesystem. */
  fs: FsUsage;
}

/** Storage of one pod. */
export interface PodStorage {
  /** Ephemeral volumes (by name), then persistent ones (by name); undefined until the pod's volumes were first measured. */
  volumes: readonly VolumeReading[] | undefined;
  /** Files directly in the pod's log directory (runtimes such as Kata keep pod-level logs there). */
  podLogs: UsageReading | undefined;
  /** The pod's etc-hosts file. */
  etcHosts: UsageReading | undefined;
  /** Each container's log files, by container name. */
  containerLogs: ReadonlyMap<string, UsageReading>;
}

/** Everything the filesystem walks and the runtime reported, as of their last runs. */
export interface StorageSnapshot {
  /** By pod UID. */
  pods: ReadonlyMap<string, PodStorage>;
  /** Writable layers from the CRI runtime, by container id (empty without a runtime). */
  writableLayers: ReadonlyMap<string, RuntimeFsUsage>;
  /** `ImageFsInfo`'s first image filesystem. */
  imageFs: RuntimeFsUsage | undefined;
  /** `ImageFsInfo`'s first container filesystem (absent when not split from the image filesystem). */
  containerFs: RuntimeFsUsage | undefined;
}

/** A pod as the walks need it (a subset of PodSnapshot). */
export interface StoragePod {
  uid: string;
  name: string;
  namespace: string;
  /** The pod's spec volumes, when the identity source knows them. */
  volumes?: readonly PodVolumeSpec[] | undefined;
  containers: readonly { name: string }[];
}
