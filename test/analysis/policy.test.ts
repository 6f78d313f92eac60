import type { MeshObject } from '../../analysis/model.js';
import {
  actionOf, httpOnlyFields, negativeIdentityFields, positiveIdentityFields, principalValues, requestPrincipalValues,
  ruleNeedsPeerIdentity, ruleNeedsToken, rulePorts, rulesOf, sourceNeedsPeerIdentity, sourceNeedsToken, values,
  whenNeedsPeerIdentity, whenNeedsToken, whenValues,
} from '../../analysis/policy.js';

/**
 * The reading of AuthorizationPolicy rules that every check and the simulator build on. Each
 * helper answers a security question (does this rule need an mTLS peer, a token, which ports does
 * it cover, which fields only HTTP can match), so each case pairs a rule that needs the thing with
 * one that only looks as if it did: an empty list, a `notValues` condition, a key of the other
 * family, or one source of several that lacks it.
 */

function policy(spec: Record<string, unknown>): MeshObject {
  return { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', name: 'p', namespace: 'prod', labels: {}, annotations: {}, spec, raw: {} };
}

/** The one rule, as the analysis reads it. */
const rule = (raw: unknown) => rulesOf(policy({ rules: [raw] }))[0];

describe('actionOf', () => {
  test('unset (or not a string) is ALLOW, as istiod reads it', () => {
    expect(actionOf(policy({}))).toBe('ALLOW');
    expect(actionOf(policy({ action: 7 }))).toBe('ALLOW');
    expect(actionOf(policy({ action: 'DENY' }))).toBe('DENY');
  });
});

describe('rulesOf', () => {
  test('sources, operations and conditions are read defensively; entries that are not maps are skipped', () => {
    const raw = {
      from: [{ source: { principals: ['cluster.local/ns/prod/sa/web'] } }, {}, 'junk'],
      to: [{ operation: { ports: ['8080'] } }, { operation: null }],
      when: [{ key: 'request.auth.claims[groups]', values: ['admin'] }, 'junk'],
    };
    expect(rulesOf(policy({ rules: ['junk', raw] }))).toEqual([
      { index: 0, raw: 'junk', hasFrom: false, hasTo: false, sources: [], operations: [], when: [] },
      {
        index: 1, raw, hasFrom: true, hasTo: true,
        sources: [{ principals: ['cluster.local/ns/prod/sa/web'] }, {}],
        operations: [{ ports: ['8080'] }, {}],
        when: [{ key: 'request.auth.claims[groups]', values: ['admin'] }],
      },
    ]);
  });

  test('`from` and `to` count as present only when set: absent and null are the same as unset', () => {
    expect(rule({})).toMatchObject({ hasFrom: false, hasTo: false });
    expect(rule({ from: null, to: null })).toMatchObject({ hasFrom: false, hasTo: false });
    expect(rule({ from: [], to: [] })).toMatchObject({ hasFrom: true, hasTo: true });
    expect(rule({ from: [] })).toMatchObject({ hasFrom: true, hasTo: false });
    expect(rule({ to: [] })).toMatchObject({ hasFrom: false, hasTo: true });
  });
});

describe('values and whenValues', () => {
  test('values collects a field across every source', () => {
    const r = rule({ from: [{ source: { namespaces: ['a', 'b'] } }, { source: { principals: ['x'] } }, { source: { namespaces: ['c'] } }] });
    expect(values(r.sources, 'namespaces')).toEqual(['a', 'b', 'c']);
  });

  test('whenValues keeps the conditions whose key the test accepts, with values and notValues; a condition without a key is none', () => {
    const r = rule({
      when: [
        { key: 'source.namespace', values: ['prod'], notValues: ['dev'] },
        { values: ['keyless'] },
        { key: 'source.ip', values: ['10.0.0.1'] },
        { key: 'source.namespace', notValues: ['test'] },
      ],
    });
    expect(whenValues(r, (k) => k === 'source.namespace')).toEqual([
      { key: 'source.namespace', values: ['prod'], notValues: ['dev'] },
      { key: 'source.namespace', values: [], notValues: ['test'] },
    ]);
    expect(whenValues(r, () => true).map((w) => w.key)).toEqual(['source.namespace', 'source.ip', 'source.namespace']);
    expect(whenValues(r, () => false)).toEqual([]);
  });
});

describe('httpOnlyFields: what a TCP port can never match', () => {
  test('request principals, HTTP operation fields and request.* conditions; not principals, ports or source.ip', () => {
    const r = rule({
      from: [{ source: { principals: ['cluster.local/ns/prod/sa/web'], requestPrincipals: ['*'] } }],
      to: [{ operation: { ports: ['8080'], methods: ['GET'] } }, { operation: { paths: ['/a'] } }],
      when: [{ key: 'source.ip', values: ['10.0.0.1'] }, { values: ['keyless'] }, { key: 'request.headers[x-user]', values: ['a'] }, { key: 'request.auth.claims[groups]', values: ['admin'] }],
    });
    expect(httpOnlyFields(r)).toEqual(['requestPrincipals', 'methods', 'paths', 'when request.headers[x-user]', 'when request.auth.claims[groups]']);
  });

  test('a rule of identities and ports alone has none', () => {
    expect(httpOnlyFields(rule({ from: [{ source: { namespaces: ['prod'] } }], to: [{ operation: { ports: ['5432'] } }], when: [{ key: 'source.ip', values: ['10.0.0.1'] }] }))).toEqual([]);
  });
});

describe('rulePorts: the ports a rule is confined to', () => {
  test('the ports every operation names, without duplicates', () => {
    expect(rulePorts(rule({ to: [{ operation: { ports: ['8080', '9090'] } }, { operation: { ports: [8080, 'http'] } }] }))).toEqual([8080, 9090]);
  });

  test('undefined when the rule has no operation, or one operation leaves the port open', () => {
    expect(rulePorts(rule({ from: [{ source: { namespaces: ['prod'] } }] }))).toBeUndefined();
    expect(rulePorts(rule({ to: [{ operation: { ports: ['8080'] } }, { operation: { methods: ['GET'] } }] }))).toBeUndefined();
    // A port that is not a number names no port: the operation covers every port.
    expect(rulePorts(rule({ to: [{ operation: { ports: ['http'] } }] }))).toBeUndefined();
  });
});

describe('which rules can only match an mTLS peer', () => {
  test('a source needs a peer identity when it names a principal, namespace, service account or trust domain', () => {
    expect(sourceNeedsPeerIdentity({ principals: ['*'] })).toBe(true);
    expect(sourceNeedsPeerIdentity({ trustDomains: ['cluster.local'] })).toBe(true);
    expect(sourceNeedsPeerIdentity({ principals: [] })).toBe(false);
    expect(sourceNeedsPeerIdentity({ notPrincipals: ['x'], ipBlocks: ['10.0.0.0/8'] })).toBe(false);
    expect(sourceNeedsPeerIdentity({})).toBe(false);
  });

  test('a `when` needs one only with values of a source.* identity key; notValues match plaintext', () => {
    expect(whenNeedsPeerIdentity(rule({ when: [{ key: 'source.namespace', values: ['prod'] }] }))).toBe(true);
    expect(whenNeedsPeerIdentity(rule({ when: [{ key: 'source.namespace', notValues: ['prod'] }] }))).toBe(false);
    expect(whenNeedsPeerIdentity(rule({ when: [{ key: 'source.ip', values: ['10.0.0.1'] }] }))).toBe(false);
    expect(whenNeedsPeerIdentity(rule({}))).toBe(false);
  });

  test('a rule needs one when its `when` does, or every one of its sources does', () => {
    expect(ruleNeedsPeerIdentity(rule({ from: [{ source: { principals: ['a'] } }, { source: { namespaces: ['prod'] } }] }))).toBe(true);
    expect(ruleNeedsPeerIdentity(rule({ from: [{ source: { ipBlocks: ['10.0.0.0/8'] } }], when: [{ key: 'source.principal', values: ['a'] }] }))).toBe(true);
    // One source without an identity admits plaintext callers.
    expect(ruleNeedsPeerIdentity(rule({ from: [{ source: { principals: ['a'] } }, { source: { ipBlocks: ['10.0.0.0/8'] } }] }))).toBe(false);
    // No source at all admits everyone.
    expect(ruleNeedsPeerIdentity(rule({ to: [{ operation: { ports: ['8080'] } }] }))).toBe(false);
    expect(ruleNeedsPeerIdentity(rule({}))).toBe(false);
  });
});

describe('which rules can only match a request with a valid token', () => {
  test('a source needs a token when it names request principals', () => {
    expect(sourceNeedsToken({ requestPrincipals: ['*'] })).toBe(true);
    expect(sourceNeedsToken({ requestPrincipals: [] })).toBe(false);
    expect(sourceNeedsToken({ notRequestPrincipals: ['*'] })).toBe(false);
  });

  test('a `when` needs one only with values of a request.auth.* key', () => {
    expect(whenNeedsToken(rule({ when: [{ key: 'request.auth.claims[groups]', values: ['admin'] }] }))).toBe(true);
    expect(whenNeedsToken(rule({ when: [{ key: 'request.auth.claims[groups]', notValues: ['guest'] }] }))).toBe(false);
    expect(whenNeedsToken(rule({ when: [{ key: 'request.headers[authorization]', values: ['Bearer x'] }] }))).toBe(false);
    expect(whenNeedsToken(rule({ when: [{ key: 'source.principal', values: ['request.auth.'] }] }))).toBe(false);
  });

  test('a rule needs one when its `when` does, or every one of its sources does', () => {
    expect(ruleNeedsToken(rule({ from: [{ source: { requestPrincipals: ['*'] } }] }))).toBe(true);
    expect(ruleNeedsToken(rule({ from: [{ source: { principals: ['a'] } }], when: [{ key: 'request.auth.audiences', values: ['shop'] }] }))).toBe(true);
    expect(ruleNeedsToken(rule({ from: [{ source: { requestPrincipals: ['*'] } }, { source: { principals: ['a'] } }] }))).toBe(false);
    expect(ruleNeedsToken(rule({ to: [{ operation: { paths: ['/a'] } }] }))).toBe(false);
  });
});

describe('identity fields a rule names', () => {
  const r = rule({
    from: [
      { source: { notPrincipals: ['cluster.local/ns/prod/sa/a'], notNamespaces: [], principals: ['cluster.local/ns/prod/sa/b'] } },
      { source: { notTrustDomains: ['other.local'], namespaces: [] } },
    ],
    when: [
      { key: 'source.namespace', notValues: ['dev'] },
      { key: 'source.principal', values: ['cluster.local/ns/prod/sa/c'] },
      { key: 'request.auth.claims[groups]', values: ['admin'], notValues: ['guest'] },
    ],
  });

  test('negative ones (they match every plaintext request): not* sources and notValues of source.* keys', () => {
    expect(negativeIdentityFields(r)).toEqual(['notPrincipals', 'notTrustDomains', 'when source.namespace notValues']);
  });

  test('positive ones (they never match plaintext): identity sources and values of source.* keys', () => {
    expect(positiveIdentityFields(r)).toEqual(['principals', 'when source.principal']);
  });

  test('none in a rule of ports and claims', () => {
    const plain = rule({ to: [{ operation: { ports: ['8080'] } }], when: [{ key: 'request.auth.claims[groups]', values: ['admin'] }] });
    expect(negativeIdentityFields(plain)).toEqual([]);
    expect(positiveIdentityFields(plain)).toEqual([]);
  });
});

describe('principal values a rule names, positive and negative', () => {
  const r = rule({
    from: [
      { source: { principals: ['cluster.local/ns/prod/sa/a'], notPrincipals: ['cluster.local/ns/prod/sa/b'], requestPrincipals: ['https://idp/alice'] } },
      { source: { namespaces: ['prod'], notRequestPrincipals: ['https://idp/bob'] } },
    ],
    when: [
      { key: 'source.principal', values: ['cluster.local/ns/prod/sa/c'], notValues: ['cluster.local/ns/prod/sa/d'] },
      { key: 'request.auth.principal', values: ['https://idp/carol'], notValues: ['https://idp/dave'] },
      { key: 'source.namespace', values: ['prod'] },
      { key: 'request.auth.claims[sub]', values: ['erin'] },
    ],
  });

  test('peer principals: principals, notPrincipals and `when source.principal`', () => {
    expect(principalValues(r)).toEqual(['cluster.local/ns/prod/sa/a', 'cluster.local/ns/prod/sa/b', 'cluster.local/ns/prod/sa/c', 'cluster.local/ns/prod/sa/d']);
  });

  test('request principals: requestPrincipals, notRequestPrincipals and `when request.auth.principal`', () => {
    expect(requestPrincipalValues(r)).toEqual(['https://idp/alice', 'https://idp/bob', 'https://idp/carol', 'https://idp/dave']);
  });
});
