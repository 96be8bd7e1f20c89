/**
 * Test cgroups on this machine's real hierarchies (v1: cpu, cpuacct and memory; v2: unified), and
 * processes started inside them. Needs root. `remove()` kills the processes and removes the
 * cgroups, leaf first; register it with `t.after` right away so a failing test leaves nothing.
 *
 *   const cg = new RealCgroups(readCgroupMounts({ procRoot: '/proc', sysRoot: '/sys' }));
 *   t.after(() => cg.remove());
 *   cg.create(`/test-${process.pid}`); cg.startIn(`/test-${process.pid}`, ['/bin/sleep', '60']);
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cgroupDir, type CgroupMounts } from '../../src/cgroup/mounts.ts';

/** Cgroups and processes a test created; undone by `remove()`. */
export class RealCgroups {
  readonly mounts: CgroupMounts;
  private readonly created: string[] = [];
  private readonly children: ChildProcess[] = [];

  constructor(mounts: CgroupMounts) {
    this.mounts = mounts;
  }

  /** Directories of one cgroup (a path like `/a/b`) in every hierarchy the agent reads. */
  dirsOf(name: string): string[] {
    const m = this.mounts;
    if (m.version === 'v2') return [cgroupDir(m.unified!, name)];
    const seen = new Set<string>();
    for (const c of ['cpu', 'cpuacct', 'memory'] as const) {
      const mount = m.controllers[c];
      if (mount !== undefined) seen.add(cgroupDir(mount, name));
    }
    return [...seen];
  }

  /** Create one cgroup (its parent must exist) in every hierarchy; returns its directories. */
  create(name: string): string[] {
    const dirs = this.dirsOf(name);
    for (const dir of dirs) {
      mkdirSync(dir);
      this.created.push(dir);
      // v2: let the children have cpu and memory accounting.
      if (this.mounts.version === 'v2') writeFileSync(join(dir, 'cgroup.subtree_control'), '+cpu +memory');
    }
    return dirs;
  }

  /**
   * Give cgroup `name` the highest CPU weight its hierarchy allows (v1 `cpu.shares` 262144, v2
   * `cpu.weight` 10000), so a process in it keeps its core while the rest of the test suite loads
   * the machine: the weight only matters under contention and costs the other tests nothing else.
   */
  preferForCpu(name: string): void {
    const m = this.mounts;
    if (m.version === 'v2') {
      writeFileSync(join(cgroupDir(m.unified!, name), 'cpu.weight'), '10000');
      return;
    }
    const cpu = m.controllers.cpu;
    if (cpu !== undefined) writeFileSync(join(cgroupDir(cpu, name), 'cpu.shares'), '262144');
  }

  /** Start `argv` already inside cgroup `name`: the shell moves itself there, then execs. */
  startIn(name: string, argv: readonly string[], stdio: StdioOptions = ['ignore', 'pipe', 'inherit']): ChildProcess {
    const moves = this.dirsOf(name).map((d) => `echo $$ > '${d}/cgroup.procs'`).join(' && ');
    const child = spawn('/bin/sh', ['-c', `${moves} && exec "$@"`, 'sh', ...argv], { stdio });
    this.children.push(child);
    return child;
  }

  /** Kill the processes, wait for their exit, then remove the cgroups leaf first. */
  async remove(): Promise<void> {
    for (const c of this.children) c.kill('SIGKILL');
    await Promise.all(this.children.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => c.once('exit', r)))));
    for (const dir of [...this.created].reverse()) {
      // A just-killed task can keep a cgroup busy for a moment.
      for (let attempt = 0; attempt < 50 && existsSync(dir); attempt++) {
        try {
          rmdirSync(dir);
        } catch {
          await sleep(20);
        }
      }
    }
  }
}
