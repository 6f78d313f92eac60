import { ZeroTrustConfigError } from './errors.js';

/** The names of Istio's data-plane modes, as environment config spells them. */
export type DataplaneMode = 'sidecar' | 'ambient';

/**
 * Where a namespace's workloads get their proxy. Everything mode-specific about enrolment (the
 * namespace label, how a pod opts out) lives here; what a grant becomes in each mode lives with
 * the grant (docs/ambient.md).
 */
export class Dataplane {
  /**
   * An Envoy sidecar injected into every pod: identity, mTLS and L7 policy at the pod
   * (namespace label `istio-injection: enabled`; a pod opts out with the label
   * `sidecar.istio.io/inject: "false"`).
   */
  public static readonly SIDECAR = new Dataplane('sidecar', { 'istio-injection': 'enabled' }, { 'sidecar.istio.io/inject': 'false' });

  /**
   * Ambient mode: the node's ztunnel carries each pod's identity and mTLS (HBONE) and enforces L4
   * policy; L7 policy (methods, paths, end-user tokens) is enforced at a waypoint proxy. The
   * namespace gets `istio.io/dataplane-mode: ambient` and no injection label, since a pod with a
   * sidecar is never captured by ztunnel; a pod opts out with `istio.io/dataplane-mode: none`
   * (istio:cni/pkg/util/enablement_selector.go; https://istio.io/latest/docs/ambient/usage/add-workloads/).
   */
  public static readonly AMBIENT = new Dataplane('ambient', { 'istio.io/dataplane-mode': 'ambient' }, { 'istio.io/dataplane-mode': 'none' });

  /**
   * The data plane named in environment config (`'sidecar'` or `'ambient'`). `construct` and
   * `field` name where the value came from, for the error a wrong value gets.
   */
  public static of(mode: DataplaneMode, construct = 'Dataplane', field = 'mode'): Dataplane {
    if (mode === 'sidecar') return Dataplane.SIDECAR;
    if (mode === 'ambient') return Dataplane.AMBIENT;
    throw new ZeroTrustConfigError(construct, field, `"${String(mode)}" is not a data-plane mode.`, 'use "sidecar" or "ambient".');
  }

  private constructor(
    /** The data-plane mode's name. */
    public readonly mode: DataplaneMode,
    private readonly namespaceLabelSet: Readonly<Record<string, string>>,
    private readonly optOutLabelSet: Readonly<Record<string, string>>,
  ) {}

  /** True for ambient mode (ztunnel and waypoints), false for sidecars. */
  public get isAmbient(): boolean {
    return this.mode === 'ambient';
  }

  /** Labels that enrol a namespace's pods in the mesh. */
  public namespaceLabels(): Record<string, string> {
    return { ...this.namespaceLabelSet };
  }

  /** Pod labels for a workload; `inMesh: false` opts the pod out of the mesh. */
  public podLabels(inMesh: boolean): Record<string, string> {
    return inMesh ? {} : { ...this.optOutLabelSet };
  }
}
