import * as pulumi from '@pulumi/pulumi';
import { JwtIssuer, MtlsMode } from 'zero-trust-mesh';
import { ENVIRONMENTS } from '../../infra/environment.js';
import { synthesizeEnvironment } from '../infra/reference.js';
import type { Manifest } from '../../manifests/index.js';
import { manifestId } from '../../manifests/index.js';
import { ISTIO_VERSION } from '../../stacks/stack-config.js';
import { deployMesh, program, readStackSettings, StackOutputs } from '../../stacks/program.js';
import { isSecretWire, mockStack, plainOccurrences, Registration, unwrapSecrets } from '../helpers/pulumi-harness.js';

const PASSWORD = 'Tr0ub4dor-and-3-more-words';
const MESH = 'zero-trust-mesh:index:MeshDeployment';
const RELEASE = 'kubernetes:helm.sh/v3:Release';

interface Deployed {
  readonly registrations: Registration[];
  readonly outputs: StackOutputs;
}

/** Runs the program's deploy path under mocks and waits until every registration is done. */
async function deploy(stack: string, config: Record<string, string> = {}): Promise<Deployed> {
  const registrations = await mockStack(stack, { mysqlPassword: PASSWORD, ...config }, ['mysqlPassword']);
  const { outputs } = deployMesh(readStackSettings());
  await pulumi.runtime.disconnect(); // drains every outstanding registration
  return { registrations, outputs };
}

/** Runs the whole program (as `pulumi up` would) and returns its error and what got registered. */
async function failing(stack: string, config: Record<string, string>, secretKeys = ['mysqlPassword']): Promise<{ message: string; registrations: Registration[] }> {
  const registrations = await mockStack(stack, config, secretKeys);
  const error = await program().then(() => undefined, (e: unknown) => e);
  await pulumi.runtime.disconnect();
  if (!(error instanceof pulumi.RunError)) throw new Error(`expected a RunError, got ${String(error)}`);
  return { message: error.message, registrations };
}

const parentType = (r: Registration) => r.urn.split('::')[2]!.split('$').slice(-2, -1)[0];
const meshObjects = (d: Deployed) => d.registrations.filter((r) => r.custom && parentType(r) === MESH);
const asManifest = (r: Registration) => unwrapSecrets(r.wire) as Manifest;
const urnOf = (d: Deployed, predicate: (r: Registration) => boolean): string => {
  const found = d.registrations.filter(predicate);
  if (found.length !== 1) throw new Error(`expected one registration, found ${found.length}`);
  return found[0]!.urn;
};
const objectUrn = (d: Deployed, id: string) => urnOf(d, (r) => r.custom && parentType(r) === MESH && manifestId(asManifest(r)) === id);

