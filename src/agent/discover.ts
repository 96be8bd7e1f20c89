/**
 * Finding the cgroups to sample: the kubepods QoS tree (cgroupfs or systemd driver, guaranteed,
 * burstable and besteffort pods, runtime container cgroups below each pod) and, for hosts
 * without Kubernetes, systemd services and scopes and Docker/Podman containers.
 */
import type { CgroupDriver, RuntimeName } from '../cgroup/layout.ts';
import { containerFromCgroupName, podUidFromCgroupName, podsCgroupPath, qosDirNames } from '../cgroup/layout.ts';
import type { CgroupReader } from '../cgroup/reader.ts';
import { dropUnstamped } from '../lib/pass-stamps.ts';

/** A container cgroup below a pod. */
export interface ContainerCgroup {
  id: string;
  runtime: RuntimeName;
  path: string;
}

/** A pod cgroup and its container cgroups. */
export interface PodCgroup {
  uid: string;
  path: string;
  containers: ContainerCgroup[];
}

/** The kubepods tree as found. */
export interface KubepodsTree {
  driver: CgroupDriver;
  /** Absolute path of the pods root; undefined when it does not exist. */
  podsPath: string | undefined;
  pods: PodCgroup[];
}

function join(parent: string, child: string): string {
  return parent === '/' ? `/${child}` : `${parent}/${child}`;
}

/** The driver whose kubepods cgroup exists (systemd first, as a systemd host may show both names). */
export function detectDriver(reader: CgroupReader, cgroupRoot: string): CgroupDriver | undefined {
  if (reader.exists(podsCgroupPath(cgroupRoot, 'systemd'))) return 'systemd';
  if (reader.exists(podsCgroupPath(cgroupRoot, 'cgroupfs'))) return 'cgroupfs';
  return undefined;
}

/** A listed directory and what the walk made of its names (kept while the reader gives back the same array). */
interface Derived<T> {
  names: readonly string[];
  pass: number;
  value: T;
}

/** A child of the pods root or of a QoS directory: a pod (its uid), or a QoS directory (uid undefined). */
interface WalkChild {
  uid: string | undefined;
  path: string;
}

/**
 * What discoverKubepods made of each directory in the last walk, reused for a directory whose
 * listing the reader gives back unchanged (the same array, see CgroupReader.listNames): the pods'
 * and containers' names are not parsed again (two regular expressions and a few strings per
 * name) and their paths are the same strings as in the last pass, whose hashes the maps keyed by
 * cgroup path (readings, open files, creation times) have already computed. Any change in a
 * directory's names, a new or removed container among them, is seen in the same pass as without
 * it. Directories not walked in a pass are dropped at its end. The pods and containers it returns
 * are shared between passes: never modify them.
 */
export class KubepodsCache {
  /** Per pods root or QoS directory path. */
  readonly parents = new Map<string, Derived<WalkChild[]>>();
  /** Per pod cgroup path. */
  readonly pods = new Map<string, Derived<PodCgroup>>();
  /** The walk in progress (entries of other walks are dropped at its end). */
  pass = 0;

  /** End a walk: drop the directories it did not list. */
  endWalk(): void {
    dropUnstamped(this.parents, this.pass);
    dropUnstamped(this.pods, this.pass);
    this.pass++;
  }
}

/** The pods and QoS directories among `names` (children of `parent`). */
function walkChildren(parent: string, names: readonly string[], qos: ReadonlySet<string> | undefined): WalkChild[] {
  const out: WalkChild[] = [];
  for (let i = 0; i < names.length; i++) {
    const child = names[i]!;
    const uid = podUidFromCgroupName(child);
    if (uid !== undefined) out.push({ uid, path: join(parent, child) });
    else if (qos !== undefined && qos.has(child)) out.push({ uid: undefined, path: join(parent, child) });
  }
  return out;
}

/** The pod cgroup at `path` whose directory lists `names`. */
function podCgroup(uid: string, path: string, names: readonly string[]): PodCgroup {
  const containers: ContainerCgroup[] = [];
  for (let k = 0; k < names.length; k++) {
    const c = names[k]!;
    const parsed = containerFromCgroupName(c);
    if (parsed !== undefined) containers.push({ id: parsed.id, runtime: parsed.runtime, path: join(path, c) });
  }
  return { uid, path, containers };
}

