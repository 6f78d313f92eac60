// The Istio Gateway and VirtualService checks (analysis/checks/ingress.ts, ZT401–ZT420) finding by
// finding: which object each reports, at which severity, and what the reader is told, on small
// manifests beside BASE. The table in test/analysis/checks.test.ts shows that each fires and a
// near-identical manifest is clean; these pin the branches a mutation run found untested (issue 21).
import { jest } from '@jest/globals';
import { INGRESS_CHECKS } from '../../../analysis/checks/ingress.js';
import { EXPIRED_CERT, VALID_CERT } from '../certificates.js';
import { app, BASE, foundIn as found, GATEWAY_POD, istio, join, ns } from '../fixtures.js';

/** An Istio Gateway in shop with these servers (flow YAML), for the ingress gateway pods unless told. */
const gateway = (servers: string, name = 'gw', selector = '{istio: ingressgateway}', namespace = 'shop') =>
  istio('Gateway', namespace, name, `{selector: ${selector}, servers: ${servers}}`);
const HTTPS = (hosts = '"shop/api.example.com"', tls = '{mode: SIMPLE, credentialName: api-tls}', port = '{number: 443, name: https, protocol: HTTPS}') =>
  `{port: ${port}, hosts: [${hosts}], tls: ${tls}}`;
const HTTP = (hosts = '"shop/api.example.com"', extra = '') => `{port: {number: 80, name: http, protocol: HTTP}, hosts: [${hosts}]${extra}}`;
const vs = (spec: string, name = 'routes', namespace = 'shop') => istio('VirtualService', namespace, name, spec);
const ROUTE_API = 'http: [{route: [{destination: {host: api.shop.svc.cluster.local, port: {number: 80}}}]}]';
const secret = (name: string, namespace: string, body = 'type: kubernetes.io/tls\n') => `apiVersion: v1\nkind: Secret\nmetadata: {name: ${name}, namespace: ${namespace}}\n${body}`;
const indent = (pem: string) => pem.split('\n').map((l) => `    ${l}`).join('\n');

const messages = (yaml: string, code: string) => found(yaml, code).map((f) => f.message);
/** The messages of `code` on BASE plus the given documents. */
const on = (code: string, ...docs: string[]) => messages(join(BASE, ...docs), code);

test('each ingress check has a title (named when it fails, ZT009) and the ingress area', () => {
  expect(INGRESS_CHECKS.map((c) => c.code)).toEqual(Array.from({ length: 20 }, (_, i) => `ZT${401 + i}`));
  for (const c of INGRESS_CHECKS) {
    expect([c.code, c.area]).toEqual([c.code, 'ingress']);
    expect(c.title.length).toBeGreaterThan(15);
  }
});

test('a Gateway API Gateway is none of the Istio Gateway checks\' business (gateway-api.ts judges it)', () => {
  const k8s = 'apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw.1, namespace: shop}\n'
    + 'spec: {gatewayClassName: istio, listeners: [{name: http, hostname: "*", port: 80, protocol: HTTP}]}\n';
  for (const code of ['ZT401', 'ZT402', 'ZT403', 'ZT404']) expect(on(code, k8s)).toEqual([]);
});

describe('ZT401: a Gateway whose selector matches no pod in the manifests', () => {
  test('the finding: info (the gateway may be installed apart), naming the selector', () => {
    expect(found(join(BASE, gateway(`[${HTTPS()}]`)), 'ZT401')).toEqual([{
      severity: 'info', object: 'Gateway shop/gw',
      message: 'Gateway shop/gw selects gateway pods {"istio":"ingressgateway"}, which none of the analyzed manifests creates; it works only if such a gateway is installed separately (e.g. by Istio\'s Helm gateway chart).',
      fix: 'make sure a gateway with these pod labels is installed, or correct the selector.',
    }]);
  });

  test('one matching workload among others is enough; no selector selects every gateway pod', () => {
    expect(on('ZT401', gateway(`[${HTTPS()}]`), GATEWAY_POD)).toEqual([]);
    expect(on('ZT401', istio('Gateway', 'shop', 'gw', `{servers: [${HTTPS()}]}`))).toEqual([]);
  });
});

describe('ZT402: a Gateway the validating webhook rejects', () => {
  const rejected = (problem: string) => `Gateway shop/gw: ${problem}. Istio rejects the Gateway, so nothing is exposed.`;

  test('the finding: error, one per problem, with the validation it fails', () => {
    expect(found(join(BASE, gateway('[]')), 'ZT402')).toEqual([{
      severity: 'error', object: 'Gateway shop/gw', message: rejected('it has no servers'),
      fix: 'correct it as the Gateway reference describes; `istioctl validate -f` shows the same error.',
    }]);
    expect(on('ZT402', istio('Gateway', 'shop', 'gw', '{selector: {istio: ingressgateway}}'))).toEqual([rejected('it has no servers')]);
  });

  test('a name with a dot (not a DNS-1123 label)', () => {
    expect(on('ZT402', gateway(`[${HTTPS()}]`, 'gw.example'))).toEqual([
      'Gateway shop/gw.example: the name "gw.example" contains a dot; Gateway names must be DNS-1123 labels. Istio rejects the Gateway, so nothing is exposed.',
    ]);
  });

  test('a server without hosts, port number, protocol or port name', () => {
    expect(on('ZT402', gateway(`[${HTTP('')}]`))).toEqual([rejected('servers[0] has no hosts')]);
    expect(on('ZT402', gateway('[{port: {name: http, protocol: HTTP}, hosts: ["*"]}]'))).toEqual([rejected('servers[0].port has no number')]);
    expect(on('ZT402', gateway('[{port: {number: 80, name: http}, hosts: ["*"]}]'))).toEqual([rejected('servers[0].port has no protocol')]);
    expect(on('ZT402', gateway('[{port: {number: 80, protocol: HTTP}, hosts: ["*"]}]'))).toEqual([rejected('servers[0].port has no name')]);
    expect(on('ZT402', gateway(`[${HTTPS()}, {hosts: ["*"]}]`))).toEqual([
      rejected('servers[1].port has no name'),
      rejected('servers[1].port has no number'),
      rejected('servers[1].port has no protocol'),
    ]);
  });

  test('a port number that is no port, or a protocol Istio does not know (any case is known)', () => {
    expect(on('ZT402', gateway('[{port: {number: 0, name: http, protocol: HTTP}, hosts: ["*"]}]'))).toEqual([rejected('servers[0].port.number 0 is not a port (1-65535)')]);
    expect(on('ZT402', gateway('[{port: {number: 65536, name: http, protocol: HTTP}, hosts: ["*"]}]'))).toEqual([rejected('servers[0].port.number 65536 is not a port (1-65535)')]);
    expect(on('ZT402', gateway('[{port: {number: 80.5, name: http, protocol: HTTP}, hosts: ["*"]}]'))).toEqual([rejected('servers[0].port.number 80.5 is not a port (1-65535)')]);
    expect(on('ZT402', gateway('[{port: {number: 80, name: ws, protocol: WEBSOCKET}, hosts: ["*"]}]'))).toEqual([
      rejected('servers[0].port.protocol "WEBSOCKET" is not one Istio knows (HTTP, HTTP2, HTTP_PROXY, GRPC, GRPC-WEB, HTTPS, TLS, TCP, UDP, MONGO, REDIS, MYSQL)'),
    ]);
    expect(on('ZT402', gateway('[{port: {number: 1, name: http, protocol: HTTP}, hosts: ["*"]}]'))).toEqual([]);
    for (const protocol of ['http', 'Http2', 'grpc-web', 'http_proxy', 'mongo', 'udp', 'MySQL', 'redis', 'tcp', 'GRPC']) {
      expect(on('ZT402', gateway(`[{port: {number: 65535, name: p, protocol: ${protocol}}, hosts: ["*"]}]`))).toEqual([]);
    }
  });

  test('port names must be unique within the Gateway', () => {
    const twice = gateway(`[${HTTPS()}, ${HTTPS('"shop/www.example.com"', '{mode: SIMPLE, credentialName: www-tls}', '{number: 8443, name: https, protocol: HTTPS}')}]`);
    expect(on('ZT402', twice)).toEqual([rejected('port name "https" is used by 2 servers; port names must be unique')]);
    expect(on('ZT402', twice.replace('{number: 8443, name: https,', '{number: 8443, name: https-www,'))).toEqual([]);
  });

  test('HTTPS and TLS servers need a tls block', () => {
    expect(on('ZT402', gateway(`[{port: {number: 443, name: https, protocol: HTTPS}, hosts: ["*"]}]`))).toEqual([rejected('servers[0] is HTTPS without a tls block')]);
    expect(on('ZT402', gateway(`[{port: {number: 443, name: tls, protocol: tls}, hosts: ["*"]}]`))).toEqual([rejected('servers[0] is TLS without a tls block')]);
  });

  test('a plain HTTP server\'s tls block may only redirect: no terminating mode, no certificate files', () => {
    const plain = (tls: string, protocol = 'HTTP') => on('ZT402', gateway(`[{port: {number: 80, name: http, protocol: ${protocol}}, hosts: ["*"], tls: ${tls}}]`));
    expect(plain('{httpsRedirect: true}')).toEqual([]);
    // The mode passes TLS through (the default): a credentialName or TLS versions are ignored, not rejected.
    expect(plain('{httpsRedirect: true, credentialName: api-tls, minProtocolVersion: TLSV1_2}')).toEqual([]);
    expect(plain('{mode: AUTO_PASSTHROUGH}')).toEqual([]);
    expect(plain('{mode: PASSTHROUGH, httpsRedirect: true}')).toEqual([]);
    for (const protocol of ['HTTP', 'HTTP2', 'HTTP_PROXY', 'GRPC', 'GRPC-WEB']) {
      expect(plain('{mode: SIMPLE, credentialName: api-tls}', protocol)).toEqual([
        rejected(`servers[0] is plain ${protocol}, where a tls block may only redirect (httpsRedirect), but it sets mode SIMPLE`),
      ]);
    }
    expect(plain('{httpsRedirect: true, mode: SIMPLE, credentialName: api-tls}')).toEqual([
      rejected('servers[0] is plain HTTP, where a tls block may only redirect (httpsRedirect), but it sets mode SIMPLE'),
    ]);
    expect(plain('{httpsRedirect: true, serverCertificate: /etc/certs/cert.pem, privateKey: /etc/certs/key.pem}')).toEqual([
      rejected('servers[0] is plain HTTP, where a tls block may only redirect (httpsRedirect), but it sets serverCertificate and privateKey'),
    ]);
    expect(plain('{caCertificates: /etc/certs/ca.pem}', 'GRPC')).toEqual([
      rejected('servers[0] is plain GRPC, where a tls block may only redirect (httpsRedirect), but it sets caCertificates'),
    ]);
    expect(plain('{mode: ISTIO_MUTUAL}', 'http2')).toEqual([
      rejected('servers[0] is plain HTTP2, where a tls block may only redirect (httpsRedirect), but it sets mode ISTIO_MUTUAL'),
    ]);
  });

  test('other protocols may carry no tls block at all', () => {
    const tcp = (protocol: string, tls = '{mode: PASSTHROUGH}') => on('ZT402', gateway(`[{port: {number: 9000, name: tcp, protocol: ${protocol}}, hosts: ["*"], tls: ${tls}}]`));
    expect(tcp('TCP')).toEqual([rejected('servers[0] is TCP but has a tls block; only HTTPS and TLS servers terminate TLS')]);
    for (const protocol of ['mongo', 'UDP', 'REDIS', 'MYSQL']) {
      expect(tcp(protocol)).toEqual([rejected(`servers[0] is ${protocol.toUpperCase()} but has a tls block; only HTTPS and TLS servers terminate TLS`)]);
    }
    expect(on('ZT402', gateway('[{port: {number: 9000, name: tcp, protocol: TCP}, hosts: ["*"]}]'))).toEqual([]);
  });
});

