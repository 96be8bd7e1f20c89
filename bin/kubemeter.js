#!/usr/bin/env node
// Entry point of the installed command: the compiled build when present, else the TypeScript
// sources (Node >= 22.18 runs them directly).
import { existsSync } from 'node:fs';

const built = new URL('../dist/cmd/main.js', import.meta.url);
const entry = existsSync(built) ? built : new URL('../src/cmd/main.ts', import.meta.url);
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
