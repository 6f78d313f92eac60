// ZT751–ZT756: what NetworkPolicy, the Sidecar's egress scope and ServiceEntry visibility do to the
// mesh, finding by finding: who is reported, on which object, with which message, and what is not
// reported (issue 21: the module had only the trigger-and-clean table of checks.test.ts).
import { NETWORK_CHECKS } from '../../../analysis/checks/network.js';
import { app, BASE, foundIn, istio, join, ns } from '../fixtures.js';

const np = (name: string, spec: string, namespace = 'shop') => `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: ${name}, namespace: ${namespace}}\nspec: ${spec}\n`;
const ap = (name: string, spec: string, annotations?: string) => istio('AuthorizationPolicy', 'shop', name, spec, annotations);
/** Egress to every namespace on DNS and istiod's port: what a sidecar pod needs. */
const MESH_EGRESS = '{to: [{namespaceSelector: {}}], ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 15012}]}';
const WEB = 'cluster.local/ns/shop/sa/web';
/** api admits web by principal on every port. */
const grantApi = (source: string, extra = '') => ap('x', `{selector: {matchLabels: {app: api}}, ${extra}rules: [{from: [{source: ${source}}]}]}`);
const GRANT_WEB_API = grantApi(`{principals: ["${WEB}"]}`);
/** api's ingress admits only pods labelled app=gateway. */
const API_INGRESS = np('api-ingress', '{podSelector: {matchLabels: {app: api}}, ingress: [{from: [{podSelector: {matchLabels: {app: gateway}}}]}]}');
const objects = (yaml: string, code: string, options: Parameters<typeof foundIn>[2] = {}) => foundIn(yaml, code, options).map((f) => f.object);

test('each network check has a title and the network area', () => {
  expect(NETWORK_CHECKS.map((c) => c.code)).toEqual(['ZT751', 'ZT752', 'ZT753', 'ZT754', 'ZT755', 'ZT756']);
  for (const c of NETWORK_CHECKS) {
    expect(c.area).toBe('network');
    expect(c.title.length).toBeGreaterThan(15);
  }
});

describe('ZT751: a sidecar cut off from istiod or DNS', () => {
  const isolated = (ports: string) => join(BASE, np('api-egress', `{podSelector: {matchLabels: {app: api}}, policyTypes: [Egress]${ports}}`));
  const FIX = 'add an egress rule to one of these policies: to istio-system pods app=istiod on TCP 15012 ({namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: istio-system}}, podSelector: {matchLabels: {app: istiod}}}), and to kube-system pods k8s-app=kube-dns on UDP and TCP 53.';
  const ISTIOD = 'TCP 15012 to istiod (istio-system, app=istiod) for configuration and certificates';
  const DNS = 'UDP 53 to kube-dns (kube-system, k8s-app=kube-dns) for DNS';
  const message = (missing: string, dns: boolean) => `Deployment shop/api has a sidecar and its egress is isolated by NetworkPolicy shop/api-egress, whose rules do not allow ${missing}: the proxy gets no configuration or certificates${dns ? ' and cannot resolve names' : ''}, so the pod never becomes ready.`;

  test.each([
    ['istiod', ', egress: [{to: [{namespaceSelector: {}}], ports: [{protocol: UDP, port: 53}]}]', ISTIOD, false],
    ['DNS (so istiod\'s name does not resolve either)', ', egress: [{to: [{namespaceSelector: {}}], ports: [{protocol: TCP, port: 15012}]}]', DNS, true],
    ['both', '', `${ISTIOD} and ${DNS}`, true],
  ])('names what is missing: %s', (_, egress, missing, dns) => {
    expect(foundIn(isolated(egress), 'ZT751')).toEqual([{ severity: 'error', object: 'Deployment shop/api', message: message(missing, dns), fix: FIX }]);
  });

  test('DNS over TCP alone does not count: the resolver asks over UDP first', () => {
    expect(foundIn(isolated(', egress: [{to: [{namespaceSelector: {}}], ports: [{protocol: TCP, port: 15012}, {protocol: TCP, port: 53}]}]'), 'ZT751').map((f) => f.message))
      .toEqual([message(DNS, true)]);
  });

  test('one reachable istiod of several is enough', () => {
    const istiod = (name: string, rev: string) => `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ${name}, namespace: istio-system}\nspec:\n  selector: {matchLabels: {app: istiod, istio.io/rev: ${rev}}}\n  template:\n    metadata: {labels: {app: istiod, istio.io/rev: ${rev}}}\n    spec: {containers: [{name: discovery, image: "istio/pilot:1", ports: [{containerPort: 15012, name: grpc-xds}]}]}\n`;
    const istiods = join(ns('istio-system', 'istio-injection: disabled'), istiod('istiod', 'stable'), istiod('istiod-canary', 'canary'));
    const toCanary = (labels: string) => join(BASE, istiods, np('api-egress', `{podSelector: {matchLabels: {app: api}}, policyTypes: [Egress], egress: [{to: [{namespaceSelector: {}}], ports: [{protocol: UDP, port: 53}]}, {to: [{namespaceSelector: {}, podSelector: {matchLabels: {${labels}}}}], ports: [{protocol: TCP, port: 15012}]}]}`));
    expect(foundIn(toCanary('istio.io/rev: canary'), 'ZT751')).toEqual([]);
    expect(objects(toCanary('istio.io/rev: none'), 'ZT751')).toEqual(['Deployment shop/api']);
  });

  test('not for pods without a sidecar, nor for pods no egress policy isolates', () => {
    const uninjected = join(BASE.replace('istio-injection: enabled', 'istio-injection: disabled'), np('api-egress', '{podSelector: {matchLabels: {app: api}}, policyTypes: [Egress]}'));
    expect(foundIn(uninjected, 'ZT751')).toEqual([]);
    expect(foundIn(join(BASE, np('api-ingress', '{podSelector: {matchLabels: {app: api}}, policyTypes: [Ingress]}')), 'ZT751')).toEqual([]);
    expect(foundIn(isolated(`, egress: [${MESH_EGRESS}]`), 'ZT751')).toEqual([]);
  });
});