describe('ZT402: a Gateway server that terminates TLS needs a certificate', () => {
  const rejected = (problem: string) => `Gateway shop/gw: ${problem}. Istio rejects the Gateway, so nothing is exposed.`;
  const terminating = (tls: string, protocol = 'HTTPS') => on('ZT402', gateway(`[${HTTPS('"*"', tls, `{number: 443, name: https, protocol: ${protocol}}`)}]`));
  const NO_CERT = (mode: string) => rejected(`servers[0] terminates TLS (${mode}) without credentialName, or serverCertificate and privateKey`);
  const NO_CA = (mode: string) => rejected(`servers[0] asks for client certificates (${mode}) without credentialName or caCertificates`);
  const FILES = 'serverCertificate: /etc/certs/cert.pem, privateKey: /etc/certs/key.pem';

  test('a Secret: credentialName, or credentialNames', () => {
    expect(terminating('{mode: SIMPLE}')).toEqual([NO_CERT('SIMPLE')]);
    expect(terminating('{mode: SIMPLE}', 'TLS')).toEqual([NO_CERT('SIMPLE')]);
    expect(terminating('{mode: SIMPLE, credentialName: api-tls}')).toEqual([]);
    expect(terminating('{mode: SIMPLE, credentialNames: [api-rsa, api-ecdsa]}')).toEqual([]);
    expect(terminating('{mode: MUTUAL, credentialName: api-tls}')).toEqual([]);
    expect(terminating('{mode: OPTIONAL_MUTUAL, credentialNames: [api-tls]}')).toEqual([]);
  });

  test('or files: the certificate with its key, and for client certificates the CA bundle', () => {
    expect(terminating(`{mode: SIMPLE, ${FILES}}`)).toEqual([]);
    expect(terminating('{mode: SIMPLE, serverCertificate: /etc/certs/cert.pem}')).toEqual([NO_CERT('SIMPLE')]);
    expect(terminating('{mode: SIMPLE, privateKey: /etc/certs/key.pem}')).toEqual([NO_CERT('SIMPLE')]);
    expect(terminating(`{mode: MUTUAL, ${FILES}, caCertificates: /etc/certs/ca.pem}`)).toEqual([]);
    expect(terminating(`{mode: MUTUAL, ${FILES}}`)).toEqual([NO_CA('MUTUAL')]);
    expect(terminating('{mode: OPTIONAL_MUTUAL}')).toEqual([NO_CA('OPTIONAL_MUTUAL'), NO_CERT('OPTIONAL_MUTUAL')]);
    // tlsCertificates: each entry a certificate and its key.
    expect(terminating(`{mode: SIMPLE, tlsCertificates: [{${FILES}}, {serverCertificate: /etc/certs/ec.pem, privateKey: /etc/certs/ec-key.pem}]}`)).toEqual([]);
    expect(terminating(`{mode: SIMPLE, tlsCertificates: [{${FILES}}, {serverCertificate: /etc/certs/ec.pem}]}`)).toEqual([NO_CERT('SIMPLE')]);
  });

  test('modes that use no certificate of the gateway\'s own; without a mode it is PASSTHROUGH', () => {
    expect(terminating('{mode: PASSTHROUGH}')).toEqual([]);
    expect(terminating('{minProtocolVersion: TLSV1_2}')).toEqual([]);
    expect(terminating('{mode: ISTIO_MUTUAL}')).toEqual([]);
    expect(terminating('{mode: AUTO_PASSTHROUGH}')).toEqual([]);
  });
});

describe('ZT403: a Gateway server that accepts any host', () => {
  test('the finding: warning, naming the wildcard hosts once', () => {
    expect(found(join(BASE, gateway(`[${HTTPS('"*", "shop/*"')}, ${HTTP('"*"', ', tls: {httpsRedirect: true}')}]`)), 'ZT403')).toEqual([{
      severity: 'warning', object: 'Gateway shop/gw',
      message: 'Gateway shop/gw serves host "*", "shop/*": any Host header is accepted, exposing routes under names nobody reviewed.',
      fix: 'list the exact hosts, ideally as "<namespace>/<host>" so only that namespace\'s VirtualServices can bind.',
    }]);
  });

  test('a wildcard subdomain or a namespace wildcard with an exact host is no catch-all', () => {
    expect(on('ZT403', gateway(`[${HTTPS('"*.example.com", "*/api.example.com", "./www.example.com"')}]`))).toEqual([]);
  });
});

describe('ZT404: plain HTTP without a redirect to HTTPS', () => {
  const plain = (ports: string) => `Gateway shop/gw serves ${ports} as plain HTTP without redirecting to HTTPS: requests, cookies and bearer tokens cross the network in cleartext.`;

  test('the finding: error, listing every plain port', () => {
    const yaml = join(BASE, gateway(`[${HTTP()}, ${HTTPS()}, {port: {number: 8080, name: http2, protocol: http2}, hosts: ["*"]}]`));
    expect(found(yaml, 'ZT404')).toEqual([{
      severity: 'error', object: 'Gateway shop/gw', message: plain('port 80 and port 8080'),
      fix: 'add an HTTPS server (tls.mode SIMPLE with credentialName) and set tls.httpsRedirect: true on the HTTP server; if TLS ends before the gateway, acknowledge it with the annotation zero-trust-mesh.io/acknowledged-plaintext-ingress: "<reason>".',
    }]);
  });

  test('httpsRedirect: true exempts a server; false or another protocol does not count', () => {
    expect(on('ZT404', gateway(`[${HTTP('"*"', ', tls: {httpsRedirect: true}')}]`))).toEqual([]);
    expect(on('ZT404', gateway(`[${HTTP('"*"', ', tls: {httpsRedirect: false}')}]`))).toEqual([plain('port 80')]);
    expect(on('ZT404', gateway('[{port: {name: http, protocol: HTTP}, hosts: ["*"]}]'))).toEqual([plain('port ?')]);
    expect(on('ZT404', gateway(`[${HTTPS()}, {port: {number: 9000, name: tcp, protocol: TCP}, hosts: ["*"]}]`))).toEqual([]);
  });

  test('acknowledged on the Gateway, it is a warning that quotes the reason', () => {
    const yaml = join(BASE, istio('Gateway', 'shop', 'gw', `{selector: {istio: ingressgateway}, servers: [${HTTP()}]}`,
      'zero-trust-mesh.io/acknowledged-plaintext-ingress: "TLS ends at the load balancer"'));
    expect(found(yaml, 'ZT404').map((f) => [f.severity, f.message])).toEqual([
      ['warning', `${plain('port 80')} Acknowledged: "TLS ends at the load balancer".`],
    ]);
  });
});

describe('ZT405: the credentialName Secret is not where the gateway pods run', () => {
  const GW = gateway(`[${HTTPS()}]`);
  const FIX = 'create the Secret "api-tls" (type kubernetes.io/tls) in istio-system, or correct the name.';

  test('in the Gateway\'s namespace instead of the pods\': error, naming both', () => {
    expect(found(join(BASE, GW, GATEWAY_POD, secret('api-tls', 'shop')), 'ZT405')).toEqual([{
      severity: 'error', object: 'Gateway shop/gw',
      message: 'Gateway shop/gw uses credentialName "api-tls", a Secret that exists in shop, but the gateway pods run in istio-system, where istiod looks it up: TLS on this server fails.',
      fix: 'create the Secret "api-tls" in istio-system.',
    }]);
  });

  test('nowhere, where the input holds the pods\' namespace\'s Secrets', () => {
    expect(found(join(BASE, GW, GATEWAY_POD, secret('other-tls', 'istio-system')), 'ZT405')).toEqual([{
      severity: 'error', object: 'Gateway shop/gw',
      message: 'Gateway shop/gw uses credentialName "api-tls", but no such Secret is in istio-system, where its gateway pods run and istiod looks it up: TLS on this server fails.',
      fix: FIX,
    }]);
    // A declared namespace counts as complete too.
    expect(on('ZT405', GW, GATEWAY_POD, ns('istio-system'))).toHaveLength(1);
  });

  test('not judged where the Secrets are not in the input (issued in the cluster), nor for pods that are not there', () => {
    expect(on('ZT405', GW, GATEWAY_POD)).toEqual([]);
    expect(on('ZT405', GW, secret('other-tls', 'istio-system'))).toEqual([]);
  });

  test('the Secret where the pods run is fine, the Gateway\'s own namespace aside', () => {
    expect(on('ZT405', GW, GATEWAY_POD, secret('api-tls', 'istio-system'))).toEqual([]);
    expect(on('ZT405', GW, GATEWAY_POD, secret('api-tls', 'istio-system'), secret('api-tls', 'shop'))).toEqual([]);
  });

  test('gateway pods in two namespaces need the Secret in each; the one in the Gateway\'s namespace serves its pods there', () => {
    const pods = [GATEWAY_POD, app('shop', 'ingressgateway', { podLabels: 'istio: ingressgateway', service: false })];
    // The Secret is in shop, where some of the pods run: the others lack it.
    expect(on('ZT405', GW, ...pods, secret('api-tls', 'shop'), secret('other-tls', 'istio-system'))).toEqual([
      'Gateway shop/gw uses credentialName "api-tls", but no such Secret is in istio-system, where its gateway pods run and istiod looks it up: TLS on this server fails.',
    ]);
  });

  test('judged where the input holds the Secrets of one of the pods\' namespaces', () => {
    const pods = [GATEWAY_POD, app('edge', 'ingressgateway', { podLabels: 'istio: ingressgateway', service: false })];
    expect(on('ZT405', GW, ...pods, secret('other-tls', 'istio-system'))).toEqual([
      'Gateway shop/gw uses credentialName "api-tls", but no such Secret is in istio-system and edge, where its gateway pods run and istiod looks it up: TLS on this server fails.',
    ]);
  });

  test('credentialNames (an RSA and an ECDSA certificate): each Secret must be where the pods run; it replaces credentialName', () => {
    const both = gateway(`[${HTTPS('"shop/api.example.com"', '{mode: SIMPLE, credentialName: unused-tls, credentialNames: [api-rsa, api-ecdsa]}')}]`);
    expect(on('ZT405', both, GATEWAY_POD, secret('api-rsa', 'istio-system'))).toEqual([
      'Gateway shop/gw uses credentialName "api-ecdsa", but no such Secret is in istio-system, where its gateway pods run and istiod looks it up: TLS on this server fails.',
    ]);
    expect(on('ZT405', both, GATEWAY_POD, secret('api-rsa', 'istio-system'), secret('api-ecdsa', 'istio-system'))).toEqual([]);
    // An empty entry names no Secret.
    const blank = gateway(`[${HTTPS('"shop/api.example.com"', '{mode: SIMPLE, credentialNames: ["", api-rsa]}')}]`);
    expect(on('ZT405', blank, GATEWAY_POD, secret('api-rsa', 'istio-system'))).toEqual([]);
  });

  test('servers without credentialName, or with an SDS URL, are not judged', () => {
    expect(on('ZT405', gateway(`[${HTTP('"*"', ', tls: {httpsRedirect: true}')}, ${HTTPS('"*"', '{mode: PASSTHROUGH}', '{number: 443, name: tls, protocol: TLS}')}]`), GATEWAY_POD, secret('other-tls', 'istio-system'))).toEqual([]);
    expect(on('ZT405', gateway(`[${HTTPS('"*"', '{mode: SIMPLE, credentialName: "kubernetes://api-tls"}')}]`), GATEWAY_POD, secret('other-tls', 'istio-system'))).toEqual([]);
  });
});