describe.each(['dev', 'staging', 'prod'])('stack %s', (stack) => {
  const env = ENVIRONMENTS[stack]!;
  const synth = synthesizeEnvironment(env);
  let deployed: Deployed;
  beforeAll(async () => { deployed = await deploy(stack); });

  test('registers exactly the objects cdk8s synth writes, unchanged, plus the database Secret', () => {
    const registered = new Map(meshObjects(deployed).map((r) => [manifestId(asManifest(r)), asManifest(r)]));
    const secretId = `Secret/products/${env.mysqlSecret.name}`;
    expect([...registered.keys()].sort()).toEqual([...synth.manifests.map(manifestId), secretId].sort());
    for (const manifest of synth.manifests) expect(registered.get(manifestId(manifest))).toEqual(manifest);
  });

  test('carries the environment\'s issuer and mTLS modes', () => {
    const objects = meshObjects(deployed).map(asManifest);
    const issuers = objects.filter((m) => m.kind === 'RequestAuthentication')
      .flatMap((m) => (m.spec as { jwtRules: { issuer: string }[] }).jwtRules.map((rule) => rule.issuer));
    expect(issuers.length).toBeGreaterThan(0);
    expect(new Set(issuers)).toEqual(new Set([JwtIssuer.fromConfig(env.issuer).issuer]));
    const meshPolicy = objects.find((m) => m.kind === 'PeerAuthentication' && m.metadata.namespace === 'istio-system');
    expect((meshPolicy?.spec as { mtls: { mode: string } }).mtls.mode).toBe(env.mtls);
    const products = objects.find((m) => m.kind === 'PeerAuthentication' && m.metadata.namespace === 'products');
    expect((products?.spec as { mtls: { mode: string } }).mtls.mode).toBe(env.mtls);
  });

  test('every namespaced object waits for its namespace; every Istio object for the control plane', () => {
    const releases = deployed.registrations.filter((r) => r.type === RELEASE).map((r) => r.urn);
    expect(releases).toHaveLength(env.egress.gateway ? 4 : 3);
    const namespaces = new Set(synth.manifests.filter((m) => m.kind === 'Namespace').map((m) => m.metadata.name));
    let checked = 0;
    for (const r of meshObjects(deployed)) {
      const m = asManifest(r);
      const ns = m.metadata.namespace;
      if (ns !== undefined && namespaces.has(ns)) {
        expect(r.dependencies).toContain(objectUrn(deployed, `Namespace/-/${ns}`));
        checked += 1;
      }
      if (m.apiVersion.includes('.istio.io/')) {
        expect(r.dependencies).toEqual(expect.arrayContaining(releases));
      }
    }
    const namespaced = synth.manifests.filter((m) => m.metadata.namespace !== undefined && namespaces.has(m.metadata.namespace));
    expect(checked).toBe(namespaced.length + 1); // and the Secret
  });

  test('workloads start only after the control plane, their identity, secrets and policies', () => {
    const releases = deployed.registrations.filter((r) => r.type === RELEASE).map((r) => r.urn);
    const mysql = meshObjects(deployed).find((r) => manifestId(asManifest(r)) === 'StatefulSet/products/mysql')!;
    expect(mysql.dependencies).toEqual(expect.arrayContaining([
      ...releases,
      objectUrn(deployed, 'ServiceAccount/products/mysql'),
      objectUrn(deployed, `Secret/products/${env.mysqlSecret.name}`),
      objectUrn(deployed, 'AuthorizationPolicy/products/allow-nothing'),
      objectUrn(deployed, 'AuthorizationPolicy/products/mysql'),
      objectUrn(deployed, 'PeerAuthentication/products/default'),
      objectUrn(deployed, 'PeerAuthentication/istio-system/default'),
    ]));
    // The engine sees a dependency registered before what depends on it.
    const order = new Map(deployed.registrations.map((r, i) => [r.urn, i]));
    for (const r of deployed.registrations) {
      for (const dependency of r.dependencies) expect(order.get(dependency)).toBeLessThan(order.get(r.urn)!);
    }
  });

  test('installs the pinned control plane with the trust domain and access logging', () => {
    const releases = deployed.registrations.filter((r) => r.type === RELEASE).map((r) => unwrapSecrets(r.wire) as Record<string, any>);
    expect(releases.map((r) => [r.name, r.chart, r.version, r.namespace])).toEqual([
      ['istio-base', 'base', ISTIO_VERSION, 'istio-system'],
      ['istiod', 'istiod', ISTIO_VERSION, 'istio-system'],
      ['istio-ingressgateway', 'gateway', ISTIO_VERSION, 'istio-system'],
      ...(env.egress.gateway ? [[env.egress.gateway.release, 'gateway', ISTIO_VERSION, env.egress.gateway.namespace]] : []),
    ]);
    // The egress gateway is reached from inside the mesh only.
    if (env.egress.gateway) expect(releases.find((r) => r.name === env.egress.gateway!.release)!.values).toEqual({ service: { type: 'ClusterIP' } });
    const istiod = releases.find((r) => r.name === 'istiod')!;
    expect(istiod.values.meshConfig).toMatchObject({ trustDomain: env.trustDomain, accessLogFile: '/dev/stdout' });
  });

  test('keeps the MySQL password secret: a secret input of the Secret, in no plain input or output', () => {
    const secret = meshObjects(deployed).find((r) => r.type === 'kubernetes:core/v1:Secret')!;
    const value = (secret.wire.stringData as Record<string, unknown>)[env.mysqlSecret.key];
    expect(isSecretWire(value) || isSecretWire(secret.wire.stringData)).toBe(true);
    expect(JSON.stringify(secret.wire)).toContain(PASSWORD); // it is there, wrapped
    expect(deployed.registrations.flatMap((r) => plainOccurrences(r.wire, PASSWORD).map((p) => `${r.urn}${p}`))).toEqual([]);
    expect(JSON.stringify(deployed.outputs)).not.toContain(PASSWORD);
  });

  test('outputs the environment, issuer, host, namespaces and object count', () => {
    expect(deployed.outputs).toEqual({
      environment: stack,
      issuer: JwtIssuer.fromConfig(env.issuer).issuer,
      ingressHost: env.ingress.host,
      namespaces: synth.manifests.filter((m) => m.kind === 'Namespace').map((m) => m.metadata.name),
      objects: synth.manifests.length + 1,
      istio: ISTIO_VERSION,
    });
  });
});

