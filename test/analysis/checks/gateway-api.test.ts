// The Gateway API ingress checks (analysis/checks/gateway-api.ts) finding by finding: which
// object each reports, at which severity, and what the message says, on small manifests beside
// BASE. The table in test/analysis/checks.test.ts shows that each fires and a near-identical
// manifest is clean; these pin the branches a mutation run found untested (issue 21).
import { GATEWAY_API_CHECKS } from '../../../analysis/checks/gateway-api.js';
import { analyzedStrictly as analyzed, app, BASE, foundIn as found, istio, join, ns } from '../fixtures.js';

const GROUP = 'gateway.networking.k8s.io';
/** A Gateway API Gateway of class istio in shop (or `namespace`), with the given listeners. */
const gateway = (listeners: string, name = 'edge', namespace = 'shop', annotations = '') =>
  `apiVersion: ${GROUP}/v1\nkind: Gateway\nmetadata: {name: ${name}, namespace: ${namespace}${annotations ? `, annotations: {${annotations}}` : ''}}\nspec: {gatewayClassName: istio, listeners: [${listeners}]}\n`;
const HTTP = '{name: http, hostname: api.example.com, port: 80, protocol: HTTP}';
const route = (spec: string, namespace = 'shop', name = 'r') => `apiVersion: ${GROUP}/v1\nkind: HTTPRoute\nmetadata: {name: ${name}, namespace: ${namespace}}\nspec: ${spec}\n`;
const grant = (namespace: string, from: string, to: string) => `apiVersion: ${GROUP}/v1beta1\nkind: ReferenceGrant\nmetadata: {name: g, namespace: ${namespace}}\nspec: {from: [${from}], to: [${to}]}\n`;
const ap = (name: string, spec: string) => istio('AuthorizationPolicy', 'shop', name, spec);
/** A route from the edge Gateway to api:80 with the given parentRefs. */
const toApi = (parentRefs: string, extra = '') => route(`{parentRefs: ${parentRefs}, ${extra}rules: [{backendRefs: [{name: api, port: 80}]}]}`);

const messages = (yaml: string, code: string) => found(yaml, code).map((f) => f.message);
/** The messages of `code` on BASE plus the given documents. */
const on = (code: string, ...docs: string[]) => messages(join(BASE, ...docs), code);
/** Every ZT430–ZT432 finding, as `code: message`: which of the three a detached parentRef draws. */
const detached = (...docs: string[]) => analyzed(join(BASE, ...docs)).filter((f) => ['ZT430', 'ZT431', 'ZT432'].includes(f.code)).map((f) => `${f.code}: ${f.message}`);

test('each Gateway API check has a title (named when it fails, ZT009) and the ingress area', () => {
  for (const c of GATEWAY_API_CHECKS) {
    expect([c.code, c.area]).toEqual([c.code, 'ingress']);
    expect(c.title.length).toBeGreaterThan(15);
  }
});

