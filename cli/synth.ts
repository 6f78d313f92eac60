import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { formatText, summary, summaryOfCounts } from '../analysis/format.js';
import { ENVIRONMENTS_VARIABLE, REPORT_VARIABLE, SynthReport } from '../manifests/synth-report.js';
import { terminalSafe, UsageError } from './main.js';

/**
 * `zt-mesh synth`: runs the user's cdk8s app as `cdk8s synth` does (its command from
 * cdk8s.yaml, `CDK8S_OUTDIR` set), with the environments to write, and reports what its
 * `MeshApp` wrote or why it refused.
 */
export function synth(args: readonly string[]): number {
  const { values } = parseArgs({
    args: [...args],
    options: { app: { type: 'string' }, env: { type: 'string' }, out: { type: 'string' } },
    strict: true,
  });
  const command = values.app ?? appFromCdk8sYaml();
  const outDir = values.out ?? (process.env.CDK8S_OUTDIR || 'dist');
  const environments = values.env?.split(',').map((s) => s.trim()).filter(Boolean);
  if (values.env !== undefined && environments!.length === 0) throw new UsageError('--env needs at least one environment name.');

  const scratch = mkdtempSync(join(tmpdir(), 'zt-mesh-synth-'));
  const reportFile = join(scratch, 'report.json');
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, CDK8S_OUTDIR: outDir, [REPORT_VARIABLE]: reportFile };
    if (environments) env[ENVIRONMENTS_VARIABLE] = environments.join(',');
    else delete env[ENVIRONMENTS_VARIABLE];
    const run = spawnSync(command, { shell: true, env, stdio: ['inherit', 'inherit', 'pipe'], encoding: 'utf8' });
    const report = existsSync(reportFile) ? JSON.parse(readFileSync(reportFile, 'utf8')) as SynthReport : undefined;
    if (report?.error) return refused(report.error);
    // A construct refused its props while the app built its meshes, before MeshApp.synth():
    // the app died of the error; its message is one line of what it printed.
    const refusal = run.status !== 0 ? /^ZeroTrustConfigError: (.*)$/m.exec(run.stderr ?? '') : null;
    if (refusal) return refused({ kind: 'config', message: refusal[1]! });
    if (run.stderr) process.stderr.write(run.stderr);
    if (run.error) throw new UsageError(`could not run the app "${command}": ${run.error.message}`);
    if (run.status !== 0) {
      process.stderr.write(`zt-mesh synth: the app "${command}" failed (exit status ${run.status ?? run.signal}).\n`);
      return 1;
    }
    if (!report?.environments) {
      process.stderr.write(`zt-mesh synth: the app "${command}" ran, but no MeshApp reported what it wrote: create your meshes under a MeshApp (import { MeshApp } from 'zero-trust-mesh') to get one directory per environment and this summary.\n`);
      return 0;
    }
    for (const e of report.environments) {
      process.stdout.write(`${e.directory}/: ${e.files} files, ${e.objects} objects; analyzer: ${summaryOfCounts(e.findings)}\n`);
    }
    if (report.delivery) process.stdout.write(`${report.delivery.directory}/: ${report.delivery.files} files, ${report.delivery.objects} delivery objects\n`);
    return 0;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function refused(error: NonNullable<SynthReport['error']>): number {
  if (error.kind === 'analysis' && error.failures) {
    for (const [env, findings] of Object.entries(error.failures)) {
      const errors = findings.filter((f) => f.severity === 'error');
      process.stderr.write(terminalSafe(`zt-mesh synth: environment "${env}": the policy analyzer found ${summary(findings)}; the errors:\n\n${formatText(errors)}\n`));
    }
  } else {
    process.stderr.write(`zt-mesh synth: ${error.message}\n`);
  }
  process.stderr.write('Nothing was written.\n');
  return 1;
}

/** The `app` command of cdk8s.yaml in the current directory, as `cdk8s synth` reads it. */
function appFromCdk8sYaml(): string {
  if (!existsSync('cdk8s.yaml')) {
    throw new UsageError('there is no cdk8s.yaml here; run it in your cdk8s app\'s directory, or give the command that runs the app with --app "npx ts-node main.ts".');
  }
  const app = (parse(readFileSync('cdk8s.yaml', 'utf8')) as { app?: unknown } | null)?.app;
  if (typeof app !== 'string' || app.trim() === '') {
    throw new UsageError('cdk8s.yaml has no "app" command; add one (e.g. app: npx ts-node main.ts), or give --app.');
  }
  return app;
}
