// The mTLS checks (analysis/checks/mtls.ts) finding by finding: which object each reports, at
// which severity, and what the message says, on small manifests beside BASE. The table in
// test/analysis/checks.test.ts shows that each fires and a near-identical manifest is clean; these
// pin the branches a mutation run found untested (issue 21).
import { MTLS_CHECKS } from '../../../analysis/checks/mtls.js';
import { analyzeYaml, app, BASE, foundIn as found, istio, join, ns } from '../fixtures.js';

const pa = (name: string, spec: string, namespace = 'shop') => istio('PeerAuthentication', namespace, name, spec);
const dr = (name: string, spec: string, namespace = 'shop') => istio('DestinationRule', namespace, name, spec);
const vs = (name: string, spec: string, namespace = 'shop') => istio('VirtualService', namespace, name, spec);
const ON_API = '{selector: {matchLabels: {app: api}}, ';
/** BASE with the mesh-wide PeerAuthentication moved out of the root namespace: shop falls back to Istio's default. */
const NO_MESH_PA = BASE.replace('name: default, namespace: istio-system}', 'name: default, namespace: elsewhere}');
/** BASE with its db pods outside the mesh (no sidecar). */
const PLAIN_DB = BASE.replace(app('shop', 'db', { port: 3306, portName: 'tcp-mysql' }), app('shop', 'db', { port: 3306, portName: 'tcp-mysql', podLabels: 'sidecar.istio.io/inject: "false"' }));

/** The findings of one code, as what a reader of the report sees. */
const messages = (yaml: string, code: string) => found(yaml, code).map((f) => f.message);

test('each mTLS check has a title (named when it fails, ZT009) and the mtls area', () => {
  for (const c of MTLS_CHECKS) {
    expect([c.code, c.area]).toEqual([c.code, 'mtls']);
    expect(c.title.length).toBeGreaterThan(15);
  }
});

describe('ZT202: injected workloads with no PeerAuthentication at mesh or namespace level', () => {
  test('names the namespace, its injected workloads and the root namespace to put the policy in', () => {
    expect(found(NO_MESH_PA, 'ZT202')).toEqual([{
      severity: 'error', object: 'Namespace shop',
      message: 'Namespace shop: no PeerAuthentication applies at mesh or namespace level, so its workloads (api, web and db) run in Istio\'s default PERMISSIVE mode and accept plaintext.',
      fix: 'add a mesh-wide PeerAuthentication (namespace istio-system, no selector) or one in shop with mtls.mode STRICT; if it lives in another repository, analyze both together.',
    }]);
  });

  test('a workload-level PeerAuthentication with a mode covers its workload; one with only port-level modes does not', () => {
    expect(messages(join(NO_MESH_PA, pa('api', `${ON_API}mtls: {mode: STRICT}}`)), 'ZT202')).toEqual([expect.stringContaining('its workloads (web and db) run')]);
    expect(messages(join(NO_MESH_PA, pa('api', `${ON_API}portLevelMtls: {"8080": {mode: STRICT}}}`)), 'ZT202')).toEqual([expect.stringContaining('its workloads (api, web and db) run')]);
  });

  test('a namespace whose every injected workload has its own mode is not reported', () => {
    const own = (name: string) => pa(name, `{selector: {matchLabels: {app: ${name}}}, mtls: {mode: STRICT}}`);
    expect(found(join(NO_MESH_PA, own('api'), own('web'), own('db')), 'ZT202')).toEqual([]);
    expect(messages(join(NO_MESH_PA, own('api'), own('web')), 'ZT202')).toEqual([expect.stringContaining('its workloads (db) run')]);
  });

  test('acknowledged on the Namespace with the non-strict-mtls annotation: a warning', () => {
    const annotated = (key: string) => NO_MESH_PA.replace(ns('shop'), `apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {istio-injection: enabled}, annotations: {${key}: "legacy callers, OPS-7"}}\n`);
    expect(found(annotated('zero-trust-mesh.io/acknowledged-non-strict-mtls'), 'ZT202').map((f) => [f.severity, f.message.endsWith('Acknowledged: "legacy callers, OPS-7".')])).toEqual([['warning', true]]);
    expect(found(annotated('zero-trust-mesh.io/acknowledged-open-to-anyone'), 'ZT202').map((f) => f.severity)).toEqual(['error']);
  });

  test('pods without a sidecar are not listed, and a namespace of only such pods is not reported', () => {
    const plainDb = PLAIN_DB.replace('name: default, namespace: istio-system}', 'name: default, namespace: elsewhere}');
    expect(messages(plainDb, 'ZT202')).toEqual([expect.stringContaining('its workloads (api and web) run')]);
    expect(messages(join(NO_MESH_PA, ns('batch', 'istio-injection: disabled'), app('batch', 'job')), 'ZT202')).toEqual([expect.stringMatching(/^Namespace shop:/)]);
  });

  test('without a Namespace object in the input, the first uncovered workload carries the finding', () => {
    const yaml = join(NO_MESH_PA, app('ops', 'tool', { podLabels: 'sidecar.istio.io/inject: "true"' }));
    expect(found(yaml, 'ZT202').map((f) => [f.object, f.message.slice(0, 30)])).toEqual([
      ['Namespace shop', 'Namespace shop: no PeerAuthent'],
      ['Deployment ops/tool', 'Namespace ops: no PeerAuthenti'],
    ]);
  });
});

