import {
  HTTP_ONLY_OPERATION_FIELDS, HTTP_ONLY_SOURCE_FIELDS, isHttpOnlyWhenKey, MTLS_ONLY_NEGATIVE_SOURCE_FIELDS,
  MTLS_ONLY_SOURCE_FIELDS, MTLS_ONLY_WHEN_KEYS,
} from './istio.js';
import type { MeshObject } from './model.js';
import { arr, rec, recs, str, strs } from './values.js';

/**
 * An AuthorizationPolicy rule, read defensively (api:security/v1beta1/authorization_policy.proto):
 * `sources` are the `from[].source` maps, `operations` the `to[].operation` maps, `when` the
 * conditions. A rule matches when any source, any operation and every condition match (istio:pilot/pkg/security/authz/model/model.go).
 */
export interface RuleView {
  readonly index: number;
  readonly raw: unknown;
  readonly hasFrom: boolean;
  readonly hasTo: boolean;
  readonly sources: readonly Record<string, unknown>[];
  readonly operations: readonly Record<string, unknown>[];
  readonly when: readonly Record<string, unknown>[];
}

/** The policy's action; unset means ALLOW. */
export function actionOf(ap: MeshObject): string {
  return str(ap.spec.action) ?? 'ALLOW';
}

export function rulesOf(ap: MeshObject): RuleView[] {
  return arr(ap.spec.rules).map((raw, index) => {
    const r = rec(raw) ?? {};
    return {
      index, raw,
      hasFrom: r.from !== undefined && r.from !== null,
      hasTo: r.to !== undefined && r.to !== null,
      sources: recs(r.from).map((f) => rec(f.source) ?? {}),
      operations: recs(r.to).map((t) => rec(t.operation) ?? {}),
      when: recs(r.when),
    };
  });
}

/** The string values of a field across the rule's sources (or operations). */
export function values(maps: readonly Record<string, unknown>[], field: string): string[] {
  return maps.flatMap((m) => strs(m[field]));
}

/** `when` conditions with the key, as [values, notValues]. */
export function whenValues(rule: RuleView, key: (k: string) => boolean): { key: string; values: string[]; notValues: string[] }[] {
  return rule.when.flatMap((w) => {
    const k = str(w.key);
    return k !== undefined && key(k) ? [{ key: k, values: strs(w.values), notValues: strs(w.notValues) }] : [];
  });
}

/** The HTTP-only fields and `when` keys a rule uses (istio:pilot/pkg/security/authz/model/generator.go: "… is HTTP only"). */
export function httpOnlyFields(rule: RuleView): string[] {
  const fields = new Set<string>();
  for (const s of rule.sources) for (const f of HTTP_ONLY_SOURCE_FIELDS) if (s[f] !== undefined) fields.add(f);
  for (const o of rule.operations) for (const f of HTTP_ONLY_OPERATION_FIELDS) if (o[f] !== undefined) fields.add(f);
  for (const w of rule.when) { const k = str(w.key); if (k && isHttpOnlyWhenKey(k)) fields.add(`when ${k}`); }
  return [...fields];
}

/** The ports a rule names in every operation, or undefined when some operation (or no `to`) leaves them open. */
export function rulePorts(rule: RuleView): number[] | undefined {
  if (rule.operations.length === 0) return undefined;
  const ports: number[] = [];
  for (const o of rule.operations) {
    const p = strs(o.ports).map(Number).filter(Number.isInteger);
    if (p.length === 0) return undefined;
    for (const port of p) ports.push(port);
  }
  return [...new Set(ports)];
}

/** True when a source names an mTLS identity positively: it can only match an mTLS peer. */
export function sourceNeedsPeerIdentity(s: Record<string, unknown>): boolean {
  return MTLS_ONLY_SOURCE_FIELDS.some((f) => strs(s[f]).length > 0);
}

/** True when a source demands a request principal (a valid JWT). */
export function sourceNeedsToken(s: Record<string, unknown>): boolean {
  return strs(s.requestPrincipals).length > 0;
}

/** True when a rule's `when` requires a positive peer identity condition. */
export function whenNeedsPeerIdentity(rule: RuleView): boolean {
  return whenValues(rule, (k) => (MTLS_ONLY_WHEN_KEYS as readonly string[]).includes(k)).some((w) => w.values.length > 0);
}

/** True when a rule's `when` requires a positive token condition (request.auth.*). */
export function whenNeedsToken(rule: RuleView): boolean {
  return whenValues(rule, (k) => k.startsWith('request.auth.')).some((w) => w.values.length > 0);
}

/** True when every way to match the rule needs a valid token. */
export function ruleNeedsToken(rule: RuleView): boolean {
  return whenNeedsToken(rule) || (rule.sources.length > 0 && rule.sources.every(sourceNeedsToken));
}

/** True when every way to match the rule needs an mTLS peer identity. */
export function ruleNeedsPeerIdentity(rule: RuleView): boolean {
  return whenNeedsPeerIdentity(rule) || (rule.sources.length > 0 && rule.sources.every(sourceNeedsPeerIdentity));
}

/** Negative mTLS-only fields a rule uses (they match every plaintext request). */
export function negativeIdentityFields(rule: RuleView): string[] {
  const fields = new Set<string>();
  for (const s of rule.sources) for (const f of MTLS_ONLY_NEGATIVE_SOURCE_FIELDS) if (strs(s[f]).length > 0) fields.add(f);
  for (const w of whenValues(rule, (k) => (MTLS_ONLY_WHEN_KEYS as readonly string[]).includes(k))) if (w.notValues.length > 0) fields.add(`when ${w.key} notValues`);
  return [...fields];
}

/** Positive mTLS-only fields a rule uses (they never match a plaintext request). */
export function positiveIdentityFields(rule: RuleView): string[] {
  const fields = new Set<string>();
  for (const s of rule.sources) for (const f of MTLS_ONLY_SOURCE_FIELDS) if (strs(s[f]).length > 0) fields.add(f);
  for (const w of whenValues(rule, (k) => (MTLS_ONLY_WHEN_KEYS as readonly string[]).includes(k))) if (w.values.length > 0) fields.add(`when ${w.key}`);
  return [...fields];
}

/** Every principal value a rule names: `principals`, `notPrincipals`, `when source.principal`. */
export function principalValues(rule: RuleView): string[] {
  return [...values(rule.sources, 'principals'), ...values(rule.sources, 'notPrincipals'),
    ...whenValues(rule, (k) => k === 'source.principal').flatMap((w) => [...w.values, ...w.notValues])];
}

/** Every request principal a rule names: `requestPrincipals`, `notRequestPrincipals`, `when request.auth.principal`. */
export function requestPrincipalValues(rule: RuleView): string[] {
  return [...values(rule.sources, 'requestPrincipals'), ...values(rule.sources, 'notRequestPrincipals'),
    ...whenValues(rule, (k) => k === 'request.auth.principal').flatMap((w) => [...w.values, ...w.notValues])];
}
