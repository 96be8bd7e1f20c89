/**
 * A cgroup's CPU limit as a Kubernetes quantity, the inverse of the kubelet's
 * `quota = milliCPU × period / 1000`: cgroup v2 `cpu.max` (`<quota|max> <period>`), v1
 * `cpu.cfs_quota_us` (−1 = none) and `cpu.cfs_period_us`. Parsers are pure; `readCpuLimitMilli`
 * is the thin I/O on top.
 */
import { readSmallFile } from '../cgroup/read-file.ts';
import { cgroupDir, type CgroupMounts } from '../cgroup/mounts.ts';
import { ErrorCode, KubemeterError, quoteInput } from '../lib/errors.ts';

/** Millicores from a quota and period in µs (rounded up: never understate a limit); undefined = none. */
export function quotaToMilli(quotaUs: bigint, periodUs: bigint): number | undefined {
  if (quotaUs <= 0n || periodUs <= 0n) return undefined;
  const milli = (quotaUs * 1000n + periodUs - 1n) / periodUs;
  return Number(milli);
}

const uint = /^\d{1,19}$/;

/** Parse v2 `cpu.max`: `max 100000` → undefined, `50000 100000` → 500. */
export function parseCpuMax(text: string, source: string): number | undefined {
  const [quota, period, ...rest] = text.trim().split(/\s+/);
  if (quota === undefined || period === undefined || rest.length > 0 || !uint.test(period) || (quota !== 'max' && !uint.test(quota))) {
    throw new KubemeterError(ErrorCode.InvalidFile, `${source}: expected "<quota|max> <period>", got ${quoteInput(text)}`, { source });
  }
  return quota === 'max' ? undefined : quotaToMilli(BigInt(quota), BigInt(period));
}

/** Parse v1 `cpu.cfs_quota_us` and `cpu.cfs_period_us` (quota −1 = no limit). */
export function parseCfsQuota(quotaText: string, periodText: string, source: string): number | undefined {
  const q = quotaText.trim();
  const p = periodText.trim();
  if (!/^-?\d{1,19}$/.test(q) || !uint.test(p)) {
    throw new KubemeterError(ErrorCode.InvalidFile, `${source}: expected integer quota and period, got ${quoteInput(q)} and ${quoteInput(p)}`, { source });
  }
  return q.startsWith('-') ? undefined : quotaToMilli(BigInt(q), BigInt(p));
}

/** The CPU limit of cgroup `name` in millicores; undefined when there is none or the files are absent. */
export function readCpuLimitMilli(mounts: CgroupMounts, name: string): number | undefined {
  if (mounts.version === 'v2') {
    if (mounts.unified === undefined) return undefined;
    const file = `${cgroupDir(mounts.unified, name)}/cpu.max`;
    const text = readSmallFile(file);
    return text === undefined ? undefined : parseCpuMax(text, file);
  }
  const cpu = mounts.controllers.cpu;
  if (cpu === undefined) return undefined;
  const dir = cgroupDir(cpu, name);
  const quota = readSmallFile(`${dir}/cpu.cfs_quota_us`);
  const period = readSmallFile(`${dir}/cpu.cfs_period_us`);
  return quota === undefined || period === undefined ? undefined : parseCfsQuota(quota, period, `${dir}/cpu.cfs_quota_us`);
}
