// Every environment's synthesized kustomize tree, and the objects the Pulumi program registers,
// applied for real to a Kubernetes API server (v1.26 with Istio 1.30's CRDs and their CEL rules),
// in the zero-trust order: security first, then workloads. The server must accept every object
// and store exactly what was sent. (One file: the cases share namespaces and run in sequence.)
import * as pulumi from '@pulumi/pulumi';
import { mkdtempSync, rmSync } from 'node:fs';
import { App } from 'cdk8s';
import { EgressGateway, ExternalHost, Mesh, MeshWorkload, ServicePort, ZeroTrustNamespace } from '../../constructs/index.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineDelivery } from '../../infra/delivery.js';
import { ENVIRONMENTS } from '../../infra/environment.js';
import { phaseOf, type Manifest } from '../../manifests/index.js';
import { applyKustomization, applyObjects, describeWithApiServer, differences, kubectl, storedObjects } from '../helpers/kube-apiserver.js';
import { deployMesh, readStackSettings } from '../../stacks/program.js';
import { mockStack, unwrapSecrets } from '../helpers/pulumi-harness.js';
import { synthesizeEnvironment, synthToDirectory } from '../infra/reference.js';

describeWithApiServer('each environment, applied server-side in order, is stored as synthesized', () => {
  let out: string;
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'zt-apply-'));
    synthToDirectory(Object.values(ENVIRONMENTS), out);
    // Istio's own namespace exists wherever Istio is installed; the mesh does not declare it.
    expect(applyObjects([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } } as never]).code).toBe(0);
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  // The environments share namespace names; each is applied over the previous one with the same
  // field manager, so the server holds exactly the last applied configuration of each object.
  test.each(Object.keys(ENVIRONMENTS))('%s', (name) => {
    const manifests = synthesizeEnvironment(ENVIRONMENTS[name]!).manifests;
    // A StatefulSet's claim templates are immutable: another environment's storage size (applied
    // before, or in an earlier run on this server) needs a new StatefulSet, as a real size change would.
    for (const m of manifests) {
      if (m.kind === 'StatefulSet') kubectl(['delete', 'statefulset', m.metadata.name, '-n', m.metadata.namespace!, '--ignore-not-found', '--cascade=background', '--wait=false']);
    }
    for (const phase of ['security', 'workloads'] as const) {
      const result = applyKustomization(join(out, name, phase));
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const applied = result.stdout.trim().split('\n');
      expect(applied).toHaveLength(manifests.filter((m) => phaseOf(m) === phase).length);
      expect(applied.every((line) => / serverside-applied$/.test(line))).toBe(true);
    }
    const kept = storedObjects(manifests);
    for (const m of manifests as Manifest[]) {
      // What the kustomization adds (sync waves, prune options) is stored too, beside what was sent.
      const key = `${m.kind}/${m.metadata.namespace ?? ''}/${m.metadata.name}`;
      expect([key, differences(m, kept.get(key))]).toEqual([key, []]);
    }

  });
});

describeWithApiServer('the objects the Pulumi program registers, applied server-side in order, are stored as registered', () => {
  test('prod: every object of the MeshDeployment, the database Secret included', async () => {
    const registrations = await mockStack('prod', { mysqlPassword: 'a-test-password-only' }, ['mysqlPassword']);
    deployMesh(readStackSettings());
    await pulumi.runtime.disconnect(); // drains every outstanding registration
    const objects = registrations.filter((r) => r.custom && r.type.startsWith('kubernetes:') && !r.type.startsWith('kubernetes:helm.sh/'))
      .map((r) => unwrapSecrets(r.wire) as Manifest);
    expect(objects.map((m) => m.kind)).toContain('AuthorizationPolicy');
    expect(objects.map((m) => m.kind)).toContain('Secret');
    for (const phase of ['security', 'workloads'] as const) {
      const batch = objects.filter((m) => phaseOf(m) === phase);
      const result = applyObjects(batch);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
    }
    const kept = storedObjects(objects);
    for (const m of objects.map(asStored)) {
      const key = `${m.kind}/${m.metadata.namespace ?? ''}/${m.metadata.name}`;
      expect([key, differences(m, kept.get(key))]).toEqual([key, []]);
    }
  });
});

/** A Secret's `stringData` is stored base64-encoded in `data`; everything else as sent. */
function asStored(m: Manifest): Manifest {
  const { stringData, ...rest } = m as Manifest & { stringData?: Record<string, string> };
  if (m.kind !== 'Secret' || !stringData) return m;
  return { ...rest, data: Object.fromEntries(Object.entries(stringData).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) } as Manifest;
}

