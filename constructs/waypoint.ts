import { Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { Gateway } from '../imports/gateway.networking.k8s.io.js';
import { CallerIdentity, ICaller, principalOf } from './caller.js';
import { checkDnsLabel, ZeroTrustConfigError } from './errors.js';
import { ManifestObject } from './manifest-object.js';
import { HBONE_PORT, NetworkFlow, workloadPolicySpec } from './network-policy.js';
import type { ZeroTrustNamespace } from './zero-trust-namespace.js';

/** The GatewayClass Istio deploys waypoints for (istio:pilot/pkg/config/kube/gatewaycommon/classinfo.go). */
export const WAYPOINT_GATEWAY_CLASS = 'istio-waypoint';

/** The label Istio puts on every pod it deploys for a Gateway, the waypoint's included. */
const GATEWAY_NAME_LABEL = 'gateway.networking.k8s.io/gateway-name';

/**
 * An ambient-mode waypoint proxy: the Envoy that enforces L7 policy (methods, paths, end-user
 * tokens) for the Services bound to it. Declared as a Kubernetes Gateway of class
 * `istio-waypoint` with the one HBONE listener on 15008, for Service traffic
 * (`istio.io/waypoint-for: service`); Istio deploys its Deployment, Service and ServiceAccount
 * itself, all named like the Gateway (https://istio.io/latest/docs/ambient/usage/waypoint/).
 *
 * Its identity is `<trust-domain>/ns/<namespace>/sa/<name>`: the class `istio-waypoint` keeps the
 * Gateway's name without suffix (istio:pilot/pkg/config/kube/gatewaycommon/classinfo.go
 * `DisableNameSuffix`). The waypoint sees each caller's own identity, but the destination's ztunnel
 * sees the waypoint's, which is why a bound workload's L4 policy admits the waypoint alone.
 *
 * Usually made for you: an ambient `ZeroTrustNamespace` creates `waypoint` when the first grant
 * needs L7 (see docs/ambient.md). Create one yourself to bind workloads to a waypoint of another
 * name (`MeshWorkloadProps.waypoint`).
 */
export class Waypoint extends Construct implements ICaller {
  /** The Gateway's name, which is also its ServiceAccount's. */
  public readonly name: string;
  public readonly namespace: ZeroTrustNamespace;
  /** The policy principal ztunnel sees on the waypoint's connections to its workloads. */
  public readonly principal: string;
  /** Labels of the waypoint's pods, as Istio's deployment controller sets them. */
  public readonly podLabels: Readonly<Record<string, string>>;
  private readonly self: string;
  private readonly networkIngress: NetworkFlow[] = [];
  private readonly networkEgress: NetworkFlow[] = [];
  private readonly boundServices: string[] = [];

  public constructor(scope: ZeroTrustNamespace, name: string) {
    const self = `Waypoint "${scope.name}/${name}"`;
    checkDnsLabel(name, self, 'name');
    if (!scope.dataplane.isAmbient) {
      throw new ZeroTrustConfigError(self, 'scope',
        `namespace "${scope.name}" runs sidecars, whose Services never use a waypoint (only ambient clients are sent through one; https://istio.io/latest/docs/ambient/usage/waypoint/).`,
        'create the waypoint in an ambient namespace (ZeroTrustNamespace with dataplane: Dataplane.AMBIENT).');
    }
    // Istio names the waypoint's Deployment, Service and ServiceAccount like the Gateway: the name
    // is reserved like a workload's, so no workload shares its identity.
    scope.registerWorkload(name, name, self);
    super(scope, name);
    this.self = self;
    this.name = name;
    this.namespace = scope;
    this.principal = principalOf(scope.mesh.trustDomain, { namespace: scope.name, serviceAccount: name });
    this.podLabels = { [GATEWAY_NAME_LABEL]: name };

    new ManifestObject(this, 'gateway', Gateway.manifest({
      metadata: { name, namespace: scope.name, labels: { 'istio.io/waypoint-for': 'service' } },
      spec: {
        gatewayClassName: WAYPOINT_GATEWAY_CLASS,
        // Exactly one HBONE listener on 15008; with any other listener set the waypoint is not
        // Accepted (https://istio.io/latest/docs/ambient/usage/waypoint/, `istioctl waypoint generate`).
        listeners: [{ name: 'mesh', port: HBONE_PORT, protocol: 'HBONE' }],
      },
    }));
    // The waypoint pods are in the namespace, so its default-deny NetworkPolicy isolates them too:
    // callers reach them on 15008, and they reach the workloads bound to them on 15008
    // (https://istio.io/latest/docs/ambient/usage/networkpolicy/).
    new ManifestObject(this, 'network', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name, namespace: scope.name },
      spec: Lazy.any({ produce: () => workloadPolicySpec(this.podLabels, this.networkIngress, this.networkEgress) }),
    } as never);
  }

  /** The Services bound to this waypoint, `namespace/name`, in binding order. */
  public get services(): readonly string[] {
    return [...this.boundServices];
  }

  /** The waypoint as a caller: what the destination's ztunnel sees. */
  public toCallerIdentity(): CallerIdentity {
    return {
      kind: 'workloads',
      identities: [{ namespace: this.namespace.name, serviceAccount: this.name }],
      hasSidecar: true,
      description: `waypoint ${this.namespace.name}/${this.name}`,
    };
  }

  /**
   * Records a Service bound to this waypoint and lets the waypoint's pods connect to its pods
   * over HBONE. Refuses a Service of another namespace: `istio.io/use-waypoint` names a waypoint
   * in the Service's own namespace, so the binding would find none and traffic would go direct
   * (istio:pilot/pkg/serviceregistry/ambient/waypoints.go).
   * @internal
   */
  public bind(service: { namespace: string; name: string; podLabels: Readonly<Record<string, string>> }, construct: string, field: string): void {
    if (service.namespace !== this.namespace.name) {
      throw new ZeroTrustConfigError(construct, field,
        `${this.self} is in another namespace; istio.io/use-waypoint names a waypoint of the Service's own namespace, so none would be found and requests would skip it, unchecked (https://istio.io/latest/docs/ambient/usage/waypoint/).`,
        `bind to a waypoint of namespace "${service.namespace}" (leave ${field} unset for the namespace's own).`);
    }
    this.boundServices.push(`${service.namespace}/${service.name}`);
    this.networkEgress.push({ peer: { kind: 'pods', namespace: service.namespace, podLabels: service.podLabels }, ports: [] });
  }

  /**
   * Lets `flow`'s peer connect to the waypoint (HBONE on 15008): the ingress side of a grant to a
   * bound Service.
   * @internal
   */
  public admit(flow: NetworkFlow): void {
    this.networkIngress.push({ peer: flow.peer, ports: [] });
  }

  /**
   * The flow a caller's NetworkPolicy egress needs to reach this waypoint.
   * @internal
   */
  public get networkFlow(): NetworkFlow {
    return { peer: { kind: 'pods', namespace: this.namespace.name, podLabels: this.podLabels }, ports: [] };
  }
}
