import type { AnalyzeOptions } from '../analysis/analyze.js';
import type { OutboundTrafficPolicy } from '../analysis/model.js';
import { UsageError } from './main.js';

/** The meshConfig settings the manifests do not carry, as `zt-mesh analyze` and `review` take them. */
export const MESH_OPTIONS = {
  'root-namespace': { type: 'string' },
  'trust-domain': { type: 'string' },
  'dns-auto-allocate': { type: 'boolean', default: false },
  'outbound-traffic-policy': { type: 'string' },
} as const;

/** The parsed values of `MESH_OPTIONS`. */
export interface MeshOptionValues {
  readonly 'root-namespace'?: string;
  readonly 'trust-domain'?: string;
  readonly 'dns-auto-allocate'?: boolean;
  readonly 'outbound-traffic-policy'?: string;
}

/** The `--outbound-traffic-policy` value as an option (none when not given); a usage error otherwise. */
export function outboundTrafficPolicyOption(value: string | undefined): { outboundTrafficPolicy?: OutboundTrafficPolicy } {
  if (value === undefined) return {};
  if (value !== 'ALLOW_ANY' && value !== 'REGISTRY_ONLY') throw new UsageError(`--outbound-traffic-policy "${value}" is not one of ALLOW_ANY, REGISTRY_ONLY.`);
  return { outboundTrafficPolicy: value };
}

/** The analyzer's options from the parsed command line. */
export function analyzeOptionsOf(values: MeshOptionValues): AnalyzeOptions {
  return {
    ...(values['root-namespace'] ? { rootNamespace: values['root-namespace'] } : {}),
    ...(values['trust-domain'] ? { trustDomain: values['trust-domain'] } : {}),
    autoAllocatesServiceEntryAddresses: values['dns-auto-allocate'] ?? false,
    ...outboundTrafficPolicyOption(values['outbound-traffic-policy']),
  };
}
