// The Service port, injection, workload-selection, Sidecar and Telemetry checks
// (analysis/checks/workloads.ts, ZT501–ZT508, ZT601–ZT609, ZT701–ZT703, ZT801, ZT802) finding by
// finding: which object each reports, at which severity, and what the message says, on small
// manifests beside BASE. The table in test/analysis/checks.test.ts shows that each fires and a
// near-identical manifest is clean; these pin the branches a mutation run found untested (issue 21).
import { TELEMETRY_CHECKS, WORKLOAD_CHECKS } from '../../../analysis/checks/workloads.js';
import type { AnalyzeOptions } from '../../../analysis/index.js';
import { analyzeYaml, app, BASE, foundIn, foundInClean, istio, join, ns } from '../fixtures.js';

/** The findings of `code` on BASE plus the given documents, which must load cleanly. */
const on = (code: string, ...docs: string[]) => foundInClean(join(BASE, ...docs), code);
const messages = (code: string, ...docs: string[]) => on(code, ...docs).map((f) => f.message);
const objects = (code: string, ...docs: string[]) => on(code, ...docs).map((f) => f.object);
/** A Service in shop with the given spec (flow YAML). */
const service = (name: string, spec: string, namespace = 'shop') => `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: ${namespace}}\nspec: ${spec}\n`;
/** A ServiceEntry in shop. */
const se = (name: string, spec: string, namespace = 'shop') => istio('ServiceEntry', namespace, name, spec);
const sidecar = (name: string, spec: string, namespace = 'shop') => istio('Sidecar', namespace, name, spec);
const telemetry = (name: string, spec: string, namespace = 'shop') => istio('Telemetry', namespace, name, spec);
const ap = (name: string, spec: string, namespace = 'shop') => istio('AuthorizationPolicy', namespace, name, spec);
const WEB = '"cluster.local/ns/shop/sa/web"';
/** An ALLOW selecting `app: <app>` in `namespace`. */
const allowOn = (app: string, name = 'x', namespace = 'shop') => ap(name, `{selector: {matchLabels: {app: ${app}}}, rules: [{from: [{source: {principals: [${WEB}]}}]}]}`, namespace);
/** A second Deployment `name` in `namespace` whose pods carry `app: <appLabel>` (and the given labels), without a Service of its own. */
const twin = (namespace: string, appLabel: string, name: string, podLabels?: string) => app(namespace, name, { service: false, ...(podLabels ? { podLabels } : {}) }).replaceAll(`app: ${name}`, `app: ${appLabel}`);
/** cart in shop without a sidecar (pod opt-out). */
const PLAIN_CART = app('shop', 'cart', { podLabels: 'sidecar.istio.io/inject: "false"' });

test('each check has a title and the area of its hundred', () => {
  expect(WORKLOAD_CHECKS.map((c) => c.code)).toEqual(['ZT501', 'ZT502', 'ZT503', 'ZT504', 'ZT505', 'ZT506', 'ZT507', 'ZT508',
    'ZT601', 'ZT602', 'ZT603', 'ZT604', 'ZT605', 'ZT606', 'ZT607', 'ZT608', 'ZT609', 'ZT701', 'ZT702', 'ZT703']);
  const areas: Record<string, string> = { 5: 'ports', 6: 'injection', 7: 'sidecar', 8: 'telemetry' };
  for (const c of [...WORKLOAD_CHECKS, ...TELEMETRY_CHECKS]) {
    expect([c.code, c.area]).toEqual([c.code, areas[c.code[2]!]]);
    expect(c.title.length).toBeGreaterThan(15);
  }
});

describe('ZT501: a Service port of meshed pods without a protocol', () => {
  test('the finding: warning, on the Service, naming the port and its name', () => {
    expect(on('ZT501', app('shop', 'cart', { servicePortName: 'web' }))).toEqual([{
      severity: 'warning', object: 'Service shop/cart',
      message: 'Service shop/cart port 80 ("web") declares no protocol (name prefix or appProtocol), so Istio sniffs it: HTTP policy may not apply as intended, and server-first protocols break.',
      fix: 'name the port "<protocol>[-suffix]" (e.g. "http-web", "tcp-db", "grpc") or set appProtocol.',
    }]);
  });

  test('an unnamed port is reported without a name; an appProtocol or a protocol name is a declaration', () => {
    expect(messages('ZT501', service('cart', '{selector: {app: api}, ports: [{port: 81, targetPort: 8080}]}'))).toEqual([
      'Service shop/cart port 81 declares no protocol (name prefix or appProtocol), so Istio sniffs it: HTTP policy may not apply as intended, and server-first protocols break.',
    ]);
    expect(messages('ZT501', service('cart', '{selector: {app: api}, ports: [{name: web, appProtocol: http, port: 81, targetPort: 8080}, {name: grpc-x, port: 82, targetPort: 8080}]}'))).toEqual([]);
    // An appProtocol Istio does not know is ZT502's.
    const unknown = service('cart', '{selector: {app: api}, ports: [{name: web, appProtocol: foo, port: 81, targetPort: 8080}]}');
    expect([messages('ZT501', unknown), objects('ZT502', unknown)]).toEqual([[], ['Service shop/cart']]);
  });

  test('only Services with a pod that has a sidecar: pods outside the mesh have no listener to sniff', () => {
    const cart = PLAIN_CART.replace('{name: http, port: 80', '{name: web, port: 80');
    expect(messages('ZT501', cart)).toEqual([]);
    // One meshed pod among the Service's pods is enough.
    expect(objects('ZT501', cart, twin('shop', 'cart', 'cart2'))).toEqual(['Service shop/cart']);
  });
});

describe('ZT502: an appProtocol Istio does not know', () => {
  test('the finding names the port and the value; known values and absent ones pass', () => {
    expect(on('ZT502', service('cart', '{selector: {app: api}, ports: [{name: web, appProtocol: htttp, port: 81, targetPort: 8080}, {name: a, appProtocol: HTTP2, port: 82}, {name: b, appProtocol: kubernetes.io/h2c, port: 83}, {name: http-c, port: 84}]}'))).toEqual([{
      severity: 'warning', object: 'Service shop/cart',
      message: 'Service shop/cart port 81: appProtocol "htttp" is not a protocol Istio knows, so it falls back to sniffing.',
      fix: 'use http, http2, grpc, grpc-web, tcp, tls, https, mongo, mysql, redis or kubernetes.io/h2c.',
    }]);
  });
});

