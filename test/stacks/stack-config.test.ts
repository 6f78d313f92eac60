import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { MtlsMode } from '../../constructs/index.js';
import { ENVIRONMENTS } from '../../infra/environment.js';
import { CONFIG_KEYS, resolveStackSettings, StackConfigError, StackSettings } from '../../stacks/stack-config.js';

const PASSWORD = 'a-password-of-24-chars!!';

/** Resolves a stack from short keys, as Pulumi passes them: strings, objects as JSON. */
function resolve(stack: string, config: Record<string, unknown> = {}): StackSettings {
  const raw = Object.fromEntries(Object.entries({ mysqlPassword: PASSWORD, ...config })
    .map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
  return resolveStackSettings(stack, (k) => raw[k], Object.keys(raw));
}

function refusal(stack: string, config: Record<string, unknown>): StackConfigError {
  try {
    resolve(stack, config);
  } catch (error) {
    if (error instanceof StackConfigError) return error;
    throw error;
  }
  throw new Error('expected a StackConfigError');
}

describe('resolveStackSettings', () => {
  test.each(['dev', 'staging', 'prod'])('stack %s picks environment %s with its defaults', (stack) => {
    const settings = resolve(stack);
    expect(settings.environment).toEqual(ENVIRONMENTS[stack]);
    expect(settings).toMatchObject({ stack, installIstio: true, kubernetes: {}, mysqlPassword: PASSWORD, overriddenKeys: [] });
  });

  test('environment can be named explicitly for a stack with another name', () => {
    expect(resolve('prod-eu-1', { environment: 'prod' }).environment.name).toBe('prod');
  });

  test('each override lands in the environment config, and the rest stays the default', () => {
    const settings = resolve('staging', {
      issuer: { provider: 'oidc', issuer: 'https://login.example.com', jwksUri: 'https://login.example.com/keys', audiences: ['shop'] },
      mtls: 'STRICT',
      ingressHost: 'shop.example.com',
      ingressTlsCredentialName: 'shop-tls',
      images: { mysql: 'docker.io/library/mysql@sha256:' + 'a'.repeat(64) },
      replicas: '5',
      acknowledgements: { plaintextIngress: 'internal only' },
      kubeconfig: '/etc/kube/config',
      kubeContext: 'staging',
      installIstio: 'false',
    });
    const base = ENVIRONMENTS.staging!;
    expect(settings.environment).toEqual({
      ...base,
      issuer: { provider: 'oidc', issuer: 'https://login.example.com', jwksUri: 'https://login.example.com/keys', audiences: ['shop'] },
      mtls: MtlsMode.STRICT,
      ingress: { ...base.ingress, host: 'shop.example.com', tlsCredentialName: 'shop-tls' },
      images: { ...base.images, mysql: 'docker.io/library/mysql@sha256:' + 'a'.repeat(64) },
      replicas: 5,
      acknowledgements: { plaintextIngress: 'internal only' },
    });
    expect(settings.kubernetes).toEqual({ kubeconfig: '/etc/kube/config', context: 'staging' });
    expect(settings.installIstio).toBe(false);
    expect(settings.overriddenKeys).not.toContain('zero-trust-mesh:mysqlPassword');
    expect(settings.overriddenKeys).toContain('zero-trust-mesh:mtls');
  });

  test('the data plane is a stack override like the others: staging on ambient', () => {
    const settings = resolve('staging', { dataplane: 'ambient' });
    expect(settings.environment).toEqual({ ...ENVIRONMENTS.staging!, dataplane: 'ambient' });
    expect(settings.overriddenKeys).toEqual(['zero-trust-mesh:dataplane']);
  });

  test('issuer objects of every provider are accepted as JwtIssuerConfig', () => {
    expect(resolve('dev', { issuer: { provider: 'istio-demo' } }).environment.issuer).toEqual({ provider: 'istio-demo' });
    expect(resolve('dev', { issuer: { provider: 'auth0', domain: 'a.eu.auth0.com', audiences: ['x'] } }).environment.issuer)
      .toEqual({ provider: 'auth0', domain: 'a.eu.auth0.com', audiences: ['x'] });
    expect(resolve('dev', { issuer: { provider: 'okta', domain: 'a.okta.com', authorizationServerId: 'aus1', audiences: ['x'] } }).environment.issuer)
      .toEqual({ provider: 'okta', domain: 'a.okta.com', authorizationServerId: 'aus1', audiences: ['x'] });
    expect(resolve('dev', { issuer: { provider: 'oidc', issuer: 'https://i', jwks: '{"keys":[]}', audiences: ['a'] } }).environment.issuer)
      .toEqual({ provider: 'oidc', issuer: 'https://i', jwks: '{"keys":[]}', audiences: ['a'] });
  });

  const refused: [string, string, Record<string, unknown>, string, RegExp][] = [
    ['unknown environment', 'qa', {}, 'zero-trust-mesh:environment', /"qa" \(from the stack name\)/],
    ['unknown environment by key', 'x', { environment: 'qa' }, 'zero-trust-mesh:environment', /from zero-trust-mesh:environment/],
    ['missing password', 'dev', { mysqlPassword: undefined }, 'zero-trust-mesh:mysqlPassword', /is not set/],
    ['short password', 'dev', { mysqlPassword: 'hunter2' }, 'zero-trust-mesh:mysqlPassword', /shorter than 16/],
    ['unknown key', 'dev', { replica: '3' }, 'zero-trust-mesh:replica', /not a setting.*use one of/],
    ['misspelled key', 'dev', { installistio: 'false' }, 'zero-trust-mesh:installistio', /did you mean zero-trust-mesh:installIstio/],
    ['bad mTLS mode', 'dev', { mtls: 'OFF' }, 'zero-trust-mesh:mtls', /"OFF" is not an mTLS mode/],
    ['unknown data plane', 'staging', { dataplane: 'Ambient' }, 'zero-trust-mesh:dataplane', /"Ambient" is not a data-plane mode.*use "sidecar" or "ambient"/],
    ['issuer not an object', 'dev', { issuer: 'https://idp' }, 'zero-trust-mesh:issuer', /must be an object/],
    ['issuer without provider', 'dev', { issuer: { domain: 'a.okta.com' } }, 'zero-trust-mesh:issuer.provider', /undefined is not a known identity provider/],
    ['issuer unknown provider', 'dev', { issuer: { provider: 'keycloak' } }, 'zero-trust-mesh:issuer.provider', /"keycloak"/],
    ['issuer field of another provider', 'dev', { issuer: { provider: 'auth0', domain: 'a.auth0.com', audiences: ['x'], jwksUri: 'https://k' } }, 'zero-trust-mesh:issuer.jwksUri', /not a known field/],
    ['auth0 without audiences', 'dev', { issuer: { provider: 'auth0', domain: 'a.auth0.com' } }, 'zero-trust-mesh:issuer.audiences', /non-empty list/],
    ['okta without domain', 'dev', { issuer: { provider: 'okta', audiences: ['x'] } }, 'zero-trust-mesh:issuer.domain', /is required/],
    ['oidc without audiences (the audience check cannot be turned off from config)', 'dev', { issuer: { provider: 'oidc', issuer: 'https://i', jwksUri: 'https://k' } }, 'zero-trust-mesh:issuer.audiences', /non-empty list of strings/],
    ['oidc audience not a string', 'dev', { issuer: { provider: 'oidc', issuer: 'https://i', jwksUri: 'https://k', audiences: [1] } }, 'zero-trust-mesh:issuer.audiences', /list of strings/],
    ['host with scheme', 'dev', { ingressHost: 'https://shop.example.com' }, 'zero-trust-mesh:ingressHost', /not a fully qualified host name/],
    ['host without domain', 'dev', { ingressHost: 'shop' }, 'zero-trust-mesh:ingressHost', /not a fully qualified host name/],
    ['bad TLS secret name', 'dev', { ingressTlsCredentialName: 'Shop_TLS' }, 'zero-trust-mesh:ingressTlsCredentialName', /not a Secret name/],
    ['image of unknown workload', 'dev', { images: { frontend: 'a:1' } }, 'zero-trust-mesh:images.frontend', /not a known field/],
    ['image latest', 'dev', { images: { serviceA: 'ghcr.io/acme/a:latest' } }, 'zero-trust-mesh:images.serviceA', /not a pinned image/],
    ['image without tag', 'dev', { images: { serviceA: 'ghcr.io/acme/a' } }, 'zero-trust-mesh:images.serviceA', /not a pinned image/],
    ['image with registry port only', 'dev', { images: { serviceA: 'registry:5000/acme/a' } }, 'zero-trust-mesh:images.serviceA', /not a pinned image/],
    ['image with short digest', 'dev', { images: { serviceA: 'ghcr.io/acme/a@sha256:abc' } }, 'zero-trust-mesh:images.serviceA', /not a pinned image/],
    ['replicas zero', 'dev', { replicas: '0' }, 'zero-trust-mesh:replicas', /from 1 to 100/],
    ['replicas fraction', 'dev', { replicas: '1.5' }, 'zero-trust-mesh:replicas', /from 1 to 100/],
    ['acknowledgement not a string', 'dev', { acknowledgements: { nonStrictMtls: true } }, 'zero-trust-mesh:acknowledgements.nonStrictMtls', /reason, as a string/],
    ['installIstio not boolean', 'dev', { installIstio: 'no' }, 'zero-trust-mesh:installIstio', /not true or false/],
    ['empty kube context', 'dev', { kubeContext: ' ' }, 'zero-trust-mesh:kubeContext', /is empty/],
  ];
  test.each(refused)('refuses %s, naming the key', (_name, stack, config, key, problem) => {
    const error = refusal(stack, config);
    expect(error.key).toBe(key);
    expect(error.message.startsWith(`Stack config ${key}: `)).toBe(true);
    expect(error.message).toMatch(problem);
    expect(error.message).toMatch(/ Fix: \S/);
  });

  test('accepts pinned images with a registry port, a tag or a digest', () => {
    for (const image of ['registry:5000/acme/a:1.2', 'ghcr.io/acme/a:v1_rc.2', `ghcr.io/acme/a:1@sha256:${'0'.repeat(64)}`, `a@sha256:${'f'.repeat(64)}`]) {
      expect(resolve('dev', { images: { serviceA: image } }).environment.images.serviceA).toBe(image);
    }
  });
});

describe('committed stack files', () => {
  test.each(['dev', 'staging', 'prod'])('Pulumi.%s.yaml uses only known keys, valid values, and no plain secret', (stack) => {
    const file = parse(readFileSync(`Pulumi.${stack}.yaml`, 'utf8')) as { config?: Record<string, unknown> };
    const config = Object.fromEntries(Object.entries(file.config ?? {}).map(([key, value]) => {
      expect(key.startsWith('zero-trust-mesh:')).toBe(true);
      return [key.slice('zero-trust-mesh:'.length), value];
    }));
    expect(Object.keys(config).every((k) => CONFIG_KEYS.includes(k))).toBe(true);
    // The password is never committed in plain text (an encrypted value is a `secure:` object).
    expect(typeof config.mysqlPassword === 'string').toBe(false);
    expect(resolve(stack, config).environment.name).toBe(stack);
  });
});
