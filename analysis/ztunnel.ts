import type { MeshModel, MeshObject, Workload } from './model.js';
import { cidrContains } from './network-policy.js';
import { actionOf, rulesOf } from './policy.js';
import { rec, str, strs } from './values.js';

/**
 * AuthorizationPolicy at ztunnel (ambient L4), ISTIO.md §9.3–§9.4: how istiod converts a policy
 * for ztunnel (istio:pilot/pkg/serviceregistry/ambient/authorization.go convertAuthorizationPolicy,
 * handleRule) and how ztunnel matches it (ztunnel:src/rbac.rs, src/state.rs assert_rbac). Pure:
 * the connection's facts are in `L4Facts`.
 *
 * - Each rule becomes clauses: one for `to[]`, one for `from[]`, one per `when[]` entry. A rule
 *   matches when every clause does; a clause when one of its non-empty matches does (empty ones
 *   are skipped, so a clause of only empty matches never matches).
 * - Only L4 fields are converted. An ALLOW rule with any L7 field (methods, paths, hosts,
 *   requestPrincipals, remoteIpBlocks, a non-L4 `when` key) is dropped whole; in a DENY rule the
 *   L7 fields are left out of their match, which may leave it empty (the rule then never fires)
 *   or wider than written.
 * - Strings match exactly, by prefix `a*`, suffix `*a` or presence `*`, with no trust-domain
 *   alias expansion (istio/ztunnel#1260); `trustDomains` is not converted.
 */

/** What ztunnel knows of one inbound connection. */
export interface L4Facts {
  /** The peer's identity from its HBONE certificate; undefined for plaintext. */
  readonly peer?: { readonly trustDomain: string; readonly namespace: string; readonly serviceAccount: string };
  /** The TCP source address, when known (an outside client's `ip`). */
  readonly sourceIp?: string;
  /** The destination (container) port. */
  readonly port: number;
}

const L4_WHEN_KEYS = new Set(['source.ip', 'source.namespace', 'source.principal', 'destination.ip', 'destination.port']);
const L7_SOURCE_FIELDS = ['requestPrincipals', 'notRequestPrincipals', 'remoteIpBlocks', 'notRemoteIpBlocks'];
const L7_OPERATION_FIELDS = ['hosts', 'notHosts', 'methods', 'notMethods', 'paths', 'notPaths'];

/** One converted match: a predicate, or `empty` when nothing L4 was left in it. */
type Match = { readonly empty: true } | { readonly empty: false; readonly test: (f: L4Facts) => boolean };

export interface ZtunnelRule {
  readonly index: number;
  /** Each clause is a list of matches. */
  readonly clauses: readonly (readonly Match[])[];
}

export interface ZtunnelPolicy {
  readonly object: MeshObject;
  readonly action: 'ALLOW' | 'DENY';
  /** `ns/name`, as ztunnel names it in its logs. */
  readonly label: string;
  readonly rules: readonly ZtunnelRule[];
  /** The L7 fields found, per rule index: for ALLOW those rules were dropped. */
  readonly l7: ReadonlyMap<number, readonly string[]>;
}

/** The L7 fields and `when` keys of each rule that ztunnel cannot enforce (handleRule's "http" problems). */
export function l7FieldsByRule(policy: MeshObject): Map<number, string[]> {
  const found = new Map<number, string[]>();
  for (const rule of rulesOf(policy)) {
    const fields = new Set<string>();
    for (const s of rule.sources) for (const f of L7_SOURCE_FIELDS) if (s[f] !== undefined) fields.add(f);
    for (const o of rule.operations) for (const f of L7_OPERATION_FIELDS) if (o[f] !== undefined) fields.add(f);
    for (const w of rule.when) { const k = str(w.key) ?? ''; if (!L4_WHEN_KEYS.has(k)) fields.add(`when ${k}`); }
    if (fields.size > 0) found.set(rule.index, [...fields]);
  }
  return found;
}

/** The clauses of a DENY rule where every match of some clause is empty: the rule never fires. */
export function neverFires(rule: ZtunnelRule): boolean {
  return rule.clauses.some((clause) => clause.every((m) => m.empty));
}

function stringMatch(pattern: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (pattern === '*') return value.length > 0;
  if (pattern.startsWith('*')) return value.endsWith(pattern.slice(1));
  if (pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1));
  return value === pattern;
}

const principalOf = (f: L4Facts) => (f.peer ? `${f.peer.trustDomain}/ns/${f.peer.namespace}/sa/${f.peer.serviceAccount}` : undefined);
const stripSpiffe = (p: string) => (p.startsWith('spiffe://') ? p.slice('spiffe://'.length) : p);
const ipIn = (cidr: string, f: L4Facts) => f.sourceIp !== undefined && cidrContains(cidr.includes('/') ? cidr : `${cidr}/32`, f.sourceIp) === true;

interface FieldTests { positive: ((f: L4Facts) => boolean)[]; negative: ((f: L4Facts) => boolean)[] }

