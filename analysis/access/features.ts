import { parseGoBool } from '../istio.js';

/**
 * istiod (and proxy) feature flags that change access verdicts, as `--feature NAME=VALUE`. Only
 * the ones the simulator models are accepted; their defaults are Istio 1.30's with the ambient
 * profile (istio:pilot/pkg/features/ambient.go, pilot.go; manifests/charts/.../profile-ambient.yaml).
 */
export const FEATURES = {
  ENABLE_INGRESS_WAYPOINT_ROUTING: {
    default: true,
    doc: 'an ingress gateway sends traffic for a Service (or Namespace) labelled istio.io/ingress-use-waypoint=true through its waypoint (true whenever ambient is enabled)',
  },
  PILOT_AUTO_ALLOW_WAYPOINT_POLICY: {
    default: false,
    doc: 'ztunnel gets a synthesized ALLOW of each workload\'s waypoint identity',
  },
  ENABLE_LAYERED_WAYPOINT_AUTHORIZATION_POLICIES: {
    default: false,
    doc: 'selector AuthorizationPolicies selecting a waypoint\'s pods are enforced, with L4 semantics, in front of the waypoint',
  },
  AMBIENT_ENABLE_DRY_RUN_AUTHORIZATION_POLICY: {
    default: false,
    doc: 'dry-run policies are sent to ztunnel, which only logs them: no verdict changes either way',
  },
  ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY: {
    default: true,
    doc: 'selector policies matching a Gateway API gateway\'s pods still apply there (ISTIO.md §10.5)',
  },
  ISTIO_META_ENABLE_HBONE: {
    default: true,
    doc: 'proxy metadata the ambient profile sets mesh-wide: sidecars send and receive HBONE, so they reach ambient pods with their identity (without it they send plaintext, which STRICT rejects)',
  },
} as const;

export type FeatureName = keyof typeof FEATURES;
export type Features = Readonly<Record<FeatureName, boolean>>;

/** Istio's defaults for every modelled feature. */
export const DEFAULT_FEATURES: Features = Object.fromEntries(Object.entries(FEATURES).map(([k, v]) => [k, v.default])) as Features;

/**
 * The features in force: the defaults, overridden by `given` (`NAME` → a Go boolean, as istiod
 * parses it). Returns an error message for an unknown name or a value that is not a boolean.
 */
export function resolveFeatures(given: Readonly<Record<string, string>> = {}): Features | { error: string } {
  const result: Record<string, boolean> = { ...DEFAULT_FEATURES };
  for (const [name, value] of Object.entries(given)) {
    if (!Object.hasOwn(FEATURES, name)) {
      return { error: `feature "${name}" is not one the simulator models; known: ${Object.keys(FEATURES).join(', ')}.` };
    }
    const parsed = parseGoBool(value);
    if (parsed === undefined) return { error: `feature ${name}="${value}": give true or false.` };
    result[name] = parsed;
  }
  return result as Features;
}

/** Parses `NAME=VALUE` strings (the CLI's repeated `--feature`). */
export function parseFeatureFlags(flags: readonly string[]): Record<string, string> | { error: string } {
  const out: Record<string, string> = {};
  for (const flag of flags) {
    const at = flag.indexOf('=');
    const name = flag.slice(0, at);
    if (at <= 0 || !/^[A-Z][A-Z0-9_]*$/.test(name)) return { error: `--feature "${flag}" must be NAME=VALUE, say PILOT_AUTO_ALLOW_WAYPOINT_POLICY=true.` };
    out[name] = flag.slice(at + 1);
  }
  return out;
}
