// The query layer the checks (and the access simulator) share.
import { MeshModel, parseManifests } from '../../analysis/index.js';
import { hostMatches } from '../../analysis/model.js';
import { app, type AppOptions, BASE, foundIn, istio, join, ns } from './fixtures.js';

const model = (yaml: string) => new MeshModel(parseManifests(yaml, 'm.yaml').objects);
const workload = (m: MeshModel, namespace: string, name: string) => m.workloads.find((w) => w.namespace === namespace && w.name === name)!;

describe('effective mTLS: port > workload > namespace > mesh > PERMISSIVE, UNSET inherits', () => {
  const pa = (namespace: string, name: string, spec: string) => istio('PeerAuthentication', namespace, name, spec);
  const mesh = BASE.replace('{mtls: {mode: STRICT}} # mesh', '{mtls: {mode: DISABLE}} # mesh');

  test.each([
    ['mesh only', mesh, undefined, 'DISABLE', 'mesh'],
    ['no policy at all', BASE.replace('namespace: istio-system}', 'namespace: elsewhere}'), undefined, 'PERMISSIVE', 'default'],
    ['namespace over mesh', join(mesh, pa('shop', 'default', '{mtls: {mode: PERMISSIVE}}')), undefined, 'PERMISSIVE', 'namespace'],
    ['namespace UNSET inherits', join(mesh, pa('shop', 'default', '{mtls: {mode: UNSET}}')), undefined, 'DISABLE', 'mesh'],
    ['workload over namespace', join(mesh, pa('shop', 'api', '{selector: {matchLabels: {app: api}}, mtls: {mode: STRICT}}')), undefined, 'STRICT', 'workload'],
    ['port over workload', join(mesh, pa('shop', 'api', '{selector: {matchLabels: {app: api}}, mtls: {mode: STRICT}, portLevelMtls: {"8080": {mode: PERMISSIVE}}}')), 8080, 'PERMISSIVE', 'port'],
    ['another port keeps the workload mode', join(mesh, pa('shop', 'api', '{selector: {matchLabels: {app: api}}, mtls: {mode: STRICT}, portLevelMtls: {"9090": {mode: PERMISSIVE}}}')), 8080, 'STRICT', 'workload'],
    ['a selector in the root namespace is ignored', join(mesh, pa('istio-system', 'api', '{selector: {matchLabels: {app: api}}, mtls: {mode: STRICT}}')), undefined, 'DISABLE', 'mesh'],
  ])('%s', (_, yaml, port, mode, scope) => {
    const m = model(yaml);
    expect(m.effectiveMtls(workload(m, 'shop', 'api'), port)).toMatchObject({ mode, scope });
  });
});

describe('port protocol, as Istio derives it from Service ports', () => {
  test.each([
    ['http', {}, 'http'],
    ['grpc-web name', { servicePortName: 'grpc-web-ui' }, 'http'],
    ['tls is TCP at the sidecar', { servicePortName: 'tls-api' }, 'tcp'],
    ['unknown name', { servicePortName: 'web' }, 'unknown'],
    ['unknown name on 3306', { servicePortName: 'db', port: 3306 }, 'tcp'],
  ] as const)('%s', (_, o, expected) => {
    const m = model(join(ns('shop'), app('shop', 'x', o)));
    const w = workload(m, 'shop', 'x');
    expect(m.portProtocol(w, (o as AppOptions).port ?? 8080)).toBe(expected);
  });

  test('appProtocol wins over the name; a port no Service targets is unknown', () => {
    const m = model(join(ns('shop'), app('shop', 'x', { servicePortName: 'tcp-x' }).replace('{name: tcp-x,', '{name: tcp-x, appProtocol: http,')));
    const w = workload(m, 'shop', 'x');
    expect(m.portProtocol(w, 8080)).toBe('http');
    expect(m.portProtocol(w, 9999)).toBe('unknown');
    expect(m.inboundPorts(w)).toEqual([8080]);
  });
});

