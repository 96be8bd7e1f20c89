/**
 * Kubelet connections kept open between scrapes (HTTP/1.1 keep-alive), at most one idle
 * connection per kubelet. A connection's socket listeners are attached once and forward to the
 * request in progress; while the connection is idle, any event on it (the kubelet closing it,
 * an error, an unexpected byte) retires it. Connections idle longer than the idle timeout are
 * closed by a sweep, so that a kubelet that left the cluster holds nothing of ours for long.
 */
import type { Socket } from 'node:net';

/** What the request in progress on a connection is told. */
export interface ConnectionHandler {
  data(chunk: Buffer): void;
  end(): void;
  error(e: Error): void;
  close(): void;
}

/** One connection to a kubelet. */
export class KubeletConnection {
  readonly socket: Socket;
  /** The kubelet: `scheme//host:port`. */
  readonly key: string;
  /** The request in progress, or undefined while idle. */
  handler: ConnectionHandler | undefined;
  /** Requests this connection has carried before the current one. */
  uses = 0;
  /** When the connection became idle, Unix ms. */
  idleSinceMs = 0;
  /** Counted against the pool's bound, idle or in use (until it is closed). */
  member = false;

  constructor(socket: Socket, key: string, onIdleEvent: (c: KubeletConnection) => void) {
    this.socket = socket;
    this.key = key;
    socket.on('data', (chunk: Buffer) => {
      if (this.handler !== undefined) this.handler.data(chunk);
      else onIdleEvent(this);
    });
    socket.on('end', () => {
      if (this.handler !== undefined) this.handler.end();
      else onIdleEvent(this);
    });
    socket.on('error', (e: Error) => {
      if (this.handler !== undefined) this.handler.error(e);
      else onIdleEvent(this);
    });
    socket.on('close', () => {
      if (this.handler !== undefined) this.handler.close();
      else onIdleEvent(this);
    });
  }
}

/** Options of an IdleConnections pool. */
export interface IdleConnectionsOptions {
  /** Close a connection idle for longer than this, ms (below the kubelet's own 90 s). */
  idleTimeoutMs: number;
  /**
   * Most idle connections held. A full pool keeps the connections it has and closes new ones
   * rather than replacing its oldest: the scraper visits every kubelet once per cycle in the same
   * order, so evicting the least recently used would close each connection before its reuse.
   */
  maxIdle: number;
  /** Wall clock, Unix ms. */
  nowMs: () => number;
}

/**
 * The kept connections: at most one idle per kubelet, and at most `maxIdle` kept in all, idle or
 * in use. A kept connection holds its place while it carries a request, so that a new connection
 * finishing meanwhile cannot take it and leave the kept one nowhere to return to.
 */
export class IdleConnections {
  private readonly byKey = new Map<string, KubeletConnection>();
  /** Kept connections, idle or in use. */
  private members = 0;
  private readonly idleTimeoutMs: number;
  private readonly nowMs: () => number;
  private readonly maxIdle: number;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(options: IdleConnectionsOptions) {
    this.idleTimeoutMs = options.idleTimeoutMs;
    this.nowMs = options.nowMs;
    this.maxIdle = options.maxIdle;
  }

  /** Idle connections held. */
  get size(): number {
    return this.byKey.size;
  }

  /** The idle connection to `key`, taken out of the pool (undefined when none is usable). */
  take(key: string): KubeletConnection | undefined {
    const c = this.byKey.get(key);
    if (c === undefined) return undefined;
    this.byKey.delete(key);
    if (c.socket.destroyed || this.nowMs() - c.idleSinceMs > this.idleTimeoutMs) {
      this.discard(c);
      return undefined;
    }
    c.socket.ref();
    return c;
  }

  /**
   * Keep `c` for the next request to its kubelet (replacing, and closing, an older idle one);
   * false, and `c` closed, when the pool is full.
   */
  park(c: KubeletConnection): boolean {
    c.handler = undefined;
    const older = this.byKey.get(c.key);
    if (older !== undefined && older !== c) {
      this.byKey.delete(c.key);
      this.discard(older);
    }
    if (!c.member) {
      if (this.members >= this.maxIdle) {
        c.socket.destroy();
        return false;
      }
      c.member = true;
      this.members++;
    }
    c.uses++;
    c.idleSinceMs = this.nowMs();
    // Most recently parked last, so that the sweep can stop at the first young connection.
    this.byKey.delete(c.key);
    this.byKey.set(c.key, c);
    // An idle connection does not keep the process alive.
    c.socket.unref();
    if (this.sweeper === undefined) {
      this.sweeper = setInterval(() => this.sweep(), Math.max(1000, this.idleTimeoutMs / 2));
      this.sweeper.unref();
    }
    return true;
  }

  /** Forget and close an idle connection the kubelet closed (or that misbehaved). */
  retire(c: KubeletConnection): void {
    if (this.byKey.get(c.key) === c) this.byKey.delete(c.key);
    this.discard(c);
  }

  /** Close `c` (taken or never kept), giving up its place in the pool. */
  discard(c: KubeletConnection): void {
    c.handler = undefined;
    if (c.member) {
      c.member = false;
      this.members--;
    }
    c.socket.destroy();
  }

  /** Close connections idle for longer than the idle timeout. */
  sweep(): void {
    const now = this.nowMs();
    for (const c of this.byKey.values()) {
      if (now - c.idleSinceMs <= this.idleTimeoutMs) break;
      this.byKey.delete(c.key);
      this.discard(c);
    }
    if (this.byKey.size === 0 && this.sweeper !== undefined) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  /** Close every idle connection. */
  close(): void {
    for (const c of this.byKey.values()) this.discard(c);
    this.byKey.clear();
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }
}