describe('ZT203: a PeerAuthentication with a selector in the root namespace', () => {
  test('names the policy and the root namespace', () => {
    expect(found(join(BASE, pa('api', `${ON_API}mtls: {mode: STRICT}}`, 'istio-system')), 'ZT203')).toEqual([{
      severity: 'error', object: 'PeerAuthentication istio-system/api',
      message: 'PeerAuthentication istio-system/api has a workload selector in the root namespace istio-system; Istio ignores such policies entirely.',
      fix: 'move it to the namespace of the workloads it selects, or remove the selector to make it the mesh-wide policy.',
    }]);
  });

  test('the root namespace is the configured one', () => {
    const yaml = join(BASE, ns('mesh-root'), pa('api', `${ON_API}mtls: {mode: STRICT}}`, 'istio-system'), pa('web', '{selector: {matchLabels: {app: web}}, mtls: {mode: STRICT}}', 'mesh-root'));
    expect(analyzeYaml(yaml, { rootNamespace: 'mesh-root' }).filter((f) => f.code === 'ZT203').map((f) => `${f.namespace}/${f.name}`)).toEqual(['mesh-root/web']);
  });
});

describe('ZT204: conflicting PeerAuthentications at one scope', () => {
  test('two namespace-level policies: each is reported, with the sorted list of both', () => {
    expect(found(join(BASE, pa('b', '{mtls: {mode: STRICT}}'), pa('a', '{mtls: {mode: PERMISSIVE}}')), 'ZT204')).toEqual(['b', 'a'].map((name) => ({
      severity: 'error', object: `PeerAuthentication shop/${name}`,
      message: `PeerAuthentication shop/${name} is one of 2 PeerAuthentications for namespace shop (a and b); Istio uses the oldest and ignores the others, and which is oldest cannot be known from the manifests.`,
      fix: 'keep one PeerAuthentication for namespace shop and delete the others.',
    })).reverse());
  });

  test('two mesh-wide policies', () => {
    expect(messages(join(BASE, pa('a-mesh', '{mtls: {mode: STRICT}}', 'istio-system')), 'ZT204')).toEqual([
      expect.stringMatching(/^PeerAuthentication istio-system\/a-mesh is one of 2 PeerAuthentications for the mesh \(a-mesh and default\);/),
      expect.stringMatching(/^PeerAuthentication istio-system\/default is one of 2 PeerAuthentications for the mesh \(a-mesh and default\);/),
    ]);
  });

  test('workload-level policies selecting one workload: each names the others', () => {
    const yaml = join(BASE, pa('c-api', `${ON_API}mtls: {mode: STRICT}}`), pa('a-api', `${ON_API}mtls: {mode: STRICT}}`), pa('b-api', `${ON_API}mtls: {mode: DISABLE}}`));
    expect(found(yaml, 'ZT204')).toEqual([
      ['a-api', 'b-api and c-api'], ['b-api', 'a-api and c-api'], ['c-api', 'a-api and b-api'],
    ].map(([name, others]) => ({
      severity: 'error', object: `PeerAuthentication shop/${name}`,
      message: `PeerAuthentication shop/${name} and ${others} all select workload shop/api; only the oldest applies, which cannot be known from the manifests.`,
      fix: 'make the selectors disjoint so that one workload-level PeerAuthentication selects each workload.',
    })));
  });

  test('two workload-level policies on one workload are already a conflict', () => {
    expect(messages(join(BASE, pa('b-api', `${ON_API}mtls: {mode: STRICT}}`), pa('a-api', `${ON_API}mtls: {mode: STRICT}}`)), 'ZT204')).toEqual([
      expect.stringMatching(/^PeerAuthentication shop\/a-api and b-api all select workload shop\/api;/),
      expect.stringMatching(/^PeerAuthentication shop\/b-api and a-api all select workload shop\/api;/),
    ]);
  });

  test('one policy per scope, and a root-namespace policy with a selector (ignored), are no conflict', () => {
    const yaml = join(BASE, pa('default', '{mtls: {mode: STRICT}}'), pa('api', `${ON_API}mtls: {mode: STRICT}}`),
      pa('web', '{selector: {matchLabels: {app: web}}, mtls: {mode: STRICT}}'), pa('ignored', `${ON_API}mtls: {mode: STRICT}}`, 'istio-system'),
      ns('other'), pa('default', '{mtls: {mode: STRICT}}', 'other'));
    expect(found(yaml, 'ZT204')).toEqual([]);
  });
});

