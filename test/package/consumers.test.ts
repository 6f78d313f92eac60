// The package as a team gets it: `npm pack`, installed into the example projects of examples/
// (each a copy in a temporary directory), then used the way each kind of project uses it. The
// examples define meshes of their own; what they write is checked for who may reach whom with
// the analyzer and simulator, never only for its shape.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { accessMatrix, AccessSimulator, analyzeObjects, loadPaths, MeshModel, validateManifests } from '../../analysis/index.js';

const ROOT = process.cwd();
const EXAMPLES = ['cdk8s-app', 'esm-app', 'pulumi-app'] as const;
const run = promisify(execFile);

interface Ran { readonly code: number; readonly stdout: string; readonly stderr: string }

/** Runs a command in a project directory; never throws for a non-zero exit. */
async function sh(cwd: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  try {
    // The suite's own environment must not steer the projects' synth.
    const clean: NodeJS.ProcessEnv = { ...process.env, ...env };
    for (const variable of ['CDK8S_OUTDIR', 'ZT_MESH_ENVIRONMENTS', 'ZT_MESH_SYNTH_REPORT'] as const) if (!(variable in env)) delete clean[variable];
    const { stdout, stderr } = await run(command, [...args], { cwd, env: clean, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(error) };
  }
}

/** Every allowed cell of the access matrix of the manifests under `dir`, as `from -> to:port (token)`. */
async function allowedEdges(objects: ReturnType<typeof loadPaths>['objects']): Promise<string[]> {
  const cells = await accessMatrix(new AccessSimulator(new MeshModel(objects)));
  return cells.filter((c) => c.outcome === 'allow').map((c) => `${c.from} -> ${c.to}:${c.port}${c.token ? ` (${c.token} token)` : ''}`).sort();
}

/** Every file under `dir`, relative path → content. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out[join(entry.parentPath, entry.name).slice(dir.length + 1)] = readFileSync(join(entry.parentPath, entry.name), 'utf8');
  }
  return out;
}

let work: string;
let tarball: string;
const project = (name: (typeof EXAMPLES)[number]) => join(work, name);

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'lib', 'constructs', 'index.js'))) throw new Error('lib/ is not built: run `npm run build` (npm test does) before this suite.');
  work = mkdtempSync(join(tmpdir(), 'zt-consumers-'));
  // lib/ was just built by `npm test`; --ignore-scripts packs it as it is.
  const packed = await sh(ROOT, 'npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work]);
  if (packed.code !== 0) throw new Error(`npm pack failed: ${packed.stderr}`);
  tarball = join(work, (JSON.parse(packed.stdout) as { filename: string }[])[0]!.filename);
  await Promise.all(EXAMPLES.map(async (name) => {
    cpSync(join(ROOT, 'examples', name), project(name), { recursive: true, filter: (src) => !/node_modules|\/dist$|\/build$/.test(src) });
    const installed = await sh(project(name), 'npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball]);
    if (installed.code !== 0) throw new Error(`npm install in ${name} failed: ${installed.stderr}`);
  }));
}, 300_000);

afterAll(() => { if (work) rmSync(work, { recursive: true, force: true }); });

describe('the tarball', () => {
  let files: string[];
  let manifest: Record<string, any>;
  beforeAll(async () => {
    files = (await sh(work, 'tar', ['tzf', tarball])).stdout.trim().split('\n').map((f) => f.replace(/^package\//, '')).sort();
    manifest = JSON.parse((await sh(work, 'tar', ['xzOf', tarball, 'package/package.json'])).stdout);
  });

  test('holds compiled JavaScript with declarations, the docs, and nothing of the repository\'s own', () => {
    expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'docs/analyzer.md', 'docs/review.md', 'lib/package.json',
      'lib/constructs/index.js', 'lib/constructs/index.d.ts', 'lib/analysis/index.js', 'lib/pulumi/index.js', 'lib/testing/index.js', 'lib/cli/bin.js']));
    const outside = files.filter((f) => !/^(lib\/|docs\/|package\.json$|README\.md$|LICENSE$)/.test(f));
    expect(outside).toEqual([]);
    // No TypeScript sources (only declarations), no tests, bench, fixtures, reference mesh or stacks.
    expect(files.filter((f) => /\.ts$/.test(f) && !/\.d\.ts$/.test(f))).toEqual([]);
    expect(files.filter((f) => /(^|\/)(test|bench|infra|stacks|examples)\//.test(f))).toEqual([]);
  });

  test('declares its entry points, its peers (Pulumi optional) and what Node it needs', () => {
    expect(Object.keys(manifest.exports).sort()).toEqual(['.', './analysis', './package.json', './pulumi', './testing']);
    expect(manifest.bin).toEqual({ 'zt-mesh': 'lib/cli/bin.js' });
    expect(Object.keys(manifest.peerDependencies).sort()).toEqual(['@pulumi/kubernetes', '@pulumi/pulumi', 'cdk8s', 'constructs']);
    expect(manifest.peerDependenciesMeta).toEqual({ '@pulumi/kubernetes': { optional: true }, '@pulumi/pulumi': { optional: true } });
    // re2js: VirtualService regexes are matched with RE2 semantics in linear time (analysis/access/ingress-route.ts).
    // js-yaml: plain manifests are read an order of magnitude faster than with `yaml`, which still
    // reads (and explains) everything else (analysis/plain-yaml.ts).
    expect(Object.keys(manifest.dependencies).sort()).toEqual(['jose', 'js-yaml', 're2js', 'yaml']);
    expect(manifest.engines.node).toBe('>=20.19 <21 || >=22.12');
  });
});

describe('a CommonJS cdk8s app made from cdk8s\'s own template (ts-node, its tsconfig, jest with ts-jest)', () => {
  const app = () => project('cdk8s-app');

  test('keeps the template\'s tsconfig and jest config unchanged', () => {
    const template = join(ROOT, 'node_modules', 'cdk8s-cli', 'templates', 'typescript-app');
    for (const file of ['tsconfig.json', 'jest.config.js']) {
      expect(readFileSync(join(app(), file), 'utf8')).toBe(readFileSync(join(template, file), 'utf8'));
    }
  });

  test('installs no Pulumi package and no TypeScript runtime of ours', () => {
    const modules = readdirSync(join(app(), 'node_modules'));
    expect(modules.filter((m) => m === '@pulumi')).toEqual([]);
    expect(modules).not.toContain('tsx');
    expect(existsSync(join(app(), 'node_modules', 'zero-trust-mesh', 'node_modules', 'cdk8s'))).toBe(false); // one cdk8s: the app's
  });

  test('type-checks with the template\'s tsc settings (lib es2016, no skipLibCheck)', async () => {
    const tsc = await sh(app(), 'npx', ['tsc', '--noEmit', '-p', '.']);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.code).toBe(0);
  }, 120_000);

  test('`cdk8s synth` writes one directory per environment, one file per namespace, byte-identical on a second run', async () => {
    const first = await sh(app(), 'npx', ['cdk8s', 'synth', '--no-check-upgrade']);
    expect(first.code).toBe(0);
    const written = tree(join(app(), 'dist'));
    expect(Object.keys(written).sort()).toEqual(['prod/.zero-trust-mesh', 'prod/kustomization.yaml', 'prod/security/kustomization.yaml', 'prod/security/mesh.yaml', 'prod/security/shop.yaml', 'prod/workloads/kustomization.yaml', 'prod/workloads/mesh.yaml', 'prod/workloads/shop.yaml', 'staging/.zero-trust-mesh', 'staging/kustomization.yaml', 'staging/security/kustomization.yaml', 'staging/security/mesh.yaml', 'staging/security/shop.yaml', 'staging/workloads/kustomization.yaml', 'staging/workloads/mesh.yaml', 'staging/workloads/shop.yaml']);
    expect((await sh(app(), 'npx', ['cdk8s', 'synth', '--no-check-upgrade'])).code).toBe(0);
    expect(tree(join(app(), 'dist'))).toEqual(written);
  }, 120_000);

  test('the package\'s `zt-mesh analyze` passes what it wrote, and only the declared grants are open', async () => {
    const analyzed = await sh(app(), 'npx', ['zt-mesh', 'analyze', 'dist/prod']);
    expect(analyzed.code).toBe(0);
    expect(analyzed.stdout).toMatch(/0 errors, 0 warnings/);
    expect(await allowedEdges(loadPaths([join(app(), 'dist', 'prod')]).objects)).toEqual([
      'ingress -> shop/web:8080',
      'shop/api -> shop/db:5432',
      'shop/web -> shop/api:8080 (valid token)',
    ]);
  }, 60_000);

  test('`zt-mesh synth --env prod` runs the app of cdk8s.yaml and writes the same files', async () => {
    const synth = await sh(app(), 'npx', ['zt-mesh', 'synth', '--env', 'prod', '--out', 'zt-out']);
    expect(synth.stderr).toBe('');
    expect(synth.stdout).toBe('zt-out/prod/: 7 files, 25 objects; analyzer: 0 errors, 0 warnings, 1 info\n');
    expect(tree(join(app(), 'zt-out'))).toEqual(Object.fromEntries(Object.entries(tree(join(app(), 'dist'))).filter(([f]) => f.startsWith('prod/'))));
  }, 120_000);

  test('its own jest test (Testing.synth and zero-trust-mesh/testing) passes under ts-jest', async () => {
    const jest = await sh(app(), 'npx', ['jest', '--ci']);
    expect(jest.stderr).toMatch(/Tests:\s+3 passed, 3 total/);
    expect(jest.code).toBe(0);
  }, 120_000);

  const refused = (appClass: 'MeshApp' | 'App') => `import { ApiObject, App } from 'cdk8s';
import { Mesh, MeshApp, MeshWorkload, ServicePort, ZeroTrustNamespace } from 'zero-trust-mesh';

const app = new ${appClass}();
const mesh = new Mesh(app, 'prod');
const shop = new ZeroTrustNamespace(mesh, 'shop');
new MeshWorkload(shop, 'api', { image: 'ghcr.io/acme/api:1.0.0', ports: [ServicePort.http(8080)] });
// Hand-written next to the constructs: a principal with the spiffe:// prefix never matches.
new ApiObject(mesh, 'legacy', {
  apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'legacy', namespace: 'shop' },
  spec: { selector: { matchLabels: { app: 'api' } }, rules: [{ from: [{ source: { principals: ['spiffe://cluster.local/ns/shop/sa/web'] } }] }] },
});
void App;
void MeshApp;
app.synth();
`;

  test.each(['MeshApp', 'App'] as const)('a mesh with an analyzer error under a %s is refused by `cdk8s synth`, nothing written', async (appClass) => {
    writeFileSync(join(app(), `refused-${appClass}.ts`), refused(appClass));
    const out = `refused-${appClass}-out`;
    const synth = await sh(app(), 'npx', ['cdk8s', 'synth', '--no-check-upgrade', '--app', `npx ts-node refused-${appClass}.ts`, '--output', out]);
    expect(synth.code).not.toBe(0);
    expect(synth.stderr).toMatch(/Mesh "prod": the zero-trust-mesh policy analyzer found 1 error/);
    expect(synth.stderr).toMatch(/error ZT\d+ AuthorizationPolicy shop\/legacy/);
    expect(existsSync(join(app(), out)) ? Object.keys(tree(join(app(), out))) : []).toEqual([]);
  }, 120_000);
});

describe('an ES module app (type: module, NodeNext), compiled by tsc and run by tsx', () => {
  const app = () => project('esm-app');

  test('compiles with tsc, runs with node, and its analysis script reads what it wrote through zero-trust-mesh/analysis', async () => {
    const tsc = await sh(app(), 'npx', ['tsc']);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect((await sh(app(), 'node', ['build/main.js'])).code).toBe(0);
    expect(Object.keys(tree(join(app(), 'dist'))).sort()).toEqual(['dev/.zero-trust-mesh', 'dev/kustomization.yaml', 'dev/security/kustomization.yaml', 'dev/security/mesh.yaml', 'dev/security/payments.yaml', 'dev/workloads/kustomization.yaml', 'dev/workloads/mesh.yaml', 'dev/workloads/payments.yaml', 'prod/.zero-trust-mesh', 'prod/kustomization.yaml', 'prod/security/kustomization.yaml', 'prod/security/mesh.yaml', 'prod/security/payments.yaml', 'prod/workloads/kustomization.yaml', 'prod/workloads/mesh.yaml', 'prod/workloads/payments.yaml']);
    const verified = await sh(app(), 'node', ['build/verify.js']);
    expect(verified.code).toBe(0);
    const report = JSON.parse(verified.stdout) as Record<string, { errors: number; allowed: string[] }>;
    const edges = [
      'payments/audit -> payments/audit:7000',
      'payments/checkout -> payments/audit:7000',
      'payments/checkout -> payments/ledger:9000 (valid token)',
      'payments/ledger -> payments/audit:7000',
    ];
    expect(report).toEqual({ dev: { errors: 0, allowed: edges }, prod: { errors: 0, allowed: edges } });
    // dev accepts plaintext (PERMISSIVE, acknowledged), prod does not: the acknowledgement is on the object.
    expect(readFileSync(join(app(), 'dist', 'dev', 'security', 'mesh.yaml'), 'utf8')).toMatch(/acknowledged-non-strict-mtls: "dev: the legacy batch importer/);
  }, 120_000);

  test('tsx runs the TypeScript entry directly and writes the same files', async () => {
    const compiled = tree(join(app(), 'dist'));
    rmSync(join(app(), 'dist'), { recursive: true, force: true });
    expect((await sh(app(), 'npx', ['tsx', 'main.ts'])).code).toBe(0);
    expect(tree(join(app(), 'dist'))).toEqual(compiled);
  }, 120_000);
});

describe('a Pulumi program deploying its mesh through MeshDeployment, under ts-node as `pulumi up` runs it (mocks)', () => {
  const host = join(ROOT, 'test', 'package', 'pulumi-language-host.cjs');
  const CONFIG = { 'inventory-mesh:issuer': 'https://login.example.com', 'inventory-mesh:cachePassword': 'cache-password-from-config' };
  interface Registration { type: string; name: string; urn: string; parent: string; custom: boolean; inputs: any; secrets: string[]; dependencies: string[] }
  const up = async (config: Record<string, string>) => {
    const ran = await sh(project('pulumi-app'), 'node', [host, 'prod', JSON.stringify(config), JSON.stringify(['inventory-mesh:cachePassword'])]);
    return { ...(JSON.parse(ran.stdout.trim().split('\n').pop()!) as { outputs?: Record<string, unknown>; registrations: Registration[] }), stderr: ran.stderr };
  };

  test('registers the mesh as the component\'s children, in order, with the Secret as a Pulumi secret; who may reach whom holds', async () => {
    const { outputs, registrations, stderr } = await up(CONFIG);
    expect(stderr).not.toMatch(/error: \[runtime\]/);
    expect(outputs).toEqual({ namespaces: ['inventory'], objects: 23 });
    const component = registrations.find((r) => r.type === 'zero-trust-mesh:index:MeshDeployment')!;
    const objects = registrations.filter((r) => r.custom && r.type.startsWith('kubernetes:') && r.type !== 'kubernetes:helm.sh/v3:Release' && r.urn.includes('MeshDeployment$kubernetes'));
    expect(objects.every((r) => r.parent === component.urn)).toBe(true);
    const secret = objects.find((r) => r.type === 'kubernetes:core/v1:Secret')!;
    expect(secret.secrets).toEqual(['.stringData']);
    expect(JSON.stringify(registrations.filter((r) => r !== secret).map((r) => r.inputs))).not.toContain('cache-password-from-config');
    const order = new Map(registrations.map((r, i) => [r.urn, i]));
    for (const r of registrations) for (const d of r.dependencies) expect(order.get(d)).toBeLessThan(order.get(r.urn)!);
    // The registered objects, read back as manifests: only the declared grants are open.
    const manifests = objects.filter((r) => r !== secret).map((r) => r.inputs);
    expect(analyzeObjects(validateManifests(manifests, 'pulumi').objects).filter((f) => f.severity === 'error')).toEqual([]);
    expect(await allowedEdges(validateManifests(manifests, 'pulumi').objects)).toEqual([
      'inventory/api -> inventory/stock:8080',
      'inventory/stock -> inventory/cache:6379',
    ]);
  }, 120_000);

  test('a configuration the constructs refuse stops the program before the mesh is registered', async () => {
    const { registrations, stderr } = await up({ ...CONFIG, 'inventory-mesh:issuer': 'http://login.example.com' });
    expect(stderr).toMatch(/JwtProtectedService "inventory\/api": issuers\[0\]\.issuer: "http:\/\/login\.example\.com" is not an https URL/);
    expect(registrations.map((r) => r.type)).toEqual(['pulumi:pulumi:Stack']);
  }, 120_000);
});

describe('the README', () => {
  test('its "Define your own mesh" example is the CommonJS app that the tests above run', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const block = /<!-- example: examples\/cdk8s-app\/main\.ts -->\n```ts\n([\s\S]*?)```/.exec(readme);
    expect(block).not.toBeNull();
    expect(block![1]).toBe(readFileSync(join(ROOT, 'examples', 'cdk8s-app', 'main.ts'), 'utf8'));
  });
});
