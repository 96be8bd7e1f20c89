import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isKubemeterError } from '../lib/errors.ts';
import { writeGeneratedHost } from '../../test/support/agent-fixtures.ts';
import { agentUsage, parseAgentFlags } from './agent.ts';
import { freePort } from '../../test/support/free-port.ts';

test('flags: kubelet names and defaults, secure flags shared with the server', () => {
  const f = parseAgentFlags([], { hostname: 'Node-A' });
  assert.equal(f.nodeName, 'node-a');
  assert.equal(f.housekeepingIntervalMs, 10_000);
  assert.equal(f.readOnlyPort, 10255);
  assert.equal(f.secure.securePort, 10250);
  assert.equal(f.secure.anonymousAuth, false);
  const g = parseAgentFlags(['--housekeeping-interval=1m30s', '--port', '0', '--read-only-port=8080', '--cgroup-driver', 'systemd', '--tls-cert-file=/c', '--tls-private-key-file', '/k', '--client-ca-file=/ca', '--anonymous-auth', '--address=127.0.0.1'], { hostname: 'x' });
  assert.equal(g.housekeepingIntervalMs, 90_000);
  assert.equal(g.secure.securePort, 0);
  assert.equal(g.readOnlyPort, 8080);
  assert.equal(g.cgroupDriver, 'systemd');
  assert.deepEqual([g.secure.tlsCertFile, g.secure.tlsPrivateKeyFile, g.secure.clientCaFile, g.secure.anonymousAuth, g.secure.bindAddress], ['/c', '/k', '/ca', true, '127.0.0.1']);
  for (const bad of [['--housekeeping-interval=10'], ['--cgroup-driver=lxc'], ['--read-only-port=70000'], ['--nope'], ['--secure-port=1'], ['--port']]) {
    assert.throws(() => parseAgentFlags(bad, { hostname: 'x' }), (e: unknown) => isKubemeterError(e), bad.join(' '));
  }
  assert.match(agentUsage(), /--container-runtime-endpoint/);
  assert.match(agentUsage(), /--cert-dir string\n.*kubelet\.crt/);
  assert.deepEqual(parseAgentFlags(['--node-ip=10.0.0.1, fd00::1', '--cert-dir=/pki'], { hostname: 'x' }).nodeIps, ['10.0.0.1', 'fd00::1']);
  assert.equal(parseAgentFlags(['--cert-dir=/pki'], { hostname: 'x' }).secure.certDir, '/pki');
  assert.throws(() => parseAgentFlags(['--node-ip=node-1'], { hostname: 'x' }), /"node-1" is not an IP address/);
});

test('flags: system cgroups and feature gates with the kubelet\'s names and rules', () => {
  const d = parseAgentFlags([], { hostname: 'x' });
  assert.deepEqual(d.systemCgroups, { kubelet: '', runtime: '', misc: '' });
  assert.deepEqual(d.featureGates, { KubeletPSI: true });
  const f = parseAgentFlags(['--kubelet-cgroups=/system.slice/kubelet.service', '--runtime-cgroups', '/system.slice/containerd.service', '--system-cgroups=/system.slice', '--feature-gates=KubeletPSI=false'], { hostname: 'x' });
  assert.deepEqual(f.systemCgroups, { kubelet: '/system.slice/kubelet.service', runtime: '/system.slice/containerd.service', misc: '/system.slice' });
  assert.deepEqual(f.featureGates, { KubeletPSI: false });
  assert.deepEqual(parseAgentFlags(['--feature-gates=KubeletPSI=false', '--feature-gates=AllBeta=true'], { hostname: 'x' }).featureGates, { KubeletPSI: false });
  assert.throws(() => parseAgentFlags(['--feature-gates=Nope=true'], { hostname: 'x' }), /invalid argument "Nope=true" for "--feature-gates" flag: unrecognized feature gate: Nope/);
  assert.throws(() => parseAgentFlags(['--kubelet-cgroups=kubelet.service'], { hostname: 'x' }), /must be an absolute cgroup path/);
  assert.throws(() => parseAgentFlags(['--system-cgroups=/a/../b'], { hostname: 'x' }), /must be an absolute cgroup path/);
  assert.match(agentUsage(), /--feature-gates mapStringBool[\s\S]*KubeletPSI=true\|false \(BETA - default=true\)/);
});