describe('ZT205: a PeerAuthentication the webhook rejects', () => {
  const problems = (spec: string) => messages(join(BASE, pa('x', spec)), 'ZT205');
  const rejected = (problem: string) => `PeerAuthentication shop/x: ${problem}. The API server (or istiod) rejects it, so it never takes effect.`;

  test('mtls that is not a map, and a mode that is not one of the four (upper case)', () => {
    expect(found(join(BASE, pa('x', '{mtls: STRICT}')), 'ZT205')).toEqual([{
      severity: 'error', object: 'PeerAuthentication shop/x', message: rejected('mtls is not a map'),
      fix: 'correct it as the PeerAuthentication reference describes; `istioctl validate -f` shows the same error.',
    }]);
    expect(problems('{mtls: {mode: strict}}')).toEqual([rejected('mtls.mode "strict" is not STRICT, PERMISSIVE, DISABLE or UNSET (upper case)')]);
    for (const mode of ['STRICT', 'PERMISSIVE', 'DISABLE', 'UNSET']) expect(problems(`{mtls: {mode: ${mode}}}`)).toEqual([]);
    expect(problems('{mtls: {}}')).toEqual([]);
  });

  test('portLevelMtls: only with a selector, not empty, keyed by ports 1-65535, with valid modes', () => {
    expect(problems('{portLevelMtls: {"8080": {mode: STRICT}}}')).toEqual([rejected('portLevelMtls is only allowed with a non-empty selector (mesh and namespace policies cannot have port level mTLS)')]);
    expect(problems(`${ON_API}portLevelMtls: {}}`)).toEqual([rejected('portLevelMtls is set but has no entries')]);
    expect(problems(`${ON_API}portLevelMtls: [8080]}`)).toEqual([rejected('portLevelMtls is set but has no entries')]);
    expect(problems(`${ON_API}portLevelMtls: {"0": {mode: STRICT}, "65536": {mode: STRICT}, "http": {mode: STRICT}, "1": {mode: STRICT}, "65535": {mode: STRICT}}}`)).toEqual(
      ['0', '65536', 'http'].map((p) => rejected(`portLevelMtls key "${p}" is not a port number 1-65535`)));
    expect(problems(`${ON_API}portLevelMtls: {"a8080": {mode: STRICT}, "8080a": {mode: STRICT}}}`)).toEqual(
      ['8080a', 'a8080'].map((p) => rejected(`portLevelMtls key "${p}" is not a port number 1-65535`)));
    expect(problems(`${ON_API}portLevelMtls: {"0": STRICT}}`)).toEqual([rejected('portLevelMtls key "0" is not a port number 1-65535')]);
    expect(problems('{selector: {matchLabels: {"": api}}, mtls: {mode: STRICT}}')).toEqual([rejected('selector.matchLabels has an empty key')]);
    expect(problems(`${ON_API}portLevelMtls: {"8080": {mode: strict}}}`)).toEqual([rejected('portLevelMtls[8080].mode "strict" is not a mode')]);
    expect(problems(`${ON_API}portLevelMtls: {"8080": {mode: STRICT}, "8081": {mode: PERMISSIVE}, "8082": {mode: DISABLE}, "8083": {mode: UNSET}, "8084": {}}}`)).toEqual([]);
  });
});

describe('ZT206: portLevelMtls on a port the workload does not receive on', () => {
  test('a Service port instead of the container port: names the container port to use', () => {
    expect(found(join(BASE, pa('api', `${ON_API}portLevelMtls: {"80": {mode: STRICT}}}`)), 'ZT206')).toEqual([{
      severity: 'error', object: 'PeerAuthentication shop/api',
      message: 'PeerAuthentication shop/api: portLevelMtls names port 80, which is Service shop/api\'s port; port-level mTLS is keyed by the container port (8080), so this entry never applies.',
      fix: 'key the entry by the container port: "8080".',
    }]);
  });

  test('a port nothing listens on: names the selected workloads', () => {
    expect(found(join(BASE, pa('api', `${ON_API}portLevelMtls: {"9999": {mode: STRICT}}}`)), 'ZT206')).toEqual([{
      severity: 'error', object: 'PeerAuthentication shop/api',
      message: 'PeerAuthentication shop/api: portLevelMtls names port 9999, on which none of the selected workloads (api) receives, so this entry never applies.',
      fix: 'key portLevelMtls by a container port the workload listens on.',
    }]);
  });

  test('a Service port whose named targetPort no container has: the generic message', () => {
    const svc = 'apiVersion: v1\nkind: Service\nmetadata: {name: api-named, namespace: shop}\nspec: {selector: {app: api}, ports: [{name: http-named, port: 81, targetPort: missing}]}\n';
    expect(found(join(BASE, svc, pa('api', `${ON_API}portLevelMtls: {"81": {mode: STRICT}}}`)), 'ZT206').map((f) => [f.message, f.fix])).toEqual([[
      'PeerAuthentication shop/api: portLevelMtls names port 81, on which none of the selected workloads (api) receives, so this entry never applies.',
      'key portLevelMtls by a container port the workload listens on.',
    ]]);
  });

  test('a port one of several selected workloads receives on is fine', () => {
    const yaml = join(BASE.replace(app('shop', 'db', { port: 3306, portName: 'tcp-mysql' }), app('shop', 'db', { port: 3306, portName: 'tcp-mysql', podLabels: 'tier: back' }))
      .replace(app('shop', 'api'), app('shop', 'api', { podLabels: 'tier: back' })), pa('back', '{selector: {matchLabels: {tier: back}}, portLevelMtls: {"3306": {mode: STRICT}, "7000": {mode: STRICT}}}'));
    expect(messages(yaml, 'ZT206')).toEqual([expect.stringContaining('names port 7000, on which none of the selected workloads (api and db) receives')]);
  });

  test('not for a key that is no number, a policy selecting nothing, or one without a selector (ZT205 reports those)', () => {
    expect(messages(join(BASE, pa('api', `${ON_API}portLevelMtls: {"http": {mode: STRICT}}}`)), 'ZT206')).toEqual([]);
    expect(messages(join(BASE, pa('none', '{selector: {matchLabels: {app: none}}, portLevelMtls: {"9999": {mode: STRICT}}}')), 'ZT206')).toEqual([]);
    expect(messages(join(BASE, pa('default', '{portLevelMtls: {"9999": {mode: STRICT}}}')), 'ZT206')).toEqual([]);
  });
});