describe('ZT406: two Gateways of the same pods serve one port and host', () => {
  const conflict = (a: string, b: string, port: number, hosts: string) => `Gateway shop/${a} and Gateway shop/${b} select the same gateway pods and both serve port ${port} for ${hosts}; Istio keeps only one of the conflicting servers.`;

  test('the finding: error, on each of the two Gateways', () => {
    expect(found(join(BASE, gateway(`[${HTTPS()}]`), gateway(`[${HTTPS()}]`, 'gw2')), 'ZT406')).toEqual([
      { severity: 'error', object: 'Gateway shop/gw', message: conflict('gw', 'gw2', 443, '"api.example.com"'), fix: 'serve each host and port from one Gateway, or give the Gateways different selectors.' },
      { severity: 'error', object: 'Gateway shop/gw2', message: conflict('gw2', 'gw', 443, '"api.example.com"'), fix: 'serve each host and port from one Gateway, or give the Gateways different selectors.' },
    ]);
  });

  test('the same selector in another key order; hosts compared without their namespace, wildcards matching', () => {
    const a = gateway(`[${HTTPS('"shop/*.example.com", "shop/www.example.org"')}]`, 'gw', '{istio: ingressgateway, app: edge}');
    const b = gateway(`[${HTTPS('"other/api.example.com"')}]`, 'gw2', '{app: edge, istio: ingressgateway}');
    expect(on('ZT406', a, b)).toEqual([conflict('gw', 'gw2', 443, '"*.example.com"'), conflict('gw2', 'gw', 443, '"api.example.com"')]);
  });

  test('other ports, other hosts, or other pods do not conflict', () => {
    expect(on('ZT406', gateway(`[${HTTPS()}]`), gateway(`[${HTTPS(undefined, undefined, '{number: 8443, name: https, protocol: HTTPS}')}]`, 'gw2'))).toEqual([]);
    expect(on('ZT406', gateway(`[${HTTPS()}]`), gateway(`[${HTTPS('"shop/www.example.com"')}]`, 'gw2'))).toEqual([]);
    expect(on('ZT406', gateway(`[${HTTPS()}]`), gateway(`[${HTTPS()}]`, 'gw2', '{istio: internalgateway}'), GATEWAY_POD)).toEqual([]);
    // Different selectors meet only where one pod carries both.
    expect(on('ZT406', gateway(`[${HTTPS()}]`), gateway(`[${HTTPS()}]`, 'gw2', '{app: edge}'), GATEWAY_POD)).toEqual([]);
    expect(on('ZT406', gateway(`[${HTTPS()}]`), gateway(`[${HTTPS()}]`, 'gw2', '{app: ingressgateway}'), GATEWAY_POD)).toHaveLength(2);
  });

  test('servers without a port number are not compared', () => {
    const noPort = `{port: {name: https, protocol: HTTPS}, hosts: ["*"], tls: {mode: SIMPLE, credentialName: api-tls}}`;
    expect(on('ZT406', gateway(`[${noPort}]`), gateway(`[${noPort}]`, 'gw2'))).toEqual([]);
    expect(on('ZT406', gateway('[{hosts: ["*"]}]'), gateway('[{hosts: ["*"]}]', 'gw2'))).toEqual([]);
    expect(on('ZT406', gateway(`[${HTTPS('"*"')}]`), gateway('[{hosts: ["*"]}]', 'gw2'))).toEqual([]);
  });
});

describe('ZT407: one certificate on several Gateways of the same pods', () => {
  const shared = (a: string, b: string, cert: string) => `Gateway shop/${a} and Gateway shop/${b} serve the same certificate (${cert}) on the same gateway pods; clients that reuse an HTTP/2 connection across their hosts can get 404.`;
  const WWW = HTTPS('"shop/www.example.com"');

  test('the finding: warning, on each Gateway, naming the certificate', () => {
    expect(found(join(BASE, gateway(`[${HTTPS()}]`), gateway(`[${WWW}]`, 'gw2')), 'ZT407')).toEqual([
      { severity: 'warning', object: 'Gateway shop/gw', message: shared('gw', 'gw2', '"api-tls"'), fix: 'serve all hosts of one certificate from one Gateway, or give each Gateway its own certificate.' },
      { severity: 'warning', object: 'Gateway shop/gw2', message: shared('gw2', 'gw', '"api-tls"'), fix: 'serve all hosts of one certificate from one Gateway, or give each Gateway its own certificate.' },
    ]);
  });

  test('certificate and key files count as one certificate when both are the same', () => {
    const files = (key: string) => HTTPS('"shop/www.example.com"', `{mode: SIMPLE, serverCertificate: /etc/certs/cert.pem, privateKey: ${key}}`);
    expect(on('ZT407', gateway(`[${files('/etc/certs/key.pem')}]`), gateway(`[${files('/etc/certs/key.pem').replace('www', 'api')}]`, 'gw2')))
      .toEqual([shared('gw', 'gw2', '"/etc/certs/cert.pem + /etc/certs/key.pem"'), shared('gw2', 'gw', '"/etc/certs/cert.pem + /etc/certs/key.pem"')]);
    expect(on('ZT407', gateway(`[${files('/etc/certs/key.pem')}]`), gateway(`[${files('/etc/certs/other-key.pem')}]`, 'gw2'))).toEqual([]);
    // A certificate without a key is no certificate identity.
    const certOnly = HTTPS('"shop/www.example.com"', '{mode: SIMPLE, serverCertificate: /etc/certs/cert.pem}');
    expect(on('ZT407', gateway(`[${certOnly}]`), gateway(`[${certOnly}]`, 'gw2'))).toEqual([]);
  });

  test('only on the same pods: a Gateway whose selector covers the other\'s', () => {
    // gw selects {istio: ingressgateway}, a subset of gw2's labels: gw2's pods are gw's too.
    expect(on('ZT407', gateway(`[${HTTPS()}]`), gateway(`[${WWW}]`, 'gw2', '{istio: ingressgateway, app: edge}'))).toEqual([shared('gw', 'gw2', '"api-tls"')]);
    expect(on('ZT407', gateway(`[${HTTPS()}]`), gateway(`[${WWW}]`, 'gw2', '{istio: internalgateway}'))).toEqual([]);
  });

  test('a Secret of credentialNames is a certificate of its own', () => {
    const pair = HTTPS('"shop/www.example.com"', '{mode: SIMPLE, credentialNames: [www-rsa, api-tls]}');
    expect(on('ZT407', gateway(`[${HTTPS()}]`), gateway(`[${pair}]`, 'gw2'))).toEqual([shared('gw', 'gw2', '"api-tls"'), shared('gw2', 'gw', '"api-tls"')]);
    expect(on('ZT407', gateway(`[${HTTPS()}]`), gateway(`[${pair.replace('api-tls', 'www-ecdsa')}]`, 'gw2'))).toEqual([]);
  });

  test('two servers of one Gateway, or Gateways with different certificates, are fine', () => {
    expect(on('ZT407', gateway(`[${HTTPS()}, ${HTTPS('"shop/www.example.com"', undefined, '{number: 8443, name: https-www, protocol: HTTPS}')}]`))).toEqual([]);
    expect(on('ZT407', gateway(`[${HTTPS()}]`), gateway(`[${HTTPS('"shop/www.example.com"', '{mode: SIMPLE, credentialName: www-tls}')}]`, 'gw2'))).toEqual([]);
    expect(on('ZT407', gateway(`[${HTTP()}]`), gateway(`[${HTTP()}]`, 'gw2'))).toEqual([]);
  });
});