/** A match from positive and negative lists: some positive value (if any) and no negative one. */
function toMatch(tests: FieldTests): Match {
  const { positive, negative } = tests;
  if (positive.length === 0 && negative.length === 0) return { empty: true };
  return { empty: false, test: (f) => positive.every((t) => t(f)) && !negative.some((t) => t(f)) };
}

function anyOf(values: readonly string[], test: (v: string, f: L4Facts) => boolean): ((f: L4Facts) => boolean) | undefined {
  return values.length > 0 ? (f) => values.some((v) => test(v, f)) : undefined;
}

function push(tests: FieldTests, values: readonly string[], notValues: readonly string[], test: (v: string, f: L4Facts) => boolean): void {
  const p = anyOf(values, test);
  const n = anyOf(notValues, test);
  if (p) tests.positive.push(p);
  if (n) tests.negative.push(n);
}

const principalTest = (v: string, f: L4Facts) => stringMatch(stripSpiffe(v), principalOf(f));
const namespaceTest = (v: string, f: L4Facts) => stringMatch(v, f.peer?.namespace);
const portTest = (v: string, f: L4Facts) => Number(v) === f.port;

/** Converts a policy for ztunnel; undefined for what istiod never sends there (targetRefs, CUSTOM, AUDIT). */
export function toZtunnelPolicy(model: MeshModel, policy: MeshObject): ZtunnelPolicy | undefined {
  if (model.selection(policy).mode === 'targetRefs') return undefined;
  const action = actionOf(policy);
  if (action !== 'ALLOW' && action !== 'DENY') return undefined;
  const policyNamespace = policy.namespace ?? 'default';
  const l7 = l7FieldsByRule(policy);
  const rules: ZtunnelRule[] = [];
  for (const rule of rulesOf(policy)) {
    if (action === 'ALLOW' && l7.has(rule.index)) continue;
    const clauses: Match[][] = [];
    if (rule.operations.length > 0) {
      clauses.push(rule.operations.map((o) => {
        const t: FieldTests = { positive: [], negative: [] };
        push(t, strs(o.ports), strs(o.notPorts), portTest);
        return toMatch(t);
      }));
    }
    if (rule.sources.length > 0) {
      clauses.push(rule.sources.map((s) => {
        const t: FieldTests = { positive: [], negative: [] };
        push(t, strs(s.principals), strs(s.notPrincipals), principalTest);
        push(t, strs(s.namespaces), strs(s.notNamespaces), namespaceTest);
        push(t, strs(s.serviceAccounts), strs(s.notServiceAccounts), (v, f) => {
          const [ns, sa] = v.includes('/') ? v.split('/', 2) : [policyNamespace, v];
          return f.peer !== undefined && f.peer.namespace === ns && f.peer.serviceAccount === sa;
        });
        push(t, strs(s.ipBlocks), strs(s.notIpBlocks), ipIn);
        return toMatch(t);
      }));
    }
    for (const w of rule.when) {
      const key = str(w.key) ?? '';
      const t: FieldTests = { positive: [], negative: [] };
      const test = key === 'source.principal' ? principalTest : key === 'source.namespace' ? namespaceTest
        : key === 'source.ip' ? ipIn : key === 'destination.port' ? portTest
          // destination.ip: the pod address is not part of a simulated request.
          : key === 'destination.ip' ? () => false : undefined;
      if (test) push(t, strs(w.values), strs(w.notValues), test);
      clauses.push([toMatch(t)]);
    }
    rules.push({ index: rule.index, clauses });
  }
  return { object: policy, action, label: `${policyNamespace}/${policy.name}`, rules, l7 };
}

/** Whether a converted rule matches the connection. */
export function ztunnelRuleMatches(rule: ZtunnelRule, facts: L4Facts): boolean {
  return rule.clauses.every((clause) => clause.some((m) => !m.empty && m.test(facts)));
}

/**
 * How istiod sends a selector policy to ztunnel when `selector: {}` or `matchLabels: {}` is empty:
 * a nil label set is never attached, an empty one selects every workload, and which one a given
 * manifest becomes is not established (ISTIO.md §9.3, "Not established"). `undefined`: not decided.
 */
export type EmptySelectorReading = 'all' | 'none';

/** True when the policy has a `selector` whose `matchLabels` is missing or empty. */
export function hasEmptySelector(policy: MeshObject): boolean {
  const sel = rec(policy.spec.selector);
  if (!sel) return false;
  const labels = rec(sel.matchLabels);
  return !labels || Object.keys(labels).length === 0;
}

/** The settings of the L4 evaluation that are not in the manifests. */
export interface ZtunnelSettings {
  /** PILOT_AUTO_ALLOW_WAYPOINT_POLICY: a synthesized ALLOW of each workload's waypoint identity. */
  readonly autoAllowWaypoint: boolean;
  /** How an empty selector attaches; undefined when not decided (see `EmptySelectorReading`). */
  readonly emptySelector?: EmptySelectorReading;
}

export type ZtunnelVerdict =
  | { readonly allowed: true; readonly reason: string }
  | { readonly allowed: false; readonly reason: string }
  | { readonly unknown: string };