describe('ZT430–ZT432: an HTTPRoute parentRef that does not attach', () => {
  test('ZT430, a missing Gateway: error, on the route, with the parentRef index', () => {
    expect(found(join(BASE, gateway(HTTP), toApi('[{name: edge}, {name: edgex}]')), 'ZT430')).toEqual([{
      severity: 'error', object: 'HTTPRoute shop/r',
      message: 'HTTPRoute shop/r parentRefs[1]: parentRef Gateway shop/edgex does not exist, so the route is attached nowhere and its requests get 404.',
      fix: 'name an existing Gateway (and listener sectionName) in parentRefs, with its namespace when it is not the route\'s.',
    }]);
  });

  test('ZT430, no listener of that sectionName or port', () => {
    expect(detached(gateway(HTTP), toApi('[{name: edge, sectionName: https}]'))).toEqual([
      'ZT430: HTTPRoute shop/r parentRefs[0]: Gateway shop/edge has no listener named "https", so the route is attached nowhere and its requests get 404.',
    ]);
    expect(detached(gateway(HTTP), toApi('[{name: edge, port: 443}]'))).toEqual([
      'ZT430: HTTPRoute shop/r parentRefs[0]: Gateway shop/edge has no listener on port 443, so the route is attached nowhere and its requests get 404.',
    ]);
  });

  test('ZT431, a namespace the listener does not admit: error, with the fix', () => {
    expect(found(join(BASE, ns('front'), gateway(HTTP), route('{parentRefs: [{name: edge, namespace: shop}], rules: [{backendRefs: [{name: api, namespace: shop, port: 80}]}]}', 'front')), 'ZT431')).toEqual([{
      severity: 'error', object: 'HTTPRoute front/r',
      message: 'HTTPRoute front/r parentRefs[0]: the allowedRoutes of Gateway shop/edge\'s listener(s) "http" do not admit routes from namespace front (from defaults to Same), so the route is not attached and its requests get 404.',
      fix: 'move the route into the Gateway\'s namespace, or admit its namespace on the listener (allowedRoutes.namespaces from: Selector with that namespace\'s label).',
    }]);
  });

  test('ZT431 too when the listener admits only other route kinds', () => {
    const tcpOnly = '{name: http, hostname: api.example.com, port: 80, protocol: HTTP, allowedRoutes: {kinds: [{kind: GRPCRoute}]}}';
    expect(detached(gateway(tcpOnly), toApi('[{name: edge}]'))).toEqual([
      'ZT431: HTTPRoute shop/r parentRefs[0]: Gateway shop/edge\'s listener(s) "http" do not admit HTTPRoutes, so the route is not attached and its requests get 404.',
    ]);
  });

  test('ZT432, hostnames that meet no listener hostname: error, with the fix', () => {
    expect(found(join(BASE, gateway(HTTP), toApi('[{name: edge}]', 'hostnames: [www.example.com], ')), 'ZT432')).toEqual([{
      severity: 'error', object: 'HTTPRoute shop/r',
      message: 'HTTPRoute shop/r parentRefs[0]: no listener hostname of Gateway shop/edge (api.example.com) intersects the route\'s hostnames (www.example.com), so the route is not attached and its requests get 404.',
      fix: 'list the listener\'s hostname in the route\'s hostnames, or correct the listener hostname.',
    }]);
  });

  test('an attached route, a mesh parent and a Gateway in a namespace the input does not cover draw none of them', () => {
    expect(detached(gateway(HTTP), toApi('[{name: edge}]', 'hostnames: [api.example.com], '))).toEqual([]);
    expect(detached(gateway(HTTP), toApi('[{group: "", kind: Service, name: api}]'))).toEqual([]);
    expect(detached(gateway(HTTP), toApi('[{name: edge, namespace: elsewhere}]'))).toEqual([]);
  });

  test('each parentRef is judged alone: one route can draw all three', () => {
    const other = '{name: other, hostname: www.example.com, port: 8080, protocol: HTTP}';
    expect(detached(ns('front'), gateway(HTTP), gateway(other, 'open', 'front'), route('{parentRefs: [{name: edge, namespace: shop}, {name: nope, namespace: shop}, {name: open}], hostnames: [api.example.com], rules: [{backendRefs: [{name: api, namespace: shop, port: 80}]}]}', 'front'))
      .sort()).toEqual([
      'ZT430: HTTPRoute front/r parentRefs[1]: parentRef Gateway shop/nope does not exist, so the route is attached nowhere and its requests get 404.',
      'ZT431: HTTPRoute front/r parentRefs[0]: the allowedRoutes of Gateway shop/edge\'s listener(s) "http" do not admit routes from namespace front (from defaults to Same), so the route is not attached and its requests get 404.',
      'ZT432: HTTPRoute front/r parentRefs[2]: no listener hostname of Gateway front/open (www.example.com) intersects the route\'s hostnames (api.example.com), so the route is not attached and its requests get 404.',
    ]);
  });
});

