import { ZeroTrustConfigError } from '../constructs/errors.js';
import type { Manifest } from '../manifests/manifest.js';
import { manifestId } from '../manifests/manifest.js';
import { isGatewayApiObject, isIstioObject, isWorkload, registrable } from './kubernetes-resource.js';

/** A Secret the component creates from values it was given (never written by synth). */
export interface PlannedSecret {
  /** `Secret/<namespace>/<name>`, like a manifest's id. */
  readonly id: string;
  readonly name: string;
  readonly namespace: string;
  /** The keys it holds. */
  readonly keys: readonly string[];
}

/** One object to register and what must exist before it. */
export interface PlannedObject {
  readonly id: string;
  /** The object; `undefined` for a planned Secret (its value is only known to Pulumi). */
  readonly manifest?: Manifest;
  readonly secret?: PlannedSecret;
  /** Ids of planned objects this one waits for. */
  readonly after: readonly string[];
  /** Whether it waits for Istio's control plane (CRDs, webhooks, sidecar injector). */
  readonly afterControlPlane: boolean;
}

/** The objects of one stack in registration order, with their dependencies. */
export interface DeploymentPlan {
  readonly objects: readonly PlannedObject[];
  /** Namespaces the mesh defines (the control plane's own are not included). */
  readonly namespaces: readonly string[];
}

/** Options of `planDeployment`. */
export interface PlanOptions {
  /** Who plans, for messages: `MeshDeployment "prod"`. */
  readonly construct: string;
  /** Whether Istio is installed with the objects; without it nothing waits for a control plane. */
  readonly installIstio: boolean;
  /** Namespaces the control plane creates; objects in them wait for it. */
  readonly controlPlaneNamespaces: readonly string[];
  /** The Secrets to create, by `namespace/name`, with their keys. */
  readonly secrets: ReadonlyMap<string, readonly string[]>;
  /** Secrets that exist already (other tooling creates them), by `namespace/name`. */
  readonly existingSecrets: ReadonlySet<string>;
}

interface SecretReference { readonly name: string; readonly key: string }

/** Every `secretKeyRef` of a workload's pod template. */
function secretReferences(workload: Manifest): SecretReference[] {
  const pod = (workload.spec as { template?: { spec?: { containers?: unknown[]; initContainers?: unknown[] } } } | undefined)?.template?.spec;
  const containers = [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])] as { env?: { valueFrom?: { secretKeyRef?: SecretReference } }[] }[];
  return containers.flatMap((c) => c.env ?? []).flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef] : []));
}

function serviceAccountOf(workload: Manifest): string | undefined {
  return (workload.spec as { template?: { spec?: { serviceAccountName?: string } } } | undefined)?.template?.spec?.serviceAccountName;
}

/**
 * Orders one mesh's objects for Pulumi and states what each waits for:
 * - namespaces first; every namespaced object waits for its namespace;
 * - Istio objects wait for the control plane (their CRDs and validating webhook);
 * - workloads come last: each waits for the control plane (else its pods start without a
 *   sidecar, outside the mesh's mTLS and policies), its service account, the Secrets it reads,
 *   and the security policies of its namespace and of the root namespace, so a pod never runs
 *   a moment before the policies that protect it.
 * Everything is checked before anything is registered: an object that cannot be registered, a
 * Secret in the objects, or a Secret a workload reads that is neither given nor declared to exist
 * stops the plan.
 */
