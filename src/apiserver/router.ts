/**
 * Every path the server answers: discovery, the metrics resources, the scrape statuses, OpenAPI,
 * version, health and self-metrics. Authentication and authorization wrap this handler from the outside.
 */
import type { Logger } from '../lib/log.ts';
import { apiGroupJson, apiGroupListJson, apiResourceListJson, scrapeGroupJson, scrapeResourceListJson } from './discovery.ts';
import { healthResponse, type HealthCheck } from './health.ts';
import { jsonResponse, notFoundText, statusResponse, type ApiRequest, type ApiResponse } from './http.ts';
import type { MetricsHandler } from './metrics-handler.ts';
import { openApiV2Json, openApiV3GroupHash, openApiV3GroupJson, openApiV3IndexJson, openApiV3ScrapeHash, openApiV3ScrapeJson } from './openapi.ts';
import type { ScrapeStatusHandler } from './scrape-status-handler.ts';
import type { SelfMetrics } from './self-metrics.ts';

/** `/version` contents. */
export interface VersionInfo {
  major: string;
  minor: string;
  gitVersion: string;
  gitCommit: string;
  gitTreeState: string;
  buildDate: string;
  goVersion: string;
  compiler: string;
  platform: string;
}

/** Everything the router dispatches to. */
export interface ApiRouterOptions {
  metrics: MetricsHandler;
  scrapeStatus: ScrapeStatusHandler;
  checks: { livez: readonly HealthCheck[]; readyz: readonly HealthCheck[]; healthz: readonly HealthCheck[] };
  selfMetrics: SelfMetrics;
  version: VersionInfo;
  logger: Logger;
}

const prefix = '/apis/metrics.k8s.io/v1beta1/';
const scrapePrefix = '/apis/scrape.kubemeter.io/v1alpha1/';
const resourceNotFound = { status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', details: {}, code: 404 } as const;

function segmentsOf(path: string, from: number): string[] | undefined {
  try {
    return path.slice(from).split('/').map((s) => decodeURIComponent(s));
  } catch {
    return undefined; // a malformed escape names no resource
  }
}

/** Create the request handler. */
export function createApiRouter(options: ApiRouterOptions): (req: ApiRequest) => ApiResponse {
  const logFailedCheck = (name: string, error: string): void => options.logger.warn('Failed probe', { probe: name, err: error });
  const versionJson = JSON.stringify(options.version, null, 2);
  return (req) => {
    const path = req.path;
    switch (path.endsWith('/') && path.length > 1 ? path.slice(0, -1) : path) {
      case '/apis':
        return jsonResponse(req, 200, apiGroupListJson);
      case '/apis/metrics.k8s.io':
        return jsonResponse(req, 200, apiGroupJson);
      case '/apis/metrics.k8s.io/v1beta1':
        return jsonResponse(req, 200, apiResourceListJson);
      case '/apis/scrape.kubemeter.io':
        return jsonResponse(req, 200, scrapeGroupJson);
      case '/apis/scrape.kubemeter.io/v1alpha1':
        return jsonResponse(req, 200, scrapeResourceListJson);
      case '/openapi/v2':
        return { status: 200, contentType: 'application/json', body: openApiV2Json };
      case '/openapi/v3':
        return { status: 200, contentType: 'application/json', body: openApiV3IndexJson };
      case '/openapi/v3/apis/metrics.k8s.io/v1beta1':
        return { status: 200, contentType: 'application/json', body: openApiV3GroupJson, headers: { etag: `"${openApiV3GroupHash}"` } };
      case '/openapi/v3/apis/scrape.kubemeter.io/v1alpha1':
        return { status: 200, contentType: 'application/json', body: openApiV3ScrapeJson, headers: { etag: `"${openApiV3ScrapeHash}"` } };
      case '/version':
        return { status: 200, contentType: 'application/json', body: versionJson };
      case '/metrics':
        return { status: 200, contentType: 'text/plain; version=0.0.4; charset=utf-8', body: options.selfMetrics.render() };
      default:
        break;
    }
    for (const endpoint of ['livez', 'readyz', 'healthz'] as const) {
      if (path === `/${endpoint}` || path.startsWith(`/${endpoint}/`)) return healthResponse(req, endpoint, options.checks[endpoint], logFailedCheck);
    }
    if (path.startsWith(prefix)) {
      options.selfMetrics.metricsApiRequests++;
      const segments = segmentsOf(path, prefix.length);
      return (segments === undefined ? undefined : options.metrics.handle(req, segments)) ?? statusResponse(req, { ...resourceNotFound, details: {} });
    }
    if (path.startsWith(scrapePrefix)) {
      const segments = segmentsOf(path, scrapePrefix.length);
      return (segments === undefined ? undefined : options.scrapeStatus.handle(req, segments)) ?? statusResponse(req, { ...resourceNotFound, details: {} });
    }
    return notFoundText;
  };
}
