import { isHttpOnlyWhenKey } from '../istio.js';
import type { JwtClaims } from './jwt.js';
import type { RuleView } from '../policy.js';
import { httpOnlyFields } from '../policy.js';
import { own, str, strs } from '../values.js';

/**
 * Whether an AuthorizationPolicy rule matches a request, per Istio's generators
 * (istio:pilot/pkg/security/authz/model/generator.go, model.go;
 * api:security/v1beta1/authorization_policy.proto). Pure: every fact about the request is in
 * `RequestFacts`.
 */

/** What the server-side proxy knows about one request. */
export interface RequestFacts {
  /**
   * Whether the port has HTTP filter chains (else TCP semantics,
   * istio:pilot/pkg/security/authz/model/model.go rule.checkError).
   */
  readonly http: boolean;
  /** The peer's principal `<td>/ns/<ns>/sa/<sa>` when the connection is Istio mTLS. */
  readonly peer?: { readonly trustDomain: string; readonly namespace: string; readonly serviceAccount: string };
  /** The validated token's claims, when the JWT stage set a request principal. */
  readonly token?: { readonly issuer: string; readonly subject: string; readonly claims: JwtClaims };
  readonly method: string;
  /** Path without the query string (Istio normalizes and strips it before matching). */
  readonly path: string;
  readonly host: string;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  /** The destination container port. */
  readonly port: number;
  /** The SNI the client sidecar sets on mTLS (`outbound_.<port>_._.<host>`). */
  readonly sni?: string;
}

/** The mesh facts principals are compared with. */
export interface MatchContext {
  /** Trust domains that mean "this mesh" in a policy (`cluster.local`, trustDomain, aliases). */
  readonly localTrustDomains: ReadonlySet<string>;
  /** The policy's namespace (bare `serviceAccounts` values are relative to it). */
  readonly policyNamespace: string;
}

/**
 * Envoy string matching as Istio generates it: exact, `abc*` prefix, `*abc` suffix, `*` presence.
 * `nonEmpty`: whether `*` needs a non-empty value (regex `.+` for principals, paths, claims) or
 * any present value (`present_match` for hosts, methods, headers).
 */
export function matchString(pattern: string, value: string | undefined, nonEmpty: boolean, caseInsensitive = false): boolean {
  if (value === undefined) return false;
  const p = caseInsensitive ? pattern.toLowerCase() : pattern;
  const v = caseInsensitive ? value.toLowerCase() : value;
  if (p === '*') return !nonEmpty || v.length > 0;
  // A leading `*` wins over a trailing one: `*abc*` is the suffix `abc*` (matcher/string.go
  // StringMatcherWithPrefix tests HasPrefix first).
  if (p.startsWith('*')) return v.endsWith(p.slice(1));
  if (p.endsWith('*')) return v.startsWith(p.slice(0, -1));
  return v === p;
}

function peerPrincipal(facts: RequestFacts): string | undefined {
  return facts.peer ? `${facts.peer.trustDomain}/ns/${facts.peer.namespace}/sa/${facts.peer.serviceAccount}` : undefined;
}

/**
 * `principals` values. A value of exactly five `/`-separated parts whose trust domain is local
 * (`cluster.local`, the trust domain or an alias) stands for every local trust domain, so it is
 * compared with the peer's own; any other value is kept as written (trustdomain/bundle.go
 * ReplaceTrustDomainAliases: `cluster.local/ns/foo/*` has four parts and is not rewritten).
 */
function matchPrincipal(pattern: string, facts: RequestFacts, ctx: MatchContext): boolean {
  const peer = peerPrincipal(facts);
  if (!peer || !facts.peer) return false;
  const parts = pattern.split('/');
  const rewritten = parts.length === 5 && ctx.localTrustDomains.has(parts[0]!) && ctx.localTrustDomains.has(facts.peer.trustDomain)
    ? [facts.peer.trustDomain, ...parts.slice(1)].join('/') : pattern;
  return matchString(rewritten, peer, true);
}

