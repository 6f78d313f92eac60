// Output formats, ordering and acknowledgements.
import { formatFindings, formatJson, formatMarkdown, formatText, type Finding } from '../../analysis/index.js';
import { analyzeYaml, BASE, istio, join } from './fixtures.js';

const PERMISSIVE_MESH = BASE.replace('{mtls: {mode: STRICT}} # mesh', '{mtls: {mode: PERMISSIVE}} # mesh');
const ACKED_MESH = PERMISSIVE_MESH.replace('name: default, namespace: istio-system}',
  'name: default, namespace: istio-system, annotations: {zero-trust-mesh.io/acknowledged-non-strict-mtls: "migrating clients, OPS-1"}}');
const MIXED = join(PERMISSIVE_MESH,
  istio('AuthorizationPolicy', 'shop', 'x', '{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: ["cluster.local/ns/shop/sa/web"]}}], to: [{operation: {notPaths: ["/a|b"]}}]}]}'),
  istio('AuthorizationPolicy', 'shop', 'dry', '{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: ["cluster.local/ns/shop/sa/web"]}}]}]}', 'istio.io/dry-run: "true"'));

describe('acknowledgements', () => {
  test('an unacknowledged risk is an error', () => {
    expect(analyzeYaml(PERMISSIVE_MESH).map((f) => [f.code, f.severity])).toEqual([['ZT201', 'error']]);
  });

  test('the annotation on the object turns it into a warning that carries the reason', () => {
    const [f, ...rest] = analyzeYaml(ACKED_MESH);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ code: 'ZT201', severity: 'warning', kind: 'PeerAuthentication', namespace: 'istio-system', name: 'default' });
    expect(f!.message).toMatch(/ Acknowledged: "migrating clients, OPS-1"\.$/);
  });

  test('an empty reason acknowledges nothing', () => {
    expect(analyzeYaml(ACKED_MESH.replace('"migrating clients, OPS-1"', '"  "')).map((f) => f.severity)).toEqual(['error']);
  });

  test('another exception\'s annotation does not acknowledge this one', () => {
    expect(analyzeYaml(ACKED_MESH.replace('acknowledged-non-strict-mtls', 'acknowledged-open-to-anyone')).map((f) => f.severity)).toEqual(['error']);
  });
});

describe('formats', () => {
  const findings = analyzeYaml(MIXED);

  test('findings come worst first, then by code and object, the same on every run', () => {
    expect(findings.map((f) => `${f.severity} ${f.code}`)).toEqual(['error ZT201', 'warning ZT112', 'warning ZT117']);
    expect(analyzeYaml(MIXED)).toEqual(findings);
  });

  test('json is an array of findings with exactly the documented fields', () => {
    const parsed = JSON.parse(formatJson(findings)) as Record<string, unknown>[];
    expect(parsed).toHaveLength(3);
    for (const f of parsed) expect(Object.keys(f)).toEqual(['code', 'severity', 'kind', 'namespace', 'name', 'message', 'fix']);
    expect(parsed[0]).toMatchObject({ code: 'ZT201', severity: 'error', kind: 'PeerAuthentication', namespace: 'istio-system', name: 'default' });
    expect(JSON.parse(formatJson([]))).toEqual([]);
  });

  test('text names file, severity, code and object, then the message and fix, and ends with a summary', () => {
    const text = formatText(findings);
    expect(text).toMatch(/^case\.yaml: error ZT201 PeerAuthentication istio-system\/default\n {2}PeerAuthentication .*\n {2}Fix: set mtls\.mode STRICT/);
    expect(text.trimEnd().split('\n').pop()).toBe('1 error, 2 warnings, 0 info');
    expect(formatText([])).toBe('No findings.\n');
  });

  test('markdown is a table with escaped cells', () => {
    const md = formatMarkdown(findings);
    expect(md).toMatch(/^### zt-mesh analyze\n\n1 error, 2 warnings, 0 info\.\n\n\| severity \| code \| object \| finding \| fix \|\n\|---\|---\|---\|---\|---\|\n\| error \| ZT201 \|/);
    expect(md.split('\n').filter((l) => l.startsWith('| warning'))).toHaveLength(2);
    const piped: Finding = { code: 'ZT999', severity: 'info', kind: 'K', namespace: null, name: 'n', message: 'a | b\nc', fix: 'x' };
    expect(formatMarkdown([piped])).toContain('| info | ZT999 | K n | a \\| b c | x |');
    expect(formatMarkdown([])).toBe('### zt-mesh analyze\n\nNo findings.\n');
  });

  test('formatFindings dispatches on the format', () => {
    const one: Finding[] = findings.slice(0, 1);
    expect(formatFindings(one, 'json')).toBe(formatJson(one));
    expect(formatFindings(one, 'markdown')).toBe(formatMarkdown(one));
    expect(formatFindings(one, 'text')).toBe(formatText(one));
  });
});