describe('ZT207: a STRICT workload or port under a namespace or mesh DISABLE', () => {
  test('names what is STRICT, the workload and the policy that decides DISABLE', () => {
    expect(found(join(BASE, pa('default', '{mtls: {mode: DISABLE}}'), pa('api', `${ON_API}mtls: {mode: STRICT}, portLevelMtls: {"8080": {mode: STRICT}, "9090": {mode: PERMISSIVE}}}`)), 'ZT207')).toEqual([{
      severity: 'error', object: 'PeerAuthentication shop/api',
      message: 'PeerAuthentication shop/api sets mode STRICT and port 8080 STRICT on shop/api, but its namespace resolves to DISABLE (PeerAuthentication shop/default). Auto mTLS then sends plaintext to the service, and the STRICT sidecar resets every connection (istio/istio#56084).',
      fix: 'make the namespace (or mesh) mode STRICT or PERMISSIVE and exempt other workloads with workload-level DISABLE instead, or add a DestinationRule with tls.mode ISTIO_MUTUAL for api.',
    }]);
  });

  test('a STRICT port alone, under a mesh-wide DISABLE', () => {
    const yaml = join(BASE.replace('{mtls: {mode: STRICT}} # mesh', '{mtls: {mode: DISABLE}} # mesh'), pa('api', `${ON_API}portLevelMtls: {"8080": {mode: STRICT}}}`));
    expect(messages(yaml, 'ZT207')).toEqual([expect.stringMatching(/^PeerAuthentication shop\/api sets port 8080 STRICT on shop\/api, but its namespace resolves to DISABLE \(PeerAuthentication istio-system\/default\)\./)]);
  });

  test('not under a PERMISSIVE namespace, nor for a namespace-level STRICT', () => {
    expect(messages(join(BASE, pa('default', '{mtls: {mode: PERMISSIVE}}'), pa('api', `${ON_API}mtls: {mode: STRICT}}`)), 'ZT207')).toEqual([]);
    expect(messages(join(BASE.replace('{mtls: {mode: STRICT}} # mesh', '{mtls: {mode: DISABLE}} # mesh'), pa('default', '{mtls: {mode: STRICT}}')), 'ZT207')).toEqual([]);
  });
});