describe('ZT503: a Service targetPort no container declares', () => {
  test('the finding names the port, the workload and the ports it has', () => {
    expect(on('ZT503', service('api-admin', '{selector: {app: api}, ports: [{name: http, port: 81, targetPort: 9090}]}'))).toEqual([{
      severity: 'warning', object: 'Service shop/api-admin',
      message: 'Service shop/api-admin port 81 targets port 9090, which Deployment shop/api does not declare (it has 8080 "http"); port-based policy and mTLS settings keyed on it will not line up.',
      fix: 'point targetPort at a declared containerPort (or its name), or declare the port on the container.',
    }]);
  });

  test('a named targetPort is looked up by name; without targetPort the port itself is the target', () => {
    expect(messages('ZT503', service('api-admin', '{selector: {app: api}, ports: [{name: http, port: 81, targetPort: admin}]}'))).toEqual([
      'Service shop/api-admin port 81 targets named port "admin", which Deployment shop/api does not declare (it has 8080 "http"); port-based policy and mTLS settings keyed on it will not line up.',
    ]);
    expect(messages('ZT503', service('api-admin', '{selector: {app: api}, ports: [{name: http, port: 81, targetPort: http}, {name: http-2, port: 8080}]}'))).toEqual([]);
    expect(messages('ZT503', service('api-admin', '{selector: {app: api}, ports: [{name: http, port: 81}]}'))).toEqual([
      'Service shop/api-admin port 81 targets port 81, which Deployment shop/api does not declare (it has 8080 "http"); port-based policy and mTLS settings keyed on it will not line up.',
    ]);
  });

  test('any one declared container port will do, among several', () => {
    const twoPorts = app('shop', 'cart').replace('ports: [{containerPort: 8080, name: http}]', 'ports: [{containerPort: 9000, name: metrics}, {containerPort: 8080, name: http}]');
    expect(twoPorts).toContain('containerPort: 9000');
    expect(messages('ZT503', twoPorts)).toEqual([]);
    expect(messages('ZT503', twoPorts.replace('targetPort: 8080', 'targetPort: 9090'))).toEqual([
      'Service shop/cart port 80 targets port 9090, which Deployment shop/cart does not declare (it has 9000 "metrics" and 8080 "http"); port-based policy and mTLS settings keyed on it will not line up.',
    ]);
  });

  test('a container port without a name is listed by number; a pod that declares no port is not judged', () => {
    const unnamed = app('shop', 'cart').replace(', name: http}]}]}', '}]}]}').replace('targetPort: 8080', 'targetPort: 9090');
    expect(messages('ZT503', unnamed)).toEqual([
      'Service shop/cart port 80 targets port 9090, which Deployment shop/cart does not declare (it has 8080); port-based policy and mTLS settings keyed on it will not line up.',
    ]);
    const portless = app('shop', 'cart').replace(', ports: [{containerPort: 8080, name: http}]}]}', '}]}').replace('targetPort: 8080', 'targetPort: 9090');
    expect(portless).not.toContain('containerPort');
    expect(messages('ZT503', portless)).toEqual([]);
  });
});

describe('ZT504: Services that give one container port different protocols', () => {
  const raw = service('api-raw', '{selector: {app: api}, ports: [{name: tcp-raw, port: 9000, targetPort: 8080}]}');

  test('the finding: warning, on the workload, listing each Service\'s protocol', () => {
    expect(on('ZT504', raw)).toEqual([{
      severity: 'warning', object: 'Deployment shop/api',
      message: 'Deployment shop/api container port 8080 is declared as http by Service api and tcp by Service api-raw; Istio builds one inbound listener per port and picks one protocol.',
      fix: 'declare the same protocol for the port in every Service that selects the workload.',
    }]);
  });

  test('the same protocol twice, or different protocols on different ports, is no conflict', () => {
    expect(messages('ZT504', service('api-2', '{selector: {app: api}, ports: [{name: http-2, port: 9000, targetPort: 8080}, {name: tcp-x, port: 9001, targetPort: 9001}]}'))).toEqual([]);
  });

  test('a named targetPort is resolved to its container port; one that names no port is left out', () => {
    expect(objects('ZT504', service('api-raw', '{selector: {app: api}, ports: [{name: tcp-raw, port: 9000, targetPort: http}, {name: tcp-y, port: 9001, targetPort: nothing}]}'))).toEqual(['Deployment shop/api']);
    expect(objects('ZT504', service('api-raw', '{selector: {app: api}, ports: [{name: tcp-y, port: 9001, targetPort: nothing}]}'))).toEqual([]);
    // Two ports that reach no container port are not one port.
    expect(objects('ZT504', service('api-raw', '{selector: {app: api}, ports: [{name: tcp-y, port: 9001, targetPort: nothing}, {name: http-z, port: 9002, targetPort: none}]}'))).toEqual([]);
  });

  test('only for workloads in the mesh: without a proxy no listener reads the protocol', () => {
    const plainApi = BASE.replace(app('shop', 'api'), app('shop', 'api', { podLabels: 'sidecar.istio.io/inject: "false"' }));
    expect(foundIn(join(plainApi, raw), 'ZT504')).toEqual([]);
  });

  test('a workload in an undeclared namespace (sidecar unknown) is judged', () => {
    const elsewhere = join(app('other', 'api'), service('api-raw', '{selector: {app: api}, ports: [{name: tcp-raw, port: 9000, targetPort: 8080}]}', 'other'));
    expect(objects('ZT504', elsewhere)).toEqual(['Deployment other/api']);
  });
});

