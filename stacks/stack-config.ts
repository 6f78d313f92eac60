import type { Acknowledgements, DataplaneMode, JwtIssuerConfig } from 'zero-trust-mesh';
import { MtlsMode } from 'zero-trust-mesh';
import type { EnvironmentConfig, ImageConfig } from '../infra/environment.js';
import { ENVIRONMENTS } from '../infra/environment.js';

/** The namespace of every key this program reads: `zero-trust-mesh:<key>` (the project's name). */
export const CONFIG_NAMESPACE = 'zero-trust-mesh';

/** Istio's Helm charts this program installs; bump together with `imports/` (see its README). */
export const ISTIO_VERSION = '1.30.3';

/**
 * A stack config value that is missing, malformed or refused. Its message names the config key
 * and says how to set it right, so `pulumi up` stops with advice, not a stack trace.
 */
export class StackConfigError extends Error {
  public constructor(
    /** The full config key, e.g. `zero-trust-mesh:mtls`. */
    public readonly key: string,
    /** What is wrong, one sentence. */
    public readonly problem: string,
    /** What to do instead. */
    public readonly fix: string,
  ) {
    super(`Stack config ${key}: ${problem} Fix: ${fix}`);
    this.name = 'StackConfigError';
  }
}

/** Where the Kubernetes provider connects. */
export interface KubernetesTarget {
  /**
   * A kubeconfig file's path or its contents (treated as a secret either way).
   * @default - the provider's own default: `$KUBECONFIG` or `~/.kube/config`
   */
  readonly kubeconfig?: string;
  /**
   * The kubeconfig context to use.
   * @default - the kubeconfig's current context
   */
  readonly context?: string;
}

/** Everything one `pulumi up` needs, validated; produced before any resource is registered. */
export interface StackSettings {
  /** The stack's name as Pulumi gave it. */
  readonly stack: string;
  /** The environment config with this stack's overrides applied. */
  readonly environment: EnvironmentConfig;
  /** The config keys this stack overrides (full keys, sorted), for messages and review. */
  readonly overriddenKeys: readonly string[];
  readonly kubernetes: KubernetesTarget;
  /**
   * Whether the stack installs Istio's control plane (`base`, `istiod`, the ingress gateway).
   * `false` where a platform team already runs Istio.
   */
  readonly installIstio: boolean;
  /** MySQL's root password: plain here, wrapped as a Pulumi secret by the program at once. */
  readonly mysqlPassword: string;
}

/** Reads one raw config value by its short key (without namespace); `undefined` when unset. */
export type ConfigLookup = (key: string) => string | undefined;

type Check = (value: string, key: string) => unknown;

/** Each key the program reads, what it sets, and how its raw string is parsed and validated. */
const KEYS: Record<string, { readonly describe: string; readonly parse: Check }> = {
  environment: { describe: 'the environment to deploy (default: the stack name)', parse: (v) => v },
  issuer: { describe: 'the end-user token issuer, as an object', parse: parseIssuer },
  mtls: { describe: 'mesh-wide mTLS mode', parse: parseMtls },
  dataplane: { describe: 'where workloads get their proxy: sidecar or ambient', parse: parseDataplane },
  ingressHost: { describe: 'the products app\'s external host name', parse: parseHost },
  ingressTlsCredentialName: { describe: 'the ingress TLS Secret in the gateway\'s namespace', parse: parseSecretName },
  images: { describe: 'container images, by workload, as an object', parse: parseImages },
  replicas: { describe: 'replicas of each products service', parse: parseReplicas },
  acknowledgements: { describe: 'insecure exceptions accepted on purpose, with reasons, as an object', parse: parseAcknowledgements },
  kubeconfig: { describe: 'the Kubernetes provider\'s kubeconfig (path or contents)', parse: (v, k) => nonEmpty(v, k) },
  kubeContext: { describe: 'the kubeconfig context', parse: (v, k) => nonEmpty(v, k) },
  installIstio: { describe: 'whether to install Istio\'s control plane', parse: parseBoolean },
  mysqlPassword: { describe: 'MySQL\'s root password (secret)', parse: parsePassword },
};

