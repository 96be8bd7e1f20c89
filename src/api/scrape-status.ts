/**
 * scrape.kubemeter.io/v1alpha1: kubemeter's own read-only API next to metrics.k8s.io, one
 * NodeScrapeStatus per scraped node saying when the server last tried, when it last succeeded and
 * why the last failure happened. metrics.k8s.io has no place for this (and must stay byte for byte
 * metrics-server's), hence a group of its own. Encoders write Go-style compact JSON (field order of
 * the struct, `omitempty`, metav1.Time in whole seconds); decoders accept untrusted bodies.
 */
import { z } from 'zod';
import { timeJson, type Time } from './json.ts';
import { JsonWriter } from './json-writer.ts';
import { encodeListWith, listMetaSchema, objectMetaSchema, writeObjectMeta, type ListMeta, type ObjectMeta } from './meta.ts';
import { decodeWith, i32, obj, optLiteral, optObj, optStr, str, time } from './schema.ts';
import { parseJson } from './json.ts';
import type { APIGroup, APIResource } from './discovery.ts';

/** The API group. */
export const SCRAPE_GROUP = 'scrape.kubemeter.io';
/** The only version. */
export const SCRAPE_VERSION = 'v1alpha1';
/** `scrape.kubemeter.io/v1alpha1`. */
export const SCRAPE_GROUP_VERSION = `${SCRAPE_GROUP}/${SCRAPE_VERSION}`;
/** The plural resource name. */
export const NODE_SCRAPE_STATUSES = 'nodescrapestatuses';

/**
 * Why a scrape failed, as the server's scraper classifies it: `timeout` (per-node deadline),
 * `tls`, `http-status` (the kubelet answered non-200), `decode` (unparseable body), `too-large`
 * (body over the cap), `network`, `cancelled` (the tick's deadline or shutdown), `address` (no
 * node address of a preferred type). Clients must accept other values from newer servers.
 */
export const scrapeFailureReasons = ['timeout', 'tls', 'http-status', 'decode', 'too-large', 'network', 'cancelled', 'address'] as const;

/** A known failure reason. */
export type ScrapeFailureReason = (typeof scrapeFailureReasons)[number];

/** Longest `lastError.message` a server sends, characters. */
export const maxScrapeErrorMessageChars = 1024;

/** The last failed scrape of a node. */
export interface ScrapeError {
  /** Failure class (see scrapeFailureReasons; other strings from newer servers). */
  reason: string;
  /** The error text, at most maxScrapeErrorMessageChars characters. */
  message: string;
  /** When the failed attempt ended. */
  time: Time;
}

/** What the server knows about scraping one node. */
export interface NodeScrapeStatusStatus {
  /** The kubelet URL scraped (scheme, host, port, path; never credentials or a query). */
  endpoint?: string;
  /** Start of the latest attempt, successful or not; absent before the first. */
  lastAttemptTime?: Time;
  /** End of the latest successful scrape; absent when none succeeded yet. */
  lastSuccessTime?: Time;
  /** Failed attempts since the last success (0 after a success). */
  consecutiveFailures: number;
  /** The latest failure; kept after a recovery (compare its time with lastSuccessTime). */
  lastError?: ScrapeError;
  /** Pods with valid samples in the latest successful scrape. */
  podsServed?: number;
  /** Container samples in the latest successful scrape. */
  containersServed?: number;
}

/** One node's scrape status (cluster-scoped; the name is the node's). */
export interface NodeScrapeStatus {
  /** name, the node's labels, creationTimestamp (when the server started tracking the node). */
  metadata: ObjectMeta;
  /** The status. */
  status: NodeScrapeStatusStatus;
}

/** A list of NodeScrapeStatus. */
export interface NodeScrapeStatusList {
  /** List metadata (`{}`). */
  metadata: ListMeta;
  /** Items, sorted by name. */
  items: NodeScrapeStatus[];
}

/** The group as discovery lists it. */
export const SCRAPE_API_GROUP: APIGroup = {
  name: SCRAPE_GROUP,
  versions: [{ groupVersion: SCRAPE_GROUP_VERSION, version: SCRAPE_VERSION }],
  preferredVersion: { groupVersion: SCRAPE_GROUP_VERSION, version: SCRAPE_VERSION },
};

/** The group's one resource (`kubectl get nodescrapestatuses`, short name `nss`). */
export const SCRAPE_RESOURCES: readonly APIResource[] = [
  { name: NODE_SCRAPE_STATUSES, singularName: 'nodescrapestatus', namespaced: false, kind: 'NodeScrapeStatus', verbs: ['get', 'list'], shortNames: ['nss'] },
];