/**
 * `namespaces` / `source.namespace`: the regex `.*\/ns/<value>/.*` over the peer's whole SPIFFE
 * ID, every `*` becoming `.*` (generator.go srcNamespaceGenerator). The `.*` may run past the
 * namespace: `*a` also matches `.../ns/foo/sa/bar` through `foo/sa`.
 */
function matchNamespace(pattern: string, facts: RequestFacts): boolean {
  if (!facts.peer) return false;
  const { trustDomain, namespace, serviceAccount } = facts.peer;
  // Envoy runs the regex with RE2, in linear time; a JavaScript RegExp backtracks exponentially on
  // values like `*a*a*a*a*c`, so the same language is matched as a glob.
  return globMatches(`*/ns/${pattern}/*`, `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`);
}

/**
 * Whether `value` is all of `pattern`, each `*` in it standing for any run of characters (`/`
 * included) and every other character for itself. Without backtracking: the literal pieces
 * between stars are found left to right, each at its first place after the previous one (the
 * leftmost place never loses a match another place would give), the last one at the very end.
 * O(pattern × value) at worst, whatever the number of stars.
 */
export function globMatches(pattern: string, value: string): boolean {
  const pieces = pattern.split('*');
  if (pieces.length === 1) return pattern === value;
  const first = pieces[0]!;
  const last = pieces[pieces.length - 1]!;
  if (value.length < first.length + last.length || !value.startsWith(first) || !value.endsWith(last)) return false;
  let at = first.length;
  const end = value.length - last.length;
  for (const piece of pieces.slice(1, -1)) {
    const found = value.indexOf(piece, at);
    if (found < 0 || found + piece.length > end) return false;
    at = found + piece.length;
  }
  return true;
}

/** `serviceAccounts`: `ns/sa`, or `sa` in the policy's namespace; no wildcards. */
function matchServiceAccount(pattern: string, facts: RequestFacts, ctx: MatchContext): boolean {
  if (!facts.peer) return false;
  const [ns, sa] = pattern.includes('/') ? pattern.split('/', 2) : [ctx.policyNamespace, pattern];
  return facts.peer.namespace === ns && facts.peer.serviceAccount === sa;
}

/**
 * `requestPrincipals` / `request.auth.principal` (api:security/v1beta1/authorization_policy.proto
 * Source.requestPrincipals), as generator.go requestPrincipalGenerator builds it: split at the last `/`; `*` = iss and sub present and
 * non-empty; a leading `*` = any iss (or an iss suffix) with an exact sub, or, without `/`, a sub
 * suffix; a trailing `*` = exact iss with a sub prefix, or, without `/`, an iss prefix. The claims
 * are Envoy metadata: a token without a (string) `sub` matches no sub condition at all.
 */
export function matchRequestPrincipal(pattern: string, facts: RequestFacts): boolean {
  if (!facts.token) return false;
  const claims = facts.token.claims;
  const iss = typeof claims.iss === 'string' ? claims.iss : facts.token.issuer;
  const sub = typeof claims.sub === 'string' ? claims.sub : undefined;
  if (sub === undefined) return false;
  const any = (v: string) => v.length > 0;
  const idx = pattern.lastIndexOf('/');
  const found = idx >= 0;
  const [pIss, pSub] = found ? [pattern.slice(0, idx), pattern.slice(idx + 1)] : [pattern, ''];
  if (pattern === '*') return any(iss) && any(sub);
  if (pattern.startsWith('*')) {
    if (!found) return any(iss) && sub.endsWith(pattern.slice(1));
    return (pIss === '*' ? any(iss) : iss.endsWith(pIss.slice(1))) && sub === pSub;
  }
  if (pattern.endsWith('*')) {
    if (!found) return iss.startsWith(pattern.slice(0, -1)) && any(sub);
    return iss === pIss && (pSub === '*' ? any(sub) : sub.startsWith(pSub.slice(0, -1)));
  }
  return iss === pIss && sub === pSub;
}

/** A path value: Envoy URI templates (`{*}` one segment, `{**}` the rest) or string matching. */
export function matchPath(pattern: string, path: string): boolean {
  if (pattern.includes('{*}') || pattern.includes('{**}')) return templateMatches(pattern, path);
  return matchString(pattern, path, true);
}