describe('ZT433: an HTTPRoute backend that does not exist or is not permitted', () => {
  const backends = (refs: string, namespace = 'shop') => route(`{parentRefs: [{name: edge, namespace: shop}], rules: [{backendRefs: [{name: api, namespace: shop, port: 80}]}, {backendRefs: ${refs}}]}`, namespace);

  test('a backend without a port: error, on the route, naming rule and backend', () => {
    expect(found(join(BASE, gateway(HTTP), backends('[{name: api, port: 80}, {name: web}]')), 'ZT433')).toEqual([{
      severity: 'error', object: 'HTTPRoute shop/r',
      message: 'HTTPRoute shop/r rules[1].backendRefs[1]: backendRef Service shop/web has no port (a Service reference must name one); requests sent to it get 500.',
      fix: 'name an existing Service of the route\'s namespace (or one a ReferenceGrant permits) and one of its ports.',
    }]);
  });

  test('a missing Service or port', () => {
    expect(on('ZT433', gateway(HTTP), backends('[{name: cart, port: 80}, {name: web, port: 8080}]'))).toEqual([
      'HTTPRoute shop/r rules[1].backendRefs[0]: backendRef Service shop/cart does not exist; requests sent to it get 500.',
      'HTTPRoute shop/r rules[1].backendRefs[1]: backendRef Service shop/web has no port 8080 (ports: 80); requests sent to it get 500.',
    ]);
  });

  test('another namespace\'s Service without a ReferenceGrant: the grant to add', () => {
    const yaml = join(BASE, ns('back'), app('back', 'store'), gateway(HTTP), backends('[{name: store, namespace: back, port: 80}]'));
    expect(found(yaml, 'ZT433').map((f) => [f.message, f.fix])).toEqual([[
      'HTTPRoute shop/r rules[1].backendRefs[0]: backendRef Service back/store is in another namespace, and no ReferenceGrant in namespace back lets HTTPRoutes of namespace shop refer to it (InvalidDestinationPermit); requests sent to it get 500.',
      `add a ReferenceGrant in namespace back: from [{group: ${GROUP}, kind: HTTPRoute, namespace: shop}], to [{group: "", kind: Service, name: store}].`,
    ]]);
    expect(messages(join(yaml, grant('back', `{group: ${GROUP}, kind: HTTPRoute, namespace: shop}`, '{group: "", kind: Service, name: store}')), 'ZT433')).toEqual([]);
  });

  test('silent for a backend that is no core Service, or a Service in a namespace the input does not cover', () => {
    expect(on('ZT433', gateway(HTTP), backends('[{group: example.com, kind: Bucket, name: files}]'))).toEqual([]);
    expect(on('ZT433', gateway(HTTP), backends('[{name: store, namespace: back, port: 80}]'), grant('back', `{group: ${GROUP}, kind: HTTPRoute, namespace: shop}`, '{group: "", kind: Service}'))).toEqual([]);
  });
});

