/**
 * The Node and V8 options `kubemeter agent` runs under by default (`--low-memory`; not with
 * `--low-memory=false`), given from the first instruction by the re-execution in node-flags.ts
 * whichever way it was started (`kubemeter agent`, `node dist/cmd/main.js agent`, the DaemonSet's
 * command): NODE_OPTIONS or a wrapper are not needed.
 *
 * Why from the first instruction and not with v8.setFlagsFromString once the command runs: V8
 * compiles while Node starts and the agent's modules load, and turning its compilers off later
 * leaves the pages of their machine code that were already touched in the process. Measured with
 * the compiled agent on the 110-pod fixture (read-only port, passes every 100 ms with scrapes in
 * between, RSS after 60 passes; /proc/PID/pagemap of the node binary mapped to its symbols):
 * - flags set at run time (--no-opt, Maglev on): 65.2 MiB, 48.5 MiB of it the node binary's
 *   pages, among them 2.4 MiB of TurboFan (v8::internal::compiler), 1.8 MiB of Turboshaft and
 *   1.4 MiB of Maglev code. Adding --no-maglev at run time saves 2.5 MiB of heap but none of
 *   these pages; setting both before the agent's modules load leaves Maglev's (58.6 MiB).
 * - `--no-opt --no-maglev` on the command line: 55.1 MiB, 41.0 MiB file-backed: no optimizing
 *   compiler code is ever touched, the same as --jitless (55.5 MiB), which would also give up
 *   Sparkplug and the regular-expression JIT (and WebAssembly, which Node's TypeScript stripping
 *   uses) for no further saving.
 * The price: re-executing costs one more start of Node and of the agent's module graph, once; a
 * pass runs on Ignition and Sparkplug only, which is why the pass's parsers leave the scanning of
 * bytes to native code (see docs/agent.md, "Memory and CPU").
 */

/** V8 options the agent wants from its first instruction (also set at run time when the process lacks them, see tuneHeapForAgent). */
export const agentV8Flags: readonly string[] = ['--no-opt', '--no-maglev'];

/**
 * Node's own start-up option: `--no-node-snapshot` builds the agent's first context by running
 * Node's bootstrap code instead of deserializing Node's built-in start-up snapshot. The snapshot
 * is ~5.7 MiB of the node binary's read-only data; deserializing it reads nearly all of it, and
 * those file-backed pages stay mapped, i.e. in the process's RSS, for its whole life although
 * nothing reads them again. Measured with the compiled agent on the 110-pod fixture (secure port
 * + CRI client answering, passes every 100 ms with scrapes in between, RSS after 100 passes, two
 * runs each): 63.9 MiB (44.9 file-backed + 19.0 anonymous) with the snapshot, 59.9-60.2 MiB
 * (41.1 + 18.9) without; the snapshot region itself went from 4.9 MiB resident to 72 KiB. A bare
 * Node HTTPS server on the same binary: 60.8 → 58.9 MiB. The price is start-up CPU, once: Node
 * starts in ~80 instead of ~30 ms. The pass is unaffected (the same code runs, compiled the same way).
 */
export const agentStartFlags: readonly string[] = ['--no-node-snapshot'];

/** Every option the agent re-executes with, in the order they are given (node-flags.ts). */
export const agentNodeFlags: readonly string[] = [...agentV8Flags, ...agentStartFlags];

/**
 * glibc malloc tunables the agent runs under by default, set in the re-executed process's
 * environment (the C library reads them once, as the process starts; a variable the environment
 * already sets, even empty, is left as it is; other C libraries ignore them). One arena for every
 * thread instead of up to eight per core, and the top of the heap given back to the kernel at
 * every free instead of past 128 KiB: the freed memory of TLS, HTTP/2 and the gRPC client's
 * answers no longer stays resident between passes. Measured with the compiled agent on the
 * 110-pod fixture (secure port + CRI client answering, passes every 100 ms with scrapes in
 * between, RSS after 100 passes; single runs vary by about ±1 MiB): defaults 63.2-65.2 MiB;
 * MALLOC_ARENA_MAX=1 alone 64.3, =2 62.8; MALLOC_TRIM_THRESHOLD_=0 with MALLOC_TOP_PAD_=0 61.2,
 * and with MALLOC_ARENA_MAX=1 as well 60.8 (anonymous memory 21.4 → 17.7 MiB); adding
 * MALLOC_MMAP_THRESHOLD_=16384 gave 60.5-61.9, no better, so it is not set. No measurable CPU
 * cost: the whole process's CPU per pass stayed within the runs' noise.
 */
export const agentNodeEnv: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '1', MALLOC_TRIM_THRESHOLD_: '0', MALLOC_TOP_PAD_: '0' };
