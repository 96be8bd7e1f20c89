/**
 * `kubemeter top pods -A` against the real `kubectl top pods -A` on 10,000 pods served by the same
 * loopback kube-apiserver: wall time of the whole process (start, kubeconfig, discovery, list,
 * decode, sort, print), median of several runs each, and the ratio from the same run. Both outputs
 * must be byte-identical, or the figure is not reported as met.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { medianOf } from './measure.ts';
import type { BenchSuite, BenchResult } from './types.ts';
import { startTopApiServer } from '../test/support/top-apiserver.ts';
import { makeCluster } from '../test/support/top-fixture.ts';

interface Run {
  ms: number;
  stdout: string;
  code: number;
}

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'ignore'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: performance.now() - start, stdout: Buffer.concat(chunks).toString('utf8'), code: code ?? -1 }));
  });
}

/** The suite. */
export const suite: BenchSuite = {
  name: 'top',
  title: 'kubemeter top vs kubectl top',
  description:
    'Wall time of `top pods -A` as a whole process against a loopback kube-apiserver serving 10,000 pods with metrics (JSON), kubemeter run as installed (`bin/kubemeter.js`, the compiled build when present), kubectl 1.32 from PATH. Median of 7 runs each, interleaved.',
  async run(ctx): Promise<BenchResult[]> {
    const pods = ctx.quick ? 300 : 10_000;
    const runs = ctx.quick ? 1 : 7;
    const dir = mkdtempSync(join(tmpdir(), 'kubemeter-top-bench-'));
    const server = await startTopApiServer({ fixture: makeCluster({ nodes: Math.max(3, pods / 100), pods, seed: 3 }) });
    try {
      const kc = server.writeKubeconfig(join(dir, 'kubeconfig'));
      const env = { ...process.env, KUBECONFIG: kc };
      const bin = new URL('../bin/kubemeter.js', import.meta.url).pathname;
      const kubectl = (): Promise<Run> => timed('kubectl', ['top', 'pods', '-A'], env);
      const ours = (): Promise<Run> => timed(process.execPath, [bin, 'top', 'pods', '-A'], env);
      // Warm-up (page cache, kubectl's dispatcher) and the byte-identity check.
      const [k0, o0] = [await kubectl(), await ours()];
      const identical = k0.code === 0 && o0.code === 0 && k0.stdout === o0.stdout;
      ctx.log(`outputs ${identical ? 'identical' : 'DIFFER'} (${k0.stdout.length} bytes)`);
      const kubectlTimes: number[] = [];
      const ourTimes: number[] = [];
      await medianOf(runs, async () => {
        kubectlTimes.push((await kubectl()).ms);
        const t = (await ours()).ms;
        ourTimes.push(t);
        return t;
      });
      const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      const k = med(kubectlTimes);
      const o = med(ourTimes);
      ctx.log(`kubectl ${k.toFixed(0)} ms, kubemeter ${o.toFixed(0)} ms`);
      const ratio = o / k;
      return [
        { name: `kubectl top pods -A (${pods} pods)`, value: Math.round(k), unit: 'ms' },
        {
          name: `kubemeter top pods -A (${pods} pods)`,
          value: Math.round(o),
          unit: 'ms',
          ratio: { value: Math.round(ratio * 100) / 100, against: 'kubectl top pods -A' },
          target: '≤ 1.0× kubectl, identical output',
          met: identical && ratio <= 1,
          note: identical ? 'byte-identical output' : 'OUTPUT DIFFERS',
        },
      ];
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
