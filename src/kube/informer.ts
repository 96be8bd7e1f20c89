/**
 * A reflector + informer: list, then watch from the list's resourceVersion with bookmarks, keeping
 * an in-memory store current and telling subscribers about adds, updates and deletes. Like
 * client-go it relists when the resourceVersion expired (410 Gone, reason Expired, or an ERROR
 * event carrying such a Status), re-watches when the server closes the stream, and backs off with
 * jitter on errors. It never stops on its own: only its AbortSignal or stop() ends it.
 */
import { ErrorCode, KubemeterError, errorMessage } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { silentLogger } from '../lib/log.ts';
import type { Clock } from '../lib/clock.ts';
import { systemClock } from '../lib/clock.ts';
import type { KubeClient, RawWatchEvent } from './client.ts';
import { withQuery } from './client.ts';
import { isResourceExpired, statusSummaryOf } from './http-error.ts';
import type { BackoffOptions, Sleep } from './backoff.ts';
import { Backoff, realSleep } from './backoff.ts';
import type { KubeObject, ReadonlyStore } from './store.ts';
import { ObjectStore, objectKey } from './store.ts';

/** Accept header for metadata-only lists. */
export const PARTIAL_METADATA_LIST_ACCEPT = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
/** Accept header for metadata-only watches. */
export const PARTIAL_METADATA_ACCEPT = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

/** What an informer needs from a client (KubeClient fits). */
export type ListWatchClient = Pick<KubeClient, 'getJSON' | 'watch'>;

/** Subscriber callbacks; exceptions they throw are logged and counted, never fatal. */
export interface InformerHandlers<T> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
}

/** Options of Informer. */
export interface InformerOptions<T extends KubeObject> {
  client: ListWatchClient;
  /** Collection path, e.g. `/api/v1/pods` or `/api/v1/namespaces/kube-system/configmaps`. */
  path: string;
  /** Checks and converts one object (list item or watch event object). */
  decode: (value: unknown, source: string) => T;
  labelSelector?: string;
  fieldSelector?: string;
  /** Ask for PartialObjectMetadata(List) instead of full objects. */
  metadataOnly?: boolean;
  /** Page size of consistent lists (default 500, client-go's). */
  pageSize?: number;
  /** Server-side watch timeout range in seconds (default 300–600, randomised like client-go). */
  watchTimeoutSeconds?: { min: number; max: number };
  /** Per-request timeout for list pages in milliseconds (default 60 s). */
  listTimeoutMs?: number;
  /** Largest list page in bytes (default 64 MiB). */
  maxListBytes?: number;
  backoff?: BackoffOptions;
  logger?: Logger;
  clock?: Clock;
  sleep?: Sleep;
  random?: () => number;
}

/** Counters for health checks and self-metrics. */
export interface InformerStats {
  lists: number;
  watches: number;
  /** Relists caused by an expired resourceVersion. */
  expiredRelists: number;
  errors: number;
  /** Objects that failed to decode and were skipped. */
  decodeErrors: number;
  handlerErrors: number;
  events: number;
  /** Message of the last error, '' when none yet. */
  lastError: string;
}

interface ListDoc {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: unknown[];
}

class ExpiredError extends Error {}

/** A list+watch cache of one collection. */
export class Informer<T extends KubeObject> {
  private readonly o: InformerOptions<T>;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly sleep: Sleep;
  private readonly random: () => number;
  private readonly backoff: Backoff;
  private readonly objects = new ObjectStore<T>();
  private readonly handlers = new Set<InformerHandlers<T>>();
  private readonly syncWaiters: (() => void)[] = [];
  private synced = false;
  private resourceVersion = '';
  private running: Promise<void> | undefined;
  private ctl: AbortController | undefined;
  private readonly counters: InformerStats = { lists: 0, watches: 0, expiredRelists: 0, errors: 0, decodeErrors: 0, handlerErrors: 0, events: 0, lastError: '' };

