/**
 * The floor for serving a list: an HTTPS server (same TLS stack, HTTP/1.1) that answers every
 * request with the same bytes from a ready Buffer. Spawned with an IPC channel; reports its port.
 *
 *   node bench/floor-server.ts <body file> <cert file> <key file>
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';

const [bodyFile = '', certFile = '', keyFile = ''] = process.argv.slice(2);
const body = readFileSync(bodyFile);
const server = createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body);
});
server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
process.on('disconnect', () => {
  server.closeAllConnections();
  server.close();
});