function writeStatus(w: JsonWriter, s: NodeScrapeStatusStatus): void {
  let sep = '{';
  if (s.endpoint !== undefined && s.endpoint !== '') {
    w.raw('{"endpoint":');
    w.quote(s.endpoint);
    sep = ',';
  }
  if (s.lastAttemptTime !== undefined && s.lastAttemptTime !== null) {
    w.raw(`${sep}"lastAttemptTime":${timeJson(s.lastAttemptTime)}`);
    sep = ',';
  }
  if (s.lastSuccessTime !== undefined && s.lastSuccessTime !== null) {
    w.raw(`${sep}"lastSuccessTime":${timeJson(s.lastSuccessTime)}`);
    sep = ',';
  }
  w.raw(`${sep}"consecutiveFailures":${s.consecutiveFailures}`);
  const e = s.lastError;
  if (e !== undefined) {
    w.raw(',"lastError":{"reason":');
    w.quote(e.reason);
    w.raw(',"message":');
    w.quote(e.message);
    w.raw(`,"time":${timeJson(e.time)}}`);
  }
  if (s.podsServed !== undefined) w.raw(`,"podsServed":${s.podsServed}`);
  if (s.containersServed !== undefined) w.raw(`,"containersServed":${s.containersServed}`);
  w.raw('}');
}

function writeItem(w: JsonWriter, o: NodeScrapeStatus): void {
  writeObjectMeta(w, o.metadata);
  w.raw(',"status":');
  writeStatus(w, o.status);
  w.raw('}');
}

/** The `GET …/nodescrapestatuses/{name}` body (compact, final newline). */
export function encodeNodeScrapeStatus(o: NodeScrapeStatus): string {
  const w = new JsonWriter(1024);
  w.raw(`{"kind":"NodeScrapeStatus","apiVersion":"${SCRAPE_GROUP_VERSION}","metadata":`);
  writeItem(w, o);
  w.raw('\n');
  return w.bytes().toString();
}

/**
 * The `GET …/nodescrapestatuses` body; items in the given order, without kind/apiVersion. Written
 * straight into one buffer: 10,000 nodes are a few MB, one pass, no per-item strings.
 */
export function encodeNodeScrapeStatusList(items: readonly NodeScrapeStatus[], metadata?: ListMeta): string {
  return encodeListWith({ kind: 'NodeScrapeStatusList', apiVersion: SCRAPE_GROUP_VERSION, metadata, items, bytesPerItem: 320, writeItem });
}

const count = i32.refine((n) => n >= 0, { message: 'expected a non-negative integer' });
const optCount = z.preprocess((v) => (v === null ? undefined : v), count.optional());

const statusSchema = obj({
  endpoint: optStr,
  lastAttemptTime: time,
  lastSuccessTime: time,
  consecutiveFailures: z.preprocess((v) => v ?? 0, count),
  lastError: optObj({ reason: str, message: z.preprocess((v) => v ?? '', str), time }),
  podsServed: optCount,
  containersServed: optCount,
}).transform((s): NodeScrapeStatusStatus => {
  const out: NodeScrapeStatusStatus = { consecutiveFailures: s.consecutiveFailures };
  if (s.endpoint !== undefined) out.endpoint = s.endpoint;
  if (s.lastAttemptTime !== null) out.lastAttemptTime = s.lastAttemptTime;
  if (s.lastSuccessTime !== null) out.lastSuccessTime = s.lastSuccessTime;
  if (s.lastError !== undefined) out.lastError = s.lastError;
  if (s.podsServed !== undefined) out.podsServed = s.podsServed;
  if (s.containersServed !== undefined) out.containersServed = s.containersServed;
  return out;
});

const apiVersion = optLiteral(SCRAPE_GROUP_VERSION);

const itemSchema = obj({
  metadata: objectMetaSchema,
  status: z.preprocess((v) => v ?? {}, statusSchema),
});

const objectSchema = obj({ kind: optLiteral('NodeScrapeStatus'), apiVersion, metadata: objectMetaSchema, status: z.preprocess((v) => v ?? {}, statusSchema) })
  .transform(({ metadata, status }): NodeScrapeStatus => ({ metadata, status }));

const listSchema = obj({
  kind: optLiteral('NodeScrapeStatusList'),
  apiVersion,
  metadata: listMetaSchema,
  items: z.preprocess((v) => v ?? [], z.array(itemSchema, { error: 'expected an array' })),
}).transform(({ metadata, items }): NodeScrapeStatusList => ({ metadata, items }));

/** Decode a NodeScrapeStatus body; throws KubemeterError(InvalidDocument) naming `source` and the field. */
export function decodeNodeScrapeStatus(text: string, source?: string): NodeScrapeStatus {
  return decodeWith(objectSchema, parseJson(text, 'NodeScrapeStatus', source), 'NodeScrapeStatus', source);
}

/** Decode a NodeScrapeStatusList body. */
export function decodeNodeScrapeStatusList(text: string, source?: string): NodeScrapeStatusList {
  return decodeWith(listSchema, parseJson(text, 'NodeScrapeStatusList', source), 'NodeScrapeStatusList', source);
}

/** Cut an error message to maxScrapeErrorMessageChars without splitting a surrogate pair. */
export function capScrapeErrorMessage(message: string): string {
  if (message.length <= maxScrapeErrorMessageChars) return message;
  const suffix = '… (truncated)';
  let end = maxScrapeErrorMessageChars - suffix.length;
  const c = message.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return message.slice(0, end) + suffix;
}
