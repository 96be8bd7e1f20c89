/**
 * Writers of cgroup fixture trees in the kernel's real file formats (cgroup v1 with separate
 * cpu/cpuacct/memory hierarchies, cgroup v2 unified), plus the /proc files the agent reads.
 * Used by the reader conformance suite, the agent's golden tests and the benchmark.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FixtureCgroup } from '../../src/cgroup/stats.case.ts';

export type { FixtureCgroup };

const v1Unlimited = 9223372036854771712n;

function write(path: string, text: string): void {
  writeFileSync(path, text);
}

/** The v1 memory.stat of a cgroup, every key the kernel prints, in its order. */
export function v1MemoryStat(m: NonNullable<FixtureCgroup['memory']>, swapBytes: bigint): string {
  const cache = m.usageBytes > m.rssBytes ? m.usageBytes - m.rssBytes : 0n;
  const local: [string, bigint][] = [
    ['cache', cache], ['rss', m.rssBytes], ['rss_huge', 0n], ['shmem', 0n], ['mapped_file', 0n], ['dirty', 0n],
    ['writeback', 0n], ['workingset_refault_anon', 0n], ['workingset_refault_file', 0n], ['swap', swapBytes],
    ['swapcached', 0n], ['pgpgin', 48150n], ['pgpgout', 34854n], ['pgfault', m.pageFaults], ['pgmajfault', m.majorPageFaults],
    ['inactive_anon', 0n], ['active_anon', m.rssBytes], ['inactive_file', m.inactiveFileBytes], ['active_file', 0n],
    ['unevictable', 0n],
  ];
  const lines = local.map(([k, v]) => `${k} ${v}`);
  lines.push(`hierarchical_memory_limit ${m.limitBytes ?? v1Unlimited}`, `hierarchical_memsw_limit ${v1Unlimited}`);
  // The hierarchical totals: fault counters there include descendants, so make them differ.
  for (const [k, v] of local) lines.push(`total_${k} ${k === 'pgfault' || k === 'pgmajfault' ? v + 1000n : v}`);
  return lines.join('\n') + '\n';
}

/** The v2 memory.stat of a cgroup, in the kernel's key order. */
export function v2MemoryStat(m: NonNullable<FixtureCgroup['memory']>): string {
  const file = m.usageBytes > m.rssBytes ? m.usageBytes - m.rssBytes : 0n;
  const keys: [string, bigint][] = [
    ['anon', m.rssBytes], ['file', file], ['kernel', 0n], ['kernel_stack', 16384n], ['pagetables', 4096n],
    ['sec_pagetables', 0n], ['percpu', 0n], ['sock', 0n], ['vmalloc', 0n], ['shmem', 0n], ['zswap', 0n], ['zswapped', 0n],
    ['file_mapped', 0n], ['file_dirty', 0n], ['file_writeback', 0n], ['swapcached', 0n], ['anon_thp', 0n], ['file_thp', 0n],
    ['shmem_thp', 0n], ['inactive_anon', m.rssBytes], ['active_anon', 0n], ['inactive_file', m.inactiveFileBytes],
    ['active_file', 0n], ['unevictable', 0n], ['slab_reclaimable', 0n], ['slab_unreclaimable', 0n], ['slab', 0n],
    ['workingset_refault_anon', 0n], ['workingset_refault_file', 0n], ['workingset_activate_anon', 0n],
    ['workingset_activate_file', 0n], ['workingset_restore_anon', 0n], ['workingset_restore_file', 0n],
    ['workingset_nodereclaim', 0n], ['pswpin', 0n], ['pswpout', 0n], ['pgscan', 0n], ['pgsteal', 0n], ['pgscan_kswapd', 0n],
    ['pgscan_direct', 0n], ['pgscan_khugepaged', 0n], ['pgsteal_kswapd', 0n], ['pgsteal_direct', 0n],
    ['pgsteal_khugepaged', 0n], ['pgfault', m.pageFaults], ['pgmajfault', m.majorPageFaults], ['pgrefill', 0n],
    ['pgactivate', 0n], ['pgdeactivate', 0n], ['pglazyfree', 0n], ['pglazyfreed', 0n], ['zswpin', 0n], ['zswpout', 0n],
    ['zswpwb', 0n], ['thp_fault_alloc', 0n], ['thp_collapse_alloc', 0n], ['thp_swpout', 0n], ['thp_swpout_fallback', 0n],
  ];
  return keys.map(([k, v]) => `${k} ${v}\n`).join('');
}

