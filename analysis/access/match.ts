import type { JWTPayload } from 'jose';
import { isHttpOnlyWhenKey } from '../istio.js';
import type { RuleView } from '../policy.js';
import { httpOnlyFields } from '../policy.js';
import { str, strs } from '../values.js';

/**
 * Whether an AuthorizationPolicy rule matches a request, per Istio's generators
 * (istio:pilot/pkg/security/authz/model/generator.go, model.go; ISTIO §1.4–§1.9). Pure: every
 * fact about the request is in `RequestFacts`.
 */

/** What the server-side proxy knows about one request. */
export interface RequestFacts {
  /** Whether the port has HTTP filter chains (else TCP semantics, ISTIO §1.9). */
  readonly http: boolean;
  /** The peer's principal `<td>/ns/<ns>/sa/<sa>` when the connection is Istio mTLS. */
  readonly peer?: { readonly trustDomain: string; readonly namespace: string; readonly serviceAccount: string };
  /** The validated token's claims, when the JWT stage set a request principal. */
  readonly token?: { readonly issuer: string; readonly subject: string; readonly claims: Readonly<JWTPayload> };
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
  if (p.endsWith('*')) return v.startsWith(p.slice(0, -1));
  if (p.startsWith('*')) return v.endsWith(p.slice(1));
  return v === p;
}

function peerPrincipal(facts: RequestFacts): string | undefined {
  return facts.peer ? `${facts.peer.trustDomain}/ns/${facts.peer.namespace}/sa/${facts.peer.serviceAccount}` : undefined;
}

/** `principals` values: a local trust domain (`cluster.local`, aliases) means the peer's own (bundle.go). */
function matchPrincipal(pattern: string, facts: RequestFacts, ctx: MatchContext): boolean {
  const peer = peerPrincipal(facts);
  if (!peer || !facts.peer) return false;
  const slash = pattern.indexOf('/');
  const domain = slash < 0 ? '' : pattern.slice(0, slash);
  const rewritten = ctx.localTrustDomains.has(domain) && ctx.localTrustDomains.has(facts.peer.trustDomain)
    ? `${facts.peer.trustDomain}${pattern.slice(slash)}` : pattern;
  return matchString(rewritten, peer, true);
}

/** `namespaces`: every `*` is a regex `.*` (generator.go srcNamespaceGenerator). */
function matchNamespace(pattern: string, facts: RequestFacts): boolean {
  if (!facts.peer) return false;
  const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return regex.test(facts.peer.namespace);
}

/** `serviceAccounts`: `ns/sa`, or `sa` in the policy's namespace; no wildcards. */
function matchServiceAccount(pattern: string, facts: RequestFacts, ctx: MatchContext): boolean {
  if (!facts.peer) return false;
  const [ns, sa] = pattern.includes('/') ? pattern.split('/', 2) : [ctx.policyNamespace, pattern];
  return facts.peer.namespace === ns && facts.peer.serviceAccount === sa;
}

/** `requestPrincipals` / `request.auth.principal` (ISTIO §1.7, generator.go requestPrincipalGenerator). */
export function matchRequestPrincipal(pattern: string, facts: RequestFacts): boolean {
  if (!facts.token) return false;
  const { issuer: iss, subject: sub } = facts.token;
  if (pattern === '*') return iss.length > 0 && sub.length > 0;
  if (pattern.startsWith('*')) return `${iss}/${sub}`.endsWith(pattern.slice(1));
  const slash = pattern.lastIndexOf('/');
  if (pattern.endsWith('*')) {
    if (slash < 0) return iss.startsWith(pattern.slice(0, -1)) && sub.length > 0;
    return iss === pattern.slice(0, slash) && sub.length > 0 && sub.startsWith(pattern.slice(slash + 1, -1));
  }
  if (slash < 0) return iss === pattern && sub === '';
  return iss === pattern.slice(0, slash) && sub === pattern.slice(slash + 1);
}

/** A path value: Envoy URI templates (`{*}` one segment, `{**}` the rest) or string matching. */
function matchPath(pattern: string, path: string): boolean {
  if (pattern.includes('{*}') || pattern.includes('{**}')) {
    const regex = pattern.split('/').map((segment) => (segment === '{**}' ? '.*' : segment === '{*}' ? '[^/]+'
      : segment.replace(/[.+?^${}()|[\]\\*]/g, '\\$&'))).join('/');
    return new RegExp(`^${regex}$`).test(path);
  }
  return matchString(pattern, path, true);
}

/** A claim by path (`request.auth.claims[a][b]`): a string, or any string element of a list. */
function claimValues(claims: Readonly<JWTPayload> | undefined, path: readonly string[]): string[] {
  let value: unknown = claims;
  for (const segment of path) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[segment] : undefined;
  const last = path[path.length - 1];
  if (typeof value === 'string') {
    // `scope` and `permission` are space-delimited lists (policy_applier.go).
    return last === 'scope' || last === 'permission' ? value.split(' ').filter(Boolean) : [value];
  }
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

type Values = (pattern: string) => boolean;

/** `values` ORed, `notValues` none matching; both parts must hold (ISTIO §1.4). */
function condition(values: readonly string[], notValues: readonly string[], test: Values): boolean {
  if (values.length > 0 && !values.some(test)) return false;
  return !notValues.some(test);
}

/** The test for one `when` key, or undefined for a key Istio rejects (the rule is then skipped). */
function whenTest(key: string, facts: RequestFacts, ctx: MatchContext): Values | undefined {
  const header = /^request\.headers\[(.+)\]$/.exec(key);
  if (header) return (p) => matchString(p, facts.headers[header[1]!.toLowerCase()], false);
  const claim = /^request\.auth\.claims((\[[^\]]+\])+)$/.exec(key);
  if (claim) {
    const path = [...claim[1]!.matchAll(/\[([^\]]+)\]/g)].map((m) => m[1]!);
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
 * matches) and a DENY/AUDIT rule loses just those conditions, so it widens (ISTIO §1.9).
 * `trustDomains` is ignored: Istio 1.30 does not enforce it (ISTIO §1.5).
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
  return rule.when.every((w) => {
    const key = str(w.key) ?? '';
    if (tcp && isHttpOnlyWhenKey(key)) return true;
    const test = whenTest(key, facts, ctx);
    return test !== undefined && condition(strs(w.values), strs(w.notValues), test);
  });
}