test('flags: pflag rules through src/lib/flags.ts, messages kept', () => {
  assert.equal(parseAgentFlags(['-h'], { hostname: 'x' }).help, true);
  assert.equal(parseAgentFlags(['--help'], { hostname: 'x' }).help, true);
  // List flags append per occurrence (pflag StringSlice); booleans take a value only with `=`.
  const f = parseAgentFlags(['--requestheader-allowed-names=a', '--requestheader-allowed-names', 'b,c', '--anonymous-auth=false', '--authentication-skip-lookup'], { hostname: 'x' });
  assert.deepEqual(f.secure.requestheaderAllowedNames, ['a', 'b', 'c']);
  assert.deepEqual([f.secure.anonymousAuth, f.secure.authenticationSkipLookup], [false, true]);
  const message = (args: string[]): string => {
    try {
      parseAgentFlags(args, { hostname: 'x' });
    } catch (e) {
      assert.ok(isKubemeterError(e));
      return e.message;
    }
    return '';
  };
  assert.equal(message(['--nope']), 'unknown flag: --nope');
  assert.equal(message(['--port']), 'flag needs an argument: --port');
  assert.equal(message(['--port=abc']), 'invalid argument "abc" for "--port" flag: must be a port number 0-65535');
  assert.equal(message(['--node-name', 'n', 'extra']), 'unexpected argument "extra"');
  assert.equal(message(['--anonymous-auth', 'false']), 'unexpected argument "false"');
  assert.match(message(['--anonymous-auth=maybe']), /^invalid argument "maybe" for "--anonymous-auth" flag: strconv.ParseBool/);
  assert.match(message(['-node-name=n']), /^unknown shorthand flag: 'n' in -node-name=n/);
});


test('kubemeter agent on a fixture host: serves the read-only port, HTTPS with a self-signed certificate in --cert-dir, stops cleanly on SIGTERM', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-cmd-agent-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeGeneratedHost(dir, 2, 2);
  const port = await freePort();
  const securePort = await freePort();
  const main = new URL('./main.ts', import.meta.url).pathname;
  const child = spawn(process.execPath, [main, 'agent', '--proc-root', join(dir, 'proc'), '--sys-root', join(dir, 'sys'), '--node-name=fixture',
    '--read-only-port', String(port), '--address=127.0.0.1', '--housekeeping-interval=200ms', '--standalone=false', '--root-dir', dir,
    `--port=${securePort}`, `--cert-dir=${join(dir, 'pki')}`, '--node-ip=127.0.0.1,10.9.8.7', '--authorization-mode=AlwaysAllow'], {
    stdio: ['ignore', 'ignore', 'pipe'], env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KUBERNETES_'))),
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  t.after(() => child.kill('SIGKILL'));
  let summary: string | undefined;
  for (let i = 0; i < 200 && summary === undefined; i++) {
    summary = await fetch(`http://127.0.0.1:${port}/stats/summary`).then((r) => (r.ok ? r.text() : undefined), () => undefined);
    if (summary === undefined) await sleep(50);
  }
  assert.ok(summary !== undefined, `the agent answered (stderr: ${stderr})`);
  assert.match(summary, /"nodeName": "fixture"/);
  await sleep(500);
  const own = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const passes = Number(/^kubemeter_agent_housekeeping_passes_total (\d+)$/m.exec(own)?.[1]);
  assert.ok(passes >= 2, `housekeeping keeps running (${passes} passes)`);

  // No --tls-cert-file: the kubelet's kubelet.crt (serving certificate, then its CA) in --cert-dir.
  const pem = readFileSync(join(dir, 'pki', 'kubelet.crt'), 'utf8');
  const ca = pem.slice(pem.indexOf('-----END CERTIFICATE-----') + 26);
  const peer = await new Promise<{ subject: string; san: string }>((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: securePort, ca, servername: 'fixture' }, () => {
      const c = s.getPeerCertificate();
      resolve({ subject: String(c.subject.CN), san: c.subjectaltname ?? '' });
      s.end();
    });
    s.once('error', reject);
  });
  assert.match(peer.subject, /^fixture@\d+$/);
  for (const name of ['DNS:fixture', 'IP Address:127.0.0.1', 'IP Address:10.9.8.7']) assert.ok(peer.san.includes(name), peer.san);
  // Authentication is still required (no client CA, no API server for tokens).
  const denied = await new Promise<number>((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: securePort, ca, servername: 'fixture', ALPNProtocols: ['http/1.1'] }, () => s.write('GET /stats/summary HTTP/1.1\r\nHost: fixture\r\nConnection: close\r\n\r\n'));
    let text = '';
    s.on('data', (d: Buffer) => (text += d.toString()));
    s.once('end', () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1])));
    s.once('error', reject);
  });
  assert.equal(denied, 401);
  child.kill('SIGTERM');
  assert.equal(await exited, 0, stderr);
});
