/**
 * `--feature-gates` with the kubelet's syntax and rules (component-base `MapStringBool` and
 * `featuregate.SetFromMap`): comma-separated `Name=bool` pairs (Go's strconv.ParseBool), several
 * occurrences merge, an unknown name is an error, `AllAlpha`/`AllBeta` set every alpha/beta gate
 * not named explicitly. The agent implements one gate, KubeletPSI, with its state in the
 * reference kubelet version (docs/compatibility.md): beta and on by default since 1.34 (alpha in
 * 1.33, GA and locked on in 1.36).
 */
import { parseGoBool } from '../lib/flags.ts';

/** The kubelet version whose gate defaults the agent follows. */
export const referenceKubeletVersion = '1.34';

/** The gates the agent knows, with their stage and default in the reference version. */
export const knownFeatureGates = {
  KubeletPSI: { stage: 'BETA', default: true },
} as const;

/** A gate the agent implements. */
export type FeatureGateName = keyof typeof knownFeatureGates;

/** Effective gate values. */
export type FeatureGates = Record<FeatureGateName, boolean>;

/** Every gate at its default. */
export function defaultFeatureGates(): FeatureGates {
  return { KubeletPSI: knownFeatureGates.KubeletPSI.default };
}

/** The pairs given so far (explicit names and the AllAlpha/AllBeta switches), in flag order. */
export type FeatureGatePairs = Map<string, boolean>;

/** Add one `--feature-gates` value to `pairs`; throws Error with the kubelet's message on a malformed pair or value. */
export function addFeatureGatePairs(pairs: FeatureGatePairs, value: string): void {
  for (const raw of value.split(',')) {
    const s = raw.trim();
    if (s === '') continue;
    const eq = s.indexOf('=');
    if (eq < 0) throw new Error('malformed pair, expect string=bool');
    const k = s.slice(0, eq).trim();
    const v = s.slice(eq + 1).trim();
    const b = parseGoBool(v);
    if (b === undefined) throw new Error(`invalid value of ${k}=${v}, err: strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`);
    pairs.set(k, b);
  }
}

/** Resolve pairs into gate values; throws Error `unrecognized feature gate: X` for a name the agent does not know. */
export function resolveFeatureGates(pairs: FeatureGatePairs): FeatureGates {
  const out = defaultFeatureGates();
  for (const k of pairs.keys()) {
    if (k !== 'AllAlpha' && k !== 'AllBeta' && !(k in knownFeatureGates)) throw new Error(`unrecognized feature gate: ${k}`);
  }
  for (const [name, spec] of Object.entries(knownFeatureGates) as [FeatureGateName, (typeof knownFeatureGates)[FeatureGateName]][]) {
    const explicit = pairs.get(name);
    const all = pairs.get(spec.stage === 'BETA' ? 'AllBeta' : 'AllAlpha');
    out[name] = explicit ?? all ?? spec.default;
  }
  return out;
}

/** The help text of `--feature-gates`, listing the gates as the kubelet does. */
export function featureGatesHelp(): string {
  const rows = ['AllAlpha=true|false (ALPHA - default=false)', 'AllBeta=true|false (BETA - default=false)'];
  for (const [name, spec] of Object.entries(knownFeatureGates)) rows.push(`${name}=true|false (${spec.stage} - default=${spec.default})`);
  return `A set of key=value pairs that describe feature gates for alpha/experimental features (kubelet ${referenceKubeletVersion} defaults). Options are:\n${rows.join('\n')}`;
}
