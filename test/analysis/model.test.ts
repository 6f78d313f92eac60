// The query layer the checks (and the access simulator) share.
import { MeshModel, parseManifests } from '../../analysis/index.js';
import { app, type AppOptions, BASE, istio, join, ns } from './fixtures.js';

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
