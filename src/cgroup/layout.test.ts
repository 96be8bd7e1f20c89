import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cgroupRootParts, containerFromCgroupName, podCgroupPath, podUidFromCgroupName, podsCgroupPath, qosDirNames } from './layout.ts';

const uid = '7c57de98-0c20-4854-bfd1-e242e1b0940b';
const id = 'b1fb0744'.repeat(8);

test('pod cgroup paths for both drivers and every QoS class', () => {
  const cases: [Parameters<typeof podCgroupPath>[0], string][] = [
    [{ cgroupRoot: '/', driver: 'cgroupfs', qos: 'Guaranteed', podUid: uid }, `/kubepods/pod${uid}`],
    [{ cgroupRoot: '/', driver: 'cgroupfs', qos: 'Burstable', podUid: uid }, `/kubepods/burstable/pod${uid}`],
    [{ cgroupRoot: '/custom/root', driver: 'cgroupfs', qos: 'BestEffort', podUid: uid }, `/custom/root/kubepods/besteffort/pod${uid}`],
    [{ cgroupRoot: '/', driver: 'systemd', qos: 'Guaranteed', podUid: uid }, `/kubepods.slice/kubepods-pod${uid.replaceAll('-', '_')}.slice`],
    [
      { cgroupRoot: '/', driver: 'systemd', qos: 'Burstable', podUid: uid },
      `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${uid.replaceAll('-', '_')}.slice`,
    ],
    [
      { cgroupRoot: '/kubelet.slice', driver: 'systemd', qos: 'BestEffort', podUid: uid },
      `/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod${uid.replaceAll('-', '_')}.slice`,
    ],
  ];
  for (const [opts, want] of cases) assert.equal(podCgroupPath(opts), want, JSON.stringify(opts));
  assert.equal(podsCgroupPath('/', 'cgroupfs'), '/kubepods');
  assert.equal(podsCgroupPath('/', 'systemd'), '/kubepods.slice');
  assert.deepEqual(cgroupRootParts('/a.slice/a-b.slice', 'systemd'), ['a', 'b']);
  assert.deepEqual(qosDirNames('systemd', '/kubepods.slice'), ['kubepods-burstable.slice', 'kubepods-besteffort.slice']);
});

test('pod UIDs come back out of pod cgroup names', () => {
  assert.equal(podUidFromCgroupName(`pod${uid}`), uid);
  assert.equal(podUidFromCgroupName(`kubepods-burstable-pod${uid.replaceAll('-', '_')}.slice`), uid);
  assert.equal(podUidFromCgroupName('pod588ef5a332ad15499df81b7e59d72b14'), '588ef5a332ad15499df81b7e59d72b14');
  assert.equal(podUidFromCgroupName('burstable'), undefined);
  assert.equal(podUidFromCgroupName('kubepods-burstable.slice'), undefined);
  assert.equal(podUidFromCgroupName('pod'), undefined);
});

test('container ids and runtimes from runtime cgroup names', () => {
  assert.deepEqual(containerFromCgroupName(id), { id, runtime: 'unknown' });
  assert.deepEqual(containerFromCgroupName(`cri-containerd-${id}.scope`), { id, runtime: 'containerd' });
  assert.deepEqual(containerFromCgroupName(`crio-${id}.scope`), { id, runtime: 'crio' });
  assert.deepEqual(containerFromCgroupName(`crio-${id}`), { id, runtime: 'crio' });
  assert.deepEqual(containerFromCgroupName(`docker-${id}.scope`), { id, runtime: 'docker' });
  assert.deepEqual(containerFromCgroupName(`libpod-${id}.scope`), { id, runtime: 'podman' });
  assert.equal(containerFromCgroupName(`crio-conmon-${id}.scope`), undefined);
  assert.equal(containerFromCgroupName('var-lib-kubelet.mount'), undefined);
  assert.equal(containerFromCgroupName('abc'), undefined);
});
