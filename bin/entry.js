// Picks the code the kubemeter commands run: the TypeScript sources in a source checkout (so a
// stale dist/ never shadows them) when this Node strips types, else the compiled dist/ of the
// published package. Compile cache on: start-up dominates short commands such as `top`.
import { existsSync } from 'node:fs';
import module from 'node:module';

module.enableCompileCache?.();

const source = new URL('../src/cmd/main.ts', import.meta.url);
const built = new URL('../dist/cmd/main.js', import.meta.url);
const useSource = existsSync(source) && (process.features.typescript !== undefined && process.features.typescript !== false || !existsSync(built));

/** Run the kubemeter command line `args`; resolves to the exit code. */
export async function run(args) {
  const { main } = await import((useSource ? source : built).href);
  return main(args);
}
