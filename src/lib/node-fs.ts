/**
 * node:fs for the modules the agent loads. Taken with process.getBuiltinModule, which returns the
 * CommonJS exports untouched, rather than an ES import: building the node:fs module namespace
 * reads fs.promises, which loads fs/promises, readline and stream modules the agent does not use.
 */
import type * as fs from 'node:fs';

/** The node:fs module's exports. */
export const nodeFs: typeof fs = process.getBuiltinModule('node:fs');