describe('ZT752: a grant that a NetworkPolicy makes unreachable', () => {
  test('names the grant, its callers, the port, and the policy that drops the connections', () => {
    expect(foundIn(join(BASE, GRANT_WEB_API, API_INGRESS), 'ZT752')).toEqual([{
      severity: 'error', object: 'AuthorizationPolicy shop/x',
      message: `AuthorizationPolicy shop/x rules[0] grants principal "${WEB}" (Deployment shop/web) access to Deployment shop/api on port 8080, but the ingress rules of NetworkPolicy shop/api-ingress (isolating Deployment shop/api) admit none of those connections: the CNI drops them before any proxy sees them, so the declared access does not work and the grant is dead.`,
      fix: 'allow the callers\' pods to shop/api on 8080 in the NetworkPolicies (ingress of the destination, egress of the callers), or remove the grant.',
    }]);
  });

  test('several ports, and both sides\' policies when both drop', () => {
    const yaml = join(BASE, ap('x', `{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: ["${WEB}"]}}], to: [{operation: {ports: ["8080", "9090"]}}]}]}`), API_INGRESS,
      np('web-egress', `{podSelector: {matchLabels: {app: web}}, policyTypes: [Egress], egress: [{to: [{podSelector: {matchLabels: {app: db}}}]}, ${MESH_EGRESS}]}`));
    expect(foundIn(yaml, 'ZT752').map((f) => [f.message, f.fix])).toEqual([[expect.stringContaining(
      'access to Deployment shop/api on ports 8080, 9090, but the ingress rules of NetworkPolicy shop/api-ingress (isolating Deployment shop/api) and the egress rules of NetworkPolicy shop/web-egress (isolating the callers) admit none',
    ), 'allow the callers\' pods to shop/api on 8080, 9090 in the NetworkPolicies (ingress of the destination, egress of the callers), or remove the grant.']]);
  });

  test('names only the side that drops: a policy that admits the connection is not blamed', () => {
    const apiAdmitsWeb = np('api-ingress', '{podSelector: {matchLabels: {app: api}}, ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]}');
    const webToDbOnly = np('web-egress', `{podSelector: {matchLabels: {app: web}}, policyTypes: [Egress], egress: [{to: [{podSelector: {matchLabels: {app: db}}}]}, ${MESH_EGRESS}]}`);
    expect(foundIn(join(BASE, GRANT_WEB_API, apiAdmitsWeb, webToDbOnly), 'ZT752').map((f) => f.message)).toEqual([expect.stringContaining(
      'on port 8080, but the egress rules of NetworkPolicy shop/web-egress (isolating the callers) admit none',
    )]);
    const webToApi = np('web-egress', `{podSelector: {matchLabels: {app: web}}, policyTypes: [Egress], egress: [{to: [{podSelector: {matchLabels: {app: api}}}]}, ${MESH_EGRESS}]}`);
    expect(foundIn(join(BASE, GRANT_WEB_API, API_INGRESS, webToApi), 'ZT752').map((f) => f.message)).toEqual([expect.stringContaining(
      'on port 8080, but the ingress rules of NetworkPolicy shop/api-ingress (isolating Deployment shop/api) admit none',
    )]);
  });

  test('a UDP container port is judged as UDP', () => {
    const dns = join(BASE, app('shop', 'dns', { port: 5353, portName: 'udp-dns' }).replace('ports: [{containerPort: 5353, name: udp-dns}]', 'ports: [{containerPort: 9153, name: metrics}, {containerPort: 5353, name: udp-dns, protocol: UDP}]'));
    const grant = ap('x', `{selector: {matchLabels: {app: dns}}, rules: [{from: [{source: {principals: ["${WEB}"]}}], to: [{operation: {ports: ["5353"]}}]}]}`);
    const admits = (protocol: string) => np('dns-ingress', `{podSelector: {matchLabels: {app: dns}}, ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{protocol: ${protocol}, port: 5353}]}]}`);
    expect(foundIn(join(dns, grant, admits('UDP')), 'ZT752')).toEqual([]);
    expect(objects(join(dns, grant, admits('TCP')), 'ZT752')).toEqual(['AuthorizationPolicy shop/x']);
  });

  test('only when every caller is cut off on every port: one open path keeps the grant alive', () => {
    const twoPorts = ap('x', `{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: ["${WEB}"]}}], to: [{operation: {ports: ["8080", "9090"]}}]}]}`);
    const open9090 = np('api-ingress', '{podSelector: {matchLabels: {app: api}}, ingress: [{from: [{podSelector: {matchLabels: {app: gateway}}}]}, {ports: [{port: 9090}]}]}');
    expect(foundIn(join(BASE, twoPorts, open9090), 'ZT752')).toEqual([]);
    const twoCallers = grantApi('{namespaces: [shop]}');
    const webOnly = np('api-ingress', '{podSelector: {matchLabels: {app: api}}, ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]}');
    expect(foundIn(join(BASE, twoCallers, webOnly), 'ZT752')).toEqual([]);
    expect(objects(join(BASE, twoCallers, API_INGRESS), 'ZT752')).toEqual(['AuthorizationPolicy shop/x']);
  });

  test('a namespace grant names the namespace and every caller in it but the destination', () => {
    expect(foundIn(join(BASE, grantApi('{namespaces: [shop]}'), API_INGRESS), 'ZT752').map((f) => f.message)).toEqual([expect.stringMatching(
      /^AuthorizationPolicy shop\/x rules\[0\] grants namespace "shop" \(Deployment shop\/web and Deployment shop\/db\) access to Deployment shop\/api on port 8080, /,
    )]);
  });

  test('principals and namespaces in one source both have to hold', () => {
    expect(foundIn(join(BASE, grantApi(`{principals: ["${WEB}"], namespaces: [shop]}`), API_INGRESS), 'ZT752').map((f) => f.message))
      .toEqual([expect.stringContaining(`grants principal "${WEB}" and namespace "shop" (Deployment shop/web) access`)]);
    expect(foundIn(join(BASE, grantApi(`{principals: ["${WEB}"], namespaces: [edge]}`), API_INGRESS), 'ZT752')).toEqual([]);
  });

  test.each([
    ['a DENY policy', grantApi(`{principals: ["${WEB}"]}`, 'action: DENY, ')],
    ['a dry-run policy', ap('x', `{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: ["${WEB}"]}}]}]}`, 'istio.io/dry-run: "true"')],
    ['a principal of a foreign trust domain', grantApi('{principals: ["other.example/ns/shop/sa/web"]}')],
    ['a principal wildcard', grantApi('{principals: ["cluster.local/ns/shop/sa/*"]}')],
    ['a principal list with a wildcard', grantApi(`{principals: ["${WEB}", "cluster.local/ns/shop/sa/*"]}`)],
    ['a namespace wildcard', grantApi('{namespaces: ["sh*"]}')],
    ['a namespace list with a wildcard', grantApi('{namespaces: [shop, "ed*"]}')],
    ['a source by service account only', grantApi('{serviceAccounts: [web]}')],
    ['a grant to itself', ap('x', '{selector: {matchLabels: {app: api}}, rules: [{from: [{source: {principals: ["cluster.local/ns/shop/sa/api"]}}]}]}')],
  ])('%s is not judged', (_, grant) => {
    expect(foundIn(join(BASE, grant, API_INGRESS), 'ZT752')).toEqual([]);
  });

  test('a destination with no known port is not judged', () => {
    // No container port and no Service: nothing says where the grant's connections would go.
    const cache = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: cache, namespace: shop}\nspec:\n  selector: {matchLabels: {app: cache}}\n  template:\n    metadata: {labels: {app: cache}}\n    spec: {containers: [{name: app, image: "example/cache:1"}]}\n';
    const grant = ap('x', `{selector: {matchLabels: {app: cache}}, rules: [{from: [{source: {principals: ["${WEB}"]}}]}]}`);
    const isolated = np('cache-ingress', '{podSelector: {matchLabels: {app: cache}}, ingress: []}');
    expect(foundIn(join(BASE, cache, grant, isolated), 'ZT752')).toEqual([]);
    // The control: with a port named in the rule, the same grant is dead.
    expect(objects(join(BASE, cache, grant.replace('}]}]}', '}], to: [{operation: {ports: ["6379"]}}]}]}'), isolated), 'ZT752')).toEqual(['AuthorizationPolicy shop/x']);
  });

  test('callers without a sidecar and destinations without one are not judged', () => {
    const web = app('shop', 'web', { podLabels: 'sidecar.istio.io/inject: "false"' });
    expect(foundIn(join(BASE.replace(app('shop', 'web'), web), GRANT_WEB_API, API_INGRESS), 'ZT752')).toEqual([]);
    const api = app('shop', 'api', { podLabels: 'sidecar.istio.io/inject: "false"' });
    expect(foundIn(join(BASE.replace(app('shop', 'api'), api), GRANT_WEB_API, API_INGRESS), 'ZT752')).toEqual([]);
  });
});

