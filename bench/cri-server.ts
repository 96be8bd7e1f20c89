/**
 * A CRI runtime for the agent benchmark: a real gRPC server (grpc-js, test/support/cri-server.ts)
 * on a unix socket answering ListPodSandbox and ListContainers with the pods of the generated
 * fixture host (writeGeneratedHost), and ListContainerStats and ImageFsInfo with writable layers
 * and an image filesystem, so that the agent's CRI client is loaded and used as on a real node.
 */
import { answer, startCriServer } from '../test/support/cri-server.ts';

/** Serve the fixture's `pods` × `containers` on `socketPath`; resolves to a function that stops the server. */
export async function startFixtureCri(socketPath: string, pods: number, containers: number): Promise<() => void> {
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
  const server = await startCriServer(socketPath, {
    ListPodSandbox: answer({ items: sandboxes }),
    ListContainers: answer({ containers: apps }),
    ListContainerStats: answer({ stats }),
    ImageFsInfo: answer({ image_filesystems: [{ timestamp: created, fs_id: { mountpoint: '/var/lib/containerd' }, used_bytes: { value: '843317248' }, inodes_used: { value: '13541' } }] }),
  });
  return () => server.stop();
}
