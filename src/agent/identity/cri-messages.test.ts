import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ErrorCode, isKubemeterError } from '../../lib/errors.ts';
import { encodeCriResponse } from '../../../test/support/cri-server.ts';
import { decodeImageFsInfoResponse, decodeListContainersResponse, decodeListContainerStatsResponse, decodeListPodSandboxResponse } from './cri-messages.ts';
import { identityFromCri } from './cri.ts';
import { maxGroupDepth, ProtoReader, WireType } from './proto-wire.ts';
import { ProtoWriter } from '../../../test/support/proto-writer.ts';

/** int64 ns (decimal text) → ms as int64 division truncates. */
const ms = (ns: string | undefined): number => Number(BigInt(ns ?? 0) / 1_000_000n);

const decoders = [decodeListPodSandboxResponse, decodeListContainersResponse, decodeListContainerStatsResponse, decodeImageFsInfoResponse];

/** Fails the property unless `f` returns or throws an InvalidDocument KubemeterError. */
function decodesOrRefuses(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!isKubemeterError(e, ErrorCode.InvalidDocument)) throw e;
  }
}

const int64Text = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }).map(String);
const uint64Text = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map(String);
const labels = fc.dictionary(fc.oneof(fc.constantFrom('io.kubernetes.pod.uid', 'io.kubernetes.pod.name', 'io.kubernetes.pod.namespace', 'io.kubernetes.container.name'), fc.string()), fc.string(), { maxKeys: 6 });

test('CRI list answers encoded by protobufjs decode to the fields the agent reads', () => {
  const sandbox = fc.record({
    id: fc.string(), metadata: fc.option(fc.record({ name: fc.string(), uid: fc.string(), namespace: fc.string(), attempt: fc.nat() }), { nil: undefined }),
    state: fc.constantFrom('SANDBOX_READY', 'SANDBOX_NOTREADY'), created_at: int64Text, labels, annotations: labels, runtime_handler: fc.string(),
  }, { requiredKeys: [] });
  fc.assert(fc.property(fc.array(sandbox, { maxLength: 5 }), (items) => {
    const got = decodeListPodSandboxResponse(encodeCriResponse('ListPodSandbox', { items }));
    assert.deepEqual(got, items.map((s) => ({
      id: s.id ?? '', name: s.metadata?.name ?? '', uid: s.metadata?.uid ?? '', namespace: s.metadata?.namespace ?? '', createdAtMs: ms(s.created_at),
      labels: Object.fromEntries(Object.entries({
        podUid: s.labels?.['io.kubernetes.pod.uid'], podName: s.labels?.['io.kubernetes.pod.name'], podNamespace: s.labels?.['io.kubernetes.pod.namespace'], containerName: s.labels?.['io.kubernetes.container.name'],
      }).filter(([, v]) => v !== undefined)),
    })));
  }));
  const container = fc.record({
    id: fc.string(), pod_sandbox_id: fc.string(), metadata: fc.option(fc.record({ name: fc.string(), attempt: fc.nat() }), { nil: undefined }), image: fc.record({ image: fc.string() }),
    image_ref: fc.string(), state: fc.constantFrom('CONTAINER_RUNNING', 'CONTAINER_EXITED'), created_at: int64Text, labels, annotations: labels,
  }, { requiredKeys: [] });
  fc.assert(fc.property(fc.array(container, { maxLength: 5 }), (containers) => {
    const got = decodeListContainersResponse(encodeCriResponse('ListContainers', { containers }));
    assert.deepEqual(got.map((c) => [c.id, c.podSandboxId, c.name, c.createdAtMs, c.labels.containerName]),
      containers.map((c) => [c.id ?? '', c.pod_sandbox_id ?? '', c.metadata?.name ?? '', ms(c.created_at), c.labels?.['io.kubernetes.container.name']]));
  }));
});

