// The reference mesh of SCENARIOS.md, asserted on the synthesized manifests of every
// environment: transport, issuers, token forwarding, and who may call whom.
import { ENVIRONMENTS, EnvironmentConfig } from '../../infra/environment.js';
import { environmentFiles, synthesizeEnvironment } from './reference.js';
import type { Manifest } from '../../manifests/index.js';
import { allowedPrincipals, allowPoliciesFor, allowRulesFor, findObject, namespaceMtls, objectsOfKind, requireWaypointPrincipals } from '../helpers/manifests.js';
import { schemaErrors } from '../helpers/schema.js';

const principal = (ns: string, sa: string) => `cluster.local/ns/${ns}/sa/${sa}`;
/** The ingress gateway's identity: the installed gateway's, or the one Istio deploys for a Gateway API Gateway. */
const gatewayOf = (env: EnvironmentConfig) => (env.ingress.api === 'gateway-api' ? principal('products', 'products-istio') : principal('istio-system', 'istio-ingressgateway'));
const EXPECTED_ISSUER: Record<string, string> = {
  dev: 'testing@secure.istio.io',
  staging: 'https://zero-trust-mesh-staging.eu.auth0.com/',
  prod: 'https://zero-trust-mesh.okta.com/oauth2/default',
};

/**
 * Every environment, plus staging on the ambient data plane: switching an environment is a change
 * of its `dataplane` alone, and the same grants must hold (test/infra/ambient.test.ts has the
 * ambient-only properties). Once staging runs ambient in environment.ts, drop the extra entry.
 */
const CASES: [string, EnvironmentConfig, boolean][] = [
  ...Object.values(ENVIRONMENTS).map((env): [string, EnvironmentConfig, boolean] => [env.name, env, false]),
];

