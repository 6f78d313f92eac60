import type { Construct } from 'constructs';
import {
  Callers, Dataplane, EgressGateway, EnvValue, ExternalHost, IngressGateway, JwtIssuer, JwtProtectedService, Mesh, MeshIngress, MeshWorkload,
  MtlsMode, Probe, ServicePort, ZeroTrustNamespace,
} from 'zero-trust-mesh';
import type { EnvironmentConfig } from './environment.js';

/** The products app's services listen on 8080 behind Service port 8000. */
const HTTP = ServicePort.http(8000, { targetPort: 8080 });
/** What the products services serve, and so all a caller may ask of them. */
const PRODUCTS_API = { methods: ['GET'], paths: ['/products', '/products/*'] } as const;

/**
 * The reference mesh of SCENARIOS.md for one environment: the products app (ingress → a → c →
 * b → MySQL, each hop granted to its one caller, the token forwarded and checked at every hop)
 * and, where enabled, the demo namespaces with the `sleep` client.
 */
export function defineReferenceMesh(app: Construct, env: EnvironmentConfig): Mesh {
  const mesh = new Mesh(app, env.name, {
    environment: env.name,
    stage: env.stage,
    trustDomain: env.trustDomain,
    mtls: env.mtls,
    ingressGateway: env.ingress.gateway.install === 'helm'
      ? IngressGateway.helmChart({ release: env.ingress.gateway.release, namespace: env.ingress.gateway.namespace })
      : IngressGateway.istioctl(),
    acknowledgements: env.acknowledgements,
    dataplane: Dataplane.of(env.dataplane, `environment "${env.name}"`, 'dataplane'),
    ...(env.egress.gateway ? { egressGateway: EgressGateway.helmChart(env.egress.gateway) } : {}),
  });
  const issuer = JwtIssuer.fromConfig(env.issuer);
  const products = namespace(mesh, env, 'products');

  // Readiness through Istio's agent, which rewrites the kubelet's probe so STRICT mTLS and the
  // default deny never block it (https://istio.io/latest/docs/ops/configuration/mesh/app-health-check/).
  // With more than one replica each gets a disruption budget (maxUnavailable 1) and a soft spread.
  const service = (name: string, image: string, forwardOriginalToken: boolean) => new JwtProtectedService(products, name, {
    image, ports: [HTTP], replicas: env.replicas, issuers: [issuer], forwardOriginalToken,
    readiness: Probe.http('/healthz'),
  });
  // a and c pass the user's token on to the next hop; b is the last hop that checks it.
  const serviceA = service('service-a', env.images.serviceA, true);
  const serviceC = service('service-c', env.images.serviceC, true);
  const serviceB = service('service-b', env.images.serviceB, false);
  // A StatefulSet: the products database lives on a PersistentVolumeClaim that outlives the pod.
  const mysql = new MeshWorkload(products, 'mysql', {
    image: env.images.mysql,
    ports: [ServicePort.tcp(3306, { suffix: 'mysql' })],
    env: { MYSQL_ROOT_PASSWORD: EnvValue.fromSecretKey(env.mysqlSecret.name, env.mysqlSecret.key) },
    // The official image's `mysql` user; it writes its data and socket directories.
    securityContext: { runAsUser: 999, runAsGroup: 999, readOnlyRootFilesystem: false },
    persistentVolumes: [{ name: 'data', path: '/var/lib/mysql', ...env.mysqlStorage }],
    writablePaths: ['/var/run/mysqld', '/tmp'],
    readiness: Probe.tcp({ periodSeconds: 5 }),
    resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } },
  });

  new MeshIngress(products, 'products', {
    host: env.ingress.host,
    service: serviceA,
    pathPrefixes: ['/products'],
    methods: PRODUCTS_API.methods,
    ...(env.ingress.tlsCredentialName ? { tlsCredentialName: env.ingress.tlsCredentialName } : {}),
    ...(env.ingress.api ? { api: env.ingress.api } : {}),
  });
  serviceC.allowFrom(serviceA, { ...PRODUCTS_API, reason: 'a reads products from c with the user\'s token' });
  serviceB.allowFrom(serviceC, { ...PRODUCTS_API, reason: 'c reads products from b with the user\'s token' });
  mysql.allowFrom(serviceB, { ports: [3306], reason: 'b is the only reader of the products database' });
  // The one call out of the cluster: a takes payments; nothing else may leave (SCENARIOS.md E4).
  serviceA.allowTo(ExternalHost.https(env.egress.paymentsApiHost));

  if (env.demos.enabled) defineDemos(mesh, issuer, env);
  return mesh;
}

/** A namespace of the reference mesh, on the data plane the environment gives it. */
function namespace(mesh: Mesh, env: EnvironmentConfig, name: string, props: { mtls?: MtlsMode } = {}): ZeroTrustNamespace {
  const mode = env.namespaceDataplanes?.[name];
  return new ZeroTrustNamespace(mesh, name, {
    ...props,
    ...(mode !== undefined ? { dataplane: Dataplane.of(mode, `environment "${env.name}"`, `namespaceDataplanes.${name}`) } : {}),
  });
}

/** Istio's security demos: JWT on httpbin, and one httpbin per mTLS mode, called by `sleep`. */
function defineDemos(mesh: Mesh, issuer: JwtIssuer, env: EnvironmentConfig): void {
  const sleep = new MeshWorkload(namespace(mesh, env, 'sleep'), 'sleep', {
    image: env.images.sleep,
    command: ['/bin/sleep', 'infinity'],
  });
  const httpbinPort = ServicePort.http(8000, { targetPort: 8080 });

  const ready = Probe.http('/status/200');
  const jwtHttpbin = new JwtProtectedService(namespace(mesh, env, 'jwt'), 'httpbin', {
    image: env.images.httpbin, ports: [httpbinPort], issuers: [issuer], readiness: ready,
    requiredClaims: { groups: [env.demos.requiredGroup] },
  });
  jwtHttpbin.allowFrom(sleep, { reason: 'JWT demo: no token 403, bad token 401, valid token 200' });

  const httpbinIn = (name: string, mtls: MtlsMode) => new MeshWorkload(namespace(mesh, env, name, { mtls }), 'httpbin', {
    image: env.images.httpbin, ports: [httpbinPort], readiness: ready,
  });
  // Each demo shows what its mode lets through, so the grants admit every caller the mode accepts.
  httpbinIn('mtls-strict', MtlsMode.STRICT).allowFrom(Callers.anyAuthenticatedWorkload(), { reason: 'mTLS demo: only mesh workloads get in' });
  httpbinIn('mtls-permissive', MtlsMode.PERMISSIVE).allowFrom(Callers.anyone(), { reason: 'mTLS demo: plaintext clients are accepted too' });
  httpbinIn('mtls-disable', MtlsMode.DISABLE).allowFrom(Callers.anyone(), { reason: 'mTLS demo: no mTLS at all' });
}