describe('ZT251: DestinationRule ISTIO_MUTUAL toward pods without a sidecar', () => {
  const mutual = '{mode: ISTIO_MUTUAL}';

  test('names the host and the pods, singular for one', () => {
    expect(found(join(PLAIN_DB, dr('db', `{host: db.shop.svc.cluster.local, trafficPolicy: {tls: ${mutual}}}`)), 'ZT251')).toEqual([{
      severity: 'error', object: 'DestinationRule shop/db',
      message: 'DestinationRule shop/db forces Istio mTLS (ISTIO_MUTUAL) toward "db.shop.svc.cluster.local", but shop/db runs without a sidecar and cannot terminate it: callers get 503.',
      fix: 'drop tls.mode (auto mTLS picks plaintext for pods without a sidecar), or enrol those pods in the mesh.',
    }]);
  });

  test('a wildcard host covers every Service it matches: plural for several', () => {
    const yaml = join(PLAIN_DB.replace(app('shop', 'api'), app('shop', 'api', { podLabels: 'sidecar.istio.io/inject: "false"' })), dr('all', `{host: "*.shop.svc.cluster.local", trafficPolicy: {tls: ${mutual}}}`));
    expect(messages(yaml, 'ZT251')).toEqual([expect.stringContaining('toward "*.shop.svc.cluster.local", but shop/api and shop/db run without a sidecar')]);
    expect(messages(join(PLAIN_DB, dr('all', `{host: "*.local", trafficPolicy: {tls: ${mutual}}}`)), 'ZT251')).toEqual([expect.stringContaining('but shop/db runs without')]);
    expect(messages(join(PLAIN_DB, dr('all', `{host: "*.other.svc.cluster.local", trafficPolicy: {tls: ${mutual}}}`)), 'ZT251')).toEqual([]);
  });

  test('a short host, and ISTIO_MUTUAL in a subset\'s port-level settings', () => {
    const yaml = join(PLAIN_DB, dr('db', `{host: db, subsets: [{name: v1, labels: {app: db}, trafficPolicy: {portLevelSettings: [{port: {number: 3306}, tls: ${mutual}}]}}]}`));
    expect(messages(yaml, 'ZT251')).toEqual([expect.stringContaining('toward "db", but shop/db runs without')]);
  });

  test('one ISTIO_MUTUAL block among others is enough', () => {
    expect(messages(join(PLAIN_DB, dr('db', `{host: db, trafficPolicy: {tls: {mode: SIMPLE}, portLevelSettings: [{port: {number: 3306}, tls: ${mutual}}]}}`)), 'ZT251')).toEqual([expect.stringContaining('but shop/db runs without')]);
  });

  test('not toward pods with a sidecar, nor pods whose injection is unknown, nor with no host', () => {
    expect(messages(join(BASE, dr('db', `{host: db.shop.svc.cluster.local, trafficPolicy: {tls: ${mutual}}}`)), 'ZT251')).toEqual([]);
    expect(messages(join(BASE, app('ops', 'tool'), dr('tool', `{host: tool.ops.svc.cluster.local, trafficPolicy: {tls: ${mutual}}}`)), 'ZT251')).toEqual([]);
    expect(messages(join(PLAIN_DB, dr('db', `{trafficPolicy: {tls: ${mutual}}}`)), 'ZT251')).toEqual([]);
  });
});

describe('ZT252: DestinationRule tls DISABLE toward a STRICT workload', () => {
  const disable = '{mode: DISABLE}';

  test('names the host and the workload, singular for one', () => {
    expect(found(join(BASE, dr('api', `{host: api.shop.svc.cluster.local, trafficPolicy: {tls: ${disable}}}`)), 'ZT252')).toEqual([{
      severity: 'error', object: 'DestinationRule shop/api',
      message: 'DestinationRule shop/api makes callers send plaintext (tls.mode DISABLE) to "api.shop.svc.cluster.local", but shop/api accepts only mTLS (STRICT): every connection is reset (503 at the caller).',
      fix: 'remove tls.mode DISABLE (auto mTLS follows the server\'s mode); to exempt a workload from mTLS, give it a workload-level PeerAuthentication DISABLE instead.',
    }]);
  });

  test('a wildcard host: every STRICT workload with a sidecar behind it, plural', () => {
    expect(messages(join(PLAIN_DB, dr('all', `{host: "*", trafficPolicy: {portLevelSettings: [{port: {number: 80}, tls: ${disable}}]}}`)), 'ZT252'))
      .toEqual([expect.stringContaining('to "*", but shop/api and shop/web accept only mTLS')]);
  });

  test('one DISABLE block among others is enough', () => {
    expect(messages(join(BASE, dr('api', `{host: api, trafficPolicy: {tls: {mode: ISTIO_MUTUAL}, portLevelSettings: [{port: {number: 80}, tls: ${disable}}]}}`)), 'ZT252')).toEqual([expect.stringContaining('but shop/api accepts only mTLS')]);
  });

  test('the mode of the port the workload receives on decides', () => {
    const host = dr('api', `{host: api, trafficPolicy: {tls: ${disable}}}`);
    expect(messages(join(BASE, host, pa('api', `${ON_API}mtls: {mode: PERMISSIVE}, portLevelMtls: {"8080": {mode: STRICT}}}`)), 'ZT252')).toEqual([expect.stringContaining('but shop/api accepts only mTLS')]);
    expect(messages(join(BASE, host, pa('api', `${ON_API}mtls: {mode: STRICT}, portLevelMtls: {"8080": {mode: PERMISSIVE}}}`)), 'ZT252')).toEqual([]);
  });

  test('a workload with a STRICT and a PERMISSIVE port is reported: plaintext to the STRICT one is reset', () => {
    const twoPorts = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: pay, namespace: shop}\nspec: {selector: {matchLabels: {app: pay}}, template: {metadata: {labels: {app: pay}}, spec: {containers: [{name: app, image: "example/pay:1", ports: [{containerPort: 8080, name: http}, {containerPort: 9090, name: http-metrics}]}]}}}\n'
      + '---\napiVersion: v1\nkind: Service\nmetadata: {name: pay, namespace: shop}\nspec: {selector: {app: pay}, ports: [{name: http, port: 80, targetPort: 8080}, {name: http-metrics, port: 9090}]}\n';
    const metricsPermissive = pa('pay', '{selector: {matchLabels: {app: pay}}, portLevelMtls: {"9090": {mode: PERMISSIVE}}}');
    expect(messages(join(BASE, twoPorts, metricsPermissive, dr('pay', `{host: pay, trafficPolicy: {tls: ${disable}}}`)), 'ZT252')).toEqual([expect.stringContaining('to "pay", but shop/pay accepts only mTLS')]);
    // With both ports PERMISSIVE, plaintext is accepted everywhere: nothing to report.
    const bothPermissive = pa('pay', '{selector: {matchLabels: {app: pay}}, portLevelMtls: {"8080": {mode: PERMISSIVE}, "9090": {mode: PERMISSIVE}}}');
    expect(messages(join(BASE, twoPorts, bothPermissive, dr('pay', `{host: pay, trafficPolicy: {tls: ${disable}}}`)), 'ZT252')).toEqual([]);
  });

  test('a workload that receives on no port: its workload-wide mode decides', () => {
    const worker = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: worker, namespace: shop}\nspec: {selector: {matchLabels: {app: worker}}, template: {metadata: {labels: {app: worker}}, spec: {containers: [{name: app, image: "example/worker:1"}]}}}\n'
      + '---\napiVersion: v1\nkind: Service\nmetadata: {name: worker, namespace: shop}\nspec: {selector: {app: worker}, ports: []}\n';
    expect(messages(join(BASE, worker, dr('worker', `{host: worker, trafficPolicy: {tls: ${disable}}}`)), 'ZT252')).toEqual([expect.stringContaining('but shop/worker accepts only mTLS')]);
  });
});