describe('ZT753: a grant the caller\'s Sidecar egress scope makes unreachable', () => {
  const sidecarWeb = (spec: string) => istio('Sidecar', 'shop', 'web', `{workloadSelector: {labels: {app: web}}, ${spec}}`);

  test('under REGISTRY_ONLY: 502 for HTTP; the fix names the host to import', () => {
    expect(foundIn(join(BASE, GRANT_WEB_API, sidecarWeb('egress: [{hosts: ["./db.shop.svc.cluster.local"]}], outboundTrafficPolicy: {mode: REGISTRY_ONLY}')), 'ZT753')).toEqual([{
      severity: 'error', object: 'AuthorizationPolicy shop/x',
      message: `AuthorizationPolicy shop/x rules[0] grants principal "${WEB}" access to Deployment shop/api, but the caller Deployment shop/web is configured by Sidecar shop/web, whose egress hosts do not import api.shop.svc.cluster.local: under REGISTRY_ONLY its proxy answers HTTP requests to it with 502 and closes other connections. The grant is dead for this caller.`,
      fix: 'add "shop/api.shop.svc.cluster.local" (or "shop/*") to the egress hosts of Sidecar shop/web, or remove the grant.',
    }]);
  });

  test('under ALLOW_ANY: passthrough without the identity', () => {
    expect(foundIn(join(BASE, GRANT_WEB_API, sidecarWeb('egress: [{hosts: ["./db.shop.svc.cluster.local"]}]')), 'ZT753').map((f) => f.message)).toEqual([expect.stringContaining(
      'under ALLOW_ANY its proxy passes the traffic through in plaintext without its identity, so the destination\'s STRICT mTLS resets it',
    )]);
  });

  test('not for a caller whose sidecar is unknown (its namespace is not in the input)', () => {
    const edgeWeb = app('edge', 'web');
    const grant = grantApi('{principals: ["cluster.local/ns/edge/sa/web"]}');
    const sidecar = istio('Sidecar', 'edge', 'default', '{egress: [{hosts: ["./*"]}], outboundTrafficPolicy: {mode: REGISTRY_ONLY}}');
    expect(foundIn(join(BASE, edgeWeb, grant, sidecar), 'ZT753')).toEqual([]);
    // The control: the same caller in a declared, injected namespace is reported.
    expect(objects(join(BASE, ns('edge'), edgeWeb, grant, sidecar), 'ZT753')).toEqual(['AuthorizationPolicy shop/x']);
  });

  test('one imported Service of the destination is enough', () => {
    const second = 'apiVersion: v1\nkind: Service\nmetadata: {name: api-v2, namespace: shop}\nspec: {selector: {app: api}, ports: [{name: http, port: 80, targetPort: 8080}]}\n';
    expect(foundIn(join(BASE, second, GRANT_WEB_API, sidecarWeb('egress: [{hosts: ["./api-v2.shop.svc.cluster.local"]}]')), 'ZT753')).toEqual([]);
    expect(foundIn(join(BASE, second, GRANT_WEB_API, sidecarWeb('egress: [{hosts: ["./db.shop.svc.cluster.local"]}]')), 'ZT753').map((f) => f.message))
      .toEqual([expect.stringContaining('whose egress hosts do not import api.shop.svc.cluster.local and api-v2.shop.svc.cluster.local:')]);
  });

  test('not when the Sidecar imports the host, nor for a destination without a Service', () => {
    expect(foundIn(join(BASE, GRANT_WEB_API, sidecarWeb('egress: [{hosts: ["./api.shop.svc.cluster.local"]}]')), 'ZT753')).toEqual([]);
    const headless = BASE.replace(app('shop', 'api'), app('shop', 'api', { service: false }));
    expect(foundIn(join(headless, GRANT_WEB_API, sidecarWeb('egress: [{hosts: ["./db.shop.svc.cluster.local"]}]')), 'ZT753')).toEqual([]);
  });
});

