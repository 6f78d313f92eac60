import type { createLocalJWKSet, JSONWebKeySet } from 'jose';
import type { MeshObject } from '../model.js';
import { own, rec, recs, str, strs } from '../values.js';

/**
 * The JWT stage of a sidecar or gateway (api:security/v1beta1/request_authentication.proto,
 * Envoy's jwt_authn filter as istiod configures it in
 * istio:pilot/pkg/security/authn/policy_applier.go): find the token where the merged
 * RequestAuthentication rules look for it, then verify it for real (signature against the
 * rule's JWKS, issuer, expiry, audiences) with `jose`.
 */

/**
 * A token's payload as the RBAC filter reads it. Our own type rather than jose's, so the
 * package's declarations do not pull in jose's (which need the DOM or Node's WebCrypto types).
 */
export interface JwtClaims {
  readonly iss?: string;
  readonly sub?: string;
  readonly aud?: string | readonly string[];
  readonly exp?: number;
  readonly nbf?: number;
  readonly [claim: string]: unknown;
}

/**
 * jose, loaded on the first real token: it is an ES module only, and a consumer's CommonJS test
 * runner (jest without ESM) that never verifies a real token must not have to load it.
 */
type Jose = typeof import('jose');
let jose: Promise<Jose> | undefined;
function loadJose(): Promise<Jose> {
  jose ??= import('jose').catch((error: unknown) => {
    throw new Error(`verifying a real token needs the jose library, an ES module, which this runtime could not load (${(error as Error).message.split('\n')[0]}). `
      + 'Run the check under Node itself or a test runner with ES module support, or use a symbolic valid token (assumeValidToken).');
  });
  return jose;
}

/** One `jwtRules[]` entry of a RequestAuthentication that applies to the workload. */
export interface JwtRule {
  readonly issuer: string;
  readonly audiences: readonly string[];
  readonly jwksUri?: string;
  readonly jwks?: string;
  readonly forwardOriginalToken: boolean;
  /** Where the rule reads tokens; Envoy's defaults when the rule sets none. */
  readonly headers: readonly { readonly name: string; readonly prefix: string }[];
  readonly params: readonly string[];
  readonly cookies: readonly string[];
  /** Claims split on spaces besides `scope` and `permission` (`spaceDelimitedClaims`, Istio ≥1.28). */
  readonly spaceDelimitedClaims: readonly string[];
  /** `ns[<ns>]-requestauthentication[<name>]-rule[<i>]`, for reasons. */
  readonly source: string;
}

/**
 * The rules of every RequestAuthentication, merged as istiod does (concatenated;
 * istio:pilot/pkg/security/authn/policy_applier.go).
 */
export function jwtRulesOf(requestAuthentications: readonly MeshObject[]): JwtRule[] {
  return requestAuthentications.flatMap((ra) => recs(ra.spec.jwtRules).map((rule, index): JwtRule => {
    const fromHeaders = recs(rule.fromHeaders).flatMap((h) => (str(h.name) ? [{ name: str(h.name)!.toLowerCase(), prefix: str(h.prefix) ?? '' }] : []));
    const fromParams = strs(rule.fromParams);
    const fromCookies = strs(rule.fromCookies);
    // Defaults only when no location is given (api: request_authentication.proto JWTRule).
    const explicit = fromHeaders.length + fromParams.length + fromCookies.length > 0;
    return {
      issuer: str(rule.issuer) ?? '',
      audiences: strs(rule.audiences),
      ...(str(rule.jwksUri) ?? str(rule.jwks_uri) ? { jwksUri: str(rule.jwksUri) ?? str(rule.jwks_uri)! } : {}),
      ...(str(rule.jwks) ? { jwks: str(rule.jwks)! } : {}),
      forwardOriginalToken: rule.forwardOriginalToken === true,
      headers: explicit ? fromHeaders : [{ name: 'authorization', prefix: 'Bearer ' }],
      params: explicit ? fromParams : ['access_token'],
      cookies: fromCookies,
      spaceDelimitedClaims: strs(rule.spaceDelimitedClaims),
      source: `ns[${ra.namespace}]-requestauthentication[${ra.name}]-rule[${index}]`,
    };
  }));
}