describe('ZT505: a Service port without a protocol, pods not in the input', () => {
  test('the finding: info, with and without a port name', () => {
    expect(on('ZT505', service('elsewhere', '{selector: {app: elsewhere}, ports: [{name: web, port: 80}, {port: 81}]}'))).toEqual([{
      severity: 'info', object: 'Service shop/elsewhere',
      message: 'Service shop/elsewhere port 80 ("web") declares no protocol (name prefix or appProtocol); if its pods are in the mesh, Istio sniffs the protocol.',
      fix: 'name the port "<protocol>[-suffix]" (e.g. "http-web", "tcp-db") or set appProtocol.',
    }, {
      severity: 'info', object: 'Service shop/elsewhere',
      message: 'Service shop/elsewhere port 81 declares no protocol (name prefix or appProtocol); if its pods are in the mesh, Istio sniffs the protocol.',
      fix: 'name the port "<protocol>[-suffix]" (e.g. "http-web", "tcp-db") or set appProtocol.',
    }]);
  });

  test('not for ExternalName Services (ZT506) nor Services whose pods the input shows (ZT501)', () => {
    expect(messages('ZT505', service('bank', '{type: ExternalName, externalName: api.bank.example, ports: [{name: web, port: 80}]}'))).toEqual([]);
    expect(messages('ZT505', service('cart', '{selector: {app: api}, ports: [{name: web, port: 81, targetPort: 8080}]}'))).toEqual([]);
    expect(messages('ZT505', PLAIN_CART.replace('{name: http, port: 80', '{name: web, port: 80'))).toEqual([]);
  });
});

describe('ZT506: an ExternalName Service port without a usable protocol', () => {
  const bank = (ports: string) => service('bank', `{type: ExternalName, externalName: api.bank.example, ports: ${ports}}`);

  test('the finding: warning, for a port named just "tcp"', () => {
    expect(on('ZT506', bank('[{name: tcp, port: 443}]'))).toEqual([{
      severity: 'warning', object: 'Service shop/bank',
      message: 'Service shop/bank is an ExternalName Service whose port 443 ("tcp") does not name a protocol Istio can use for the external host.',
      fix: 'name the port by protocol with a suffix, e.g. "http-api" or "tls-db", or set appProtocol.',
    }]);
  });

  test('a port without a protocol, named or not, is reported; a protocol name or an appProtocol is enough', () => {
    expect(messages('ZT506', bank('[{name: web, port: 8443}, {port: 8444}, {name: tls-db, port: 8445}, {name: other, appProtocol: tls, port: 8446}]'))).toEqual([
      'Service shop/bank is an ExternalName Service whose port 8443 ("web") does not name a protocol Istio can use for the external host.',
      'Service shop/bank is an ExternalName Service whose port 8444 does not name a protocol Istio can use for the external host.',
    ]);
  });

  test('an appProtocol Istio does not know is left to ZT502', () => {
    expect(messages('ZT506', bank('[{name: web, appProtocol: foo, port: 8443}]'))).toEqual([]);
    expect(objects('ZT502', bank('[{name: web, appProtocol: foo, port: 8443}]'))).toEqual(['Service shop/bank']);
  });

  test('only ExternalName Services', () => {
    expect(messages('ZT506', service('bank', '{selector: {app: api}, ports: [{name: tcp, port: 443, targetPort: 8080}]}'))).toEqual([]);
  });
});

describe('ZT507: ServiceEntries that give one host and port different protocols', () => {
  const TLS = se('bank', '{hosts: [api.bank.example], ports: [{number: 443, name: tls, protocol: TLS}], resolution: DNS}');
  const HTTP = se('bank-http', '{hosts: [api.bank.example], ports: [{number: 443, name: http, protocol: HTTP}], resolution: DNS}');
  const FIX = 'declare the host and port once, or with the same protocol everywhere, or export the entries to different namespaces.';

  test('the finding: warning, on each entry, naming both and their protocols', () => {
    const message = (entry: string) => `ServiceEntry shop/${entry}: ServiceEntry shop/${entry} and ServiceEntry shop/${entry === 'bank' ? 'bank-http' : 'bank'} define api.bank.example:443 with different protocols (${entry === 'bank' ? 'TLS and HTTP' : 'HTTP and TLS'}) and are visible together; Istio uses one of them for the port.`;
    expect(on('ZT507', TLS, HTTP)).toEqual([
      { severity: 'warning', object: 'ServiceEntry shop/bank', message: message('bank'), fix: FIX },
      { severity: 'warning', object: 'ServiceEntry shop/bank-http', message: message('bank-http'), fix: FIX },
    ]);
  });

  test('protocols compare without case, an unset protocol is one of them, other hosts and ports do not clash', () => {
    expect(messages('ZT507', TLS, se('bank-2', '{hosts: [api.bank.example], ports: [{number: 443, name: tls, protocol: tls}], resolution: DNS}'))).toEqual([]);
    expect(messages('ZT507', TLS, se('bank-2', '{hosts: [api.bank.example], ports: [{number: 443, name: x}], resolution: DNS}'))).toEqual([
      'ServiceEntry shop/bank: ServiceEntry shop/bank and ServiceEntry shop/bank-2 define api.bank.example:443 with different protocols (TLS and UNSET) and are visible together; Istio uses one of them for the port.',
      'ServiceEntry shop/bank-2: ServiceEntry shop/bank-2 and ServiceEntry shop/bank define api.bank.example:443 with different protocols (UNSET and TLS) and are visible together; Istio uses one of them for the port.',
    ]);
    expect(messages('ZT507', TLS, se('bank-2', '{hosts: [api.bank.example, www.bank.example], ports: [{number: 8443, name: http, protocol: HTTP}, {number: "443", name: h, protocol: HTTP}], resolution: DNS}'), se('www', '{hosts: [www.bank.example], ports: [{number: 443, name: http, protocol: HTTP}], resolution: DNS}'))).toEqual([]);
  });

  test('three entries: each lists the others with another protocol, once per entry and protocol (findings sorted by object)', () => {
    const third = se('bank-h2', '{hosts: [api.bank.example], ports: [{number: 443, name: http, protocol: HTTP}], resolution: DNS}');
    expect(messages('ZT507', TLS, HTTP, third)).toEqual([
      'ServiceEntry shop/bank: ServiceEntry shop/bank, ServiceEntry shop/bank-http and ServiceEntry shop/bank-h2 define api.bank.example:443 with different protocols (TLS and HTTP) and are visible together; Istio uses one of them for the port.',
      'ServiceEntry shop/bank-h2: ServiceEntry shop/bank-h2 and ServiceEntry shop/bank define api.bank.example:443 with different protocols (HTTP and TLS) and are visible together; Istio uses one of them for the port.',
      'ServiceEntry shop/bank-http: ServiceEntry shop/bank-http and ServiceEntry shop/bank define api.bank.example:443 with different protocols (HTTP and TLS) and are visible together; Istio uses one of them for the port.',
    ]);
  });

  test('entries no namespace sees together do not clash, whichever namespace each is in', () => {
    const inNs = (name: string, namespace: string, exportTo: string, protocol: string) => se(name, `{hosts: [api.bank.example], exportTo: [${exportTo}], ports: [{number: 443, name: x, protocol: ${protocol}}], resolution: DNS}`, namespace);
    expect(messages('ZT507', ns('egress'), inNs('bank', 'shop', '"."', 'TLS'), inNs('bank-http', 'egress', '"."', 'HTTP'))).toEqual([]);
    expect(objects('ZT507', ns('egress'), inNs('bank', 'shop', '"."', 'TLS'), inNs('bank-http', 'egress', 'shop', 'HTTP'))).toEqual(['ServiceEntry egress/bank-http', 'ServiceEntry shop/bank']);
  });
});

