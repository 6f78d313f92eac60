// The installed command line, run as a user runs it (a child process), not imported.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = join(process.cwd(), 'bin', 'zt-mesh.mjs');
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, CDK8S_OUTDIR: '' } });

describe('zt-mesh', () => {
  let out: string;
  beforeAll(() => { out = mkdtempSync(join(tmpdir(), 'zt-cli-')); });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  test('synth writes the requested environments and reports them', () => {
    const result = run('synth', '--env', 'dev,prod', '--out', out);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/\/dev\/: 7 files, \d+ objects; analyzer: 0 errors, 13 warnings, 1 info\n/);
    expect(readdirSync(out).sort()).toEqual(['dev', 'prod']);
  });

  test('an unknown environment is a one-line error, exit 1, nothing written', () => {
    const target = join(out, 'unknown');
    const result = run('synth', '--env', 'dev,qa', '--out', target);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/environment: name: Unknown environment "qa"\. Fix: use one of dev, staging, prod\./);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(target)).toBe(false);
  });

  test('a built-in property name is not an environment', () => {
    const result = run('synth', '--env', 'toString', '--out', join(out, 'builtin'));
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/Unknown environment "toString"/);
    expect(existsSync(join(out, 'builtin'))).toBe(false);
  });

  test('analyzer errors fail synth with the findings on stderr, exit 1, nothing written', () => {
    const target = join(out, 'refused');
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `
      import { ENVIRONMENTS } from './infra/environment.ts';
      ENVIRONMENTS.dev.acknowledgements = {};
      const { main } = await import('./cli/main.ts');
      process.exitCode = await main(['synth', '--env', 'dev', '--out', ${JSON.stringify(target)}]);
    `], { encoding: 'utf8', input: '' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^zt-mesh synth: environment "dev": the policy analyzer found 13 errors, 0 warnings, 1 info; the errors:\n\nerror ZT124 /);
    expect(result.stderr).toMatch(/Nothing was written\.\n$/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(target)).toBe(false);
  });

  test('an unknown command prints usage and exits 2', () => {
    const result = run('deploy');
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/unknown command "deploy"[\s\S]*zt-mesh synth/);
  });
});