/** What the request carries, as the proxy sees it. */
export interface TokenCarrier {
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>;
  /** The path with its query string. */
  readonly path: string;
}

/** Where a token was found: Envoy removes it from there after validation unless forwarded. */
export type TokenLocation =
  | { readonly kind: 'header'; readonly name: string }
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'cookie'; readonly name: string };

/** A token found at one location, and the rules that read that location. */
interface FoundToken { readonly token: string; readonly location: string; readonly where: TokenLocation; readonly rules: readonly JwtRule[] }

/** The base64url alphabet plus `.`: where Envoy's extractJWT starts the token after the prefix. */
const JWT_CHARS = /[A-Za-z0-9_.-]/;
const NOT_JWT_CHARS = /[^A-Za-z0-9_.-]/;

/**
 * The token in a header value, as Envoy's extractor reads it (jwt_authn/extractor.cc extractJWT):
 * without a prefix the whole value; else the prefix may sit anywhere in the value (a value without
 * it holds no token), and the token runs from the first base64url character after it up to the
 * next character outside that alphabet (`Bearer <t>, Basic ...` holds `<t>`), or the end.
 */
function tokenInHeader(value: string, prefix: string): string | undefined {
  if (prefix === '') return value;
  const at = value.indexOf(prefix);
  if (at < 0) return undefined;
  const rest = value.slice(at + prefix.length);
  const start = rest.search(JWT_CHARS);
  if (start < 0) return value;
  const end = rest.slice(start).search(NOT_JWT_CHARS);
  return end < 0 ? rest.slice(start) : rest.slice(start, start + end);
}

function findTokens(carrier: TokenCarrier, rules: readonly JwtRule[]): FoundToken[] {
  const query = new URLSearchParams(carrier.path.includes('?') ? carrier.path.slice(carrier.path.indexOf('?') + 1) : '');
  const cookies = new Map((own(carrier.headers, 'cookie') ?? '').split(';').map((c) => c.trim().split('=') as [string, string?])
    .filter(([k, v]) => k && v !== undefined).map(([k, v]) => [k, v!]));
  const found = new Map<string, { token: string; location: string; where: TokenLocation; rules: JwtRule[] }>();
  const add = (where: TokenLocation, token: string, rule: JwtRule) => {
    const location = `${where.kind === 'param' ? 'query parameter' : where.kind} ${where.name}`;
    const entry = found.get(location) ?? { token, location, where, rules: [] };
    entry.rules.push(rule);
    found.set(location, entry);
  };
  for (const rule of rules) {
    for (const { name, prefix } of rule.headers) {
      // An own header only: a rule reading `constructor` or `__proto__` must not find Object.prototype's.
      const value = own(carrier.headers, name);
      // Envoy skips a value without the configured prefix (api:security/v1beta1/
      // request_authentication.proto JWTHeader.prefix; envoy:source/extensions/filters/http/
      // jwt_authn/extractor.cc): no token there.
      const token = value === undefined ? undefined : tokenInHeader(value, prefix);
      if (token) add({ kind: 'header', name }, token, rule);
    }
    for (const param of rule.params) {
      const value = query.get(param);
      if (value) add({ kind: 'param', name: param }, value, rule);
    }
    for (const cookie of rule.cookies) {
      const value = cookies.get(cookie);
      if (value) add({ kind: 'cookie', name: cookie }, value, rule);
    }
  }
  return [...found.values()];
}

/** The JWT stage's verdict. */
export type JwtVerdict =
  | { readonly kind: 'absent'; readonly reason: string }
  | { readonly kind: 'rejected'; readonly status: 401 | 403; readonly reason: string }
  | {
    readonly kind: 'valid';
    /** `iss/sub` (empty sub when the token has none). */
    readonly principal: string;
    readonly claims: JwtClaims;
    /** Whether the proxy leaves the token in place for the app (`forwardOriginalToken`). */
    readonly forwarded: boolean;
    /**
     * Where the token was: without `forwardOriginalToken` Envoy removes that header (or query
     * parameter; cookies stay), not `Authorization` as such (extractor.cc removeJwt).
     */
    readonly location?: TokenLocation;
    readonly reason: string;
  };