describe('ZT508: a TCP ServiceEntry port without addresses', () => {
  const ledger = (extra: string, port = '{number: 5432, name: tcp-postgres, protocol: TCP}') => se('ledger', `{hosts: [ledger.bank.example, db.bank.example], ${extra}ports: [${port}], resolution: DNS}`);

  test('the finding: warning, naming the port and the hosts its traffic is taken for', () => {
    expect(on('ZT508', ledger(''))).toEqual([{
      severity: 'warning', object: 'ServiceEntry shop/ledger',
      message: 'ServiceEntry shop/ledger port 5432 is TCP and the entry has no addresses: sidecars match its traffic by port alone, so every TCP connection to port 5432 is taken for ledger.bank.example and db.bank.example.',
      fix: 'set spec.addresses, or let Istio allocate them (DNS proxying with ISTIO_META_DNS_AUTO_ALLOCATE, https://istio.io/latest/docs/ops/configuration/traffic-management/dns-proxy/), or use a protocol routed by host (HTTP, TLS).',
    }]);
  });

  test('no protocol, or an empty one, is TCP; a lower-case tcp is TCP; other protocols are routed by host', () => {
    const without = 'ServiceEntry shop/ledger port 5432 is without a protocol (TCP) and the entry has no addresses: sidecars match its traffic by port alone, so every TCP connection to port 5432 is taken for ledger.bank.example and db.bank.example.';
    expect(messages('ZT508', ledger('', '{number: 5432, name: postgres}'))).toEqual([without]);
    expect(messages('ZT508', ledger('', '{number: 5432, name: postgres, protocol: ""}'))).toEqual([without]);
    expect(messages('ZT508', ledger('', '{number: 5432, name: postgres, protocol: tcp}'))).toHaveLength(1);
    expect(messages('ZT508', ledger('', '{number: 5432, name: postgres, protocol: TLS}'), ledger('', '{number: 80, name: http, protocol: HTTP}').replace('name: ledger', 'name: web'))).toEqual([]);
  });

  test('addresses in the spec or written by Istio to the status, or allocated by DNS proxying, avoid it', () => {
    expect(messages('ZT508', ledger('addresses: [10.20.0.5], '))).toEqual([]);
    expect(messages('ZT508', ledger('addresses: [], '))).toEqual([]);
    expect(messages('ZT508', `${ledger('')}status: {addresses: [{value: 240.240.0.1}]}\n`)).toEqual([]);
    expect(messages('ZT508', `${ledger('')}status: {addresses: []}\n`)).toHaveLength(1);
    const options: AnalyzeOptions = { autoAllocatesServiceEntryAddresses: true };
    expect(analyzeYaml(join(BASE, ledger('')), options).filter((f) => f.code === 'ZT508')).toEqual([]);
    expect(analyzeYaml(join(BASE, ledger('')), {}).filter((f) => f.code === 'ZT508')).toHaveLength(1);
  });
});

describe('ZT601: a namespace outside the mesh by omission', () => {
  const FIX = 'label the namespace istio-injection=enabled (or istio.io/rev=<revision>, or istio.io/dataplane-mode=ambient); write istio-injection=disabled if it is meant to stay outside the mesh.';

  test('the finding: warning, on the Namespace, listing the workloads that run outside the mesh', () => {
    expect(on('ZT601', ns('legacy', 'team: billing'), app('legacy', 'ledger'), app('legacy', 'audit'))).toEqual([{
      severity: 'warning', object: 'Namespace legacy',
      message: 'Namespace legacy has no istio-injection, istio.io/rev or istio.io/dataplane-mode label, so its workloads (ledger and audit) run outside the mesh: no mTLS identity, and no Istio policy is enforced on them.',
      fix: FIX,
    }]);
    expect(messages('ZT601', ns('legacy', 'team: billing'))).toEqual([
      'Namespace legacy has no istio-injection, istio.io/rev or istio.io/dataplane-mode label, so its workloads run outside the mesh: no mTLS identity, and no Istio policy is enforced on them.',
    ]);
  });

  test('pods in the mesh anyway (injection label, ambient label) and host-network pods are not listed', () => {
    const yaml = [ns('legacy', 'team: billing'), app('legacy', 'ledger'), app('legacy', 'injected', { podLabels: 'sidecar.istio.io/inject: "true"' }),
      app('legacy', 'amb', { podLabels: 'istio.io/dataplane-mode: ambient' }), app('legacy', 'node').replace('spec: {serviceAccountName: node, ', 'spec: {hostNetwork: true, serviceAccountName: node, ')];
    expect(yaml[4]).toContain('hostNetwork: true');
    expect(messages('ZT601', ...yaml)).toEqual([
      'Namespace legacy has no istio-injection, istio.io/rev or istio.io/dataplane-mode label, so its workloads (ledger) run outside the mesh: no mTLS identity, and no Istio policy is enforced on them.',
    ]);
  });

  test('the root namespace, Kubernetes\' own namespaces, and namespaces with a decision are not reported', () => {
    expect(messages('ZT601', ns('istio-system', 'team: x'), ns('kube-system', 'team: x'), ns('kube-public', 'team: x'), ns('kube-node-lease', 'team: x'))).toEqual([]);
    expect(messages('ZT601', ns('a', 'istio-injection: disabled'), ns('b', 'istio.io/rev: canary'), ns('c', 'istio.io/dataplane-mode: none'), ns('d', 'istio.io/dataplane-mode: ambient'))).toEqual([]);
    // A namespace revision beside istio-injection=disabled is an opt-out: a decision too.
    expect(messages('ZT601', ns('e', 'istio-injection: disabled, istio.io/rev: canary'))).toEqual([]);
    expect(objects('ZT601', ns('default', 'team: x'))).toEqual(['Namespace default']);
  });

  test('the root namespace comes from meshConfig', () => {
    const yaml = join(BASE, ns('mesh-root', 'team: x'), ns('istio-system', 'team: x'));
    expect(analyzeYaml(yaml, { rootNamespace: 'mesh-root' }).filter((f) => f.code === 'ZT601').map((f) => f.name)).toEqual(['istio-system']);
  });
});