export function planDeployment(manifests: readonly Manifest[], rootNamespace: string, options: PlanOptions): DeploymentPlan {
  for (const m of manifests) {
    if (m.apiVersion === 'v1' && m.kind === 'Secret') {
      throw new ZeroTrustConfigError(options.construct, 'mesh', `${manifestId(m)} is part of the mesh's objects, so its value would be in every synthesized copy (Git, Pulumi's inputs).`,
        'remove it from the mesh and pass its values in `secrets` (they are registered as Pulumi secrets).');
    }
    if (!registrable(m)) {
      throw new ZeroTrustConfigError(options.construct, 'mesh', `${manifestId(m)} (${m.apiVersion}) is a kind this component has no Pulumi resource class for.`,
        'create it outside the Mesh (e.g. with @pulumi/kubernetes directly), or ask for the kind to be supported.');
    }
  }
  const ids = new Set(manifests.map(manifestId));
  const namespaces = manifests.filter((m) => m.kind === 'Namespace').map((m) => m.metadata.name);
  const controlPlaneNamespaces = new Set(options.installIstio ? options.controlPlaneNamespaces : []);

  // Every Secret a workload reads is either created here (with the key it reads) or declared to exist.
  const secrets = new Map<string, PlannedSecret>();
  for (const [ref, keys] of options.secrets) {
    const [namespace, name, ...rest] = ref.split('/');
    if (!namespace || !name || rest.length > 0) {
      throw new ZeroTrustConfigError(options.construct, `secrets["${ref}"]`, 'is not "<namespace>/<name>".', 'key each Secret by its namespace and name, e.g. "shop/db-credentials".');
    }
    secrets.set(`Secret/${namespace}/${name}`, { id: `Secret/${namespace}/${name}`, name, namespace, keys });
  }
  for (const workload of manifests.filter(isWorkload)) {
    const namespace = workload.metadata.namespace ?? 'default';
    for (const ref of secretReferences(workload)) {
      const given = secrets.get(`Secret/${namespace}/${ref.name}`);
      if (given && !given.keys.includes(ref.key)) {
        throw new ZeroTrustConfigError(options.construct, `secrets["${namespace}/${ref.name}"]`,
          `has no key "${ref.key}", which ${manifestId(workload)} reads.`, `give its value: { "${ref.key}": <a Pulumi secret> }.`);
      }
      if (!given && !options.existingSecrets.has(`${namespace}/${ref.name}`)) {
        throw new ZeroTrustConfigError(options.construct, 'secrets',
          `${manifestId(workload)} reads Secret "${namespace}/${ref.name}" (key "${ref.key}"), which this deployment neither creates nor knows to exist; its pods would not start.`,
          `pass its value in secrets: { "${namespace}/${ref.name}": { "${ref.key}": config.requireSecret("...") } }, or list "${namespace}/${ref.name}" in existingSecrets when other tooling creates it.`);
      }
    }
  }

  const namespaceOf = (namespace: string | undefined): string[] =>
    namespace !== undefined && ids.has(`Namespace/-/${namespace}`) ? [`Namespace/-/${namespace}`] : [];
  const waitsForControlPlane = (m: Manifest): boolean =>
    options.installIstio && (isIstioObject(m) || isGatewayApiObject(m) || isWorkload(m) || controlPlaneNamespaces.has(m.metadata.namespace ?? ''));
  // Indexed by namespace once: a lookup per workload keeps the plan linear in the mesh's size.
  const policiesByNamespace = new Map<string, string[]>();
  // The L3/L4 and egress limits count as policy too: a pod must not start before them.
  const isPolicy = (p: Manifest) => p.apiVersion.startsWith('security.istio.io/')
    || (p.apiVersion === 'networking.k8s.io/v1' && p.kind === 'NetworkPolicy') || (p.apiVersion.startsWith('networking.istio.io/') && p.kind === 'Sidecar');
  for (const m of manifests.filter(isPolicy)) {
    const ns = m.metadata.namespace ?? '';
    const group = policiesByNamespace.get(ns);
    if (group) group.push(manifestId(m));
    else policiesByNamespace.set(ns, [manifestId(m)]);
  }
  const securityPolicies = (namespace: string | undefined): string[] => [
    ...(namespace === rootNamespace ? [] : policiesByNamespace.get(namespace ?? '') ?? []),
    ...policiesByNamespace.get(rootNamespace) ?? [],
  ];

  const plan = (m: Manifest): PlannedObject => {
    const after = namespaceOf(m.metadata.namespace);
    if (isWorkload(m)) {
      const ns = m.metadata.namespace;
      const account = serviceAccountOf(m);
      if (account && ids.has(`ServiceAccount/${ns}/${account}`)) after.push(`ServiceAccount/${ns}/${account}`);
      for (const name of new Set(secretReferences(m).map((r) => r.name))) {
        if (secrets.has(`Secret/${ns}/${name}`)) after.push(`Secret/${ns}/${name}`);
      }
      after.push(...securityPolicies(ns));
    }
    return { id: manifestId(m), manifest: m, after, afterControlPlane: waitsForControlPlane(m) };
  };

  const objects: PlannedObject[] = [
    ...manifests.filter((m) => m.kind === 'Namespace').map(plan),
    ...[...secrets.values()].map((secret): PlannedObject => ({
      id: secret.id, secret, after: namespaceOf(secret.namespace), afterControlPlane: controlPlaneNamespaces.has(secret.namespace),
    })),
    ...manifests.filter((m) => m.kind !== 'Namespace' && !isWorkload(m)).map(plan),
    ...manifests.filter(isWorkload).map(plan),
  ];
  return { objects, namespaces };
}