describe('ZT408: the gateway\'s TLS Secret holds no usable certificate', () => {
  const GW = gateway(`[${HTTPS()}]`);
  /** The api-tls Secret where the gateway pods run, with these lines under stringData or data. */
  const tls = (entries: string, field = 'stringData') => secret('api-tls', 'istio-system', `type: kubernetes.io/tls\n${field}:\n${entries}\n`);
  const PAIR = (pem: string, cert = 'tls.crt', key = 'tls.key') => `  ${cert}: |\n${indent(pem)}\n  ${key}: "(the key is not read)"`;
  const refused = (problem: string) => `Gateway shop/gw serves TLS with Secret istio-system/api-tls, which ${problem}: istiod refuses the credential and TLS on this server fails.`;
  const problem = (...docs: string[]) => on('ZT408', GW, GATEWAY_POD, ...docs);

  test('the finding: error, on the Gateway, naming the Secret and what is wrong with it', () => {
    expect(found(join(BASE, GW, GATEWAY_POD, tls(PAIR(EXPIRED_CERT))), 'ZT408')).toEqual([{
      severity: 'error', object: 'Gateway shop/gw', message: refused('holds a certificate that expired on 2001-01-01T00:00:00.000Z'),
      fix: 'put the PEM certificate chain under tls.crt and its key under tls.key (type kubernetes.io/tls), valid now; renew it before it expires.',
    }]);
  });

  test('a valid certificate under tls.crt/tls.key or cert/key, in stringData or base64 data, is fine', () => {
    expect(problem(tls(PAIR(VALID_CERT)))).toEqual([]);
    expect(problem(tls(PAIR(VALID_CERT, 'cert', 'key')))).toEqual([]);
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    expect(problem(tls(`  tls.crt: ${b64(VALID_CERT)}\n  tls.key: ${b64('key')}`, 'data'))).toEqual([]);
    expect(problem(tls(`  tls.crt: ${b64(EXPIRED_CERT)}\n  tls.key: ${b64('key')}`, 'data'))).toEqual([refused('holds a certificate that expired on 2001-01-01T00:00:00.000Z')]);
  });

  test('a certificate is valid from its notBefore through its notAfter, both included (RFC 5280, 4.1.2.5)', () => {
    for (const instant of ['2000-01-01T00:00:00Z', '2001-01-01T00:00:00Z']) {
      jest.useFakeTimers({ now: new Date(instant), doNotFake: ['nextTick', 'setImmediate'] });
      try {
        expect(problem(tls(PAIR(EXPIRED_CERT)))).toEqual([]);
      } finally {
        jest.useRealTimers();
      }
    }
  });

  test('a certificate not valid yet', () => {
    jest.useFakeTimers({ now: new Date('1999-06-01T00:00:00Z'), doNotFake: ['nextTick', 'setImmediate'] });
    try {
      expect(problem(tls(PAIR(EXPIRED_CERT)))).toEqual([refused('holds a certificate not valid before 2000-01-01T00:00:00.000Z')]);
    } finally {
      jest.useRealTimers();
    }
  });

  test('entries missing, empty, without PEM, or not parsing', () => {
    expect(problem(tls('  certificate.pem: x\n  tls.key: y'))).toEqual([refused('has neither tls.crt and tls.key nor cert and key (it has certificate.pem, tls.key)')]);
    expect(problem(tls(PAIR(VALID_CERT).replace('tls.key', 'key')))).toEqual([refused('has neither tls.crt and tls.key nor cert and key (it has key, tls.crt)')]);
    expect(problem(secret('api-tls', 'istio-system'))).toEqual([refused('has neither tls.crt and tls.key nor cert and key (it has no entries)')]);
    expect(problem(tls('  tls.crt: ""\n  tls.key: ""'))).toEqual([refused('has the certificate and key entries, but empty')]);
    expect(problem(tls('  cert: ""\n  key: y'))).toEqual([refused('has the certificate and key entries, but empty')]);
    expect(problem(tls('  tls.crt: ""\n  tls.key: ""', 'data'))).toEqual([refused('has the certificate and key entries, but empty')]);
    expect(problem(tls('  tls.crt: not a certificate\n  tls.key: y'))).toEqual([refused('holds no PEM certificate')]);
    expect(problem(tls('  tls.crt: "-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END CERTIFICATE-----"\n  tls.key: y'))).toEqual([refused('holds a certificate that does not parse')]);
  });

  test('every Secret of credentialNames is read', () => {
    const both = gateway(`[${HTTPS('"shop/api.example.com"', '{mode: SIMPLE, credentialNames: [api-rsa, api-tls]}')}]`);
    expect(on('ZT408', both, GATEWAY_POD, tls(PAIR(EXPIRED_CERT)))).toEqual([refused('holds a certificate that expired on 2001-01-01T00:00:00.000Z')]);
    expect(on('ZT408', both, GATEWAY_POD, tls(PAIR(VALID_CERT)))).toEqual([]);
  });

  test('cert/key, when both are set, is read before tls.crt/tls.key', () => {
    expect(problem(tls(`${PAIR(EXPIRED_CERT, 'cert', 'key')}\n${PAIR(VALID_CERT)}`))).toEqual([refused('holds a certificate that expired on 2001-01-01T00:00:00.000Z')]);
    expect(problem(tls(`  cert: ""\n  key: y\n${PAIR(VALID_CERT)}`))).toEqual([]);
  });

  test('stringData wins over data for the same entry', () => {
    const b64 = Buffer.from(EXPIRED_CERT).toString('base64');
    expect(problem(`${tls(PAIR(VALID_CERT))}data:\n  tls.crt: ${b64}\n  tls.key: eQ==\n`)).toEqual([]);
  });

  test('only the Secret of that name where the gateway pods run', () => {
    expect(on('ZT408', GW, tls(PAIR(EXPIRED_CERT)))).toEqual([]);
    expect(problem(tls(PAIR(EXPIRED_CERT)).replace('name: api-tls', 'name: other-tls'))).toEqual([]);
    expect(problem(tls(PAIR(EXPIRED_CERT)).replace('namespace: istio-system', 'namespace: shop'))).toEqual([]);
    expect(on('ZT408', gateway(`[${HTTP()}]`), GATEWAY_POD, tls(PAIR(EXPIRED_CERT)))).toEqual([]);
  });
});

describe('ZT409: a Gateway port the gateway Service does not expose', () => {
  const POD = app('istio-system', 'ingressgateway', { podLabels: 'istio: ingressgateway', port: 8443, portName: 'https', service: false });
  const service = (name: string, ports: string) => `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: istio-system}\nspec: {selector: {istio: ingressgateway}, ports: ${ports}}\n`;
  const unexposed = (port: number, services: string, verb: string, open: string) => `Gateway shop/gw listens on port ${port}, which ${services} in front of its pods ${verb} not expose (ports and target ports: ${open}): clients cannot reach that server through the Service.`;

  test('the finding: warning, naming the Services and what they map', () => {
    expect(found(join(BASE, POD, service('ingress', '[{name: https, port: 8443, targetPort: 9443}, {name: http, port: 80, targetPort: 8080}]'), gateway(`[${HTTPS()}]`)), 'ZT409')).toEqual([{
      severity: 'warning', object: 'Gateway shop/gw', message: unexposed(443, 'Service istio-system/ingress', 'does', '80, 8080, 8443, 9443'),
      fix: 'use a port the gateway Service maps (its port or targetPort), or add the port to the Service.',
    }]);
  });

  test('a Service port or a numeric target port is exposed; a named target port or a UDP port is not', () => {
    const with443 = (ports: string) => on('ZT409', POD, service('ingress', ports), gateway(`[${HTTPS()}]`));
    expect(with443('[{name: https, port: 443, targetPort: 8443}]')).toEqual([]);
    expect(with443('[{name: https, port: 8443, targetPort: 443}]')).toEqual([]);
    expect(with443('[{name: https, port: 8443, targetPort: https}]')).toEqual([unexposed(443, 'Service istio-system/ingress', 'does', '8443')]);
    expect(with443('[{name: quic, port: 443, protocol: UDP}]')).toEqual([unexposed(443, 'Service istio-system/ingress', 'does', 'none')]);
  });

  test('several Services in front of the pods: any one of them exposing the port is enough', () => {
    const two = [POD, service('ingress', '[{name: http, port: 80, targetPort: 8080}]'), service('ingress-tls', '[{name: https, port: 8443}]')];
    expect(on('ZT409', ...two, gateway(`[${HTTPS()}]`))).toEqual([unexposed(443, 'Service istio-system/ingress and Service istio-system/ingress-tls', 'do', '80, 8080, 8443')]);
    expect(on('ZT409', ...two, gateway(`[${HTTP()}]`))).toEqual([]);
  });

  test('a Service in front of some of the gateway\'s pods is judged', () => {
    const other = app('edge', 'ingressgateway', { podLabels: 'istio: ingressgateway', service: false });
    expect(on('ZT409', POD, other, service('ingress', '[{name: http, port: 80}]'), gateway(`[${HTTPS()}]`))).toEqual([unexposed(443, 'Service istio-system/ingress', 'does', '80')]);
  });

  test('not judged without a Service in front of the pods, nor for a server without a port number', () => {
    expect(on('ZT409', POD, service('ingress', '[{name: http, port: 80}]'), gateway('[{hosts: ["*"]}]'))).toEqual([]);
    expect(on('ZT409', POD, gateway(`[${HTTPS()}]`))).toEqual([]);
    expect(on('ZT409', POD, service('ingress', '[{name: http, port: 80}]').replace('{istio: ingressgateway}', '{istio: other}'), gateway(`[${HTTPS()}]`))).toEqual([]);
    expect(on('ZT409', POD, service('ingress', '[{name: http, port: 80}]'), gateway('[{port: {name: https, protocol: HTTPS}, hosts: ["*"], tls: {mode: PASSTHROUGH}}]'))).toEqual([]);
  });
});

describe('ZT410: a VirtualService bound to a Gateway Istio generates from a Gateway API Gateway', () => {
  const INTERNAL = 'web~istio-autogenerated-k8s-gateway~http';

  test('the finding: warning, on the VirtualService, naming the reference', () => {
    expect(found(join(BASE, vs(`{hosts: [api.example.com], gateways: ["shop/${INTERNAL}"], ${ROUTE_API}}`)), 'ZT410')).toEqual([{
      severity: 'warning', object: 'VirtualService shop/routes',
      message: `VirtualService shop/routes binds to "shop/${INTERNAL}", a Gateway that Istio generates internally from a Gateway API Gateway; its name is an implementation detail and the binding may break on upgrade.`,
      fix: 'attach routes to the Gateway API Gateway with an HTTPRoute, or bind to an Istio Gateway of your own.',
    }]);
  });

  test('a bare name, or a reference in an http match, counts too; once per reference', () => {
    expect(on('ZT410', vs(`{hosts: [api.example.com], gateways: ["${INTERNAL}"], http: [{match: [{gateways: ["${INTERNAL}"]}, {gateways: ["edge/${INTERNAL}"]}], route: [{destination: {host: api.shop.svc.cluster.local}}]}]}`)).map((m) => m.split('"')[1]))
      .toEqual([`edge/${INTERNAL}`, INTERNAL]);
    // The marker in the namespace part is no internal Gateway's name.
    expect(on('ZT410', vs(`{hosts: [api.example.com], gateways: ["x~istio-autogenerated-k8s-gateway~/gw"], ${ROUTE_API}}`))).toEqual([]);
  });
});

