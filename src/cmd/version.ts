/** `kubemeter version`: print the package version. */
import { readFileSync } from 'node:fs';

/** The version from package.json. */
export function packageVersion(): string {
  const pkg: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  if (typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string') return pkg.version;
  return 'unknown';
}

export function run(_args: string[]): Promise<number> {
  process.stdout.write(`kubemeter ${packageVersion()}\n`);
  return Promise.resolve(0);
}
