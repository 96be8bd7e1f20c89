/**
 * `/livez`, `/readyz`, `/healthz` with k8s.io/apiserver's exact texts: `ok` when healthy and not
 * verbose, per-check lines with `?verbose`, `[-]name failed: reason withheld` and HTTP 500 on
 * failure (the real reason goes to the log), `?exclude=`, and `/<endpoint>/<check>`.
 */
import type { ApiRequest, ApiResponse } from './http.ts';

/** One named check: returns undefined when healthy, else the error (logged, never served). */
export interface HealthCheck {
  name: string;
  check: () => string | undefined;
}

const textHeaders = { 'x-content-type-options': 'nosniff' };
const textType = 'text/plain; charset=utf-8';

/** Serve `path` for the endpoint `endpoint` (`livez`, `readyz`, `healthz`) over `checks`. */
export function healthResponse(req: ApiRequest, endpoint: string, checks: readonly HealthCheck[], log: (name: string, error: string) => void): ApiResponse {
  const sub = req.path.slice(endpoint.length + 2);
  if (sub !== '') {
    const c = checks.find((x) => x.name === sub);
    if (c === undefined) return { status: 404, contentType: textType, body: '404 page not found\n', headers: textHeaders };
    const err = c.check();
    if (err === undefined) return { status: 200, contentType: textType, body: 'ok', headers: textHeaders };
    log(c.name, err);
    return { status: 500, contentType: textType, body: `internal server error: ${err}\n`, headers: textHeaders };
  }
  const excluded = new Set(req.query.getAll('exclude').flatMap((e) => e.split(',')).map((e) => e.trim()).filter((e) => e !== ''));
  let lines = '';
  let failed = false;
  for (const c of checks) {
    if (excluded.delete(c.name)) {
      lines += `[+]${c.name} excluded: ok\n`;
      continue;
    }
    const err = c.check();
    if (err === undefined) lines += `[+]${c.name} ok\n`;
    else {
      failed = true;
      log(c.name, err);
      lines += `[-]${c.name} failed: reason withheld\n`;
    }
  }
  if (excluded.size > 0) lines += `warn: some health checks cannot be excluded: no matches for ${[...excluded].map((e) => `"${e}"`).join(',')}\n`;
  if (failed) return { status: 500, contentType: textType, body: `${lines}${endpoint} check failed\n`, headers: textHeaders };
  const verbose = req.query.has('verbose');
  return { status: 200, contentType: textType, body: verbose ? `${lines}${endpoint} check passed\n` : 'ok', headers: textHeaders };
}

/** The checks every endpoint has (the generic apiserver's built-ins). */
export function builtinChecks(): HealthCheck[] {
  return [
    { name: 'ping', check: () => undefined },
    { name: 'log', check: () => undefined },
    { name: 'poststarthook/max-in-flight-filter', check: () => undefined },
    { name: 'poststarthook/storage-object-count-tracker-hook', check: () => undefined },
  ];
}
