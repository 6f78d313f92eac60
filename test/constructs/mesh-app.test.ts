import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiObject, App, Chart, Testing } from 'cdk8s';
import { ArgoCdCluster, GitOpsDelivery, Mesh, MeshAnalysisError, MeshApp, MeshWorkload, ServicePort, ZeroTrustConfigError, ZeroTrustNamespace } from '../../constructs/index.js';
import { REPORT_VARIABLE, type SynthReport } from '../../manifests/synth-report.js';

/** A mesh of its own: web → api; `broken` adds a hand-written policy the analyzer refuses. */
function shop(scope: App, id: string, options: { broken?: boolean } = {}): Mesh {
  const mesh = new Mesh(scope, id, { stage: 'prod' });
  const ns = new ZeroTrustNamespace(mesh, 'shop');
  const web = new MeshWorkload(ns, 'web', { image: 'ghcr.io/acme/web:1.0.0', ports: [ServicePort.http(8080)] });
  new MeshWorkload(ns, 'api', { image: 'ghcr.io/acme/api:1.0.0', ports: [ServicePort.http(8080)] }).allowFrom(web);
  if (options.broken) {
    new ApiObject(mesh, 'legacy', {
      apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'legacy', namespace: 'shop' },
      spec: { selector: { matchLabels: { app: 'api' } }, rules: [{ from: [{ source: { principals: ['spiffe://cluster.local/ns/shop/sa/web'] } }] }] },
    });
  }
  return mesh;
}

