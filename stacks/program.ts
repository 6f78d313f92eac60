import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { App } from 'cdk8s';
import { JwtIssuer, MeshAnalysisError, ZeroTrustConfigError } from 'zero-trust-mesh';
import { formatText } from 'zero-trust-mesh/analysis';
import { MeshDeployment } from 'zero-trust-mesh/pulumi';
import { defineReferenceMesh } from '../infra/reference-mesh.js';
import { CONFIG_NAMESPACE, ISTIO_VERSION, StackConfigError, StackSettings, resolveStackSettings } from './stack-config.js';

/** What `pulumi stack output` shows. No secret value is among them. */
export interface StackOutputs {
  readonly environment: string;
  /** The `iss` the mesh accepts end-user tokens from. */
  readonly issuer: string;
  readonly ingressHost: string;
  /** The namespaces the mesh defines. */
  readonly namespaces: readonly string[];
  /** Kubernetes objects registered for the mesh (synthesized objects plus created Secrets). */
  readonly objects: number;
  /** The Istio version installed, or "not managed by this stack". */
  readonly istio: string;
}

/** Reads and validates this stack's config from Pulumi's runtime. Registers nothing. */
export function readStackSettings(): StackSettings {
  const prefix = `${CONFIG_NAMESPACE}:`;
  const setKeys = Object.keys(pulumi.runtime.allConfig()).filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
  return resolveStackSettings(pulumi.getStack(), (key) => pulumi.runtime.getConfig(prefix + key), setKeys);
}

/**
 * Builds the environment's mesh with the same constructs as `cdk8s synth` and deploys it
 * through the package's `MeshDeployment`, which analyzes and plans everything before it
 * registers anything. Any config problem throws before the first resource exists.
 */
export function deployMesh(settings: StackSettings): { readonly deployment: MeshDeployment; readonly outputs: StackOutputs } {
  const env = settings.environment;
  const mesh = defineReferenceMesh(new App(), env);
  // MeshDeployment checks the mesh before it registers anything, but the provider it needs is
  // registered first: checking here too (the analyzer runs twice) keeps a refused config from
  // registering even the provider.
  mesh.synthesize();
  const provider = new k8s.Provider(settings.stack, {
    ...(settings.kubernetes.kubeconfig ? { kubeconfig: pulumi.secret(settings.kubernetes.kubeconfig) } : {}),
    ...(settings.kubernetes.context ? { context: settings.kubernetes.context } : {}),
  });
  const deployment = new MeshDeployment(env.name, {
    mesh,
    secrets: { [`products/${env.mysqlSecret.name}`]: { [env.mysqlSecret.key]: pulumi.secret(settings.mysqlPassword) } },
    ...(settings.installIstio ? { istio: { version: ISTIO_VERSION } } : {}),
  }, { providers: [provider] });

  return {
    deployment,
    outputs: {
      environment: env.name,
      issuer: JwtIssuer.fromConfig(env.issuer).issuer,
      ingressHost: env.ingress.host,
      namespaces: deployment.namespaces,
      objects: deployment.objects.size,
      istio: settings.installIstio ? ISTIO_VERSION : 'not managed by this stack',
    },
  };
}

/** Which stack config key feeds the field a construct refused (see `explain`). */
const FIELD_KEYS: readonly (readonly [RegExp, string])[] = [
  [/^mtls$/, 'mtls'],
  [/^dataplane$/, 'dataplane'],
  [/^issuers\b/, 'issuer'],
  [/^tlsCredentialName$/, 'ingressTlsCredentialName'],
  [/^host$/, 'ingressHost'],
  [/^image$/, 'images'],
  [/^replicas$/, 'replicas'],
  [/^acknowledgements\b/, 'acknowledgements'],
];

function configKeyOf(error: ZeroTrustConfigError): string | undefined {
  // JwtIssuer's factories (JwtIssuer.auth0, ...) check the issuer config's own fields.
  if (error.construct.startsWith('JwtIssuer')) return 'issuer';
  return FIELD_KEYS.find(([pattern]) => pattern.test(error.field))?.[1];
}

/**
 * A construct's refusal, told in stack config terms: which key feeds the refused field, whether
 * this stack set it or it is the environment's default, and how to acknowledge an exception.
 */
export function explain(error: ZeroTrustConfigError, settings: StackSettings): string {
  const short = configKeyOf(error);
  const key = short ? `${CONFIG_NAMESPACE}:${short}` : undefined;
  const source = key === undefined ? 'the environment config'
    : settings.overriddenKeys.includes(key) ? `stack config ${key}` : `the environment's default (infra/environment.ts); override it with stack config ${key}`;
  const acknowledgement = /acknowledgements\.(\w+)/.exec(error.fix)?.[1];
  const ack = acknowledgement
    ? ` To accept the risk in this stack: \`pulumi config set --path '${CONFIG_NAMESPACE}:acknowledgements.${acknowledgement}' "<reason>"\`.`
    : '';
  return `Stack "${settings.stack}" (environment ${settings.environment.name}): refused, from ${source}: ${error.message}${ack}`;
}

/**
 * The Pulumi program: config → settings → the environment's objects → resources. Config errors
 * become a `RunError`, which Pulumi prints as one message without a stack trace.
 */
export async function program(): Promise<StackOutputs> {
  let settings: StackSettings | undefined;
  try {
    settings = readStackSettings();
    return deployMesh(settings).outputs;
  } catch (error) {
    if (error instanceof StackConfigError) throw new pulumi.RunError(`${error.message} Nothing was registered.`);
    if (error instanceof ZeroTrustConfigError && settings) throw new pulumi.RunError(`${explain(error, settings)} Nothing was registered.`);
    if (error instanceof MeshAnalysisError) {
      const errors = [...error.failures.values()].flat().filter((f) => f.severity === 'error');
      throw new pulumi.RunError(`Stack "${settings?.stack}": the policy analyzer found ${errors.length} error(s) in the environment's objects:\n${formatText(errors)}\nNothing was registered.`);
    }
    throw error;
  }
}
