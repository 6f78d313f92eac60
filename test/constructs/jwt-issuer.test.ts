import { ISTIO_DEMO_ISSUER, JwtIssuer, JwtIssuerConfig } from '../../constructs/index.js';
import { expectConfigError, literal } from './util.js';

const PUBLIC_KEY = { kty: 'RSA', kid: 'k1', use: 'sig', alg: 'RS256', n: 'sXch', e: 'AQAB' };

describe('JwtIssuer factories', () => {
  test('auth0: issuer with trailing slash, keys at /.well-known/jwks.json', () => {
    const issuer = JwtIssuer.auth0({ domain: 'tenant.eu.auth0.com', audiences: ['https://api.example.com'] });
    expect(issuer.issuer).toBe('https://tenant.eu.auth0.com/');
    expect(issuer.jwksUri).toBe('https://tenant.eu.auth0.com/.well-known/jwks.json');
    expect(issuer.jwks).toBeUndefined();
    expect(issuer.audiences).toEqual(['https://api.example.com']);
    expect(issuer.isDemo).toBe(false);
  });

  test('auth0: anySubject keeps the trailing slash before "/*"', () => {
    expect(JwtIssuer.auth0({ domain: 'tenant.auth0.com', audiences: [] }).anySubject).toBe('https://tenant.auth0.com//*');
  });

  test('okta: the default authorization server and its /v1/keys', () => {
    const issuer = JwtIssuer.okta({ domain: 'corp.okta.com', audiences: ['api://products'] });
    expect(issuer.issuer).toBe('https://corp.okta.com/oauth2/default');
    expect(issuer.jwksUri).toBe('https://corp.okta.com/oauth2/default/v1/keys');
    expect(issuer.anySubject).toBe('https://corp.okta.com/oauth2/default/*');
    expect(issuer.audiences).toEqual(['api://products']);
  });

  test('okta: a custom authorization server', () => {
    const issuer = JwtIssuer.okta({ domain: 'corp.okta.com', authorizationServerId: 'aus123', audiences: [] });
    expect(issuer.issuer).toBe('https://corp.okta.com/oauth2/aus123');
    expect(issuer.jwksUri).toBe('https://corp.okta.com/oauth2/aus123/v1/keys');
  });

  test('istioDemo: the demo issuer over https, no audiences', () => {
    const issuer = JwtIssuer.istioDemo();
    expect(issuer.issuer).toBe('testing@secure.istio.io');
    expect(issuer.issuer).toBe(ISTIO_DEMO_ISSUER);
    expect(issuer.isDemo).toBe(true);
    expect(issuer.jwksUri).toMatch(/^https:\/\/raw\.githubusercontent\.com\/istio\/istio\/.*\/security\/tools\/jwt\/samples\/jwks\.json$/);
    expect(issuer.audiences).toEqual([]);
    expect(JwtIssuer.istioDemo({ jwksUri: 'https://mirror.example.com/jwks.json' }).jwksUri).toBe('https://mirror.example.com/jwks.json');
  });

  test('oidc: inline public keys', () => {
    const jwks = JSON.stringify({ keys: [PUBLIC_KEY] });
    const issuer = JwtIssuer.oidc({ issuer: 'https://idp.example.com', jwks, audiences: ['a', 'b'] });
    expect(issuer.jwks).toBe(jwks);
    expect(issuer.jwksUri).toBeUndefined();
    expect(issuer.audiences).toEqual(['a', 'b']);
    expect(issuer.anySubject).toBe('https://idp.example.com/*');
  });

  test('urls lists the issuer and the jwksUri, for the https check', () => {
    expect(JwtIssuer.oidc({ issuer: 'https://idp.example.com', jwksUri: 'http://keys.example.com/k' }).urls).toEqual([
      { field: 'issuer', value: 'https://idp.example.com' },
      { field: 'jwksUri', value: 'http://keys.example.com/k' },
    ]);
    expect(JwtIssuer.oidc({ issuer: 'https://idp.example.com', jwks: JSON.stringify({ keys: [PUBLIC_KEY] }) }).urls)
      .toEqual([{ field: 'issuer', value: 'https://idp.example.com' }]);
  });
});

