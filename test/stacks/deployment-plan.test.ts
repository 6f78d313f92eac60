import { ENVIRONMENTS } from '../../infra/environment.js';
import { synthesizeEnvironment, SynthesizedEnvironment } from '../../infra/synth.js';
import type { Manifest } from '../../manifests/index.js';
import { planDeployment } from '../../stacks/deployment-plan.js';
import { StackConfigError } from '../../stacks/stack-config.js';

const WITH_ISTIO = { installIstio: true, controlPlaneNamespaces: ['istio-system'] };
const dev = synthesizeEnvironment(ENVIRONMENTS.dev!);
const withManifests = (synth: SynthesizedEnvironment, edit: (ms: Manifest[]) => Manifest[]): SynthesizedEnvironment =>
  ({ ...synth, manifests: edit(structuredClone([...synth.manifests])) });

describe('planDeployment', () => {
  const plan = planDeployment(dev, WITH_ISTIO);
  const ids = plan.objects.map((o) => o.id);

  test('plans every synthesized object once, plus one Secret per namespace that reads it', () => {
    expect(ids.filter((id) => !id.startsWith('Secret/')).sort()).toEqual(dev.manifests.map((m) => `${m.kind}/${m.metadata.namespace ?? '-'}/${m.metadata.name}`).sort());
    expect(ids.filter((id) => id.startsWith('Secret/'))).toEqual(['Secret/products/mysql-credentials']);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('orders namespaces first and workloads last, and every dependency before its dependent', () => {
    const kinds = plan.objects.map((o) => o.manifest?.kind ?? 'Secret');
    expect(kinds.lastIndexOf('Namespace')).toBeLessThan(kinds.findIndex((k) => k !== 'Namespace'));
    expect(kinds.indexOf('Deployment')).toBeGreaterThan(Math.max(...kinds.map((k, i) => (k === 'Deployment' ? -1 : i))));
    plan.objects.forEach((object, index) => {
      for (const dependency of object.after) expect(ids.indexOf(dependency)).toBeLessThan(index);
    });
  });

  test('Istio objects and workloads wait for the control plane; plain objects outside it do not', () => {
    for (const object of plan.objects) {
      const m = object.manifest;
      const expected = m !== undefined && (m.apiVersion.includes('.istio.io/') || m.kind === 'Deployment');
      expect([object.id, object.afterControlPlane]).toEqual([object.id, expected]);
    }
  });

  test('without an Istio install, nothing waits for a control plane', () => {
    expect(planDeployment(dev, { installIstio: false, controlPlaneNamespaces: ['istio-system'] }).objects.some((o) => o.afterControlPlane)).toBe(false);
  });

  test('the sleep client (no secret, its own namespace) waits only for its namespace, account and policies', () => {
    expect([...plan.objects.find((o) => o.id === 'Deployment/sleep/sleep')!.after].sort()).toEqual([
      'AuthorizationPolicy/sleep/allow-nothing', 'Namespace/-/sleep', 'PeerAuthentication/istio-system/default',
      'PeerAuthentication/sleep/default', 'ServiceAccount/sleep/sleep',
    ]);
  });

  test('refuses a workload reading the database Secret under another key', () => {
    const broken = withManifests(dev, (ms) => {
      const mysql = ms.find((m) => m.kind === 'Deployment' && m.metadata.name === 'mysql') as any;
      mysql.spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.key = 'password';
      return ms;
    });
    expect(() => planDeployment(broken, WITH_ISTIO)).toThrow(StackConfigError);
    expect(() => planDeployment(broken, WITH_ISTIO)).toThrow(/reads key "password" of Secret "mysql-credentials".*"root-password"/);
  });

  test('refuses a synthesized Secret (its value would land in Git)', () => {
    const broken = withManifests(dev, (ms) => [...ms, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'mysql-credentials', namespace: 'products' } }]);
    expect(() => planDeployment(broken, WITH_ISTIO)).toThrow(/Secret\/products\/mysql-credentials is synthesized, so its value would land in Git/);
  });

  test('refuses a kind it has no resource class for, before registering anything', () => {
    const broken = withManifests(dev, (ms) => [...ms, { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'backup', namespace: 'products' } }]);
    expect(() => planDeployment(broken, WITH_ISTIO)).toThrow(/CronJob\/products\/backup \(batch\/v1\) has no Pulumi resource class/);
  });
});