describe('stack config', () => {
  test('overrides reach the registered objects (issuer, mTLS, host, images, replicas, provider)', async () => {
    const deployed = await deploy('staging', {
      issuer: JSON.stringify({ provider: 'okta', domain: 'acme.okta.com', audiences: ['api://acme'] }),
      mtls: 'PERMISSIVE',
      // Staging allows PERMISSIVE, but the analyzer (the same gate as synth) wants the reason.
      acknowledgements: JSON.stringify({ nonStrictMtls: 'staging: migrating legacy clients, OPS-7' }),
      ingressHost: 'shop.staging.example.com',
      images: JSON.stringify({ serviceA: 'ghcr.io/acme/service-a:2.0.1' }),
      replicas: '4',
      kubeContext: 'staging-us',
      kubeconfig: '/home/ops/.kube/staging',
    });
    const objects = meshObjects(deployed).map(asManifest);
    const find = (id: string) => objects.find((m) => manifestId(m) === id) as Manifest & { spec: any };
    expect(find('RequestAuthentication/products/service-a').spec.jwtRules[0].issuer).toBe('https://acme.okta.com/oauth2/default');
    expect(find('PeerAuthentication/istio-system/default').spec.mtls.mode).toBe(MtlsMode.PERMISSIVE);
    expect(find('Gateway/products/products').spec.servers.flatMap((s: { hosts: string[] }) => s.hosts)).toContain('products/shop.staging.example.com');
    expect(find('Deployment/products/service-a').spec.template.spec.containers[0].image).toBe('ghcr.io/acme/service-a:2.0.1');
    expect(find('Deployment/products/service-b').spec.replicas).toBe(4);
    const provider = deployed.registrations.find((r) => r.type === 'pulumi:providers:kubernetes')!;
    expect(provider.wire.context).toBe('staging-us');
    expect(isSecretWire(provider.wire.kubeconfig)).toBe(true);
    expect(deployed.outputs.issuer).toBe('https://acme.okta.com/oauth2/default');
  });

  test('installIstio=false registers no control plane and nothing waits for one', async () => {
    const deployed = await deploy('prod', { installIstio: 'false' });
    expect(deployed.registrations.filter((r) => r.type === RELEASE)).toEqual([]);
    expect(deployed.registrations.filter((r) => r.type.includes('ControlPlane'))).toEqual([]);
    expect(deployed.outputs.istio).toBe('not managed by this stack');
    expect(meshObjects(deployed)).toHaveLength(synthesizeEnvironment(ENVIRONMENTS.prod!).manifests.length + 1);
  });
});

