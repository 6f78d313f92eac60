import type { MeshModel, MeshObject } from '../model.js';
import { actionOf } from '../policy.js';

/**
 * What the constructs record beside a policy's rules, read back from the manifests: `allowFrom`
 * writes one line per ALLOW rule, `rule[<i>] <whom it admits, what, and why>`, in the
 * `zero-trust-mesh.io/grants` annotation, and `denyFrom` the same for DENY rules in
 * `zero-trust-mesh.io/denials`. Hand-written policies record nothing, and that is fine: the
 * simulator's reason still names the rule.
 */

/** The annotation on an ALLOW AuthorizationPolicy that records each rule's grant. */
export const GRANTS_ANNOTATION = 'zero-trust-mesh.io/grants';
/** The annotation on a DENY AuthorizationPolicy that records each rule's denial. */
export const DENIALS_ANNOTATION = 'zero-trust-mesh.io/denials';

/**
 * The recorded line of each rule, by rule index, from an annotation's text. A line that does not
 * start with `rule[<i>]` continues the one before (a reason written with a line break).
 */
export function parseRuleRecords(text: string): Map<number, string> {
  const records = new Map<number, string>();
  let last: number | undefined;
  for (const line of text.split('\n')) {
    const match = /^rule\[(\d+)\] (.*)$/.exec(line);
    if (match) {
      last = Number(match[1]);
      records.set(last, match[2]!.trim());
    } else if (last !== undefined && line.trim() !== '') {
      records.set(last, `${records.get(last)!} ${line.trim()}`);
    }
  }
  return records;
}

/** The recorded line of each rule of an AuthorizationPolicy (empty when it records none). */
export function ruleRecordsOf(policy: MeshObject): Map<number, string> {
  const annotation = actionOf(policy) === 'DENY' ? DENIALS_ANNOTATION : GRANTS_ANNOTATION;
  return parseRuleRecords(policy.annotations[annotation] ?? '');
}

/** A policy rule that a simulator reason names, with the line its policy records for it. */
export interface NamedRule {
  readonly namespace: string;
  readonly policy: string;
  readonly index: number;
  /** What the policy's annotation records for this rule; absent for hand-written policies. */
  readonly record?: string;
}

/**
 * The rules a simulator reason names, the way Envoy names them (`ns[<ns>]-policy[<name>]-rule[<i>]`),
 * each with its recorded grant or denial from `model`'s manifests. An allowed edge's reason names
 * the rule that allows it; a refused one's the rule that denies it, if any.
 */
export function rulesNamedIn(reason: string, model: MeshModel): NamedRule[] {
  const named: NamedRule[] = [];
  for (const match of reason.matchAll(/ns\[([^\]]+)\]-policy\[([^\]]+)\]-rule\[(\d+)\]/g)) {
    const [, namespace, policy, index] = match as unknown as [string, string, string, string];
    const object = model.ofKind('AuthorizationPolicy').find((p) => p.namespace === namespace && p.name === policy);
    const record = object ? ruleRecordsOf(object).get(Number(index)) : undefined;
    named.push({ namespace, policy, index: Number(index), ...(record !== undefined ? { record } : {}) });
  }
  return named;
}