describe('ZT411: a VirtualService bound to a Gateway that does not exist', () => {
  const missing = (entry: string, gw: string, bare = '') => `VirtualService shop/routes binds to gateway "${entry}", but there is no Gateway ${gw}${bare}; its routes are not served there.`;
  const BARE = ' (a bare name means the VirtualService\'s namespace, shop)';

  test('the finding: error, on the VirtualService, saying where a bare name points', () => {
    expect(found(join(BASE, gateway(`[${HTTPS()}]`), vs(`{hosts: [api.example.com], gateways: [gateway], ${ROUTE_API}}`)), 'ZT411')).toEqual([{
      severity: 'error', object: 'VirtualService shop/routes', message: missing('gateway', 'shop/gateway', BARE),
      fix: 'name an existing Gateway as "<namespace>/<name>".',
    }]);
  });

  test('"<namespace>/<name>" and the older "<name>.<namespace>" name another namespace\'s Gateway', () => {
    const edge = gateway(`[${HTTPS()}]`, 'gw', undefined, 'edge');
    const bound = (entry: string) => on('ZT411', ns('edge'), edge, vs(`{hosts: [api.example.com], gateways: ["${entry}"], ${ROUTE_API}}`));
    expect(bound('edge/gw')).toEqual([]);
    expect(bound('gw.edge')).toEqual([]);
    expect(bound('gw')).toEqual([missing('gw', 'shop/gw', BARE)]);
    expect(bound('edge/gateway')).toEqual([missing('edge/gateway', 'edge/gateway')]);
    expect(bound('gateway.edge')).toEqual([missing('gateway.edge', 'edge/gateway')]);
  });

  test('a Gateway API Gateway of that name counts; "mesh" and internal Gateways are no Gateway references', () => {
    const k8s = 'apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: edge, namespace: shop}\nspec: {gatewayClassName: istio, listeners: [{name: http, port: 80, protocol: HTTP}]}\n';
    expect(on('ZT411', k8s, vs(`{hosts: [api.example.com], gateways: [edge, mesh, "shop/edge~istio-autogenerated-k8s-gateway~http"], ${ROUTE_API}}`))).toEqual([]);
  });

  test('gateways of http match blocks too; not judged where the input holds nothing of the Gateway\'s namespace', () => {
    expect(on('ZT411', vs('{hosts: [api.example.com], gateways: [mesh], http: [{match: [{gateways: [shop/edge]}], route: [{destination: {host: api}}]}]}'))).toEqual([missing('shop/edge', 'shop/edge')]);
    expect(on('ZT411', vs(`{hosts: [api.example.com], gateways: [istio-system/ingress], ${ROUTE_API}}`))).toEqual([]);
    // A Gateway there shows the input holds that namespace's Gateways.
    expect(on('ZT411', gateway(`[${HTTPS()}]`, 'other', undefined, 'istio-system'), vs(`{hosts: [api.example.com], gateways: [istio-system/ingress], ${ROUTE_API}}`)))
      .toEqual([missing('istio-system/ingress', 'istio-system/ingress')]);
  });
});

describe('ZT412: VirtualService hosts that none of its Gateway\'s hosts admit', () => {
  const unbound = (hosts: string, gw: string, offered: string) => `VirtualService shop/routes hosts ${hosts} match none of the hosts Gateway ${gw} offers to namespace shop (${offered}), so it is not bound and requests get 404.`;
  const bind = (serverHosts: string, hosts = '[api.example.com]', gatewayNs = 'shop') => on('ZT412', ns('edge'), gateway(`[${HTTPS(serverHosts)}]`, 'gw', undefined, gatewayNs),
    vs(`{hosts: ${hosts}, gateways: [${gatewayNs}/gw], ${ROUTE_API}}`));

  test('the finding: error, on the VirtualService, listing both sides\' hosts', () => {
    expect(found(join(BASE, gateway(`[${HTTPS()}]`), vs(`{hosts: [www.example.com, shop.example.com], gateways: [gw], ${ROUTE_API}}`)), 'ZT412')).toEqual([{
      severity: 'error', object: 'VirtualService shop/routes', message: unbound('"www.example.com", "shop.example.com"', 'shop/gw', '"shop/api.example.com"'),
      fix: 'use a host the Gateway serves, or add it to the Gateway server\'s hosts (as "<vs-namespace>/<host>").',
    }]);
  });

  test('a server host\'s namespace part: the VirtualService\'s own, "*", or "." for the Gateway\'s namespace', () => {
    expect(bind('"api.example.com"')).toEqual([]);
    expect(bind('"*/api.example.com"')).toEqual([]);
    expect(bind('"./api.example.com"')).toEqual([]);
    expect(bind('"./api.example.com"', undefined, 'edge')).toEqual([unbound('"api.example.com"', 'edge/gw', '"./api.example.com"')]);
    expect(bind('"edge/api.example.com"')).toEqual([unbound('"api.example.com"', 'shop/gw', '"edge/api.example.com"')]);
    expect(bind('"shop/api.example.com"', undefined, 'edge')).toEqual([]);
  });

  test('"mesh" means the sidecars, even beside a Gateway of that name; a Gateway is found by namespace and name', () => {
    expect(on('ZT412', gateway(`[${HTTPS('"shop/www.example.com"')}]`, 'mesh'), vs(`{hosts: [api.example.com], gateways: [mesh], ${ROUTE_API}}`))).toEqual([]);
    expect(on('ZT412', ns('edge'), gateway(`[${HTTPS()}]`), gateway(`[${HTTPS('"shop/www.example.com"')}]`, 'gw', undefined, 'edge'), vs(`{hosts: [api.example.com], gateways: [edge/gw], ${ROUTE_API}}`)))
      .toEqual([unbound('"api.example.com"', 'edge/gw', '"shop/www.example.com"')]);
  });

  test('wildcards on either side', () => {
    // A server host for another namespace admits nothing here, not even for host "*".
    expect(bind('"edge/api.example.com"', '["*"]')).toEqual([unbound('"*"', 'shop/gw', '"edge/api.example.com"')]);
    expect(bind('"shop/*.example.com"')).toEqual([]);
    expect(bind('"shop/*"', '[api.example.org]')).toEqual([]);
    expect(bind('"shop/api.example.com"', '["*.example.com"]')).toEqual([]);
    expect(bind('"shop/*.example.org"')).toEqual([unbound('"api.example.com"', 'shop/gw', '"shop/*.example.org"')]);
  });

  test('one host of the VirtualService in the Gateway is enough; every Gateway it names is judged', () => {
    expect(bind('"shop/api.example.com"', '[www.example.com, api.example.com]')).toEqual([]);
    expect(bind('"shop/www.example.com", "shop/api.example.com"')).toEqual([]);
    const two = join(BASE, gateway(`[${HTTPS()}]`), gateway(`[${HTTPS('"shop/www.example.com"')}]`, 'gw2'), vs(`{hosts: [api.example.com], gateways: [mesh, gw, shop/gw2, gw3], ${ROUTE_API}}`));
    expect(messages(two, 'ZT412')).toEqual([unbound('"api.example.com"', 'shop/gw2', '"shop/www.example.com"')]);
  });

  test('a Gateway API Gateway offers its listeners\' hostnames, any host where a listener has none', () => {
    const k8s = (listeners: string) => `apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: shop}\nspec: {gatewayClassName: istio, listeners: ${listeners}}\n`;
    const onK8s = (listeners: string) => on('ZT412', k8s(listeners), vs(`{hosts: [api.example.com], gateways: [gw], ${ROUTE_API}}`));
    expect(onK8s('[{name: http, port: 80, protocol: HTTP}]')).toEqual([]);
    expect(onK8s('[{name: http, hostname: www.example.com, port: 80, protocol: HTTP}]')).toEqual([unbound('"api.example.com"', 'shop/gw', '"www.example.com"')]);
  });
});

