// The reference mesh on the ambient data plane: staging's config with `dataplane: 'ambient'` (the
// one-line change that switches an environment). Asserts where each
// grant ends up (ztunnel or waypoint), that every enforcement point Istio has in ambient denies by
// default, that the waypoint's identity is what the destinations admit, and that the policy
// analyzer finds no error in the output (ISTIO.md §9, §12.3; docs/ambient.md).
import { ENVIRONMENTS, EnvironmentConfig } from '../../infra/environment.js';
import { allowRulesFor, findObject, objectsOfKind, waypointOf, type Obj } from '../helpers/manifests.js';
import { schemaErrors } from '../helpers/schema.js';
import { analyzeEnvironment, environmentFiles, synthesizeEnvironment } from './reference.js';

const principal = (ns: string, sa: string) => `cluster.local/ns/${ns}/sa/${sa}`;
const WAYPOINT = principal('products', 'waypoint');
const L7 = ['service-a', 'service-b', 'service-c'];
const HBONE = { protocol: 'TCP', port: 15008 };

const ambientOf = (env: EnvironmentConfig): EnvironmentConfig => ({ ...env, dataplane: 'ambient' });

test('prod on ambient is refused while it routes calls out through its egress gateway (sidecar-only routing)', () => {
  expect(() => synthesizeEnvironment(ambientOf(ENVIRONMENTS.prod!)))
    .toThrow(/JwtProtectedService "products\/service-a": allowTo: the mesh routes external calls through its egress gateway by a VirtualService that only sidecars apply/);
});