describe.each(CASES)('environment %s', (_label, env, variant) => {
  const name = env.name;
  const { manifests } = synthesizeEnvironment(env);
  const ambient = env.dataplane === 'ambient';

  test('every object validates against the Kubernetes and Istio schemas', () => {
    const errors = manifests.flatMap((m) => schemaErrors(m).map((e) => `${m.kind}/${m.metadata.name}: ${e}`));
    expect(errors).toEqual([]);
  });

  // The variant differs from its environment only in the data plane; its files get a snapshot
  // once the environment itself switches.
  if (!variant) {
    test('the files match the snapshot', () => {
      expect(Object.fromEntries(environmentFiles(synthesizeEnvironment(env)))).toMatchSnapshot();
    });
  }

  test('mTLS: mesh and products follow the environment; prod and staging are STRICT everywhere', () => {
    expect(findObject(manifests, 'PeerAuthentication', 'istio-system', 'default').spec).toEqual({ mtls: { mode: env.mtls } });
    expect(namespaceMtls(manifests, 'products')).toBe(env.mtls);
    if (env.stage !== 'dev') {
      const modes = objectsOfKind(manifests, 'PeerAuthentication').map((p) => p.spec.mtls.mode);
      expect(new Set(modes)).toEqual(new Set(['STRICT']));
    }
    expect(name === 'dev' ? 'PERMISSIVE' : 'STRICT').toBe(env.mtls);
  });

  test('every namespace is enrolled in the environment\'s data plane and denies by default', () => {
    for (const ns of objectsOfKind(manifests, 'Namespace')) {
      expect(ns.metadata.labels).toMatchObject(ambient ? { 'istio.io/dataplane-mode': 'ambient' } : { 'istio-injection': 'enabled' });
      expect(findObject(manifests, 'AuthorizationPolicy', ns.metadata.name, 'allow-nothing').spec).toEqual({});
    }
    const namespaces = new Set(objectsOfKind(manifests, 'Namespace').map((n) => n.metadata.name));
    for (const d of objectsOfKind(manifests, 'Deployment')) expect(namespaces).toContain(d.metadata.namespace);
  });

  test('each workload has its own ServiceAccount, so principals tell them apart', () => {
    const accounts = objectsOfKind(manifests, 'Deployment').map((d) => `${d.metadata.namespace}/${d.spec.template.spec.serviceAccountName}`);
    expect(new Set(accounts).size).toBe(accounts.length);
    expect(accounts).not.toContain(expect.stringMatching(/\/default$/));
  });

  test('services a, b and c validate the environment\'s issuer; a and c forward the token, b does not', () => {
    const forwards: Record<string, boolean> = {};
    for (const svc of ['service-a', 'service-b', 'service-c']) {
      const ra = findObject(manifests, 'RequestAuthentication', 'products', svc);
      // At the sidecar by selector; in ambient at the Service's waypoint, by targetRefs.
      if (ambient) expect(ra.spec.targetRefs).toEqual([{ group: '', kind: 'Service', name: svc }]);
      else expect(ra.spec.selector).toEqual({ matchLabels: { app: svc } });
      expect(ra.spec.jwtRules).toHaveLength(1);
      expect(ra.spec.jwtRules[0].issuer).toBe(EXPECTED_ISSUER[name]);
      expect(ra.spec.jwtRules[0].jwksUri).toMatch(/^https:\/\//);
      forwards[svc] = ra.spec.jwtRules[0].forwardOriginalToken === true;
    }
    expect(forwards).toEqual({ 'service-a': true, 'service-b': false, 'service-c': true });
  });

  test('only the ingress gateway may call a, only a may call c, only c may call b, only b may reach MySQL', () => {
    expect(allowedPrincipals(manifests, 'products', 'service-a')).toEqual([gatewayOf(env)]);
    expect(allowedPrincipals(manifests, 'products', 'service-c')).toEqual([principal('products', 'service-a')]);
    expect(allowedPrincipals(manifests, 'products', 'service-b')).toEqual([principal('products', 'service-c')]);
    expect(allowedPrincipals(manifests, 'products', 'mysql')).toEqual([principal('products', 'service-b')]);
    // In ambient, a, b and c are checked at the waypoint; their ztunnel admits the waypoint alone.
    for (const svc of ['service-a', 'service-b', 'service-c']) {
      expect(requireWaypointPrincipals(manifests, 'products', svc)).toEqual(ambient ? [principal('products', 'waypoint')] : allowedPrincipals(manifests, 'products', svc));
    }
  });

  test('every rule on a, b and c requires the caller\'s identity AND a token of the issuer, in one source', () => {
    for (const svc of ['service-a', 'service-b', 'service-c']) {
      const rules = allowRulesFor(manifests, 'products', svc);
      expect(rules.length).toBeGreaterThan(0);
      for (const rule of rules) {
        expect(rule.from).toHaveLength(1);
        expect(rule.from[0].source.principals).toHaveLength(1);
        expect(rule.from[0].source.requestPrincipals).toEqual([`${EXPECTED_ISSUER[name]}/*`]);
        expect(rule.to[0].operation.methods).toEqual(['GET']);
      }
    }
  });

  test('MySQL is granted by identity on its container port only, with no HTTP-only fields (TCP)', () => {
    const svc = findObject(manifests, 'Service', 'products', 'mysql');
    expect(svc.spec.ports).toEqual([{ name: 'tcp-mysql', port: 3306, protocol: 'TCP', targetPort: 3306 }]);
    expect(allowRulesFor(manifests, 'products', 'mysql')).toEqual([{
      from: [{ source: { principals: [principal('products', 'service-b')] } }],
      to: [{ operation: { ports: ['3306'] } }],
    }]);
  });

  test('the gateway exposes service-a alone, on /products, for the environment\'s host', () => {
    if (env.ingress.api === 'gateway-api') {
      // A Kubernetes Gateway (class istio) with one HTTPS listener for the host, its certificate in
      // products, and one HTTPRoute to service-a; the grant to a from the deployed gateway's identity.
      // (an ambient namespace's waypoint is a Gateway too, of class istio-waypoint.)
      const [gateway, ...more] = objectsOfKind(manifests, 'Gateway').filter((g) => g.metadata.namespace === 'products' && g.spec.gatewayClassName !== 'istio-waypoint');
      expect(more).toEqual([]);
      expect(gateway.apiVersion).toBe('gateway.networking.k8s.io/v1');
      expect(gateway.spec.gatewayClassName).toBe('istio');
      expect(gateway.spec.listeners).toEqual([{
        name: 'https', hostname: env.ingress.host, port: 443, protocol: 'HTTPS',
        tls: { mode: 'Terminate', certificateRefs: [{ group: '', kind: 'Secret', name: env.ingress.tlsCredentialName }] },
        allowedRoutes: { namespaces: { from: 'Same' } },
      }]);
      expect(objectsOfKind(manifests, 'VirtualService').filter((vs) => vs.metadata.namespace === 'products')).toEqual([]);
      const [route] = objectsOfKind(manifests, 'HTTPRoute');
      expect(route.spec).toEqual({
        parentRefs: [{ name: 'products', sectionName: 'https' }], hostnames: [env.ingress.host],
        rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/products' } }], backendRefs: [{ name: 'service-a', port: 8000 }] }],
      });
      const [rule] = allowRulesFor(manifests, 'products', 'service-a');
      expect(rule.to[0].operation).toEqual({ methods: ['GET'], paths: ['/products', '/products/*'], ports: ['8080'] });
      return;
    }
    // (prod's egress Gateway lives with the egress gateway in istio-system; an ambient namespace's
    // waypoint is a Gateway API Gateway.)
    const gateways = objectsOfKind(manifests, 'Gateway').filter((g) => g.metadata.namespace === 'products' && g.apiVersion.startsWith('networking.istio.io/'));
    expect(gateways).toHaveLength(1);
    expect(gateways[0].spec.selector).toEqual({ istio: 'ingressgateway' });
    expect(gateways[0].spec.servers.flatMap((s: { hosts: string[] }) => s.hosts)).toEqual(expect.arrayContaining([`products/${env.ingress.host}`]));
    if (env.stage !== 'dev') {
      expect(gateways[0].spec.servers.find((s: { port: { protocol: string } }) => s.port.protocol === 'HTTPS').tls)
        .toEqual({ mode: 'SIMPLE', credentialName: env.ingress.tlsCredentialName });
    }
    const destinations = objectsOfKind(manifests, 'VirtualService').filter((vs) => vs.metadata.namespace === 'products')
      .flatMap((vs) => vs.spec.http.flatMap((h: { route: { destination: { host: string } }[] }) => h.route.map((r) => r.destination.host)));
    expect(destinations).toEqual(['service-a.products.svc.cluster.local']);
    const [gatewayRule] = allowRulesFor(manifests, 'products', 'service-a');
    // The container port at a sidecar; at a waypoint, the Service port the request was sent to.
    expect(gatewayRule.to[0].operation).toEqual({ methods: ['GET'], paths: ['/products', '/products/*'], ports: [ambient ? '8000' : '8080'] });
  });

  test('MySQL\'s password comes from a referenced Secret; no Secret or secret value is emitted', () => {
    expect(objectsOfKind(manifests, 'Secret')).toEqual([]);
    const container = findObject(manifests, 'StatefulSet', 'products', 'mysql').spec.template.spec.containers[0];
    expect(container.env).toEqual([{ name: 'MYSQL_ROOT_PASSWORD', valueFrom: { secretKeyRef: { name: 'mysql-credentials', key: 'root-password' } } }]);
  });

  test('MySQL keeps its data directory on a PersistentVolumeClaim of the environment\'s size', () => {
    expect(objectsOfKind(manifests, 'Deployment').map((d) => d.metadata.name)).not.toContain('mysql');
    const mysql = findObject(manifests, 'StatefulSet', 'products', 'mysql');
    expect(mysql.spec.serviceName).toBe('mysql');
    expect(findObject(manifests, 'Service', 'products', 'mysql')).toBeDefined();
    expect(mysql.spec.volumeClaimTemplates).toEqual([{
      metadata: { name: 'data' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: env.mysqlStorage.size } } },
    }]);
    const pod = mysql.spec.template.spec;
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'data', mountPath: '/var/lib/mysql' });
    // No emptyDir hides the data directory.
    expect(pod.volumes.map((v: { name: string }) => v.name)).not.toContain('data');
    expect(pod.volumes.some((v: { emptyDir?: object; name: string }) => v.emptyDir && pod.containers[0].volumeMounts
      .some((m: { name: string; mountPath: string }) => m.name === v.name && m.mountPath === '/var/lib/mysql'))).toBe(false);
  });

  test('every products service has a readiness probe; MySQL\'s is a TCP check of its port', () => {
    for (const name of ['service-a', 'service-b', 'service-c']) {
      expect(findObject(manifests, 'Deployment', 'products', name).spec.template.spec.containers[0].readinessProbe)
        .toEqual({ httpGet: { path: '/healthz', port: 8080 } });
    }
    expect(findObject(manifests, 'StatefulSet', 'products', 'mysql').spec.template.spec.containers[0].readinessProbe)
      .toEqual({ tcpSocket: { port: 3306 }, periodSeconds: 5 });
  });

  test('replicated services get a disruption budget and a soft spread; single pods get neither', () => {
    const budgets = objectsOfKind(manifests, 'PodDisruptionBudget').filter((b) => b.metadata.namespace === 'products');
    const spread = findObject(manifests, 'Deployment', 'products', 'service-a').spec.template.spec.topologySpreadConstraints;
    if (env.replicas > 1) {
      expect(budgets.map((b) => b.metadata.name).sort()).toEqual(['service-a', 'service-b', 'service-c']);
      for (const b of budgets) expect(b.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: { app: b.metadata.name } } });
      expect(spread.map((c: { topologyKey: string }) => c.topologyKey)).toEqual(['kubernetes.io/hostname', 'topology.kubernetes.io/zone']);
      expect(spread.every((c: { whenUnsatisfiable: string }) => c.whenUnsatisfiable === 'ScheduleAnyway')).toBe(true);
    } else {
      expect(budgets).toEqual([]);
      expect(spread).toBeUndefined();
    }
  });

  test('Service ports name their protocol so Istio never sniffs', () => {
    for (const svc of objectsOfKind(manifests, 'Service')) {
      for (const port of svc.spec.ports) expect(port.name).toMatch(/^(http|grpc|tcp)(-|$)/);
    }
  });

  test('outside dev, no rule admits a caller with neither an mTLS identity nor a token', () => {
    const open = objectsOfKind(manifests, 'AuthorizationPolicy').flatMap((p) => (p.spec.rules ?? []).filter(
      (r: { from?: { source: { principals?: string[]; namespaces?: string[]; requestPrincipals?: string[] } }[] }) => !r.from
        || r.from.some((f) => !f.source.principals && !f.source.namespaces && !f.source.requestPrincipals),
    ).map(() => `${p.metadata.namespace}/${p.metadata.name}`));
    if (env.stage === 'dev') expect(open.sort()).toEqual(['mtls-disable/httpbin', 'mtls-permissive/httpbin']);
    else expect(open).toEqual([]);
  });

  test('audit: access logging is on mesh-wide', () => {
    expect(findObject(manifests, 'Telemetry', 'istio-system', 'mesh-default').spec).toEqual({ accessLogging: [{ providers: [{ name: 'envoy' }] }] });
  });
});

