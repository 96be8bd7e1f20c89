/**
 * `kubemeter up`: the whole resource-metrics pipeline for this host in one process (agent,
 * server, read-only core API for kubectl top), with a generated CA, client certificate and
 * kubeconfig. `kubemeter up agent-cert NAME [ADDRESS…]` issues a serving certificate for an
 * agent on another host of a `--nodes-file` fleet. Runs until SIGINT/SIGTERM.
 */
import { homedir, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { FlagError, flagHelp, parseFlags, type FlagSpec } from '../lib/flags.ts';
import { ErrorCode, KubemeterError, errorMessage } from '../lib/errors.ts';
import { parseGoDuration } from '../lib/go-format.ts';
import { createLogger } from '../lib/log.ts';
import { bannerFields, bannerText } from '../standalone/banner.ts';
import { ensureStatePki, issueAgentCertificate } from '../standalone/pki.ts';
import { startStandalone, type StandaloneOptions } from '../standalone/standalone.ts';
import { packageVersion } from './version.ts';

/** Every flag of `kubemeter up`. */
export const upFlags: FlagSpec[] = [
  { name: 'state-dir', kind: 'string', defaultText: '~/.kubemeter', help: 'Directory for the CA and certificates (kept across restarts; the CA is reused).' },
  { name: 'kubeconfig-out', kind: 'string', defaultText: '~/.kube/kubemeter.config', help: 'Where to write the kubeconfig (never replaces a kubeconfig kubemeter did not write).' },
  { name: 'bind-address', kind: 'string', defaultText: '127.0.0.1', help: 'Address of the HTTPS listener.' },
  { name: 'secure-port', kind: 'int', defaultText: '4443', help: 'HTTPS port (0: any free port). When the default port is busy a free one is taken.' },
  { name: 'nodes-file', kind: 'string', help: 'Also scrape the agents on the hosts listed in this YAML or JSON file ({name, address, port?, labels?, capacity?, allocatable?}).' },
  { name: 'agent-port', kind: 'int', defaultText: '10250', help: 'Secure port of remote agents without a port in --nodes-file.' },
  { name: 'node-name', kind: 'string', help: 'Name of this host as a node (default: the host name, lower case).' },
  { name: 'metric-resolution', kind: 'duration', defaultText: '5s', help: 'Scrape period (at least 1s).' },
  { name: 'housekeeping-interval', kind: 'duration', defaultText: '2s', help: 'How often the agent reads the cgroups (at least 500ms).' },
  { name: 'cgroup-root', kind: 'string', defaultText: '/', help: 'Parent of the kubepods cgroup, as the kubelet\'s --cgroup-root.' },
  { name: 'container-runtime-endpoint', kind: 'string', help: 'CRI socket for the names of Kubernetes pods on this host, e.g. unix:///run/containerd/containerd.sock.' },
  { name: 'docker-endpoint', kind: 'string', defaultText: 'unix:///var/run/docker.sock', help: 'Docker API socket for container names.' },
  { name: 'podman-endpoint', kind: 'string', defaultText: 'unix:///run/podman/podman.sock', help: 'Podman API socket for container names.' },
  { name: 'proc-root', kind: 'string', defaultText: '/proc', help: 'Where the host\'s /proc is mounted.' },
  { name: 'sys-root', kind: 'string', defaultText: '/sys', help: 'Where the host\'s /sys is mounted.' },
  { name: 'out', kind: 'string', help: 'agent-cert: directory for ca.crt, agent.crt and agent.key (default <state-dir>/agents/NAME).' },
  { name: 'logging-format', kind: 'string', help: 'text or json (default: text on a terminal, json otherwise).' },
  { name: 'v', kind: 'int', defaultText: '0', help: 'Log verbosity: 2 and above adds debug messages.' },
  { name: 'help', short: 'h', kind: 'bool', help: 'help for up' },
];

/** Parsed `kubemeter up` command line. */
export interface UpCommand {
  action: 'up' | 'agent-cert' | 'help';
  options: Omit<StandaloneOptions, 'logger' | 'version'>;
  loggingFormat: 'text' | 'json' | undefined;
  verbosity: number;
  agentCert?: { name: string; addresses: string[]; out: string };
}

function durationMs(values: Map<string, string>, name: string, fallback: string, minMs: number): number {
  const text = values.get(name) ?? fallback;
  let ms: number;
  try {
    ms = Number(parseGoDuration(text) / 1_000_000n);
  } catch (e) {
    throw new KubemeterError(ErrorCode.InvalidFlag, `invalid argument ${JSON.stringify(text)} for "--${name}" flag: ${errorMessage(e)}`, { source: `--${name}` });
  }
  if (ms < minMs) throw new KubemeterError(ErrorCode.InvalidFlag, `--${name} must be at least ${minMs} ms, not ${JSON.stringify(text)}`, { source: `--${name}` });
  return ms;
}

function intFlag(values: Map<string, string>, name: string, fallback: number, min: number, max: number): number {
  const text = values.get(name);
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw new KubemeterError(ErrorCode.InvalidFlag, `invalid argument ${JSON.stringify(text)} for "--${name}" flag: must be an integer from ${min} to ${max}`, { source: `--${name}` });
  return n;
}

/** Expand a leading `~/` against `home`. */
function expandHome(p: string, home: string): string {
  return p === '~' ? home : p.startsWith('~/') ? join(home, p.slice(2)) : p;
}

/** Parse and validate the command line. */
export function parseUpCommand(args: readonly string[], env: { home: string; hostname: string }): UpCommand {
  const { values, positionals } = parseFlags(args, upFlags);
  const s = (n: string, d = ''): string => values.get(n) ?? d;
  const formatText = values.get('logging-format');
  if (formatText !== undefined && formatText !== 'text' && formatText !== 'json') throw new KubemeterError(ErrorCode.InvalidFlag, `--logging-format must be text or json, not ${JSON.stringify(formatText)}`, { source: '--logging-format' });
  const format: 'text' | 'json' | undefined = formatText;
  const stateDir = resolve(expandHome(s('state-dir', '~/.kubemeter'), env.home));
  const options: UpCommand['options'] = {
    stateDir,
    kubeconfigOut: resolve(expandHome(s('kubeconfig-out', '~/.kube/kubemeter.config'), env.home)),
    bindAddress: s('bind-address', '127.0.0.1'),
    securePort: intFlag(values, 'secure-port', 4443, 0, 65535),
    portFallback: !values.has('secure-port'),
    nodeName: s('node-name', env.hostname.toLowerCase()),
    resolutionMs: durationMs(values, 'metric-resolution', '5s', 1000),
    housekeepingIntervalMs: durationMs(values, 'housekeeping-interval', '2s', 500),
    agentPort: intFlag(values, 'agent-port', 10250, 1, 65535),
    procRoot: s('proc-root', '/proc'),
    sysRoot: s('sys-root', '/sys'),
    cgroupRoot: s('cgroup-root', '/'),
    containerRuntimeEndpoint: s('container-runtime-endpoint'),
    engineEndpoints: [s('docker-endpoint', 'unix:///var/run/docker.sock'), s('podman-endpoint', 'unix:///run/podman/podman.sock')].filter((e) => e !== ''),
    ...(values.has('nodes-file') ? { nodesFile: resolve(s('nodes-file')) } : {}),
  };
  if (options.nodeName === '') throw new KubemeterError(ErrorCode.InvalidFlag, '--node-name must not be empty', { source: '--node-name' });
  const base = { options, loggingFormat: format, verbosity: intFlag(values, 'v', 0, 0, 10) };
  if (values.get('help') === 'true') return { ...base, action: 'help' };
  if (positionals[0] === 'agent-cert') {
    const [, name, ...addresses] = positionals;
    if (name === undefined || name === '') throw new FlagError('agent-cert needs the node name: kubemeter up agent-cert NAME [ADDRESS...]');
    return { ...base, action: 'agent-cert', agentCert: { name, addresses, out: resolve(expandHome(s('out', join(stateDir, 'agents', name)), env.home)) } };
  }
  if (positionals.length > 0) throw new FlagError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  return { ...base, action: 'up' };
}

function usage(): string {
  return [
    'Run the resource-metrics pipeline for this host: agent, metrics server and the read-only core API',
    'kubectl top needs, over HTTPS with a generated CA and client certificate.',
    '',
    'Usage:',
    '  kubemeter up [flags]',
    '  kubemeter up agent-cert NAME [ADDRESS...] [--out DIR]   certificate for an agent on another host',
    '',
    'Flags:',
    flagHelp(upFlags),
  ].join('\n');
}

/** Entry point of `kubemeter up`. */
export async function run(args: string[]): Promise<number> {
  let cmd: UpCommand;
  try {
    cmd = parseUpCommand(args, { home: homedir(), hostname: hostname() });
  } catch (e) {
    process.stderr.write(`Error: ${errorMessage(e)}\n`);
    return 2;
  }
  if (cmd.action === 'help') {
    process.stdout.write(usage());
    return 0;
  }
  const tty = process.stdout.isTTY === true && process.stderr.isTTY === true;
  const format = cmd.loggingFormat ?? (tty ? 'text' : 'json');
  const logger = createLogger({ level: cmd.verbosity >= 2 ? 'debug' : 'info', format });
  if (cmd.action === 'agent-cert') {
    const ac = cmd.agentCert!;
    try {
      const pki = ensureStatePki({ stateDir: cmd.options.stateDir, apiNames: ['localhost', '127.0.0.1'], agentNames: ['localhost', '127.0.0.1'] });
      const files = issueAgentCertificate(pki.ca, ac.out, ac.name, ac.addresses);
      process.stdout.write([
        `Wrote ${files.caFile}, ${files.certFile} and ${files.keyFile}. Copy them to ${ac.name} and run there:`,
        `  kubemeter agent --node-name ${ac.name} --client-ca-file ca.crt --tls-cert-file agent.crt --tls-private-key-file agent.key --authorization-mode AlwaysAllow --read-only-port 0`,
        '',
      ].join('\n'));
      return 0;
    } catch (e) {
      logger.error('cannot issue the agent certificate', { err: errorMessage(e) });
      return 1;
    }
  }
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const up = await startStandalone({ ...cmd.options, logger, version: packageVersion() });
    const info = { found: up.found, nodeName: up.nodeName, url: up.url, kubeconfigPath: up.kubeconfigPath, contextName: up.contextName, caFile: up.caFile, resolutionMs: cmd.options.resolutionMs, nodesFile: cmd.options.nodesFile };
    if (format === 'text') process.stdout.write(bannerText(info));
    else logger.info('kubemeter up serving', bannerFields(info));
    void up.firstMetrics.then(() => {
      if (!stop.signal.aborted) logger.info('metrics available', { node: up.nodeName });
    });
    if (!stop.signal.aborted) await new Promise<void>((r) => stop.signal.addEventListener('abort', () => r(), { once: true }));
    logger.info('stopping; the state directory and the kubeconfig are kept', { stateDir: cmd.options.stateDir, kubeconfig: up.kubeconfigPath });
    await up.close();
    return 0;
  } catch (e) {
    logger.error('kubemeter up failed', { err: errorMessage(e) });
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
