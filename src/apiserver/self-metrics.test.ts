/** The server's own histograms: cumulative buckets, +Inf, sum and count as the Go client writes them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SelfMetrics } from './self-metrics.ts';

test('freshness buckets are cumulative; values beyond the last bucket count only in +Inf', () => {
  const m = new SelfMetrics({ resolutionSeconds: 15, startTimeMs: 0, procRoot: '/nonexistent' });
  for (const v of [0.5, 1, 1.2, 3, 3, 1e6]) m.observeFreshness(v);
  const text = m.render();
  const buckets = [...text.matchAll(/^metrics_server_api_metric_freshness_seconds_bucket\{le="([^"]+)"\} (\S+)$/gm)].map((m) => [m[1]!.slice(0, 5), Number(m[2])]);
  assert.equal(buckets.length, 21);
  // le is inclusive: 1 counts in the first bucket; 1e6 only in +Inf.
  assert.deepEqual(buckets.slice(0, 6), [['1', 2], ['1.364', 3], ['1.860', 3], ['2.537', 3], ['3.461', 5], ['4.721', 5]]);
  assert.deepEqual(buckets.slice(-2), [['364.3', 5], ['+Inf', 6]]);
  assert.match(text, /^metrics_server_api_metric_freshness_seconds_count 6$/m);
  assert.match(text, /^metrics_server_api_metric_freshness_seconds_sum 1\.0000087e\+06$/m);
});
