/**
 * The CRI client (cri.ts), loaded on first use once the runtime's socket exists. The client is
 * small now (node:http2 and hand-written decoders, see grpc-unix.ts), but a read-only agent has
 * not loaded node:http2 at all, and a node whose runtime socket is absent — no CRI runtime, or
 * one not started yet — should load nothing for it. Until the socket appears each call fails as a
 * call to an absent socket does, and the first call after it appears loads the client, so a
 * runtime that starts after the agent is still used.
 */
import { ErrorCode, KubemeterError } from '../../lib/errors.ts';
import type * as CriModule from './cri.ts';
import type { CriIdentityOptions, CriStorage, ImageFsInfo, RuntimeFsUsage } from './cri.ts';
import type { IdentityProvider, IdentitySnapshot } from './types.ts';
import { nodeFs } from '../../lib/node-fs.ts';

const { existsSync } = nodeFs;

/** The socket path of `--container-runtime-endpoint` (`unix:///x`, `unix:/x` or `/x`); throws InvalidFlag for anything else. */
export function criSocketPath(endpoint: string): string {
  if (endpoint.startsWith('unix://')) return endpoint.slice('unix://'.length);
  if (endpoint.startsWith('unix:')) return endpoint.slice('unix:'.length);
  if (endpoint.startsWith('/')) return endpoint;
  throw new KubemeterError(ErrorCode.InvalidFlag, `--container-runtime-endpoint ${JSON.stringify(endpoint)}: only unix sockets are supported`, {
    source: '--container-runtime-endpoint',
  });
}

/** Options of lazyCri. */
export interface LazyCriOptions extends CriIdentityOptions {
  /** Whether the socket exists (default fs.existsSync); injectable for tests. */
  exists?: (path: string) => boolean;
  /** Loads the client module (default: import('./cri.ts')); injectable for tests. */
  load?: () => Promise<Pick<typeof CriModule, 'criIdentity' | 'criStorage'>>;
}

/** The CRI identity provider and filesystem source, each created on its first call after the socket exists. */
export interface LazyCri {
  identity: IdentityProvider;
  storage: CriStorage;
  /** Whether the CRI client has been loaded. */
  loaded(): boolean;
}

/** A CRI client loaded only when the runtime's socket exists (see the file comment). Throws InvalidFlag for a non-unix endpoint. */
export function lazyCri(options: LazyCriOptions): LazyCri {
  const path = criSocketPath(options.endpoint);
  const exists = options.exists ?? existsSync;
  const load = options.load ?? (() => import('./cri.ts'));
  let module: ReturnType<typeof load> | undefined;
  let identity: IdentityProvider | undefined;
  let storage: CriStorage | undefined;
  let identityClosed = false;
  let storageClosed = false;
  const ready = async (what: string, closed: () => boolean): ReturnType<typeof load> => {
    const closedError = (): KubemeterError => new KubemeterError(ErrorCode.Network, `CRI ${what} on ${options.endpoint}: client closed`, { source: options.endpoint });
    if (closed()) throw closedError();
    // Once loaded, the client itself reports an absent socket (and reconnects when it comes back).
    if (module === undefined && !exists(path)) {
      throw new KubemeterError(ErrorCode.Network, `CRI ${what} on ${options.endpoint}: no socket at ${path}`, { source: options.endpoint });
    }
    module ??= load();
    const m = await module;
    // Closed while the module loaded: create no client that nobody would close.
    if (closed()) throw closedError();
    return m;
  };
  const theStorage = async (what: string): Promise<CriStorage> => {
    const m = await ready(what, () => storageClosed);
    return (storage ??= m.criStorage(options));
  };
  return {
    identity: {
      name: 'cri',
      async lookup(signal): Promise<IdentitySnapshot> {
        const m = await ready('ListPodSandbox', () => identityClosed);
        return (identity ??= m.criIdentity(options)).lookup(signal);
      },
      close(): void {
        identityClosed = true;
        identity?.close();
      },
    },
    storage: {
      async writableLayers(signal): Promise<Map<string, RuntimeFsUsage>> {
        return (await theStorage('ListContainerStats')).writableLayers(signal);
      },
      async imageFsInfo(signal): Promise<ImageFsInfo> {
        return (await theStorage('ImageFsInfo')).imageFsInfo(signal);
      },
      close(): void {
        storageClosed = true;
        storage?.close();
      },
    },
    loaded: () => module !== undefined,
  };
}