describe('ZT434: an HTTPS listener whose certificate is not usable', () => {
  const https = (tls: string, name = 'https') => `{name: ${name}, hostname: api.example.com, port: 443, protocol: HTTPS${tls ? `, tls: ${tls}` : ''}}`;

  test('no certificateRefs: error, on the Gateway, with the fix', () => {
    expect(found(join(BASE, gateway(`${HTTP}, ${https('{mode: Terminate}')}`)), 'ZT434')).toEqual([{
      severity: 'error', object: 'Gateway shop/edge',
      message: 'Gateway shop/edge: listener "https" terminates TLS but has no tls.certificateRefs, so Istio does not create the listener ("Bad TLS configuration") and clients\' connections fail.',
      fix: 'set tls.certificateRefs to the TLS Secret (a core Secret, in the Gateway\'s namespace unless a ReferenceGrant permits another).',
    }]);
  });

  test('a Secret of another namespace without a ReferenceGrant: the grant to add; each listener is judged', () => {
    const yaml = join(BASE, ns('certs'), gateway(`${https('{certificateRefs: [{name: api-tls}]}')}, ${https('{certificateRefs: [{name: www-tls, namespace: certs}]}', 'www')}`));
    expect(found(yaml, 'ZT434').map((f) => [f.message, f.fix])).toEqual([[
      'Gateway shop/edge: listener "www" uses Secret certs/www-tls, but no ReferenceGrant in namespace certs lets Gateways of namespace shop refer to it, so Istio does not create the listener ("Bad TLS configuration") and clients\' connections fail.',
      `add a ReferenceGrant in the Secret's namespace: from [{group: ${GROUP}, kind: Gateway, namespace: shop}], to [{group: "", kind: Secret, name: <secret>}], or move the Secret into namespace shop.`,
    ]]);
    expect(messages(join(yaml, grant('certs', `{group: ${GROUP}, kind: Gateway, namespace: shop}`, '{group: "", kind: Secret, name: www-tls}')), 'ZT434')).toEqual([]);
  });

  test('silent for Istio\'s own Gateway kind and for a listener that does not terminate TLS', () => {
    expect(on('ZT434', gateway(`${HTTP}, {name: tls, port: 443, protocol: TLS, tls: {mode: Passthrough}}`))).toEqual([]);
    expect(on('ZT434', istio('Gateway', 'shop', 'gw', '{selector: {istio: ingressgateway}, servers: [{port: {number: 443, name: https, protocol: HTTPS}, hosts: ["shop/api.example.com"], tls: {mode: SIMPLE, credentialName: api-tls}}], listeners: [{name: https, port: 443, protocol: HTTPS}]}'))).toEqual([]);
  });
});

describe('ZT435: a policy that names a Gateway API gateway by the Gateway\'s own name', () => {
  const fromSa = (sa: string) => ap('from-edge', `{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: ["cluster.local/ns/shop/sa/${sa}"]}}]}]}`);

  test('the finding: warning, on the policy, with the principal Istio\'s deployment has', () => {
    expect(found(join(BASE, gateway(HTTP), fromSa('edge')), 'ZT435')).toEqual([{
      severity: 'warning', object: 'AuthorizationPolicy shop/from-edge',
      message: 'AuthorizationPolicy shop/from-edge rules[0]: principal "cluster.local/ns/shop/sa/edge" names the Gateway shop/edge itself, but the gateway Istio deploys for it runs as ServiceAccount "edge-istio"; the rule matches nobody.',
      fix: 'write "cluster.local/ns/shop/sa/edge-istio" (istio.io, "Kubernetes Gateway API" task; docs/gateway-api.md).',
    }]);
  });

  test('a ServiceAccount override names the account to use, and is fine when it is the Gateway\'s name', () => {
    expect(found(join(BASE, gateway(HTTP, 'edge', 'shop', 'gateway.istio.io/service-account: ingress'), fromSa('edge')), 'ZT435').map((f) => f.fix))
      .toEqual(['write "cluster.local/ns/shop/sa/ingress" (istio.io, "Kubernetes Gateway API" task; docs/gateway-api.md).']);
    expect(on('ZT435', gateway(HTTP, 'edge', 'shop', 'gateway.istio.io/service-account: edge'), fromSa('edge'))).toEqual([]);
  });

  test('silent for the deployed account, for a ServiceAccount of that name in the input, and for other Gateways or namespaces', () => {
    expect(on('ZT435', gateway(HTTP), fromSa('edge-istio'))).toEqual([]);
    expect(on('ZT435', gateway(HTTP, 'web'), fromSa('web'))).toEqual([]);
    expect(on('ZT435', gateway(HTTP, 'edge', 'istio-system'), fromSa('edge'))).toEqual([]);
    expect(on('ZT435', gateway(HTTP), fromSa('edgex'))).toEqual([]);
    // Values that are no principal of a workload (a wildcard, a bare name) name no Gateway.
    expect(on('ZT435', gateway(HTTP), ap('any', '{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: ["*", "edge"]}}]}]}'))).toEqual([]);
  });

  test('one finding per principal and rule, whether in principals or a source.principal condition', () => {
    const twice = ap('twice', '{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: ["cluster.local/ns/shop/sa/edge"]}}, {source: {principals: ["cluster.local/ns/shop/sa/edge"]}}], when: [{key: source.principal, values: ["cluster.local/ns/shop/sa/edge"]}]}, {from: [{source: {principals: ["cluster.local/ns/shop/sa/edge"]}}]}]}');
    expect(on('ZT435', gateway(HTTP), twice)).toEqual([expect.stringMatching(/^AuthorizationPolicy shop\/twice rules\[0\]: /), expect.stringMatching(/^AuthorizationPolicy shop\/twice rules\[1\]: /)]);
  });
});

