/**
 * bench/server-harness.ts for the compiled server (the tsc output the image ships): the same IPC
 * protocol, written in JavaScript so that the process loads no TypeScript at all. Running the
 * sources costs the type stripper and the sources' text, about 31 MiB of RSS that the shipped
 * server does not have.
 *
 *   node --expose-gc bench/compiled-server-harness.js OUT/cmd/server.js <kubemeter server flags>
 */
import { writeHeapSnapshot } from 'node:v8';
import { pathToFileURL } from 'node:url';

const { run } = await import(pathToFileURL(process.argv[2]).href);

process.on('message', (m) => {
  if (m.gc === true && typeof globalThis.gc === 'function') globalThis.gc();
  if (m.heapSnapshot !== undefined) writeHeapSnapshot(m.heapSnapshot);
  process.send?.({ id: m.id, cpu: process.cpuUsage(), mem: process.memoryUsage() });
});

process.exitCode = await run(process.argv.slice(3));
process.disconnect?.();
