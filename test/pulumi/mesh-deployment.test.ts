import * as pulumi from '@pulumi/pulumi';
import { ApiObject, App } from 'cdk8s';
import { Dataplane, EnvValue, IngressGateway, Mesh, MeshWorkload, ServicePort, ZeroTrustNamespace } from 'zero-trust-mesh';
import { MeshDeployment, MeshDeploymentArgs } from 'zero-trust-mesh/pulumi';
import { isSecretWire, mockStack, plainOccurrences, Registration, unwrapSecrets } from '../helpers/pulumi-harness.js';

const PASSWORD = 'a-cache-password-nobody-knows';
const COMPONENT = 'zero-trust-mesh:index:MeshDeployment';

/** A small mesh of its own: web → cache (TCP, reading a Secret). */
function smallMesh(options: { gateway?: IngressGateway; extra?: (mesh: Mesh) => void } = {}): Mesh {
  const mesh = new Mesh(new App(), 'test', { stage: 'prod', ...(options.gateway ? { ingressGateway: options.gateway } : {}) });
  const team = new ZeroTrustNamespace(mesh, 'team');
  const web = new MeshWorkload(team, 'web', { image: 'ghcr.io/acme/web:1.0.0', ports: [ServicePort.http(8080)] });
  const cache = new MeshWorkload(team, 'cache', {
    image: 'docker.io/library/redis:7.4.1', ports: [ServicePort.tcp(6379, { suffix: 'redis' })],
    env: { REDIS_PASSWORD: EnvValue.fromSecretKey('cache-auth', 'password') },
    securityContext: { runAsUser: 999, runAsGroup: 999 },
  });
  cache.allowFrom(web, { ports: [6379] });
  options.extra?.(mesh);
  return mesh;
}

/** Deploys under mocks and waits until every registration reached the (mock) engine. */
async function deploy(args: () => MeshDeploymentArgs): Promise<{ registrations: Registration[]; deployment?: MeshDeployment; error?: unknown }> {
  const registrations = await mockStack('test', {});
  let deployment: MeshDeployment | undefined;
  let error: unknown;
  try {
    deployment = new MeshDeployment('team', args());
  } catch (e) {
    error = e;
  }
  await pulumi.runtime.disconnect();
  return { registrations, ...(deployment ? { deployment } : {}), ...(error ? { error } : {}) };
}

const secret = () => ({ 'team/cache-auth': { password: PASSWORD } });