describe('ZT253: TLS origination without server verification', () => {
  const bank = (tls: string, extra = '') => join(BASE, istio('ServiceEntry', 'shop', 'bank', '{hosts: [api.bank.example], ports: [{number: 443, name: tls, protocol: TLS}], resolution: DNS}'),
    dr('bank', `{host: api.bank.example, ${extra}trafficPolicy: {tls: ${tls}}}`));

  test('names where the tls block is, the mode, the host and what is missing', () => {
    expect(found(bank('{mode: SIMPLE}'), 'ZT253')).toEqual([{
      severity: 'warning', object: 'DestinationRule shop/bank',
      message: 'DestinationRule shop/bank trafficPolicy.tls: SIMPLE TLS to "api.bank.example" sets no caCertificates and subjectAltNames, so the server\'s certificate is not pinned to the CA and name you expect.',
      fix: 'set caCertificates (or credentialName), subjectAltNames and sni for the upstream server.',
    }]);
    expect(messages(bank('{mode: MUTUAL, caCertificates: /etc/ca.pem}'), 'ZT253')).toEqual([expect.stringContaining('MUTUAL TLS to "api.bank.example" sets no subjectAltNames, so')]);
    expect(messages(bank('{mode: SIMPLE, subjectAltNames: [api.bank.example]}'), 'ZT253')).toEqual([expect.stringContaining('sets no caCertificates, so')]);
  });

  test('a credentialName holds the CA only for a DestinationRule with a workloadSelector (a gateway\'s)', () => {
    const tls = '{mode: SIMPLE, credentialName: bank-ca, subjectAltNames: [api.bank.example]}';
    expect(messages(bank(tls), 'ZT253')).toEqual([expect.stringContaining('sets no caCertificates, so')]);
    expect(messages(bank(tls, 'workloadSelector: {matchLabels: {istio: egressgateway}}, '), 'ZT253')).toEqual([]);
  });

  test('silent with both set, with insecureSkipVerify (an explicit choice), and for other modes', () => {
    expect(messages(bank('{mode: SIMPLE, caCertificates: /etc/ca.pem, subjectAltNames: [api.bank.example]}'), 'ZT253')).toEqual([]);
    expect(messages(bank('{mode: SIMPLE, insecureSkipVerify: true}'), 'ZT253')).toEqual([]);
    expect(messages(bank('{mode: DISABLE}'), 'ZT253')).toEqual([]);
  });

  test('a subset\'s port-level block is named by its place', () => {
    const yaml = join(BASE, dr('api', '{host: api, subsets: [{name: v1, labels: {app: api}}, {name: v2, labels: {app: api}, trafficPolicy: {portLevelSettings: [{port: {number: 80}}, {port: {number: 81}, tls: {mode: SIMPLE}}]}}]}'));
    expect(messages(yaml, 'ZT253')).toEqual([expect.stringMatching(/^DestinationRule shop\/api subsets\[1\]\.trafficPolicy\.portLevelSettings\[1\]\.tls: SIMPLE TLS to "api" sets no/)]);
  });
});

