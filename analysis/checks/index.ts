import { AMBIENT_CHECKS } from './ambient.js';
import { ANNOTATION_CHECKS } from './annotations.js';
import { AUTHORIZATION_CHECKS } from './authorization.js';
import type { Check } from './check.js';
import { EGRESS_GATEWAY_CHECKS } from './egress-gateway.js';
import { GATEWAY_API_CHECKS } from './gateway-api.js';
import { INGRESS_CHECKS } from './ingress.js';
import { JWT_CHECKS } from './jwt.js';
import { MTLS_CHECKS } from './mtls.js';
import { NETWORK_CHECKS } from './network.js';
import { TELEMETRY_CHECKS, WORKLOAD_CHECKS } from './workloads.js';

export type { Area, Check, Issue } from './check.js';

/** Checks in code order; a code used twice is a programming error, refused when the module loads. */
export function inCodeOrder(checks: readonly Check[]): Check[] {
  const sorted = [...checks].sort((a, b) => (a.code < b.code ? -1 : 1));
  sorted.forEach((c, i) => {
    if (i > 0 && sorted[i - 1]!.code === c.code) throw new Error(`Duplicate analyzer check code ${c.code}`);
  });
  return sorted;
}

/** Every check the analyzer runs on the mesh model, in code order. */
export const CHECKS: readonly Check[] = inCodeOrder([
  ...AUTHORIZATION_CHECKS, ...MTLS_CHECKS, ...JWT_CHECKS, ...INGRESS_CHECKS, ...GATEWAY_API_CHECKS, ...WORKLOAD_CHECKS, ...TELEMETRY_CHECKS, ...ANNOTATION_CHECKS, ...NETWORK_CHECKS, ...EGRESS_GATEWAY_CHECKS, ...AMBIENT_CHECKS,
]);