describe('ZT754: an external ServiceEntry exported to every namespace', () => {
  const se = (extra: string) => join(BASE, istio('ServiceEntry', 'shop', 'bank', `{hosts: [api.bank.example, b.example], ports: [{number: 443, name: tls, protocol: TLS}], resolution: DNS${extra}}`));

  test('names its hosts and how it is exported', () => {
    expect(foundIn(se(''), 'ZT754')).toEqual([{
      severity: 'warning', object: 'ServiceEntry shop/bank',
      message: 'ServiceEntry shop/bank adds api.bank.example and b.example (outside the mesh) to the registry of every namespace (no exportTo): every namespace\'s sidecars may reach it, and under REGISTRY_ONLY the host joins every namespace\'s egress allowlist.',
      fix: 'set exportTo: ["."] (or the namespaces that need the host).',
    }]);
    expect(foundIn(se(', exportTo: [".", "*"]'), 'ZT754').map((f) => f.message)).toEqual([expect.stringContaining('(exportTo "*")')]);
  });

  test('not for an entry of the mesh, nor one exported to named namespaces', () => {
    expect(foundIn(se(', location: mesh_internal'), 'ZT754')).toEqual([]);
    expect(foundIn(se(', location: MESH_EXTERNAL, exportTo: [".", edge]'), 'ZT754')).toEqual([]);
    expect(objects(se(', location: mesh_external'), 'ZT754')).toEqual(['ServiceEntry shop/bank']);
  });
});

