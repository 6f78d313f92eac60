import { ZeroTrustConfigError } from '../../constructs/errors.js';
import { ENVIRONMENTS } from '../../infra/environment.js';
import type { Manifest } from '../../manifests/index.js';
import { planDeployment, PlanOptions } from '../../pulumi/deployment-plan.js';
import { synthesizeEnvironment } from '../infra/reference.js';

const DB_SECRET = new Map([['products/mysql-credentials', ['root-password']]]);
const WITH_ISTIO: PlanOptions = {
  construct: 'MeshDeployment "dev"', installIstio: true, controlPlaneNamespaces: ['istio-system'], secrets: DB_SECRET, existingSecrets: new Set(),
};
const dev = synthesizeEnvironment(ENVIRONMENTS.dev!).manifests;
const withManifests = (manifests: readonly Manifest[], edit: (ms: Manifest[]) => Manifest[]): Manifest[] => edit(structuredClone([...manifests]));
const planOf = (manifests: readonly Manifest[], options: Partial<PlanOptions> = {}) => planDeployment(manifests, 'istio-system', { ...WITH_ISTIO, ...options });

describe('planDeployment (MeshDeployment\'s order and checks)', () => {
  const plan = planOf(dev);
  const ids = plan.objects.map((o) => o.id);

  test('plans every synthesized object once, plus one Secret per namespace that reads it', () => {
    expect(ids.filter((id) => !id.startsWith('Secret/')).sort()).toEqual(dev.map((m) => `${m.kind}/${m.metadata.namespace ?? '-'}/${m.metadata.name}`).sort());
    expect(ids.filter((id) => id.startsWith('Secret/'))).toEqual(['Secret/products/mysql-credentials']);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('orders namespaces first and workloads last, and every dependency before its dependent', () => {
    const kinds = plan.objects.map((o) => o.manifest?.kind ?? 'Secret');
    expect(kinds.lastIndexOf('Namespace')).toBeLessThan(kinds.findIndex((k) => k !== 'Namespace'));
    const workload = (k: string) => k === 'Deployment' || k === 'StatefulSet';
    expect(kinds.findIndex(workload)).toBeGreaterThan(Math.max(...kinds.map((k, i) => (workload(k) ? -1 : i))));
    plan.objects.forEach((object, index) => {
      for (const dependency of object.after) expect(ids.indexOf(dependency)).toBeLessThan(index);
    });
  });

  test('Istio objects and workloads wait for the control plane; plain objects outside it do not', () => {
    for (const object of plan.objects) {
      const m = object.manifest;
      const expected = m !== undefined && (m.apiVersion.includes('.istio.io/') || m.kind === 'Deployment' || m.kind === 'StatefulSet');
      expect([object.id, object.afterControlPlane]).toEqual([object.id, expected]);
    }
  });

  test('without an Istio install, nothing waits for a control plane', () => {
    expect(planOf(dev, { installIstio: false }).objects.some((o) => o.afterControlPlane)).toBe(false);
  });

  test('the sleep client (no secret, its own namespace) waits only for its namespace, account and policies (all layers)', () => {
    const after = [...plan.objects.find((o) => o.id === 'Deployment/sleep/sleep')!.after].sort();
    expect(after).toEqual([
      'AuthorizationPolicy/sleep/allow-nothing', 'Namespace/-/sleep', 'NetworkPolicy/sleep/default-deny',
      ...after.filter((id) => /^NetworkPolicy\/sleep\/(?!default-deny)/.test(id)),
      'PeerAuthentication/istio-system/default', 'PeerAuthentication/sleep/default', 'ServiceAccount/sleep/sleep', 'Sidecar/sleep/default',
    ]);
  });

  test('refuses a workload reading the database Secret under another key', () => {
    const broken = withManifests(dev, (ms) => {
      const mysql = ms.find((m) => m.kind === 'StatefulSet' && m.metadata.name === 'mysql') as any;
      mysql.spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.key = 'password';
      return ms;
    });
    expect(() => planOf(broken)).toThrow(ZeroTrustConfigError);
    expect(() => planOf(broken)).toThrow(/MeshDeployment "dev": secrets\["products\/mysql-credentials"\]: has no key "password", which StatefulSet\/products\/mysql reads\./);
  });

  test('refuses a workload reading a Secret that is neither given nor declared to exist, naming both fixes', () => {
    expect(() => planOf(dev, { secrets: new Map() })).toThrow(
      /MeshDeployment "dev": secrets: StatefulSet\/products\/mysql reads Secret "products\/mysql-credentials" \(key "root-password"\), which this deployment neither creates nor knows to exist.*existingSecrets/);
  });

  test('a Secret declared to exist is read without being created or waited for', () => {
    const planned = planOf(dev, { secrets: new Map(), existingSecrets: new Set(['products/mysql-credentials']) });
    expect(planned.objects.map((o) => o.id).filter((id) => id.startsWith('Secret/'))).toEqual([]);
    expect(planned.objects.find((o) => o.id === 'StatefulSet/products/mysql')!.after).not.toContain('Secret/products/mysql-credentials');
  });

  test('the workload reading a given Secret waits for it', () => {
    expect(plan.objects.find((o) => o.id === 'StatefulSet/products/mysql')!.after).toContain('Secret/products/mysql-credentials');
  });

  test('a Secret key that is not namespace/name is refused', () => {
    expect(() => planOf(dev, { secrets: new Map([['mysql-credentials', ['root-password']]]) })).toThrow(/secrets\["mysql-credentials"\]: is not "<namespace>\/<name>"/);
  });

  test('refuses a synthesized Secret (its value would land in Git)', () => {
    const broken = withManifests(dev, (ms) => [...ms, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'mysql-credentials', namespace: 'products' } }]);
    expect(() => planOf(broken)).toThrow(/Secret\/products\/mysql-credentials is part of the mesh's objects, so its value would be in every synthesized copy/);
  });

  test('refuses a kind it has no resource class for, before registering anything', () => {
    const broken = withManifests(dev, (ms) => [...ms, { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'backup', namespace: 'products' } }]);
    expect(() => planOf(broken)).toThrow(/CronJob\/products\/backup \(batch\/v1\) is a kind this component has no Pulumi resource class for/);
  });
});
