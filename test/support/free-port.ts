/**
 * A free TCP port on 127.0.0.1 for a child process to bind: the port is found by listening on
 * port 0 and closed again, so the caller (usually another process) can take it.
 */
import { createServer } from 'node:net';

/** A free TCP port on 127.0.0.1 (closed again: the caller binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      s.close(() => resolvePort(port));
    });
  });
}
