import type { Manifest } from '../manifests/index.js';
import { manifestId } from '../manifests/index.js';
import type { SynthesizedEnvironment } from '../infra/synth.js';
import { StackConfigError, CONFIG_NAMESPACE } from './stack-config.js';
import { isIstioObject, isWorkload, registrable } from './kubernetes-resource.js';

/** A Secret the stack creates from a secret config value (never written by synth). */
export interface PlannedSecret {
  /** `Secret/<namespace>/<name>`, like a manifest's id. */
  readonly id: string;
  readonly name: string;
  readonly namespace: string;
  /** The key under which the value is stored. */
  readonly key: string;
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
  /** Whether the stack installs Istio; without it nothing waits for a control plane. */
  readonly installIstio: boolean;
  /** Namespaces the control plane creates; objects in them wait for it. */
  readonly controlPlaneNamespaces: readonly string[];
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
 * Orders one environment's objects for Pulumi and states what each waits for:
 * - namespaces first; every namespaced object waits for its namespace;
 * - Istio objects wait for the control plane (their CRDs and validating webhook);
 * - workloads come last: each waits for the control plane (else its pods start without a
 *   sidecar, outside the mesh's mTLS and policies), its service account, the Secrets it reads,
 *   and the security policies of its namespace and of the root namespace, so a pod never runs
 *   a moment before the policies that protect it.
 * Everything is checked before anything is registered: an object this program cannot register,
 * or a workload reading the database secret under another key, stops the plan.
 */
export function planDeployment(synth: SynthesizedEnvironment, options: PlanOptions): DeploymentPlan {
  const { manifests, environment, rootNamespace } = synth;
  for (const m of manifests) {
    if (m.apiVersion === 'v1' && m.kind === 'Secret') {
      throw new Error(`${manifestId(m)} is synthesized, so its value would land in Git; create Secrets from secret stack config instead.`);
    }
    if (!registrable(m)) {
      throw new Error(`${manifestId(m)} (${m.apiVersion}) has no Pulumi resource class; add it to stacks/kubernetes-resource.ts.`);
    }
  }
  const ids = new Set(manifests.map(manifestId));
  const namespaces = manifests.filter((m) => m.kind === 'Namespace').map((m) => m.metadata.name);
  const controlPlaneNamespaces = new Set(options.installIstio ? options.controlPlaneNamespaces : []);

  // The database Secret: one per namespace whose workloads read it.
  const { name: secretName, key: secretKey } = environment.mysqlSecret;
  const secrets = new Map<string, PlannedSecret>();
  for (const workload of manifests.filter(isWorkload)) {
    for (const ref of secretReferences(workload).filter((r) => r.name === secretName)) {
      if (ref.key !== secretKey) {
        throw new StackConfigError(`${CONFIG_NAMESPACE}:mysqlPassword`,
          `${manifestId(workload)} reads key "${ref.key}" of Secret "${secretName}", but the stack stores the password under "${secretKey}".`,
          'make the workload and the environment\'s mysqlSecret.key agree.');
      }
      const namespace = workload.metadata.namespace!;
      const id = `Secret/${namespace}/${secretName}`;
      secrets.set(id, { id, name: secretName, namespace, key: secretKey });
    }
  }

  const namespaceOf = (namespace: string | undefined): string[] =>
    namespace !== undefined && ids.has(`Namespace/-/${namespace}`) ? [`Namespace/-/${namespace}`] : [];
  const waitsForControlPlane = (m: Manifest): boolean =>
    options.installIstio && (isIstioObject(m) || isWorkload(m) || controlPlaneNamespaces.has(m.metadata.namespace ?? ''));
  // Indexed by namespace once: a lookup per workload keeps the plan linear in the mesh's size.
  const policiesByNamespace = new Map<string, string[]>();
  for (const m of manifests.filter((p) => p.apiVersion.startsWith('security.istio.io/'))) {
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
      const secret = `Secret/${ns}/${secretName}`;
      if (secrets.has(secret) && secretReferences(m).some((r) => r.name === secretName)) after.push(secret);
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