describe('ZT413: a route destination that is no Service or ServiceEntry', () => {
  const FIX_GENERIC = 'route to an existing service by its full name "<name>.<namespace>.svc.cluster.local", or declare the host with a ServiceEntry.';
  const routeTo = (host: string, extra = '', namespace = 'shop') => vs(`{hosts: [api.example.com], gateways: [mesh]${extra}, http: [{route: [{destination: {host: ${host}}}]}]}`, 'routes', namespace);

  test('a full name that resolves to nothing: error, on the VirtualService, with where the destination sits', () => {
    expect(found(join(BASE, routeTo('cart.shop.svc.cluster.local')), 'ZT413')).toEqual([{
      severity: 'error', object: 'VirtualService shop/routes',
      message: 'VirtualService shop/routes http[0].route[0]: destination "cart.shop.svc.cluster.local" is no Service or ServiceEntry. Requests routed there fail (503).',
      fix: FIX_GENERIC,
    }]);
  });

  test('a short name resolves in the VirtualService\'s namespace: the fix names the namespace the service lives in', () => {
    expect(found(join(BASE, ns('edge'), routeTo('api', '', 'edge')), 'ZT413')).toEqual([{
      severity: 'error', object: 'VirtualService edge/routes',
      message: 'VirtualService edge/routes http[0].route[0]: destination "api" is no Service or ServiceEntry: a short name resolves in the VirtualService\'s namespace edge, but the service lives in shop. Requests routed there fail (503).',
      fix: 'write the full name "api.shop.svc.cluster.local".',
    }]);
    // No such Service anywhere: the generic fix.
    expect(found(join(BASE, routeTo('cart')), 'ZT413').map((f) => f.fix)).toEqual([FIX_GENERIC]);
  });

  test('"<name>.<namespace>" is not completed by Istio', () => {
    expect(found(join(BASE, routeTo('api.shop')), 'ZT413')).toEqual([{
      severity: 'error', object: 'VirtualService shop/routes',
      message: 'VirtualService shop/routes http[0].route[0]: destination "api.shop" is no Service or ServiceEntry ("name.namespace" is not completed; only names without dots are). Requests routed there fail (503).',
      fix: 'write "api.shop.svc.cluster.local".',
    }]);
  });

  test('Services, ServiceEntries (wildcards too) and short names of the VirtualService\'s namespace resolve', () => {
    const se = istio('ServiceEntry', 'shop', 'ext', '{hosts: ["*.stripe.com"], location: MESH_EXTERNAL, resolution: DNS, ports: [{number: 443, name: tls, protocol: TLS}]}');
    expect(on('ZT413', routeTo('api'), routeTo('api.shop.svc.cluster.local').replace('name: routes', 'name: r2'))).toEqual([]);
    expect(on('ZT413', se, routeTo('api.stripe.com'))).toEqual([]);
    expect(on('ZT413', routeTo('"*.example.com"'))).toEqual([]);
  });

  test('mirrors and tcp and tls routes are destinations too', () => {
    const yaml = vs('{hosts: [api.shop.svc.cluster.local], http: [{route: [{destination: {host: api}}], mirror: {host: mirror}}], tcp: [{route: [{destination: {host: db}}, {destination: {host: tcp-gone}}]}], tls: [{match: [{sniHosts: [api.shop.svc.cluster.local]}], route: [{destination: {host: tls-gone}}]}]}');
    expect(on('ZT413', yaml).map((m) => m.split(': destination')[0])).toEqual([
      'VirtualService shop/routes http[0].mirror', 'VirtualService shop/routes tcp[0].route[1]', 'VirtualService shop/routes tls[0].route[0]',
    ]);
  });

  test('not judged where the input holds nothing of the host\'s namespace', () => {
    expect(on('ZT413', routeTo('reviews.bookinfo.svc.cluster.local'))).toEqual([]);
    // A ServiceEntry there says nothing of its Services.
    expect(on('ZT413', istio('ServiceEntry', 'bookinfo', 'ext', '{hosts: [api.example.org], ports: [{number: 443, name: tls, protocol: TLS}], resolution: DNS}'), routeTo('reviews.bookinfo.svc.cluster.local'))).toEqual([]);
    expect(on('ZT413', ns('bookinfo'), routeTo('reviews.bookinfo.svc.cluster.local'))).toHaveLength(1);
    // A Service there shows its Services are in the input.
    expect(on('ZT413', app('bookinfo', 'details'), routeTo('reviews.bookinfo.svc.cluster.local'))).toHaveLength(1);
    // An external host from a namespace that holds only ServiceEntries: they are in the input.
    const egressSe = istio('ServiceEntry', 'egress', 'other', '{hosts: [www.example.org], ports: [{number: 443, name: tls, protocol: TLS}], resolution: DNS}');
    expect(on('ZT413', egressSe, routeTo('api.example.org', '', 'egress'))).toHaveLength(1);
    // An external host is judged where the route is: shop holds ServiceEntries or is declared.
    expect(on('ZT413', routeTo('api.example.org'))).toHaveLength(1);
    expect(on('ZT413', ns('edge').replace('edge', 'other'), routeTo('api.example.org', '', 'edge'))).toEqual([]);
  });

  test('exported to other namespaces, the destination must be visible there too', () => {
    const hiddenApi = BASE.replace('kind: Service\nmetadata: {name: api, namespace: shop}', 'kind: Service\nmetadata: {name: api, namespace: shop, annotations: {networking.istio.io/exportTo: "."}}');
    const exported = (exportTo: string) => messages(join(hiddenApi, ns('edge'), ns('ops'), routeTo('api', `, exportTo: ${exportTo}`)), 'ZT413');
    const hidden = (where: string, from: string) => `VirtualService shop/routes http[0].route[0]: destination "api" is not visible in ${where}, where the VirtualService is exported (its exportTo), so requests routed there from ${from} fail (503).`;
    expect(exported('[".", edge]')).toEqual([hidden('edge', 'that namespace')]);
    expect(exported('[edge, ops, shop]')).toEqual([hidden('edge and ops', 'those namespaces')]);
    // Its own namespace, "*" and "~" name no other namespace.
    expect(exported('["*"]')).toEqual([]);
    expect(exported('["~"]')).toEqual([]);
    expect(found(join(hiddenApi, ns('edge'), routeTo('api', ', exportTo: [edge]')), 'ZT413').map((f) => f.fix)).toEqual([
      'export the Service or ServiceEntry to those namespaces (exportTo, or the networking.istio.io/exportTo annotation), or narrow the VirtualService\'s exportTo.',
    ]);
    // Visible there: a Service exported everywhere, or a ServiceEntry exported to that namespace.
    expect(messages(join(BASE, ns('edge'), routeTo('api', ', exportTo: [".", edge]')), 'ZT413')).toEqual([]);
    const se = (exportTo: string) => istio('ServiceEntry', 'shop', 'ext', `{hosts: [api.example.org], exportTo: ${exportTo}, ports: [{number: 443, name: tls, protocol: TLS}], resolution: DNS}`);
    expect(on('ZT413', ns('edge'), se('[".", edge]'), routeTo('api.example.org', ', exportTo: [".", edge]'))).toEqual([]);
    expect(on('ZT413', ns('edge'), se('["."]'), routeTo('api.example.org', ', exportTo: [".", edge]'))).toHaveLength(1);
    expect(on('ZT413', ns('edge'), se('[shop, edge]'), routeTo('api.example.org', ', exportTo: [".", edge]'))).toEqual([]);
    expect(on('ZT413', ns('edge'), routeTo('"*.example.org"', ', exportTo: [".", edge]'))).toEqual([]);
  });
});

describe('ZT414: a route destination port that is missing or not a port of the Service', () => {
  const TWO_PORTS = app('shop', 'cart', { servicePort: 80 }).replace('ports: [{name: http, port: 80, targetPort: 8080}]', 'ports: [{name: http, port: 80, targetPort: 8080}, {name: grpc, port: 9090, targetPort: 9090}]');
  const routeTo = (destination: string) => vs(`{hosts: [api.example.com], http: [{route: [{destination: ${destination}}]}]}`);

  test('no port to a Service with several: error, listing its ports', () => {
    expect(found(join(BASE, TWO_PORTS, routeTo('{host: cart}')), 'ZT414')).toEqual([{
      severity: 'error', object: 'VirtualService shop/routes',
      message: 'VirtualService shop/routes http[0].route[0]: destination shop/cart exposes ports 80, 9090, and the route names none, so Istio cannot tell which to use.',
      fix: 'set destination.port.number to one of 80, 9090.',
    }]);
    expect(on('ZT414', TWO_PORTS, routeTo('{host: cart, port: {number: 9090}}'))).toEqual([]);
    expect(on('ZT414', routeTo('{host: api}'))).toEqual([]);
  });

  test('a port the Service does not have (the container port, typically)', () => {
    expect(found(join(BASE, TWO_PORTS, routeTo('{host: cart.shop.svc.cluster.local, port: {number: 8080}}')), 'ZT414')).toEqual([{
      severity: 'error', object: 'VirtualService shop/routes',
      message: 'VirtualService shop/routes http[0].route[0]: destination port 8080 is not a port of Service shop/cart (80, 9090); routes name the Service port, not the container port.',
      fix: 'use the Service port: 80 or 9090.',
    }]);
    const portless = 'apiVersion: v1\nkind: Service\nmetadata: {name: headless, namespace: shop}\nspec: {clusterIP: None, selector: {app: api}}\n';
    expect(on('ZT414', portless, routeTo('{host: headless, port: {number: 8080}}'))).toEqual([
      'VirtualService shop/routes http[0].route[0]: destination port 8080 is not a port of Service shop/headless (none); routes name the Service port, not the container port.',
    ]);
  });

  test('hosts that are no Service (ServiceEntries, unknown names) are ZT413\'s or nobody\'s business', () => {
    const se = istio('ServiceEntry', 'shop', 'ext', '{hosts: [api.example.org], ports: [{number: 443, name: tls, protocol: TLS}, {number: 80, name: http, protocol: HTTP}], resolution: DNS}');
    expect(on('ZT414', se, routeTo('{host: api.example.org, port: {number: 8443}}'))).toEqual([]);
    expect(on('ZT414', routeTo('{host: cart, port: {number: 8443}}'))).toEqual([]);
    expect(on('ZT414', routeTo('{port: {number: 8443}}'))).toEqual([]);
  });
});

describe('ZT415: a route to a subset no DestinationRule defines', () => {
  const dr = (host: string, subsets = '[{name: v1, labels: {version: v1}}]', namespace = 'shop', extra = '') => istio('DestinationRule', namespace, `dr-${namespace}`, `{host: ${host}, subsets: ${subsets}${extra}}`);
  const routeTo = (host: string, subset = 'v2', namespace = 'shop') => vs(`{hosts: [api.example.com], http: [{route: [{destination: {host: ${host}, subset: ${subset}}}]}]}`, 'routes', namespace);

  test('the finding: error, on the VirtualService, naming subset and host', () => {
    expect(found(join(BASE, dr('api'), routeTo('api')), 'ZT415')).toEqual([{
      severity: 'error', object: 'VirtualService shop/routes',
      message: 'VirtualService shop/routes http[0].route[0]: subset "v2" of "api" is defined by no DestinationRule; requests routed there get 503.',
      fix: 'define subset "v2" (with the pods\' labels) in a DestinationRule for the host, or route without a subset.',
    }]);
  });

  test('the DestinationRule\'s host by its short or full name, from another namespace, is the same host', () => {
    expect(on('ZT415', dr('api'), routeTo('api', 'v1'))).toEqual([]);
    expect(on('ZT415', dr('api.shop.svc.cluster.local'), routeTo('api', 'v1'))).toEqual([]);
    expect(on('ZT415', ns('edge'), dr('api.shop.svc.cluster.local', undefined, 'edge'), routeTo('api', 'v1'))).toEqual([]);
    expect(on('ZT415', ns('edge'), dr('api.shop.svc.cluster.local'), routeTo('api.shop.svc.cluster.local', 'v1', 'edge'))).toEqual([]);
    // A short name in another namespace is another host.
    expect(on('ZT415', ns('edge'), dr('api', undefined, 'edge'), routeTo('api', 'v1'))).toHaveLength(1);
    // Any DestinationRule, any of its subsets.
    expect(on('ZT415', dr('web', undefined, 'edge'), ns('edge'), dr('api'), routeTo('api', 'v1'))).toEqual([]);
    expect(on('ZT415', dr('api', undefined, 'shop', ', exportTo: ["."]'), routeTo('api', 'v1'))).toEqual([]);
    // The short name is the Service of the route's namespace, not another namespace's of that name.
    expect(on('ZT415', app('default', 'api'), dr('api'), routeTo('api', 'v1'))).toEqual([]);
    expect(on('ZT415', dr('api', '[{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]'), routeTo('api', 'v2'))).toEqual([]);
    // A DestinationRule for another host does not count.
    expect(on('ZT415', dr('web'), routeTo('api', 'v1'))).toHaveLength(1);
  });

  test('hosts that are no Service: the DestinationRule must name the same host', () => {
    const se = istio('ServiceEntry', 'shop', 'ext', '{hosts: [api.example.org], ports: [{number: 443, name: tls, protocol: TLS}], resolution: DNS}');
    expect(on('ZT415', se, dr('api.example.org'), routeTo('api.example.org', 'v1'))).toEqual([]);
    expect(on('ZT415', se, dr('www.example.org'), routeTo('api.example.org', 'v1'))).toHaveLength(1);
    expect(on('ZT415', dr('reviews'), routeTo('reviews', 'v1'))).toEqual([]);
    expect(on('ZT415', dr('reviews.shop.svc.cluster.local'), routeTo('reviews', 'v1'))).toEqual([]);
  });

  test('only a DestinationRule exported to the route\'s namespace applies', () => {
    expect(on('ZT415', ns('edge'), dr('api.shop.svc.cluster.local', undefined, 'shop', ', exportTo: ["."]'), routeTo('api.shop.svc.cluster.local', 'v1', 'edge'))).toHaveLength(1);
    expect(on('ZT415', ns('edge'), dr('api.shop.svc.cluster.local', undefined, 'shop', ', exportTo: [".", edge]'), routeTo('api.shop.svc.cluster.local', 'v1', 'edge'))).toEqual([]);
  });

  test('routes without a subset or host are not judged, nor hosts whose namespace the input does not hold', () => {
    expect(on('ZT415', vs('{hosts: [api.example.com], http: [{route: [{destination: {host: api}}, {destination: {subset: v1}}]}]}'))).toEqual([]);
    expect(on('ZT415', routeTo('reviews.bookinfo.svc.cluster.local', 'v1'))).toEqual([]);
    // The namespace holds a DestinationRule: its DestinationRules are in the input.
    expect(on('ZT415', dr('other', undefined, 'bookinfo'), routeTo('reviews.bookinfo.svc.cluster.local', 'v1'))).toHaveLength(1);
  });
});

