// The synthesized environment directories as kustomize renders them (`kubectl kustomize`, the
// renderer of `kubectl apply -k`, Argo CD and Flux): exactly the synthesized objects, with the
// delivery annotations the kustomizations add and nothing else.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { phaseOf, type Manifest } from '../../manifests/index.js';
import { ENVIRONMENTS } from '../../infra/environment.js';
import { synthesizeEnvironment, synthToDirectory } from '../infra/reference.js';

/** kubectl with kustomize v4 or later (`patches` with a target), or the reason the tests skip. */
const KUSTOMIZE = (() => {
  const version = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  const found = /Kustomize Version: v(\d+)/.exec(version.stdout ?? '');
  if (version.error || !found) return { skip: 'skipped: kubectl with kustomize is not installed (apt-get install kubectl, or any kubectl >= 1.21)' };
  if (Number(found[1]) < 4) return { skip: `skipped: kubectl's kustomize is v${found[1]}; these tests need v4 or later (kubectl >= 1.21)` };
  return {};
})();

const SYNC_WAVE = 'argocd.argoproj.io/sync-wave';
const NEVER_PRUNED = { 'argocd.argoproj.io/sync-options': 'Prune=false', 'kustomize.toolkit.fluxcd.io/prune': 'disabled' };

function kustomize(dir: string): Manifest[] {
  const result = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${result.stderr}`);
  return parseAllDocuments(result.stdout).map((d) => d.toJSON() as Manifest).filter(Boolean);
}

const keyOf = (m: Manifest) => `${m.kind}/${m.metadata.namespace ?? ''}/${m.metadata.name}`;

/** A rendered object without the annotations the kustomizations add. */
function withoutDeliveryAnnotations(m: Manifest): Manifest {
  const annotations = { ...(m.metadata.annotations ?? {}) };
  for (const key of [SYNC_WAVE, ...Object.keys(NEVER_PRUNED)]) delete annotations[key];
  const { annotations: _dropped, ...metadata } = m.metadata;
  return { ...m, metadata: Object.keys(annotations).length ? { ...metadata, annotations } : metadata } as Manifest;
}

const maybe = KUSTOMIZE.skip ? describe.skip : describe;

maybe(`kustomize renders each environment as synthesized${KUSTOMIZE.skip ? ` (${KUSTOMIZE.skip})` : ''}`, () => {
  let out: string;
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'zt-kustomize-'));
    synthToDirectory(Object.values(ENVIRONMENTS), out);
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  test.each(Object.keys(ENVIRONMENTS))('%s: the same objects, field for field', (name) => {
    const expected = synthesizeEnvironment(ENVIRONMENTS[name]!).manifests;
    const rendered = kustomize(join(out, name));
    expect(rendered.map(keyOf).sort()).toEqual(expected.map(keyOf).sort());
    const byKey = new Map(expected.map((m) => [keyOf(m), JSON.parse(JSON.stringify(m)) as Manifest]));
    for (const m of rendered) expect(withoutDeliveryAnnotations(m)).toEqual(byKey.get(keyOf(m)));
  });

  test.each(Object.keys(ENVIRONMENTS))('%s: identities and policies are sync wave -1, workloads the default wave; Namespaces are never pruned', (name) => {
    for (const m of kustomize(join(out, name))) {
      const annotations = m.metadata.annotations ?? {};
      expect([keyOf(m), annotations[SYNC_WAVE]]).toEqual([keyOf(m), phaseOf(m) === 'security' ? '-1' : undefined]);
      if (m.kind === 'Namespace') expect(annotations).toMatchObject(NEVER_PRUNED);
      else expect([keyOf(m), annotations['kustomize.toolkit.fluxcd.io/prune']]).toEqual([keyOf(m), undefined]);
    }
  });

  test('security/ alone holds every identity, mTLS, JWT, authorization, NetworkPolicy and Sidecar object, and no workload', () => {
    const security = kustomize(join(out, 'prod', 'security'));
    const workloads = kustomize(join(out, 'prod', 'workloads'));
    expect(new Set(security.map((m) => m.kind))).toEqual(new Set(['Namespace', 'ServiceAccount', 'PeerAuthentication', 'RequestAuthentication', 'AuthorizationPolicy', 'NetworkPolicy', 'Sidecar']));
    expect(workloads.filter((m) => phaseOf(m) === 'security')).toEqual([]);
    expect(workloads.some((m) => m.kind === 'Deployment' || m.kind === 'StatefulSet')).toBe(true);
  });
});
