/** How Istio treats a port: L7 (HTTP filter chains, JWT, methods and paths) or L4 (TCP). */
export type PortProtocol = 'http' | 'grpc' | 'tcp';

/** Options shared by every port factory. */
export interface ServicePortOptions {
  /**
   * The container port the Service forwards to. Istio's `ports` in AuthorizationPolicy and
   * `portLevelMtls` match this one, not the Service port (istio.io, "PeerAuthentication" reference:
   * portLevelMtls "refers to the port of the workload"; `ports` match the connection's destination
   * port at the sidecar, Envoy RBAC `destination_port`).
   * @default - the Service port
   */
  readonly targetPort?: number;
  /**
   * Suffix of the port name, after the protocol prefix Istio reads (`http-<suffix>`).
   * @default - no suffix: the name is the protocol alone
   */
  readonly suffix?: string;
}

/**
 * A Service port whose protocol Istio can read from its name, so no traffic is left to
 * protocol sniffing (which breaks server-first protocols such as MySQL).
 */
export class ServicePort {
  /** An HTTP/1.1 or HTTP/2 port: L7 policy applies. */
  public static http(port: number, options: ServicePortOptions = {}): ServicePort {
    return new ServicePort('http', port, options);
  }

  /** A gRPC port: L7 policy applies, every method is `POST`. */
  public static grpc(port: number, options: ServicePortOptions = {}): ServicePort {
    return new ServicePort('grpc', port, options);
  }

  /** An opaque TCP port (databases, TLS the app terminates itself): only L4 policy applies. */
  public static tcp(port: number, options: ServicePortOptions = {}): ServicePort {
    return new ServicePort('tcp', port, options);
  }

  /** The port the Service listens on. */
  public readonly port: number;
  /** The container port traffic is delivered to. */
  public readonly targetPort: number;
  /** The Service port name, `<protocol>` or `<protocol>-<suffix>`. */
  public readonly name: string;

  private constructor(public readonly protocol: PortProtocol, port: number, options: ServicePortOptions) {
    this.port = port;
    this.targetPort = options.targetPort ?? port;
    this.name = options.suffix ? `${protocol}-${options.suffix}` : protocol;
  }

  /** True when Istio applies L7 (HTTP) policy on this port. */
  public get isHttp(): boolean {
    return this.protocol !== 'tcp';
  }
}