/**
 * An Envoy URI template (envoy:source/extensions/path/match/uri_template; istio.io
 * AuthorizationPolicy reference, Operation.paths) over `/`-separated segments: `{*}` is one
 * non-empty segment, `{**}` one or more segments of anything (with their `/`s; `/a/{**}` also takes
 * `/a/`), any other segment itself. Matched segment by segment without backtracking, as
 * `globMatches` does with characters: each run of fixed segments between `{**}`s at its first place.
 */
export function templateMatches(pattern: string, path: string): boolean {
  type Fixed = readonly string[];
  const runs: string[][] = [[]];
  for (const segment of pattern.split('/')) {
    if (segment === '{**}') runs.push([]);
    else runs[runs.length - 1]!.push(segment);
  }
  const segments = path.split('/');
  const fits = (run: Fixed, at: number) => run.every((s, i) => (s === '{*}' ? segments[at + i] !== '' : segments[at + i] === s));
  const first = runs[0]!;
  if (runs.length === 1) return first.length === segments.length && fits(first, 0);
  const last = runs[runs.length - 1]!;
  // Every `{**}` takes at least one segment.
  const stars = runs.length - 1;
  if (segments.length < first.length + last.length + stars || !fits(first, 0) || !fits(last, segments.length - last.length)) return false;
  let at = first.length;
  const end = segments.length - last.length;
  for (const run of runs.slice(1, -1)) {
    let found = -1;
    for (let i = at + 1; i + run.length <= end - 1 && found < 0; i++) if (fits(run, i)) found = i;
    if (found < 0) return false;
    at = found + run.length;
  }
  return true;
}

/** A claim by path (`request.auth.claims[a][b]`): a string, or any string element of a list. */
function claimValues(claims: JwtClaims | undefined, path: readonly string[]): string[] {
  let value: unknown = claims;
  for (const segment of path) value = value !== null && typeof value === 'object' ? own(value as Record<string, unknown>, segment) : undefined;
  if (typeof value === 'string') {
    // Top-level `scope` and `permission` are space-delimited lists (policy_applier.go; Envoy's
    // normalize_payload_in_metadata splits top-level claims only). The JWT stage already splits
    // them, and `spaceDelimitedClaims`, into arrays; this covers claims built elsewhere.
    return path.length === 1 && (path[0] === 'scope' || path[0] === 'permission') ? value.split(' ').filter(Boolean) : [value];
  }
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

type Values = (pattern: string) => boolean;

/** The claim path of a `request.auth.claims[a][b]` key (`['a', 'b']`), or undefined for other keys. */
export function claimPath(key: string): string[] | undefined {
  const claim = /^request\.auth\.claims((\[[^\]]+\])+)$/.exec(key);
  return claim ? [...claim[1]!.matchAll(/\[([^\]]+)\]/g)].map((m) => m[1]!) : undefined;
}

/**
 * `values` ORed, `notValues` none matching; both parts must hold
 * (api:security/v1beta1/authorization_policy.proto Condition; model.go).
 */
function condition(values: readonly string[], notValues: readonly string[], test: Values): boolean {
  if (values.length > 0 && !values.some(test)) return false;
  return !notValues.some(test);
}

