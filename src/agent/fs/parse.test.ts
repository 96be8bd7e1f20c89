import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeNodePod } from '../identity/kube-api.ts';
import { decodeClaimRef } from './claims.ts';
import { parsePodLogDirName, pluginKind, safeEntryName, walkedPlugin } from './layout.ts';
import { claimOf, decodePodVolumes, isLocalEphemeral, nameVolume } from './pod-volumes.ts';

test('pod log directory names: <namespace>_<name>_<uid>, anything else is not one', () => {
  assert.deepEqual(parsePodLogDirName('kube-system_coredns-5d78c9869d-abcde_0b1c2d3e-1111-2222-3333-444455556666'), {
    namespace: 'kube-system', name: 'coredns-5d78c9869d-abcde', uid: '0b1c2d3e-1111-2222-3333-444455556666',
  });
  for (const bad of ['', 'a_b', 'a_b_c_d', '_b_c', 'a__c', 'a_b_', 'lost+found']) assert.equal(parsePodLogDirName(bad), undefined, bad);
  const part = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,20}$/);
  fc.assert(fc.property(part, part, part, (ns, name, uid) => {
    assert.deepEqual(parsePodLogDirName(`${ns}_${name}_${uid}`), { namespace: ns, name, uid });
  }));
  fc.assert(fc.property(fc.string(), (s) => {
    const p = parsePodLogDirName(s);
    if (p !== undefined) assert.equal(`${p.namespace}_${p.name}_${p.uid}`, s);
  }));
});

test('plugins: the walked kinds and the mounted ones; entry names are checked before joining', () => {
  assert.equal(pluginKind('kubernetes.io~empty-dir'), 'emptyDir');
  assert.equal(pluginKind('kubernetes.io~csi'), 'csi');
  assert.equal(pluginKind('kubernetes.io~nfs'), 'mounted');
  assert.deepEqual(['emptyDir', 'configMap', 'secret', 'projected', 'downwardAPI', 'gitRepo', 'csi', 'mounted'].map((k) => walkedPlugin(k as never)),
    [true, true, true, true, true, true, false, false]);
  for (const bad of ['', '.', '..', 'a/b', 'a\0b']) assert.equal(safeEntryName(bad), false, JSON.stringify(bad));
  assert.equal(safeEntryName('kube-api-access-x2l9d'), true);
});

test('spec volumes decode leniently; IsLocalEphemeralVolume and the claim names follow the kubelet', () => {
  const pod = {
    spec: {
      volumes: [
        { name: 'cache', emptyDir: {} },
        { name: 'shm', emptyDir: { medium: 'Memory' } },
        { name: 'config', configMap: { name: 'c' } },
        { name: 'token', projected: { sources: [] } },
        { name: 'data', persistentVolumeClaim: { claimName: 'data-web-0' } },
        { name: 'scratch', ephemeral: { volumeClaimTemplate: {} } },
        { name: 'weird' },
        { emptyDir: {} },
        'garbage',
      ],
    },
  };
  const v = decodePodVolumes(pod);
  assert.deepEqual(v, [
    { name: 'cache', source: 'emptyDir', medium: '' },
    { name: 'shm', source: 'emptyDir', medium: 'Memory' },
    { name: 'config', source: 'configMap' },
    { name: 'token', source: 'projected' },
    { name: 'data', source: 'persistentVolumeClaim', claimName: 'data-web-0' },
    { name: 'scratch', source: 'ephemeral' },
    { name: 'weird', source: 'unknown' },
  ]);
  assert.deepEqual(v.map(isLocalEphemeral), [true, false, true, false, false, false, false]);
  assert.deepEqual(v.map((s) => claimOf(s, 'web-0')), [undefined, undefined, undefined, undefined, 'data-web-0', 'web-0-scratch', undefined]);
  fc.assert(fc.property(fc.jsonValue(), (j) => {
    for (const s of decodePodVolumes(j)) assert.ok(typeof s.name === 'string' && s.name !== '');
    decodePodVolumes({ spec: { volumes: j } });
  }));
  // The API identity keeps them with the pod.
  const decoded = decodeNodePod({ metadata: { name: 'web-0', namespace: 'shop', uid: 'u' }, ...pod }, 'pod');
  assert.equal(decoded.volumes?.length, 7);
  assert.equal(decodeNodePod({ metadata: { name: 'a', namespace: 'b', uid: 'c' } }, 'pod').volumes, undefined);
});

test('naming a volume directory: spec name for in-pod volumes; for PVs the claim through the PV, else the PV name', () => {
  const volumes = decodePodVolumes({ spec: { volumes: [{ name: 'cache', emptyDir: {} }, { name: 'data', persistentVolumeClaim: { claimName: 'data-web-0' } }, { name: 'scratch', ephemeral: {} }] } });
  const pod = { name: 'web-0', namespace: 'shop', volumes };
  assert.deepEqual(nameVolume({ dirName: 'cache', kind: 'emptyDir', ownMount: false, pod, boundClaim: undefined }), { name: 'cache', ephemeral: true });
  assert.deepEqual(nameVolume({ dirName: 'pvc-1', kind: 'csi', ownMount: true, pod, boundClaim: { name: 'data-web-0', namespace: 'shop' } }),
    { name: 'data', pvcRef: { name: 'data-web-0', namespace: 'shop' }, ephemeral: false });
  assert.deepEqual(nameVolume({ dirName: 'pvc-2', kind: 'csi', ownMount: true, pod, boundClaim: { name: 'web-0-scratch', namespace: 'shop' } }),
    { name: 'scratch', pvcRef: { name: 'web-0-scratch', namespace: 'shop' }, ephemeral: false });
  // A claim of another namespace, or no claim: the PV name, no pvcRef.
  assert.deepEqual(nameVolume({ dirName: 'pvc-1', kind: 'csi', ownMount: true, pod, boundClaim: { name: 'data-web-0', namespace: 'other' } }), { name: 'pvc-1', ephemeral: false });
  assert.deepEqual(nameVolume({ dirName: 'pvc-1', kind: 'csi', ownMount: true, pod, boundClaim: undefined }), { name: 'pvc-1', ephemeral: false });
  // Without the spec: the directory decides (a tmpfs emptyDir is not local ephemeral storage).
  const bare = { name: 'p', namespace: 'n', volumes: undefined };
  assert.equal(nameVolume({ dirName: 'c', kind: 'emptyDir', ownMount: false, pod: bare, boundClaim: undefined }).ephemeral, true);
  assert.equal(nameVolume({ dirName: 'c', kind: 'emptyDir', ownMount: true, pod: bare, boundClaim: undefined }).ephemeral, false);
  assert.equal(nameVolume({ dirName: 'c', kind: 'configMap', ownMount: false, pod: bare, boundClaim: undefined }).ephemeral, true);
  assert.equal(nameVolume({ dirName: 'c', kind: 'secret', ownMount: true, pod: bare, boundClaim: undefined }).ephemeral, false);
});

test('PV claimRef decoding', () => {
  assert.deepEqual(decodeClaimRef({ spec: { claimRef: { name: 'data', namespace: 'shop', uid: 'x' } } }), { name: 'data', namespace: 'shop' });
  assert.equal(decodeClaimRef({ spec: {} }), undefined);
  assert.equal(decodeClaimRef({ spec: { claimRef: { name: 'data' } } }), undefined);
  fc.assert(fc.property(fc.jsonValue(), (j) => {
    const r = decodeClaimRef(j);
    if (r !== undefined) assert.ok(r.name !== '' && r.namespace !== '');
  }));
});
