import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiObject } from 'cdk8s';
import { ZeroTrustConfigError, MtlsMode } from 'zero-trust-mesh';
import { ENVIRONMENTS, EnvironmentConfig } from '../../infra/environment.js';
import { MeshAnalysisError, MeshApp } from 'zero-trust-mesh';
import { defineReferenceMesh } from '../../infra/reference-mesh.js';
import { synthToDirectory } from './reference.js';
import { schemaErrors } from '../helpers/schema.js';

const ALL = Object.values(ENVIRONMENTS);

/** Every file under dir, relative path → content. */
function readTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name);
      out[path.slice(dir.length + 1)] = readFileSync(path, 'utf8');
    }
  }
  return out;
}

describe('synth to a directory', () => {
  let out: string;
  beforeEach(() => { out = mkdtempSync(join(tmpdir(), 'zt-synth-')); });
  afterEach(() => rmSync(out, { recursive: true, force: true }));

  test('writes a kustomization per environment: security/ then workloads/, one file per namespace plus mesh.yaml', () => {
    synthToDirectory(ALL, out);
    expect(readdirSync(out).sort()).toEqual(['dev', 'prod', 'staging']);
    expect(readdirSync(join(out, 'dev')).sort()).toEqual(['.zero-trust-mesh', 'kustomization.yaml', 'security', 'workloads']);
    expect(readdirSync(join(out, 'dev', 'security')).sort()).toEqual(['jwt.yaml', 'kustomization.yaml', 'mesh.yaml', 'mtls-disable.yaml', 'mtls-permissive.yaml', 'mtls-strict.yaml', 'products.yaml', 'sleep.yaml']);
    expect(readdirSync(join(out, 'prod', 'security')).sort()).toEqual(['kustomization.yaml', 'mesh.yaml', 'products.yaml']);
    expect(readdirSync(join(out, 'prod', 'workloads')).sort()).toEqual(['kustomization.yaml', 'mesh.yaml', 'products.yaml']);
  });

  test('running synth twice gives byte-identical files', () => {
    synthToDirectory(ALL, out);
    const first = readTree(out);
    synthToDirectory(ALL, out);
    expect(readTree(out)).toEqual(first);
    const other = mkdtempSync(join(tmpdir(), 'zt-synth-'));
    try {
      synthToDirectory(ALL, other);
      expect(readTree(other)).toEqual(first);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  test('no Secret object and no secret-looking literal reaches dist/', () => {
    synthToDirectory(ALL, out);
    for (const [file, yaml] of Object.entries(readTree(out))) {
      // A Secret object (top level); a Gateway's certificateRefs name one by `kind: Secret` too.
      expect([file, yaml]).not.toEqual([file, expect.stringMatching(/^kind: Secret\b/m)]);
      expect([file, yaml]).not.toEqual([file, expect.stringMatching(/^\s*(stringData|data):/m)]);
      expect([file, yaml]).not.toEqual([file, expect.stringMatching(/BEGIN [A-Z ]*PRIVATE KEY|"d":/)]);
    }
  });

  test('a stale file from an earlier synth is removed when the environment is replaced', () => {
    synthToDirectory([ENVIRONMENTS.dev!], out);
    writeFileSync(join(out, 'dev', 'security', 'retired-namespace.yaml'), 'old');
    synthToDirectory([ENVIRONMENTS.dev!], out);
    expect(readdirSync(join(out, 'dev', 'security'))).not.toContain('retired-namespace.yaml');
  });

  test('a bad environment writes nothing: earlier output stays byte-identical and no temporary files remain', () => {
    synthToDirectory(ALL, out);
    const before = readTree(out);
    const weakProd: EnvironmentConfig = { ...ENVIRONMENTS.prod!, mtls: MtlsMode.PERMISSIVE };
    expect(() => synthToDirectory([ENVIRONMENTS.dev!, weakProd], out)).toThrow(ZeroTrustConfigError);
    expect(readTree(out)).toEqual(before);
    expect(readdirSync(out).sort()).toEqual(['dev', 'prod', 'staging']);
  });

  test('into a GitOps checkout: unrelated files and directories stay byte-identical', () => {
    mkdirSync(join(out, '.git'));
    writeFileSync(join(out, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(join(out, 'README.md'), '# platform GitOps\n');
    mkdirSync(join(out, 'apps', 'billing'), { recursive: true });
    writeFileSync(join(out, 'apps', 'billing', 'deployment.yaml'), 'kind: Deployment # not ours\n');
    const before = readTree(out);
    synthToDirectory(ALL, out);
    synthToDirectory(ALL, out);
    const after = readTree(out);
    for (const [file, content] of Object.entries(before)) expect([file, after[file]]).toEqual([file, content]);
    expect(readdirSync(out).sort()).toEqual(['.git', 'README.md', 'apps', 'dev', 'prod', 'staging']);
  });

  test('a directory of the same name that zero-trust-mesh did not write is refused, and nothing is written', () => {
    mkdirSync(join(out, 'prod'));
    writeFileSync(join(out, 'prod', 'hand-made.yaml'), 'kind: ConfigMap\n');
    expect(() => synthToDirectory(ALL, out)).toThrow(/prod exists without the \.zero-trust-mesh marker and holds .*hand-made\.yaml.*Move or remove/);
    expect(readdirSync(out)).toEqual(['prod']);
    expect(readdirSync(join(out, 'prod'))).toEqual(['hand-made.yaml']);
  });

  test('output of an earlier version (generated files, no marker) is still replaced', () => {
    mkdirSync(join(out, 'prod'));
    writeFileSync(join(out, 'prod', 'products.yaml'), '# Generated by zero-trust-mesh from the mesh of environment "prod". Do not edit:\n---\n');
    synthToDirectory([ENVIRONMENTS.prod!], out);
    expect(readdirSync(join(out, 'prod')).sort()).toEqual(['.zero-trust-mesh', 'kustomization.yaml', 'security', 'workloads']);
  });

  test('a bad environment on a clean checkout creates nothing', () => {
    const fresh = join(out, 'dist');
    const demoInProd: EnvironmentConfig = { ...ENVIRONMENTS.prod!, issuer: { provider: 'istio-demo' } };
    expect(() => synthToDirectory([ENVIRONMENTS.dev!, demoInProd], fresh)).toThrow(/demo issuer/);
    expect(readdirSync(out)).toEqual([]);
  });
});

describe('every insecure or invalid environment config is refused before anything is written', () => {
  const prod = ENVIRONMENTS.prod!;
  const staging = ENVIRONMENTS.staging!;
  const cases: [string, EnvironmentConfig, RegExp][] = [
    ['prod weaker than STRICT', { ...prod, mtls: MtlsMode.PERMISSIVE }, /Mesh "prod": mtls: .*acknowledgements\.nonStrictMtls/],
    ['an http JWKS outside dev', { ...staging, issuer: { provider: 'oidc', issuer: 'https://idp.example.com', jwksUri: 'http://idp.example.com/keys', audiences: ['x'] } }, /jwksUri: .*not an https URL.*acknowledgements\.insecureIssuer/],
    ['an http issuer outside dev', { ...prod, issuer: { provider: 'oidc', issuer: 'http://idp.example.com', jwksUri: 'https://idp.example.com/keys', audiences: ['x'] } }, /issuer: .*acknowledgements\.insecureIssuer/],
    ['the demo issuer outside dev', { ...staging, issuer: { provider: 'istio-demo' } }, /demo issuer.*acknowledgements\.demoIssuer/],
    ['a workload open to anyone in prod (demos in prod)', { ...prod, demos: { enabled: true, requiredGroup: 'g' }, acknowledgements: { nonStrictMtls: 'mtls demos' } }, /allowFrom\(Callers\.anyone\(\)\).*acknowledgements\.openToAnyone/],
    ['a plaintext ingress outside dev', { ...prod, ingress: { ...prod.ingress, tlsCredentialName: undefined } }, /tlsCredentialName: .*acknowledgements\.plaintextIngress/],
    ['a wildcard ingress host', { ...prod, ingress: { ...prod.ingress, host: '*.example.com' } }, /host: "\*\.example\.com" is a wildcard host/],
    ['an unknown identity provider', { ...prod, issuer: { provider: 'keycloak' } as never }, /"keycloak" is not a known identity provider/],
    ['an IdP domain given as a URL', { ...prod, issuer: { provider: 'okta', domain: 'https://corp.okta.com/', audiences: ['a'] } }, /give the domain alone.*"corp\.okta\.com"/],
    ['an invalid trust domain', { ...prod, trustDomain: 'Cluster_Local' }, /trustDomain: "Cluster_Local" is not a valid DNS-1123 subdomain/],
    ['an acknowledgement without a reason', { ...prod, acknowledgements: { nonStrictMtls: ' ' } }, /an acknowledgement needs a reason/],
  ];

  test.each(cases)('%s', (_, config, message) => {
    const out = mkdtempSync(join(tmpdir(), 'zt-refuse-'));
    try {
      synthToDirectory(ALL, out);
      const before = readTree(out);
      expect(() => synthToDirectory([ENVIRONMENTS.dev!, config], out)).toThrow(message);
      expect(() => synthToDirectory([config], out)).toThrow(ZeroTrustConfigError);
      expect(readTree(out)).toEqual(before);
      expect(readdirSync(out).sort()).toEqual(['dev', 'prod', 'staging']);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  test('the same exceptions pass once acknowledged, and the reason is written where it applies', () => {
    const acknowledged: EnvironmentConfig = {
      ...prod, mtls: MtlsMode.PERMISSIVE, acknowledgements: { nonStrictMtls: 'migrating legacy clients, OPS-42' },
    };
    const out = mkdtempSync(join(tmpdir(), 'zt-ack-'));
    try {
      const files = synthToDirectory([acknowledged], out).get('prod')!;
      expect(files.get('security/mesh.yaml')).toContain('zero-trust-mesh.io/acknowledged-non-strict-mtls: migrating legacy clients, OPS-42');
      expect(files.get('security/products.yaml')).toContain('zero-trust-mesh.io/acknowledged-non-strict-mtls: migrating legacy clients, OPS-42');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('synth runs the policy analyzer on every environment before writing', () => {
  test('reports each environment\'s findings; the reference mesh has no errors', () => {
    const out = mkdtempSync(join(tmpdir(), 'zt-analyzed-'));
    try {
      const app = new MeshApp({ outdir: out });
      for (const env of ALL) defineReferenceMesh(app, env);
      const seen: Record<string, string[]> = Object.fromEntries(app.synthesizeMeshes()
        .map((s) => [s.environment, s.findings.map((f) => `${f.severity} ${f.code}`)]));
      expect(Object.keys(seen)).toEqual(['dev', 'staging', 'prod']);
      for (const findings of Object.values(seen)) expect(findings.filter((f) => f.startsWith('error'))).toEqual([]);
      // prod's ingress is a Gateway API Gateway, which Istio deploys itself (ZT401 is for an Istio
      // Gateway whose selected pods are not in the manifests); its egress Gateway selects Helm's.
      expect(seen.prod).toEqual(['info ZT401']);
      expect(seen.staging).toEqual(['info ZT401']);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  test('an object added beside the constructs, which none of them checked, fails the gate: nothing written', () => {
    const out = mkdtempSync(join(tmpdir(), 'zt-analyzer-refuses-'));
    try {
      synthToDirectory(ALL, out);
      const before = readTree(out);
      const app = new MeshApp({ outdir: out });
      defineReferenceMesh(app, ENVIRONMENTS.prod!);
      const staging = defineReferenceMesh(app, ENVIRONMENTS.staging!);
      // A hand-written policy in the mesh's chart: cdk8s renders it, only the analyzer sees it.
      new ApiObject(staging, 'legacy-plaintext', {
        apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication',
        metadata: { name: 'legacy', namespace: 'products' },
        spec: { selector: { matchLabels: { app: 'service-b' } }, mtls: { mode: 'PERMISSIVE' } },
      });
      let error: unknown;
      try { app.write(); } catch (e) { error = e; }
      expect(error).toBeInstanceOf(MeshAnalysisError);
      expect((error as Error).message).toMatch(/Mesh "staging": the zero-trust-mesh policy analyzer found 1 error in the objects it would write/);
      expect([...(error as MeshAnalysisError).failures.keys()]).toEqual(['staging']);
      expect(readTree(out)).toEqual(before);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  test.each<[string, EnvironmentConfig, string]>([
    ['dev without its acknowledgements', { ...ENVIRONMENTS.dev!, acknowledgements: {} }, 'dev'],
    ['staging PERMISSIVE without acknowledgement', { ...ENVIRONMENTS.staging!, mtls: MtlsMode.PERMISSIVE }, 'staging'],
  ])('%s: what the stage permits is recorded as permitted, and the analyzer reports it as an acknowledged warning', (_, config, stage) => {
    const out = mkdtempSync(join(tmpdir(), 'zt-stage-permits-'));
    try {
      const app = new MeshApp({ outdir: out });
      defineReferenceMesh(app, config);
      const [synthesis] = app.synthesizeMeshes();
      expect(synthesis!.findings.filter((f) => f.severity === 'error')).toEqual([]);
      const permitted = synthesis!.findings.filter((f) => f.message.includes(`Acknowledged: "permitted by stage ${stage}`));
      expect(permitted.length).toBeGreaterThan(0);
      expect(permitted.every((f) => f.severity === 'warning')).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('the schema check itself', () => {
  test('rejects objects the API server would refuse, and kinds it has no schema for', () => {
    expect(schemaErrors({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'x', namespace: 'y' }, spec: { action: 'NOPE' } })).not.toEqual([]);
    expect(schemaErrors({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { replicas: 'three' } })).not.toEqual([]);
    expect(schemaErrors({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } })).toEqual(['no schema registered for v1 Secret']);
  });
});