describe('ZT416: a VirtualService the validating webhook rejects', () => {
  const rejected = (problem: string) => `VirtualService shop/routes: ${problem}. Istio rejects the VirtualService, so its routes do not exist.`;

  test('the finding: error, one per problem', () => {
    expect(found(join(BASE, vs('{hosts: [api, api, web, web, web]}')), 'ZT416')).toEqual([
      { severity: 'error', object: 'VirtualService shop/routes', message: rejected('hosts "api", "web" appear more than once'), fix: 'correct it as the VirtualService reference describes; `istioctl validate -f` shows the same error.' },
      { severity: 'error', object: 'VirtualService shop/routes', message: rejected('it has no http, tcp or tls routes'), fix: 'correct it as the VirtualService reference describes; `istioctl validate -f` shows the same error.' },
    ]);
  });

  test('one route of any kind is enough', () => {
    expect(on('ZT416', vs('{hosts: [api], tcp: [{route: [{destination: {host: db}}]}]}'))).toEqual([]);
    expect(on('ZT416', vs('{hosts: [api], tls: [{match: [{sniHosts: [api]}], route: [{destination: {host: api}}]}]}'))).toEqual([]);
  });

  test('host "*" only on a VirtualService bound to gateways alone', () => {
    const star = (gateways: string) => on('ZT416', gateway(`[${HTTPS('"*"')}]`), vs(`{hosts: ["*"]${gateways}, ${ROUTE_API}}`));
    expect(star('')).toEqual([rejected('host "*" is not allowed on a VirtualService bound to sidecars (mesh)')]);
    expect(star(', gateways: [gw, mesh]')).toEqual([rejected('host "*" is not allowed on a VirtualService bound to sidecars (mesh)')]);
    expect(star(', gateways: [gw]')).toEqual([]);
  });

  test('a delegate (no hosts) names no gateways and routes HTTP only', () => {
    expect(on('ZT416', vs(`{${ROUTE_API}}`))).toEqual([]);
    expect(on('ZT416', vs(`{gateways: [shop/gw], ${ROUTE_API}}`))).toEqual([rejected('it has no hosts, so it is a delegate, and a delegate must name no gateways')]);
    const noHttp = rejected('it has no hosts, so it is a delegate, and a delegate may route HTTP only (no tcp or tls routes)');
    expect(on('ZT416', vs('{tcp: [{route: [{destination: {host: db}}]}]}'))).toEqual([noHttp]);
    expect(on('ZT416', vs('{tls: [{match: [{sniHosts: [api]}], route: [{destination: {host: api}}]}]}'))).toEqual([noHttp]);
  });
});

describe('ZT417: routing on JWT claims where no token is validated', () => {
  const CLAIM_ROUTE = 'http: [{match: [{headers: {"@request.auth.claims.group": {exact: admin}}}, {headers: {"@request.auth.claims.group": {exact: ops}, x-team: {exact: a}}}], route: [{destination: {host: api.shop.svc.cluster.local, port: {number: 80}}}]}]';
  const claims = (gateways: string) => vs(`{hosts: [api.example.com]${gateways}, ${CLAIM_ROUTE}}`);
  const raOn = (namespace: string, selector: string) => istio('RequestAuthentication', namespace, 'jwt', `{${selector}jwtRules: [{issuer: "https://idp.example.com"}]}`);
  const GW = gateway(`[${HTTPS()}]`);
  const unvalidated = 'VirtualService shop/routes routes on "@request.auth.claims.group" at Gateway shop/gw, but no RequestAuthentication selects its gateway pods {"istio":"ingressgateway"}, so no claims are known there and the routes never match.';

  test('at a Gateway without a RequestAuthentication on its pods: error, naming the selector to use', () => {
    expect(found(join(BASE, GW, GATEWAY_POD, claims(', gateways: [gw]')), 'ZT417')).toEqual([{
      severity: 'error', object: 'VirtualService shop/routes', message: unvalidated,
      fix: 'add a RequestAuthentication in istio-system (or the gateway pods\' namespace) with selector.matchLabels {"istio":"ingressgateway"}.',
    }]);
  });

  test('on a VirtualService bound to sidecars: Istio rejects it', () => {
    const rejected = 'VirtualService shop/routes routes on "@request.auth.claims.group", but JWT claim routing only works on gateway-bound VirtualServices (gateways set, without "mesh"); Istio rejects it.';
    expect(found(join(BASE, claims('')), 'ZT417')).toEqual([{
      severity: 'error', object: 'VirtualService shop/routes', message: rejected,
      fix: 'move the claim-based route to a VirtualService bound to the ingress Gateway only.',
    }]);
    expect(on('ZT417', GW, claims(', gateways: [gw, mesh]'))).toEqual([rejected]);
  });

  test('a RequestAuthentication that selects the gateway pods, in the root namespace or the pods\', validates the token', () => {
    const validated = (...docs: string[]) => on('ZT417', GW, GATEWAY_POD, claims(', gateways: [gw]'), ...docs);
    expect(validated(raOn('istio-system', 'selector: {matchLabels: {istio: ingressgateway}}, '))).toEqual([]);
    // Mesh-wide, in the root namespace.
    expect(validated(raOn('istio-system', ''))).toEqual([]);
    // Where the gateway pods run.
    expect(on('ZT417', GW, GATEWAY_POD.replaceAll('istio-system', 'edge'), claims(', gateways: [gw]'), raOn('edge', ''))).toEqual([]);
    // Not: another namespace, other labels, or a selector the gateway's does not imply.
    expect(validated(raOn('shop', ''))).toEqual([unvalidated]);
    expect(validated(raOn('istio-system', 'selector: {matchLabels: {istio: egressgateway}}, '))).toEqual([unvalidated]);
    expect(validated(raOn('istio-system', 'selector: {matchLabels: {istio: ingressgateway, app: edge}}, '))).toEqual([unvalidated]);
    expect(validated(raOn('istio-system', 'targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: gw}], '))).toEqual([unvalidated]);
  });

  test('no claim headers, or a Gateway that is not in the input: nothing to say', () => {
    expect(on('ZT417', GW, vs(`{hosts: [api.example.com], gateways: [gw], http: [{match: [{headers: {x-group: {exact: admin}}}], route: [{destination: {host: api}}]}]}`))).toEqual([]);
    expect(on('ZT417', claims(', gateways: [istio-system/ingress]'))).toEqual([]);
    expect(on('ZT417', GW, GATEWAY_POD, gateway(`[${HTTPS()}]`, 'gw2', undefined, 'istio-system'), claims(', gateways: [shop/gw2, istio-system/gw]'))).toEqual([]);
  });
});

describe('ZT418: two VirtualServices for one host bound to sidecars', () => {
  const SECOND = (hosts: string, extra = '', namespace = 'shop') => istio('VirtualService', namespace, 'more', `{hosts: ${hosts}${extra}, ${ROUTE_API}}`);
  const both = (a: string, b: string, host: string) => `VirtualService ${a} and VirtualService ${b} both route host "${host}" for sidecars (mesh); Istio applies only one of them, and which is undefined.`;

  test('the finding: error, on each of them, with the host by its full name', () => {
    const FIX = 'merge the routes into one VirtualService per host, or use delegation (a root VirtualService with http[].delegate).';
    expect(found(join(BASE, vs(`{hosts: [api, api], ${ROUTE_API}}`), SECOND('[api.shop.svc.cluster.local]')), 'ZT418')).toEqual([
      { severity: 'error', object: 'VirtualService shop/more', message: both('shop/more', 'shop/routes', 'api.shop.svc.cluster.local'), fix: FIX },
      { severity: 'error', object: 'VirtualService shop/routes', message: both('shop/routes', 'shop/more', 'api.shop.svc.cluster.local'), fix: FIX },
    ]);
  });

  test('a VirtualService bound to gateways alone, or one for another host, does not conflict', () => {
    expect(on('ZT418', vs(`{hosts: [api], ${ROUTE_API}}`), SECOND('[api]', ', gateways: [shop/gw]'))).toEqual([]);
    expect(on('ZT418', vs(`{hosts: [api], ${ROUTE_API}}`), SECOND('[api]', ', gateways: [shop/gw, mesh]'))).toHaveLength(2);
    expect(on('ZT418', vs(`{hosts: [api], ${ROUTE_API}}`), SECOND('[web]'))).toEqual([]);
    // The same short name in two namespaces is two hosts.
    expect(on('ZT418', ns('edge'), vs(`{hosts: [api], ${ROUTE_API}}`), SECOND('[api]', '', 'edge'))).toEqual([]);
  });

  test('only where both are visible', () => {
    const a = vs(`{hosts: [api.shop.svc.cluster.local], exportTo: ["."], ${ROUTE_API}}`);
    expect(on('ZT418', ns('edge'), a, SECOND('[api.shop.svc.cluster.local]', ', exportTo: ["."]', 'edge'))).toEqual([]);
    expect(on('ZT418', ns('edge'), a, SECOND('[api.shop.svc.cluster.local]', ', exportTo: [shop]', 'edge'))).toEqual([both('edge/more', 'shop/routes', 'api.shop.svc.cluster.local'), both('shop/routes', 'edge/more', 'api.shop.svc.cluster.local')]);
  });
});