describe('selection and injection', () => {
  const m = model(join(BASE, ns('plain', 'team: x'), app('plain', 'legacy'), app('shop', 'batch', { podLabels: 'sidecar.istio.io/inject: "false"' }), app('unknown', 'ghost'),
    istio('AuthorizationPolicy', 'istio-system', 'root', '{selector: {matchLabels: {app: api}}}'),
    istio('AuthorizationPolicy', 'shop', 'all', '{selector: {matchLabels: {}}}'),
    istio('AuthorizationPolicy', 'shop', 'refs', '{targetRefs: [{kind: Service, name: api}]}')));
  const names = (kind: string, name: string) => m.selectedWorkloads(m.ofKind(kind).find((o) => o.name === name)!).map((w) => `${w.namespace}/${w.name}`).sort();

  test('sidecar: namespace label, pod opt-out, unknown namespace', () => {
    expect(workload(m, 'shop', 'api').sidecar).toBe(true);
    expect(workload(m, 'shop', 'batch').sidecar).toBe(false);
    expect(workload(m, 'plain', 'legacy').sidecar).toBe(false);
    expect(workload(m, 'unknown', 'ghost').sidecar).toBeUndefined();
  });

  test('the pod label sidecar.istio.io/inject "true" injects in a namespace with no injection label, not in a disabled one (object selector webhook)', () => {
    const labelled = model(join(ns('plain', 'team: x'), ns('off', 'istio-injection: disabled'),
      app('plain', 'opted-in', { podLabels: 'sidecar.istio.io/inject: "true"' }),
      app('plain', 'annotated', { podAnnotations: 'sidecar.istio.io/inject: "true"' }),
      app('off', 'opted-in', { podLabels: 'sidecar.istio.io/inject: "true"' }),
      app('elsewhere', 'opted-in', { podLabels: 'sidecar.istio.io/inject: "true"' })));
    expect(workload(labelled, 'plain', 'opted-in').sidecar).toBe(true);
    // The annotation alone does not call the webhook; a disabled namespace wins over the label.
    expect(workload(labelled, 'plain', 'annotated').sidecar).toBe(false);
    expect(workload(labelled, 'off', 'opted-in').sidecar).toBe(false);
    expect(workload(labelled, 'elsewhere', 'opted-in').sidecar).toBe(true);
  });

  test('ambient: pods of a namespace labelled istio.io/dataplane-mode=ambient are captured by ztunnel, unless injected, host-network or opted out', () => {
    const am = model(join(ns('amb', 'istio.io/dataplane-mode: ambient'), ns('both', 'istio.io/dataplane-mode: ambient, istio-injection: enabled'), ns('plain', 'team: x'),
      app('amb', 'api'), app('amb', 'out', { podLabels: 'istio.io/dataplane-mode: none' }), app('both', 'api'),
      app('plain', 'enrolled', { podLabels: 'istio.io/dataplane-mode: ambient' }), app('plain', 'legacy')));
    expect([workload(am, 'amb', 'api').ambient, workload(am, 'amb', 'api').sidecar]).toEqual([true, false]);
    expect(workload(am, 'amb', 'out').ambient).toBe(false);
    // Sidecar mode takes precedence (istio.io, ambient "add workloads").
    expect([workload(am, 'both', 'api').ambient, workload(am, 'both', 'api').sidecar]).toEqual([false, true]);
    expect(workload(am, 'plain', 'enrolled').ambient).toBe(true);
    expect(workload(am, 'plain', 'legacy').ambient).toBe(false);
  });

  test('a root-namespace selector reaches every namespace; empty matchLabels selects all; targetRefs none', () => {
    expect(names('AuthorizationPolicy', 'root')).toEqual(['shop/api']);
    expect(names('AuthorizationPolicy', 'all')).toEqual(['shop/api', 'shop/batch', 'shop/db', 'shop/web']);
    expect(names('AuthorizationPolicy', 'refs')).toEqual([]);
    expect(m.authorizationPoliciesFor(workload(m, 'shop', 'api')).map((p) => p.name).sort()).toEqual(['all', 'allow-nothing', 'root']);
  });

  test('hosts: short names complete in the asking namespace, FQDNs as written, "name.ns" is not completed', () => {
    expect(m.resolveHost('api', 'shop').service?.name).toBe('api');
    expect(m.resolveHost('api', 'plain').service).toBeUndefined();
    expect(m.resolveHost('api.shop.svc.cluster.local', 'plain').service?.name).toBe('api');
    expect(m.resolveHost('api.shop', 'plain').service).toBeUndefined();
  });
});