describe.each(['staging'])('%s on the ambient data plane', (name) => {
  const sidecarEnv: EnvironmentConfig = { ...ENVIRONMENTS[name]!, dataplane: 'sidecar' };
  const env = ambientOf(sidecarEnv);
  const synth = synthesizeEnvironment(env);
  const { manifests } = synth;
  const policies = objectsOfKind(manifests, 'AuthorizationPolicy');

  test('the policy analyzer (zt-mesh analyze) reports no error, and every object passes its schema', () => {
    expect(analyzeEnvironment(synth).filter((f) => f.severity === 'error')).toEqual([]);
    expect(manifests.flatMap((m) => schemaErrors(m).map((e) => `${m.kind}/${m.metadata.name}: ${e}`))).toEqual([]);
  });

  test('namespaces are enrolled by the ambient label alone, and no Sidecar is written', () => {
    for (const ns of objectsOfKind(manifests, 'Namespace')) {
      expect(ns.metadata.labels?.['istio.io/dataplane-mode']).toBe('ambient');
      expect(ns.metadata.labels?.['istio-injection']).toBeUndefined();
      expect(ns.metadata.labels?.['istio.io/rev']).toBeUndefined();
    }
    expect(objectsOfKind(manifests, 'Sidecar')).toEqual([]);
    for (const pod of objectsOfKind(manifests, 'Deployment').concat(objectsOfKind(manifests, 'StatefulSet'))) {
      expect(pod.spec.template.metadata.labels['sidecar.istio.io/inject']).toBeUndefined();
    }
  });

  test('every workload\'s grants are at the enforcement point that honours them: L4 at ztunnel, L7 at the waypoint', () => {
    // MySQL's grant is identity and port only: a selector policy, enforced by ztunnel.
    const mysql = findObject(manifests, 'AuthorizationPolicy', 'products', 'mysql');
    expect(mysql.spec.selector).toEqual({ matchLabels: { app: 'mysql' } });
    expect(mysql.spec.targetRefs).toBeUndefined();
    expect(mysql.spec.rules).toEqual([{ from: [{ source: { principals: [principal('products', 'service-b')] } }], to: [{ operation: { ports: ['3306'] } }] }]);
    expect(waypointOf(manifests, 'products', 'mysql')).toBeUndefined();
    // a, b and c check methods, paths and the user's token: their policies and token checks
    // attach to their Services by targetRefs, which only a waypoint honours, so each Service is
    // bound to one.
    for (const svc of L7) {
      expect(waypointOf(manifests, 'products', svc)).toBe('waypoint');
      const grants = findObject(manifests, 'AuthorizationPolicy', 'products', svc);
      expect(grants.spec.selector).toBeUndefined();
      expect(grants.spec.targetRefs).toEqual([{ group: '', kind: 'Service', name: svc }]);
      expect(findObject(manifests, 'RequestAuthentication', 'products', svc).spec.targetRefs).toEqual([{ group: '', kind: 'Service', name: svc }]);
      // The ingress gateway's requests take the waypoint too, rather than skipping its L7 policy.
      expect(findObject(manifests, 'Service', 'products', svc).metadata.labels?.['istio.io/ingress-use-waypoint']).toBe('true');
    }
    // No selector policy carries an L7 field: ztunnel would drop the rule (ISTIO.md §9.3).
    const l7Fields = ['methods', 'paths', 'hosts', 'notMethods', 'notPaths', 'notHosts', 'requestPrincipals', 'notRequestPrincipals', 'remoteIpBlocks'];
    for (const p of policies.filter((x) => !x.spec.targetRefs)) {
      const text = JSON.stringify(p.spec.rules ?? []);
      for (const field of l7Fields) expect(`${p.metadata.name}: ${text.includes(`"${field}"`)}`).toBe(`${p.metadata.name}: false`);
      for (const r of p.spec.rules ?? []) for (const w of r.when ?? []) expect(w.key).toMatch(/^(source\.(ip|namespace|principal)|destination\.(ip|port))$/);
    }
  });

  test('the same grants as on sidecars: the callers, tokens, methods and paths of each workload are unchanged', () => {
    const sidecar = synthesizeEnvironment(sidecarEnv).manifests;
    // Ports aside: a sidecar matches the container port, a waypoint the Service port.
    const portless = (rules: any[]) => rules.map((r) => ({ ...r, to: r.to?.map((t: any) => ({ operation: { ...t.operation, ports: undefined } })) }));
    for (const svc of [...L7, 'mysql']) {
      expect(portless(allowRulesFor(manifests, 'products', svc).filter((r) => r.from))).toEqual(portless(allowRulesFor(sidecar, 'products', svc).filter((r) => r.from)));
    }
  });

  test('the waypoint is declared as Istio documents it, and its identity is what the bound workloads\' ztunnel admits', () => {
    const gateway = findObject(manifests, 'Gateway', 'products', 'waypoint');
    expect(gateway.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(gateway.metadata.labels).toEqual({ 'istio.io/waypoint-for': 'service' });
    expect(gateway.spec).toEqual({ gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] });
    // Every use-waypoint label names a waypoint Gateway of the Service's own namespace.
    for (const svc of objectsOfKind(manifests, 'Service')) {
      const bound = svc.metadata.labels?.['istio.io/use-waypoint'];
      if (bound === undefined) continue;
      const target = findObject(manifests, 'Gateway', svc.metadata.namespace, bound);
      expect(target.spec.gatewayClassName).toBe('istio-waypoint');
    }
    // The destination ztunnel sees the waypoint's identity: the only selector ALLOW on a bound
    // workload admits the waypoint, on every port.
    for (const svc of L7) {
      const atZtunnel = policies.filter((p) => p.metadata.namespace === 'products' && p.spec.selector?.matchLabels?.app === svc && (p.spec.action ?? 'ALLOW') === 'ALLOW');
      expect(atZtunnel.map((p) => p.metadata.name)).toEqual([`${svc}-require-waypoint`]);
      expect(atZtunnel[0]!.spec.rules).toEqual([{ from: [{ source: { principals: [WAYPOINT] } }] }]);
    }
  });

  test('default deny at every enforcement point: ztunnel (namespace allow-nothing), waypoints (GatewayClass), transport (STRICT)', () => {
    for (const ns of objectsOfKind(manifests, 'Namespace')) {
      expect(findObject(manifests, 'AuthorizationPolicy', ns.metadata.name, 'allow-nothing').spec).toEqual({});
    }
    const waypoints = policies.filter((p) => (p.spec.targetRefs ?? []).some((t: any) => t.kind === 'GatewayClass' && t.name === 'istio-waypoint'));
    expect(waypoints.map((p) => [p.metadata.namespace, p.spec.rules, p.spec.action])).toEqual([['istio-system', undefined, undefined]]);
    const modes = objectsOfKind(manifests, 'PeerAuthentication').map((p) => p.spec.mtls?.mode);
    expect(new Set(modes)).toEqual(new Set(['STRICT']));
    expect(findObject(manifests, 'PeerAuthentication', 'istio-system', 'default').spec).toEqual({ mtls: { mode: 'STRICT' } });
  });

  test('NetworkPolicies carry mesh traffic on HBONE 15008 and let ambient kubelet probes in', () => {
    const netpol = (n: string) => findObject(manifests, 'NetworkPolicy', 'products', n) as Obj;
    expect(netpol('default-deny').spec.ingress).toEqual([{ from: [{ ipBlock: { cidr: '169.254.7.127/32' } }] }]);
    const waypointPods = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'products' } }, podSelector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' } } };
    // The bound workloads admit the waypoint alone, on 15008.
    for (const svc of L7) expect(netpol(svc).spec.ingress).toEqual([{ from: [waypointPods], ports: [HBONE] }]);
    // The waypoint admits the ingress gateway and the callers of a, b and c on 15008, and reaches
    // the bound pods on 15008.
    const waypoint = netpol('waypoint').spec;
    expect(waypoint.podSelector).toEqual({ matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' } });
    const admitted = waypoint.ingress.map((r: any) => r.from[0].podSelector.matchLabels);
    expect(admitted).toEqual(expect.arrayContaining([{ istio: 'ingressgateway' }, { app: 'service-a' }, { app: 'service-c' }]));
    for (const rule of [...waypoint.ingress, ...waypoint.egress]) expect(rule.ports).toEqual([HBONE]);
    expect(waypoint.egress.map((r: any) => r.to[0].podSelector.matchLabels.app).sort()).toEqual(L7);
    // Callers reach the waypoint; b reaches MySQL directly (L4) with HBONE among its ports.
    expect(netpol('service-a').spec.egress).toContainEqual({ to: [waypointPods], ports: [HBONE] });
    expect(netpol('mysql').spec.ingress[0].ports).toContainEqual(HBONE);
  });

  test('deterministic: synthesizing twice gives byte-identical files', () => {
    expect(environmentFiles(synthesizeEnvironment(env))).toEqual(environmentFiles(synth));
  });
});

