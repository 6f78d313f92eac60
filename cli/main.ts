import { parseArgs } from 'node:util';
import {
  AnalysisInputError, analyzePaths, Finding, formatFindings, formatText, hasErrors, OUTPUT_FORMATS, OutputFormat, summary,
} from '../analysis/index.js';
import { AccessRequestError } from '../analysis/access/simulator.js';
import { ZeroTrustConfigError } from '../constructs/index.js';
import { access, ACCESS_USAGE } from './access.js';
import { ENVIRONMENTS, environment } from '../infra/environment.js';
import { SynthAnalysisError, synthToDirectory } from '../infra/synth.js';

const USAGE = `zt-mesh: a zero-trust Istio mesh as typed code

Usage:
  zt-mesh synth [--env <name>[,<name>...]] [--out <dir>]
      Synthesize environments (default: all of ${Object.keys(ENVIRONMENTS).join(', ')}) into
      <dir>/<env>/ (default dir: $CDK8S_OUTDIR or dist). Each environment is checked with
      the policy analyzer first; nothing is written unless every requested environment
      synthesizes cleanly and has no analyzer errors.

  zt-mesh analyze <file-or-dir>... [--format text|json|markdown]
                  [--root-namespace <ns>] [--trust-domain <domain>]
      Check Kubernetes/Istio manifests (multi-document YAML files, or directories of them,
      read recursively) for Istio configurations that silently do the wrong thing.
      Exit status: 0 when no finding is an error, 1 when one is, 2 for unusable input.
      meshConfig defaults: root namespace istio-system, trust domain cluster.local.

${ACCESS_USAGE}`;

/** A command-line mistake: one line plus the usage, exit 2. */
class UsageError extends Error {}

/** Runs one CLI invocation; resolves to the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  const [verb, ...rest] = argv;
  try {
    switch (verb) {
      case 'synth': return synth(rest);
      case 'analyze': return analyzeCommand(rest);
      case 'access': return await access(rest);
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
    if (error instanceof SynthAnalysisError) {
      for (const [env, findings] of error.failures) {
        const errors = findings.filter((f) => f.severity === 'error');
        process.stderr.write(`zt-mesh ${verb}: environment "${env}": the policy analyzer found ${summary(findings)}; the errors:\n\n${formatText(errors)}\n`);
      }
      process.stderr.write('Nothing was written.\n');
      return 1;
    }
    if (error instanceof UsageError || isParseArgsError(error)) {
      process.stderr.write(`zt-mesh ${verb}: ${(error as Error).message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof AccessRequestError) {
      process.stderr.write(`zt-mesh ${verb}: ${error.message}\n`);
      return 2;
    }
    if (error instanceof AnalysisInputError) {
      process.stderr.write(`zt-mesh ${verb}: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

/** node:util parseArgs reports unknown options and missing values with ERR_PARSE_ARGS_* codes. */
function isParseArgsError(error: unknown): boolean {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string'
    && (error as NodeJS.ErrnoException).code!.startsWith('ERR_PARSE_ARGS_');
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
  const analyzed = new Map<string, readonly Finding[]>();
  const written = synthToDirectory(envs, outDir, (name, findings) => analyzed.set(name, findings));
  for (const [name, files] of written) {
    const objects = [...files.values()].reduce((n, yaml) => n + (yaml.match(/^---$/gm)?.length ?? 0), 0);
    process.stdout.write(`${outDir}/${name}/: ${files.size} files, ${objects} objects; analyzer: ${summary(analyzed.get(name) ?? [])}\n`);
  }
  return 0;
}

function analyzeCommand(args: readonly string[]): number {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      format: { type: 'string', default: 'text' },
      'root-namespace': { type: 'string' },
      'trust-domain': { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  const format = values.format as OutputFormat;
  if (!OUTPUT_FORMATS.includes(format)) throw new UsageError(`--format "${values.format}" is not one of ${OUTPUT_FORMATS.join(', ')}.`);
  if (positionals.length === 0) throw new UsageError('name at least one manifest file or directory to analyze.');
  const findings = analyzePaths(positionals, {
    ...(values['root-namespace'] ? { rootNamespace: values['root-namespace'] } : {}),
    ...(values['trust-domain'] ? { trustDomain: values['trust-domain'] } : {}),
  });
  process.stdout.write(formatFindings(findings, format));
  return hasErrors(findings) ? 1 : 0;
}