describe('objects: namespaces, the input file, the options', () => {
  // Kubernetes ignores metadata.namespace on a cluster-scoped object; the manifests of such an
  // object say nothing about any namespace, so it must not make one look declared or covered.
  test.each(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'MutatingWebhookConfiguration',
    'ValidatingWebhookConfiguration', 'PersistentVolume', 'StorageClass', 'PriorityClass', 'IngressClass', 'GatewayClass', 'Node'])(
    '%s objects are cluster-scoped: they live in no namespace, whatever their metadata says', (kind) => {
      const m = model(`apiVersion: v1\nkind: ${kind}\nmetadata: {name: x, namespace: shop}\n`);
      expect(m.objects[0]!.namespace).toBeUndefined();
      expect(m.covers('shop', [kind])).toBe(false);
      expect(m.ofKindIn(kind, 'shop')).toEqual([]);
      expect(m.knownNamespaces().has('shop')).toBe(false);
    });

  test('a namespaced object that names no namespace is in default; known namespaces are the declared ones and those objects live in', () => {
    const m = model(join(ns('empty'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n', app('shop', 'api'),
      'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: reader}\n'));
    expect(m.ofKind('ConfigMap')[0]!.namespace).toBe('default');
    expect(m.ofKindIn('ConfigMap', 'default').map((o) => o.name)).toEqual(['settings']);
    expect([...m.knownNamespaces()].sort()).toEqual(['default', 'empty', 'shop']);
    expect(m.ofKind('Secret')).toEqual([]);
  });

  test('each object keeps the file it came from', () => {
    const m = model(app('shop', 'api'));
    expect(m.objects.map((o) => o.file)).toEqual(['m.yaml', 'm.yaml', 'm.yaml']);
  });

  test('the input covers a namespace it declares, or where it holds an object of the kinds asked about', () => {
    const m = model(join(ns('declared'), app('shop', 'api')));
    expect(m.declares('declared')).toBe(true);
    expect(m.covers('declared', ['Gateway'])).toBe(true);
    // shop is not declared: its Services are there, its Gateways may live in the cluster only.
    expect(m.declares('shop')).toBe(false);
    expect(m.covers('shop', ['Service'])).toBe(true);
    expect(m.covers('shop', ['Gateway', 'Service'])).toBe(true);
    expect(m.covers('shop', ['Gateway'])).toBe(false);
    expect(m.covers('elsewhere', ['Service'])).toBe(false);
  });

  test('without options: root namespace istio-system, trust domain cluster.local, no address allocation, ALLOW_ANY not stated', () => {
    const m = new MeshModel([]);
    expect(m.rootNamespace).toBe('istio-system');
    expect(m.trustDomain).toBe('cluster.local');
    expect([...m.localTrustDomains]).toEqual(['cluster.local']);
    expect(m.autoAllocatesServiceEntryAddresses).toBe(false);
    expect(m.outboundTrafficPolicy).toBe('ALLOW_ANY');
    expect(m.outboundTrafficPolicyStated).toBe(false);
  });

  test('options: trust domain and aliases (cluster.local always local), address allocation, a stated outbound policy', () => {
    const m = new MeshModel([], { trustDomain: 'corp.example', trustDomainAliases: ['old.example'], autoAllocatesServiceEntryAddresses: true, outboundTrafficPolicy: 'REGISTRY_ONLY' });
    expect(m.trustDomain).toBe('corp.example');
    expect([...m.localTrustDomains].sort()).toEqual(['cluster.local', 'corp.example', 'old.example']);
    expect(m.autoAllocatesServiceEntryAddresses).toBe(true);
    expect(m.outboundTrafficPolicy).toBe('REGISTRY_ONLY');
    expect(m.outboundTrafficPolicyStated).toBe(true);
    // Stating Istio's default is still stating it.
    expect(new MeshModel([], { outboundTrafficPolicy: 'ALLOW_ANY' }).outboundTrafficPolicyStated).toBe(true);
  });

  test('another root namespace: its policies are mesh-wide, istio-system is an ordinary namespace', () => {
    const yaml = join(app('shop', 'api'), app('istio-system', 'gw'),
      istio('PeerAuthentication', 'mesh-root', 'default', '{mtls: {mode: STRICT}}'),
      istio('PeerAuthentication', 'istio-system', 'default', '{mtls: {mode: DISABLE}}'),
      istio('AuthorizationPolicy', 'mesh-root', 'deny-api', '{selector: {matchLabels: {app: api}}, action: DENY, rules: [{}]}'),
      istio('AuthorizationPolicy', 'istio-system', 'not-mesh-wide', '{selector: {matchLabels: {app: api}}}'));
    const m = new MeshModel(parseManifests(yaml, 'm.yaml').objects, { rootNamespace: 'mesh-root' });
    expect(m.rootNamespace).toBe('mesh-root');
    expect(m.effectiveMtls(workload(m, 'shop', 'api'))).toMatchObject({ mode: 'STRICT', scope: 'mesh' });
    expect(m.effectiveMtls(workload(m, 'istio-system', 'gw'))).toMatchObject({ mode: 'DISABLE', scope: 'namespace' });
    expect(m.authorizationPoliciesFor(workload(m, 'shop', 'api')).map((p) => p.name)).toEqual(['deny-api']);
  });
});

