/**
 * The real `kubemeter server` command in a child process, plus an IPC channel through which the
 * benchmark reads the server's own CPU time and memory (process.cpuUsage/memoryUsage, so the
 * simulator's CPU is never counted) and can ask for a full GC before reading the retained heap
 * (and for a heap snapshot, to see what is retained).
 *
 *   node --expose-gc bench/server-harness.ts <kubemeter server flags>   (spawned with an IPC channel)
 */
import { writeHeapSnapshot } from 'node:v8';
import { run } from '../src/cmd/server.ts';

/** A stats request from the benchmark. */
interface StatsRequest {
  id: number;
  gc?: boolean;
  /** Write a V8 heap snapshot to this file (after the GC) before answering. */
  heapSnapshot?: string;
}

process.on('message', (m: StatsRequest) => {
  if (m.gc === true && typeof globalThis.gc === 'function') globalThis.gc();
  if (m.heapSnapshot !== undefined) writeHeapSnapshot(m.heapSnapshot);
  process.send?.({ id: m.id, cpu: process.cpuUsage(), mem: process.memoryUsage() });
});

process.exitCode = await run(process.argv.slice(2));
process.disconnect?.();