describe('MeshDeployment', () => {
  test('registers the mesh\'s objects as its children, named <component>/<namespace>/<name>, plus the Secret', async () => {
    const mesh = smallMesh();
    const expected = mesh.toJson().map((m: { kind: string; metadata: { namespace?: string; name: string } }) => `${m.kind} team/${m.metadata.namespace ? `${m.metadata.namespace}/` : ''}${m.metadata.name}`);
    const { registrations, deployment } = await deploy(() => ({ mesh, secrets: secret() }));
    const component = registrations.find((r) => r.type === COMPONENT)!;
    expect(component.name).toBe('team');
    const children = registrations.filter((r) => r.custom);
    expect(children.every((r) => r.urn.includes(`${COMPONENT}$`))).toBe(true);
    expect(children.map((r) => `${(unwrapSecrets(r.wire) as { kind?: string }).kind ?? 'Secret'} ${r.name}`).sort())
      .toEqual([...expected, 'Secret team/team/cache-auth'].sort());
    expect(deployment!.namespaces).toEqual(['team']);
    expect(deployment!.objects.size).toBe(expected.length + 1);
  });

  test('the cache starts only after its identity, its Secret and every policy that protects it', async () => {
    const { registrations } = await deploy(() => ({ mesh: smallMesh(), secrets: secret() }));
    const urn = (name: string) => registrations.find((r) => r.name === name)!.urn;
    expect(registrations.find((r) => r.name === 'team/team/cache' && r.type === 'kubernetes:apps/v1:Deployment')!.dependencies).toEqual(expect.arrayContaining([
      urn('team/team'), urn('team/team/cache-auth'),
      registrations.find((r) => r.name === 'team/team/cache' && r.type === 'kubernetes:core/v1:ServiceAccount')!.urn,
      registrations.find((r) => r.name === 'team/team/allow-nothing')!.urn,
      registrations.find((r) => r.name === 'team/team/cache' && r.type === 'kubernetes:security.istio.io/v1:AuthorizationPolicy')!.urn,
      registrations.find((r) => r.name === 'team/istio-system/default')!.urn,
    ]));
  });

  test('Secret values are Pulumi secrets: wrapped on the wire, in no plain input', async () => {
    const { registrations } = await deploy(() => ({ mesh: smallMesh(), secrets: secret() }));
    const stored = registrations.find((r) => r.type === 'kubernetes:core/v1:Secret')!;
    expect(isSecretWire((stored.wire.stringData as Record<string, unknown>).password) || isSecretWire(stored.wire.stringData)).toBe(true);
    expect(registrations.flatMap((r) => plainOccurrences(r.wire, PASSWORD))).toEqual([]);
  });

  test('a Secret created by other tooling is read, not created, when listed in existingSecrets', async () => {
    const { registrations } = await deploy(() => ({ mesh: smallMesh(), existingSecrets: ['team/cache-auth'] }));
    expect(registrations.filter((r) => r.type === 'kubernetes:core/v1:Secret')).toEqual([]);
    expect(registrations.some((r) => r.type === 'kubernetes:apps/v1:Deployment')).toBe(true);
  });

  test('installs Istio first when asked, with the mesh\'s root namespace, trust domain and Helm gateway', async () => {
    const { registrations } = await deploy(() => ({ mesh: smallMesh(), secrets: secret(), istio: { version: '1.30.3' } }));
    const releases = registrations.filter((r) => r.type === 'kubernetes:helm.sh/v3:Release').map((r) => unwrapSecrets(r.wire) as Record<string, any>);
    expect(releases.map((r) => [r.name, r.chart, r.version, r.namespace])).toEqual([
      ['istio-base', 'base', '1.30.3', 'istio-system'], ['istiod', 'istiod', '1.30.3', 'istio-system'], ['istio-ingressgateway', 'gateway', '1.30.3', 'istio-system'],
    ]);
    expect(releases[1]!.values.meshConfig.trustDomain).toBe('cluster.local');
    // The mesh-wide egress mode is the mesh's, as every namespace's Sidecar states it.
    expect(releases[1]!.values.meshConfig.outboundTrafficPolicy).toEqual({ mode: 'REGISTRY_ONLY' });
    const releaseUrns = registrations.filter((r) => r.type === 'kubernetes:helm.sh/v3:Release').map((r) => r.urn);
    for (const r of registrations.filter((x) => x.type.includes('istio.io') || x.type === 'kubernetes:apps/v1:Deployment')) {
      expect(r.dependencies).toEqual(expect.arrayContaining(releaseUrns));
    }
  });

  test('installs ambient mode (istiod profile ambient, cni, ztunnel) when a namespace runs ambient, before the gateway', async () => {
    const mesh = new Mesh(new App(), 'test', { stage: 'prod', dataplane: Dataplane.AMBIENT });
    const team = new ZeroTrustNamespace(mesh, 'team');
    const web = new MeshWorkload(team, 'web', { image: 'ghcr.io/acme/web:1.0.0' });
    new MeshWorkload(team, 'api', { image: 'ghcr.io/acme/api:1.0.0', ports: [ServicePort.http(8080)] }).allowFrom(web, { methods: ['GET'] });
    const { registrations, error } = await deploy(() => ({ mesh, istio: { version: '1.30.3' } }));
    expect(error).toBeUndefined();
    const releases = registrations.filter((r) => r.type === 'kubernetes:helm.sh/v3:Release');
    const wire = releases.map((r) => unwrapSecrets(r.wire) as Record<string, any>);
    expect(wire.map((r) => [r.name, r.chart])).toEqual([
      ['istio-base', 'base'], ['istiod', 'istiod'], ['istio-cni', 'cni'], ['ztunnel', 'ztunnel'], ['istio-ingressgateway', 'gateway'],
    ]);
    expect(wire[1]!.values.profile).toBe('ambient');
    expect(wire[2]!.values.profile).toBe('ambient');
    const urn = (name: string) => releases.find((r) => (unwrapSecrets(r.wire) as Record<string, any>).name === name)!.urn;
    expect(releases[4]!.dependencies).toContain(urn('ztunnel'));
    expect(releases[3]!.dependencies).toContain(urn('istio-cni'));
  });

  test('a sidecar mesh gets no ambient components', async () => {
    const { registrations } = await deploy(() => ({ mesh: smallMesh(), secrets: secret(), istio: { version: '1.30.3' } }));
    const wire = registrations.filter((r) => r.type === 'kubernetes:helm.sh/v3:Release').map((r) => unwrapSecrets(r.wire) as Record<string, any>);
    expect(wire.map((r) => r.chart)).not.toContain('ztunnel');
    expect(wire[1]!.values.profile).toBeUndefined();
  });

  test.each<[string, () => MeshDeploymentArgs, RegExp]>([
    ['a Secret a workload reads, neither given nor known to exist', () => ({ mesh: smallMesh() }),
      /MeshDeployment "team": secrets: Deployment\/team\/cache reads Secret "team\/cache-auth" \(key "password"\).*existingSecrets/],
    ['a Secret without the key the workload reads', () => ({ mesh: smallMesh(), secrets: { 'team/cache-auth': { pass: PASSWORD } } }),
      /secrets\["team\/cache-auth"\]: has no key "password"/],
    ['Istio installed with Helm for a mesh bound to istioctl\'s gateway', () => ({ mesh: smallMesh({ gateway: IngressGateway.istioctl() }), secrets: secret(), istio: { version: '1.30.3' } }),
      /MeshDeployment "team": istio: .*not installed by Istio's Helm gateway chart/],
    ['an analyzer error (a hand-written spiffe:// principal)', () => ({
      mesh: smallMesh({
        extra: (mesh) => new ApiObject(mesh, 'legacy', {
          apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'legacy', namespace: 'team' },
          spec: { selector: { matchLabels: { app: 'web' } }, rules: [{ from: [{ source: { principals: ['spiffe://cluster.local/ns/team/sa/cache'] } }] }] },
        }),
      }),
      secrets: secret(),
    }), /Mesh "test": the zero-trust-mesh policy analyzer found 1 error[\s\S]*spiffe:\/\//],
  ])('refuses %s with a RunError, registering nothing', async (_, args, message) => {
    const { registrations, error } = await deploy(args);
    expect(error).toBeInstanceOf(pulumi.RunError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toMatch(/Nothing was registered\.$/);
    expect(registrations).toEqual([]);
  });
});