describe('workloads: which objects run pods, and what their pods are', () => {
  const podSpec = '{serviceAccountName: runner, containers: [{name: c, image: "example/job:1", ports: [{containerPort: 9000, name: grpc-api}]}]}';
  const template = `{metadata: {labels: {app: job}}, spec: ${podSpec}}`;
  test.each([
    ['Deployment', 'apps/v1', `{selector: {matchLabels: {app: job}}, template: ${template}}`],
    ['StatefulSet', 'apps/v1', `{selector: {matchLabels: {app: job}}, serviceName: job, template: ${template}}`],
    ['DaemonSet', 'apps/v1', `{selector: {matchLabels: {app: job}}, template: ${template}}`],
    ['ReplicaSet', 'apps/v1', `{selector: {matchLabels: {app: job}}, template: ${template}}`],
    ['ReplicationController', 'v1', `{selector: {app: job}, template: ${template}}`],
    ['Job', 'batch/v1', `{template: ${template}}`],
    ['CronJob', 'batch/v1', `{schedule: "0 * * * *", jobTemplate: {spec: {template: ${template}}}}`],
  ])('a %s runs pods as its template says: labels, identity, ports; policies select them', (kind, apiVersion, spec) => {
    const m = model(join(ns('shop'), `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: {name: job, namespace: shop}\nspec: ${spec}\n`,
      istio('AuthorizationPolicy', 'shop', 'jobs', '{selector: {matchLabels: {app: job}}}')));
    expect(m.workloads.map((w) => [w.object.kind, w.namespace, w.name])).toEqual([[kind, 'shop', 'job']]);
    const w = workload(m, 'shop', 'job');
    expect(w.podLabels).toEqual({ app: 'job' });
    expect(w.serviceAccount).toBe('runner');
    expect(w.containerPorts).toEqual([{ containerPort: 9000, name: 'grpc-api', protocol: 'TCP' }]);
    expect(w.sidecar).toBe(true);
    expect(m.authorizationPoliciesFor(w).map((p) => p.name)).toEqual(['jobs']);
  });

  test('a bare Pod is a workload: its own metadata and spec; a PodTemplate or a ConfigMap is none', () => {
    const m = model(join(ns('shop'), `apiVersion: v1\nkind: Pod\nmetadata: {name: job, namespace: shop, labels: {app: job}}\nspec: ${podSpec}\n`,
      `apiVersion: v1\nkind: PodTemplate\nmetadata: {name: tpl, namespace: shop}\ntemplate: ${template}\n`,
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: shop}\n'));
    expect(m.workloads.map((w) => w.name)).toEqual(['job']);
    expect(workload(m, 'shop', 'job')).toMatchObject({ podLabels: { app: 'job' }, serviceAccount: 'runner', sidecar: true });
  });

  test('identity: serviceAccountName, else the deprecated serviceAccount, else default', () => {
    const deployment = (name: string, spec: string) => `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ${name}, namespace: shop}\nspec: {template: {metadata: {labels: {app: ${name}}}, spec: ${spec}}}\n`;
    const m = model(join(ns('shop'), deployment('both', '{serviceAccountName: new, serviceAccount: old, containers: []}'),
      deployment('old', '{serviceAccount: old, containers: []}'), deployment('none', '{containers: []}')));
    expect(m.workloads.map((w) => `${w.name}:${w.serviceAccount}`)).toEqual(['both:new', 'old:old', 'none:default']);
    expect(m.workloadsWithIdentity('shop', 'old').map((w) => w.name)).toEqual(['old']);
    expect(m.workloadsWithIdentity('shop', 'default').map((w) => w.name)).toEqual(['none']);
    expect(m.workloadsWithIdentity('other', 'default')).toEqual([]);
  });

  test('container ports of every container, TCP unless stated, entries without a port number skipped; run-as users of pod and containers', () => {
    const m = model(join(ns('shop'), `apiVersion: apps/v1
kind: Deployment
metadata: {name: dns, namespace: shop}
spec:
  template:
    metadata: {labels: {app: dns}}
    spec:
      securityContext: {runAsUser: 1000}
      containers:
      - {name: a, image: a, ports: [{containerPort: 53, name: dns, protocol: UDP}, {name: nameless}], securityContext: {runAsUser: 1337}}
      - {name: b, image: b, ports: [{containerPort: 8080}]}
`));
    const w = workload(m, 'shop', 'dns');
    expect(w.containerPorts).toEqual([{ containerPort: 53, name: 'dns', protocol: 'UDP' }, { containerPort: 8080, protocol: 'TCP' }]);
    expect(w.runAsUsers).toEqual([1000, 1337]);
    expect(w.hostNetwork).toBe(false);
  });

  test('a workload in no namespace is in default', () => {
    const m = model('apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec: {template: {metadata: {labels: {app: api}}, spec: {containers: []}}}\n');
    expect(m.workloads.map((w) => `${w.namespace}/${w.name}`)).toEqual(['default/api']);
    expect(m.workloadsIn('default').map((w) => w.name)).toEqual(['api']);
  });

  test.each([
    ['istio-injection: enabled', true],
    ['istio-injection: disabled', false],
    ['istio.io/rev: canary', true],
    ['istio.io/rev: canary, istio-injection: disabled', false],
    ['istio-injection: enabled, istio.io/rev: canary', true],
    ['team: x', false],
  ])('namespace labels {%s}: injection %s', (labels, injected) => {
    const m = model(join(ns('shop', labels), app('shop', 'api')));
    expect(m.namespaceInjection('shop')).toBe(injected);
    expect(workload(m, 'shop', 'api').sidecar).toBe(injected);
    expect(m.namespaceInjection('undeclared')).toBeUndefined();
  });

  test('host-network pods get no sidecar and no ztunnel; the pod annotation inject "false" opts out too', () => {
    const hostNet = (namespace: string) => `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: node-agent, namespace: ${namespace}}\nspec: {template: {metadata: {labels: {app: node-agent, istio.io/dataplane-mode: ambient}}, spec: {hostNetwork: true, containers: []}}}\n`;
    const m = model(join(ns('shop'), ns('amb', 'istio.io/dataplane-mode: ambient'), hostNet('shop'), hostNet('amb'),
      app('shop', 'annotated', { podAnnotations: 'sidecar.istio.io/inject: "false"' })));
    expect(workload(m, 'shop', 'node-agent')).toMatchObject({ hostNetwork: true, sidecar: false, ambient: false });
    expect(workload(m, 'amb', 'node-agent')).toMatchObject({ hostNetwork: true, sidecar: false, ambient: false });
    expect(workload(m, 'shop', 'annotated').sidecar).toBe(false);
  });

  test('a pod labelled ambient in an undeclared namespace (injection unknown) is captured by ztunnel', () => {
    const m = model(app('elsewhere', 'api', { podLabels: 'istio.io/dataplane-mode: ambient' }));
    expect(workload(m, 'elsewhere', 'api')).toMatchObject({ sidecar: undefined, ambient: true });
  });
});

describe('service accounts and per-namespace lists', () => {
  test('ServiceAccounts of a namespace, and those Istio creates for its waypoints (named like the Gateway, or as annotated)', () => {
    const gateway = (name: string, apiVersion: string, className: string, annotations = '') => `apiVersion: ${apiVersion}\nkind: Gateway\nmetadata: {name: ${name}, namespace: shop${annotations ? `, annotations: {${annotations}}` : ''}}\nspec: {gatewayClassName: ${className}, listeners: [{name: mesh, port: 15008, protocol: HBONE}]}\n`;
    const m = model(join(app('shop', 'api'), app('other', 'web'),
      gateway('waypoint', 'gateway.networking.k8s.io/v1', 'istio-waypoint'),
      gateway('named', 'gateway.networking.k8s.io/v1', 'istio-waypoint', 'gateway.istio.io/service-account: wp-sa'),
      gateway('ingress', 'gateway.networking.k8s.io/v1', 'istio'),
      gateway('classic', 'networking.istio.io/v1', 'istio-waypoint')));
    expect(m.serviceAccountsIn('shop')).toEqual(['api', 'waypoint', 'wp-sa']);
    expect(m.serviceAccountsIn('other')).toEqual(['web']);
    expect(m.serviceAccountsIn('none')).toEqual([]);
  });

  test('a workload of the root namespace gets each of its namespace\'s policies once, all in input order', () => {
    const m = model(join(app('istio-system', 'gw'), app('shop', 'api'),
      istio('AuthorizationPolicy', 'shop', 'first', '{}'),
      istio('AuthorizationPolicy', 'istio-system', 'mesh', '{}'),
      istio('AuthorizationPolicy', 'shop', 'last', '{}'),
      istio('RequestAuthentication', 'shop', 'jwt-a', '{}'),
      istio('RequestAuthentication', 'istio-system', 'jwt-mesh', '{}'),
      istio('RequestAuthentication', 'shop', 'jwt-b', '{}')));
    expect(m.authorizationPoliciesFor(workload(m, 'istio-system', 'gw')).map((p) => p.name)).toEqual(['mesh']);
    expect(m.requestAuthenticationsFor(workload(m, 'istio-system', 'gw')).map((p) => p.name)).toEqual(['jwt-mesh']);
    expect(m.authorizationPoliciesFor(workload(m, 'shop', 'api')).map((p) => p.name)).toEqual(['first', 'mesh', 'last']);
    expect(m.requestAuthenticationsFor(workload(m, 'shop', 'api')).map((p) => p.name)).toEqual(['jwt-a', 'jwt-mesh', 'jwt-b']);
  });
});

describe('host overlap (istio:pkg/config/host/name.go Matches), whichever host is the pattern', () => {
  test.each([
    ['api.example.com', 'api.example.com', true],
    ['api.example.com', 'web.example.com', false],
    ['API.Example.com', 'api.example.COM', true],
    ['*.example.com', 'api.example.com', true],
    ['*.example.com', 'a.b.example.com', true],
    ['*.example.com', 'example.com', false],
    ['*.example.com', 'api.example.org', false],
    ['*', 'api.example.com', true],
    ['*', '*.example.com', true],
    ['*.example.com', '*.shop.example.com', true],
    ['*.example.com', '*.example.com', true],
    ['*.example.com', '*.example.org', false],
    ['*.shop.example.com', 'shop.example.com', false],
  ])('%s and %s: %s', (a, b, overlap) => {
    expect(hostMatches(a, b)).toBe(overlap);
    expect(hostMatches(b, a)).toBe(overlap);
  });

  test('a VirtualService for *.example.com binds to a Gateway server for *.shop.example.com: Istio serves the overlap, no ZT412', () => {
    const gateway = istio('Gateway', 'shop', 'gw', '{selector: {istio: ingressgateway}, servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["shop/*.shop.example.com"]}]}');
    const vs = (hosts: string) => istio('VirtualService', 'shop', 'routes', `{hosts: ${hosts}, gateways: [shop/gw], http: [{route: [{destination: {host: api.shop.svc.cluster.local, port: {number: 80}}}]}]}`);
    expect(foundIn(join(BASE, gateway, vs('["*.example.com"]')), 'ZT412')).toEqual([]);
    expect(foundIn(join(BASE, gateway, vs('["*.example.org"]')), 'ZT412')).toHaveLength(1);
  });
});