/** Maps a JWKS URI to the JWKS JSON the simulator may use instead of fetching it. */
export type JwksResolver = (uri: string) => string | undefined;

/** Envoy's default clock skew for `exp` and `nbf` (jwt_authn `clock_skew_seconds`). */
const CLOCK_SKEW_SECONDS = 60;

/**
 * Verifies tokens against rules. Results are cached per token and rule, because the access
 * matrix asks the same question for every source.
 */
export class JwtValidator {
  private readonly keySets = new Map<string, ReturnType<typeof createLocalJWKSet> | string>();
  private readonly cache = new Map<string, Promise<JwtVerdict>>();

  public constructor(private readonly resolveJwks: JwksResolver, private readonly now: Date) {}

  /**
   * The JWT stage for one request: no token passes, any bad token is 401, a wrong audience 403
   * (envoy:source/extensions/filters/http/jwt_authn/filter.cc onComplete;
   * istio:tests/integration/security/jwt_test.go).
   */
  public async evaluate(carrier: TokenCarrier, rules: readonly JwtRule[]): Promise<JwtVerdict> {
    const tokens = findTokens(carrier, rules);
    if (tokens.length === 0) return { kind: 'absent', reason: 'no token where the RequestAuthentication rules look for one' };
    let valid: JwtVerdict | undefined;
    for (const found of tokens) {
      const verdict = await this.verify(found);
      if (verdict.kind === 'rejected') return verdict;
      valid ??= verdict;
    }
    return valid!;
  }

  private verify(found: FoundToken): Promise<JwtVerdict> {
    const key = `${found.token}\u0000${found.rules.map((r) => r.source).join(',')}`;
    let verdict = this.cache.get(key);
    if (!verdict) {
      verdict = this.verifyUncached(found);
      this.cache.set(key, verdict);
    }
    return verdict;
  }

  /**
   * Envoy's order (jwt_authn/authenticator.cc startVerify): parse, issuer, `nbf`/`exp` with the
   * clock skew, audiences, and only then the signature. So a token with a wrong audience is 403
   * even when its signature would not verify, and an expired one is 401 whatever its audience.
   */
  private async verifyUncached({ token, location, where, rules }: FoundToken): Promise<JwtVerdict> {
    const reject = (status: 401 | 403, why: string): JwtVerdict => ({ kind: 'rejected', status, reason: `token in ${location}: ${why}` });
    const malformed = (): JwtVerdict => reject(401, 'Jwt is not in the form of Header.Payload.Signature (malformed)');
    // A compact JWS has three parts; anything else is refused before any library is needed.
    if (token.split('.').length !== 3) return malformed();
    const { decodeJwt, jwtVerify, createLocalJWKSet } = await loadJose();
    let payload: JwtClaims;
    try {
      payload = decodeJwt(token);
    } catch {
      return malformed();
    }
    // Several rules may name the issuer (in one RequestAuthentication or several, one with
    // audiences and one without): Istio makes each a provider of one "requires any" requirement
    // (istio:pilot/pkg/security/authn/policy_applier.go), so the token is valid when any of them
    // accepts it. When none does, the last one's refusal is reported, as Envoy's any-verifier does.
    const candidates = rules.filter((r) => r.issuer === payload.iss);
    if (candidates.length === 0) return reject(401, `Jwt issuer is not configured ("${String(payload.iss)}" matches no jwtRules issuer)`);
    let refusal: JwtVerdict | undefined;
    for (const rule of candidates) {
      const verdict = await this.verifyWithRule(token, payload, rule, reject, { jwtVerify, createLocalJWKSet }, where);
      if (verdict.kind === 'valid') return verdict;
      refusal = verdict;
    }
    return refusal!;
  }