/** The short keys this program understands, for docs and tests. */
export const CONFIG_KEYS: readonly string[] = Object.keys(KEYS);

const full = (key: string): string => `${CONFIG_NAMESPACE}:${key}`;

/**
 * Validates a stack's config and applies it over the environment's defaults. Every key is
 * checked (unknown keys in this program's namespace too: a typo must not silently deploy the
 * default), and the first problem throws a `StackConfigError` naming its key.
 *
 * @param stack the Pulumi stack name; it picks the environment unless `environment` is set
 * @param lookup reads a raw value by short key
 * @param setKeys every short key set in this program's namespace (to refuse unknown ones)
 */
export function resolveStackSettings(stack: string, lookup: ConfigLookup, setKeys: readonly string[]): StackSettings {
  for (const key of [...setKeys].sort()) {
    if (!Object.hasOwn(KEYS, key)) {
      const near = CONFIG_KEYS.find((known) => known.toLowerCase() === key.toLowerCase());
      throw new StackConfigError(full(key), 'is not a setting of this program.',
        near ? `did you mean ${full(near)}?` : `remove it, or use one of ${CONFIG_KEYS.map(full).join(', ')}.`);
    }
  }
  const value = <T>(key: string): T | undefined => {
    const raw = lookup(key);
    return raw === undefined ? undefined : KEYS[key]!.parse(raw, full(key)) as T;
  };

  const envName = value<string>('environment') ?? stack;
  const base = Object.hasOwn(ENVIRONMENTS, envName) ? ENVIRONMENTS[envName] : undefined;
  if (!base) {
    const key = lookup('environment') === undefined ? 'the stack name' : full('environment');
    throw new StackConfigError(full('environment'), `"${envName}" (from ${key}) is not an environment of this program.`,
      `name the stack after one of ${Object.keys(ENVIRONMENTS).join(', ')}, or set ${full('environment')} to one of them.`);
  }

  const issuer = value<JwtIssuerConfig>('issuer');
  const mtls = value<MtlsMode>('mtls');
  const dataplane = value<DataplaneMode>('dataplane');
  const host = value<string>('ingressHost');
  const tlsCredentialName = value<string>('ingressTlsCredentialName');
  const images = value<Partial<ImageConfig>>('images');
  const replicas = value<number>('replicas');
  const acknowledgements = value<Acknowledgements>('acknowledgements');

  const environment: EnvironmentConfig = {
    ...base,
    ...(issuer ? { issuer } : {}),
    ...(mtls ? { mtls } : {}),
    ...(dataplane ? { dataplane } : {}),
    ingress: {
      ...base.ingress,
      ...(host ? { host } : {}),
      ...(tlsCredentialName ? { tlsCredentialName } : {}),
    },
    images: { ...base.images, ...images },
    ...(replicas !== undefined ? { replicas } : {}),
    acknowledgements: { ...base.acknowledgements, ...acknowledgements },
  };

  const mysqlPassword = value<string>('mysqlPassword');
  if (mysqlPassword === undefined) {
    throw new StackConfigError(full('mysqlPassword'), 'is not set; MySQL needs a root password.',
      `run \`pulumi config set --secret ${full('mysqlPassword')}\` (e.g. with the output of \`openssl rand -base64 24\`).`);
  }

  const kubeconfig = value<string>('kubeconfig');
  const context = value<string>('kubeContext');
  return {
    stack,
    environment,
    overriddenKeys: setKeys.filter((k) => k !== 'mysqlPassword').map(full).sort(),
    kubernetes: { ...(kubeconfig ? { kubeconfig } : {}), ...(context ? { context } : {}) },
    installIstio: value<boolean>('installIstio') ?? true,
    mysqlPassword,
  };
}

function nonEmpty(value: string, key: string): string {
  if (value.trim() === '') throw new StackConfigError(key, 'is empty.', 'give a value or remove the key.');
  return value;
}