describe('ZT602: istio-injection=enabled beside a revision', () => {
  test('the finding: warning, naming the revision', () => {
    expect(on('ZT602', ns('canary', 'istio-injection: enabled, istio.io/rev: canary-1'))).toEqual([{
      severity: 'warning', object: 'Namespace canary',
      message: 'Namespace canary has both istio-injection=enabled and istio.io/rev=canary-1; the default revision\'s injector wins, which hides the revision (and a revision upgrade may not take).',
      fix: 'keep one of the labels: istio.io/rev for revisioned installs, istio-injection otherwise.',
    }]);
  });

  test('a revision alone, or beside an opt-out, is one decision', () => {
    expect(messages('ZT602', ns('a', 'istio.io/rev: canary'), ns('b', 'istio-injection: disabled, istio.io/rev: canary'), ns('c', 'istio-injection: enabled'))).toEqual([]);
  });
});

describe('ZT603: a pod that opts out of injection in an injected namespace', () => {
  test('the finding: warning, on the workload', () => {
    expect(on('ZT603', PLAIN_CART)).toEqual([{
      severity: 'warning', object: 'Deployment shop/cart',
      message: 'Deployment shop/cart sets sidecar.istio.io/inject: "false" in injected namespace shop: it runs without a sidecar, has no mTLS identity, and no Istio policy protects it.',
      fix: 'remove the opt-out, or move the workload to a namespace outside the mesh and protect it with a NetworkPolicy.',
    }]);
  });

  test('the opt-out as an annotation counts too; an opt-in, or a namespace that is not injected, is no finding', () => {
    expect(objects('ZT603', app('shop', 'cart', { podAnnotations: 'sidecar.istio.io/inject: "false"' }))).toEqual(['Deployment shop/cart']);
    expect(objects('ZT603', app('shop', 'cart', { podAnnotations: 'sidecar.istio.io/inject: "true"' }), app('shop', 'cart2', { podLabels: 'sidecar.istio.io/inject: "true"' }))).toEqual([]);
    expect(objects('ZT603', ns('plain', 'istio-injection: disabled'), app('plain', 'cart', { podLabels: 'sidecar.istio.io/inject: "false"' }), app('other', 'cart', { podLabels: 'sidecar.istio.io/inject: "false"' }))).toEqual([]);
    // A revision label injects the namespace.
    expect(objects('ZT603', ns('rev', 'istio.io/rev: canary'), app('rev', 'cart', { podLabels: 'sidecar.istio.io/inject: "false"' }))).toEqual(['Deployment rev/cart']);
  });
});

describe('ZT604: injection set by the deprecated annotation', () => {
  test('the finding: info, the fix carries the value over to the label', () => {
    expect(on('ZT604', app('shop', 'cart', { podAnnotations: 'sidecar.istio.io/inject: "false"' }))).toEqual([{
      severity: 'info', object: 'Deployment shop/cart',
      message: 'Deployment shop/cart sets sidecar.istio.io/inject as a pod annotation, which is deprecated; the label is the supported form.',
      fix: 'move it to the pod template\'s labels: sidecar.istio.io/inject: "false".',
    }]);
    expect(on('ZT604', app('shop', 'cart', { podLabels: 'sidecar.istio.io/inject: "false"' }))).toEqual([]);
  });
});

describe('ZT605: a container that runs as the proxy\'s UID', () => {
  test('the finding: warning; set on the pod or on one container', () => {
    expect(on('ZT605', app('shop', 'cart', { runAsUser: 1337 }))).toEqual([{
      severity: 'warning', object: 'Deployment shop/cart',
      message: 'Deployment shop/cart runs as UID 1337, the Istio proxy\'s UID, whose traffic the sidecar\'s iptables rules do not capture: the app\'s calls bypass mTLS and policy.',
      fix: 'run the app as any other UID.',
    }]);
    const container = app('shop', 'cart').replace('image: "example/cart:1",', 'image: "example/cart:1", securityContext: {runAsUser: 1337},');
    expect(objects('ZT605', container)).toEqual(['Deployment shop/cart']);
    expect(objects('ZT605', app('shop', 'cart', { runAsUser: 1000 }))).toEqual([]);
  });
});