  constructor(options: InformerOptions<T>) {
    this.o = options;
    this.log = (options.logger ?? silentLogger).with({ informer: options.path });
    this.clock = options.clock ?? systemClock;
    this.sleep = options.sleep ?? realSleep;
    this.random = options.random ?? Math.random;
    this.backoff = new Backoff({ clock: this.clock, random: this.random, ...options.backoff });
  }

  /** The cached objects. */
  get store(): ReadonlyStore<T> {
    return this.objects;
  }

  /** True once the first full list has been stored. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** The resourceVersion the cache is current at ('' before the first list). */
  get lastSyncResourceVersion(): string {
    return this.resourceVersion;
  }

  /** A copy of the counters. */
  stats(): InformerStats {
    return { ...this.counters };
  }

  /** Subscribe; returns the unsubscribe function. New subscribers do not get a replay. */
  on(handlers: InformerHandlers<T>): () => void {
    this.handlers.add(handlers);
    return () => this.handlers.delete(handlers);
  }

  /** Start the list/watch loop in the background (idempotent). */
  start(signal?: AbortSignal): void {
    if (this.running !== undefined) return;
    const ctl = new AbortController();
    this.ctl = ctl;
    if (signal !== undefined) {
      if (signal.aborted) ctl.abort();
      else signal.addEventListener('abort', () => ctl.abort(), { once: true });
    }
    this.running = this.run(ctl.signal);
  }

  /** Stop the loop and wait for it to finish. */
  async stop(): Promise<void> {
    this.ctl?.abort();
    await this.running;
  }

