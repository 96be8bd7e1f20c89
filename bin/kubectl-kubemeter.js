#!/usr/bin/env node
// kubectl plugin shim: `kubectl kubemeter top pod -A` runs `kubemeter top pod -A`. kubectl passes
// the arguments after the plugin name; hints in messages then name `kubectl kubemeter`.
import { existsSync } from 'node:fs';

process.env.KUBEMETER_PROGRAM ??= 'kubectl kubemeter';
const built = new URL('../dist/cmd/main.js', import.meta.url);
const entry = existsSync(built) ? built : new URL('../src/cmd/main.ts', import.meta.url);
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
