import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addFeatureGatePairs, defaultFeatureGates, featureGatesHelp, resolveFeatureGates } from './feature-gates.ts';

function gates(...values: string[]) {
  const pairs = new Map<string, boolean>();
  for (const v of values) addFeatureGatePairs(pairs, v);
  return resolveFeatureGates(pairs);
}

test('KubeletPSI is beta and on by default, as in the reference kubelet', () => {
  assert.deepEqual(defaultFeatureGates(), { KubeletPSI: true });
  assert.match(featureGatesHelp(), /KubeletPSI=true\|false \(BETA - default=true\)/);
});

test('pairs with Go booleans, spaces and empty items; later occurrences win; AllBeta only for gates not named', () => {
  assert.deepEqual(gates('KubeletPSI=false'), { KubeletPSI: false });
  assert.deepEqual(gates(' KubeletPSI = F ,, '), { KubeletPSI: false });
  assert.deepEqual(gates('KubeletPSI=false', 'KubeletPSI=1'), { KubeletPSI: true });
  assert.deepEqual(gates('AllBeta=false'), { KubeletPSI: false });
  assert.deepEqual(gates('AllBeta=false,KubeletPSI=true'), { KubeletPSI: true });
  assert.deepEqual(gates('AllAlpha=true'), { KubeletPSI: true });
});

test('the kubelet\'s errors: malformed pair, bad boolean, unknown gate', () => {
  assert.throws(() => gates('KubeletPSI'), /^Error: malformed pair, expect string=bool$/);
  assert.throws(() => gates('KubeletPSI=maybe'), /invalid value of KubeletPSI=maybe, err: strconv.ParseBool: parsing "maybe": invalid syntax/);
  assert.throws(() => gates('KubeletPSI=true,NoSuchGate=true'), /^Error: unrecognized feature gate: NoSuchGate$/);
});