describeWithApiServer('the GitOps delivery objects are accepted and stored (Argo CD and Flux CRDs)', () => {
  test('every Application, GitRepository and Kustomization of the reference delivery', () => {
    const manifests = defineDelivery(new App(), Object.values(ENVIRONMENTS)).toJson() as Manifest[];
    expect(new Set(manifests.map((m) => m.kind))).toEqual(new Set(['Application', 'GitRepository', 'Kustomization']));
    const namespaces = [...new Set(manifests.map((m) => m.metadata.namespace!))].map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));
    expect(applyObjects(namespaces as never).code).toBe(0);
    const result = applyObjects(manifests);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const kept = storedObjects(manifests);
    for (const m of manifests) {
      const key = `${m.kind}/${m.metadata.namespace ?? ''}/${m.metadata.name}`;
      expect([key, differences(m, kept.get(key))]).toEqual([key, []]);
    }
  });
});

describeWithApiServer('egress to an external host is accepted and stored (ServiceEntry, Sidecar, NetworkPolicy)', () => {
  test('a workload allowed to call an HTTPS API and a TCP database outside the cluster', () => {
    const mesh = new Mesh(new App(), 'egress', { stage: 'prod' });
    const payments = new ZeroTrustNamespace(mesh, 'payments');
    new MeshWorkload(payments, 'checkout', { image: 'registry.example.com/checkout:1.0', ports: [ServicePort.http(8080)] })
      .allowTo(ExternalHost.https('api.stripe.com'))
      .allowTo(ExternalHost.tcp('ledger.partner.example', 5432, { cidrs: ['203.0.113.10/32'] }));
    const { manifests } = mesh.synthesize();
    expect(manifests.filter((m) => m.kind === 'ServiceEntry')).toHaveLength(2);
    for (const phase of ['security', 'workloads'] as const) {
      const result = applyObjects(manifests.filter((m) => phaseOf(m) === phase));
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
    }
    const kept = storedObjects(manifests);
    for (const m of manifests.filter((o) => ['ServiceEntry', 'Sidecar', 'NetworkPolicy'].includes(o.kind))) {
      const key = `${m.kind}/${m.metadata.namespace ?? ''}/${m.metadata.name}`;
      expect([key, differences(m, kept.get(key))]).toEqual([key, []]);
    }
  });
});

describeWithApiServer('egress through an egress gateway is accepted and stored (ServiceEntry, Gateway, VirtualService, DestinationRule, AuthorizationPolicy)', () => {
  test('two workloads routed through the Helm egress gateway to an HTTPS API and an HTTP endpoint', () => {
    const mesh = new Mesh(new App(), 'egress-gw', { stage: 'prod', egressGateway: EgressGateway.helmChart() });
    const payments = new ZeroTrustNamespace(mesh, 'payments');
    new MeshWorkload(payments, 'checkout', { image: 'registry.example.com/checkout:1.0', ports: [ServicePort.http(8080)] })
      .allowTo(ExternalHost.https('api.stripe.com'));
    new MeshWorkload(payments, 'status', { image: 'registry.example.com/status:1.0', ports: [ServicePort.http(8080)] })
      .allowTo(ExternalHost.http('status.partner.example'));
    const { manifests } = mesh.synthesize();
    const namespaces = [...new Set(manifests.map((m) => m.metadata.namespace).filter((n): n is string => n !== undefined))]
      .map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));
    expect(applyObjects(namespaces as never).code).toBe(0);
    for (const phase of ['security', 'workloads'] as const) {
      const result = applyObjects(manifests.filter((m) => phaseOf(m) === phase));
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
    }
    const routing = manifests.filter((o) => o.metadata.namespace === 'istio-system' && o.kind !== 'PeerAuthentication' && o.kind !== 'Telemetry');
    expect(routing.map((o) => o.kind).sort()).toEqual([
      'AuthorizationPolicy', 'AuthorizationPolicy', 'DestinationRule', 'Gateway', 'Gateway', 'ServiceEntry', 'ServiceEntry', 'VirtualService', 'VirtualService',
    ]);
    const kept = storedObjects(manifests);
    for (const m of routing) {
      const key = `${m.kind}/${m.metadata.namespace ?? ''}/${m.metadata.name}`;
      expect([key, differences(m, kept.get(key))]).toEqual([key, []]);
    }
  });
});