function mkCgroupDirs(base: string, name: string): string {
  const dir = join(base, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Write cgroups as a v1 tree under `<root>/sys/fs/cgroup/{cpu,cpuacct,memory}`. */
export function writeV1Cgroups(root: string, cgroups: readonly FixtureCgroup[]): void {
  const base = join(root, 'sys', 'fs', 'cgroup');
  for (const c of cgroups) {
    const cpu = mkCgroupDirs(join(base, 'cpu'), c.name);
    const cpuacct = mkCgroupDirs(join(base, 'cpuacct'), c.name);
    const mem = mkCgroupDirs(join(base, 'memory'), c.name);
    const procs = (c.pids ?? []).map((p) => `${p}\n`).join('');
    write(join(cpu, 'cgroup.procs'), procs);
    write(join(cpu, 'cpu.shares'), '1024\n');
    write(join(cpuacct, 'cgroup.procs'), procs);
    write(join(cpuacct, 'cpuacct.usage'), `${c.cpuUsageCoreNanoSeconds}\n`);
    write(join(cpuacct, 'cpuacct.stat'), 'user 16514\nsystem 4051\n');
    write(join(mem, 'cgroup.procs'), procs);
    if (c.memory !== undefined) {
      write(join(mem, 'memory.usage_in_bytes'), `${c.memory.usageBytes}\n`);
      write(join(mem, 'memory.limit_in_bytes'), `${c.memory.limitBytes ?? v1Unlimited}\n`);
      write(join(mem, 'memory.stat'), v1MemoryStat(c.memory, c.swap?.usageBytes ?? 0n));
      write(join(mem, 'memory.use_hierarchy'), '1\n');
      if (c.swap?.limitBytes !== undefined) write(join(mem, 'memory.memsw.limit_in_bytes'), `${c.swap.limitBytes}\n`);
    }
  }
}

/** A `*.pressure` file as the kernel prints it (`%lu.%02lu` averages, total in µs), averages derived from the totals. */
export function pressureText(someTotalUsec: bigint, fullTotalUsec: bigint): string {
  const avg = (t: bigint, div: bigint): string => {
    const centi = (t / div) % 10000n;
    return `${centi / 100n}.${(centi % 100n).toString().padStart(2, '0')}`;
  };
  const line = (kind: string, t: bigint): string => `${kind} avg10=${avg(t, 7n)} avg60=${avg(t, 11n)} avg300=${avg(t, 13n)} total=${t}\n`;
  return line('some', someTotalUsec) + line('full', fullTotalUsec);
}

/** Write cgroups as a v2 tree under `<root>/sys/fs/cgroup`. */
export function writeV2Cgroups(root: string, cgroups: readonly FixtureCgroup[]): void {
  const base = join(root, 'sys', 'fs', 'cgroup');
  for (const c of cgroups) {
    const dir = mkCgroupDirs(base, c.name);
    const usec = c.cpuUsageCoreNanoSeconds / 1000n;
    write(join(dir, 'cgroup.procs'), (c.pids ?? []).map((p) => `${p}\n`).join(''));
    write(join(dir, 'cgroup.controllers'), 'cpuset cpu io memory hugetlb pids rdma misc\n');
    write(
      join(dir, 'cpu.stat'),
      `usage_usec ${usec}\nuser_usec ${(usec * 3n) / 4n}\nsystem_usec ${usec - (usec * 3n) / 4n}\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\nnr_bursts 0\nburst_usec 0\n`,
    );
    // Every v2 cgroup has the three pressure files (kernel ≥ 4.20 with PSI), whatever its controllers.
    write(join(dir, 'cpu.pressure'), pressureText(usec / 50n, usec / 400n));
    write(join(dir, 'memory.pressure'), pressureText(usec / 1000n, usec / 4000n));
    write(join(dir, 'io.pressure'), pressureText(usec / 200n, usec / 800n));
    if (c.memory !== undefined) {
      if (c.name !== '/') {
        write(join(dir, 'memory.current'), `${c.memory.usageBytes}\n`);
        write(join(dir, 'memory.max'), c.memory.limitBytes === undefined ? 'max\n' : `${c.memory.limitBytes}\n`);
        write(join(dir, 'memory.swap.current'), `${c.swap?.usageBytes ?? 0n}\n`);
        if (c.swap?.limitBytes !== undefined) write(join(dir, 'memory.swap.max'), `${c.swap.limitBytes}\n`);
        else write(join(dir, 'memory.swap.max'), 'max\n');
      }
      write(join(dir, 'memory.stat'), v2MemoryStat(c.memory));
    }
  }
}

/** /proc/self/mountinfo of a v1 host with separate cpu, cpuacct and memory hierarchies (and a unified mount: hybrid). */
export const v1MountInfo = [
  '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
  '33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct',
  '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
  '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
  '',
].join('\n');

/** /proc/self/mountinfo of a cgroup v2 host. */
export const v2MountInfo = [
  '22 1 259:1 / / rw,relatime shared:1 - ext4 /dev/root rw,discard',
  '26 23 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw',
  '27 26 0:24 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:8 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot',
  '',
].join('\n');

/** Host-level /proc files for a fixture root. */
export interface FixtureProc {
  memTotalKb: number;
  swapTotalKb?: number;
  swapFreeKb?: number;
  bootTimeSeconds: number;
  tasks: number;
  /** pid → net/dev text (pid 1 = the host). */
  netDev: Record<number, string>;
  /** pid → comm. */
  comm?: Record<number, string>;
  mountInfo: string;
}

/** A /proc/<pid>/net/dev text with the given interfaces (name, rxBytes, txBytes). */
export function netDevText(ifaces: readonly [string, number, number][]): string {
  const head =
    'Inter-|   Receive                                                |  Transmit\n' +
    ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n';
  return head + ifaces.map(([n, rx, tx]) => `${n.padStart(6)}: ${rx} 10 0 0 0 0 0 0 ${tx} 12 0 0 0 0 0 0\n`).join('');
}

/** Write the /proc files the agent reads under `<root>/proc`. */
export function writeFixtureProc(root: string, p: FixtureProc): void {
  const proc = join(root, 'proc');
  mkdirSync(join(proc, 'self'), { recursive: true });
  mkdirSync(join(proc, 'sys', 'kernel'), { recursive: true });
  write(join(proc, 'self', 'mountinfo'), p.mountInfo);
  const swapTotal = p.swapTotalKb ?? 0;
  write(
    join(proc, 'meminfo'),
    `MemTotal:       ${p.memTotalKb} kB\nMemFree:        ${Math.floor(p.memTotalKb / 2)} kB\nMemAvailable:   ${Math.floor(p.memTotalKb / 2)} kB\n` +
      `Buffers:           80792 kB\nCached:          1921932 kB\nSwapCached:            0 kB\n` +
      `SwapTotal:       ${swapTotal} kB\nSwapFree:        ${p.swapFreeKb ?? swapTotal} kB\nHugePages_Total:       0\nHugepagesize:       2048 kB\n`,
  );
  write(
    join(proc, 'stat'),
    `cpu  16327 0 3814 96034 300 0 190 4394 0 0\ncpu0 8000 0 1900 48000 150 0 95 2197 0 0\nintr 0\nctxt 1\nbtime ${p.bootTimeSeconds}\nprocesses 12515\nprocs_running 3\nprocs_blocked 0\n`,
  );
  write(join(proc, 'loadavg'), `2.10 0.88 0.34 3/${p.tasks} 12515\n`);
  write(join(proc, 'sys', 'kernel', 'pid_max'), '32768\n');
  write(join(proc, 'sys', 'kernel', 'threads-max'), '192730\n');
  for (const [pid, text] of Object.entries(p.netDev)) {
    mkdirSync(join(proc, pid, 'net'), { recursive: true });
    write(join(proc, pid, 'net', 'dev'), text);
  }
  for (const [pid, comm] of Object.entries(p.comm ?? {})) {
    mkdirSync(join(proc, pid), { recursive: true });
    write(join(proc, pid, 'comm'), `${comm}\n`);
  }
}