describe('MeshApp', () => {
  let out: string;
  beforeEach(() => { out = mkdtempSync(join(tmpdir(), 'zt-mesh-app-')); });
  afterEach(() => rmSync(out, { recursive: true, force: true }));

  test('writes one kustomize directory per mesh, one file per namespace and phase, and says what it wrote', () => {
    const app = new MeshApp({ outdir: out });
    shop(app, 'staging');
    shop(app, 'prod');
    const written = app.write();
    const layout = ['kustomization.yaml', 'security/kustomization.yaml', 'security/mesh.yaml', 'security/shop.yaml', 'workloads/kustomization.yaml', 'workloads/mesh.yaml', 'workloads/shop.yaml'];
    expect(written.map((w) => [w.environment, w.directory, [...w.files.keys()], w.findings.error])).toEqual([
      ['staging', join(out, 'staging'), layout, 0],
      ['prod', join(out, 'prod'), layout, 0],
    ]);
    expect(readdirSync(out).sort()).toEqual(['prod', 'staging']);
    expect(readFileSync(join(out, 'prod', 'security', 'shop.yaml'), 'utf8')).toBe(written[1]!.files.get('security/shop.yaml'));
    expect(readFileSync(join(out, 'prod', '.zero-trust-mesh'), 'utf8')).toMatch(/replaced as a\nwhole on every synth/);
  });

  describe('with a GitOpsDelivery', () => {
    const delivery = (app: App, names: string[], id = 'delivery') => new GitOpsDelivery(app, id, {
      repository: { url: 'https://git.example.com/platform/mesh.git' }, directory: 'clusters',
      environments: names.map((name) => ({ name, argoCdCluster: ArgoCdCluster.named(name), fluxKubeConfig: { secretName: `${name}-kubeconfig` } })),
      argoCd: {}, flux: {},
    });

    test('writes the delivery beside the environments, with a kustomization to bootstrap it', () => {
      const app = new MeshApp({ outdir: out });
      shop(app, 'staging');
      shop(app, 'prod');
      delivery(app, ['staging', 'prod']);
      app.write();
      expect(readdirSync(out).sort()).toEqual(['delivery', 'prod', 'staging']);
      expect(readdirSync(join(out, 'delivery')).sort()).toEqual(['.zero-trust-mesh', 'argocd.yaml', 'flux-system.yaml', 'kustomization.yaml']);
      expect(app.writtenDelivery?.objects).toBe(2 + 1 + 2 * 2);
      const argo = readFileSync(join(out, 'delivery', 'argocd.yaml'), 'utf8');
      expect(argo).toMatch(/path: clusters\/prod\n/);
      expect(readFileSync(join(out, 'delivery', 'kustomization.yaml'), 'utf8')).toMatch(/resources:\n {2}- argocd\.yaml\n {2}- flux-system\.yaml\n/);
    });

    test('an environment no Mesh writes is refused, and nothing is written', () => {
      const app = new MeshApp({ outdir: join(out, 'dist') });
      shop(app, 'prod');
      delivery(app, ['prod', 'qa']);
      expect(() => app.write()).toThrow(/GitOpsDelivery "delivery": environments: names "qa", which no Mesh of the app writes/);
      expect(existsSync(join(out, 'dist'))).toBe(false);
    });

    test('two deliveries are refused', () => {
      const app = new MeshApp({ outdir: join(out, 'dist') });
      shop(app, 'prod');
      delivery(app, ['prod']);
      delivery(app, ['prod'], 'again');
      expect(() => app.write()).toThrow(/has 2 GitOpsDelivery charts \(delivery, again\)/);
    });
  });

  test('writes only the selected environments (props, else $ZT_MESH_ENVIRONMENTS)', () => {
    const app = new MeshApp({ outdir: out, environments: ['prod'] });
    shop(app, 'staging');
    shop(app, 'prod');
    app.synth();
    expect(readdirSync(out)).toEqual(['prod']);
    process.env.ZT_MESH_ENVIRONMENTS = ' staging ,';
    try {
      const fromEnv = new MeshApp({ outdir: join(out, 'env') });
      shop(fromEnv, 'staging');
      shop(fromEnv, 'prod');
      expect(fromEnv.write().map((w) => w.environment)).toEqual(['staging']);
    } finally {
      delete process.env.ZT_MESH_ENVIRONMENTS;
    }
  });

  test('an analyzer error in any selected mesh throws with every failing mesh\'s findings and writes nothing', () => {
    const app = new MeshApp({ outdir: join(out, 'dist') });
    shop(app, 'staging', { broken: true });
    shop(app, 'prod');
    let error: unknown;
    try { app.synth(); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(MeshAnalysisError);
    expect([...(error as MeshAnalysisError).failures.keys()]).toEqual(['staging']);
    expect((error as Error).message).toMatch(/^Mesh "staging": the zero-trust-mesh policy analyzer found 1 error in the objects it would write:\n\nerror ZT\d+ AuthorizationPolicy shop\/legacy/);
    expect(existsSync(join(out, 'dist'))).toBe(false);
  });

  test.each<[string, (app: MeshApp) => void, RegExp]>([
    ['no mesh at all', () => undefined, /MeshApp: meshes: has no Mesh, so there is nothing to synthesize\. Fix: create one per environment/],
    ['two meshes with one environment name', (app) => { shop(app, 'prod'); new Mesh(app, 'prod-2', { environment: 'prod' }); },
      /MeshApp: meshes: two meshes have the environment name "prod"; each writes prod\/\. Fix: give each Mesh its own environment name/],
    ['a chart that is not a Mesh', (app) => { shop(app, 'prod'); new Chart(app, 'extras'); },
      /MeshApp: charts\["extras"\]: is a cdk8s Chart that is not a Mesh.*Fix: create its objects inside the Mesh of their environment/],
    ['an unknown environment selected', (app) => { shop(app, 'prod'); (app as unknown as { selected: string[] }).selected = ['qa']; },
      /MeshApp: environments: no Mesh has the environment name "qa"\. Fix: select among prod/],
  ])('refuses %s before writing', (_, define, message) => {
    const app = new MeshApp({ outdir: join(out, 'dist') });
    define(app);
    expect(() => app.synth()).toThrow(ZeroTrustConfigError);
    expect(() => app.synth()).toThrow(message);
    expect(existsSync(join(out, 'dist'))).toBe(false);
  });

  test('under zt-mesh synth it reports what it wrote, or why it refused, to the file the CLI names', () => {
    const report = join(out, 'report.json');
    process.env[REPORT_VARIABLE] = report;
    try {
      const app = new MeshApp({ outdir: join(out, 'dist') });
      shop(app, 'prod');
      app.synth();
      expect(JSON.parse(readFileSync(report, 'utf8'))).toEqual({
        environments: [{ environment: 'prod', directory: join(out, 'dist', 'prod'), files: 7, objects: 16, findings: { error: 0, warning: 0, info: 0 } }],
      } satisfies SynthReport);
      const refused = new MeshApp({ outdir: join(out, 'dist2') });
      shop(refused, 'prod', { broken: true });
      expect(() => refused.synth()).toThrow(MeshAnalysisError);
      const { error } = JSON.parse(readFileSync(report, 'utf8')) as SynthReport;
      expect(error?.kind).toBe('analysis');
      expect(Object.keys(error!.failures!)).toEqual(['prod']);
    } finally {
      delete process.env[REPORT_VARIABLE];
    }
  });

  test('an empty $CDK8S_OUTDIR counts as unset', () => {
    process.env.CDK8S_OUTDIR = '';
    try {
      expect(new MeshApp().outdir).toBe('dist');
    } finally {
      delete process.env.CDK8S_OUTDIR;
    }
  });
});

describe('the analyzer gate under cdk8s\'s own App', () => {
  test('App.synth() refuses a mesh with analyzer errors before it writes any file', () => {
    const out = mkdtempSync(join(tmpdir(), 'zt-plain-app-'));
    try {
      const app = new App({ outdir: out });
      shop(app, 'ok');
      shop(app, 'prod', { broken: true });
      expect(() => app.synth()).toThrow(/Validation failed[\s\S]*Mesh "prod": the zero-trust-mesh policy analyzer found 1 error/);
      expect(readdirSync(out)).toEqual([]);
      const clean = new App({ outdir: out });
      shop(clean, 'prod');
      clean.synth();
      expect(readdirSync(out)).toEqual(['prod.k8s.yaml']);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  test('Testing.synth returns the objects as they are (the gate belongs to synth); mesh.synthesize() runs it', () => {
    const mesh = shop(Testing.app(), 'prod', { broken: true });
    expect(Testing.synth(mesh).some((o: { metadata: { name: string } }) => o.metadata.name === 'legacy')).toBe(true);
    expect(() => mesh.synthesize()).toThrow(MeshAnalysisError);
  });

  test('mesh.synthesize() returns the objects and the findings', () => {
    const synthesis = shop(Testing.app(), 'prod').synthesize();
    expect(synthesis).toMatchObject({ environment: 'prod', rootNamespace: 'istio-system', trustDomain: 'cluster.local', findings: [] });
    expect(synthesis.manifests.map((m) => `${m.kind}/${m.metadata.name}`)).toContain('AuthorizationPolicy/api');
  });
});
