// Istio facts the checks and the model share, each with its upstream source. Citation keys:
// `istio:` = github.com/istio/istio, `api:` = github.com/istio/api (the proto comments that are
// istio.io's reference pages), `kiali:` = github.com/kiali/kiali.

/** meshConfig defaults (istio:pkg/config/mesh/mesh.go). */
export const DEFAULT_ROOT_NAMESPACE = 'istio-system';
export const DEFAULT_TRUST_DOMAIN = 'cluster.local';

/** Istio's demo issuer, whose private key is public (istio:security/tools/jwt/samples/). */
export const DEMO_ISSUER = 'testing@secure.istio.io';

/** The prefix of the annotations that acknowledge an accepted risk on an object. */
export const ACKNOWLEDGEMENT_PREFIX = 'zero-trust-mesh.io/acknowledged-';

/** The risks an object can acknowledge, as annotation suffixes. */
export type Exception = 'non-strict-mtls' | 'insecure-issuer' | 'demo-issuer' | 'open-to-anyone' | 'plaintext-ingress';

/** The annotation that acknowledges `exception` on an object. */
export function acknowledgementAnnotation(exception: Exception): string {
  return `${ACKNOWLEDGEMENT_PREFIX}${exception}`;
}

/**
 * Fields that need HTTP: on a TCP filter chain an ALLOW rule using them is dropped, a DENY rule
 * loses the condition (istio:pilot/pkg/security/authz/model/generator.go, model.go rule.checkError).
 */
export const HTTP_ONLY_SOURCE_FIELDS = ['requestPrincipals', 'notRequestPrincipals'] as const;
export const HTTP_ONLY_OPERATION_FIELDS = ['hosts', 'notHosts', 'methods', 'notMethods', 'paths', 'notPaths'] as const;
export function isHttpOnlyWhenKey(key: string): boolean {
  return key.startsWith('request.headers') || key.startsWith('request.auth.');
}

/**
 * Fields matched against the peer certificate: positive values never match plaintext, negative
 * ones always do (api:security/v1beta1/authorization_policy.proto; advisory ISTIO-SECURITY-2021-004).
 */
export const MTLS_ONLY_SOURCE_FIELDS = ['principals', 'namespaces', 'serviceAccounts', 'trustDomains'] as const;
export const MTLS_ONLY_NEGATIVE_SOURCE_FIELDS = ['notPrincipals', 'notNamespaces', 'notServiceAccounts', 'notTrustDomains'] as const;
export const MTLS_ONLY_WHEN_KEYS = ['source.principal', 'source.namespace', 'source.serviceAccount', 'source.trustDomain'] as const;

/** `when` keys istiod accepts (istio:pkg/config/security/security.go ValidateAttribute). */
const EXACT_WHEN_KEYS = new Set([
  'source.ip', 'remote.ip', 'source.namespace', 'source.principal', 'source.serviceAccount', 'source.trustDomain',
  'request.auth.principal', 'request.auth.audiences', 'request.auth.presenter',
  'destination.ip', 'destination.port', 'connection.sni',
]);
/** Keys of the form `prefix[name]` (nested `[a][b]` for claims). */
const BRACKET_WHEN_KEYS = [/^request\.headers\[[^\][]+\]$/, /^request\.auth\.claims(\[[^\][]+\])+$/, /^experimental\.envoy\.filters\.[^[\]]+(\[[^\][]+\])+$/];

/** Why a `when` key is refused, or undefined when it is valid. */
export function whenKeyProblem(key: string): string | undefined {
  if (key === '') return 'the key is empty';
  if (EXACT_WHEN_KEYS.has(key) || BRACKET_WHEN_KEYS.some((re) => re.test(key))) return undefined;
  if (/^(request\.headers|request\.auth\.claims|experimental\.)/.test(key)) return `"${key}" must have the form ${key.split('[')[0]}[<name>]`;
  if (key === 'destination.namespace') return '"destination.namespace" is not supported; a policy applies to its own namespace (metadata.namespace)';
  if (key.startsWith('destination.labels')) return '"destination.labels" is not supported; use the policy\'s selector';
  return `"${key}" is not a known condition key`;
}

/**
 * A Service port's protocol class, as Istio derives it (istio:pkg/config/kube/conversion.go
 * ConvertProtocol, istio:pkg/config/protocol/instance.go): UDP; else appProtocol; else the port
 * name's prefix before the first "-"; unknown names on ports 25, 53, 3306 and 27017 are TCP;
 * anything else is sniffed. `http` ports get HTTP filter chains, `tcp` ones (https and tls
 * included) TCP chains (istio:pilot/pkg/networking/networking.go ModelProtocolToListenerProtocol).
 */
