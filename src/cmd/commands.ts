/**
 * The subcommand table. Each entry loads its module lazily so that `kubemeter top` never pays for
 * the server's code and vice versa.
 */

/** What a subcommand module exports. */
export interface CommandModule {
  /** Run with the arguments after the subcommand name; resolves to the process exit code. */
  run(args: string[]): Promise<number>;
}

/** One subcommand. */
export interface Command {
  name: string;
  /** One-line summary for the overview. */
  summary: string;
  load(): Promise<CommandModule>;
}

/** Every subcommand, in the order the overview lists them. */
export const commands: readonly Command[] = [
  { name: 'version', summary: 'Print the kubemeter version', load: () => import('./version.ts') },
  { name: 'agent', summary: 'Serve the kubelet\'s /stats/summary and /metrics/resource from this host\'s cgroups', load: () => import('./agent.ts') },
  { name: 'top', summary: 'Display resource (CPU/memory) usage of nodes or pods, like kubectl top', load: () => import('./top.ts') },
  { name: 'server', summary: 'Run a drop-in metrics-server (metrics.k8s.io/v1beta1 over HTTPS)', load: () => import('./server.ts') },
  { name: 'up', summary: 'Run the whole pipeline for this host (agent, server, kubectl top access) without Kubernetes', load: () => import('./up.ts') },
  { name: 'simulate', summary: 'Serve simulated kubelets on loopback, with faults, for the server and benchmarks', load: () => import('./simulate.ts') },
];
