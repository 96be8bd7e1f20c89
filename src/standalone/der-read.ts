/**
 * Just enough DER reading to reload a CA from its PEM files: the subject name of a certificate,
 * which becomes the issuer of what the CA signs. node:crypto exposes the subject only as text,
 * and the issuer field must repeat the CA's subject byte for byte for chains to verify.
 */
import { ErrorCode, KubemeterError } from '../lib/errors.ts';

/** One TLV: where its content starts and ends, and where the whole element ends. */
interface Element {
  tag: number;
  start: number;
  contentStart: number;
  end: number;
}

function element(der: Uint8Array, at: number, limit: number, source: string): Element {
  const bad = (why: string): KubemeterError => new KubemeterError(ErrorCode.InvalidFile, `${source}: malformed DER at byte ${at}: ${why}`, { source });
  if (at + 2 > limit) throw bad('truncated header');
  const tag = der[at]!;
  let len = der[at + 1]!;
  let contentStart = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    // Certificates never need more than 4 length bytes; more would be an attack on the reader.
    if (n === 0 || n > 4 || contentStart + n > limit) throw bad('bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[contentStart + i]!;
    contentStart += n;
  }
  const end = contentStart + len;
  if (end > limit) throw bad('length beyond the end');
  return { tag, start: at, contentStart, end };
}

/** The DER of the subject Name of an X.509 certificate (`raw` is the certificate's DER). */
export function subjectNameDer(raw: Uint8Array, source: string): Buffer {
  const cert = element(raw, 0, raw.length, source);
  const tbs = element(raw, cert.contentStart, cert.end, source);
  let at = tbs.contentStart;
  // TBSCertificate: [0] version (optional), serial, signature, issuer, validity, subject.
  const first = element(raw, at, tbs.end, source);
  if (first.tag === 0xa0) at = first.end;
  for (let i = 0; i < 4; i++) at = element(raw, at, tbs.end, source).end;
  const subject = element(raw, at, tbs.end, source);
  if (subject.tag !== 0x30) throw new KubemeterError(ErrorCode.InvalidFile, `${source}: subject is not a SEQUENCE`, { source });
  return Buffer.from(raw.subarray(subject.start, subject.end));
}
