import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { isKubemeterError } from '../lib/errors.ts';
import { parseProcessLimits, parseProcessStat, readProcessFigures } from './process-metrics.ts';
import { SelfMetrics } from './self-metrics.ts';

// Captured from a real process (the command name holds a space and a parenthesis).
const STAT = '4242 (node (main)) S 1 4242 4242 0 -1 4194560 9817 0 0 0 731 129 0 0 20 0 11 0 1234567 1143017472 18901 18446744073709551615 1 1 0 0 0 0 0 4096 134234626 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n';
const LIMITS = [
  'Limit                     Soft Limit           Hard Limit           Units     ',
  'Max cpu time              unlimited            unlimited            seconds   ',
  'Max open files            1048576              1048576              files     ',
  'Max address space         unlimited            unlimited            bytes     ',
  'Max nice priority         0                    0                    ',
  '',
].join('\n');

test('parseProcessStat and parseProcessLimits read the fields the Go process collector uses', () => {
  assert.deepEqual(parseProcessStat(STAT), { userTicks: 731, systemTicks: 129, startTicks: 1234567, virtualMemoryBytes: 1143017472, residentPages: 18901 });
  const l = parseProcessLimits(LIMITS);
  assert.equal(l.get('Max open files'), 1048576);
  assert.equal(l.get('Max address space'), 2 ** 64);
  assert.equal(l.get('Max nice priority'), 0);
});

test('the parsers refuse garbage with a KubemeterError, never another exception', () => {
  fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => {
    for (const parse of [parseProcessStat, parseProcessLimits]) {
      try {
        parse(s);
      } catch (e) {
        assert.ok(isKubemeterError(e), String(e));
      }
    }
  }));
});

test('readProcessFigures from a /proc tree; /metrics shows the process_* families in name order', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'kubemeter-proc-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'self', 'fd'), { recursive: true });
  for (const fd of ['0', '1', '2']) writeFileSync(join(root, 'self', 'fd', fd), '');
  writeFileSync(join(root, 'self', 'stat'), STAT);
  writeFileSync(join(root, 'self', 'limits'), LIMITS);
  writeFileSync(join(root, 'stat'), 'cpu  1 2 3 4\nbtime 1785000000\nprocesses 10\n');
  assert.deepEqual(readProcessFigures(root, 77_824_000), {
    cpuSecondsTotal: 8.6, residentMemoryBytes: 77_824_000, virtualMemoryBytes: 1143017472, startTimeSeconds: 1785012345.67, openFds: 3, maxFds: 1048576, virtualMemoryMaxBytes: 2 ** 64,
  });
  assert.equal(readProcessFigures(join(root, 'missing')), undefined);
  const text = new SelfMetrics({ resolutionSeconds: 15, startTimeMs: 0, procRoot: root }).render();
  const processLines = text.split('\n').filter((l) => l.startsWith('process_') || l.startsWith('# TYPE process_'));
  assert.deepEqual(processLines.filter((l) => !l.startsWith('process_resident')), [
    '# TYPE process_cpu_seconds_total counter', 'process_cpu_seconds_total 8.6',
    '# TYPE process_max_fds gauge', 'process_max_fds 1.048576e+06',
    '# TYPE process_open_fds gauge', 'process_open_fds 3',
    '# TYPE process_resident_memory_bytes gauge',
    '# TYPE process_start_time_seconds gauge', 'process_start_time_seconds 1.78501234567e+09',
    '# TYPE process_virtual_memory_bytes gauge', 'process_virtual_memory_bytes 1.143017472e+09',
    '# TYPE process_virtual_memory_max_bytes gauge', 'process_virtual_memory_max_bytes 1.8446744073709552e+19',
  ]);
  assert.match(text, /^# HELP process_open_fds Number of open file descriptors\.$/m);
  // No kubelet requested yet: the per-node families are left out, as the Go registry does.
  assert.doesNotMatch(text, /metrics_server_kubelet_last_request_time_seconds/);
  // Without /proc the CPU and memory still come from Node.
  const fallback = new SelfMetrics({ resolutionSeconds: 15, startTimeMs: 1_500_000, procRoot: join(root, 'missing') }).render();
  assert.match(fallback, /^process_start_time_seconds 1500$/m);
  assert.match(fallback, /^process_cpu_seconds_total /m);
  assert.doesNotMatch(fallback, /process_open_fds/);
});
