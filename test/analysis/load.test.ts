// Malformed input gives a finding or a clear error, never a crash.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { analyze, AnalysisInputError, analyzePaths, CHECKS, parseManifests } from '../../analysis/index.js';
import { analyzeYaml, BASE, codesOf, join } from './fixtures.js';

describe('reading YAML', () => {
  test('broken YAML is a ZT001 finding with its position; the file\'s other documents are still analyzed', () => {
    const findings = analyzeYaml(join(BASE, 'kind: Service\nmetadata: {name: x\n  bad: [\n'));
    const yaml = findings.filter((f) => f.code === 'ZT001');
    expect(yaml).toHaveLength(1);
    expect(yaml[0]).toMatchObject({ severity: 'error', kind: 'File', name: 'case.yaml', namespace: null, file: 'case.yaml' });
    expect(yaml[0]!.message).toMatch(/^Document 13 is not valid YAML \(line 7\d, column \d+\): [A-Z]/);
    expect(codesOf(findings)).toEqual(['ZT001']);
  });

  test('duplicate keys are a YAML error', () => {
    expect(codesOf(analyzeYaml('apiVersion: v1\nkind: Namespace\nkind: Namespace\nmetadata: {name: a}\n'))).toEqual(['ZT001']);
  });

  test('an alias bomb is refused, not expanded', () => {
    const bomb = 'a: &a ["x","x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n';
    expect(codesOf(analyzeYaml(bomb))).toEqual(['ZT001']);
  });

  test.each([
    ['a scalar document', 'just text\n', /the document is a string, not a map/],
    ['a list document', '- a\n- b\n', /the document is a list, not a map/],
    ['no apiVersion', 'kind: Service\nmetadata: {name: x}\n', /apiVersion is missing/],
    ['no kind', 'apiVersion: v1\nmetadata: {name: x}\n', /kind is missing/],
    ['no metadata', 'apiVersion: v1\nkind: Service\n', /metadata is missing/],
    ['no name', 'apiVersion: v1\nkind: Service\nmetadata: {namespace: a}\n', /metadata\.name is missing/],
    ['a numeric name', 'apiVersion: v1\nkind: Service\nmetadata: {name: 5}\n', /metadata\.name is missing or not a string/],
    ['labels that are not strings', 'apiVersion: v1\nkind: Namespace\nmetadata: {name: a, labels: {istio-injection: true}}\n', /metadata\.labels is not a map of strings/],
    ['a list of annotations', 'apiVersion: v1\nkind: Namespace\nmetadata: {name: a, annotations: [x]}\n', /metadata\.annotations is not a map of strings/],
  ])('%s is a ZT002 finding', (_, yaml, message) => {
    const findings = analyzeYaml(yaml);
    expect(codesOf(findings)).toEqual(['ZT002']);
    expect(findings[0]!.message).toMatch(message);
  });

  test('empty documents and files are not findings', () => {
    expect(analyzeYaml('')).toEqual([]);
    expect(analyzeYaml('---\n---\n# just a comment\n')).toEqual([]);
  });

  test('a List is read item by item', () => {
    const { objects } = parseManifests('apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Namespace, metadata: {name: a}}\n- {apiVersion: v1, kind: Namespace, metadata: {name: b}}\n', 'l.yaml');
    expect(objects.map((o) => o.manifest.metadata.name)).toEqual(['a', 'b']);
  });

  test('kinds the analyzer does not know are ignored, Istio ones reported as info', () => {
    expect(analyzeYaml(join(BASE, 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: shop}\nspec: 5\n'))).toEqual([]);
    const findings = analyzeYaml(join(BASE, 'apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: {name: f, namespace: shop}\nspec: {}\n'));
    expect(findings.map((f) => [f.code, f.severity, f.kind])).toEqual([['ZT004', 'info', 'EnvoyFilter']]);
  });

  test('in-memory input is validated the same way', () => {
    expect(codesOf(analyze([null, 7, { kind: 'Service' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ok', labels: { 'istio-injection': 'enabled' } } }]))).toEqual(['ZT002']);
    expect(analyze([null, 7, { kind: 'Service' }]).filter((f) => f.code === 'ZT002')).toHaveLength(3);
  });
});

describe('fields of unexpected types never crash a check', () => {
  const ODD: unknown[] = [null, 'x', 7, true, [], {}, [null], [{}], ['*'], { a: [1] }];
  const KINDS = ['AuthorizationPolicy', 'PeerAuthentication', 'RequestAuthentication', 'Gateway', 'VirtualService', 'DestinationRule', 'ServiceEntry', 'Sidecar', 'Service', 'Deployment', 'Namespace'];
  const FIELDS = ['spec', 'selector', 'rules', 'action', 'mtls', 'portLevelMtls', 'jwtRules', 'servers', 'hosts', 'gateways', 'http', 'host', 'subsets',
    'trafficPolicy', 'ports', 'template', 'workloadSelector', 'targetRefs', 'provider', 'egress'];
  const apiVersion = (kind: string) => ['Service', 'Namespace'].includes(kind) ? 'v1' : kind === 'Deployment' ? 'apps/v1'
    : ['Gateway', 'VirtualService', 'DestinationRule', 'ServiceEntry', 'Sidecar'].includes(kind) ? 'networking.istio.io/v1' : 'security.istio.io/v1';

  test.each(KINDS)('%s with odd values in every field the checks read', (kind) => {
    const manifests: unknown[] = [];
    ODD.forEach((odd, i) => {
      manifests.push({ apiVersion: apiVersion(kind), kind, metadata: { name: `s${i}`, namespace: 'shop' }, spec: odd });
      for (const field of FIELDS) {
        manifests.push({ apiVersion: apiVersion(kind), kind, metadata: { name: `${field.toLowerCase()}-${i}`, namespace: 'shop' }, spec: { rules: [{ from: odd, to: odd, when: odd }], servers: [{ port: odd, hosts: odd, tls: odd }], jwtRules: [odd], http: [{ route: odd, match: [odd] }], selector: { matchLabels: odd }, [field]: odd } });
      }
    });
    const { objects } = parseManifests(BASE, 'base.yaml');
    const findings = analyze([...objects.map((o) => o.manifest), ...manifests]);
    expect(findings.filter((f) => f.code === 'ZT009')).toEqual([]);
    expect(CHECKS.length).toBeGreaterThan(0);
  });
});

describe('reading files and directories', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(joinPath(tmpdir(), 'zt-analyze-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('reads .yaml and .yml files recursively in sorted order, skipping other files and dot-directories', () => {
    mkdirSync(joinPath(dir, 'b', 'deep'), { recursive: true });
    mkdirSync(joinPath(dir, '.git'));
    writeFileSync(joinPath(dir, 'b', 'deep', 'x.yml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: shop}\n');
    writeFileSync(joinPath(dir, 'a.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: shop}\n');
    writeFileSync(joinPath(dir, 'notes.txt'), 'kind: [');
    writeFileSync(joinPath(dir, '.git', 'bad.yaml'), 'kind: [');
    const findings = analyzePaths([dir]);
    expect(findings.map((f) => [f.code, f.file])).toEqual([['ZT003', joinPath(dir, 'b', 'deep', 'x.yml')]]);
    expect(findings[0]!.message).toContain(`also in ${joinPath(dir, 'a.yaml')}`);
  });

  test('a missing path is a clear AnalysisInputError', () => {
    expect(() => analyzePaths([joinPath(dir, 'nope.yaml')])).toThrow(new AnalysisInputError(`${joinPath(dir, 'nope.yaml')}: no such file or directory.`));
  });

  test('a directory without YAML files is a clear error', () => {
    expect(() => analyzePaths([dir])).toThrow(/holds no \.yaml or \.yml files/);
  });
});