  /** Resolves when synced; rejects with Aborted if `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(new KubemeterError(ErrorCode.Aborted, `waiting for ${this.o.path} to sync: aborted`));
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.syncWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  private async run(signal: AbortSignal): Promise<void> {
    let needList = true;
    let expired = false;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.list(expired ? '' : this.resourceVersion === '' ? '0' : this.resourceVersion, signal);
          needList = false;
          expired = false;
        }
        const started = this.clock.nowMs();
        const events = await this.watchOnce(signal);
        // A stream that closes at once with nothing in it is a misbehaving server: do not spin.
        if (events === 0 && this.clock.nowMs() - started < 1000 && !signal.aborted) await this.sleep(this.backoff.next(), signal);
      } catch (e) {
        if (signal.aborted) break;
        if (e instanceof ExpiredError || isResourceExpired(e)) {
          this.counters.expiredRelists++;
          this.log.info('resourceVersion expired; relisting', { resourceVersion: this.resourceVersion, reason: errorMessage(e) });
          needList = true;
          expired = true;
          continue;
        }
        this.counters.errors++;
        this.counters.lastError = errorMessage(e);
        const waitMs = this.backoff.next();
        this.log.warn(needList ? 'list failed; retrying' : 'watch failed; retrying', { err: e, retryInMs: waitMs });
        await this.sleep(waitMs, signal);
      }
    }
  }

  private selectors(): Record<string, string | undefined> {
    return { labelSelector: this.o.labelSelector, fieldSelector: this.o.fieldSelector };
  }

  private async list(resourceVersion: string, signal: AbortSignal): Promise<void> {
    this.counters.lists++;
    const items: T[] = [];
    let cont = '';
    let listRv = '';
    do {
      // A continue token encodes the resourceVersion; sending both is rejected by the server.
      const query = cont === ''
        ? { ...this.selectors(), resourceVersion, limit: this.o.pageSize ?? 500 }
        : { ...this.selectors(), continue: cont, limit: this.o.pageSize ?? 500 };
      const doc = await this.o.client.getJSON(withQuery(this.o.path, query), {
        signal,
        timeoutMs: this.o.listTimeoutMs ?? 60_000,
        maxBytes: this.o.maxListBytes ?? 64 << 20,
        accept: this.o.metadataOnly ? PARTIAL_METADATA_LIST_ACCEPT : 'application/json',
        decode: (v, source) => {
          if (typeof v !== 'object' || v === null || (v as ListDoc).items !== undefined && !Array.isArray((v as ListDoc).items)) {
            throw new KubemeterError(ErrorCode.InvalidDocument, `list ${source}: not a list document`, { source });
          }
          return v as ListDoc;
        },
      });
      for (const raw of doc.items ?? []) {
        const obj = this.decodeOne(raw, 'list');
        if (obj !== undefined) items.push(obj);
      }
      listRv = doc.metadata?.resourceVersion ?? listRv;
      cont = doc.metadata?.continue ?? '';
    } while (cont !== '');

    const { removed, previous } = this.objects.replace(items);
    this.resourceVersion = listRv;
    for (const obj of removed) this.emit('delete', obj);
    for (const obj of items) {
      const key = objectKey(obj);
      const old = previous.get(key);
      if (old === undefined) this.emit('add', obj);
      else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.emit('update', obj, old);
    }
    this.backoff.reset();
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
      this.log.debug('synced', { objects: items.length, resourceVersion: listRv });
    }
  }

  private async watchOnce(signal: AbortSignal): Promise<number> {
    this.counters.watches++;
    const range = this.o.watchTimeoutSeconds ?? { min: 300, max: 600 };
    const timeoutSeconds = Math.floor(range.min + this.random() * (range.max - range.min));
    const path = withQuery(this.o.path, {
      ...this.selectors(),
      watch: 1,
      resourceVersion: this.resourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds,
    });
    let events = 0;
    const stream = this.o.client.watch(path, {
      signal,
      idleTimeoutMs: timeoutSeconds * 1000 + 60_000,
      accept: this.o.metadataOnly ? PARTIAL_METADATA_ACCEPT : 'application/json',
    });
    for await (const ev of stream) {
      events++;
      this.counters.events++;
      this.handleEvent(ev);
    }
    this.backoff.reset();
    return events;
  }

  private handleEvent(ev: RawWatchEvent): void {
    switch (ev.type) {
      case 'ADDED':
      case 'MODIFIED':
      case 'DELETED': {
        this.noteResourceVersion(ev.object);
        const obj = this.decodeOne(ev.object, ev.type);
        if (obj === undefined) return;
        if (ev.type === 'DELETED') {
          const old = this.objects.delete(obj);
          this.emit('delete', old ?? obj);
        } else {
          const old = this.objects.set(obj);
          if (old === undefined) this.emit('add', obj);
          else this.emit('update', obj, old);
        }
        return;
      }
      case 'BOOKMARK':
        this.noteResourceVersion(ev.object);
        return;
      case 'ERROR': {
        const st = statusSummaryOf(ev.object);
        if (st !== undefined && (st.code === 410 || st.reason === 'Expired' || st.reason === 'Gone')) throw new ExpiredError(st.message);
        throw new KubemeterError(ErrorCode.HttpStatus, `watch ${this.o.path}: ERROR event: ${st === undefined ? JSON.stringify(ev.object)?.slice(0, 300) : `${st.code} ${st.reason}: ${st.message}`}`);
      }
      default:
        this.log.warn('unknown watch event type ignored', { type: ev.type });
    }
  }

  private noteResourceVersion(raw: unknown): void {
    const rv = (raw as { metadata?: { resourceVersion?: unknown } } | null)?.metadata?.resourceVersion;
    if (typeof rv === 'string' && rv !== '') this.resourceVersion = rv;
  }

  private decodeOne(raw: unknown, what: string): T | undefined {
    try {
      return this.o.decode(raw, this.o.path);
    } catch (e) {
      this.counters.decodeErrors++;
      this.log.warn('object skipped: does not decode', { event: what, err: e });
      return undefined;
    }
  }

  private emit(kind: 'add' | 'update' | 'delete', obj: T, old?: T): void {
    for (const h of this.handlers) {
      try {
        if (kind === 'add') h.onAdd?.(obj);
        else if (kind === 'delete') h.onDelete?.(obj);
        else h.onUpdate?.(old!, obj);
      } catch (e) {
        this.counters.handlerErrors++;
        this.log.error('informer handler threw', { event: kind, err: e });
      }
    }
  }
}
