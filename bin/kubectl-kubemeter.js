#!/usr/bin/env node
// kubectl plugin shim: `kubectl kubemeter top pod -A` runs `kubemeter top pod -A`. kubectl passes
// the arguments after the plugin name; hints in messages then name `kubectl kubemeter`.
import { run } from './entry.js';

process.env.KUBEMETER_PROGRAM ??= 'kubectl kubemeter';
process.exitCode = await run(process.argv.slice(2));
