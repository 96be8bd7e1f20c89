import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { PodStats, Summary } from '../api/stats.ts';
import type { Family, Sample } from '../lib/promtext/types.ts';
import { normalizeFamilies, writeExposition } from '../lib/promtext/write.ts';
import { agentSummary } from '../../test/support/summary-arbitrary.ts';
import { buildResourceMetrics } from './resource-metrics.ts';

const types: Record<string, 'counter' | 'gauge'> = {
  node_cpu_usage_seconds_total: 'counter', container_cpu_usage_seconds_total: 'counter', pod_cpu_usage_seconds_total: 'counter',
};

/**
 * The reference: every sample as an object, ordered by the generic registry ordering
 * (normalizeFamilies), as the kubelet's Gather orders them. HELP texts are taken from the page
 * under test (they are constants); everything else is computed here.
 */
function reference(summary: Summary | undefined, helpOf: (name: string) => string | undefined): string {
  const samples = new Map<string, Sample[]>();
  const add = (name: string, labels: string[], value: number, timestampMs: number | null | undefined): void => {
    let list = samples.get(name);
    if (list === undefined) samples.set(name, (list = []));
    list.push({ name, labels, value, timestampMs: timestampMs ?? undefined });
  };
  const seconds = (ns: bigint): number => Number(ns) / 1e9;
  if (summary !== undefined) {
    const n = summary.node;
    if (n.cpu?.usageCoreNanoSeconds !== undefined) add('node_cpu_usage_seconds_total', [], seconds(n.cpu.usageCoreNanoSeconds), n.cpu.time);
    if (n.memory?.workingSetBytes !== undefined) add('node_memory_working_set_bytes', [], n.memory.workingSetBytes, n.memory.time);
    if (n.swap?.swapUsageBytes !== undefined) add('node_swap_usage_bytes', [], n.swap.swapUsageBytes, n.memory?.time);
    for (const p of summary.pods as PodStats[]) {
      const pod = p.podRef.name;
      const ns = p.podRef.namespace;
      for (const c of p.containers) {
        const labels = ['container', c.name, 'pod', pod, 'namespace', ns];
        if (c.startTime !== null && Math.floor(c.startTime / 1000) > 0) add('container_start_time_seconds', labels, (c.startTime * 1e6) / 1e9, undefined);
        if (c.cpu?.usageCoreNanoSeconds !== undefined) add('container_cpu_usage_seconds_total', labels, seconds(c.cpu.usageCoreNanoSeconds), c.cpu.time);
        if (c.memory?.workingSetBytes !== undefined) add('container_memory_working_set_bytes', labels, c.memory.workingSetBytes, c.memory.time);
        if (c.swap?.swapUsageBytes !== undefined) add('container_swap_usage_bytes', labels, c.swap.swapUsageBytes, c.swap.time);
        if (c.swap?.swapAvailableBytes !== undefined) {
          const avail = c.swap.swapAvailableBytes < 0 ? c.swap.swapAvailableBytes + 2 ** 64 : c.swap.swapAvailableBytes;
          add('container_swap_limit_bytes', labels, avail + (c.swap.swapUsageBytes ?? 0), c.swap.time);
        }
      }
      const labels = ['pod', pod, 'namespace', ns];
      if (p.cpu?.usageCoreNanoSeconds !== undefined) add('pod_cpu_usage_seconds_total', labels, seconds(p.cpu.usageCoreNanoSeconds), p.cpu.time);
      if (p.memory?.workingSetBytes !== undefined) add('pod_memory_working_set_bytes', labels, p.memory.workingSetBytes, p.memory.time);
      if (p.swap?.swapUsageBytes !== undefined) add('pod_swap_usage_bytes', labels, p.swap.swapUsageBytes, p.swap.time);
    }
  }
  add('resource_scrape_error', [], summary === undefined ? 1 : 0, undefined);
  const families: Family[] = [...samples].map(([name, s]) => ({ name, help: helpOf(name), type: types[name] ?? 'gauge', samples: s }));
  return writeExposition(normalizeFamilies(families));
}

function helpFrom(page: string): (name: string) => string | undefined {
  const help = new Map([...page.matchAll(/^# HELP (\S+) (.*)$/gm)].map((m) => [m[1]!, m[2]!]));
  return (name) => help.get(name);
}

test('buildResourceMetrics writes what the generic registry ordering writes, for any agent-shaped Summary', () => {
  const full = buildResourceMetrics({
    node: { nodeName: 'n', startTime: 0, cpu: { time: 1, usageCoreNanoSeconds: 1n }, memory: { time: 1, workingSetBytes: 1 }, swap: { time: 1, swapUsageBytes: 1 } },
    pods: [{ podRef: { name: 'p', namespace: 'ns', uid: 'u' }, startTime: 0, containers: [{ name: 'c', startTime: 5000, cpu: { time: 1, usageCoreNanoSeconds: 1n }, memory: { time: 1, workingSetBytes: 1 }, swap: { time: 1, swapUsageBytes: 1, swapAvailableBytes: 1 } }],
      cpu: { time: 1, usageCoreNanoSeconds: 1n }, memory: { time: 1, workingSetBytes: 1 }, swap: { time: 1, swapUsageBytes: 1 } }],
  });
  // Every family appears once with its HELP, so the reference can take the texts from this page.
  assert.equal([...full.matchAll(/^# HELP /gm)].length, 12);
  const helpOf = helpFrom(full);
  assert.equal(buildResourceMetrics(undefined), reference(undefined, helpOf));
  fc.assert(fc.property(agentSummary, (s) => {
    assert.equal(buildResourceMetrics(s), reference(s, helpOf));
  }), { numRuns: 400 });
});