describe('ZT436: gateway policy ports that are no listener port', () => {
  const atEdge = (spec: string, name = 'at-edge') => ap(name, spec);
  const TARGET = `targetRefs: [{group: ${GROUP}, kind: Gateway, name: edge}]`;

  test('the finding: warning, on the policy, with the stray ports and the listener ports', () => {
    expect(found(join(BASE, gateway(`${HTTP}, {name: https, hostname: api.example.com, port: 443, protocol: HTTPS, tls: {certificateRefs: [{name: api-tls}]}}`),
      atEdge(`{${TARGET}, rules: [{to: [{operation: {ports: ["443"]}}]}, {to: [{operation: {ports: ["8080", "80"]}}, {operation: {ports: ["8080", "8443"]}}]}]}`)), 'ZT436')).toEqual([{
      severity: 'warning', object: 'AuthorizationPolicy shop/at-edge',
      message: 'AuthorizationPolicy shop/at-edge rules[1]: ports 8080, 8443 are not listener ports of Gateway shop/edge (80, 443); the gateway\'s Service maps each listener port to the same container port, so the rule never matches there.',
      fix: 'use the listener ports (80, 443).',
    }]);
  });

  test('the single targetRef, and the listeners of every targeted Gateway', () => {
    expect(on('ZT436', gateway(HTTP), atEdge(`{targetRef: {group: ${GROUP}, kind: Gateway, name: edge}, rules: [{to: [{operation: {ports: ["8080"]}}]}]}`)))
      .toEqual([expect.stringContaining('rules[0]: ports 8080 are not listener ports of Gateway shop/edge (80);')]);
    const two = `targetRefs: [{group: ${GROUP}, kind: Gateway, name: edge}, {group: ${GROUP}, kind: Gateway, name: side}]`;
    expect(on('ZT436', gateway(HTTP), gateway('{name: alt, port: 8080, protocol: HTTP}', 'side'), atEdge(`{${two}, rules: [{to: [{operation: {ports: ["8080", "9090"]}}]}]}`)))
      .toEqual([expect.stringContaining('rules[0]: ports 9090 are not listener ports of Gateway shop/edge, Gateway shop/side (80, 8080);')]);
  });

  test('silent for a policy that targets no Gateway API gateway of its namespace', () => {
    const ports = 'rules: [{to: [{operation: {ports: ["8080"]}}]}]';
    expect(on('ZT436', gateway(HTTP), atEdge(`{targetRefs: [{kind: Gateway, name: edge}], ${ports}}`))).toEqual([]);
    expect(on('ZT436', gateway(HTTP), atEdge(`{targetRefs: [{group: ${GROUP}, kind: GatewayClass, name: edge}], ${ports}}`))).toEqual([]);
    expect(on('ZT436', gateway(HTTP), atEdge(`{targetRefs: [{group: ${GROUP}, kind: Gateway, name: other}], ${ports}}`))).toEqual([]);
    expect(on('ZT436', gateway(HTTP, 'edge', 'istio-system'), atEdge(`{${TARGET}, ${ports}}`))).toEqual([]);
    expect(on('ZT436', gateway(HTTP), atEdge(`{${TARGET}, rules: [{to: [{operation: {ports: ["80"]}}]}, {to: [{operation: {paths: ["/x"]}}]}]}`))).toEqual([]);
  });
});
