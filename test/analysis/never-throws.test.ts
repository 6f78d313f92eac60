// Property (issue 20): on any YAML-shaped input, the analyzer returns findings and the simulator
// verdicts; neither throws. The documents are drawn from the vocabulary of the kinds and fields
// the checks read (so they reach deep into the checks), with values of every type, wildcards, and
// keys such as `constructor` and `__proto__`; some are not Kubernetes objects at all.
import fc from 'fast-check';
import { stringify } from 'yaml';
import { accessMatrix } from '../../analysis/access/matrix.js';
import { AccessRequestError, AccessSimulator } from '../../analysis/access/simulator.js';
import { analyzeObjects, MeshModel, parseManifests } from '../../analysis/index.js';

const NAMES = ['a', 'b', 'web', 'constructor', '__proto__', 'toString', '*', 'istio-system', 'default'];
const FIELDS = [
  'selector', 'matchLabels', 'matchExpressions', 'rules', 'from', 'to', 'source', 'operation', 'when', 'key', 'values', 'notValues',
  'principals', 'namespaces', 'notNamespaces', 'requestPrincipals', 'serviceAccounts', 'paths', 'methods', 'hosts', 'ports', 'action',
  'jwtRules', 'issuer', 'jwksUri', 'fromHeaders', 'name', 'prefix', 'audiences', 'mtls', 'mode', 'portLevelMtls', 'servers', 'port',
  'number', 'protocol', 'gateways', 'http', 'match', 'uri', 'regex', 'exact', 'route', 'destination', 'host', 'headers', 'trafficPolicy',
  'tls', 'egress', 'outboundTrafficPolicy', 'exportTo', 'resolution', 'location', 'podSelector', 'ingress', 'policyTypes', 'targetPort',
  'template', 'metadata', 'labels', 'spec', 'containers', 'containerPort', 'serviceAccountName', 'constructor', '__proto__',
];
const STRINGS = [
  '', '*', 'GET', 'get', '/api/*', '/{**}/x', '/{*}', '*a*a*a*c', '(a+)+b', '[', 'cluster.local/ns/a/sa/web', 'a/web', 'STRICT', 'DISABLE',
  'ALLOW', 'DENY', 'CUSTOM', 'request.headers[constructor]', 'request.auth.claims[__proto__][x]', 'source.namespace', '80', 'http', 'Bearer ',
  'https://issuer/jwks', '*.example.com', 'constructor', '__proto__', '\u001b[31m',
];

const scalar = fc.oneof(fc.constantFrom(...STRINGS), fc.string({ maxLength: 6 }), fc.integer({ min: -1, max: 70000 }), fc.boolean(), fc.constant(null));
const { value } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, tie('list'), tie('map')),
  list: fc.array(tie('value'), { maxLength: 4 }),
  map: fc.dictionary(fc.constantFrom(...FIELDS), tie('value'), { maxKeys: 5 }),
}));
const labels = fc.dictionary(fc.constantFrom('app', 'istio', 'istio-injection', 'istio.io/dataplane-mode', 'constructor', '__proto__'), fc.constantFrom('web', 'enabled', 'ambient', 'ingressgateway', 'x'), { maxKeys: 3 });
const KINDS: [string, string][] = [
  ['v1', 'Namespace'], ['v1', 'Service'], ['apps/v1', 'Deployment'], ['v1', 'Pod'], ['v1', 'ServiceAccount'], ['v1', 'List'],
  ['security.istio.io/v1', 'AuthorizationPolicy'], ['security.istio.io/v1', 'RequestAuthentication'], ['security.istio.io/v1', 'PeerAuthentication'],
  ['networking.istio.io/v1', 'VirtualService'], ['networking.istio.io/v1', 'Gateway'], ['networking.istio.io/v1', 'DestinationRule'],
  ['networking.istio.io/v1', 'ServiceEntry'], ['networking.istio.io/v1', 'Sidecar'], ['networking.k8s.io/v1', 'NetworkPolicy'],
];
const object = fc.record({
  kind: fc.constantFrom(...KINDS),
  name: fc.constantFrom(...NAMES.filter((n) => !n.includes('/'))),
  namespace: fc.constantFrom('a', 'b', 'istio-system', 'constructor'),
  labels,
  spec: fc.oneof(value, fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 6 })),
}).map(({ kind: [apiVersion, kind], name, namespace, labels: l, spec }) => ({ apiVersion, kind, metadata: { name, namespace, labels: l }, spec }));
/** Services and workloads that fit together, so that requests reach the policies. */
const app = fc.record({
  name: fc.constantFrom('web', 'api', 'constructor'),
  namespace: fc.constantFrom('a', 'b'),
  port: fc.constantFrom(80, 8080),
  serviceAccount: fc.constantFrom('web', 'default', '__proto__'),
  extra: fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 2 }),
}).map(({ name, namespace, port, serviceAccount, extra }) => [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { 'istio-injection': 'enabled' } } },
  { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { selector: { app: name }, ports: [{ name: 'http', port, targetPort: 8080 }], ...extra } },
  {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace },
    spec: { template: { metadata: { labels: { app: name } }, spec: { serviceAccountName: serviceAccount, containers: [{ name, ports: [{ containerPort: 8080 }] }] } } },
  },
].map((o) => stringify(o)).join('---\n'));
/** A document: usually an object, sometimes any value, sometimes YAML text that may not parse. */
const document = fc.oneof(
  { weight: 6, arbitrary: object.map((o) => stringify(o)) },
  { weight: 3, arbitrary: app },
  { weight: 1, arbitrary: value.map((v) => stringify(v)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
);
const stream = fc.array(document, { minLength: 1, maxLength: 8 }).map((docs) => docs.join('\n---\n'));

test('the analyzer never throws, whatever the YAML', () => {
  fc.assert(fc.property(stream, (yaml) => {
    const { objects, findings } = parseManifests(yaml, 'fuzz.yaml');
    analyzeObjects(objects, {}, findings);
  }), { numRuns: 60 });
});

test('the simulator never throws on a request built from the model, nor does the matrix', async () => {
  await fc.assert(fc.asyncProperty(stream, async (yaml) => {
    const model = new MeshModel(parseManifests(yaml, 'fuzz.yaml').objects);
    const simulator = new AccessSimulator(model);
    const sources = [{ outside: true } as const, { ingress: true } as const, ...model.workloads.slice(0, 3).map((w) => ({ workload: `${w.namespace}/${w.name}` }))];
    for (const service of model.services.slice(0, 3)) {
      for (const port of service.ports.slice(0, 2)) {
        for (const from of sources) {
          try {
            await simulator.check({ from, to: `${service.namespace}/${service.name}`, port: port.port, method: 'GET', path: '/a/b', headers: { constructor: 'x' } });
          } catch (error) {
            // Naming something the manifests do not hold is the caller's mistake, reported as such.
            if (!(error instanceof AccessRequestError)) throw error;
          }
        }
      }
    }
    await accessMatrix(simulator);
  }), { numRuns: 50 });
});