/** The test for one `when` key, or undefined for a key Istio rejects (the rule is then skipped). */
function whenTest(key: string, facts: RequestFacts, ctx: MatchContext): Values | undefined {
  const header = /^request\.headers\[(.+)\]$/.exec(key);
  // An own header only: `request.headers[constructor]` must not find Object.prototype's.
  if (header) return (p) => matchString(p, own(facts.headers, header[1]!.toLowerCase()), false);
  const path = claimPath(key);
  if (path) {
    return (p) => claimValues(facts.token?.claims, path).some((v) => matchString(p, v, true));
  }
  switch (key) {
    case 'source.principal': return (p) => matchPrincipal(p, facts, ctx);
    case 'source.namespace': return (p) => matchNamespace(p, facts);
    case 'source.serviceAccount': return (p) => matchServiceAccount(p, facts, ctx);
    case 'source.trustDomain': return (p) => matchString(p, facts.peer?.trustDomain, true);
    case 'request.auth.principal': return (p) => matchRequestPrincipal(p, facts);
    case 'request.auth.audiences': {
      const aud = facts.token?.claims.aud;
      return (p) => (typeof aud === 'string' ? [aud] : aud ?? []).some((a) => matchString(p, a, true));
    }
    case 'request.auth.presenter': return (p) => matchString(p, str(facts.token?.claims.azp), true);
    case 'destination.port': return (p) => p === String(facts.port);
    case 'connection.sni': return (p) => matchString(p, facts.sni, true);
    // Addresses are not part of a simulated request: a positive value never matches.
    case 'source.ip': case 'remote.ip': case 'destination.ip': return () => false;
    default: return key.startsWith('experimental.envoy.filters.') ? () => false : undefined;
  }
}

const SOURCE_FIELDS: Record<string, { readonly http: boolean; readonly test: (p: string, f: RequestFacts, c: MatchContext) => boolean }> = {
  principals: { http: false, test: matchPrincipal },
  namespaces: { http: false, test: (p, f) => matchNamespace(p, f) },
  serviceAccounts: { http: false, test: matchServiceAccount },
  requestPrincipals: { http: true, test: (p, f) => matchRequestPrincipal(p, f) },
  ipBlocks: { http: false, test: () => false },
  remoteIpBlocks: { http: false, test: () => false },
};

const OPERATION_FIELDS: Record<string, { readonly http: boolean; readonly test: (p: string, f: RequestFacts) => boolean }> = {
  hosts: { http: true, test: (p, f) => matchString(p, f.host, false, true) },
  methods: { http: true, test: (p, f) => matchString(p, f.method, false) },
  paths: { http: true, test: (p, f) => matchPath(p, f.path) },
  ports: { http: false, test: (p, f) => p === String(f.port) },
};

function negated(field: string): string {
  return `not${field[0]!.toUpperCase()}${field.slice(1)}`;
}

/**
 * Whether the rule matches. On a TCP chain an ALLOW rule with HTTP-only fields is dropped (never
 * matches) and a DENY/AUDIT rule loses just those conditions, so it widens
 * (istio:pilot/pkg/security/authz/model/model.go rule.checkError, builder/builder.go).
 * `trustDomains` is ignored: Istio 1.30 does not enforce it
 * (api:security/v1beta1/authorization_policy.proto: field added for 1.31; generator.go).
 */
export function ruleMatches(rule: RuleView, action: string, facts: RequestFacts, ctx: MatchContext): boolean {
  const tcp = !facts.http;
  if (tcp && action === 'ALLOW' && httpOnlyFields(rule).length > 0) return false;
  const sourceMatches = (source: Record<string, unknown>) => Object.entries(SOURCE_FIELDS).every(([field, { http, test }]) =>
    (tcp && http) || condition(strs(source[field]), strs(source[negated(field)]), (p) => test(p, facts, ctx)));
  const operationMatches = (operation: Record<string, unknown>) => Object.entries(OPERATION_FIELDS).every(([field, { http, test }]) =>
    (tcp && http) || condition(strs(operation[field]), strs(operation[negated(field)]), (p) => test(p, facts)));
  if (rule.hasFrom && rule.sources.length > 0 && !rule.sources.some(sourceMatches)) return false;
  if (rule.hasTo && rule.operations.length > 0 && !rule.operations.some(operationMatches)) return false;
  // An unknown key makes istiod skip the whole rule, for every action and chain (model.go New:
  // "unknown attribute"), before any HTTP-only condition could be dropped on TCP.
  const tests = rule.when.map((w) => whenTest(str(w.key) ?? '', facts, ctx));
  if (tests.some((test) => test === undefined)) return false;
  return rule.when.every((w, i) => (tcp && isHttpOnlyWhenKey(str(w.key) ?? '')) || condition(strs(w.values), strs(w.notValues), tests[i]!));
}
