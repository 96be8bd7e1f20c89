/**
 * A CRI runtime for the agent benchmark: a real gRPC server (grpc-js) on a unix socket answering
 * ListPodSandbox and ListContainers with the pods of the generated fixture host
 * (writeGeneratedHost), and ListContainerStats and ImageFsInfo with writable layers and an image
 * filesystem, so that the agent's CRI client is loaded and used as on a real node.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { criRuntimeV1Descriptor } from '../src/agent/identity/cri-descriptor.ts';

type Handler = (call: unknown, cb: grpc.sendUnaryData<unknown>) => void;

/** Serve the fixture's `pods` × `containers` on `socketPath`; resolves to a function that stops the server. */
export async function startFixtureCri(socketPath: string, pods: number, containers: number): Promise<() => void> {
  const def = protoLoader.fromJSON(criRuntimeV1Descriptor, { keepCase: true, longs: String, enums: String, defaults: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { runtime: { v1: { RuntimeService: { service: grpc.ServiceDefinition }; ImageService: { service: grpc.ServiceDefinition } } } };
  const created = '1700000000000000000';
  const sandboxes: object[] = [];
  const apps: object[] = [];
  const stats: object[] = [];
  // The ids of writeGeneratedHost: sandbox f…f<pod>, app containers <c>e…e<pod>.
  for (let p = 0; p < pods; p++) {
    const hex = p.toString(16).padStart(8, '0');
    const uid = `00000000-0000-4000-8000-${p.toString(16).padStart(12, '0')}`;
    const sandbox = `${'f'.repeat(56)}${hex}`;
    sandboxes.push({ id: sandbox, metadata: { name: `pod-${p}`, uid, namespace: 'bench', attempt: 0 }, state: 'SANDBOX_READY', created_at: created, labels: {} });
    for (let c = 0; c < containers; c++) {
      const id = `${c.toString(16).padStart(8, '0')}${'e'.repeat(48)}${hex}`;
      apps.push({ id, pod_sandbox_id: sandbox, metadata: { name: `app-${c}`, attempt: 0 }, state: 'CONTAINER_RUNNING', created_at: created, labels: {} });
      stats.push({ attributes: { id, metadata: { name: `app-${c}`, attempt: 0 } }, writable_layer: { timestamp: created, fs_id: { mountpoint: '/var/lib/containerd' }, used_bytes: { value: '8192' }, inodes_used: { value: '22' } } });
    }
  }
  const answer = (body: object): Handler => (_call, cb) => cb(null, body);
  const server = new grpc.Server();
  server.addService(pkg.runtime.v1.RuntimeService.service, {
    ListPodSandbox: answer({ items: sandboxes }),
    ListContainers: answer({ containers: apps }),
    ListContainerStats: answer({ stats }),
  });
  server.addService(pkg.runtime.v1.ImageService.service, {
    ImageFsInfo: answer({ image_filesystems: [{ timestamp: created, fs_id: { mountpoint: '/var/lib/containerd' }, used_bytes: { value: '843317248' }, inodes_used: { value: '13541' } }] }),
  });
  await new Promise<void>((resolve, reject) => server.bindAsync(`unix:${socketPath}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())));
  return () => server.forceShutdown();
}