/**
 * The policies ztunnel enforces for an ambient workload: GLOBAL (root namespace, no selector),
 * NAMESPACE, and WORKLOAD_SELECTOR ones (own namespace, or every namespace from the root);
 * CUSTOM, AUDIT, targetRefs and dry-run ones are never sent (§9.3 Attachment).
 */
export function ztunnelPoliciesFor(model: MeshModel, w: Workload): { policies: ZtunnelPolicy[]; emptySelectors: MeshObject[] } {
  // Asked for every request of the access matrix: converted once per workload (a model's
  // workloads are its own objects, so the cache dies with the model).
  const known = CONVERTED.get(w);
  if (known) return known;
  const emptySelectors: MeshObject[] = [];
  const policies: ZtunnelPolicy[] = [];
  for (const p of model.authorizationPoliciesFor(w)) {
    if (hasEmptySelector(p)) emptySelectors.push(p);
    const z = toZtunnelPolicy(model, p);
    if (z) policies.push(z);
  }
  const result = { policies, emptySelectors };
  CONVERTED.set(w, result);
  return result;
}

const CONVERTED = new WeakMap<Workload, { policies: ZtunnelPolicy[]; emptySelectors: MeshObject[] }>();

/**
 * PeerAuthentication at ztunnel (§9.4): STRICT becomes a DENY of connections without an
 * identity (`istio_converted_static_strict`), with a PERMISSIVE port left open; DISABLE is
 * PERMISSIVE. Istio sends it only when some PeerAuthentication exists.
 */
function strictDenies(model: MeshModel, w: Workload, port: number): string | undefined {
  if (model.ofKind('PeerAuthentication').length === 0) return undefined;
  const mode = model.effectiveMtls(w, port);
  if (mode.mode !== 'STRICT') return undefined;
  return mode.decidedBy ? `PeerAuthentication ${mode.decidedBy.namespace}/${mode.decidedBy.name} (STRICT, ${model.rootNamespace}/istio_converted_static_strict)` : undefined;
}

/**
 * ztunnel's decision for one inbound connection to an ambient workload (ztunnel:src/state.rs
 * assert_rbac): any DENY matches → deny; no ALLOW → allow; an ALLOW matches → allow; else deny.
 * `waypoint` is the identity of the workload's waypoint, for PILOT_AUTO_ALLOW_WAYPOINT_POLICY.
 */
export function ztunnelDecides(model: MeshModel, w: Workload, facts: L4Facts, settings: ZtunnelSettings, waypoint?: { namespace: string; serviceAccount: string }): ZtunnelVerdict {
  const { policies, emptySelectors } = ztunnelPoliciesFor(model, w);
  let inScope = policies;
  if (emptySelectors.length > 0) {
    if (settings.emptySelector === undefined) {
      return { unknown: `AuthorizationPolicy ${emptySelectors.map((p) => `${p.namespace}/${p.name}`).join(', ')} has an empty selector, whose attachment at ztunnel is not established (ISTIO.md §9.3); say how to read it with --ztunnel-empty-selector all|none` };
    }
    if (settings.emptySelector === 'none') inScope = policies.filter((p) => !emptySelectors.includes(p.object));
  }
  const strict = strictDenies(model, w, facts.port);
  if (strict && !facts.peer) return { allowed: false, reason: `denied by ${strict}: the connection carries no identity` };
  for (const p of inScope.filter((x) => x.action === 'DENY')) {
    const rule = p.rules.find((r) => ztunnelRuleMatches(r, facts));
    if (rule) return { allowed: false, reason: `denied by ztunnel:${p.label} rule[${rule.index}]` };
  }
  const allows = inScope.filter((x) => x.action === 'ALLOW');
  const implicit = settings.autoAllowWaypoint && waypoint !== undefined;
  if (allows.length === 0 && !implicit) return { allowed: true, reason: 'no ALLOW policy applies at ztunnel' };
  if (implicit && facts.peer && facts.peer.namespace === waypoint.namespace && facts.peer.serviceAccount === waypoint.serviceAccount) {
    return { allowed: true, reason: `allowed by the implicit waypoint policy (PILOT_AUTO_ALLOW_WAYPOINT_POLICY) for ${waypoint.namespace}/${waypoint.serviceAccount}` };
  }
  for (const p of allows) {
    const rule = p.rules.find((r) => ztunnelRuleMatches(r, facts));
    if (rule) return { allowed: true, reason: `allowed by ztunnel:${p.label} rule[${rule.index}]` };
  }
  const dropped = allows.filter((p) => p.l7.size > 0).map((p) => `${p.label} rule(s) ${[...p.l7.keys()].join(', ')} (${[...new Set([...p.l7.values()].flat())].join(', ')})`);
  const identity = facts.peer ? `peer ${principalOf(facts)}` : 'no peer identity';
  return {
    allowed: false,
    reason: `no-allow-matched: no rule of ${allows.map((p) => `ztunnel:${p.label}`).join(', ') || 'the implicit waypoint policy'} matches (${identity}, port ${facts.port})${dropped.length > 0 ? `; dropped at ztunnel for L7 fields: ${dropped.join('; ')}` : ''}`,
  };
}
