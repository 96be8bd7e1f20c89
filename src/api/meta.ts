/**
 * meta/v1 pieces every object uses: the ObjectMeta and ListMeta subsets kubemeter reads and
 * writes, and the decoder of `Status` bodies. Status itself, its encoder and constructors live in
 * the zod-free status.ts and are re-exported here.
 */
import { z } from 'zod';
import { goQuote, goStringMap, timeJson, type Time } from './json.ts';
import { JsonWriter } from './json-writer.ts';
import { decodeWith, i32, obj, optArr, optLiteral, optObj, optStr, optStringMap, optTime, time } from './schema.ts';
import { parseJson } from './json.ts';
import type { Status } from './status.ts';

export type { GroupResource, Status, StatusCause, StatusDetails } from './status.ts';
export {
  badRequestStatus, encodeStatus, forbiddenStatus, internalErrorStatus, methodNotSupportedStatus, notFoundStatus, unauthorizedStatus,
} from './status.ts';

/** The ObjectMeta fields kubemeter uses (others are dropped on decode). */
export interface ObjectMeta {
  /** Object name. */
  name?: string;
  /** Prefix for generated names. */
  generateName?: string;
  /** Namespace (namespaced objects only). */
  namespace?: string;
  /** Deprecated self link; very old servers send it. */
  selfLink?: string;
  /** Unique id. */
  uid?: string;
  /** Opaque version for watches and optimistic concurrency. */
  resourceVersion?: string;
  /** Creation time; Go always writes the key (`null` when unset). */
  creationTimestamp?: Time;
  /** Deletion time when the object is being deleted. */
  deletionTimestamp?: Time;
  /** Labels (selectors match these). */
  labels?: Record<string, string>;
  /** Annotations. */
  annotations?: Record<string, string>;
}

/** The ListMeta of a list response. */
export interface ListMeta {
  /** Deprecated self link. */
  selfLink?: string;
  /** Version of the list, to start a watch from. */
  resourceVersion?: string;
  /** Pagination token. */
  continue?: string;
  /** Items not yet returned (pagination). */
  remainingItemCount?: number;
}

/** zod shape of ObjectMeta, for embedding in other schemas. */
export const objectMetaSchema: z.ZodType<ObjectMeta> = obj({
  name: optStr,
  generateName: optStr,
  namespace: optStr,
  selfLink: optStr,
  uid: optStr,
  resourceVersion: optStr,
  creationTimestamp: time,
  deletionTimestamp: optTime,
  labels: optStringMap,
  annotations: optStringMap,
});

/** zod shape of ListMeta (`remainingItemCount` accepted as any integer). */
export const listMetaSchema: z.ZodType<ListMeta> = z.preprocess(
  (v) => (v === null || v === undefined ? {} : v),
  obj({
    selfLink: optStr,
    resourceVersion: optStr,
    continue: optStr,
    remainingItemCount: z.number({ error: 'expected an integer' }).int({ error: 'expected an integer' }).optional(),
  }),
);

function s(key: string, v: string | undefined): string {
  return v === undefined || v === '' ? '' : `,"${key}":${goQuote(v)}`;
}

function map(key: string, m: Readonly<Record<string, string>> | undefined): string {
  if (m === undefined) return '';
  for (const _ in m) return `,"${key}":${goStringMap(m)}`;
  return '';
}

/** ObjectMeta as Go writes it: field order of the struct, `omitempty`, `creationTimestamp` always present. */
export function encodeObjectMeta(m: ObjectMeta): string {
  const f = `${s('name', m.name)}${s('generateName', m.generateName)}${s('namespace', m.namespace)}${s('selfLink',
    m.selfLink)}${s('uid', m.uid)}${s('resourceVersion', m.resourceVersion)},"creationTimestamp":${timeJson(
    m.creationTimestamp)}${m.deletionTimestamp === undefined ? '' : `,"deletionTimestamp":${timeJson(
    m.deletionTimestamp)}`}${map('labels', m.labels)}${map('annotations', m.annotations)}`;
  return `{${f.slice(1)}}`;
}

/** Writes ObjectMeta like encodeObjectMeta, straight into a JsonWriter (list encoders). */
export function writeObjectMeta(w: JsonWriter, m: ObjectMeta): void {
  let first = true;
  const key = (k: string): void => {
    w.raw(first ? `{"${k}":` : `,"${k}":`);
    first = false;
  };
  const str = (k: string, v: string | undefined): void => {
    if (v === undefined || v === '') return;
    key(k);
    w.quote(v);
  };
  const map = (k: string, v: Readonly<Record<string, string>> | undefined): void => {
    if (v === undefined) return;
    for (const _ in v) {
      key(k);
      w.stringMap(v);
      return;
    }
  };
  str('name', m.name);
  str('generateName', m.generateName);
  str('namespace', m.namespace);
  str('selfLink', m.selfLink);
  str('uid', m.uid);
  str('resourceVersion', m.resourceVersion);
  key('creationTimestamp');
  w.raw(timeJson(m.creationTimestamp));
  if (m.deletionTimestamp !== undefined) {
    key('deletionTimestamp');
    w.raw(timeJson(m.deletionTimestamp));
  }
  map('labels', m.labels);
  map('annotations', m.annotations);
  w.raw('}');
}

/** ListMeta as Go writes it (`{}` when empty). */
export function encodeListMeta(m: ListMeta | undefined): string {
  if (m === undefined) return '{}';
  const f = `${s('selfLink', m.selfLink)}${s('resourceVersion', m.resourceVersion)}${s('continue', m.continue)}${
    m.remainingItemCount === undefined ? '' : `,"remainingItemCount":${m.remainingItemCount}`}`;
  return `{${f.slice(1)}}`;
}

/** What encodeListWith writes. */
export interface ListBody<T> {
  kind: string;
  apiVersion: string;
  metadata: ListMeta | undefined;
  items: readonly T[];
  /** Expected bytes per item, to size the buffer once. */
  bytesPerItem: number;
  /** Writes one item after its opening `{"metadata":`. */
  writeItem: (w: JsonWriter, item: T) => void;
}

/**
 * A `…List` body (compact, final newline) written straight into one buffer: kind, apiVersion and
 * list metadata, then every item, without per-item strings.
 */
export function encodeListWith<T>(o: ListBody<T>): string {
  const w = new JsonWriter(256 + o.items.length * o.bytesPerItem);
  w.raw(`{"kind":"${o.kind}","apiVersion":"${o.apiVersion}","metadata":${encodeListMeta(o.metadata)},"items":[`);
  for (let i = 0; i < o.items.length; i++) {
    w.raw(i === 0 ? '{"metadata":' : ',{"metadata":');
    o.writeItem(w, o.items[i]!);
  }
  w.raw(']}\n');
  return w.bytes().toString();
}

const statusSchema: z.ZodType<Status> = obj({
  kind: optLiteral('Status'),
  status: optStr,
  message: optStr,
  reason: optStr,
  details: optObj({
    name: optStr,
    group: optStr,
    kind: optStr,
    uid: optStr,
    causes: optArr(obj({ reason: optStr, message: optStr, field: optStr })),
    retryAfterSeconds: i32.optional(),
  }),
  code: i32.optional(),
}).transform(({ kind: _kind, ...status }) => status);

/** Decodes a Status body (error responses). Throws KubemeterError(InvalidDocument) naming `source`. */
export function decodeStatus(text: string, source?: string): Status {
  return decodeWith(statusSchema, parseJson(text, 'Status', source), 'Status', source);
}
