/**
 * TLS client connections whose encrypted input is read in reads of at most `maxReadBytes` and
 * reaches OpenSSL in pieces of at most `maxPieceBytes`, so that a connection kept open between
 * scrapes holds a 4 KiB TLS read buffer for its whole life instead of 64 KiB.
 *
 * When node:tls wraps a TCP socket directly, libuv reads into the TLS layer's input buffer with
 * its suggested size of 64 KiB, and that buffer (a ring of which Node frees only the spare
 * members) lives as long as the connection. Given a socket that is not yet connected, node:tls
 * instead wraps it as a JS stream and copies each 'data' chunk into its input buffer. The TCP
 * socket here reads through net's `onread` into one buffer shared by every connection of the
 * process and hands each read on synchronously: node:tls copies it before returning, so the
 * shared buffer is free again when the next read (of any connection) lands in it.
 *
 * The input ring of a client connection starts as one buffer of 4 KiB (Node's initial size for a
 * client, enough for a server's hello and certificate); a chunk that fills it, or a chunk larger
 * than it, adds a 16 KiB member, and the ring never shrinks below two members again. OpenSSL takes
 * everything from the ring after each chunk (a partial record into its own record buffer, which it
 * releases when empty), so chunks smaller than 4 KiB always land at the start of the first buffer
 * and the ring stays at 4 KiB for the connection's life: each read is handed to TLS in pieces of at
 * most 4,095 bytes.
 * Measured (heaptrack, 500 kept connections to local TLS servers sending 16 KiB records, after two
 * 18 KB answers each): reads of 16 KiB took the TLS read buffers from 65.5 KiB to 22.7 KiB per
 * connection, and the process's live native allocations fell by 45 KiB per connection. Pieces of
 * 4,095 bytes took RSS per kept connection from 95.9 to 79.0 KiB (2,000 connections, two 40 KB
 * answers each; pieces of 4,096 bytes: 92.8 KiB, as the ring then grows), with no CPU cost that
 * stands out of the noise: 96–112 µs per 40 KB answer on a kept connection in pieces, 99–100 µs
 * in whole 16 KiB reads (a copy and an OpenSSL call per piece instead of per read). The price of the
 * stream wrapper is about 3 KiB more JS heap per connection (node:tls's wrapper is a second
 * net.Socket) and tens of µs more CPU per request on a kept connection ('data' events, copies,
 * writes through the wrapper's JS stream).
 * Certificate verification, session resumption and the key exchange groups are those of the
 * options given, unchanged: only the byte transport under TLS differs.
 */
import { Socket } from 'node:net';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';

/** Largest read from the TCP socket, bytes: one full TLS record (16 KiB of plaintext) in most reads, handed to TLS in pieces. */
export const defaultMaxReadBytes = 16 * 1024;

/**
 * Largest piece of a read handed to TLS at once, bytes: one less than the 4 KiB first buffer of a
 * client's TLS input ring, so that no piece fills it (see above).
 */
export const tlsInputPieceBytes = 4095;

/** The read buffer shared by every connection (allocated on first use, per size). */
const sharedReads = new Map<number, Buffer>();

/** Options of connectTlsOverReads: those of tls.connect (without `socket`), with host and port required. */
export interface TlsOverReadsOptions extends Omit<ConnectionOptions, 'socket' | 'host' | 'port'> {
  host: string;
  port: number;
  /** Largest read from the TCP socket, bytes (default 16 KiB). */
  maxReadBytes?: number;
  /** Largest piece of a read handed to TLS at once, bytes (default tlsInputPieceBytes). */
  maxPieceBytes?: number;
}

/**
 * Open a TLS client connection to `host:port` whose TCP reads are at most `maxReadBytes`; behaves
 * as tls.connect(options) otherwise ('secureConnect', 'session', 'data', 'end', 'error', 'close';
 * destroy() closes the TCP socket too).
 */
export function connectTlsOverReads(options: TlsOverReadsOptions): TLSSocket {
  const { maxReadBytes = defaultMaxReadBytes, maxPieceBytes = tlsInputPieceBytes, ...tlsOptions } = options;
  let buffer = sharedReads.get(maxReadBytes);
  if (buffer === undefined) {
    buffer = Buffer.allocUnsafe(maxReadBytes);
    sharedReads.set(maxReadBytes, buffer);
  }
  const tcp: Socket = new Socket({
    onread: {
      buffer,
      // With `onread` a socket emits no 'data' of its own: each read is handed on here, as a view
      // of the shared buffer that node:tls's stream wrapper copies before emit returns.
      callback: (bytes: number, view: Uint8Array) => {
        for (let at = 0; at < bytes; at += maxPieceBytes) {
          tcp.emit('data', Buffer.from(view.buffer, view.byteOffset + at, Math.min(maxPieceBytes, bytes - at)));
        }
        return true;
      },
    },
  });
  // Not yet connected, hence wrapped as a stream (see above); node:tls starts its handshake on
  // the socket's 'connect'.
  const tls = connect({ ...tlsOptions, host: options.host, port: options.port, socket: tcp });
  tcp.connect({ host: options.host, port: options.port });
  return tls;
}