describe('ZT606: a selector that matches no workload', () => {
  const GATEWAY = (namespace: string) => istio('Gateway', namespace, 'gw', '{selector: {istio: ingressgateway}, servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*/api.example.com"]}]}');

  test('the finding: warning, on the object, with the labels and the workloads of its namespace', () => {
    expect(on('ZT606', allowOn('apii'))).toEqual([{
      severity: 'warning', object: 'AuthorizationPolicy shop/x',
      message: 'AuthorizationPolicy shop/x selects {"app":"apii"}, which no workload in namespace shop carries, so it applies to nothing.',
      fix: 'correct the labels (workloads there: api {"app":"api"}, web {"app":"web"} and db {"app":"db"}), or remove the object.',
    }]);
  });

  test('from the root namespace it reaches every workload of the mesh; the fix lists five of them', () => {
    const more = ['a', 'b', 'c'].map((n) => app('other', n));
    expect(on('ZT606', ...more, allowOn('apii', 'x', 'istio-system'))).toEqual([{
      severity: 'warning', object: 'AuthorizationPolicy istio-system/x',
      message: 'AuthorizationPolicy istio-system/x selects {"app":"apii"}, which no workload in the mesh carries, so it applies to nothing.',
      fix: 'correct the labels (workloads there: api {"app":"api"}, web {"app":"web"}, db {"app":"db"}, a {"app":"a"} and b {"app":"b"}), or remove the object.',
    }]);
    expect(objects('ZT606', ...more, allowOn('c', 'x', 'istio-system'))).toEqual([]);
    // Not from another namespace: only its own workloads count.
    expect(objects('ZT606', ...more, allowOn('c'))).toEqual(['AuthorizationPolicy shop/x']);
  });

  test('every selecting kind: PeerAuthentication, RequestAuthentication, Sidecar, Telemetry', () => {
    const docs = [
      istio('PeerAuthentication', 'shop', 'pa', '{selector: {matchLabels: {app: apii}}, mtls: {mode: STRICT}}'),
      istio('RequestAuthentication', 'shop', 'ra', '{selector: {matchLabels: {app: apii}}, jwtRules: [{issuer: "https://idp.example.com"}]}'),
      sidecar('sc', '{workloadSelector: {labels: {app: apii}}, egress: [{hosts: ["./*"]}]}'),
      telemetry('tm', '{selector: {matchLabels: {app: apii}}, accessLogging: [{providers: [{name: envoy}]}]}'),
    ];
    expect(objects('ZT606', ...docs)).toEqual(['PeerAuthentication shop/pa', 'RequestAuthentication shop/ra', 'Sidecar shop/sc', 'Telemetry shop/tm']);
    // The same objects with the right labels, or without a selector, select something.
    expect(objects('ZT606', ...docs.map((d) => d.replace('app: apii', 'app: api')))).toEqual([]);
    expect(objects('ZT606', sidecar('sc', '{egress: [{hosts: ["./*"]}]}'), telemetry('tm', '{accessLogging: [{providers: [{name: envoy}]}]}'))).toEqual([]);
  });

  test('a root-namespace PeerAuthentication with a selector is left to ZT203; a targetRefs policy is not judged here', () => {
    expect(objects('ZT606', istio('PeerAuthentication', 'istio-system', 'pa', '{selector: {matchLabels: {app: apii}}, mtls: {mode: STRICT}}'))).toEqual([]);
    expect(objects('ZT606', istio('RequestAuthentication', 'istio-system', 'ra', '{selector: {matchLabels: {app: apii}}, jwtRules: [{issuer: "https://idp.example.com"}]}'))).toEqual(['RequestAuthentication istio-system/ra']);
    expect(objects('ZT606', ap('x', '{targetRefs: [{kind: Service, group: "", name: api}], rules: [{}]}'))).toEqual([]);
  });

  test('a namespace whose workloads the input does not show is not judged', () => {
    expect(objects('ZT606', ns('empty'), allowOn('apii', 'x', 'empty'))).toEqual([]);
  });

  test('policies on the pods of a Gateway the namespace can reach are left to ZT401; a Sidecar on them is not', () => {
    const onGateway = (namespace: string) => ap('gw', '{selector: {matchLabels: {istio: ingressgateway}}, rules: [{}]}', namespace);
    expect(objects('ZT606', GATEWAY('shop'), onGateway('shop'))).toEqual([]);
    // Pods of a Gateway elsewhere are out of a namespaced policy's reach; a root-namespace one reaches them.
    expect(objects('ZT606', GATEWAY('other'), app('other', 'x'), onGateway('shop'))).toEqual(['AuthorizationPolicy shop/gw']);
    expect(objects('ZT606', GATEWAY('shop'), app('istio-system', 'x'), onGateway('istio-system'))).toEqual([]);
    // Labels the Gateway does not select are still reported.
    expect(objects('ZT606', GATEWAY('shop'), ap('gw', '{selector: {matchLabels: {istio: ingressgateway, app: x}}, rules: [{}]}'))).toEqual(['AuthorizationPolicy shop/gw']);
    expect(objects('ZT606', GATEWAY('shop'), sidecar('gw', '{workloadSelector: {labels: {istio: ingressgateway}}, egress: [{hosts: ["./*"]}]}'))).toEqual(['Sidecar shop/gw']);
  });
});

