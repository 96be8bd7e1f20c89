/**
 * Content negotiation for the metrics resources, as the generic apiserver decides between a plain
 * object and a meta.k8s.io Table: the Accept clauses ordered like goautoneg (quality, then
 * concrete before wildcard types), and the first clause we can serve wins. A Table clause counts
 * only for `g=meta.k8s.io` with `v=v1` or `v=v1beta1`; every plain media type is answered with
 * JSON (protobuf and YAML requests too: client-go decodes by the response's Content-Type).
 */

/** What to answer with. */
export type Representation = { kind: 'object' } | { kind: 'table'; version: 'v1' | 'v1beta1' };

interface Clause {
  type: string;
  subtype: string;
  q: number;
  params: Map<string, string>;
}

function parseClause(text: string): Clause | undefined {
  const [range = '', ...rest] = text.split(';').map((p) => p.trim());
  const slash = range.indexOf('/');
  if (slash <= 0 || slash === range.length - 1) return undefined;
  const params = new Map<string, string>();
  let q = 1;
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq <= 0) continue;
    const k = p.slice(0, eq).trim().toLowerCase();
    const v = p.slice(eq + 1).trim();
    if (k === 'q') {
      const n = Number(v);
      q = Number.isFinite(n) ? n : 0;
    } else params.set(k, v);
  }
  return { type: range.slice(0, slash).toLowerCase(), subtype: range.slice(slash + 1).toLowerCase(), q, params };
}

// Media types the generic apiserver has serializers for; we answer all of them with JSON.
const servable = new Set(['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf', 'application/*', '*/*']);

/** The representation an `Accept` header asks for ('' = a plain object). */
export function negotiate(accept: string): Representation {
  const clauses = accept.split(',').map(parseClause).filter((c): c is Clause => c !== undefined && c.q > 0);
  // Array.prototype.sort is stable: equal clauses keep the client's order.
  clauses.sort((a, b) => (b.q - a.q) || (Number(a.type === '*') - Number(b.type === '*')) || (Number(a.subtype === '*') - Number(b.subtype === '*')));
  for (const c of clauses) {
    if (!servable.has(`${c.type}/${c.subtype}`)) continue;
    const as = c.params.get('as');
    if (as === undefined) return { kind: 'object' };
    const v = c.params.get('v');
    if (as === 'Table' && c.params.get('g') === 'meta.k8s.io' && (v === 'v1' || v === 'v1beta1')) return { kind: 'table', version: v };
    // Other transformations (PartialObjectMetadata, …) or Table versions: not servable, next clause.
  }
  return { kind: 'object' };
}
