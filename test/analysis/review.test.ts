import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  addsErrors, AnalysisInputError, diffFindings, diffObjects, type Finding, findingIdentity, formatReview, loadEnvironment, loadTree,
  parseRuleRecords, REVIEW_MARKER, reviewEnvironment, reviewTrees, type SourcedManifest,
} from '../../analysis/index.js';
import type { Manifest } from '../../manifests/index.js';
import { BASE_SHOP, HEAD_SHOP, shopManifests, writeTree } from '../helpers/review-trees.js';

const sourced = (manifests: readonly Manifest[]): SourcedManifest[] => manifests.map((manifest) => ({ manifest }));
const edge = (c: { from: string; to: string; port: number }) => `${c.from} -> ${c.to}:${c.port}`;

// Built once: the constructs and the matrix are the slow part, and every test only reads them.
const base = shopManifests(BASE_SHOP);
const head = shopManifests(HEAD_SHOP);

describe('reviewEnvironment on a pull request that swaps a grant and adds a plaintext exception', () => {
  let review: Awaited<ReturnType<typeof reviewEnvironment>>;
  beforeAll(async () => {
    review = await reviewEnvironment('prod', { objects: sourced(base), findings: [] }, { objects: sourced(head), findings: [] });
  });

  test('the gained edge carries the grant its policy records, reason included', () => {
    expect(review.access.gained.map(edge)).toEqual(['shop/reporter -> shop/api:8000']);
    expect(review.access.gained[0]!.allowedBy).toEqual([
      { namespace: 'shop', policy: 'api', index: 1, record: 'from workload shop/reporter: GET /reports (builds the nightly report)' },
    ]);
  });

  test('the lost edge carries the grant that allowed it in base, and why head refuses it', () => {
    expect(review.access.lost.map(edge)).toEqual(['shop/worker -> shop/api:8000']);
    const lost = review.access.lost[0]!;
    expect(lost.allowedBy.map((r) => r.record)).toEqual(['from workload shop/worker: POST (files orders)']);
    expect(lost.after).toBe('dropped'); // the grant's NetworkPolicy side went with it
    expect(lost.reason).toMatch(/dropped by NetworkPolicy shop\/default-deny: egress of shop\/worker/);
  });

  test('the new error is introduced, nothing resolved; the objects changed are the policies (both layers) and the exception', () => {
    expect(review.findings.introduced.filter((f) => f.severity === 'error').map((f) => `${f.code} ${f.kind} ${f.namespace}/${f.name}`))
      .toEqual(['ZT201 PeerAuthentication shop/legacy']);
    expect(review.findings.resolved).toEqual([]);
    // The swapped grant changes the callee's AuthorizationPolicy and NetworkPolicy, and the two
    // callers' NetworkPolicies (egress): the reporter gains one, the worker loses its own.
    expect(review.objects).toEqual({
      added: [{ kind: 'NetworkPolicy', namespace: 'shop', name: 'reporter' }, { kind: 'PeerAuthentication', namespace: 'shop', name: 'legacy' }],
      removed: [{ kind: 'NetworkPolicy', namespace: 'shop', name: 'worker' }],
      modified: [{ kind: 'AuthorizationPolicy', namespace: 'shop', name: 'api' }, { kind: 'NetworkPolicy', namespace: 'shop', name: 'api' }],
    });
  });

  test('the report: marker first, a summary line, then the edge with its reason, the lost edge and the error', () => {
    const report = formatReview({ environments: [review] });
    expect(report.split('\n')[0]).toBe(REVIEW_MARKER);
    expect(report).toContain('**Head adds 1 analyzer error.**');
    expect(report).toContain('- **prod**: +1 edge, \u22121 edge, 1 new error, 5 objects changed\n');
    expect(report).toContain('| shop/reporter → shop/api:8000 | dropped → allow | from workload shop/reporter: GET /reports (builds the nightly report) — shop/api rule 1 |');
    expect(report).toMatch(/\| shop\/worker → shop\/api:8000 \| allow → dropped \| from workload shop\/worker: POST \(files orders\) — shop\/api rule 1 \| .*dropped by NetworkPolicy/);
    expect(report).toMatch(/\| error \| ZT201 \| PeerAuthentication shop\/legacy \| .*PERMISSIVE/);
    expect(report).toContain('| AuthorizationPolicy | 0 | 0 | 1 | ~ shop/api |');
    expect(addsErrors({ environments: [review] })).toBe(true);
  });

  test('a policy that records no grant (written by hand, or by another tool) is named by policy and rule', async () => {
    const unrecorded = head.map((m) => (m.kind === 'AuthorizationPolicy' && m.metadata.name === 'api'
      ? { ...m, metadata: { name: 'api', namespace: 'shop' } } : m));
    const review = await reviewEnvironment('prod', { objects: sourced(base), findings: [] }, { objects: sourced(unrecorded), findings: [] });
    expect(review.access.gained[0]!.allowedBy).toEqual([{ namespace: 'shop', policy: 'api', index: 1 }]);
    expect(formatReview({ environments: [review] })).toContain('| shop/reporter → shop/api:8000 | dropped → allow | shop/api rule 1 (its policy records no grant) |');
  });

  test('reversed, the error is resolved, the edges swap, and no error is added', async () => {
    const reverse = await reviewEnvironment('prod', { objects: sourced(head), findings: [] }, { objects: sourced(base), findings: [] });
    expect(reverse.findings.resolved.map((f) => f.code)).toContain('ZT201');
    expect(reverse.findings.introduced.filter((f) => f.severity === 'error')).toEqual([]);
    expect(reverse.access.gained.map(edge)).toEqual(['shop/worker -> shop/api:8000']);
    expect(addsErrors({ environments: [reverse] })).toBe(false);
    expect(formatReview({ environments: [reverse] })).toMatch(/\| resolved \| code \| object \| finding \|\n\|---\|---\|---\|---\|\n\| error \| ZT201 \| PeerAuthentication shop\/legacy \|/);
  });
});

