#!/usr/bin/env node
// The `zt-mesh` command (package.json "bin"): compiled JavaScript, no TypeScript runtime.
import { main } from './main.js';

main(process.argv.slice(2)).then((status) => { process.exitCode = status; }, (error: unknown) => {
  process.stderr.write(`zt-mesh: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 1;
});
