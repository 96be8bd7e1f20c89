#!/usr/bin/env node
// Entry point of the `kubemeter` command.
import { run } from './entry.js';

process.exitCode = await run(process.argv.slice(2));
