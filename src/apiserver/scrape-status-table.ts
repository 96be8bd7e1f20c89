/**
 * Table output of nodescrapestatuses (`kubectl get nodescrapestatuses`, `-o wide`): NAME, LAST
 * SUCCESS and ERROR AGE as kubectl's human ages, FAILURES, LAST ERROR (the reason); ENDPOINT and
 * MESSAGE at priority 1 (shown with -o wide). Ages are relative to the response time, as the
 * apiserver's own printers compute AGE columns.
 */
import { goQuote } from '../api/json.ts';
import { encodeNodeScrapeStatus, type NodeScrapeStatus } from '../api/scrape-status.ts';
import { rowObject, type TableVersion } from './table.ts';

/**
 * apimachinery's duration.HumanDuration: `45s` up to 2 minutes, then `2m5s`, `15m`, `3h20m`,
 * `20h`, `3d4h`, `30d`, `2y100d`, `9y`; a time up to a second in the future is `0s`.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.trunc(hours / 24) % 365;
    return dy === 0 ? `${Math.trunc(hours / 24 / 365)}y` : `${Math.trunc(hours / 24 / 365)}y${dy}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

const column = (name: string, type: string, format: string, description: string, priority: number): string =>
  `{"name":${goQuote(name)},"type":"${type}","format":"${format}","description":${goQuote(description)},"priority":${priority}}`;

const columns = [
  column('Name', 'string', 'name', 'Name of the node', 0),
  column('Last Success', 'string', '', 'Time since the last successful scrape', 0),
  column('Failures', 'integer', '', 'Failed scrapes since the last success', 0),
  column('Last Error', 'string', '', 'Reason of the last failed scrape', 0),
  column('Error Age', 'string', '', 'Time since the last failed scrape', 0),
  column('Endpoint', 'string', '', 'The kubelet URL scraped', 1),
  column('Message', 'string', '', 'Message of the last failed scrape', 1),
].join(',');

const since = (t: number | null | undefined, nowMs: number): string => (t === undefined || t === null ? '<none>' : humanDuration(nowMs - t));

/** A Table of node scrape statuses at `nowMs`. */
export function nodeScrapeStatusTable(items: readonly NodeScrapeStatus[], includeObject: string, version: TableVersion, nowMs: number): string {
  const rows = items.map((o) => {
    const s = o.status;
    const e = s.lastError;
    const cells = [
      goQuote(o.metadata.name ?? ''),
      goQuote(since(s.lastSuccessTime, nowMs)),
      String(s.consecutiveFailures),
      goQuote(e?.reason ?? '<none>'),
      goQuote(since(e?.time, nowMs)),
      goQuote(s.endpoint ?? '<none>'),
      goQuote(e?.message ?? '<none>'),
    ];
    return `{"cells":[${cells.join(',')}]${rowObject(includeObject, version, o.metadata, encodeNodeScrapeStatus(o))}}`;
  });
  return `{"kind":"Table","apiVersion":"meta.k8s.io/${version}","metadata":{},"columnDefinitions":[${columns}],"rows":[${rows.join(',')}]}\n`;
}