describe('JwtIssuer.fromConfig', () => {
  test.each<[string, JwtIssuerConfig, string, string | undefined]>([
    ['istio-demo', { provider: 'istio-demo' }, ISTIO_DEMO_ISSUER, undefined],
    ['istio-demo with jwksUri', { provider: 'istio-demo', jwksUri: 'https://m.example.com/j.json' }, ISTIO_DEMO_ISSUER, 'https://m.example.com/j.json'],
    ['auth0', { provider: 'auth0', domain: 't.auth0.com', audiences: ['x'] }, 'https://t.auth0.com/', 'https://t.auth0.com/.well-known/jwks.json'],
    ['okta', { provider: 'okta', domain: 'c.okta.com', audiences: ['x'] }, 'https://c.okta.com/oauth2/default', 'https://c.okta.com/oauth2/default/v1/keys'],
    ['oidc', { provider: 'oidc', issuer: 'https://idp.example.com', jwksUri: 'https://idp.example.com/keys', audiences: ['x'] }, 'https://idp.example.com', 'https://idp.example.com/keys'],
  ])('%s', (_name, config, issuer, jwksUri) => {
    const result = JwtIssuer.fromConfig(config);
    expect(result.issuer).toBe(issuer);
    if (jwksUri !== undefined) expect(result.jwksUri).toBe(jwksUri);
    else expect(result.jwksUri).toMatch(/^https:\/\//);
  });

  test.each<[string, unknown, string, RegExp]>([
    ['a misspelled audience', { provider: 'auth0', domain: 't.auth0.com', audience: ['x'] }, 'audience', /not a field of a "auth0" issuer \(did you mean "audiences"\?\)/],
    ['missing audiences (auth0)', { provider: 'auth0', domain: 't.auth0.com' }, 'audiences', /turn the audience check off/],
    ['missing audiences (okta)', { provider: 'okta', domain: 'c.okta.com' }, 'audiences', /turn the audience check off/],
    ['missing audiences (oidc)', { provider: 'oidc', issuer: 'https://idp.example.com', jwksUri: 'https://idp.example.com/keys' }, 'audiences', /turn the audience check off/],
    ['empty audiences', { provider: 'oidc', issuer: 'https://i.example.com', jwksUri: 'https://i.example.com/k', audiences: [] }, 'audiences', /non-empty list/],
    ['an audience that is no string', { provider: 'okta', domain: 'c.okta.com', audiences: [42] }, 'audiences', /non-empty list of strings/],
    ['a domain that is no string', { provider: 'auth0', domain: 7, audiences: ['x'] }, 'domain', /not a non-empty string/],
    ['a missing issuer', { provider: 'oidc', jwksUri: 'https://i.example.com/k', audiences: ['x'] }, 'issuer', /is missing/],
    ['no object at all', 'auth0', 'config', /not an issuer object/],
  ])('refuses %s, as config read from a file would have it', (_name, config, field, message) => {
    expectConfigError(() => JwtIssuer.fromConfig(config as JwtIssuerConfig), 'JwtIssuer.fromConfig', field, message);
  });

  test('refuses an unknown provider', () => {
    expectConfigError(() => JwtIssuer.fromConfig({ provider: 'keycloak', issuer: 'https://kc' } as unknown as JwtIssuerConfig),
      'JwtIssuer.fromConfig', 'provider', /"keycloak" is not a known identity provider\. Fix: use one of istio-demo, auth0, okta, oidc\./);
  });
});

describe('JwtIssuer validation', () => {
  test.each([
    ['auth0', 'https://tenant.auth0.com', 'tenant.auth0.com'],
    ['auth0', 'https://tenant.auth0.com/', 'tenant.auth0.com'],
    ['okta', 'https://Corp.okta.com/oauth2/default', 'corp.okta.com'],
  ] as const)('%s refuses the domain %s and suggests %s', (provider, domain, bare) => {
    const make = provider === 'auth0'
      ? () => JwtIssuer.auth0({ domain, audiences: [] })
      : () => JwtIssuer.okta({ domain, audiences: [] });
    expectConfigError(make, `JwtIssuer.${provider}`, 'domain',
      new RegExp(`is not a bare domain name\\. Fix: give the domain alone, without scheme or path: ${literal(`"${bare}"`).source}\\.`));
  });

  test('refuses a domain without a dot', () => {
    expectConfigError(() => JwtIssuer.auth0({ domain: 'localhost', audiences: [] }), 'JwtIssuer.auth0', 'domain', /Fix: give the domain alone/);
  });

  test('refuses inline keys holding a private member "d"', () => {
    const jwks = JSON.stringify({ keys: [PUBLIC_KEY, { ...PUBLIC_KEY, kid: 'k2', d: 'secret' }] });
    expectConfigError(() => JwtIssuer.oidc({ issuer: 'https://idp.example.com', jwks }), 'JwtIssuer.oidc', 'jwks.keys[1]',
      /holds private key material \(d\).*Fix: give the public keys only/);
  });

  test('refuses a symmetric key', () => {
    const jwks = JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] });
    expectConfigError(() => JwtIssuer.oidc({ issuer: 'https://idp.example.com', jwks }), 'JwtIssuer.oidc', 'jwks.keys[0]', /\(k\).*Fix: give the public keys only/);
  });

  test('refuses jwks that is not JSON', () => {
    expectConfigError(() => JwtIssuer.oidc({ issuer: 'https://idp.example.com', jwks: '{keys: [' }), 'JwtIssuer.oidc', 'jwks',
      /is not valid JSON\. Fix: paste the JWKS document/);
  });

  test.each(['{}', '{"keys": []}', '[]'])('refuses jwks %s without keys', (jwks) => {
    expectConfigError(() => JwtIssuer.oidc({ issuer: 'https://idp.example.com', jwks }), 'JwtIssuer.oidc', 'jwks', /has no "keys" array\. Fix: give a JWKS document/);
  });

  test('refuses both jwksUri and jwks', () => {
    expectConfigError(() => JwtIssuer.oidc({ issuer: 'https://idp.example.com', jwksUri: 'https://idp.example.com/keys', jwks: JSON.stringify({ keys: [PUBLIC_KEY] }) }),
      'JwtIssuer.oidc', 'jwksUri / jwks', /exactly one of jwksUri and jwks must be set.*Fix: set jwksUri to the IdP's JWKS endpoint, or jwks to its public keys/);
  });

  test('refuses neither jwksUri nor jwks', () => {
    expectConfigError(() => JwtIssuer.oidc({ issuer: 'https://idp.example.com' }), 'JwtIssuer.oidc', 'jwksUri / jwks', /Fix: set jwksUri/);
  });

  test.each(['file:///etc/jwks.json', 'idp.example.com/keys', 'https://'])('refuses the jwksUri %s', (jwksUri) => {
    expectConfigError(() => JwtIssuer.oidc({ issuer: 'https://idp.example.com', jwksUri }), 'JwtIssuer.oidc', 'jwksUri',
      /is not an http\(s\) URL.*Fix: use the https URL of the IdP's JWKS endpoint/);
  });

  test('accepts an http jwksUri (the environment decides)', () => {
    expect(JwtIssuer.oidc({ issuer: 'https://idp.example.com', jwksUri: 'http://idp.example.com/keys' }).jwksUri).toBe('http://idp.example.com/keys');
  });

  test.each(['', ' https://idp.example.com', 'https://idp.example.com '])('refuses the issuer %j', (issuer) => {
    expectConfigError(() => JwtIssuer.oidc({ issuer, jwksUri: 'https://idp.example.com/keys' }), 'JwtIssuer.oidc', 'issuer',
      /Fix: copy the issuer exactly as your IdP writes it/);
  });

  test('refuses an empty audience', () => {
    expectConfigError(() => JwtIssuer.auth0({ domain: 't.auth0.com', audiences: ['ok', ''] }), 'JwtIssuer.auth0', 'audiences[1]',
      /Fix: remove it or name the API's audience/);
  });
});