describe('bad config fails with a message naming the key, and registers nothing', () => {
  const cases: [string, string, Record<string, string>, string[], RegExp][] = [
    ['unknown environment', 'qa', { mysqlPassword: PASSWORD }, ['mysqlPassword'], /zero-trust-mesh:environment: "qa" \(from the stack name\) is not an environment/],
    ['http issuer in prod', 'prod', {
      mysqlPassword: PASSWORD,
      issuer: JSON.stringify({ provider: 'oidc', issuer: 'http://idp.example.com', jwksUri: 'http://idp.example.com/keys', audiences: ['api'] }),
    }, ['mysqlPassword'], /from stack config zero-trust-mesh:issuer: .*not an https URL.*acknowledgements\.insecureIssuer/],
    ['PERMISSIVE in prod without acknowledgement', 'prod', { mysqlPassword: PASSWORD, mtls: 'PERMISSIVE' }, ['mysqlPassword'],
      /from stack config zero-trust-mesh:mtls: .*PERMISSIVE.*pulumi config set --path 'zero-trust-mesh:acknowledgements\.nonStrictMtls'/],
    ['an issuer domain the IdP factory refuses', 'staging', {
      mysqlPassword: PASSWORD,
      issuer: JSON.stringify({ provider: 'auth0', domain: 'https://acme.eu.auth0.com/', audiences: ['x'] }),
    }, ['mysqlPassword'], /from stack config zero-trust-mesh:issuer: JwtIssuer\.auth0: domain: .*not a bare domain/],
    ['the demo issuer in staging', 'staging', { mysqlPassword: PASSWORD, issuer: JSON.stringify({ provider: 'istio-demo' }) }, ['mysqlPassword'],
      /from stack config zero-trust-mesh:issuer: .*private key is public.*acknowledgements\.demoIssuer/],
    ['missing secret', 'dev', {}, [], /zero-trust-mesh:mysqlPassword: is not set.*pulumi config set --secret zero-trust-mesh:mysqlPassword/],
    ['misspelled key', 'dev', { mysqlPassword: PASSWORD, mTLS: 'STRICT' }, ['mysqlPassword'], /zero-trust-mesh:mTLS: is not a setting of this program\. Fix: did you mean zero-trust-mesh:mtls\?/],
    ['mode that does not exist', 'staging', { mysqlPassword: PASSWORD, mtls: 'strict' }, ['mysqlPassword'], /zero-trust-mesh:mtls: "strict" is not an mTLS mode/],
  ];
  test.each(cases)('%s', async (_name, stack, config, secretKeys, message) => {
    const { message: actual, registrations } = await failing(stack, config, secretKeys);
    expect(actual).toMatch(message);
    expect(actual).toMatch(/Nothing was registered\.$/);
    expect(registrations).toEqual([]);
  });

  test('what the stage permits deploys without a reason, recorded as permitted by the stage (the gate sees warnings)', async () => {
    const registrations = await mockStack('dev', { mysqlPassword: PASSWORD }, ['mysqlPassword']);
    const settings = readStackSettings();
    const unacknowledged = { ...settings, environment: { ...settings.environment, acknowledgements: {} } };
    deployMesh(unacknowledged);
    await pulumi.runtime.disconnect();
    const policy = registrations.filter((r) => r.custom && parentType(r) === MESH).map(asManifest)
      .find((m) => manifestId(m) === 'PeerAuthentication/mtls-permissive/default');
    expect(policy?.metadata.annotations?.['zero-trust-mesh.io/acknowledged-non-strict-mtls']).toBe('permitted by stage dev (no reason given in acknowledgements.nonStrictMtls)');
  });

  test('PERMISSIVE in prod passes once acknowledged in stack config', async () => {
    const deployed = await deploy('prod', { mtls: 'PERMISSIVE', acknowledgements: JSON.stringify({ nonStrictMtls: 'brownfield migration, OPS-42' }) });
    const meshPolicy = meshObjects(deployed).map(asManifest).find((m) => manifestId(m) === 'PeerAuthentication/istio-system/default')!;
    expect(meshPolicy.metadata.annotations?.['zero-trust-mesh.io/acknowledged-non-strict-mtls']).toBe('brownfield migration, OPS-42');
  });
});
