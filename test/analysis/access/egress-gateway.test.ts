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
function egressMesh(egressGateway = EgressGateway.helmChart()): Manifest[] {
  const mesh = new Mesh(new App(), 'test', { stage: 'dev', mtls: MtlsMode.STRICT, egressGateway });
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

/** The manifests with the first server of one Gateway changed. */
const editServer = (manifests: readonly Manifest[], gateway: string, change: (server: any) => any): Manifest[] =>
  edit(manifests, 'Gateway', gateway, (g) => ({ ...g, spec: { ...g.spec, servers: [change(g.spec.servers[0])] } }));
/** The Gateway for api.stripe.com:443 serving another host instead. */
const stripeServerElsewhere = (manifests: readonly Manifest[]) =>
  editServer(manifests, 'egress-api-stripe-com-443', (server) => ({ ...server, hosts: ['istio-system/other.example.com'] }));

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
    const passthrough = editServer(edit(manifests, 'DestinationRule', 'istio-egressgateway-egress-routes', () => undefined),
      'egress-api-stripe-com-443', (server) => ({ ...server, tls: { mode: 'PASSTHROUGH' } }));
    const v = await toHost(passthrough, 'shop/api', 'api.stripe.com', 443);
    expect(v.outcome).toBe('reset');
    expect(v.reason).toContain('auto mTLS sends plaintext to gateway pods (they carry no security.istio.io/tlsMode label); the gateway sees no peer identity');
  });

  test('Istio mTLS from the sidecar to a server that does not terminate it (PASSTHROUGH) fails the handshake', async () => {
    const passthrough = editServer(manifests, 'egress-api-stripe-com-443', (server) => ({ ...server, tls: { mode: 'PASSTHROUGH' } }));
    const v = await toHost(passthrough, 'shop/api', 'api.stripe.com', 443);
    expect(v.outcome).toBe('reset');
    expect(v.reason).toContain('does not terminate Istio mTLS (tls.mode PASSTHROUGH)');
  });

  test('a Gateway without a server for the host: no route at the gateway', async () => {
    expect((await toHost(stripeServerElsewhere(manifests), 'shop/api', 'api.stripe.com', 443)).outcome).toBe('no-route');
  });

  test('the reason walks the hops: the caller\'s scope, the route, the transport and the wire, the gateway\'s policy', async () => {
    const v = await toHost(manifests, 'shop/api', 'api.stripe.com', 443);
    expect(v.reason).toBe('api.stripe.com:443: ServiceEntry istio-system/egress-api-stripe-com-443 is imported by Sidecar shop/default of shop/api; '
      + 'VirtualService istio-system/egress-api-stripe-com-443 tls[0] sends it to the egress gateway istio-egressgateway.istio-system.svc.cluster.local:443 (subset api-stripe-com-443); '
      + 'at the egress gateway istio-system/egress-api-stripe-com-443: allowed by ns[istio-system]-policy[egress-api-stripe-com-443]-rule[0] '
      + '(DestinationRule istio-system/istio-egressgateway-egress-routes subset api-stripe-com-443 sets tls.mode ISTIO_MUTUAL; NetworkPolicy shop/api egress[0] admits 443/TCP); '
      + 'the gateway\'s own connection to api.stripe.com is not simulated');
    expect((await toHost(stripeServerElsewhere(manifests), 'shop/api', 'api.stripe.com', 443)).reason).toMatch(
      /^api\.stripe\.com:443: .*\(subset api-stripe-com-443\); NetworkPolicy shop\/api egress\[0\] admits 443\/TCP; Gateway istio-system\/egress-api-stripe-com-443 has no server for api\.stripe\.com on port 443, so the gateway has no route for it/);
  });

  test('the wire notes: none without NetworkPolicy on the path, each admitting rule when both ends are isolated', async () => {
    const open = manifests.filter((m) => m.kind !== 'NetworkPolicy');
    expect((await toHost(open, 'shop/api', 'api.stripe.com', 443)).reason).toContain('sets tls.mode ISTIO_MUTUAL); the gateway\'s own connection');
    expect((await toHost(stripeServerElsewhere(open), 'shop/api', 'api.stripe.com', 443)).reason).toContain('(subset api-stripe-com-443); Gateway istio-system/egress-api-stripe-com-443 has no server');
    const gatewayIngress: Manifest = {
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'egress-in', namespace: 'istio-system' },
      spec: { podSelector: { matchLabels: { istio: 'egressgateway' } }, policyTypes: ['Ingress'], ingress: [{ ports: [{ port: 443 }] }] },
    };
    expect((await toHost(stripeServerElsewhere([...manifests, gatewayIngress]), 'shop/api', 'api.stripe.com', 443)).reason)
      .toContain('; NetworkPolicy shop/api egress[0] admits 443/TCP; NetworkPolicy istio-system/egress-in ingress[0] admits 443/TCP; Gateway');
    // A route to the gateway's Service without a subset names none.
    const noSubset = edit(manifests, 'VirtualService', 'egress-api-stripe-com-443', (vs) => ({
      ...vs, spec: { ...vs.spec, tls: vs.spec.tls.map((r: any) => ({ ...r, route: r.route.map((d: any) => ({ ...d, destination: { host: d.destination.host, port: d.destination.port } })) })) },
    }));
    expect((await toHost(noSubset, 'shop/api', 'api.stripe.com', 443)).reason).toContain('sends it to the egress gateway istio-egressgateway.istio-system.svc.cluster.local:443; ');
  });

  test('an HTTP host is refused the same way: plaintext to an ISTIO_MUTUAL server, or Istio mTLS to a server without TLS, fails the handshake', async () => {
    // A handshake failure, not the gateway policy's 403: the request never reaches the policy.
    const noRule = edit(manifests, 'DestinationRule', 'istio-egressgateway-egress-routes', () => undefined);
    expect((await toHost(noRule, 'shop/web', 'status.partner.example', 80)).outcome).toBe('reset');
    const plainServer = editServer(manifests, 'egress-status-partner-example-80', (server) => ({ ...server, tls: undefined }));
    const v = await toHost(plainServer, 'shop/web', 'status.partner.example', 80);
    expect(v.outcome).toBe('reset');
    expect(v.reason).toContain('server does not terminate Istio mTLS (tls.mode none)');
  });

  test('the gateway\'s policy sees the request as sent: GET / with the host as Host unless the request says otherwise', async () => {
    const operation = { methods: ['GET'], paths: ['/'], hosts: ['status.partner.example'] };
    const narrowed = edit(manifests, 'AuthorizationPolicy', 'egress-status-partner-example-80', (p) => ({ ...p, spec: { ...p.spec, rules: [{ ...p.spec.rules[0], to: [{ operation }] }] } }));
    const call = (request: Record<string, unknown>) => simulate(narrowed).check({ from: { workload: 'shop/web' }, toHost: 'status.partner.example', port: 80, ...request });
    expect((await call({})).outcome).toBe('allow');
    expect((await call({ method: 'POST' })).outcome).toBe('deny-403');
    expect((await call({ path: '/admin' })).outcome).toBe('deny-403');
    expect((await call({ headers: { Host: 'other.example' } })).outcome).toBe('deny-403');
  });

  test('the wire port to the gateway is its Service\'s targetPort when the Service is in the manifests', async () => {
    const service = (targetPort: number | string): Manifest => ({
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'istio-egressgateway', namespace: 'istio-system' },
      spec: { selector: { istio: 'egressgateway' }, ports: [{ name: 'http2', port: 80, targetPort: 8080 }, { name: 'https', port: 443, targetPort }] },
    });
    // istioctl's gateway listens on 8443 behind Service port 443; the constructs' NetworkPolicy admits 8443.
    const istioctl = egressMesh(EgressGateway.istioctl());
    expect((await toHost([...istioctl, service(8443)], 'shop/api', 'api.stripe.com', 443)).outcome).toBe('allow');
    // The same Service in front of the Helm chart's gateway, whose NetworkPolicy admits 443 only.
    const helm = await toHost([...manifests, service(8443)], 'shop/api', 'api.stripe.com', 443);
    expect(helm.outcome).toBe('dropped');
    expect(helm.reason).toContain('no egress rule allows 8443/TCP');
    // A named targetPort is the pods' own port name, not in the manifests: the Service port stands in.
    expect((await toHost([...manifests, service('https')], 'shop/api', 'api.stripe.com', 443)).outcome).toBe('allow');
  });

  test('the access matrix: each external host reachable from exactly the workloads granted it', async () => {
    const matrix = await accessMatrix(simulate(manifests));
    const reach = (host: string, port: number) => matrix.filter((c) => c.external && c.to === host && c.port === port && c.outcome === 'allow').map((c) => c.from).sort();
    expect(reach('api.stripe.com', 443)).toEqual(['shop/api']);
    expect(reach('status.partner.example', 80)).toEqual(['billing/ledger', 'shop/web']);
  });
});