describe('ZT254: a DestinationRule host that matches no Service or ServiceEntry', () => {
  test('names the host', () => {
    expect(found(join(BASE, dr('api', '{host: apii.shop.svc.cluster.local}')), 'ZT254')).toEqual([{
      severity: 'warning', object: 'DestinationRule shop/api',
      message: 'DestinationRule shop/api: host "apii.shop.svc.cluster.local" is no Service or ServiceEntry in the analyzed manifests, so the rule applies to nothing.',
      fix: 'use the service\'s full name "<name>.<namespace>.svc.cluster.local", or declare the external host with a ServiceEntry.',
    }]);
  });

  test('explains that "name.namespace" is not completed, only for such names', () => {
    expect(messages(join(BASE, dr('api', '{host: api.shop}')), 'ZT254')).toEqual([
      'DestinationRule shop/api: host "api.shop" is no Service or ServiceEntry in the analyzed manifests (a name with dots is taken literally: "name.namespace" is not completed), so the rule applies to nothing.',
    ]);
    expect(messages(join(BASE, dr('api', '{host: apii}')), 'ZT254')).toEqual([expect.stringContaining('"apii" is no Service or ServiceEntry in the analyzed manifests, so')]);
    expect(messages(join(BASE, dr('api', '{host: apii.shop.svc}')), 'ZT254')).toEqual([expect.stringContaining('"apii.shop.svc" is no Service or ServiceEntry in the analyzed manifests, so')]);
  });

  test('silent for a Service (short name too), a ServiceEntry, a wildcard and no host', () => {
    const yaml = join(BASE, dr('a', '{host: api}'), dr('b', '{host: "*.example.com"}'), dr('c', '{trafficPolicy: {}}'), dr('d', '{host: api.bank.example}'),
      istio('ServiceEntry', 'shop', 'bank', '{hosts: [api.bank.example], ports: [{number: 443, name: tls, protocol: TLS}], resolution: DNS}'));
    expect(messages(yaml, 'ZT254')).toEqual([]);
  });

  test('an egress gateway\'s Service, installed with the gateway, counts only when a route goes through that gateway', () => {
    const gatewayDr = dr('egress', '{host: istio-egressgateway.istio-system.svc.cluster.local, exportTo: [".", shop], subsets: [{name: stripe}]}', 'istio-system');
    const route = [
      istio('ServiceEntry', 'istio-system', 'stripe', '{hosts: [api.stripe.com], exportTo: [".", shop], location: MESH_EXTERNAL, resolution: DNS, ports: [{number: 443, name: tls, protocol: TLS}]}'),
      istio('Gateway', 'istio-system', 'egress', '{selector: {istio: egressgateway}, servers: [{port: {number: 443, name: tls, protocol: TLS}, hosts: [istio-system/api.stripe.com], tls: {mode: ISTIO_MUTUAL}}]}'),
      vs('stripe', '{hosts: [api.stripe.com], gateways: [mesh, istio-system/egress], exportTo: [".", shop], tls: [{match: [{gateways: [mesh], port: 443, sniHosts: [api.stripe.com]}], route: [{destination: {host: istio-egressgateway.istio-system.svc.cluster.local, subset: stripe, port: {number: 443}}}]}], tcp: [{match: [{gateways: [istio-system/egress], port: 443}], route: [{destination: {host: api.stripe.com, port: {number: 443}}}]}]}', 'istio-system'),
    ];
    expect(messages(join(BASE, gatewayDr, ...route), 'ZT254')).toEqual([]);
    expect(messages(join(BASE, gatewayDr), 'ZT254')).toEqual([expect.stringContaining('host "istio-egressgateway.istio-system.svc.cluster.local" is no Service')]);
    // A short host names the gateway's Service in the DestinationRule's own namespace.
    const shortDr = dr('egress', '{host: istio-egressgateway, exportTo: [".", shop], subsets: [{name: stripe}]}', 'istio-system');
    expect(messages(join(BASE, shortDr, ...route), 'ZT254')).toEqual([]);
    expect(messages(join(BASE, shortDr), 'ZT254')).toEqual([expect.stringContaining('host "istio-egressgateway" is no Service')]);
  });
});

