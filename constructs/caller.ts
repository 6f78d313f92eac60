/** A workload identity as Istio sees it: the pod's namespace and Kubernetes ServiceAccount. */
export interface WorkloadIdentity {
  readonly namespace: string;
  readonly serviceAccount: string;
}

/**
 * Who a caller is, in the terms an AuthorizationPolicy source can match. The callee renders
 * it with its own mesh's trust domain.
 */
export type CallerIdentity =
  | {
    readonly kind: 'workloads';
    readonly identities: readonly WorkloadIdentity[];
    /** False when the caller has no sidecar: it sends plaintext and carries no identity. */
    readonly hasSidecar: boolean;
    readonly description: string;
  }
  | { readonly kind: 'namespaces'; readonly namespaces: readonly string[]; readonly description: string }
  | { readonly kind: 'any-authenticated-workload'; readonly description: string }
  | { readonly kind: 'anyone'; readonly description: string };

/**
 * Anything a service can grant access to: a workload, a namespace, the ingress gateway, any
 * authenticated workload, or anyone.
 */
export interface ICaller {
  /** How an AuthorizationPolicy recognises this caller. */
  toCallerIdentity(): CallerIdentity;
}

/** The SPIFFE-derived principal Istio policies match: `<trust-domain>/ns/<ns>/sa/<sa>`. */
export function principalOf(trustDomain: string, identity: WorkloadIdentity): string {
  return `${trustDomain}/ns/${identity.namespace}/sa/${identity.serviceAccount}`;
}

/** Callers that are not constructs of their own. */
export class Callers {
  /**
   * Every caller, with or without an identity, including plaintext clients outside the mesh.
   * Loud on purpose: refused in prod unless acknowledged, when the callee asks for no end-user token.
   */
  public static anyone(): ICaller {
    return { toCallerIdentity: () => ({ kind: 'anyone', description: 'anyone (no identity required)' }) };
  }

  /** Any workload that presents a mesh mTLS identity, whoever it is. */
  public static anyAuthenticatedWorkload(): ICaller {
    return { toCallerIdentity: () => ({ kind: 'any-authenticated-workload', description: 'any authenticated mesh workload' }) };
  }

  /** A workload this program does not define, by its namespace and ServiceAccount. */
  public static serviceAccount(namespace: string, serviceAccount: string): ICaller {
    return {
      toCallerIdentity: () => ({
        kind: 'workloads',
        identities: [{ namespace, serviceAccount }],
        hasSidecar: true,
        description: `service account ${namespace}/${serviceAccount}`,
      }),
    };
  }
}
