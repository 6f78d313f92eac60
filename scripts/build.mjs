// The package build (`npm run build`, run by `prepare`): lib/ from the library's sources, as
// CommonJS with declarations (tsconfig.build.json). lib/package.json marks the folder as
// CommonJS, because the repository itself is an ES module package ("type": "module").
import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

rmSync('lib', { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
writeFileSync('lib/package.json', '{\n  "type": "commonjs"\n}\n');
// Executable, as npm makes it when it installs the package: `npx zt-mesh` in this repository runs
// this file itself (the root package's own bin), and tsc writes it without the bit.
chmodSync('lib/cli/bin.js', 0o755);
