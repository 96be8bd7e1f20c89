/**
 * A real gRPC CRI server for tests and benchmarks: @grpc/grpc-js serving the `runtime.v1` subset
 * of src/agent/identity/testdata/cri-runtime-v1.proto (loaded by @grpc/proto-loader, encoded by
 * protobufjs) on a unix socket. An implementation independent of the agent's hand-written client
 * and decoders, so that each checks the other. Objects use the proto's field names (keepCase),
 * int64/uint64 as decimal strings, enums as names.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';

const protoPath = fileURLToPath(new URL('../../src/agent/identity/testdata/cri-runtime-v1.proto', import.meta.url));

/** A unary handler as grpc-js calls it. */
export type CriHandler = (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => void;

/** The two services' definitions (grpc-js, with protobufjs serializers). */
export interface CriServices {
  runtime: grpc.ServiceDefinition;
  image: grpc.ServiceDefinition;
}

let services: CriServices | undefined;

/** Load (once) the CRI subset's service definitions. */
export function criServices(): CriServices {
  if (services !== undefined) return services;
  const def = protoLoader.loadSync(protoPath, { keepCase: true, longs: String, enums: String, defaults: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { runtime: { v1: { RuntimeService: { service: grpc.ServiceDefinition }; ImageService: { service: grpc.ServiceDefinition } } } };
  services = { runtime: pkg.runtime.v1.RuntimeService.service, image: pkg.runtime.v1.ImageService.service };
  return services;
}

/** protobufjs's encoding of a response object of `method` (e.g. `ListPodSandbox`). */
export function encodeCriResponse(method: 'ListPodSandbox' | 'ListContainers' | 'ListContainerStats' | 'ImageFsInfo', value: object): Buffer {
  const s = criServices();
  const m = method === 'ImageFsInfo' ? s.image.ImageFsInfo! : s.runtime[method]!;
  return m.responseSerialize(value);
}

/** Handlers by method name; unnamed methods answer UNIMPLEMENTED. */
export interface CriHandlers {
  ListPodSandbox?: CriHandler;
  ListContainers?: CriHandler;
  ListContainerStats?: CriHandler;
  ImageFsInfo?: CriHandler;
}

/** A handler answering `body` every time. */
export function answer(body: object): CriHandler {
  return (_call, cb) => cb(null, body);
}

/** A running server. */
export interface CriServer {
  /** Stop at once (connections dropped); the socket file is removed. */
  stop(): void;
}

/** Serve `handlers` on the unix socket `socketPath`. */
export async function startCriServer(socketPath: string, handlers: CriHandlers): Promise<CriServer> {
  const s = criServices();
  const unimplemented: CriHandler = (_call, cb) => cb({ code: grpc.status.UNIMPLEMENTED, details: 'not served by this test server' });
  const server = new grpc.Server();
  server.addService(s.runtime, {
    ListPodSandbox: handlers.ListPodSandbox ?? unimplemented,
    ListContainers: handlers.ListContainers ?? unimplemented,
    ListContainerStats: handlers.ListContainerStats ?? unimplemented,
  });
  server.addService(s.image, { ImageFsInfo: handlers.ImageFsInfo ?? unimplemented });
  await new Promise<void>((resolve, reject) => server.bindAsync(`unix:${socketPath}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())));
  return { stop: () => server.forceShutdown() };
}
