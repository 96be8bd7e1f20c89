/**
 * What a Node object says about this host, read the way the kubelet's cAdvisor reads it: online
 * logical CPUs (`/sys/devices/system/cpu/online`, else `processor` lines of /proc/cpuinfo),
 * machine and boot ids, kernel and OS image, and the addresses to reach it. Pure parsers first,
 * then `readHostFacts` with injectable roots.
 */
import { readFileSync } from 'node:fs';
import { arch, networkInterfaces, release } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, KubemeterError, quoteInput } from '../lib/errors.ts';

/** Number of CPUs in a kernel CPU list (`0-3,6,8-9` → 7). */
export function parseCpuList(text: string, source: string): number {
  const t = text.trim();
  if (t === '') return 0;
  let n = 0;
  for (const part of t.split(',')) {
    const m = /^(\d{1,6})(?:-(\d{1,6}))?$/.exec(part);
    if (m === null) throw new KubemeterError(ErrorCode.InvalidFile, `${source}: not a CPU list: ${quoteInput(t)}`, { source });
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw new KubemeterError(ErrorCode.InvalidFile, `${source}: descending range ${quoteInput(part)}`, { source });
    n += hi - lo + 1;
  }
  return n;
}

/** Number of `processor` entries in /proc/cpuinfo. */
export function countCpuinfoProcessors(text: string): number {
  return text.split('\n').filter((l) => /^processor\s*:/.test(l)).length;
}

/** `PRETTY_NAME` of an os-release file (quotes removed), or `Linux`. */
export function parseOsRelease(text: string): string {
  for (const line of text.split('\n')) {
    const m = /^PRETTY_NAME=(.*)$/.exec(line.trim());
    if (m === null) continue;
    const v = m[1]!.trim();
    const unquoted = /^(["'])(.*)\1$/.exec(v)?.[2] ?? v;
    return unquoted.replace(/\\(["'\\$`])/g, '$1');
  }
  return 'Linux';
}

/** Go's GOARCH for Node's `os.arch()`. */
export function goArch(nodeArch: string): string {
  const map: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64' };
  return map[nodeArch] ?? nodeArch;
}

/** A node address as in `status.addresses`. */
export interface HostAddress {
  type: 'InternalIP' | 'Hostname';
  address: string;
}

/** The host as the Node object describes it. */
export interface HostFacts {
  cpuCores: number;
  machineId: string;
  bootId: string;
  kernelVersion: string;
  osImage: string;
  architecture: string;
  /** InternalIP addresses (non-loopback IPv4 first, then IPv6), then the Hostname. */
  addresses: HostAddress[];
}

/** Roots to read from (tests point them at fixture trees). */
export interface HostRoots {
  procRoot: string;
  sysRoot: string;
  /** Where `machine-id` and `os-release` are (default `/etc`). */
  etcRoot?: string;
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return undefined;
  }
}

/** The host's addresses from its interfaces (pure over `os.networkInterfaces()`'s shape). */
export function hostAddresses(interfaces: ReturnType<typeof networkInterfaces>, hostname: string): HostAddress[] {
  const v4: string[] = [];
  const v6: string[] = [];
  for (const list of Object.values(interfaces)) {
    for (const a of list ?? []) {
      if (a.internal) continue;
      if (a.family === 'IPv4') v4.push(a.address);
      else if (!a.address.toLowerCase().startsWith('fe80:')) v6.push(a.address);
    }
  }
  return [...[...v4, ...v6].map((address) => ({ type: 'InternalIP' as const, address })), { type: 'Hostname', address: hostname }];
}

/** Read the host facts. Throws only when no CPU count can be found at all. */
export function readHostFacts(roots: HostRoots, hostname: string): HostFacts {
  const etc = roots.etcRoot ?? '/etc';
  const online = join(roots.sysRoot, 'devices/system/cpu/online');
  const onlineText = readOptional(online);
  let cpuCores = onlineText === undefined ? 0 : parseCpuList(onlineText, online);
  if (cpuCores === 0) cpuCores = countCpuinfoProcessors(readOptional(join(roots.procRoot, 'cpuinfo')) ?? '');
  if (cpuCores === 0) throw new KubemeterError(ErrorCode.InvalidFile, `cannot count CPUs from ${online} or ${join(roots.procRoot, 'cpuinfo')}`, { source: online });
  return {
    cpuCores,
    machineId: (readOptional(join(etc, 'machine-id')) ?? '').trim(),
    bootId: (readOptional(join(roots.procRoot, 'sys/kernel/random/boot_id')) ?? '').trim(),
    kernelVersion: release(),
    osImage: parseOsRelease(readOptional(join(etc, 'os-release')) ?? readOptional('/usr/lib/os-release') ?? ''),
    architecture: goArch(arch()),
    addresses: hostAddresses(networkInterfaces(), hostname),
  };
}