describe('ZT255 and ZT256: a subset that selects no pods', () => {
  const subsetV1 = (labels: string) => dr('api', `{host: api.shop.svc.cluster.local, subsets: [{name: v1, labels: ${labels}}]}`);
  const routeV1 = (name: string, host = 'api') => vs(name, `{hosts: [${name}.example.com], http: [{route: [{destination: {host: ${host}, subset: v1}}]}]}`);

  test('ZT255 names the subset, its labels, the Service, the routes and the pods\' labels', () => {
    expect(found(join(BASE, subsetV1('{version: v1}'), routeV1('a')), 'ZT255')).toEqual([{
      severity: 'error', object: 'DestinationRule shop/api',
      message: 'DestinationRule shop/api: subset "v1" (labels {"version":"v1"}) matches none of the pods behind shop/api, and VirtualService shop/a routes to it: those requests get 503 (no healthy upstream).',
      fix: 'use labels the pods of api carry, e.g. {"app":"api"}, or deploy the version the route expects.',
    }]);
    expect(messages(join(BASE, subsetV1('{version: v1}'), routeV1('a'), vs('b', '{hosts: [b.example.com], http: [{route: [{destination: {host: web}}], mirror: {host: api.shop.svc.cluster.local, subset: v1}}]}')), 'ZT255'))
      .toEqual([expect.stringContaining('and VirtualService shop/a and VirtualService shop/b route to it:')]);
    expect(messages(join(BASE, subsetV1('{version: v1}'), routeV1('a')), 'ZT256')).toEqual([]);
  });

  test('a route to another subset of the same Service does not count; one matching pod of several is enough', () => {
    const v2 = vs('a', '{hosts: [a.example.com], http: [{route: [{destination: {host: api, subset: v2}}]}]}');
    expect(messages(join(BASE, subsetV1('{version: v1}'), v2), 'ZT256')).toEqual([expect.stringContaining('subset "v1"')]);
    expect(messages(join(BASE, subsetV1('{version: v1}'), v2), 'ZT255')).toEqual([]);
    const apiV1 = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api-v1, namespace: shop}\nspec: {selector: {matchLabels: {app: api, version: v1}}, template: {metadata: {labels: {app: api, version: v1}}, spec: {serviceAccountName: api, containers: [{name: app, image: "example/api:1", ports: [{containerPort: 8080, name: http}]}]}}}\n';
    expect(analyzeYaml(join(BASE, apiV1, subsetV1('{version: v1}'), routeV1('a'))).filter((f) => f.code === 'ZT255' || f.code === 'ZT256')).toEqual([]);
  });

  test('ZT256 when no route uses the subset; a route to another Service\'s subset of that name does not count', () => {
    expect(found(join(BASE, subsetV1('{version: v1}'), routeV1('a', 'web')), 'ZT256')).toEqual([{
      severity: 'warning', object: 'DestinationRule shop/api',
      message: 'DestinationRule shop/api: subset "v1" (labels {"version":"v1"}) matches none of the pods behind shop/api; no route uses it yet, but one that does will get 503.',
      fix: 'deploy the pods the subset names, or use labels the pods of api carry, e.g. {"app":"api"}.',
    }]);
    expect(messages(join(BASE, subsetV1('{version: v1}'), routeV1('a', 'web')), 'ZT255')).toEqual([]);
  });

  test('endpoint locality labels are not checked against the pods, unless empty (then never matching)', () => {
    expect(messages(join(BASE, subsetV1('{topology.kubernetes.io/zone: eu-1a, topology.istio.io/network: n1}'), routeV1('a')), 'ZT255')).toEqual([]);
    // Each key Istio adds to endpoints (istio:pkg/kube/labels AugmentLabels) is skipped alike.
    for (const key of ['topology.kubernetes.io/region', 'topology.kubernetes.io/zone', 'topology.istio.io/subzone', 'topology.istio.io/cluster', 'topology.istio.io/network', 'kubernetes.io/hostname']) {
      expect([key, messages(join(BASE, subsetV1(`{app: api, ${key}: x1}`), routeV1('a')), 'ZT255')]).toEqual([key, []]);
      expect([key, messages(join(BASE, subsetV1(`{app: api, ${key}: ""}`), routeV1('a')), 'ZT255')]).toEqual([key, [expect.stringContaining(`"${key}":""}) matches none`)]]);
    }
    expect(messages(join(BASE, subsetV1('{app: api, topology.istio.io/cluster: ""}'), routeV1('a')), 'ZT255'))
      .toEqual([expect.stringContaining('subset "v1" (labels {"app":"api","topology.istio.io/cluster":""}) matches none')]);
    expect(messages(join(BASE, subsetV1('{app: apii, kubernetes.io/hostname: node-1}'), routeV1('a')), 'ZT255'))
      .toEqual([expect.stringContaining('subset "v1" (labels {"app":"apii"}) matches none')]);
  });

  test('a short host is the Service in the DestinationRule\'s own namespace', () => {
    const shortHost = dr('api', '{host: api, subsets: [{name: v1, labels: {version: v1}}]}');
    expect(messages(join(BASE, shortHost, routeV1('a')), 'ZT255')).toEqual([expect.stringContaining('subset "v1" (labels {"version":"v1"}) matches none of the pods behind shop/api, and VirtualService shop/a routes')]);
    // The same short name from another namespace names another Service (none here).
    expect(analyzeYaml(join(BASE, ns('ops'), dr('api', '{host: api, subsets: [{name: v1, labels: {version: v1}}]}', 'ops'))).filter((f) => f.code === 'ZT255' || f.code === 'ZT256')).toEqual([]);
  });

  test('not for a host with no Service, a Service with no pods, or no host', () => {
    const lonely = 'apiVersion: v1\nkind: Service\nmetadata: {name: lonely, namespace: shop}\nspec: {selector: {app: lonely}, ports: [{name: http, port: 80}]}\n';
    const yaml = join(BASE, lonely, dr('a', '{host: ext.example.com, subsets: [{name: v1, labels: {version: v1}}]}'),
      dr('b', '{host: lonely, subsets: [{name: v1, labels: {version: v1}}]}'), dr('c', '{subsets: [{name: v1, labels: {version: v1}}]}'));
    // ZT009 would say a check broke on this input.
    expect(analyzeYaml(yaml).filter((f) => ['ZT255', 'ZT256', 'ZT009'].includes(f.code))).toEqual([]);
  });
});