describe('ZT419: a route rule or match that can never be used', () => {
  const rules = (kind: string, list: string) => vs(`{hosts: [api.shop.svc.cluster.local], ${kind}: ${list}}`);
  const dead = (problem: string) => `VirtualService shop/routes ${problem}, so it never applies.`;
  const TO_API = 'route: [{destination: {host: api}}]';

  test('the finding: warning, on the VirtualService, naming the rules (by name where they have one)', () => {
    expect(found(join(BASE, rules('http', `[{name: all, ${TO_API}}, {match: [{uri: {prefix: /admin}}], ${TO_API}}]`)), 'ZT419')).toEqual([{
      severity: 'warning', object: 'VirtualService shop/routes',
      message: dead('http[1] comes after http[0] ("all"), which has no match and takes every request'),
      fix: 'reorder the rules (most specific first) or remove the dead one.',
    }]);
  });

  test('every rule after one without a match, each naming the last such rule before it', () => {
    expect(on('ZT419', rules('http', `[{${TO_API}}, {name: second, ${TO_API}}, {${TO_API}}, {match: [{uri: {exact: /}}], ${TO_API}}]`))).toEqual([
      dead('http[1] ("second") comes after http[0], which has no match and takes every request'),
      dead('http[2] comes after http[1] ("second"), which has no match and takes every request'),
      dead('http[3] comes after http[2], which has no match and takes every request'),
    ]);
    // The rule without a match last: fine.
    expect(on('ZT419', rules('http', `[{match: [{uri: {exact: /}}], ${TO_API}}, {${TO_API}}]`))).toEqual([]);
  });

  test('a match an earlier rule has (its name and key order aside) is ineffective; a rule of only such matches is dead', () => {
    const list = `[{name: first, match: [{name: a, uri: {exact: /a}, method: {exact: GET}}, {uri: {exact: /b}}], ${TO_API}},`
      + ` {match: [{method: {exact: GET}, uri: {exact: /a}, name: again}, {uri: {exact: /c}}], ${TO_API}},`
      + ` {match: [{uri: {exact: /b}}, {uri: {exact: /c}}], ${TO_API}}]`;
    expect(on('ZT419', rules('http', list))).toEqual([
      dead('http[1] match[0] repeats a match of http[0] ("first")'),
      dead('http[2] match[0] repeats a match of http[0] ("first")'),
      dead('http[2] match[1] repeats a match of http[1]'),
      dead('http[2]: every match is used by earlier rules'),
    ].sort());
    // Different values, or the same values in a different list order, are different matches.
    expect(on('ZT419', rules('http', `[{match: [{uri: {exact: /a}}], ${TO_API}}, {match: [{uri: {exact: /a}, method: {exact: GET}}], ${TO_API}}]`))).toEqual([]);
    expect(on('ZT419', rules('tcp', '[{match: [{destinationSubnets: [10.0.0.0/8, 10.1.0.0/16]}], route: [{destination: {host: db}}]}, {match: [{destinationSubnets: [10.1.0.0/16, 10.0.0.0/8]}], route: [{destination: {host: db}}]}]'))).toEqual([]);
  });

  test('a prefix an earlier match covers, with the same other conditions or fewer', () => {
    expect(on('ZT419', rules('http', `[{name: api, match: [{uri: {prefix: /api}, headers: {x-v: {exact: "2"}}}], ${TO_API}}, {match: [{uri: {prefix: /api/v2}, headers: {x-v: {exact: "2"}}, method: {exact: GET}}], ${TO_API}}]`))).toEqual([
      dead('http[1] match[0] (prefix "/api/v2") is covered by http[0] ("api") match[0] (prefix "/api" and the same conditions)'),
    ]);
    expect(on('ZT419', rules('http', `[{match: [{uri: {prefix: /}}, {uri: {prefix: /api}}], ${TO_API}}]`))).toEqual([
      dead('http[0] match[1] (prefix "/api") is covered by match[0] of the same rule (prefix "/")'),
    ]);
    // An earlier match with a condition this one lacks, or sets otherwise, does not cover it.
    expect(on('ZT419', rules('http', `[{match: [{uri: {prefix: /api}, headers: {x-v: {exact: "2"}}}], ${TO_API}}, {match: [{uri: {prefix: /api/v2}}], ${TO_API}}]`))).toEqual([]);
    expect(on('ZT419', rules('http', `[{match: [{uri: {prefix: /api}, method: {exact: POST}}], ${TO_API}}, {match: [{uri: {prefix: /api/v2}, method: {exact: GET}}], ${TO_API}}]`))).toEqual([]);
    // Other prefixes, and exact paths, are not covered.
    expect(on('ZT419', rules('http', `[{match: [{uri: {prefix: /api/v2}}], ${TO_API}}, {match: [{uri: {prefix: /api}}, {uri: {exact: /api/v2/x}}], ${TO_API}}]`))).toEqual([]);
  });

  test('tcp and tls rules: catch-alls and repeated matches, no prefixes', () => {
    const DB = 'route: [{destination: {host: db}}]';
    expect(on('ZT419', rules('tcp', `[{${DB}}, {match: [{port: 3306}], ${DB}}]`))).toEqual([dead('tcp[1] comes after tcp[0], which has no match and takes every request')]);
    expect(on('ZT419', rules('tls', `[{match: [{sniHosts: [a.example.com]}], ${DB}}, {match: [{sniHosts: [a.example.com]}], ${DB}}]`))).toEqual([
      dead('tls[1] match[0] repeats a match of tls[0]'), dead('tls[1]: every match is used by earlier rules'),
    ]);
  });
});

describe('ZT420: a gateway route that bypasses the mesh\'s version routing', () => {
  const SPLIT = vs('{hosts: [api.shop.svc.cluster.local], http: [{route: [{destination: {host: api, subset: v1}, weight: 90}, {destination: {host: api, subset: v2}, weight: 10}]}]}', 'split');
  const edge = (destination: string, gateways = '[shop/gw]') => vs(`{hosts: [api.example.com], gateways: ${gateways}, http: [{route: [{destination: {host: web}}]}, {route: [{destination: {host: web}}, {destination: ${destination}}]}]}`, 'edge');
  const bypass = (host: string, splitters: string, verb = 'routes') => `VirtualService shop/edge http[1].route[1] sends gateway traffic to "${host}" without a subset, while ${splitters} ${verb} that host by subset for the mesh: a gateway applies only its own VirtualServices, so requests from the gateway reach every version.`;

  test('the finding: warning, on the gateway\'s VirtualService, naming the route and the splitting VirtualService', () => {
    expect(found(join(BASE, SPLIT, edge('{host: api.shop.svc.cluster.local}')), 'ZT420')).toEqual([{
      severity: 'warning', object: 'VirtualService shop/edge', message: bypass('api.shop.svc.cluster.local', 'VirtualService shop/split'),
      fix: 'name the subset (or the same weights) in the gateway\'s route, or bind the mesh VirtualService to the gateway too (gateways: [mesh, <gateway>]).',
    }]);
  });

  test('the same Service by its short name; several splitting VirtualServices', () => {
    const split2 = SPLIT.replace('name: split', 'name: split2').replace('{hosts: [api.shop.svc.cluster.local]', '{hosts: [api], exportTo: ["."]');
    expect(on('ZT420', SPLIT, split2, edge('{host: api}'))).toEqual([bypass('api', 'VirtualService shop/split and VirtualService shop/split2', 'route')]);
  });

  test('the short name is the Service of the VirtualService\'s namespace', () => {
    expect(on('ZT420', app('default', 'api'), SPLIT, edge('{host: api}'))).toEqual([bypass('api', 'VirtualService shop/split')]);
    // A split that routes some destinations by subset and others not still splits.
    const mixed = vs('{hosts: [api.shop.svc.cluster.local], http: [{route: [{destination: {host: web}}]}, {route: [{destination: {host: api, subset: v1}}]}]}', 'split');
    expect(on('ZT420', mixed, edge('{host: api}'))).toEqual([bypass('api', 'VirtualService shop/split')]);
  });

  test('hosts that are no Service: the same name, qualified alike', () => {
    expect(on('ZT420', vs('{hosts: [reviews.shop.svc.cluster.local], http: [{route: [{destination: {host: reviews.shop.svc.cluster.local, subset: v1}}]}]}', 'split'), edge('{host: reviews}'))).toHaveLength(1);
    const se = istio('ServiceEntry', 'shop', 'ext', '{hosts: [api.example.org], ports: [{number: 443, name: tls, protocol: TLS}], resolution: DNS}');
    const splitExt = (host: string) => vs(`{hosts: [api.example.org], http: [{route: [{destination: {host: ${host}, subset: v1}}]}]}`, 'split');
    expect(on('ZT420', se, splitExt('api.example.org'), edge('{host: api.example.org}'))).toHaveLength(1);
    expect(on('ZT420', se, splitExt('www.example.org'), edge('{host: api.example.org}'))).toEqual([]);
    expect(on('ZT420', splitExt('reviews'), edge('{host: reviews.shop.svc.cluster.local}'))).toHaveLength(1);
  });

  test('no finding where the gateway route names a subset, the split is for another host, or there is no split', () => {
    expect(on('ZT420', SPLIT, edge('{host: api, subset: v1}'))).toEqual([]);
    expect(on('ZT420', SPLIT, edge('{host: web}'))).toEqual([]);
    expect(on('ZT420', SPLIT.replaceAll(', subset: v1', '').replaceAll(', subset: v2', ''), edge('{host: api}'))).toEqual([]);
    // A VirtualService bound to the gateway and the mesh that splits the host itself: the gateway applies it.
    expect(on('ZT420', vs('{hosts: [api.example.com], gateways: [mesh, shop/gw], http: [{route: [{destination: {host: api, subset: v1}}]}, {route: [{destination: {host: api}}]}]}', 'edge'))).toEqual([]);
    // A split that is itself bound to the gateway acts on gateway traffic.
    expect(on('ZT420', SPLIT.replace('{hosts: [api.shop.svc.cluster.local]', '{hosts: [api.shop.svc.cluster.local], gateways: [shop/gw]'), edge('{host: api}'))).toEqual([]);
  });

  test('only VirtualServices bound to a gateway, and only their http routes', () => {
    expect(on('ZT420', SPLIT, edge('{host: api}', '[mesh]'))).toEqual([]);
    expect(on('ZT420', SPLIT, edge('{host: api}', '[mesh, shop/gw]'))).toHaveLength(1);
    expect(on('ZT420', SPLIT, vs('{hosts: [api.example.com], gateways: [shop/gw], tcp: [{route: [{destination: {host: api}}]}]}', 'edge'))).toEqual([]);
    // A route entry without a destination or host is skipped.
    expect(on('ZT420', SPLIT, vs('{hosts: [api.example.com], gateways: [shop/gw], http: [{route: [{weight: 100}, {destination: {port: {number: 80}}}]}]}', 'edge'))).toEqual([]);
  });
});
