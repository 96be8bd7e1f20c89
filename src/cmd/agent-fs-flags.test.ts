import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ErrorCode, isKubemeterError } from '../lib/errors.ts';
import { agentUsage, parseAgentFlags } from './agent.ts';

const host = { hostname: 'node-1' };

test('flags: --volume-stats-agg-period as the kubelet (Go duration, default 1m, ≤ 0 disables) and --pod-logs-dir', () => {
  const d = parseAgentFlags([], host);
  assert.equal(d.volumeStatsAggPeriodMs, 60_000);
  assert.equal(d.podLogsDir, '/var/log/pods');
  assert.equal(d.rootDir, '/var/lib/kubelet');
  assert.equal(parseAgentFlags(['--volume-stats-agg-period=90s'], host).volumeStatsAggPeriodMs, 90_000);
  assert.equal(parseAgentFlags(['--volume-stats-agg-period', '1h2m'], host).volumeStatsAggPeriodMs, 3_720_000);
  assert.equal(parseAgentFlags(['--volume-stats-agg-period=-1s'], host).volumeStatsAggPeriodMs, -1000);
  assert.equal(parseAgentFlags(['--volume-stats-agg-period=0'], host).volumeStatsAggPeriodMs, 0);
  assert.equal(parseAgentFlags(['--pod-logs-dir=/host/var/log/pods', '--root-dir=/host/kubelet'], host).podLogsDir, '/host/var/log/pods');
  assert.throws(() => parseAgentFlags(['--volume-stats-agg-period=1 minute'], host),
    (e) => isKubemeterError(e, ErrorCode.InvalidFlag) && e.message === 'invalid argument "1 minute" for "--volume-stats-agg-period" flag: time: unknown unit " minute" in duration "1 minute"');
  fc.assert(fc.property(fc.string(), (v) => {
    try {
      const ms = parseAgentFlags([`--volume-stats-agg-period=${v}`], host).volumeStatsAggPeriodMs;
      assert.ok(Number.isInteger(ms));
    } catch (e) {
      assert.ok(isKubemeterError(e, ErrorCode.InvalidFlag), String(e));
    }
  }));
  const usage = agentUsage();
  assert.match(usage, /--volume-stats-agg-period duration\n.*To disable volume calculations, set to a negative number/);
  assert.match(usage, /--pod-logs-dir string/);
});
