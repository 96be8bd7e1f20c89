/**
 * A one-container /metrics/resource page and a decoder for it: the smallest valid kubelet answer,
 * for the scraper's client and connection tests.
 */
import { resourceDecoder } from '../../src/scraper/decode-resource.ts';

/** One container's CPU and working set, in the kubelet's text format. */
export const resourcePage = [
  '# TYPE container_cpu_usage_seconds_total counter',
  'container_cpu_usage_seconds_total{container="c",namespace="ns",pod="p"} 2.5 1750000000000',
  '# TYPE container_memory_working_set_bytes gauge',
  'container_memory_working_set_bytes{container="c",namespace="ns",pod="p"} 1024 1750000000000',
  '',
].join('\n');

/** A fresh decoder of node `n`'s /metrics/resource, bodies up to 1 MiB. */
export function pageDecoder(): ReturnType<typeof resourceDecoder> {
  return resourceDecoder({ node: 'n', defaultTimestampMs: 0, source: 'test', maxBodyChars: 1 << 20 });
}
