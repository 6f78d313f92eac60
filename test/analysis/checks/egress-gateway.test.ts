// ZT757–ZT758: an egress gateway tells callers apart only over Istio mTLS it terminates.
import { App } from 'cdk8s';
import { analyze } from '../../../analysis/analyze.js';
import { EGRESS_GATEWAY_CHECKS } from '../../../analysis/checks/egress-gateway.js';
import { EgressGateway, ExternalHost, Mesh, MeshWorkload, MtlsMode, ServicePort, ZeroTrustNamespace } from '../../../constructs/index.js';
import type { Manifest } from '../../../manifests/index.js';
import { analyzeYaml, BASE, istio, join, ns } from '../fixtures.js';

function egressMesh(): any[] {
  const mesh = new Mesh(new App(), 'test', { stage: 'dev', mtls: MtlsMode.STRICT, egressGateway: EgressGateway.helmChart() });
  const shop = new ZeroTrustNamespace(mesh, 'shop');
  const api = new MeshWorkload(shop, 'api', { image: 'registry.example.com/api:1.0', ports: [ServicePort.http(8000)] });
  api.allowTo(ExternalHost.https('api.stripe.com'));
  return structuredClone(mesh.synthesize().manifests) as any[];
}

const findings = (manifests: readonly unknown[], code: string) =>
  analyze(manifests as Manifest[], { rootNamespace: 'istio-system', trustDomain: 'cluster.local' }).filter((f) => f.code === code);
const passthrough = (manifests: any[]) => manifests.map((m) => (m.kind === 'Gateway'
  ? { ...m, spec: { ...m.spec, servers: m.spec.servers.map((s: any) => ({ ...s, tls: { mode: 'PASSTHROUGH' } })) } } : m));

test('what the constructs write is clean: ISTIO_MUTUAL on both ends', () => {
  const manifests = egressMesh();
  expect(findings(manifests, 'ZT757')).toEqual([]);
  expect(findings(manifests, 'ZT758')).toEqual([]);
});

test('ZT757: an ALLOW by principal on a PASSTHROUGH egress server never matches', () => {
  const [finding, ...rest] = findings(passthrough(egressMesh()), 'ZT757');
  expect(rest).toEqual([]);
  expect(finding).toMatchObject({ kind: 'AuthorizationPolicy', namespace: 'istio-system', name: 'egress-api-stripe-com-443', severity: 'error' });
  expect(finding!.message).toContain('tls.mode PASSTHROUGH');
  expect(finding!.message).toContain('every call through that server is denied');
});

test('ZT757: a DENY by namespace there never applies (fails open)', () => {
  const manifests = passthrough(egressMesh()).map((m) => (m.kind === 'AuthorizationPolicy' && m.metadata.namespace === 'istio-system'
    ? { ...m, spec: { ...m.spec, action: 'DENY', rules: [{ from: [{ source: { namespaces: ['ops'] } }] }] } } : m));
  const [finding] = findings(manifests, 'ZT757');
  expect(finding!.message).toContain('the DENY never applies');
});

test('ZT757: a policy on SNI alone is fine on a PASSTHROUGH server', () => {
  const manifests = passthrough(egressMesh()).map((m) => (m.kind === 'AuthorizationPolicy' && m.metadata.namespace === 'istio-system'
    ? { ...m, spec: { ...m.spec, rules: [{ when: [{ key: 'connection.sni', values: ['api.stripe.com'] }] }] } } : m));
  expect(findings(manifests, 'ZT757')).toEqual([]);
});

test('ZT758: an ISTIO_MUTUAL egress server without the callers\' DestinationRule', () => {
  const manifests = egressMesh().filter((m) => m.kind !== 'DestinationRule');
  const [finding, ...rest] = findings(manifests, 'ZT758');
  expect(rest).toEqual([]);
  expect(finding).toMatchObject({ kind: 'VirtualService', name: 'egress-api-stripe-com-443', severity: 'warning' });
  expect(finding!.message).toContain('sidecars in istio-system and shop have no DestinationRule ISTIO_MUTUAL');
});