test('CRI filesystem answers encoded by protobufjs: int64 time, uint64 counters to 2^64-1, absent wrappers absent', () => {
  const usage = fc.record({
    timestamp: int64Text, fs_id: fc.option(fc.record({ mountpoint: fc.string() }), { nil: undefined }),
    used_bytes: fc.option(fc.record({ value: uint64Text }, { requiredKeys: [] }), { nil: undefined }), inodes_used: fc.option(fc.record({ value: uint64Text }, { requiredKeys: [] }), { nil: undefined }),
  }, { requiredKeys: [] });
  const expected = (u: { timestamp?: string; fs_id?: { mountpoint: string } | undefined; used_bytes?: { value?: string } | undefined; inodes_used?: { value?: string } | undefined } | undefined): unknown => u === undefined ? undefined : ({
    timeMs: ms(u.timestamp), mountpoint: u.fs_id?.mountpoint ?? '',
    usedBytes: u.used_bytes === undefined ? undefined : BigInt(u.used_bytes.value ?? 0), inodesUsed: u.inodes_used === undefined ? undefined : BigInt(u.inodes_used.value ?? 0),
  });
  fc.assert(fc.property(fc.array(usage, { maxLength: 3 }), fc.array(usage, { maxLength: 3 }), (images, containers) => {
    const got = decodeImageFsInfoResponse(encodeCriResponse('ImageFsInfo', { image_filesystems: images, container_filesystems: containers }));
    assert.deepEqual(got, { imageFs: expected(images[0]), containerFs: expected(containers[0]) });
  }));
  const cpu = { timestamp: '5', usage_core_nano_seconds: { value: '9' } };
  fc.assert(fc.property(fc.array(fc.record({ id: fc.string(), layer: fc.option(usage, { nil: undefined }) }), { maxLength: 5 }), (entries) => {
    // cpu/memory are not in the test proto's subset: protobufjs drops them, the decoder would skip them.
    const got = decodeListContainerStatsResponse(encodeCriResponse('ListContainerStats', { stats: entries.map((e) => ({ attributes: { id: e.id }, writable_layer: e.layer, cpu })) }));
    const want = new Map<string, unknown>();
    for (const e of entries) if (e.id !== '' && e.layer !== undefined) want.set(e.id, expected(e.layer));
    assert.deepEqual(got, want);
  }));
  assert.deepEqual(decodeListContainerStatsResponse(new Uint8Array(0)), new Map());
  assert.deepEqual(decodeImageFsInfoResponse(new Uint8Array(0)), { imageFs: undefined, containerFs: undefined });
});

test('unknown fields of every wire type are skipped, known fields with the wrong wire type too; repeated messages merge', () => {
  const unknown = (): ProtoWriter => new ProtoWriter()
    .uint(90, 300).fixed(91, WireType.Fixed64, 0x0102030405060708n).string(92, 'ignored').fixed(93, WireType.Fixed32, 7n)
    .group(94, new ProtoWriter().uint(1, 1).group(2, new ProtoWriter().string(3, 'deep')));
  const metadata = new ProtoWriter().string(1, 'web-0').uint(4, 2).string(99, 'x');
  const sandbox = new ProtoWriter()
    .string(1, 'sb1')
    .uint(1, 7) // id as a varint: not a string, skipped
    .message(2, metadata)
    .message(2, new ProtoWriter().string(2, 'uid-1').string(3, 'shop')) // merged into the first metadata
    .uint(4, -5_000_000n) // a negative int64 (ten bytes)
    .message(5, new ProtoWriter().string(2, 'v').string(1, 'io.kubernetes.container.name')) // value before key
    .message(5, new ProtoWriter().string(1, 'other').string(2, 'not kept'))
    .message(6, new ProtoWriter().string(1, 'annotation').string(2, 'skipped'));
  const bytes = new ProtoWriter().message(1, sandbox).message(3, unknown()).finish();
  const withUnknown = new Uint8Array([...unknown().finish(), ...bytes]);
  for (const b of [bytes, withUnknown]) {
    assert.deepEqual(decodeListPodSandboxResponse(b), [{ id: 'sb1', name: 'web-0', uid: 'uid-1', namespace: 'shop', createdAtMs: -5, labels: { containerName: 'v' } }]);
  }
  const layer = new ProtoWriter().uint(1, 3_000_000n).message(3, new ProtoWriter().uint(1, (1n << 64n) - 1n)).message(3, new ProtoWriter().string(7, 'merged, value kept'));
  const stats = new ProtoWriter().message(1, new ProtoWriter().message(2, unknown()).message(4, layer).message(1, new ProtoWriter().string(1, 'c1')).message(2, unknown())).finish();
  assert.deepEqual(decodeListContainerStatsResponse(stats), new Map([['c1', { timeMs: 3, usedBytes: (1n << 64n) - 1n, inodesUsed: undefined, mountpoint: '' }]]));
});

