/**
 * The subset of the Kubernetes Container Runtime Interface (package `runtime.v1`) the agent uses
 * to name pods and containers — `ListPodSandbox` and `ListContainers` with their metadata and
 * labels — and to read the filesystem usage the runtime measures — `ListContainerStats` (writable
 * layers) and `ImageFsInfo` — as a protobufjs JSON descriptor for proto-loader's `fromJSON`. A TypeScript module
 * rather than a .proto file: the compiled package (dist/) then needs no file next to the code,
 * and no build step has to copy one. Field numbers are those of the upstream API, so real
 * containerd and CRI-O answer it; testdata/cri-runtime-v1.proto is the same subset as proto
 * text, which the tests serve to check this descriptor against.
 */
import type { fromJSON } from '@grpc/proto-loader';

type Field = { type: string; id: number; rule?: 'repeated'; keyType?: string };
type Message = { fields: Record<string, Field> };

const str = (id: number): Field => ({ type: 'string', id });
const labels = (id: number): Field => ({ keyType: 'string', type: 'string', id });

/** The descriptor (protobufjs INamespace JSON). */
export const criRuntimeV1Descriptor: Parameters<typeof fromJSON>[0] = {
  nested: {
    runtime: {
      nested: {
        v1: {
          nested: {
            RuntimeService: {
              methods: {
                // protobufjs's IMethod type requires `comment`.
                ListPodSandbox: { requestType: 'ListPodSandboxRequest', responseType: 'ListPodSandboxResponse', comment: '' },
                ListContainers: { requestType: 'ListContainersRequest', responseType: 'ListContainersResponse', comment: '' },
                ListContainerStats: { requestType: 'ListContainerStatsRequest', responseType: 'ListContainerStatsResponse', comment: '' },
              },
            },
            ImageService: {
              methods: {
                ImageFsInfo: { requestType: 'ImageFsInfoRequest', responseType: 'ImageFsInfoResponse', comment: '' },
              },
            },
            PodSandboxMetadata: { fields: { name: str(1), uid: str(2), namespace: str(3), attempt: { type: 'uint32', id: 4 } } } satisfies Message,
            PodSandboxState: { values: { SANDBOX_READY: 0, SANDBOX_NOTREADY: 1 } },
            PodSandboxStateValue: { fields: { state: { type: 'PodSandboxState', id: 1 } } } satisfies Message,
            PodSandboxFilter: { fields: { id: str(1), state: { type: 'PodSandboxStateValue', id: 2 }, label_selector: labels(3) } } satisfies Message,
            ListPodSandboxRequest: { fields: { filter: { type: 'PodSandboxFilter', id: 1 } } } satisfies Message,
            PodSandbox: {
              fields: {
                id: str(1),
                metadata: { type: 'PodSandboxMetadata', id: 2 },
                state: { type: 'PodSandboxState', id: 3 },
                created_at: { type: 'int64', id: 4 },
                labels: labels(5),
                annotations: labels(6),
                runtime_handler: str(7),
              },
            } satisfies Message,
            ListPodSandboxResponse: { fields: { items: { rule: 'repeated', type: 'PodSandbox', id: 1 } } } satisfies Message,
            ContainerMetadata: { fields: { name: str(1), attempt: { type: 'uint32', id: 2 } } } satisfies Message,
            ImageSpec: { fields: { image: str(1) } } satisfies Message,
            ContainerState: { values: { CONTAINER_CREATED: 0, CONTAINER_RUNNING: 1, CONTAINER_EXITED: 2, CONTAINER_UNKNOWN: 3 } },
            ContainerStateValue: { fields: { state: { type: 'ContainerState', id: 1 } } } satisfies Message,
            ContainerFilter: {
              fields: { id: str(1), state: { type: 'ContainerStateValue', id: 2 }, pod_sandbox_id: str(3), label_selector: labels(4) },
            } satisfies Message,
            ListContainersRequest: { fields: { filter: { type: 'ContainerFilter', id: 1 } } } satisfies Message,
            Container: {
              fields: {
                id: str(1),
                pod_sandbox_id: str(2),
                metadata: { type: 'ContainerMetadata', id: 3 },
                image: { type: 'ImageSpec', id: 4 },
                image_ref: str(5),
                state: { type: 'ContainerState', id: 6 },
                created_at: { type: 'int64', id: 7 },
                labels: labels(8),
                annotations: labels(9),
              },
            } satisfies Message,
            ListContainersResponse: { fields: { containers: { rule: 'repeated', type: 'Container', id: 1 } } } satisfies Message,
            ContainerStatsFilter: { fields: { id: str(1), pod_sandbox_id: str(2), label_selector: labels(3) } } satisfies Message,
            ListContainerStatsRequest: { fields: { filter: { type: 'ContainerStatsFilter', id: 1 } } } satisfies Message,
            ContainerAttributes: {
              fields: { id: str(1), metadata: { type: 'ContainerMetadata', id: 2 }, labels: labels(3), annotations: labels(4) },
            } satisfies Message,
            UInt64Value: { fields: { value: { type: 'uint64', id: 1 } } } satisfies Message,
            FilesystemIdentifier: { fields: { mountpoint: str(1) } } satisfies Message,
            FilesystemUsage: {
              fields: {
                timestamp: { type: 'int64', id: 1 },
                fs_id: { type: 'FilesystemIdentifier', id: 2 },
                used_bytes: { type: 'UInt64Value', id: 3 },
                inodes_used: { type: 'UInt64Value', id: 4 },
              },
            } satisfies Message,
            // Only the fields the agent reads: cpu (2), memory (3), swap (5) and io (6) are skipped on decode.
            ContainerStats: { fields: { attributes: { type: 'ContainerAttributes', id: 1 }, writable_layer: { type: 'FilesystemUsage', id: 4 } } } satisfies Message,
            ListContainerStatsResponse: { fields: { stats: { rule: 'repeated', type: 'ContainerStats', id: 1 } } } satisfies Message,
            ImageFsInfoRequest: { fields: {} } satisfies Message,
            ImageFsInfoResponse: {
              fields: {
                image_filesystems: { rule: 'repeated', type: 'FilesystemUsage', id: 1 },
                container_filesystems: { rule: 'repeated', type: 'FilesystemUsage', id: 2 },
              },
            } satisfies Message,
          },
        },
      },
    },
  },
};
