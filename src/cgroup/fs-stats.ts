/**
 * Filesystem capacity by statfs, for the node root and image filesystems. A hung network
 * filesystem must not stall housekeeping, so each call has a deadline (2 s, as the kubelet).
 */
import type { BigIntStatsFs } from 'node:fs';
import { ErrorCode, KubemeterError } from '../lib/errors.ts';
import { nodeFs } from '../lib/node-fs.ts';

const { statfs } = nodeFs;

/** Capacity of one filesystem, bytes and inode counts. */
export interface FsUsage {
  capacityBytes: bigint;
  availableBytes: bigint;
  /** Free blocks × block size (includes blocks reserved for root). */
  freeBytes: bigint;
  inodes: bigint;
  inodesFree: bigint;
}

/** statfs(path) with a deadline. Throws Timeout, NotFound or InvalidFile naming the path. */
export async function readFsUsage(path: string, options: { timeoutMs?: number } = {}): Promise<FsUsage> {
  const timeoutMs = options.timeoutMs ?? 2000;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new KubemeterError(ErrorCode.Timeout, `statfs ${path}: no answer within ${timeoutMs} ms`, { source: path })), timeoutMs);
    timer.unref();
  });
  try {
    // The callback form: node:fs is loaded anyway, node:fs/promises would add 1.8 MiB RSS to the agent.
    const call = new Promise<BigIntStatsFs>((resolve, reject) => statfs(path, { bigint: true }, (e, s) => (e === null ? resolve(s) : reject(e))));
    const s = await Promise.race([call, deadline]);
    return {
      capacityBytes: s.blocks * s.bsize,
      availableBytes: s.bavail * s.bsize,
      freeBytes: s.bfree * s.bsize,
      inodes: s.files,
      inodesFree: s.ffree,
    };
  } catch (e) {
    if (e instanceof KubemeterError) throw e;
    const code = typeof e === 'object' && e !== null && 'code' in e && e.code === 'ENOENT' ? ErrorCode.NotFound : ErrorCode.InvalidFile;
    throw new KubemeterError(code, `statfs ${path}: ${(e as Error).message}`, { cause: e, source: path });
  } finally {
    clearTimeout(timer);
  }
}