describe('demo namespaces', () => {
  const dev = synthesizeEnvironment(ENVIRONMENTS.dev).manifests;
  const namespacesOf = (ms: readonly Manifest[]) => objectsOfKind(ms, 'Namespace').map((n) => n.metadata.name).sort();

  test('exist in dev with the mode each demonstrates, and not in staging or prod', () => {
    expect(namespacesOf(dev)).toEqual(['jwt', 'mtls-disable', 'mtls-permissive', 'mtls-strict', 'products', 'sleep']);
    expect(namespaceMtls(dev, 'mtls-strict')).toBe('STRICT');
    expect(namespaceMtls(dev, 'mtls-permissive')).toBe('PERMISSIVE');
    expect(namespaceMtls(dev, 'mtls-disable')).toBe('DISABLE');
    expect(namespacesOf(synthesizeEnvironment(ENVIRONMENTS.staging).manifests)).toEqual(['products']);
    expect(namespacesOf(synthesizeEnvironment(ENVIRONMENTS.prod).manifests)).toEqual(['products']);
  });

  test('httpbin in jwt needs sleep\'s identity, a demo-issuer token and group1', () => {
    expect(allowRulesFor(dev, 'jwt', 'httpbin')).toEqual([{
      from: [{ source: { principals: [principal('sleep', 'sleep')], requestPrincipals: ['testing@secure.istio.io/*'] } }],
      when: [{ key: 'request.auth.claims[groups]', values: ['group1'] }],
    }]);
    expect(findObject(dev, 'RequestAuthentication', 'jwt', 'httpbin').spec.jwtRules[0].issuer).toBe('testing@secure.istio.io');
  });

  test('sleep has a sidecar and no Service; mtls-strict admits any authenticated workload', () => {
    const pod = findObject(dev, 'Deployment', 'sleep', 'sleep').spec.template;
    expect(pod.metadata.labels['sidecar.istio.io/inject']).toBeUndefined();
    expect(dev.filter((m) => m.kind === 'Service' && m.metadata.namespace === 'sleep')).toEqual([]);
    expect(allowedPrincipals(dev, 'mtls-strict', 'httpbin')).toEqual(['*']);
    expect(allowPoliciesFor(dev, 'mtls-disable', 'httpbin').map((p) => p.metadata.name).sort()).toEqual(['allow-nothing', 'httpbin']);
  });
});