/** Walk the kubepods tree under `cgroupRoot`; with `cache`, what the last walk made of unchanged directories is reused (see KubepodsCache). */
export function discoverKubepods(reader: CgroupReader, options: { cgroupRoot: string; driver: CgroupDriver | 'auto'; cache?: KubepodsCache }): KubepodsTree {
  const driver = options.driver === 'auto' ? (detectDriver(reader, options.cgroupRoot) ?? 'cgroupfs') : options.driver;
  const podsPath = podsCgroupPath(options.cgroupRoot, driver);
  const cache = options.cache;
  if (!reader.exists(podsPath)) {
    cache?.endWalk();
    return { driver, podsPath: undefined, pods: [] };
  }
  const pods: PodCgroup[] = [];
  const qos = new Set(qosDirNames(driver, podsPath));
  // Pods, QoS classes and containers are recognised by names no cgroup interface file has, so
  // the cheaper listing of every entry serves where the reader has one.
  const list = (name: string): readonly string[] => (reader.listNames === undefined ? reader.listChildren(name) : reader.listNames(name));
  const pass = cache?.pass ?? 0;
  const visit = (parent: string, allowQos: boolean): void => {
    // Indexed loops: without V8's optimizing compilers (the agent's default) for…of allocates an
    // iterator and a result object per element, for each of the pass's ~450 names.
    const names = list(parent);
    let children: WalkChild[];
    const known = cache?.parents.get(parent);
    if (known !== undefined && known.names === names) {
      known.pass = pass;
      children = known.value;
    } else {
      children = walkChildren(parent, names, allowQos ? qos : undefined);
      cache?.parents.set(parent, { names, pass, value: children });
    }
    for (let i = 0; i < children.length; i++) {
      const child = children[i]!;
      if (child.uid === undefined) {
        visit(child.path, false);
        continue;
      }
      const podNames = list(child.path);
      const last = cache?.pods.get(child.path);
      if (last !== undefined && last.names === podNames) {
        last.pass = pass;
        pods.push(last.value);
        continue;
      }
      const pod = podCgroup(child.uid, child.path, podNames);
      cache?.pods.set(child.path, { names: podNames, pass, value: pod });
      pods.push(pod);
    }
  };
  try {
    visit(podsPath, true);
  } finally {
    cache?.endWalk();
  }
  return { driver, podsPath, pods };
}

/** What kind of unit a standalone cgroup is. */
export type UnitKind = 'service' | 'scope' | 'docker' | 'podman';

/** A cgroup of a host without Kubernetes that is reported as a pod with one container. */
export interface StandaloneUnit {
  kind: UnitKind;
  path: string;
  /** Unit name without its suffix (`nginx` for `nginx.service`), or the container id. */
  unit: string;
  /** The enclosing slice without `.slice` (`system`, `user-1000`), or `docker`/`podman` for cgroupfs engine trees. */
  slice: string;
  /** Container id for docker/podman units. */
  containerId: string | undefined;
}

const maxSliceDepth = 4;

/**
 * Systemd services and scopes below top-level slices (not descending into units), Docker
 * containers (`docker-<id>.scope`, `/docker/<id>`) and Podman containers (`libpod-<id>.scope`,
 * `/libpod_parent/libpod-<id>`). The kubepods tree and `*.mount`/`*.socket`/`*.swap` units are skipped.
 */
export function discoverStandalone(reader: CgroupReader, options: { skip: ReadonlySet<string> }): StandaloneUnit[] {
  const out: StandaloneUnit[] = [];
  const unitOf = (name: string, path: string, slice: string): StandaloneUnit | undefined => {
    const c = containerFromCgroupName(name);
    if (c !== undefined && (c.runtime === 'docker' || c.runtime === 'podman')) {
      return { kind: c.runtime, path, unit: c.id, slice, containerId: c.id };
    }
    if (name.startsWith('libpod-conmon-')) return undefined;
    if (name.endsWith('.service')) return { kind: 'service', path, unit: name.slice(0, -8), slice, containerId: undefined };
    if (name.endsWith('.scope')) return { kind: 'scope', path, unit: name.slice(0, -6), slice, containerId: undefined };
    return undefined;
  };
  const walkSlice = (path: string, depth: number): void => {
    const slice = path.slice(path.lastIndexOf('/') + 1).replace(/\.slice$/, '');
    for (const child of reader.listChildren(path)) {
      const childPath = join(path, child);
      if (options.skip.has(childPath)) continue;
      if (child.endsWith('.slice')) {
        if (depth < maxSliceDepth) walkSlice(childPath, depth + 1);
        continue;
      }
      const unit = unitOf(child, childPath, slice);
      if (unit !== undefined) out.push(unit);
    }
  };
  for (const top of reader.listChildren('/')) {
    const path = `/${top}`;
    if (options.skip.has(path)) continue;
    if (top.endsWith('.slice')) walkSlice(path, 1);
    else if (top.endsWith('.scope') || top.endsWith('.service')) {
      const unit = unitOf(top, path, '-');
      if (unit !== undefined) out.push(unit);
    } else if (top === 'docker' || top === 'libpod_parent') {
      const engine = top === 'docker' ? 'docker' : 'podman';
      for (const child of reader.listChildren(path)) {
        const c = containerFromCgroupName(child);
        if (c !== undefined) out.push({ kind: engine, path: join(path, child), unit: c.id, slice: engine, containerId: c.id });
      }
    }
  }
  return out;
}
