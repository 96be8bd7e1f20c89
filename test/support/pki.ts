/**
 * A throw-away PKI for tests: CAs and certificates generated at test time (ECDSA P-256), written
 * to a temporary directory that `cleanup()` removes.
 *
 *   const pki = await createTestPki();              // t.after(() => pki.cleanup())
 *   const ca = pki.ca('front-proxy-ca');            // CertificateAuthority, also ca.certPath
 *   const c = pki.issue(ca, { commonName: 'front-proxy-client', usage: 'client' });
 *   c.certPath / c.keyPath / c.certPem / c.keyPem
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificateAuthority, issueCertificate } from '../../src/auth/x509-gen.ts';
import type { CertificateAuthority, CertificateSpec, CertKeyPair } from '../../src/auth/x509-gen.ts';

/** A CA with its PEM written to disk. */
export type TestCa = CertificateAuthority & { certPath: string; keyPath: string };
/** A certificate with its PEM files on disk. */
export type TestCert = CertKeyPair & { certPath: string; keyPath: string };

/** A temporary PKI directory. */
export interface TestPki {
  dir: string;
  ca(commonName: string, validity?: { notBefore?: Date; notAfter?: Date }): TestCa;
  issue(ca: CertificateAuthority, spec: CertificateSpec): TestCert;
  /** Write any text into the PKI directory; returns its path. */
  write(name: string, text: string): string;
  cleanup(): void;
}

/** Create a temporary PKI directory. */
export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'kubemeter-pki-'));
  let n = 0;
  const write = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text, { mode: 0o600 });
    return p;
  };
  return {
    dir,
    ca(commonName, validity = {}) {
      const ca = createCertificateAuthority({ commonName, ...validity });
      const id = `${++n}-${commonName.replace(/[^a-z0-9-]/gi, '_')}`;
      return Object.assign(ca, { certPath: write(`${id}.crt`, ca.certPem), keyPath: write(`${id}.key`, ca.keyPem) });
    },
    issue(ca, spec) {
      const c = issueCertificate(ca, spec);
      const id = `${++n}-${spec.commonName.replace(/[^a-z0-9-]/gi, '_')}`;
      return { ...c, certPath: write(`${id}.crt`, c.certPem), keyPath: write(`${id}.key`, c.keyPem) };
    },
    write,
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