// The same checks finding by finding on hand-written manifests beside BASE: which policy or route
// each reports, at which severity, and the branches a mutation run found untested (issue 21).
describe('on manifests', () => {
  test('each egress gateway check has a title (named when it fails, ZT009) and the network area', () => {
    for (const c of EGRESS_GATEWAY_CHECKS) {
      expect([c.code, c.area]).toEqual([c.code, 'network']);
      expect(c.title.length).toBeGreaterThan(15);
    }
  });

  const WEB = '"cluster.local/ns/shop/sa/web"';
  /** api.stripe.com (and `more` hosts) routed from shop's sidecars through the egress gateway, whose server has `serverTls`. */
  const route = (serverTls: string, o: { hosts?: string[]; exportTo?: string; subset?: boolean; portLevel?: string } = {}) => {
    const hosts = o.hosts ?? ['api.stripe.com'];
    const exportTo = o.exportTo ?? '[".", shop]';
    const subset = o.subset ?? true;
    return [
      ...hosts.map((h) => istio('ServiceEntry', 'istio-system', h.split('.')[1]!, `{hosts: [${h}], exportTo: [".", shop], location: MESH_EXTERNAL, resolution: DNS, ports: [{number: 443, name: tls, protocol: TLS}]}`)),
      istio('Gateway', 'istio-system', 'egress', `{selector: {istio: egressgateway}, servers: [{port: {number: 443, name: tls, protocol: TLS}, hosts: [${hosts.map((h) => `istio-system/${h}`).join(', ')}]${serverTls ? `, tls: {mode: ${serverTls}}` : ''}}]}`),
      istio('VirtualService', 'istio-system', 'stripe', `{hosts: [${hosts.join(', ')}], gateways: [mesh, istio-system/egress], exportTo: ${exportTo}, tls: [{match: [{gateways: [mesh], port: 443}], route: [{destination: {host: istio-egressgateway.istio-system.svc.cluster.local${subset ? ', subset: stripe' : ''}, port: {number: 443}}}]}]}`),
      istio('DestinationRule', 'istio-system', 'egress', `{host: istio-egressgateway.istio-system.svc.cluster.local, exportTo: [".", shop], subsets: [{name: stripe, trafficPolicy: {portLevelSettings: [${o.portLevel ?? ''}]}}]}`),
    ];
  };
  const egressPolicy = (spec: string, name = 'egress') => istio('AuthorizationPolicy', 'istio-system', name, `{selector: {matchLabels: {istio: egressgateway}}, ${spec}}`);
  /** The findings of one code; a check that throws (ZT009, "check failed") fails the test instead of staying silent. */
  const found = (code: string, ...docs: string[]) => {
    const findings = analyzeYaml(join(BASE, ...docs));
    expect(findings.filter((f) => f.code === 'ZT009').map((f) => f.message)).toEqual([]);
    return findings.filter((f) => f.code === code)
      .map((f) => ({ severity: f.severity, object: `${f.kind} ${f.namespace}/${f.name}`, message: f.message, fix: f.fix }));
  };
  const messages = (code: string, ...docs: string[]) => found(code, ...docs).map((f) => f.message);

  describe('ZT757: a policy by identity on an egress gateway server that does not terminate Istio mTLS', () => {
    test('the finding: error, on the policy, naming the server\'s mode, the rules by identity and the effect', () => {
      expect(found('ZT757', ...route('SIMPLE'), egressPolicy(`rules: [{from: [{source: {principals: [${WEB}]}}]}, {to: [{operation: {ports: ["443"]}}]}, {from: [{source: {namespaces: [shop]}}]}]`))).toEqual([{
        severity: 'error', object: 'AuthorizationPolicy istio-system/egress',
        message: 'AuthorizationPolicy istio-system/egress applies to egress gateway istio-system/istio-egressgateway, where api.stripe.com arrives on Gateway istio-system/egress port 443 with tls.mode SIMPLE: the gateway does not terminate Istio mTLS there and sees no peer identity, and rules[0] and rules[2] name callers by principal or namespace, so they never match and every call through that server is denied.',
        fix: 'set tls.mode ISTIO_MUTUAL on the Gateway server and a DestinationRule ISTIO_MUTUAL (sni: the host) for the gateway\'s Service on the callers\' side (https://istio.io/latest/docs/tasks/traffic-management/egress/egress-gateway/), or match on connection.sni alone.',
      }]);
    });

    test('a server without tls block, and a DENY: the DENY never applies', () => {
      expect(messages('ZT757', ...route(''), egressPolicy('action: DENY, rules: [{from: [{source: {notNamespaces: [shop]}}]}]')))
        .toEqual([expect.stringMatching(/port 443 with tls.mode none: .* rules\[0\] name callers by principal or namespace, so they never match and the DENY never applies\.$/)]);
    });

    test('every identity field counts; other source fields do not', () => {
      for (const field of ['principals', 'notPrincipals', 'namespaces', 'notNamespaces']) {
        expect([field, messages('ZT757', ...route('PASSTHROUGH'), egressPolicy(`rules: [{from: [{source: {${field}: [shop]}}]}]`))]).toEqual([field, [expect.stringContaining('rules[0] name callers')]]);
      }
      expect(messages('ZT757', ...route('PASSTHROUGH'), egressPolicy('rules: [{from: [{source: {ipBlocks: ["10.0.0.0/8"], requestPrincipals: ["*"]}}]}, {from: [{source: {principals: []}}]}]'))).toEqual([]);
      // One identity field in one of a rule's sources is enough.
      expect(messages('ZT757', ...route('PASSTHROUGH'), egressPolicy('rules: [{from: [{source: {ipBlocks: ["10.0.0.0/8"]}}, {source: {ipBlocks: ["10.1.0.0/16"], namespaces: [shop]}}]}]')))
        .toEqual([expect.stringContaining('rules[0] name callers')]);
    });

    test('silent for ISTIO_MUTUAL (in any case), for a CUSTOM or AUDIT policy, and without a server for the port', () => {
      const byPrincipal = `rules: [{from: [{source: {principals: [${WEB}]}}]}]`;
      expect(messages('ZT757', ...route('istio_mutual'), egressPolicy(byPrincipal))).toEqual([]);
      expect(messages('ZT757', ...route('PASSTHROUGH'), egressPolicy(`action: AUDIT, ${byPrincipal}`))).toEqual([]);
      expect(messages('ZT757', ...route('PASSTHROUGH'), egressPolicy(`action: CUSTOM, provider: {name: ext}, ${byPrincipal}`))).toEqual([]);
      const noServer = route('PASSTHROUGH').map((d) => d.replace('servers: [{port: {number: 443,', 'servers: [{port: {number: 8443,'));
      expect(messages('ZT757', ...noServer, egressPolicy(byPrincipal))).toEqual([]);
    });

    test('one finding per policy and Gateway, however many hosts go through it', () => {
      const byPrincipal = `rules: [{from: [{source: {principals: [${WEB}]}}]}]`;
      const twoHosts = route('PASSTHROUGH', { hosts: ['api.stripe.com', 'api.paypal.com'] });
      expect(messages('ZT757', ...twoHosts, egressPolicy(byPrincipal))).toHaveLength(1);
      expect(messages('ZT757', ...twoHosts, egressPolicy(byPrincipal), egressPolicy(byPrincipal, 'egress-2'))).toHaveLength(2);
    });
  });

  describe('ZT758: an ISTIO_MUTUAL egress server the callers reach without Istio mTLS', () => {
    test('the finding: warning, on the VirtualService, naming the namespaces without the DestinationRule and the subset', () => {
      expect(found('ZT758', ...route('ISTIO_MUTUAL'))).toEqual([{
        severity: 'warning', object: 'VirtualService istio-system/stripe',
        message: 'VirtualService istio-system/stripe sends api.stripe.com to egress gateway istio-egressgateway.istio-system.svc.cluster.local:443, whose Gateway istio-system/egress server expects Istio mTLS (ISTIO_MUTUAL), but sidecars in istio-system and shop have no DestinationRule ISTIO_MUTUAL for it: auto mTLS sends plaintext to gateway pods, the handshake fails and api.stripe.com is unreachable from there.',
        fix: 'add a DestinationRule for istio-egressgateway.istio-system.svc.cluster.local (subset stripe) with tls.mode ISTIO_MUTUAL and sni api.stripe.com, visible in those namespaces.',
      }]);
      expect(found('ZT758', ...route('ISTIO_MUTUAL', { subset: false })).map((f) => f.fix))
        .toEqual(['add a DestinationRule for istio-egressgateway.istio-system.svc.cluster.local with tls.mode ISTIO_MUTUAL and sni api.stripe.com, visible in those namespaces.']);
    });

    test('the callers are the namespaces the VirtualService is exported to by name, and its own when exported there', () => {
      expect(messages('ZT758', ns('pay'), ...route('ISTIO_MUTUAL', { exportTo: '[shop, ".", pay]' }))).toEqual([expect.stringContaining('but sidecars in istio-system, pay and shop have no')]);
      // The DestinationRule is exported to shop, not to pay: only pay's sidecars send plaintext.
      const mutual = '{port: {number: 443}, tls: {mode: ISTIO_MUTUAL, sni: api.stripe.com}}';
      expect(messages('ZT758', ns('pay'), ...route('ISTIO_MUTUAL', { exportTo: '[".", shop, pay]', portLevel: mutual }))).toEqual([expect.stringContaining('but sidecars in pay have no')]);
      expect(messages('ZT758', ...route('ISTIO_MUTUAL', { exportTo: '["*"]' }))).toEqual([expect.stringContaining('but sidecars in istio-system have no')]);
      expect(messages('ZT758', ...route('ISTIO_MUTUAL', { exportTo: '["~"]' }))).toEqual([]);
    });

    test('silent when the DestinationRule sets ISTIO_MUTUAL for the port, and for other server modes', () => {
      expect(messages('ZT758', ...route('ISTIO_MUTUAL', { portLevel: '{port: {number: 443}, tls: {mode: ISTIO_MUTUAL, sni: api.stripe.com}}' }))).toEqual([]);
      expect(messages('ZT758', ...route('ISTIO_MUTUAL', { portLevel: '{port: {number: 443}, tls: {mode: SIMPLE, sni: api.stripe.com}}' }))).toEqual([expect.stringContaining('sidecars in istio-system and shop have no')]);
      expect(messages('ZT758', ...route('PASSTHROUGH'))).toEqual([]);
      expect(messages('ZT758', ...route('SIMPLE'))).toEqual([]);
    });
  });
});

test('ZT757: a route exported only to the callers\' namespaces (not its own) is still read', () => {
  const manifests = passthrough(egressMesh()).map((m) => (m.kind === 'VirtualService' ? { ...m, spec: { ...m.spec, exportTo: ['shop'] } } : m));
  const [finding, ...rest] = findings(manifests, 'ZT757');
  expect(rest).toEqual([]);
  expect(finding).toMatchObject({ kind: 'AuthorizationPolicy', namespace: 'istio-system', name: 'egress-api-stripe-com-443', severity: 'error' });
});

test('ZT758: a route exported only to shop names shop\'s sidecars, not its own namespace\'s', () => {
  const manifests = egressMesh().filter((m) => m.kind !== 'DestinationRule')
    .map((m) => (m.kind === 'VirtualService' ? { ...m, spec: { ...m.spec, exportTo: ['shop'] } } : m));
  const [finding, ...rest] = findings(manifests, 'ZT758');
  expect(rest).toEqual([]);
  expect(finding!.message).toContain('but sidecars in shop have no DestinationRule ISTIO_MUTUAL');
});