test('malformed protobuf: truncated varints, lengths beyond the buffer, bad tags and groups are InvalidDocument errors naming the byte', () => {
  const cases: [string, number[], RegExp][] = [
    ['truncated tag varint', [0x8a], /truncated varint at byte 1/],
    ['truncated length', [0x0a, 0x80], /truncated varint/],
    ['length beyond the buffer', [0x0a, 0x05, 0x01], /length 5 beyond the 1 bytes left at byte 1/],
    ['varint over 10 bytes', [0x08, ...new Array<number>(10).fill(0xff), 0x01], /varint/],
    ['varint over 64 bits', [0x08, ...new Array<number>(9).fill(0xff), 0x02], /overflows 64 bits/],
    ['field number 0', [0x02, 0x00], /invalid tag/],
    ['wire type 6', [0x0e], /invalid wire type 6/],
    ['wire type 7', [0x0f], /invalid wire type 7/],
    ['fixed64 cut', [0x09, 1, 2, 3], /fixed64 beyond/],
    ['fixed32 cut', [0x0d, 1], /fixed32 beyond/],
    ['stray end group', [0x0c], /unexpected end of group 1/],
    ['unterminated group', [0x0b, 0x08, 0x01], /unterminated group 1/],
    ['mismatched end group', [0x0b, 0x14], /group 1 ended by 2/],
    ['nested message cut', [0x0a, 0x02, 0x0a, 0x05], /length 5 beyond/],
  ];
  for (const [name, bytes, message] of cases) {
    for (const decode of decoders) assert.throws(() => decode(new Uint8Array(bytes)), (e: unknown) => isKubemeterError(e, ErrorCode.InvalidDocument) && message.test(e.message), `${name} (${decode.name})`);
  }
  // Groups nest to the limit and no further.
  const nested = (depth: number): ProtoWriter => {
    let w = new ProtoWriter().uint(1, 1);
    for (let i = 0; i < depth; i++) w = new ProtoWriter().group(5, w);
    return w;
  };
  assert.deepEqual(decodeListPodSandboxResponse(nested(maxGroupDepth).finish()), []);
  assert.throws(() => decodeListPodSandboxResponse(nested(maxGroupDepth + 1).finish()), /nested deeper than 100/);
});

test('varints: every 64-bit value round-trips, as uint64, as int64 and as int64 ns → ms', () => {
  fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (v) => {
    const r = new ProtoReader(new ProtoWriter().varint(v).finish(), 'v');
    assert.equal(r.varint64(), v);
    assert.equal(r.more(), false);
    assert.equal(new ProtoReader(new ProtoWriter().varint(v).finish(), 'v').int64(), BigInt.asIntN(64, v));
    assert.equal(new ProtoReader(new ProtoWriter().varint(v).finish(), 'v').int64Millis(), Number(BigInt.asIntN(64, v) / 1_000_000n));
  }), { numRuns: 5000 });
  // Around millisecond boundaries of present-day timestamps, where a double division would round up.
  for (const ns of [1700000000999999999n, 1700000001000000000n, 1699999999999999999n, (1n << 63n) - 1n, 999_999n, 1_000_000n, (1n << 49n) - 1n, 1n << 49n, -1n, -(1n << 63n)]) {
    assert.equal(new ProtoReader(new ProtoWriter().varint(ns).finish(), 'v').int64Millis(), Number(ns / 1_000_000n), String(ns));
  }
});

test('fuzz: arbitrary bytes, and valid answers cut or corrupted anywhere, decode or fail with InvalidDocument', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
    for (const decode of decoders) decodesOrRefuses(() => decode(bytes));
  }), { numRuns: 2000 });
  const valid = encodeCriResponse('ListPodSandbox', {
    items: [{ id: 'a', metadata: { name: 'n', uid: 'u', namespace: 's' }, created_at: '1700000000000000000', labels: { 'io.kubernetes.pod.uid': 'u' }, annotations: { k: 'v' } }],
  });
  fc.assert(fc.property(fc.nat(valid.length), fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 }), (cut, at, byte) => {
    const corrupted = Uint8Array.from(valid);
    corrupted[at] = byte;
    for (const b of [valid.subarray(0, cut), corrupted]) {
      for (const decode of decoders) decodesOrRefuses(() => decode(b));
      decodesOrRefuses(() => identityFromCri(decodeListPodSandboxResponse(b), []));
    }
  }), { numRuns: 2000 });
});
