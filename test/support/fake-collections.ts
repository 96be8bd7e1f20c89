/**
 * The object store of the fake kube-apiserver: collections sharing one resourceVersion counter
 * (like etcd's revision), an event history for watches, compaction (old resourceVersions answer
 * 410 Expired), label and field selectors, and paginated lists with continue tokens.
 */
import { parseLabelSelector } from '../../src/lib/labels.ts';
import { parseFieldSelector } from '../../src/lib/fields.ts';

/** A JSON object as served (nodes, pods, configmaps). */
export type JsonObject = Record<string, unknown> & { metadata: { name: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string>; [k: string]: unknown } };

/** One change, as a watch event. */
export interface ChangeEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: JsonObject;
  resourceVersion: number;
}

/** Objects of one resource; mutate them from tests. */
export class FakeCollection {
  readonly resource: string;
  readonly kind: string;
  readonly namespaced: boolean;
  private readonly db: FakeDatabase;
  private readonly objects = new Map<string, JsonObject>();

  constructor(db: FakeDatabase, resource: string, kind: string, namespaced: boolean) {
    this.db = db;
    this.resource = resource;
    this.kind = kind;
    this.namespaced = namespaced;
  }

  private key(ns: string | undefined, name: string): string {
    return this.namespaced ? `${ns ?? 'default'}/${name}` : name;
  }

  /** Create or replace an object (kind/apiVersion filled in); returns the stored copy with its new resourceVersion. */
  upsert(obj: JsonObject): JsonObject {
    const rv = this.db.bump();
    const meta: JsonObject['metadata'] = { ...obj.metadata, resourceVersion: String(rv) };
    if (this.namespaced) meta.namespace = meta.namespace ?? 'default';
    else delete meta.namespace;
    meta['uid'] ??= `uid-${this.resource}-${meta.namespace ?? ''}-${meta.name}`;
    meta['creationTimestamp'] ??= '2026-01-01T00:00:00Z';
    const stored: JsonObject = { kind: this.kind, apiVersion: 'v1', ...obj, metadata: meta };
    const key = this.key(meta.namespace, meta.name);
    const existed = this.objects.has(key);
    this.objects.set(key, stored);
    this.db.record(this, { type: existed ? 'MODIFIED' : 'ADDED', object: stored, resourceVersion: rv });
    return stored;
  }

  /** Delete an object; returns it, or undefined when absent. */
  remove(name: string, namespace?: string): JsonObject | undefined {
    const key = this.key(namespace, name);
    const old = this.objects.get(key);
    if (old === undefined) return undefined;
    this.objects.delete(key);
    const rv = this.db.bump();
    const gone: JsonObject = { ...old, metadata: { ...old.metadata, resourceVersion: String(rv) } };
    this.db.record(this, { type: 'DELETED', object: gone, resourceVersion: rv });
    return gone;
  }

  /** The stored object. */
  get(name: string, namespace?: string): JsonObject | undefined {
    return this.objects.get(this.key(namespace, name));
  }

  /** All objects sorted by key (what a list returns before selectors). */
  all(): JsonObject[] {
    return [...this.objects.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  }
}

/** Filters a collection request: namespace plus label and field selectors. */
export interface ObjectFilter {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/** The fields an object exposes to field selectors (the common ones for nodes, pods, configmaps). */
export function fieldsOf(o: JsonObject): Record<string, string> {
  const spec = (o['spec'] ?? {}) as Record<string, unknown>;
  const status = (o['status'] ?? {}) as Record<string, unknown>;
  const f: Record<string, string> = { 'metadata.name': o.metadata.name, 'metadata.namespace': o.metadata.namespace ?? '' };
  if (typeof spec['nodeName'] === 'string') f['spec.nodeName'] = spec['nodeName'];
  if (typeof status['phase'] === 'string') f['status.phase'] = status['phase'];
  if (typeof spec['unschedulable'] === 'boolean') f['spec.unschedulable'] = String(spec['unschedulable']);
  return f;
}

/** Builds a matcher; throws the selector's parse error (the server answers 400 with it). */
export function matcherFor(filter: ObjectFilter): (o: JsonObject) => boolean {
  const labels = parseLabelSelector(filter.labelSelector ?? '');
  const fields = parseFieldSelector(filter.fieldSelector ?? '');
  return (o) =>
    (filter.namespace === undefined || o.metadata.namespace === filter.namespace) &&
    labels.matches(o.metadata.labels ?? {}) &&
    fields.matches(fieldsOf(o));
}

type Listener = (collection: FakeCollection, ev: ChangeEvent) => void;

/** The shared revision counter and history. */
export class FakeDatabase {
  private revision = 100;
  /** Events older than this resourceVersion were compacted away. */
  oldestResourceVersion = 100;
  private readonly history: { collection: FakeCollection; ev: ChangeEvent }[] = [];
  private readonly listeners = new Set<Listener>();

  /** Current resourceVersion. */
  get resourceVersion(): number {
    return this.revision;
  }

  bump(): number {
    return ++this.revision;
  }

  record(collection: FakeCollection, ev: ChangeEvent): void {
    this.history.push({ collection, ev });
    for (const l of this.listeners) l(collection, ev);
  }

  /** Forget history: watches and continue tokens from before now answer 410 Expired. */
  compact(): void {
    this.history.length = 0;
    this.oldestResourceVersion = this.revision;
  }

  /** Events of `collection` after `resourceVersion`, or undefined when that version was compacted. */
  since(collection: FakeCollection, resourceVersion: number): ChangeEvent[] | undefined {
    if (resourceVersion < this.oldestResourceVersion) return undefined;
    return this.history.filter((h) => h.collection === collection && h.ev.resourceVersion > resourceVersion).map((h) => h.ev);
  }

  /** Subscribe to changes; returns the unsubscribe function. */
  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}

/** The apiserver's continue token: opaque base64 of the list's revision and the next offset. */
export function encodeContinue(resourceVersion: number, offset: number): string {
  return Buffer.from(JSON.stringify({ rv: resourceVersion, start: offset })).toString('base64url');
}

/** Decode a continue token; undefined when malformed. */
export function decodeContinue(token: string): { rv: number; start: number } | undefined {
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { rv?: unknown; start?: unknown };
    if (typeof v.rv === 'number' && typeof v.start === 'number') return { rv: v.rv, start: v.start };
  } catch {
    // fall through
  }
  return undefined;
}