test('the data plane is config: the products namespace alone can move to ambient', () => {
  const sidecarStaging: EnvironmentConfig = { ...ENVIRONMENTS.staging!, dataplane: 'sidecar' };
  const mixed = synthesizeEnvironment({ ...sidecarStaging, namespaceDataplanes: { products: 'ambient' } }).manifests;
  expect(findObject(mixed, 'Namespace', undefined, 'products').metadata.labels).toEqual({ 'istio.io/dataplane-mode': 'ambient' });
  expect(objectsOfKind(mixed, 'Sidecar')).toEqual([]);
  const sidecar = synthesizeEnvironment(sidecarStaging).manifests;
  expect(findObject(sidecar, 'Namespace', undefined, 'products').metadata.labels).toEqual({ 'istio-injection': 'enabled' });
  expect(objectsOfKind(sidecar, 'Gateway').every((g) => g.apiVersion.startsWith('networking.istio.io/'))).toBe(true);
});

test('dev on ambient: the DISABLE demo is refused (ambient ignores DISABLE) unless that namespace stays on sidecars', () => {
  expect(() => synthesizeEnvironment(ambientOf(ENVIRONMENTS.dev!))).toThrow(/ZeroTrustNamespace "mtls-disable": mtls: DISABLE has no effect on ambient pods/);
  const dev = synthesizeEnvironment({ ...ambientOf(ENVIRONMENTS.dev!), namespaceDataplanes: { 'mtls-disable': 'sidecar' } });
  expect(analyzeEnvironment(dev).filter((f) => f.severity === 'error')).toEqual([]);
  // The JWT demo's L7 grant (token and groups claim) is at jwt's waypoint.
  expect(waypointOf(dev.manifests, 'jwt', 'httpbin')).toBe('waypoint');
  expect(allowRulesFor(dev.manifests, 'jwt', 'httpbin')).toEqual([{
    from: [{ source: { principals: [principal('sleep', 'sleep')], requestPrincipals: ['testing@secure.istio.io/*'] } }],
    when: [{ key: 'request.auth.claims[groups]', values: ['group1'] }],
  }]);
});

