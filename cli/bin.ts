#!/usr/bin/env node
// The `zt-mesh` command (package.json "bin"): compiled JavaScript, no TypeScript runtime.
import { INTERNAL_FAILURE, internalFailure, main } from './main.js';

// A reader that stops early (`zt-mesh access matrix ... | head`) closes the pipe: the rest of the
// output has nobody to go to, so the command stops quietly, as shell tools do, not with EPIPE's stack.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  process.stderr.write(`zt-mesh: cannot write the output (${error.code ?? error.message}).\n`);
  process.exit(INTERNAL_FAILURE);
});

// main() reports every failure itself; this is the last net (exit 3, one line, no stack).
main(process.argv.slice(2)).then((status) => { process.exitCode = status; }, (error: unknown) => {
  process.stderr.write(`${internalFailure(process.argv[2] ?? '', process.argv.slice(3), error)}\n`);
  process.exitCode = INTERNAL_FAILURE;
});
