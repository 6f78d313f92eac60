import { checkDnsLabel, checkPortNumber, ZeroTrustConfigError } from './errors.js';

/** Props of a custom egress gateway installation. */
export interface EgressGatewayProps {
  /** Namespace the gateway pods and their Service run in. */
  readonly namespace: string;
  /** The gateway's Service name (callers' sidecars route external hosts to `<service>.<namespace>.svc.cluster.local`). */
  readonly service: string;
  /** Labels of the gateway pods, which the `Gateway` objects and the gateway's AuthorizationPolicies select. */
  readonly selector: Record<string, string>;
  /**
   * The Service port callers' sidecars connect to, over Istio mTLS.
   * @default 443
   */
  readonly port?: number;
  /**
   * The container port behind `port`: what a NetworkPolicy sees on the wire.
   * @default - the same as `port`
   */
  readonly targetPort?: number;
}

/**
 * An Istio egress gateway deployment that external calls leave the mesh through. With one set on
 * the `Mesh` (`egressGateway`), `workload.allowTo(ExternalHost...)` routes the host through it:
 * the caller's sidecar sends the request to the gateway over Istio mTLS, the gateway checks the
 * caller's identity against its own AuthorizationPolicy and forwards to the host, and the caller's
 * NetworkPolicy may reach the gateway's pods only, not the internet
 * (https://istio.io/latest/docs/tasks/traffic-management/egress/egress-gateway/).
 *
 * The installation fixes the gateway's labels, Service and ports (istio.io, "Installing
 * Gateways"); this object only names them. The gateway itself is installed by the platform (Helm
 * or istioctl), like the ingress gateway.
 */
export class EgressGateway {
  /**
   * A gateway installed with Istio's Helm `gateway` chart: the Service is the release name, the
   * `istio` label is the release name without its `istio-` prefix, and the chart's pods listen on
   * the Service ports themselves (443 → 443; istio/istio `manifests/charts/gateway/values.yaml`).
   */
  public static helmChart(options: { readonly release?: string; readonly namespace?: string } = {}): EgressGateway {
    const release = options.release ?? 'istio-egressgateway';
    return new EgressGateway({
      namespace: options.namespace ?? 'istio-system',
      service: release,
      selector: { istio: release.replace(/^istio-/, '') },
      port: 443,
      targetPort: 443,
    }, 'EgressGateway.helmChart()', release);
  }

  /**
   * A gateway installed by istioctl's demo profile (or the legacy `gateways/istio-egress`
   * chart): Service `istio-egressgateway` in `istio-system`, label `istio: egressgateway`, port
   * 443 → 8443 (istio/istio `manifests/charts/gateways/istio-egress/values.yaml`).
   */
  public static istioctl(): EgressGateway {
    return new EgressGateway({
      namespace: 'istio-system',
      service: 'istio-egressgateway',
      selector: { istio: 'egressgateway' },
      port: 443,
      targetPort: 8443,
    }, 'EgressGateway.istioctl()');
  }

  /** Any other installation. */
  public static of(props: EgressGatewayProps): EgressGateway {
    return new EgressGateway(props, 'EgressGateway.of()');
  }

  public readonly namespace: string;
  public readonly service: string;
  public readonly selector: Readonly<Record<string, string>>;
  /** The Service port callers connect to. */
  public readonly port: number;
  /** The container port behind it. */
  public readonly targetPort: number;
  /** The Helm release of Istio's `gateway` chart, when installed that way (`helmChart()`). */
  public readonly helmRelease?: string;

  private constructor(props: EgressGatewayProps, self: string, helmRelease?: string) {
    if (helmRelease !== undefined) this.helmRelease = helmRelease;
    checkDnsLabel(props.namespace, self, 'namespace');
    checkDnsLabel(props.service, self, 'service');
    if (Object.keys(props.selector).length === 0) {
      throw new ZeroTrustConfigError(self, 'selector', 'is empty: a Gateway or AuthorizationPolicy with an empty selector would apply to every pod of the namespace.',
        'give the gateway pods\' labels, e.g. { istio: "egressgateway" }.');
    }
    this.namespace = props.namespace;
    this.service = props.service;
    this.selector = { ...props.selector };
    this.port = props.port ?? 443;
    this.targetPort = props.targetPort ?? this.port;
    checkPortNumber(this.port, self, 'port');
    checkPortNumber(this.targetPort, self, 'targetPort');
  }

  /** The gateway Service's fully qualified host, where callers' sidecars send external calls. */
  public get serviceHost(): string {
    return `${this.service}.${this.namespace}.svc.cluster.local`;
  }
}
