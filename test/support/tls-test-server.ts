/** A TLS server on 127.0.0.1 for client tests: a certificate for 127.0.0.1 from a fresh test CA. */
import type { AddressInfo } from 'node:net';
import { createServer, type TLSSocket } from 'node:tls';
import { createTestPki } from './pki.ts';

/** The running server: its port, the CA that signed its certificate, an unrelated CA, the accepted sockets. */
export interface TlsTestServer {
  port: number;
  caPem: string;
  otherCaPem: string;
  sockets: TLSSocket[];
}

/**
 * Start a TLS server whose certificate names 127.0.0.1, signed by a CA of its own; `onSocket` is
 * called with each accepted connection (after its handshake), which is recorded. Sockets, server
 * and key material are removed when the test ends.
 */
export async function startTlsTestServer(t: { after: (fn: () => void) => void }, onSocket: (s: TLSSocket) => void): Promise<TlsTestServer> {
  const pki = createTestPki();
  t.after(() => pki.cleanup());
  const ca = pki.ca('kubelet-ca');
  const other = pki.ca('other-ca');
  const serving = pki.issue(ca, { commonName: 'node', ipAddresses: ['127.0.0.1'], usage: 'server' });
  const sockets: TLSSocket[] = [];
  const server = createServer({ cert: serving.certPem, key: serving.keyPem }, (s: TLSSocket) => {
    sockets.push(s);
    s.on('error', () => undefined);
    onSocket(s);
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { port, caPem: ca.certPem, otherCaPem: other.certPem, sockets };
}
