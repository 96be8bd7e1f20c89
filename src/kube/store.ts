/**
 * The in-memory object store behind an informer, keyed like client-go's
 * MetaNamespaceKeyFunc: `namespace/name`, or `name` for cluster-scoped objects.
 */

/** The metadata an informer needs from every object. */
export interface ObjectMeta {
  readonly name?: string;
  readonly namespace?: string;
  readonly resourceVersion?: string;
}

/** Any Kubernetes object (full or PartialObjectMetadata). */
export interface KubeObject {
  readonly metadata?: ObjectMeta;
}

/** The store key of an object. */
export function objectKey(obj: KubeObject): string {
  const name = obj.metadata?.name ?? '';
  const ns = obj.metadata?.namespace ?? '';
  return ns === '' ? name : `${ns}/${name}`;
}

/** The store key of a namespace/name pair. */
export function keyOf(namespace: string | undefined, name: string): string {
  return namespace === undefined || namespace === '' ? name : `${namespace}/${name}`;
}

/** Read access to an informer's objects. */
export interface ReadonlyStore<T> {
  /** The object with this key (`ns/name` or `name`). */
  get(key: string): T | undefined;
  /** Shorthand for get(keyOf(namespace, name)). */
  getByName(namespace: string | undefined, name: string): T | undefined;
  /** All objects, in no particular order. */
  list(): T[];
  /** All keys. */
  keys(): string[];
  /** Number of objects. */
  readonly size: number;
}

/** A mutable store; informers own one. */
export class ObjectStore<T extends KubeObject> implements ReadonlyStore<T> {
  private items = new Map<string, T>();

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  getByName(namespace: string | undefined, name: string): T | undefined {
    return this.items.get(keyOf(namespace, name));
  }

  list(): T[] {
    return [...this.items.values()];
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  get size(): number {
    return this.items.size;
  }

  /** Insert or replace; returns the previous object. */
  set(obj: T): T | undefined {
    const key = objectKey(obj);
    const old = this.items.get(key);
    this.items.set(key, obj);
    return old;
  }

  /** Remove by the object's key; returns what was stored. */
  delete(obj: KubeObject): T | undefined {
    const key = objectKey(obj);
    const old = this.items.get(key);
    this.items.delete(key);
    return old;
  }

  /** Replace everything; returns the objects that disappeared. */
  replace(objs: readonly T[]): { removed: T[]; previous: Map<string, T> } {
    const previous = this.items;
    const next = new Map<string, T>();
    for (const o of objs) next.set(objectKey(o), o);
    const removed: T[] = [];
    for (const [k, v] of previous) if (!next.has(k)) removed.push(v);
    this.items = next;
    return { removed, previous };
  }
}