describe('reviewTrees', () => {
  test('identical trees: no changes, said plainly, and no error added', async () => {
    const tree = writeTree({ dev: base, prod: base });
    const review = await reviewTrees(tree, writeTree({ dev: base, prod: base }));
    expect(addsErrors(review)).toBe(false);
    expect(formatReview(review)).toBe(`${REVIEW_MARKER}\n## zt-mesh review\n\n`
      + 'No changes: every environment has the same objects, access and analyzer findings in head as in base.\n\n'
      + '- **dev**: no changes\n- **prod**: no changes\n');
  });

  test('an environment only in head is new: every object added, every open edge gained, its errors new', async () => {
    const review = await reviewTrees(writeTree({ prod: base }), writeTree({ prod: base, qa: head }));
    const qa = review.environments.find((e) => e.environment === 'qa')!;
    expect(qa.presence).toBe('added');
    expect(qa.objects.removed).toEqual([]);
    expect(qa.objects.added.length).toBe(head.length);
    expect(qa.access.gained.map(edge)).toEqual(['shop/client -> shop/api:8000', 'shop/reporter -> shop/api:8000']);
    expect(addsErrors(review)).toBe(true);
    const report = formatReview(review);
    expect(report).toMatch(/- \*\*qa\*\* \(new environment\): \+2 edges, 1 new error, \d+ objects added\n/);
    expect(report).toContain('### qa (new environment: all of it is new)');
  });

  test('an environment only in base is removed: its edges lost, its objects removed', async () => {
    const review = await reviewTrees(writeTree({ prod: base, qa: base }), writeTree({ prod: base }));
    const qa = review.environments.find((e) => e.environment === 'qa')!;
    expect(qa.presence).toBe('removed');
    expect(qa.access.lost.map(edge)).toEqual(['shop/client -> shop/api:8000', 'shop/worker -> shop/api:8000']);
    expect(qa.objects.removed.length).toBe(base.length);
    expect(formatReview(review)).toMatch(/- \*\*qa\*\* \(environment removed\): \u22122 edges, \d+ objects removed\n/);
  });

  test('a hand edit that widens a rule but keeps its record is flagged: the record may be stale', async () => {
    // Without the NetworkPolicies, which would still hold the widened rule back at L3/L4.
    const proxiesOnly = base.filter((m) => m.kind !== 'NetworkPolicy');
    const baseTree = writeTree({ prod: proxiesOnly });
    const headTree = writeTree({ prod: proxiesOnly });
    const file = join(headTree, 'prod', 'security', 'shop.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('- cluster.local/ns/shop/sa/worker', '- "*"'));
    const review = await reviewTrees(baseTree, headTree);
    const gained = review.environments[0]!.access.gained;
    expect(gained.map(edge)).toContain('shop/reporter -> shop/api:8000');
    expect(gained.every((g) => g.allowedBy.every((r) => r.recordMayBeStale === true))).toBe(true);
    expect(formatReview(review)).toContain('from workload shop/worker: POST (files orders) — shop/api rule 1 (**record may be stale**');
  });

  test('the same trees give the same bytes', async () => {
    const [b, h] = [writeTree({ prod: base, dev: head }), writeTree({ prod: head, dev: base })];
    expect(formatReview(await reviewTrees(b, h))).toBe(formatReview(await reviewTrees(b, h)));
  });

  test.each([
    ['a missing directory', (dir: string) => join(dir, 'nope'), /^base directory .*nope does not exist; give the directory that holds one subdirectory per environment \(e\.g\. dist/],
    ['a file', (dir: string) => { const f = join(dir, 'file.txt'); writeFileSync(f, ''); return f; }, /^base .*file\.txt is a file, not a directory; give the directory/],
    ['one environment instead of the tree', (dir: string) => join(writeTree({ prod: base }, join(dir, 'tree')), 'prod'), /^base .*prod is one environment's directory \(security\/ and workloads\/\); .*\(dist, not dist\/prod\)/],
    ['loose manifests instead of the tree', (dir: string) => { writeFileSync(join(dir, 'shop.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n'); return dir; }, /^base .* holds manifests outside any environment directory \(shop\.yaml\); .*\(dist, not dist\/prod\)/],
  ])('%s as base: an AnalysisInputError naming the path and the fix', async (_name, make, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'zt-review-bad-'));
    const error = await reviewTrees(make(dir), writeTree({ prod: base })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AnalysisInputError);
    expect((error as Error).message).toMatch(message);
  });

  test('two trees without environments are a mistake, not "no changes"', async () => {
    const empty = () => mkdtempSync(join(tmpdir(), 'zt-review-empty-'));
    await expect(reviewTrees(empty(), empty())).rejects.toThrow(/neither base .* nor head .* holds an environment directory/);
  });
});

describe('loading an environment directory', () => {
  test('reads nested .yaml and .yml files; skips kustomize configuration, dot-files and other files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zt-review-env-'));
    mkdirSync(join(dir, 'apps', 'shop'), { recursive: true });
    mkdirSync(join(dir, '.cache'));
    const configMap = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: shop\n`;
    writeFileSync(join(dir, 'apps', 'shop', 'a.yaml'), configMap('a'));
    writeFileSync(join(dir, 'apps', 'b.yml'), `${configMap('b')}---\napiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n`);
    writeFileSync(join(dir, 'kustomization.yaml'), 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [apps/b.yml]\n');
    writeFileSync(join(dir, 'apps', 'kustomization.yml'), 'resources: [shop/a.yaml]\n'); // kustomize needs no apiVersion or kind
    writeFileSync(join(dir, '.hidden.yaml'), configMap('hidden'));
    writeFileSync(join(dir, '.cache', 'c.yaml'), configMap('cached'));
    writeFileSync(join(dir, 'README.md'), '# not a manifest\n');
    const loaded = loadEnvironment(dir);
    expect(loaded.findings).toEqual([]);
    expect(loaded.objects.map((o) => `${o.file}: ${o.manifest.metadata.name}`)).toEqual(['apps/b.yml: b', 'apps/shop/a.yaml: a']);
  });

  test('broken YAML is an input finding named by its path within the environment, so both trees name it alike', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zt-review-env-'));
    writeFileSync(join(dir, 'broken.yaml'), 'kind: [\n');
    expect(loadEnvironment(dir).findings.map((f) => [f.code, f.name])).toEqual([['ZT001', 'broken.yaml']]);
  });

  test('a tree is its subdirectories; a kustomization.yaml beside them is not a stray manifest', () => {
    const tree = writeTree({ dev: base, prod: base });
    writeFileSync(join(tree, 'kustomization.yaml'), 'resources: [dev, prod]\n');
    mkdirSync(join(tree, '.git'));
    expect([...loadTree(tree).keys()]).toEqual(['dev', 'prod']);
  });
});

describe('diffs', () => {
  const object = (name: string, extra: object = {}, apiVersion = 'v1'): SourcedManifest => ({
    manifest: { apiVersion, kind: 'ConfigMap', metadata: { name, namespace: 'shop' }, ...extra } as Manifest,
  });

  test('objects: added, removed and modified, by identity; key order is no change, an apiVersion bump is a modification', () => {
    const before = [object('kept', { data: { a: '1', b: '2' } }), object('gone'), object('edited', { data: { a: '1' } }), object('bumped', {}, 'v1')];
    const after = [object('kept', { data: { b: '2', a: '1' } }), object('new'), object('edited', { data: { a: '2' } }), object('bumped', {}, 'v2')];
    const ref = (name: string) => ({ kind: 'ConfigMap', namespace: 'shop', name });
    expect(diffObjects(before, after)).toEqual({ added: [ref('new')], removed: [ref('gone')], modified: [ref('bumped'), ref('edited')] });
  });

  test('findings: identity is code, kind, namespace, name and message; the file and the fix do not count', () => {
    const finding = (message: string, more: Partial<Finding> = {}): Finding => ({
      code: 'ZT201', severity: 'error', kind: 'PeerAuthentication', namespace: 'shop', name: 'legacy', message, fix: 'f', ...more,
    });
    const moved = finding('same', { file: 'b.yaml', fix: 'other' });
    expect(findingIdentity(finding('same', { file: 'a.yaml' }))).toBe(findingIdentity(moved));
    expect(diffFindings([finding('same', { file: 'a.yaml' }), finding('old')], [moved, finding('new')]))
      .toEqual({ introduced: [finding('new')], resolved: [finding('old')] });
  });

  test('rule records: one line per rule, a line without rule[i] continues the one before', () => {
    expect([...parseRuleRecords('rule[0] from workload a: GET (reads\nthe catalogue)\nrule[1] from any authenticated mesh workload')])
      .toEqual([[0, 'from workload a: GET (reads the catalogue)'], [1, 'from any authenticated mesh workload']]);
  });
});

describe('report caps', () => {
  test('a huge change lists ten names per kind and says how many more', async () => {
    const many = (n: number) => sourced(Array.from({ length: n }, (_, i) => ({
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${String(i).padStart(2, '0')}`, namespace: 'shop' },
    } as Manifest)));
    const review = await reviewEnvironment('prod', { objects: [], findings: [] }, { objects: many(25), findings: [] });
    expect(formatReview({ environments: [review] })).toContain('| ConfigMap | 25 | 0 | 0 | + shop/cm-00, + shop/cm-01, + shop/cm-02, + shop/cm-03, + shop/cm-04, + shop/cm-05, + shop/cm-06, + shop/cm-07, + shop/cm-08, + shop/cm-09, … and 15 more |');
  });
});
