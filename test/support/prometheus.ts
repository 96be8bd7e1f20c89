/**
 * The real Prometheus server and promtool (Debian's `prometheus` package) for tests: start the
 * binary on 127.0.0.1 with a generated configuration and a temporary TSDB, wait for its targets,
 * query its HTTP API, read its own ingestion counters, and lint exposition text with promtool.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { parseExposition } from '../../src/lib/promtext/parse.ts';
import { freePort } from './free-port.ts';

/** Where the Debian package installs the server. */
export const prometheusPath = '/usr/bin/prometheus';
/** Where the Debian package installs promtool. */
export const promtoolPath = '/usr/bin/promtool';


/** One scrape job of the generated configuration. */
export interface ScrapeJob {
  job_name: string;
  metrics_path: string;
  honor_labels?: boolean;
  honor_timestamps?: boolean;
  scrape_interval?: string;
  scrape_timeout?: string;
  static_configs: { targets: string[] }[];
}

/** A running Prometheus. */
export interface PrometheusProcess {
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** Everything it logged (logfmt on stderr). */
  log(): string;
  /** SIGTERM, then SIGKILL after 5 s; removes the TSDB directory. */
  stop(): Promise<void>;
}

/** Start Prometheus with these scrape jobs (JSON is YAML, so the configuration is written as JSON). */
export async function startPrometheus(jobs: readonly ScrapeJob[]): Promise<PrometheusProcess> {
  // The free port is found before Prometheus binds it: another process may take it in between.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(jobs);
    } catch (e) {
      if (attempt === 3 || !(e instanceof Error) || !e.message.includes('address already in use')) throw e;
    }
  }
}

async function startOnce(jobs: readonly ScrapeJob[]): Promise<PrometheusProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-prometheus-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, JSON.stringify({ global: { scrape_interval: '1s', scrape_timeout: '1s' }, scrape_configs: jobs }, null, 2));
  const port = await freePort();
  const child = spawn(prometheusPath, [
    `--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=info',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let text = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => (text += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const base = `http://127.0.0.1:${port}`;
  // Ready once its HTTP API answers; it exits at once on a bad configuration or a taken port.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await fetch(`${base}/-/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus did not become ready:\n${text.slice(-4000)}`);
    }
    await sleep(100);
  }
  return { base, log: () => text, stop };
}

const apiEnvelope = z.object({ status: z.literal('success'), data: z.unknown() });

async function api(base: string, path: string): Promise<unknown> {
  const res = await fetch(`${base}${path}`);
  const body = await res.text();
  const parsed = apiEnvelope.safeParse(JSON.parse(body));
  if (!res.ok || !parsed.success) throw new Error(`prometheus ${path}: HTTP ${res.status}: ${body.slice(0, 2000)}`);
  return parsed.data.data;
}

const targetSchema = z.object({
  labels: z.record(z.string(), z.string()),
  scrapeUrl: z.string(),
  health: z.string(),
  lastError: z.string(),
  lastScrape: z.string(),
});

/** An active target as /api/v1/targets reports it. */
export type Target = z.infer<typeof targetSchema>;

/** The active targets. */
export async function activeTargets(base: string): Promise<Target[]> {
  return z.object({ activeTargets: z.array(targetSchema) }).parse(await api(base, '/api/v1/targets?state=active')).activeTargets;
}

const seriesSchema = z.object({ metric: z.record(z.string(), z.string()), values: z.array(z.tuple([z.number(), z.string()])) });

/** A series of a range-vector query: its labels (`__name__` included) and samples (ms, value). */
export interface StoredSeries {
  labels: Record<string, string>;
  samples: { timestampMs: number; value: number }[];
}

/** Evaluate a range-vector selector (`x[5m]`) now: every stored sample in the window, as the TSDB holds it. */
export async function querySamples(base: string, query: string): Promise<StoredSeries[]> {
  const data = z.object({ resultType: z.literal('matrix'), result: z.array(seriesSchema) })
    .parse(await api(base, `/api/v1/query?query=${encodeURIComponent(query)}`));
  // The API writes values with Go's FormatFloat(v, 'f', -1, 64): parseFloat gives back the exact float64.
  return data.result.map((s) => ({ labels: s.metric, samples: s.values.map(([t, v]) => ({ timestampMs: Math.round(t * 1000), value: Number.parseFloat(v) })) }));
}

/**
 * Counters by which Prometheus reports samples it dropped while ingesting a scrape that otherwise
 * succeeded (the target stays "up" with no lastError): any of them above 0 means a malformed page.
 */
export const ingestionErrorCounters = [
  'prometheus_target_scrapes_sample_duplicate_timestamp_total',
  'prometheus_target_scrapes_sample_out_of_order_total',
  'prometheus_target_scrapes_sample_out_of_bounds_total',
  'prometheus_target_scrapes_exceeded_sample_limit_total',
  'prometheus_target_scrapes_exceeded_body_size_limit_total',
  'prometheus_target_scrape_pool_exceeded_label_limits_total',
  'prometheus_target_scrapes_cache_flush_forced_total',
] as const;

/** Prometheus's own counters named in `names` (read from its /metrics), summed over their labels. */
export async function ownCounters(base: string, names: readonly string[]): Promise<Map<string, number>> {
  const families = parseExposition(await (await fetch(`${base}/metrics`)).text(), { source: `${base}/metrics` });
  const out = new Map<string, number>();
  for (const name of names) {
    const f = families.find((x) => x.name === name);
    if (f === undefined) throw new Error(`prometheus does not expose ${name}`);
    out.set(name, f.samples.reduce((sum, s) => sum + s.value, 0));
  }
  return out;
}

/** What `promtool check metrics` said about a page. */
export interface PromtoolResult {
  /** 0 clean, 3 lint findings only (promtool's lint exit code), anything else a failure (1: parse error). */
  status: number | null;
  /** Lint findings, one `<metric> <text>` per line, sorted. */
  findings: string[];
  output: string;
}

/** Run `promtool check metrics` on exposition text. */
export function promtoolCheckMetrics(text: string): PromtoolResult {
  const r = spawnSync(promtoolPath, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
  const output = `${r.stdout}${r.stderr}`;
  const findings = output.split('\n').filter((l) => l.trim() !== '').sort();
  return { status: r.status, findings, output };
}

/** Is the Prometheus binary installed? */
export function prometheusInstalled(): boolean {
  return existsSync(prometheusPath);
}
