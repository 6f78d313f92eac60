// The installed command line, run as a user runs it (a child process), not imported.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ztMesh, ZT_MESH_BIN } from '../helpers/cli.js';

const env = { ...process.env, CDK8S_OUTDIR: '', ZT_MESH_ENVIRONMENTS: '' };
const run = (...args: string[]) => ztMesh(args, { env });
const fixtureApp = (name: string) => `node --import tsx test/cli/fixtures/${name}`;

describe('zt-mesh synth runs the cdk8s app of cdk8s.yaml through its MeshApp', () => {
  let out: string;
  beforeAll(() => { out = mkdtempSync(join(tmpdir(), 'zt-cli-')); });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  test('writes the requested environments and reports them', () => {
    const result = run('synth', '--env', 'dev,prod', '--out', out);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(`${join(out, 'dev')}/: 17 files, 82 objects; analyzer: 0 errors, 13 warnings, 1 info\n`
      + `${join(out, 'prod')}/: 7 files, 43 objects; analyzer: 0 errors, 0 warnings, 1 info\n`
      + `${join(out, 'delivery')}/: 3 files, 10 delivery objects\n`);
    expect(readdirSync(out).sort()).toEqual(['delivery', 'dev', 'prod']);
  });

  test.each(['qa', 'toString'])('an unknown environment (%s) is a one-line error, exit 1, nothing written', (name) => {
    const target = join(out, `unknown-${name}`);
    const result = run('synth', '--env', `dev,${name}`, '--out', target);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`zt-mesh synth: MeshApp: environments: no Mesh has the environment name "${name}". Fix: select among dev, staging, prod (zt-mesh synth --env, or ZT_MESH_ENVIRONMENTS).\nNothing was written.\n`);
    expect(existsSync(target)).toBe(false);
  });

  test('analyzer errors fail synth with the findings on stderr, exit 1, nothing written', () => {
    const target = join(out, 'refused');
    const result = run('synth', '--app', fixtureApp('hand-written-object.ts'), '--out', target);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^zt-mesh synth: environment "dev": the policy analyzer found 1 error, 13 warnings, 1 info; the errors:\n\nerror ZT201 /);
    expect(result.stderr).toMatch(/Nothing was written\.\n$/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(target)).toBe(false);
  });

  test('a configuration a construct refuses is one line naming the construct, field and fix, exit 1, nothing written', () => {
    const target = join(out, 'weak');
    const result = run('synth', '--app', fixtureApp('weak-prod.ts'), '--out', target);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^zt-mesh synth: Mesh "prod": mtls: mesh-wide mTLS PERMISSIVE accepts plaintext.* Fix: set mtls to STRICT\..*acknowledgements\.nonStrictMtls: "<reason>"\.\nNothing was written\.\n$/);
    expect(existsSync(target)).toBe(false);
  });

  test('an app whose meshes are not under a MeshApp is run, with advice and no summary', () => {
    const target = join(out, 'plain');
    const result = run('synth', '--app', fixtureApp('plain-app.ts'), '--out', target);
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(/no MeshApp reported what it wrote: create your meshes under a MeshApp/);
    expect(readdirSync(target)).toEqual(['dev.k8s.yaml']);
  });

  test('an app that fails is exit 1 with its own error', () => {
    const result = run('synth', '--app', 'node -e "process.exit(3)"', '--out', join(out, 'failed'));
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/the app "node -e "process.exit\(3\)"" failed \(exit status 3\)/);
  });

  test('without cdk8s.yaml or --app it says what to do, exit 2', () => {
    const result = ztMesh(['synth'], { env, cwd: out });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/there is no cdk8s\.yaml here; run it in your cdk8s app's directory, or give .*--app/);
  });
});

describe('zt-mesh help and usage', () => {
  test('an unknown command prints usage and exits 2', () => {
    const result = run('deploy');
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/unknown command "deploy"[\s\S]*zt-mesh synth/);
  });

  test('no command prints usage, exit 2; --help exit 0', () => {
    expect(run().status).toBe(2);
    const help = run('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/zt-mesh synth[\s\S]*zt-mesh analyze[\s\S]*zt-mesh access check/);
  });

  test.each([
    [['synth', '--help'], /zt-mesh synth \[--app <command>\]/],
    [['analyze', '--help'], /zt-mesh analyze <file-or-dir>/],
    [['access', '--help'], /zt-mesh access check[\s\S]*zt-mesh access chain/],
    [['access', 'matrix', '-h'], /zt-mesh access matrix/],
  ])('%j prints that command\'s usage, exit 0', (args, usage) => {
    const result = run(...args);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(usage);
  });

  test('--help loads nothing but the command line itself (no analyzer, no cdk8s, no YAML)', () => {
    const result = ztMesh(['access', '--help'], {
      env: { ...env, NODE_OPTIONS: `--require ${join(process.cwd(), 'test/cli/fixtures/list-loaded-modules.cjs')}` },
    });
    expect(result.status).toBe(0);
    const loaded = JSON.parse(/LOADED (.*)\n/.exec(result.stderr)![1]!) as string[];
    expect(loaded.map((f) => relative(process.cwd(), f)).sort()).toEqual([relative(process.cwd(), ZT_MESH_BIN), 'lib/cli/main.js', 'lib/cli/usage.js']);
  });
});
