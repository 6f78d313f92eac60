import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMain, ztMesh } from '../helpers/cli.js';
import { BASE_SHOP, HEAD_SHOP, shopManifests, writeTree } from '../helpers/review-trees.js';

const run = runMain;

const base = shopManifests(BASE_SHOP);
const head = shopManifests(HEAD_SHOP);
// dev is untouched by the change; prod gets the pull request.
const baseTree = writeTree({ dev: base, prod: base });
const headTree = writeTree({ dev: base, prod: head });

describe('zt-mesh review <base-dir> <head-dir>', () => {
  test('a change that swaps a grant and adds an analyzer error: the edges, the reason, the error, exit 1', async () => {
    const result = await run('review', baseTree, headTree);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(1);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('<!-- zt-mesh-review -->');
    expect(lines).toContain('- **dev**: no changes');
    expect(lines).toContain('- **prod**: +1 edge, \u22121 edge, 1 new error, 5 objects changed');
    expect(result.stdout).toContain('| shop/reporter → shop/api:8000 | dropped → allow | from workload shop/reporter: GET /reports (builds the nightly report) — shop/api rule 1 |');
    expect(result.stdout).toMatch(/\| shop\/worker → shop\/api:8000 \| allow → dropped \| from workload shop\/worker: POST \(files orders\)/);
    expect(result.stdout).toMatch(/\| error \| ZT201 \| PeerAuthentication shop\/legacy \|/);
    // Only the changed environment gets details.
    expect(result.stdout).not.toContain('### dev');
  });

  test('identical trees: "no changes", exit 0', async () => {
    const result = await run('review', baseTree, writeTree({ dev: base, prod: base }));
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('No changes: every environment has the same objects, access and analyzer findings in head as in base.');
  });

  test('the reverse change lists the error as resolved and adds none: exit 0', async () => {
    const result = await run('review', headTree, baseTree);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('- **prod**: +1 edge, \u22121 edge, 1 resolved finding, 5 objects changed');
    expect(result.stdout).toMatch(/\| resolved \| code \| object \| finding \|\n\|---\|---\|---\|---\|\n\| error \| ZT201 \| PeerAuthentication shop\/legacy \|/);
  });

  test('an environment only in head is reported as new', async () => {
    const result = await run('review', baseTree, writeTree({ dev: base, prod: base, qa: base }));
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/- \*\*qa\*\* \(new environment\): \+2 edges, \d+ objects added\n/);
    expect(result.stdout).toContain('| shop/worker → shop/api:8000 | absent → allow | from workload shop/worker: POST (files orders) — shop/api rule 1 |');
  });

  test('a missing directory: one line naming it and the fix, exit 2', async () => {
    const missing = join(tmpdir(), 'zt-review-does-not-exist');
    const result = await run('review', baseTree, missing);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`zt-mesh review: head directory ${missing} does not exist; give the directory that holds one subdirectory per environment (e.g. dist, as zt-mesh synth writes it).\n`);
  });

  test('one environment\'s directory instead of the tree: exit 2, with the fix', async () => {
    const result = await run('review', join(baseTree, 'prod'), headTree);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/is one environment's directory .*\(dist, not dist\/prod\)/);
  });

  test.each([
    [['review', baseTree], /give exactly two trees, the base \(before the change\) and the head \(after it\); got 1\./],
    [['review', baseTree, headTree, '--format', 'json'], /Unknown option '--format'/],
  ])('%j: a usage error with the usage, exit 2', async (args, message) => {
    const result = await run(...args);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('Usage:\n  zt-mesh review <base-dir> <head-dir>');
  });

  test('--help prints its usage; the general help lists it', async () => {
    expect((await run('review', '--help')).stdout).toMatch(/^Usage:\n {2}zt-mesh review <base-dir> <head-dir>/);
    expect((await run('--help')).stdout).toContain('zt-mesh review <base-dir> <head-dir>');
  });

  test('kustomization files in the trees are ignored, not reported', async () => {
    const withKustomize = writeTree({ dev: base, prod: base });
    writeFileSync(join(withKustomize, 'prod', 'kustomization.yaml'), 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [mesh.yaml, shop.yaml]\n');
    writeFileSync(join(withKustomize, 'kustomization.yaml'), 'resources: [dev, prod]\n');
    const result = await run('review', baseTree, withKustomize);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('No changes');
  });

  test('the installed command (lib/, a child process) prints the same report and exits 1', async () => {
    const inProcess = await run('review', baseTree, headTree);
    const installed = ztMesh(['review', baseTree, headTree]);
    expect(installed.stderr).toBe('');
    expect(installed.status).toBe(1);
    expect(installed.stdout).toBe(inProcess.stdout);
  });

  test('the report does not depend on where the trees are', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'zt-review-elsewhere-'));
    const moved = await run('review', writeTree({ dev: base, prod: base }, join(elsewhere, 'b')), writeTree({ dev: base, prod: head }, join(elsewhere, 'h')));
    expect(moved.stdout).toBe((await run('review', baseTree, headTree)).stdout);
  });
});
