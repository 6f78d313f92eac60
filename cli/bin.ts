#!/usr/bin/env node
// The `zt-mesh` command (package.json "bin"): compiled JavaScript, no TypeScript runtime.
import { INTERNAL_FAILURE, internalFailure, main } from './main.js';

// main() reports every failure itself; this is the last net (exit 3, one line, no stack).
main(process.argv.slice(2)).then((status) => { process.exitCode = status; }, (error: unknown) => {
  process.stderr.write(`${internalFailure(process.argv[2] ?? '', process.argv.slice(3), error)}\n`);
  process.exitCode = INTERNAL_FAILURE;
});