describe('ZT607: a policy or Sidecar that nothing enforces', () => {
  const AMB = ns('amb', 'istio.io/dataplane-mode: ambient');
  const pa = (namespace: string, app: string) => istio('PeerAuthentication', namespace, 'pa', `{selector: {matchLabels: {app: ${app}}}, mtls: {mode: STRICT}}`);
  const ra = (namespace: string, app: string) => istio('RequestAuthentication', namespace, 'ra', `{selector: {matchLabels: {app: ${app}}}, jwtRules: [{issuer: "https://idp.example.com"}]}`);

  test('the finding: warning, on the policy, naming the workloads without a sidecar', () => {
    expect(on('ZT607', PLAIN_CART, allowOn('cart'))).toEqual([{
      severity: 'warning', object: 'AuthorizationPolicy shop/x',
      message: 'AuthorizationPolicy shop/x selects only shop/cart, which runs without a sidecar: nothing enforces it.',
      fix: 'enrol the workload in the mesh (injection label on the namespace, no opt-out), or protect it another way (NetworkPolicy).',
    }]);
    const two = twin('shop', 'cart', 'cart2', 'sidecar.istio.io/inject: "false"');
    expect(messages('ZT607', PLAIN_CART, two, allowOn('cart'))).toEqual(['AuthorizationPolicy shop/x selects only shop/cart and shop/cart2, which run without a sidecar: nothing enforces it.']);
    // One pod with a sidecar among them enforces it.
    expect(messages('ZT607', PLAIN_CART, twin('shop', 'cart', 'cart2'), allowOn('cart'))).toEqual([]);
  });

  test('a policy that selects no workload is ZT606\'s', () => {
    expect(objects('ZT607', allowOn('nothing'), pa('shop', 'nothing'))).toEqual([]);
  });

  test('PeerAuthentication and RequestAuthentication too; namespace-wide and targetRefs policies are not judged', () => {
    expect(objects('ZT607', PLAIN_CART, pa('shop', 'cart'), ra('shop', 'cart'))).toEqual(['PeerAuthentication shop/pa', 'RequestAuthentication shop/ra']);
    const plainNs = [ns('plain', 'istio-injection: disabled'), app('plain', 'a')];
    expect(objects('ZT607', ...plainNs, ap('all', '{rules: [{}]}', 'plain'), ap('t', '{targetRefs: [{kind: Service, group: "", name: a}], rules: [{}]}', 'plain'))).toEqual([]);
    expect(objects('ZT607', ...plainNs, allowOn('a', 'x', 'plain'))).toEqual(['AuthorizationPolicy plain/x']);
  });

  test('ztunnel enforces authorization and mTLS on ambient pods, not tokens', () => {
    const yaml = [AMB, app('amb', 'api'), allowOn('api', 'x', 'amb'), pa('amb', 'api'), ra('amb', 'api')];
    expect(objects('ZT607', ...yaml)).toEqual(['RequestAuthentication amb/ra']);
  });

  test('a Sidecar that selects only pods without a sidecar: ambient ones are named so', () => {
    const sc = (namespace: string) => sidecar('api', '{workloadSelector: {labels: {app: api}}, egress: [{hosts: ["./*"]}]}', namespace);
    expect(on('ZT607', AMB, app('amb', 'api'), sc('amb'))).toEqual([{
      severity: 'warning', object: 'Sidecar amb/api',
      message: 'Sidecar amb/api selects only amb/api, which runs without a sidecar (ambient mode): it has no effect.',
      fix: 'remove it, or enrol the workload with a sidecar.',
    }]);
    expect(messages('ZT607', ns('plain', 'istio-injection: disabled'), app('plain', 'api'), twin('plain', 'api', 'api2'), sc('plain'))).toEqual([
      'Sidecar plain/api selects only plain/api and plain/api2, which run without a sidecar: it has no effect.',
    ]);
    // Ambient and plain pods together: not every one is ambient.
    expect(messages('ZT607', AMB, app('amb', 'api'), twin('amb', 'api', 'api2', 'istio.io/dataplane-mode: none'), sc('amb'))).toEqual([
      'Sidecar amb/api selects only amb/api and amb/api2, which run without a sidecar: it has no effect.',
    ]);
    // A pod with a sidecar among those selected, or none selected (ZT606): no finding here.
    expect(messages('ZT607', AMB, app('amb', 'api'), twin('amb', 'api', 'api2', 'sidecar.istio.io/inject: "true"'), sc('amb'))).toEqual([]);
    expect(messages('ZT607', AMB, app('amb', 'web'), sc('amb'))).toEqual([]);
  });

  test('a namespace-wide Sidecar in an ambient namespace without injection', () => {
    const wide = (namespace: string) => sidecar('default', '{egress: [{hosts: ["./*"]}]}', namespace);
    expect(on('ZT607', AMB, wide('amb'))).toEqual([{
      severity: 'warning', object: 'Sidecar amb/default',
      message: 'Sidecar amb/default applies to namespace amb, which is enrolled in ambient mode without sidecar injection: there are no sidecars to configure, so it has no effect.',
      fix: 'remove it (ambient traffic is configured by waypoints), or enable sidecar injection for the namespace.',
    }]);
    // Injection beside the ambient label, a plain namespace, an undeclared one, the root namespace: not this case.
    expect(objects('ZT607', ns('both', 'istio.io/dataplane-mode: ambient, istio-injection: enabled'), wide('both'), ns('plain', 'istio-injection: disabled'), wide('plain'), wide('undeclared'))).toEqual([]);
    expect(objects('ZT607', ns('istio-system', 'istio.io/dataplane-mode: ambient'), wide('istio-system'))).toEqual([]);
  });
});

describe('ZT608: a workload without an identity of its own', () => {
  test('the finding: info, for the namespace default ServiceAccount', () => {
    expect(on('ZT608', app('shop', 'cart', { serviceAccount: null }))).toEqual([{
      severity: 'info', object: 'Deployment shop/cart',
      message: 'Deployment shop/cart runs as ServiceAccount "default" (the namespace default), so policies cannot grant or deny it apart from others.',
      fix: 'give it a ServiceAccount of its own (spec.template.spec.serviceAccountName).',
    }]);
  });

  test('a ServiceAccount shared with other workloads, default or not', () => {
    const shared = app('shop', 'cart', { serviceAccount: 'web' }).replace(/^apiVersion: v1\nkind: ServiceAccount[^]*?---\n/, '');
    expect(messages('ZT608', shared)).toEqual([
      'Deployment shop/cart runs as ServiceAccount "web", shared with web, so policies cannot grant or deny it apart from others.',
      'Deployment shop/web runs as ServiceAccount "web", shared with cart, so policies cannot grant or deny it apart from others.',
    ]);
    expect(messages('ZT608', app('shop', 'cart', { serviceAccount: null }), app('shop', 'cart2', { serviceAccount: null }))).toEqual([
      'Deployment shop/cart runs as ServiceAccount "default", shared with cart2, so policies cannot grant or deny it apart from others.',
      'Deployment shop/cart2 runs as ServiceAccount "default", shared with cart, so policies cannot grant or deny it apart from others.',
    ]);
  });

  test('a workload outside the mesh has no mesh identity to share; one in another namespace is another identity', () => {
    expect(messages('ZT608', app('shop', 'cart', { serviceAccount: null, podLabels: 'sidecar.istio.io/inject: "false"' }))).toEqual([]);
    expect(messages('ZT608', ns('other'), app('other', 'web'))).toEqual([]);
  });
});

describe('ZT609: a namespace enrolled in ambient and in sidecar injection', () => {
  test('the finding: warning, on the Namespace; a revision label injects as well', () => {
    expect(on('ZT609', ns('both', 'istio.io/dataplane-mode: ambient, istio-injection: enabled'))).toEqual([{
      severity: 'warning', object: 'Namespace both',
      message: 'Namespace both is labelled istio.io/dataplane-mode=ambient and also for sidecar injection: its pods get sidecars, and ztunnel never captures a pod with a sidecar, so the ambient label has no effect (istio.io: sidecar mode takes precedence).',
      fix: 'keep one data plane: remove the injection label for ambient, or the ambient label for sidecars (https://istio.io/latest/docs/ambient/usage/add-workloads/).',
    }]);
    expect(objects('ZT609', ns('rev', 'istio.io/dataplane-mode: ambient, istio.io/rev: canary'))).toEqual(['Namespace rev']);
    expect(objects('ZT609', ns('amb', 'istio.io/dataplane-mode: ambient'), ns('off', 'istio.io/dataplane-mode: ambient, istio-injection: disabled'), ns('none', 'istio.io/dataplane-mode: none, istio-injection: enabled'))).toEqual([]);
  });
});

