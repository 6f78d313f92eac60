// The simulator on egress through an egress gateway (ISTIO.md §11.4): the caller's sidecar sends
// the host to the gateway; only Istio mTLS terminated by the gateway (ISTIO_MUTUAL on both ends)
// lets the gateway's policy see who calls. Meshes come from the constructs, then are broken by hand.
import { App } from 'cdk8s';
import { AccessSimulator, Verdict } from '../../../analysis/access/simulator.js';
import { accessMatrix } from '../../../analysis/access/matrix.js';
import { MeshModel } from '../../../analysis/model.js';
import { EgressGateway, ExternalHost, Mesh, MeshWorkload, MtlsMode, ServicePort, ZeroTrustNamespace } from '../../../constructs/index.js';
import type { Manifest } from '../../../manifests/index.js';

const image = (name: string) => `registry.example.com/${name}:1.0`;

/** shop/api may call api.stripe.com (TLS), shop/web and billing/ledger may call status.partner.example (HTTP). */
function egressMesh(): Manifest[] {
  const mesh = new Mesh(new App(), 'test', { stage: 'dev', mtls: MtlsMode.STRICT, egressGateway: EgressGateway.helmChart() });
  const shop = new ZeroTrustNamespace(mesh, 'shop');
  const billing = new ZeroTrustNamespace(mesh, 'billing');
  const ops = new ZeroTrustNamespace(mesh, 'ops');
  const api = new MeshWorkload(shop, 'api', { image: image('api'), ports: [ServicePort.http(8000)] });
  const web = new MeshWorkload(shop, 'web', { image: image('web'), ports: [ServicePort.http(8000)] });
  const ledger = new MeshWorkload(billing, 'ledger', { image: image('ledger'), ports: [ServicePort.tcp(5432)] });
  new MeshWorkload(ops, 'cron', { image: image('cron') });
  api.allowTo(ExternalHost.https('api.stripe.com'));
  web.allowTo(ExternalHost.http('status.partner.example'));
  ledger.allowTo(ExternalHost.http('status.partner.example'));
  return mesh.synthesize().manifests as Manifest[];
}

const simulate = (manifests: readonly Manifest[]) => new AccessSimulator(new MeshModel(manifests.map((manifest) => ({ manifest }))), { outboundTrafficPolicy: 'REGISTRY_ONLY' });
const toHost = (manifests: readonly Manifest[], from: string, host: string, port: number): Promise<Verdict> =>
  simulate(manifests).check({ from: { workload: from }, toHost: host, port });

/** The manifests with one object replaced (or removed, when `change` returns undefined). */
function edit(manifests: readonly Manifest[], kind: string, name: string, change: (m: any) => any): Manifest[] {
  let found = false;
  const out = manifests.flatMap((m: any) => {
    if (m.kind !== kind || m.metadata.name !== name) return [m];
    found = true;
    const changed = change(structuredClone(m));
    return changed ? [changed] : [];
  });
  if (!found) throw new Error(`no ${kind} ${name}`);
  return out;
}

