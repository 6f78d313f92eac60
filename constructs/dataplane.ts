/**
 * Where a namespace's workloads get their proxy. Everything sidecar-specific (the injection
 * label, how a pod opts out) lives here, so ambient mode can become a second implementation
 * instead of a rewrite.
 */
export class Dataplane {
  /** An Envoy sidecar injected into every pod: identity, mTLS and L7 policy at the pod. */
  public static readonly SIDECAR = new Dataplane('sidecar', { 'istio-injection': 'enabled' });

  private constructor(
    /** The data-plane mode's name. */
    public readonly mode: 'sidecar',
    private readonly namespaceLabelSet: Readonly<Record<string, string>>,
  ) {}

  /** Labels that enrol a namespace's pods in the mesh. */
  public namespaceLabels(): Record<string, string> {
    return { ...this.namespaceLabelSet };
  }

  /** Pod labels for a workload; `inMesh: false` opts the pod out of injection. */
  public podLabels(inMesh: boolean): Record<string, string> {
    return inMesh ? {} : { 'sidecar.istio.io/inject': 'false' };
  }
}
