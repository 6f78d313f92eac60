// The reference mesh's L3/L4 and egress layer (NetworkPolicies, Sidecar egress, REGISTRY_ONLY)
// against its authorization policies: with the layer in force, exactly what the policies grant
// is reachable, nothing more and nothing less; a pod that escapes its proxy reaches nothing.
import { accessMatrix, type MatrixCell } from '../../analysis/access/matrix.js';
import { AccessSimulator } from '../../analysis/access/simulator.js';
import { MeshModel } from '../../analysis/model.js';
import { ENVIRONMENTS } from '../../infra/environment.js';
import type { Manifest } from '../../manifests/index.js';
import { synthesizeEnvironment } from './reference.js';

const LAYER = new Set(['NetworkPolicy', 'Sidecar']);
const allowed = (cells: readonly MatrixCell[]) => cells.filter((c) => c.outcome === 'allow')
  .map((c) => `${c.from} -> ${c.to}:${c.port}${c.token ? ` [${c.token}]` : ''}`).sort();
const matrixOf = async (manifests: readonly Manifest[]) => accessMatrix(new AccessSimulator(new MeshModel(manifests.map((manifest) => ({ manifest })))));

/** A Deployment in `products` that opts out of injection: a pod without its proxy. */
const ROGUE: Manifest = {
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'rogue', namespace: 'products' },
  spec: {
    selector: { matchLabels: { app: 'rogue' } },
    template: { metadata: { labels: { app: 'rogue', 'sidecar.istio.io/inject': 'false' } }, spec: { containers: [{ name: 'rogue', image: 'example/rogue:1' }] } },
  },
} as Manifest;

describe.each(Object.keys(ENVIRONMENTS))('%s', (name) => {
  const manifests = synthesizeEnvironment(ENVIRONMENTS[name]!).manifests;

  test('the layer is there: a default deny in every namespace, and a Sidecar with REGISTRY_ONLY in every sidecar namespace', () => {
    const namespaces = manifests.filter((m) => m.kind === 'Namespace');
    for (const { metadata: { name: ns, labels } } of namespaces) {
      expect([ns, manifests.some((m) => m.kind === 'NetworkPolicy' && m.metadata.namespace === ns && m.metadata.name === 'default-deny')]).toEqual([ns, true]);
      const sidecar = manifests.find((m) => m.kind === 'Sidecar' && m.metadata.namespace === ns) as { spec: { outboundTrafficPolicy: { mode: string } } } | undefined;
      // Ztunnel and waypoints never read a Sidecar: an ambient namespace has none (docs/ambient.md).
      const ambient = labels?.['istio.io/dataplane-mode'] === 'ambient';
      expect([ns, sidecar?.spec.outboundTrafficPolicy.mode]).toEqual([ns, ambient ? undefined : 'REGISTRY_ONLY']);
    }
    expect(namespaces.some((n) => n.metadata.labels?.['istio.io/dataplane-mode'] === 'ambient')).toBe(ENVIRONMENTS[name]!.dataplane === 'ambient');
  });

  test('with the layer in force, exactly the edges the authorization policies grant are reachable', async () => {
    const cells = await matrixOf(manifests);
    const layered = allowed(cells.filter((c) => !c.external));
    const proxiesOnly = allowed((await matrixOf(manifests.filter((m) => !LAYER.has(m.kind)))).filter((c) => !c.external));
    expect(layered.length).toBeGreaterThan(0);
    expect(layered).toEqual(proxiesOnly);
  });

  test('outside the cluster, exactly the declared external host is reachable, from service-a alone', async () => {
    // Without an egress gateway only this layer tells service-a from its namespace's other pods:
    // the host's ServiceEntry is exported to the namespace, so proxies alone would let them all out.
    const cells = (await matrixOf(manifests)).filter((c) => c.external);
    expect(allowed(cells)).toEqual([`products/service-a -> ${ENVIRONMENTS[name]!.egress.paymentsApiHost}:443`]);
    expect(cells.length).toBeGreaterThan(1);
  });

  test('a pod without its proxy reaches only what is open to anyone (as a client outside the mesh does)', async () => {
    const cells = await matrixOf([...manifests, ROGUE]);
    const reached = (from: string) => [...new Set(cells.filter((c) => c.from === from && c.outcome === 'allow').map((c) => `${c.to}:${c.port}`))].sort();
    expect(cells.filter((c) => c.from === 'products/rogue').length).toBeGreaterThan(0);
    expect(reached('products/rogue')).toEqual(reached('outside'));
    // Staging and prod open nothing to anyone: the rogue pod is dropped everywhere.
    if (ENVIRONMENTS[name]!.stage !== 'dev') expect(cells.filter((c) => c.from === 'products/rogue').every((c) => c.outcome === 'dropped')).toBe(true);
  });

  test('SCENARIOS.md E3: a pod without its sidecar cannot reach MySQL (only service-b\'s pods may)', async () => {
    const simulator = new AccessSimulator(new MeshModel([...manifests, ROGUE].map((manifest) => ({ manifest }))));
    const verdict = await simulator.check({ from: { workload: 'products/rogue' }, to: 'products/mysql', port: 3306 });
    // A NetworkPolicy drop: the connection fails (SCENARIOS.md's "reset"; it times out rather than being refused).
    expect(verdict.outcome).toBe('dropped');
    expect(verdict.reason).toContain('NetworkPolicy');
  });
});

test('prod: service-b reaches MySQL and nothing else; MySQL reaches nothing', async () => {
  const cells = await matrixOf(synthesizeEnvironment(ENVIRONMENTS.prod!).manifests);
  expect([...new Set(cells.filter((c) => c.from === 'products/service-b' && c.outcome === 'allow').map((c) => c.to))]).toEqual(['products/mysql']);
  expect(cells.filter((c) => c.from === 'products/mysql' && c.outcome === 'allow')).toEqual([]);
});
