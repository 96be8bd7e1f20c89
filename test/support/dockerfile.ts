/**
 * The repository's Dockerfile read as text (no container engine needed): its instructions by stage,
 * and the environment its runtime stage gives the processes it runs.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One Dockerfile instruction: its name (upper case) and the rest of its line. */
export interface Instruction {
  instruction: string;
  rest: string;
}

/** The repository's Dockerfile. */
export const dockerfilePath = join(dirname(fileURLToPath(import.meta.url)), '../../Dockerfile');

/** Dockerfile instructions (continuation lines joined, comments dropped), grouped by stage (the instructions before the first FROM first). */
export function parseDockerfile(text: string): Instruction[][] {
  const joined = text.replace(/\\\r?\n/g, ' ');
  const stages: Instruction[][] = [[]];
  for (const raw of joined.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Za-z]+)\s+(.*)$/.exec(line);
    if (m === null) throw new Error(`Dockerfile: not an instruction: ${line}`);
    const instruction = m[1]!.toUpperCase();
    if (instruction === 'FROM') stages.push([]);
    stages.at(-1)!.push({ instruction, rest: m[2]! });
  }
  return stages;
}

/** The variables the ENV instructions of a stage set, in the `ENV NAME=value …` form (unquoted values). */
export function stageEnv(stage: readonly Instruction[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of stage) {
    if (i.instruction !== 'ENV') continue;
    for (const pair of i.rest.split(/\s+/)) {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)=([^"'\s]*)$/.exec(pair);
      if (m === null) throw new Error(`Dockerfile: ENV ${i.rest}: expected NAME=value pairs without quotes`);
      env[m[1]!] = m[2]!;
    }
  }
  return env;
}

/** The environment the image's runtime stage (the last one) gives its processes. */
export function imageEnv(text: string = readFileSync(dockerfilePath, 'utf8')): Record<string, string> {
  return stageEnv(parseDockerfile(text).at(-1)!);
}
