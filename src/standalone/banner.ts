/**
 * What `kubemeter up` says when it is ready: what it found, where it serves, the kubeconfig and
 * ready-to-paste commands. Text for a terminal, one structured record otherwise. Pure.
 */
import type { StandaloneFound } from './standalone.ts';

/** The facts the banner shows. */
export interface BannerInfo {
  found: StandaloneFound;
  nodeName: string;
  url: string;
  kubeconfigPath: string;
  contextName: string;
  caFile: string;
  resolutionMs: number;
  nodesFile: string | undefined;
}

/** Quote a path for a POSIX shell when it needs it. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The commands to paste. */
export function suggestedCommands(info: Pick<BannerInfo, 'kubeconfigPath'>): { kubectlTopNode: string; kubectlTopPods: string; kubemeterTop: string } {
  const k = shellQuote(info.kubeconfigPath);
  return {
    kubectlTopNode: `kubectl --kubeconfig ${k} top node`,
    kubectlTopPods: `kubectl --kubeconfig ${k} top pod -A`,
    kubemeterTop: `npm run kubemeter -- top pod -A --kubeconfig ${k}`,
  };
}

function gib(bytes: bigint): string {
  return `${(Number(bytes) / 2 ** 30).toFixed(1)} GiB`;
}

function sources(by: Record<string, number>): string {
  const parts = Object.entries(by).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k} ${v}`);
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}

/** The human-readable banner (ends with a newline). */
export function bannerText(info: BannerInfo): string {
  const f = info.found;
  const c = suggestedCommands(info);
  const lines = [
    `kubemeter up: resource metrics for ${info.nodeName} (standalone; a convenience for hosts without Kubernetes, not a Kubernetes API server)`,
    `  cgroups      ${f.cgroupVersion}${f.hybrid ? ' (hybrid)' : ''}, ${f.driver} driver`,
    `  workloads    ${f.workloads}${sources(f.bySource)}`,
    `  node         ${info.nodeName}: ${f.cpuCores} CPU, ${gib(f.memTotalBytes)}${info.nodesFile === undefined ? '' : `; ${f.remoteNodes} more from ${info.nodesFile}`}`,
    `  serving      ${info.url} (metrics.k8s.io and read-only nodes/pods; client certificates of ${info.caFile} only)`,
    `  kubeconfig   ${info.kubeconfigPath} (context ${info.contextName})`,
    '',
    `First values after one scrape interval (${info.resolutionMs / 1000}s). Then:`,
    `  ${c.kubectlTopNode}`,
    `  ${c.kubectlTopPods}`,
    `  ${c.kubemeterTop}`,
    '',
    'Ctrl-C stops; the certificates and the kubeconfig are kept for the next start.',
  ];
  return `${lines.join('\n')}\n`;
}

/** The same facts as structured log fields. */
export function bannerFields(info: BannerInfo): Record<string, unknown> {
  const f = info.found;
  return {
    node: info.nodeName,
    cgroupVersion: f.cgroupVersion,
    hybrid: f.hybrid,
    cgroupDriver: f.driver,
    workloads: f.workloads,
    workloadsBySource: f.bySource,
    cpuCores: f.cpuCores,
    memoryBytes: Number(f.memTotalBytes),
    remoteNodes: f.remoteNodes,
    url: info.url,
    kubeconfig: info.kubeconfigPath,
    context: info.contextName,
    ca: info.caFile,
    resolutionSeconds: info.resolutionMs / 1000,
    ...suggestedCommands(info),
  };
}