  /** One rule's verdict on a decoded token, in Envoy's order (see verifyUncached). */
  private async verifyWithRule(
    token: string, payload: JwtClaims, rule: JwtRule, reject: (status: 401 | 403, why: string) => JwtVerdict,
    jose: Pick<Awaited<ReturnType<typeof loadJose>>, 'jwtVerify' | 'createLocalJWKSet'>, where: FoundToken['where'],
  ): Promise<JwtVerdict> {
    const { jwtVerify, createLocalJWKSet } = jose;
    const now = Math.floor(this.now.getTime() / 1000);
    if (typeof payload.nbf === 'number' && now + CLOCK_SKEW_SECONDS < payload.nbf) return reject(401, `Jwt not yet valid (${rule.source})`);
    if (typeof payload.exp === 'number' && now > payload.exp + CLOCK_SKEW_SECONDS) return reject(401, `Jwt is expired (${rule.source})`);
    if (rule.audiences.length > 0) {
      const aud = typeof payload.aud === 'string' ? [payload.aud] : payload.aud ?? [];
      if (!aud.some((a) => rule.audiences.includes(a))) {
        return reject(403, `Audiences in Jwt are not allowed (token aud ${JSON.stringify(aud)}, accepted ${JSON.stringify(rule.audiences)}; ${rule.source})`);
      }
    }
    const keys = this.keySet(rule, createLocalJWKSet);
    if (typeof keys === 'string') return reject(401, `Jwt verification fails: ${keys} (${rule.source})`);
    try {
      // Time claims were checked above with Envoy's arithmetic; the tolerance keeps jose from disagreeing.
      await jwtVerify(token, keys, { issuer: rule.issuer, currentDate: this.now, clockTolerance: CLOCK_SKEW_SECONDS + 1 });
    } catch (error) {
      // Not an expiry: jose's time checks with one second more tolerance never refuse a token
      // that Envoy's arithmetic above accepted.
      return reject(401, `Jwt verification fails: ${(error as Error).message} (${rule.source})`);
    }
    return {
      kind: 'valid', principal: `${payload.iss}/${payload.sub ?? ''}`, claims: normalizeClaims(payload, rule), forwarded: rule.forwardOriginalToken,
      location: where, reason: `valid token of ${payload.iss} (${rule.source})`,
    };
  }

  /** The rule's public keys, or why there are none (an unreachable JWKS makes every token fail). */
  private keySet(rule: JwtRule, localKeySet: typeof createLocalJWKSet): ReturnType<typeof createLocalJWKSet> | string {
    const id = rule.jwks !== undefined ? `inline:${rule.jwks}` : `uri:${rule.jwksUri ?? ''}`;
    let keys = this.keySets.get(id);
    if (keys === undefined) {
      const text = rule.jwks ?? (rule.jwksUri !== undefined ? this.resolveJwks(rule.jwksUri) : undefined);
      if (text === undefined) {
        // istiod inlines a fake key when it cannot fetch the JWKS (jwks_resolver.go BuildLocalJwks).
        keys = rule.jwksUri !== undefined
          ? `JWKS ${rule.jwksUri} is unreachable offline (map it with --jwks ${rule.jwksUri}=<file>); istiod would inline a fake key`
          : 'the rule has neither jwks nor jwksUri (OIDC discovery is not simulated)';
      } else {
        try {
          const parsed = rec(JSON.parse(text));
          keys = parsed && Array.isArray(parsed.keys) ? localKeySet(parsed as unknown as JSONWebKeySet) : 'the JWKS has no "keys" array';
        } catch {
          keys = 'the JWKS is not valid JSON';
        }
      }
      this.keySets.set(id, keys);
    }
    return keys;
  }
}

/**
 * The payload as RBAC sees it: top-level `scope`, `permission` and the rule's
 * `spaceDelimitedClaims` strings split on spaces into lists (policy_applier.go sets Envoy's
 * normalize_payload_in_metadata; Envoy splits top-level claims only).
 */
function normalizeClaims(payload: JwtClaims, rule: JwtRule): JwtClaims {
  // Claim names come from the token and the manifests: no prototype, own keys only.
  const claims: Record<string, unknown> = Object.assign(Object.create(null) as Record<string, unknown>, payload);
  for (const name of new Set(['scope', 'permission', ...rule.spaceDelimitedClaims])) {
    const value = own(claims, name);
    if (typeof value === 'string') claims[name] = value.split(' ').filter(Boolean);
  }
  return claims;
}
