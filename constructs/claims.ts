import type { AuthorizationPolicySpecRulesWhen } from '../imports/security.istio.io.js';
import { ZeroTrustConfigError } from './errors.js';

/**
 * A `when` condition on a top-level claim of the validated token (istio.io, "Authorization
 * Policy Conditions": `request.auth.claims[<name>]`; a list claim matches when any element does).
 */
export function claimCondition(claim: string, values: readonly string[], construct: string, field: string): AuthorizationPolicySpecRulesWhen {
  if (!/^[A-Za-z0-9_:./-]+$/.test(claim)) {
    throw new ZeroTrustConfigError(construct, field, 'is not a plain claim name.', 'name a top-level claim, e.g. "groups" or "https://example.com/roles".');
  }
  if (!Array.isArray(values) || values.length === 0 || values.some((v) => typeof v !== 'string' || v === '')) {
    throw new ZeroTrustConfigError(construct, field, 'needs at least one non-empty value.', 'list the accepted values, e.g. ["admin"].');
  }
  return { key: `request.auth.claims[${claim}]`, values: [...values] };
}