function parseObject(value: string, key: string, example: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new StackConfigError(key, 'must be an object.',
      `set its fields with --path, e.g. \`pulumi config set --path '${key}.${example}'\`.`);
  }
  return parsed as Record<string, unknown>;
}

function onlyFields(object: Record<string, unknown>, allowed: readonly string[], key: string): void {
  for (const field of Object.keys(object).sort()) {
    if (!allowed.includes(field)) {
      throw new StackConfigError(`${key}.${field}`, 'is not a known field.', `use ${allowed.join(', ')}.`);
    }
  }
}

function stringField(object: Record<string, unknown>, field: string, key: string, required: boolean): string | undefined {
  const value = object[field];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new StackConfigError(`${key}.${field}`, required && value === undefined ? 'is required.' : 'must be a non-empty string.',
      `set it with \`pulumi config set --path '${key}.${field}' <value>\`.`);
  }
  return value;
}

function audiencesField(object: Record<string, unknown>, key: string, required: boolean): string[] | undefined {
  const value = object.audiences;
  if (value === undefined && !required) return undefined;
  if (!Array.isArray(value) || value.length === 0 || !value.every((a) => typeof a === 'string' && a.trim() !== '')) {
    throw new StackConfigError(`${key}.audiences`, 'must be a non-empty list of strings (the `aud` values tokens carry).',
      `set it with \`pulumi config set --path '${key}.audiences[0]' <audience>\`.`);
  }
  return value as string[];
}

/** Fields of each provider, as in `JwtIssuerConfig`; the issuer's own rules are checked by `JwtIssuer`. */
const ISSUER_FIELDS: Record<JwtIssuerConfig['provider'], readonly string[]> = {
  'istio-demo': ['provider', 'jwksUri'],
  auth0: ['provider', 'domain', 'audiences'],
  okta: ['provider', 'domain', 'authorizationServerId', 'audiences'],
  oidc: ['provider', 'issuer', 'jwksUri', 'jwks', 'audiences'],
};

function parseIssuer(value: string, key: string): JwtIssuerConfig {
  const object = parseObject(value, key, 'provider\' oidc');
  const provider = object.provider;
  if (typeof provider !== 'string' || !Object.hasOwn(ISSUER_FIELDS, provider)) {
    throw new StackConfigError(`${key}.provider`, `${JSON.stringify(provider)} is not a known identity provider.`,
      `use one of ${Object.keys(ISSUER_FIELDS).join(', ')}.`);
  }
  const kind = provider as JwtIssuerConfig['provider'];
  onlyFields(object, ISSUER_FIELDS[kind], key);
  switch (kind) {
    case 'istio-demo': {
      const jwksUri = stringField(object, 'jwksUri', key, false);
      return { provider: kind, ...(jwksUri ? { jwksUri } : {}) };
    }
    case 'auth0':
      return { provider: kind, domain: stringField(object, 'domain', key, true)!, audiences: audiencesField(object, key, true)! };
    case 'okta': {
      const authorizationServerId = stringField(object, 'authorizationServerId', key, false);
      return {
        provider: kind, domain: stringField(object, 'domain', key, true)!, audiences: audiencesField(object, key, true)!,
        ...(authorizationServerId ? { authorizationServerId } : {}),
      };
    }
    case 'oidc': {
      const jwksUri = stringField(object, 'jwksUri', key, false);
      const jwks = stringField(object, 'jwks', key, false);
      return {
        provider: kind, issuer: stringField(object, 'issuer', key, true)!,
        ...(jwksUri ? { jwksUri } : {}), ...(jwks ? { jwks } : {}), audiences: audiencesField(object, key, true)!,
      };
    }
  }
}

function parseMtls(value: string, key: string): MtlsMode {
  const modes = Object.values(MtlsMode) as string[];
  if (!modes.includes(value)) {
    throw new StackConfigError(key, `"${value}" is not an mTLS mode.`, `use one of ${modes.join(', ')} (STRICT unless a migration needs otherwise).`);
  }
  return value as MtlsMode;
}