describe('ZT755: sidecars with ALLOW_ANY egress', () => {
  test('a Sidecar that sets ALLOW_ANY: one finding on it, listing its workloads', () => {
    expect(foundIn(join(BASE, istio('Sidecar', 'shop', 'default', '{outboundTrafficPolicy: {mode: ALLOW_ANY}}')), 'ZT755')).toEqual([{
      severity: 'warning', object: 'Sidecar shop/default',
      message: 'Sidecar shop/default sets outboundTrafficPolicy ALLOW_ANY for Deployment shop/api, Deployment shop/web and Deployment shop/db: their proxies pass traffic to any host they do not know straight through, so nothing in the mesh limits where they connect.',
      fix: 'set outboundTrafficPolicy.mode REGISTRY_ONLY and declare external hosts with ServiceEntries (exportTo "."), together with an egress NetworkPolicy.',
    }]);
  });

  test('only workloads with a sidecar are listed', () => {
    const yaml = join(BASE.replace(app('shop', 'db', { port: 3306, portName: 'tcp-mysql' }), app('shop', 'db', { port: 3306, portName: 'tcp-mysql', podLabels: 'sidecar.istio.io/inject: "false"' })),
      istio('Sidecar', 'shop', 'default', '{outboundTrafficPolicy: {mode: ALLOW_ANY}}'));
    expect(foundIn(yaml, 'ZT755').map((f) => f.message)).toEqual([expect.stringContaining('ALLOW_ANY for Deployment shop/api and Deployment shop/web:')]);
  });

  test('workloads under a Sidecar that sets ALLOW_ANY are reported on it only, not again with their namespace', () => {
    const yaml = join(BASE, ns('edge'), app('edge', 'proxy'), istio('Sidecar', 'shop', 'default', '{outboundTrafficPolicy: {mode: ALLOW_ANY}}'),
      istio('Sidecar', 'edge', 'default', '{outboundTrafficPolicy: {mode: REGISTRY_ONLY}}'));
    expect(objects(yaml, 'ZT755')).toEqual(['Sidecar shop/default']);
  });

  test('a stated REGISTRY_ONLY mesh is not reported', () => {
    expect(foundIn(BASE, 'ZT755', { outboundTrafficPolicy: 'REGISTRY_ONLY' })).toEqual([]);
    expect(objects(BASE, 'ZT755', { outboundTrafficPolicy: 'ALLOW_ANY' })).toEqual(['Namespace shop']);
  });

  const EDGE = join(ns('edge'), app('edge', 'proxy'));
  const RESTRICTED_SHOP = istio('Sidecar', 'shop', 'default', '{outboundTrafficPolicy: {mode: REGISTRY_ONLY}}');

  test('the unstated mesh default beside REGISTRY_ONLY elsewhere: one finding per namespace, on the Namespace', () => {
    expect(foundIn(join(BASE, EDGE, app('edge', 'relay'), RESTRICTED_SHOP), 'ZT755')).toEqual([{
      severity: 'warning', object: 'Namespace edge',
      message: 'Namespace edge: Deployment edge/proxy and Deployment edge/relay have no Sidecar setting an outbound traffic policy, and other Sidecars of the input set REGISTRY_ONLY, but here the mesh default applies (ALLOW_ANY unless meshConfig says otherwise; state it with --outbound-traffic-policy): their proxies pass traffic to unknown hosts straight through.',
      fix: 'add a Sidecar to namespace edge with outboundTrafficPolicy.mode REGISTRY_ONLY (or set it mesh-wide in meshConfig), declare external hosts with ServiceEntries, and add an egress NetworkPolicy for these pods that allows only what they need: UDP/TCP 53 to kube-dns, TCP 15012 to istiod, and their destinations (or the egress gateway).',
    }]);
  });

  test('the stated mesh default: says so; one workload "has"', () => {
    expect(foundIn(join(BASE, EDGE, RESTRICTED_SHOP), 'ZT755', { outboundTrafficPolicy: 'ALLOW_ANY' }).map((f) => f.message)).toEqual([
      'Namespace edge: Deployment edge/proxy has no Sidecar setting an outbound traffic policy, and the mesh\'s outboundTrafficPolicy is ALLOW_ANY: its proxy passes traffic to unknown hosts straight through.',
    ]);
  });

  test('on each workload when the Namespace is not in the input', () => {
    const injectedPods = join(app('edge', 'proxy', { podLabels: 'sidecar.istio.io/inject: "true"' }), app('edge', 'relay', { podLabels: 'sidecar.istio.io/inject: "true"' }));
    expect(foundIn(join(BASE, injectedPods, RESTRICTED_SHOP), 'ZT755').map((f) => [f.object, f.message.split(':')[0]])).toEqual([
      ['Deployment edge/proxy', 'Deployment edge/proxy'], ['Deployment edge/relay', 'Deployment edge/relay'],
    ]);
  });

  test('the unstated default alone is not judged: nothing in the input asks for egress control', () => {
    expect(foundIn(join(BASE, EDGE), 'ZT755')).toEqual([]);
    expect(foundIn(join(BASE, EDGE, istio('Sidecar', 'shop', 'default', '{egress: [{hosts: ["./*"]}]}')), 'ZT755')).toEqual([]);
  });
});

