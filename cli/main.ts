import { parseArgs } from 'node:util';
import { ZeroTrustConfigError } from '../constructs/index.js';
import { ENVIRONMENTS, environment } from '../infra/environment.js';
import { synthToDirectory } from '../infra/synth.js';

const USAGE = `zt-mesh: a zero-trust Istio mesh as typed code

Usage:
  zt-mesh synth [--env <name>[,<name>...]] [--out <dir>]
      Synthesize environments (default: all of ${Object.keys(ENVIRONMENTS).join(', ')}) into
      <dir>/<env>/ (default dir: $CDK8S_OUTDIR or dist). Nothing is written unless every
      requested environment synthesizes cleanly.
`;

/** Runs one CLI invocation; returns the exit status. */
export function main(argv: readonly string[]): number {
  const [verb, ...rest] = argv;
  try {
    switch (verb) {
      case 'synth': return synth(rest);
      case undefined: case '-h': case '--help': case 'help':
        process.stdout.write(USAGE);
        return verb === undefined ? 2 : 0;
      default:
        process.stderr.write(`zt-mesh: unknown command "${verb}".\n\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    if (error instanceof ZeroTrustConfigError) {
      process.stderr.write(`zt-mesh ${verb}: ${error.message}\nNothing was written.\n`);
      return 1;
    }
    throw error;
  }
}

function synth(args: readonly string[]): number {
  const { values } = parseArgs({
    args: [...args],
    options: { env: { type: 'string' }, out: { type: 'string' } },
    strict: true,
  });
  const names = values.env ? values.env.split(',').map((s) => s.trim()).filter(Boolean) : Object.keys(ENVIRONMENTS);
  const envs = names.map(environment);
  const outDir = values.out ?? process.env.CDK8S_OUTDIR ?? 'dist';
  const written = synthToDirectory(envs, outDir);
  for (const [name, files] of written) {
    const objects = [...files.values()].reduce((n, yaml) => n + (yaml.match(/^---$/gm)?.length ?? 0), 0);
    process.stdout.write(`${outDir}/${name}/: ${files.size} files, ${objects} objects\n`);
  }
  return 0;
}