describe('ZT701: more than one namespace-wide Sidecar', () => {
  const wide = (name: string, namespace = 'shop') => sidecar(name, '{egress: [{hosts: ["./*"]}]}', namespace);

  test('the finding: error, on each of them, with their names sorted', () => {
    const finding = (name: string) => ({
      severity: 'error', object: `Sidecar shop/${name}`,
      message: `Sidecar shop/${name} is one of 3 Sidecars without workloadSelector in namespace shop (a, b and c); which one applies is undefined.`,
      fix: 'keep one namespace-wide Sidecar and give the others a workloadSelector.',
    });
    expect(on('ZT701', wide('c'), wide('a'), wide('b'))).toEqual([finding('a'), finding('b'), finding('c')]);
  });

  test('one per namespace is fine, and Sidecars with a workloadSelector do not count', () => {
    expect(objects('ZT701', wide('a'), wide('b', 'other'), sidecar('c', '{workloadSelector: {labels: {app: api}}, egress: [{hosts: ["./*"]}]}'))).toEqual([]);
    expect(objects('ZT701', wide('a'), wide('b', 'other'), wide('c', 'other'))).toEqual(['Sidecar other/b', 'Sidecar other/c']);
  });
});

describe('ZT702: a root-namespace Sidecar with a workloadSelector', () => {
  test('the finding: warning; a root-namespace Sidecar without a selector is the mesh-wide default', () => {
    expect(on('ZT702', sidecar('api', '{workloadSelector: {labels: {app: api}}, egress: [{hosts: ["./*"]}]}', 'istio-system'))).toEqual([{
      severity: 'warning', object: 'Sidecar istio-system/api',
      message: 'Sidecar istio-system/api is in the root namespace istio-system with a workloadSelector; the root namespace\'s Sidecar is the mesh-wide default and should select nothing.',
      fix: 'remove the workloadSelector, or move the Sidecar to the workloads\' namespace.',
    }]);
    expect(objects('ZT702', sidecar('default', '{egress: [{hosts: ["./*"]}]}', 'istio-system'), sidecar('api', '{workloadSelector: {labels: {app: api}}, egress: [{hosts: ["./*"]}]}'))).toEqual([]);
  });
});

describe('ZT703: several Sidecars that select one workload', () => {
  const onApi = (name: string, labels = 'app: api', namespace = 'shop') => sidecar(name, `{workloadSelector: {labels: {${labels}}}, egress: [{hosts: ["./*"]}]}`, namespace);

  test('the finding: error, on each Sidecar, naming the workload', () => {
    const finding = (name: string) => ({
      severity: 'error', object: `Sidecar shop/${name}`,
      message: `Sidecar shop/${name} is one of 2 Sidecars (a and b) whose workloadSelector selects Deployment shop/api; which one applies to it is undefined.`,
      fix: 'make the selectors disjoint, so each workload has one Sidecar.',
    });
    expect(on('ZT703', onApi('b'), onApi('a'))).toEqual([finding('a'), finding('b')]);
  });

  test('disjoint selectors, a namespace-wide Sidecar, another namespace\'s or the root namespace\'s Sidecar do not count', () => {
    expect(objects('ZT703', onApi('a'), onApi('b', 'app: web'), sidecar('wide', '{egress: [{hosts: ["./*"]}]}'), onApi('c', 'app: api', 'other'), onApi('d', 'app: api', 'istio-system'))).toEqual([]);
    // Root-namespace Sidecars with a selector are ZT702's, even on a workload of the root namespace.
    expect(objects('ZT703', app('istio-system', 'gw'), onApi('a', 'app: gw', 'istio-system'), onApi('b', 'app: gw', 'istio-system'))).toEqual([]);
    // A selector with fewer labels selects the workload too.
    expect(objects('ZT703', onApi('a'), onApi('b', 'app: api, version: v1'), twin('shop', 'api', 'api-v1', 'version: v1'))).toEqual(['Sidecar shop/a', 'Sidecar shop/b']);
  });
});

describe('ZT801, ZT802: Telemetry resources that compete', () => {
  const tm = (name: string, spec = '', namespace = 'shop') => telemetry(name, `{${spec}accessLogging: [{providers: [{name: envoy}]}]}`, namespace);

  test('ZT801: error, on each namespace-wide Telemetry of a namespace that has several', () => {
    const finding = (name: string) => ({
      severity: 'error', object: `Telemetry shop/${name}`,
      message: `Telemetry shop/${name} is one of 2 Telemetry resources without a selector in namespace shop (logs and traces); which one applies is undefined.`,
      fix: 'keep one namespace-wide Telemetry and give the others a selector.',
    });
    expect(on('ZT801', tm('traces'), tm('logs'))).toEqual([finding('logs'), finding('traces')]);
  });

  test('ZT801: a selector, a targetRef or targetRefs make a Telemetry not namespace-wide', () => {
    expect(objects('ZT801', tm('logs'), tm('a', 'selector: {matchLabels: {app: api}}, '), tm('b', 'targetRef: {kind: Gateway, group: gateway.networking.k8s.io, name: gw}, '), tm('c', 'targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: gw}], '), tm('d', '', 'other'))).toEqual([]);
  });

  test('ZT802: error, on each Telemetry that selects a workload another one selects', () => {
    const finding = (name: string) => ({
      severity: 'error', object: `Telemetry shop/${name}`,
      message: `Telemetry shop/${name} is one of 2 Telemetry resources (a and b) selecting Deployment shop/api; which one applies is undefined.`,
      fix: 'make the selectors disjoint.',
    });
    expect(on('ZT802', tm('b', 'selector: {matchLabels: {app: api}}, '), tm('a', 'selector: {matchLabels: {app: api}}, '))).toEqual([finding('a'), finding('b')]);
    expect(objects('ZT802', tm('a', 'selector: {matchLabels: {app: api}}, '), tm('b', 'selector: {matchLabels: {app: web}}, '), tm('c'), tm('d', 'selector: {matchLabels: {app: api}}, ', 'other'))).toEqual([]);
  });
});