export type ProtocolClass = 'http' | 'tcp' | 'udp' | 'unknown';

const HTTP_PROTOCOLS = new Set(['http', 'http2', 'http_proxy', 'grpc', 'grpc-web']);
const TCP_PROTOCOLS = new Set(['tcp', 'https', 'tls', 'mongo', 'mysql', 'redis']);
const KUBERNETES_APP_PROTOCOLS: Record<string, ProtocolClass> = {
  'kubernetes.io/h2c': 'http', 'kubernetes.io/ws': 'http', 'kubernetes.io/wss': 'tcp',
};
const WELL_KNOWN_TCP_PORTS = new Set([25, 53, 3306, 27017]);

/** The protocol a name (port name prefix or appProtocol) declares, or undefined. */
export function parseProtocol(name: string): ProtocolClass | undefined {
  const lower = name.toLowerCase();
  if (lower.startsWith('grpc-web')) return 'http';
  const prefix = lower.split('-')[0]!;
  if (HTTP_PROTOCOLS.has(prefix)) return 'http';
  if (TCP_PROTOCOLS.has(prefix)) return 'tcp';
  if (prefix === 'udp') return 'udp';
  return undefined;
}

export interface PortDeclaration {
  readonly name?: string;
  readonly port: number;
  readonly protocol?: string;
  readonly appProtocol?: string;
}

export function servicePortProtocol(p: PortDeclaration): ProtocolClass {
  if ((p.protocol ?? 'TCP').toUpperCase() === 'UDP') return 'udp';
  if (p.appProtocol !== undefined) {
    // Own keys only: an appProtocol of `constructor` is no protocol, not Object.prototype's.
    const lower = p.appProtocol.toLowerCase();
    const k8s = Object.hasOwn(KUBERNETES_APP_PROTOCOLS, lower) ? KUBERNETES_APP_PROTOCOLS[lower] : undefined;
    if (k8s) return k8s;
    const parsed = parseProtocol(p.appProtocol);
    if (parsed) return parsed;
  } else if (p.name !== undefined) {
    const parsed = parseProtocol(p.name);
    if (parsed) return parsed;
  }
  return WELL_KNOWN_TCP_PORTS.has(p.port) ? 'tcp' : 'unknown';
}

/** True when appProtocol names a protocol Istio knows (KIA0602). */
export function isKnownAppProtocol(appProtocol: string): boolean {
  const lower = appProtocol.toLowerCase();
  return Object.hasOwn(KUBERNETES_APP_PROTOCOLS, lower) || HTTP_PROTOCOLS.has(lower) || TCP_PROTOCOLS.has(lower) || lower === 'udp';
}

/** `<trust-domain>/ns/<namespace>/sa/<service-account>` (api: Source.principals). */
export interface Principal { readonly trustDomain: string; readonly namespace: string; readonly serviceAccount: string }

/** Parses an exact principal; undefined for wildcards and other shapes. */
export function parsePrincipal(value: string): Principal | undefined {
  const m = /^([^/*]+)\/ns\/([^/*]+)\/sa\/([^/*]+)$/.exec(value);
  return m ? { trustDomain: m[1]!, namespace: m[2]!, serviceAccount: m[3]! } : undefined;
}

/**
 * A request principal `<iss>/<sub>` split at the last "/" (istio:pilot/pkg/security/authz/model/
 * generator.go requestPrincipalGenerator); undefined when it has no "/".
 */
export function splitRequestPrincipal(value: string): { issuer: string; subject: string } | undefined {
  const i = value.lastIndexOf('/');
  return i < 0 ? undefined : { issuer: value.slice(0, i), subject: value.slice(i + 1) };
}

/** Go's strconv.ParseBool, which istiod uses for `istio.io/dry-run` (validation.go checkDryRunAnnotation). */
export function parseGoBool(value: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return undefined;
}

export const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);

/** An IPv4/IPv6 address or CIDR, as `ipBlocks` need (validation.go ValidateIPSubnet). */
export function isIpOrCidr(value: string): boolean {
  const [addr, bits, ...rest] = value.split('/');
  if (rest.length > 0 || addr === undefined) return false;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(addr);
  let max: number;
  if (v4) {
    if (v4.slice(1).some((o) => Number(o) > 255)) return false;
    max = 32;
  } else if (/^[0-9a-fA-F:]+$/.test(addr) && addr.includes(':') && (addr.match(/::/g)?.length ?? 0) <= 1) {
    max = 128;
  } else {
    return false;
  }
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= max);
}
