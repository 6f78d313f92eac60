// `zt-mesh analyze`, run as a user runs it (a child process).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENVIRONMENTS } from '../../infra/environment.js';
import { ztMesh } from '../helpers/cli.js';
import { synthToDirectory } from '../infra/reference.js';

const run = (...args: string[]) => ztMesh(['analyze', ...args]);

const BAD_POLICY = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  rules:
  - from: [{source: {principals: ["spiffe://cluster.local/ns/shop/sa/web"]}}]
    to: [{operation: {methods: ["get"]}}]
`;

describe('zt-mesh analyze', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'zt-cli-analyze-'));
    synthToDirectory([ENVIRONMENTS.prod!], join(dir, 'dist'));
    writeFileSync(join(dir, 'bad.yaml'), BAD_POLICY);
    writeFileSync(join(dir, 'broken.yaml'), 'apiVersion: v1\nkind: [\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('exits 0 on the synthesized prod mesh (info only) and prints a summary', () => {
    const result = run(join(dir, 'dist', 'prod'));
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    // The egress Gateway selects pods Helm installs; the ingress is a Gateway API Gateway, whose
    // gateway Istio deploys itself, so it has no such finding.
    expect(result.stdout).toMatch(/info ZT401 Gateway istio-system\/egress-api-payments-example-443/);
    expect(result.stdout).not.toMatch(/ZT401 Gateway products\/products/);
    expect(result.stdout.trimEnd().split('\n').pop()).toBe('0 errors, 0 warnings, 1 info');
  });

  test('exits 1 on errors; --format json is an array of findings with the documented fields', () => {
    const result = run(join(dir, 'bad.yaml'), '--format', 'json');
    expect(result.status).toBe(1);
    const findings = JSON.parse(result.stdout) as Record<string, unknown>[];
    expect(findings.map((f) => f.code)).toEqual(['ZT104', 'ZT105']);
    for (const f of findings) expect(Object.keys(f)).toEqual(['code', 'severity', 'kind', 'namespace', 'name', 'message', 'fix']);
    expect(findings[0]).toMatchObject({ severity: 'error', kind: 'AuthorizationPolicy', namespace: 'shop', name: 'api' });
  });

  test('--format markdown prints a table; several paths are analyzed together', () => {
    const result = run('--format', 'markdown', join(dir, 'bad.yaml'), join(dir, 'dist', 'prod'));
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/^### zt-mesh analyze\n\n2 errors, 0 warnings, 1 info\.\n\n\| severity \| code \| object \| finding \| fix \|/);
  });

  test('--outbound-traffic-policy states meshConfig\'s mode: one ZT755 (ALLOW_ANY) or ZT756 (REGISTRY_ONLY) per namespace; other values are refused', () => {
    // A namespace without Sidecar or NetworkPolicy of its own: meshConfig's mode decides.
    const plain = join(dir, 'plain.yaml');
    writeFileSync(plain, 'apiVersion: v1\nkind: Namespace\nmetadata: {name: legacy, labels: {istio-injection: enabled}}\n---\n'
      + 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: legacy}\nspec: {selector: {matchLabels: {app: api}}, template: {metadata: {labels: {app: api}}, spec: {containers: [{name: api, image: "example/api:1"}]}}}\n');
    const allowAny = run(plain, '--outbound-traffic-policy', 'ALLOW_ANY');
    // (other findings, such as no PeerAuthentication, make the status 1: only the egress codes matter here)
    expect(allowAny.stdout).toMatch(/warning ZT755 Namespace legacy\n/);
    const registryOnly = run(plain, '--outbound-traffic-policy', 'REGISTRY_ONLY');
    expect(registryOnly.stdout).toMatch(/warning ZT756 Namespace legacy\n/);
    expect(registryOnly.stdout).not.toMatch(/ZT755/);
    // The synthesized mesh states its mode on every namespace's Sidecar and limits egress with
    // NetworkPolicies: meshConfig's mode changes nothing there.
    for (const mode of ['ALLOW_ANY', 'REGISTRY_ONLY']) expect(run(join(dir, 'dist', 'prod'), '--outbound-traffic-policy', mode).stdout).not.toMatch(/ZT75[56]/);
    const bogus = run(join(dir, 'dist', 'prod'), '--outbound-traffic-policy', 'DENY');
    expect(bogus.status).toBe(2);
    expect(bogus.stderr).toMatch(/--outbound-traffic-policy "DENY" is not one of ALLOW_ANY, REGISTRY_ONLY/);
  });

  test('broken YAML is a finding, not a stack trace', () => {
    const result = run(join(dir, 'broken.yaml'));
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/error ZT001 File .*broken\.yaml\n {2}Document 1 is not valid YAML \(line \d+, column \d+\)/);
    expect(result.stderr).toBe('');
  });

  test.each([
    [['missing.yaml'], /analyze: missing\.yaml: no such file or directory\./],
    [['--format', 'xml', 'x.yaml'], /--format "xml" is not one of text, json, markdown/],
    [[], /name at least one manifest file or directory/],
    [['--colour', 'x.yaml'], /Unknown option '--colour'/],
  ])('unusable input %j exits 2 with one clear line, no stack', (args, message) => {
    const result = ztMesh(['analyze', ...args], { cwd: dir });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