function parseDataplane(value: string, key: string): DataplaneMode {
  if (value !== 'sidecar' && value !== 'ambient') {
    throw new StackConfigError(key, `"${value}" is not a data-plane mode.`,
      'use "sidecar" or "ambient" (ambient needs Istio installed with the ambient profile: istio-cni and ztunnel; docs/ambient.md).');
  }
  return value;
}

function parseHost(value: string, key: string): string {
  if (!/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value)) {
    throw new StackConfigError(key, `"${value}" is not a fully qualified host name.`, 'give the bare host, lower case, without scheme or port, e.g. "products.example.com".');
  }
  return value;
}

function parseSecretName(value: string, key: string): string {
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(value) || value.length > 253) {
    throw new StackConfigError(key, `"${value}" is not a Secret name.`, 'give the name of a kubernetes.io/tls Secret in the gateway\'s namespace.');
  }
  return value;
}

const REPOSITORY = /^[a-z0-9]+([._\-/:][a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** A digest, or a tag other than `latest`: a deployment must be repeatable. */
function isPinnedImage(image: string): boolean {
  const [name = '', digest, ...rest] = image.split('@');
  if (rest.length > 0) return false;
  if (digest !== undefined) return REPOSITORY.test(name) && /^sha256:[a-f0-9]{64}$/.test(digest);
  const colon = name.lastIndexOf(':');
  if (colon <= name.lastIndexOf('/')) return false; // no tag: a colon before the last "/" is a registry port
  const tag = name.slice(colon + 1);
  return REPOSITORY.test(name.slice(0, colon)) && TAG.test(tag) && tag !== 'latest';
}

function parseImages(value: string, key: string): Partial<ImageConfig> {
  const object = parseObject(value, key, 'serviceA\' ghcr.io/acme/service-a:1.2.3');
  onlyFields(object, Object.keys(ENVIRONMENTS.dev!.images), key);
  for (const [workload, image] of Object.entries(object)) {
    if (typeof image !== 'string' || !isPinnedImage(image)) {
      throw new StackConfigError(`${key}.${workload}`, `${JSON.stringify(image)} is not a pinned image reference.`,
        'give a tag other than "latest" or a digest, e.g. "ghcr.io/acme/service-a:1.2.3" or "ghcr.io/acme/service-a@sha256:<64 hex digits>".');
    }
  }
  return object as Partial<ImageConfig>;
}

function parseReplicas(value: string, key: string): number {
  const replicas = Number(value);
  if (!/^\d+$/.test(value) || replicas < 1 || replicas > 100) {
    throw new StackConfigError(key, `"${value}" is not a replica count from 1 to 100.`, 'give a whole number, e.g. 3.');
  }
  return replicas;
}

function parseAcknowledgements(value: string, key: string): Acknowledgements {
  const object = parseObject(value, key, 'nonStrictMtls\' "<reason>"');
  for (const [name, reason] of Object.entries(object)) {
    if (typeof reason !== 'string') {
      throw new StackConfigError(`${key}.${name}`, 'must be the reason, as a string.', `e.g. \`pulumi config set --path '${key}.${name}' "legacy client, migration tracked in OPS-123"\`.`);
    }
  }
  // Names and empty reasons are checked by the environment's SecurityPosture, with its advice.
  return object as Acknowledgements;
}

function parseBoolean(value: string, key: string): boolean {
  if (value !== 'true' && value !== 'false') {
    throw new StackConfigError(key, `"${value}" is not true or false.`, `run \`pulumi config set ${key} false\` to skip installing Istio.`);
  }
  return value === 'true';
}

function parsePassword(value: string, key: string): string {
  if (value.length < 16) {
    throw new StackConfigError(key, 'is shorter than 16 characters.',
      `set a longer one with \`pulumi config set --secret ${key}\` (e.g. the output of \`openssl rand -base64 24\`).`);
  }
  return value;
}