describe('ZT756: REGISTRY_ONLY egress without an egress NetworkPolicy', () => {
  const RESTRICTED_SHOP = istio('Sidecar', 'shop', 'default', '{outboundTrafficPolicy: {mode: REGISTRY_ONLY}}');
  const FIX = 'add an egress NetworkPolicy for these pods that allows only what they need: UDP/TCP 53 to kube-dns, TCP 15012 to istiod, and their destinations (or the egress gateway).';
  const bypass = 'REGISTRY_ONLY is not a firewall, and an application that bypasses its sidecar (its own UID 1337, a pod without injection, hostNetwork, excluded ports or CIDRs) reaches any address.';

  test('per Sidecar that restricts, and per namespace the mesh default restricts', () => {
    const yaml = join(BASE, ns('edge'), app('edge', 'proxy'), RESTRICTED_SHOP);
    expect(foundIn(yaml, 'ZT756', { outboundTrafficPolicy: 'REGISTRY_ONLY' })).toEqual([
      { severity: 'warning', object: 'Namespace edge', message: `Namespace edge: the mesh's outboundTrafficPolicy restricts Deployment edge/proxy to REGISTRY_ONLY, but no NetworkPolicy isolates its egress: ${bypass}`, fix: FIX },
      { severity: 'warning', object: 'Sidecar shop/default', message: `Sidecar shop/default restricts Deployment shop/api, Deployment shop/web and Deployment shop/db to REGISTRY_ONLY, but no NetworkPolicy isolates their egress: ${bypass}`, fix: FIX },
    ]);
  });

  test('only the pods no egress policy isolates', () => {
    const apiEgress = np('api-egress', `{podSelector: {matchLabels: {app: api}}, policyTypes: [Egress], egress: [${MESH_EGRESS}]}`);
    expect(foundIn(join(BASE, RESTRICTED_SHOP, apiEgress), 'ZT756').map((f) => f.message))
      .toEqual([expect.stringContaining('restricts Deployment shop/web and Deployment shop/db to REGISTRY_ONLY')]);
    const everyPod = np('egress', `{podSelector: {}, policyTypes: [Egress], egress: [${MESH_EGRESS}]}`);
    expect(foundIn(join(BASE, RESTRICTED_SHOP, everyPod), 'ZT756')).toEqual([]);
  });

  test('on each workload when the Namespace is not in the input', () => {
    const pod = app('edge', 'proxy', { podLabels: 'sidecar.istio.io/inject: "true"' });
    expect(foundIn(join(BASE, pod), 'ZT756', { outboundTrafficPolicy: 'REGISTRY_ONLY' }).filter((f) => f.object.startsWith('Deployment')).map((f) => f.message))
      .toEqual([`Deployment edge/proxy: the mesh's outboundTrafficPolicy restricts Deployment edge/proxy to REGISTRY_ONLY, but no NetworkPolicy isolates its egress: ${bypass}`]);
  });

  test('not under ALLOW_ANY, nor for pods without a sidecar', () => {
    expect(foundIn(join(BASE, istio('Sidecar', 'shop', 'default', '{outboundTrafficPolicy: {mode: ALLOW_ANY}}')), 'ZT756')).toEqual([]);
    expect(foundIn(join(BASE.replace('istio-injection: enabled', 'istio-injection: disabled'), RESTRICTED_SHOP), 'ZT756')).toEqual([]);
  });
});
