import type { VirtualServiceSpec } from '../imports/networking.istio.io.js';
import { EnvValue } from './env-value.js';
import { checkDnsLabel, checkLabelValue, ZeroTrustConfigError } from './errors.js';

/**
 * One version of a workload: its own Deployment (`<workload>-<version>`) whose pods carry the
 * `version` label, behind the workload's one Service and one identity. Versions of one service
 * share its ServiceAccount, so grants stay per service (istio.io, "Security" concepts: the
 * identity is the service account, and Istio's Bookinfo runs reviews v1–v3 as one account).
 */
export interface WorkloadVersion {
  /** The version name: the pods' `version` label and the DestinationRule subset, e.g. `v2`. */
  readonly name: string;
  /**
   * The container image of this version.
   * @default - the workload's image
   */
  readonly image?: string;
  /**
   * Pods of this version.
   * @default - the workload's replicas
   */
  readonly replicas?: number;
  /**
   * Environment variables of this version, added to the workload's (same rules: secrets only by
   * reference).
   * @default - none beyond the workload's
   */
  readonly env?: Readonly<Record<string, EnvValue>>;
}

/**
 * A route among a workload's versions, for callers in the mesh and for the ingress: requests that
 * carry every header in `headers` are split over versions by `weights`. Routes are tried in
 * order; the last one has no `headers` and catches every other request.
 */
export interface VersionRoute {
  /**
   * A name for the route in the VirtualService, for logs and reviewers.
   * @default - `route-<index>`
   */
  readonly name?: string;
  /**
   * Request headers this route requires, each matched exactly, e.g. `{ 'end-user': 'jason' }`.
   * Names are lower case, as Istio requires.
   * @default - none: the route matches every request
   */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * The share of requests each version gets, in percent, summing to 100, e.g. `{ v1: 90, v2: 10 }`.
   */
  readonly weights: Readonly<Record<string, number>>;
}

/**
 * A route as checked: its name, its header matches, and its destinations with weight > 0.
 * @internal
 */
export interface CheckedRoute {
  readonly name: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly weights: readonly (readonly [string, number])[];
}

const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;

/**
 * Checks the versions of a workload; refuses duplicates and bad names with advice.
 * @internal
 */
export function checkVersions(versions: readonly WorkloadVersion[], construct: string): void {
  const seen = new Set<string>();
  versions.forEach((v, i) => {
    checkDnsLabel(v.name ?? '', construct, `versions[${i}].name`);
    checkLabelValue(v.name, construct, `versions[${i}].name`);
    if (seen.has(v.name)) {
      throw new ZeroTrustConfigError(construct, `versions[${i}].name`, `version "${v.name}" is declared twice.`, 'declare each version once.');
    }
    seen.add(v.name);
  });
}

/**
 * Checks routes against the declared versions; returns them in the form the objects need.
 * @internal
 */
export function checkRoutes(routes: readonly VersionRoute[], versions: readonly string[], construct: string): CheckedRoute[] {
  if (routes.length === 0) return [];
  if (versions.length === 0) {
    throw new ZeroTrustConfigError(construct, 'routes', 'routes split traffic among versions, but the workload declares none.',
      'declare the versions (versions: [{ name: "v1" }, { name: "v2", image: ... }]), or drop the routes.');
  }
  const names = new Set<string>();
  return routes.map((route, i) => {
    const field = `routes[${i}]`;
    const name = route.name ?? `route-${i}`;
    checkDnsLabel(name, construct, `${field}.name`);
    if (names.has(name)) {
      throw new ZeroTrustConfigError(construct, `${field}.name`, `route name "${name}" is used twice.`, 'give each route its own name.');
    }
    names.add(name);
    const headers = Object.entries(route.headers ?? {});
    for (const [header, value] of headers) {
      if (!HEADER_NAME.test(header)) {
        throw new ZeroTrustConfigError(construct, `${field}.headers.${header}`,
          'is not a lower-case HTTP header name; Istio rejects upper-case header names in route matches (istio.io, "Virtual Service" reference: HTTPMatchRequest.headers).',
          `write "${header.toLowerCase()}".`);
      }
      if (typeof value !== 'string' || value === '') {
        throw new ZeroTrustConfigError(construct, `${field}.headers.${header}`, 'needs a non-empty value to match exactly.', 'give the value, e.g. { "end-user": "jason" }.');
      }
    }
    const last = i === routes.length - 1;
    if (last && headers.length > 0) {
      throw new ZeroTrustConfigError(construct, `${field}.headers`,
        'the last route matches only some requests, so every other request would get 404 (a VirtualService route list has no implicit default).',
        'end with a route without headers that says where every other request goes, e.g. { weights: { v1: 100 } }.');
    }
    if (!last && headers.length === 0) {
      throw new ZeroTrustConfigError(construct, `${field}.headers`,
        `route ${i} matches every request, so the ${routes.length - 1 - i} route(s) after it could never be used.`,
        'put the route without headers last.');
    }
    const weights = Object.entries(route.weights ?? {});
    let total = 0;
    for (const [version, weight] of weights) {
      if (!versions.includes(version)) {
        throw new ZeroTrustConfigError(construct, `${field}.weights.${version}`,
          `"${version}" is not a version of this workload (it has ${versions.join(', ')}).`, 'name one of its versions.');
      }
      if (!Number.isInteger(weight) || weight < 0 || weight > 100) {
        throw new ZeroTrustConfigError(construct, `${field}.weights.${version}`, `${weight} is not a percentage.`, 'use a whole number from 0 to 100.');
      }
      total += weight;
    }
    if (total !== 100) {
      throw new ZeroTrustConfigError(construct, `${field}.weights`,
        `the weights add up to ${total}, not 100.`, 'give each version its percentage of the requests, adding up to 100, e.g. { v1: 90, v2: 10 }.');
    }
    return { name, headers, weights: weights.filter(([, w]) => w > 0) };
  });
}

/**
 * A route of the VirtualService: header (and, at the ingress, path) matches and weighted subsets.
 * @internal
 */
export function versionHttpRoute(route: CheckedRoute, host: string, port: number | undefined, prefixes: readonly string[], name = route.name): HTTPRoute {
  const headers = route.headers.length ? Object.fromEntries(route.headers.map(([k, v]) => [k, { exact: v }])) : undefined;
  const match = prefixes.length
    ? prefixes.map((prefix) => (headers ? { uri: { prefix }, headers } : { uri: { prefix } }))
    : headers ? [{ headers }] : undefined;
  const split = route.weights.length > 1;
  return {
    name,
    ...(match ? { match } : {}),
    route: route.weights.map(([subset, weight]) => ({
      destination: port !== undefined ? { host, subset, port: { number: port } } : { host, subset },
      ...(split ? { weight } : {}),
    })),
  };
}

/** An HTTP route of a VirtualService, as the generated classes type it. */
type HTTPRoute = NonNullable<VirtualServiceSpec['http']>[number];
