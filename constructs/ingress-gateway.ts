import { CallerIdentity, ICaller } from './caller.js';

/** Props of a custom ingress gateway. */
export interface IngressGatewayProps {
  /** Namespace the gateway pods run in. */
  readonly namespace: string;
  /** The gateway pods' ServiceAccount: their mesh identity, granted access to backends. */
  readonly serviceAccount: string;
  /** Labels of the gateway pods, which a `Gateway` selects. */
  readonly selector: Record<string, string>;
}

/**
 * The Istio ingress gateway deployment: which pods a `Gateway` binds to, and the identity its
 * requests carry to backends. Both depend on how Istio was installed (istio.io, "Installing Gateways").
 */
export class IngressGateway implements ICaller {
  /**
   * A gateway installed with Istio's Helm `gateway` chart: the ServiceAccount is the release
   * name and the `istio` label is the release name without its `istio-` prefix
   * (istio/istio `manifests/charts/gateway/templates/_helpers.tpl`).
   */
  public static helmChart(options: { release?: string; namespace?: string } = {}): IngressGateway {
    const release = options.release ?? 'istio-ingressgateway';
    return new IngressGateway({
      namespace: options.namespace ?? 'istio-system',
      serviceAccount: release,
      selector: { istio: release.replace(/^istio-/, '') },
    }, release);
  }

  /**
   * A gateway installed by istioctl's default profile (or the legacy `gateways/istio-ingress`
   * chart): ServiceAccount `istio-ingressgateway-service-account`, label `istio: ingressgateway`.
   */
  public static istioctl(): IngressGateway {
    return new IngressGateway({
      namespace: 'istio-system',
      serviceAccount: 'istio-ingressgateway-service-account',
      selector: { istio: 'ingressgateway' },
    });
  }

  /** Any other installation. */
  public static of(props: IngressGatewayProps): IngressGateway {
    return new IngressGateway(props);
  }

  public readonly namespace: string;
  public readonly serviceAccount: string;
  public readonly selector: Readonly<Record<string, string>>;
  /** The Helm release of Istio's `gateway` chart, when installed that way (`helmChart()`). */
  public readonly helmRelease?: string;

  private constructor(props: IngressGatewayProps, helmRelease?: string) {
    if (helmRelease !== undefined) this.helmRelease = helmRelease;
    this.namespace = props.namespace;
    this.serviceAccount = props.serviceAccount;
    this.selector = { ...props.selector };
  }

  public toCallerIdentity(): CallerIdentity {
    return {
      kind: 'workloads',
      identities: [{ namespace: this.namespace, serviceAccount: this.serviceAccount }],
      hasSidecar: true,
      description: `ingress gateway ${this.namespace}/${this.serviceAccount}`,
    };
  }
}