describe('through the egress gateway', () => {
  const manifests = egressMesh();

  test('a granted caller reaches its host through the gateway, which sees its identity', async () => {
    const v = await toHost(manifests, 'shop/api', 'api.stripe.com', 443);
    expect(v.outcome).toBe('allow');
    expect(v.reason).toContain('VirtualService istio-system/egress-api-stripe-com-443 tls[0] sends it to the egress gateway istio-egressgateway.istio-system.svc.cluster.local:443 (subset api-stripe-com-443)');
    expect(v.reason).toContain('allowed by ns[istio-system]-policy[egress-api-stripe-com-443]-rule[0]');
    expect(v.reason).toContain('tls.mode ISTIO_MUTUAL');
    const http = await toHost(manifests, 'billing/ledger', 'status.partner.example', 80);
    expect(http.outcome).toBe('allow');
  });

  test('a caller that may reach the gateway, but was not granted this host, is refused by the gateway', async () => {
    // shop/web reaches the gateway (for status.partner.example) and its namespace sees api.stripe.com (for shop/api).
    const tlsHost = await toHost(manifests, 'shop/web', 'api.stripe.com', 443);
    expect(tlsHost.outcome).toBe('reset');
    expect(tlsHost.reason).toContain('at the egress gateway istio-system/egress-api-stripe-com-443');
    expect(tlsHost.reason).toContain('peer cluster.local/ns/shop/sa/web');
    // shop/api reaches the gateway on the same port, but the HTTP host's policy names other callers: 403.
    const httpHost = await toHost(manifests, 'shop/api', 'status.partner.example', 80);
    expect(httpHost.outcome).toBe('deny-403');
  });

  test('a namespace the host is not exported to never gets a route: blocked by its own sidecar', async () => {
    const v = await toHost(manifests, 'ops/cron', 'api.stripe.com', 443);
    expect(v.outcome).toBe('blocked');
  });

  test('a pod whose NetworkPolicy does not reach the gateway is dropped before it', async () => {
    const noEgress = edit(manifests, 'NetworkPolicy', 'api', (np) => (np.metadata.namespace === 'shop' ? undefined : np));
    const v = await toHost(noEgress, 'shop/api', 'api.stripe.com', 443);
    expect(v.outcome).toBe('dropped');
    expect(v.reason).toContain('egress of shop/api (to egress gateway istio-system/egress-api-stripe-com-443)');
  });

  test('without the DestinationRule the sidecar sends plaintext, which an ISTIO_MUTUAL server refuses', async () => {
    const noRule = edit(manifests, 'DestinationRule', 'istio-egressgateway-egress-routes', () => undefined);
    const v = await toHost(noRule, 'shop/api', 'api.stripe.com', 443);
    expect(v.outcome).toBe('reset');
    expect(v.reason).toContain('auto mTLS sends plaintext to gateway pods');
  });

  test('a PASSTHROUGH server never sees the caller: a policy by principal denies everyone (ISTIO.md §11.4)', async () => {
    const passthrough = edit(
      edit(manifests, 'DestinationRule', 'istio-egressgateway-egress-routes', () => undefined),
      'Gateway', 'egress-api-stripe-com-443', (g) => ({ ...g, spec: { ...g.spec, servers: [{ ...g.spec.servers[0], tls: { mode: 'PASSTHROUGH' } }] } }),
    );
    const v = await toHost(passthrough, 'shop/api', 'api.stripe.com', 443);
    expect(v.outcome).toBe('reset');
    expect(v.reason).toContain('no peer identity');
  });

  test('Istio mTLS from the sidecar to a server that does not terminate it (PASSTHROUGH) fails the handshake', async () => {
    const passthrough = edit(manifests, 'Gateway', 'egress-api-stripe-com-443', (g) => ({ ...g, spec: { ...g.spec, servers: [{ ...g.spec.servers[0], tls: { mode: 'PASSTHROUGH' } }] } }));
    const v = await toHost(passthrough, 'shop/api', 'api.stripe.com', 443);
    expect(v.outcome).toBe('reset');
    expect(v.reason).toContain('does not terminate Istio mTLS (tls.mode PASSTHROUGH)');
  });

  test('a Gateway without a server for the host: no route at the gateway', async () => {
    const other = edit(manifests, 'Gateway', 'egress-api-stripe-com-443', (g) => ({ ...g, spec: { ...g.spec, servers: [{ ...g.spec.servers[0], hosts: ['istio-system/other.example.com'] }] } }));
    expect((await toHost(other, 'shop/api', 'api.stripe.com', 443)).outcome).toBe('no-route');
  });

  test('the access matrix: each external host reachable from exactly the workloads granted it', async () => {
    const matrix = await accessMatrix(simulate(manifests));
    const reach = (host: string, port: number) => matrix.filter((c) => c.external && c.to === host && c.port === port && c.outcome === 'allow').map((c) => c.from).sort();
    expect(reach('api.stripe.com', 443)).toEqual(['shop/api']);
    expect(reach('status.partner.example', 80)).toEqual(['billing/ledger', 'shop/web']);
  });
});
