import { checkDnsSubdomain, checkPortNumber, ZeroTrustConfigError } from './errors.js';

/** How a workload speaks to an external host, as a ServiceEntry port's protocol. */
export type ExternalProtocol = 'TLS' | 'HTTP' | 'TCP';

/**
 * A host outside the cluster that a workload may call (`workload.allowTo(host)`): a DNS name and
 * one port. Under the mesh's REGISTRY_ONLY policy a sidecar reaches only the hosts its namespace
 * imports, so each allowed host becomes a ServiceEntry exported to the caller's namespace only, an
 * egress host of that namespace's Sidecar, and a NetworkPolicy egress rule of the caller
 * (https://istio.io/latest/docs/tasks/traffic-management/egress/egress-control/).
 *
 * NetworkPolicy cannot name a host: its rule opens the port towards `cidrs` (by default any
 * address). The host itself is enforced by the caller's sidecar, which the app could bypass;
 * narrow `cidrs` to the provider's published ranges where it has them.
 */
export class ExternalHost {
  /** HTTPS (or any TLS) to `host`: the sidecar matches it by SNI and passes it through encrypted. */
  public static https(host: string, options: ExternalHostOptions = {}): ExternalHost {
    return new ExternalHost(host, options.port ?? 443, 'TLS', options.cidrs);
  }

  /** Plain HTTP to `host` (cleartext on the internet: prefer https). */
  public static http(host: string, options: ExternalHostOptions = {}): ExternalHost {
    return new ExternalHost(host, options.port ?? 80, 'HTTP', options.cidrs);
  }

  /**
   * Plain TCP to `host`. A sidecar can tell TCP destinations apart by address and port only, so
   * `cidrs` (the host's addresses) is required: it becomes the ServiceEntry's `addresses`.
   */
  public static tcp(host: string, port: number, options: { readonly cidrs: readonly string[] }): ExternalHost {
    return new ExternalHost(host, port, 'TCP', options.cidrs);
  }

  public readonly cidrs: readonly string[];

  private constructor(
    public readonly host: string,
    public readonly port: number,
    public readonly protocol: ExternalProtocol,
    cidrs: readonly string[] | undefined,
  ) {
    const self = `ExternalHost "${host}"`;
    if (host.includes('*')) {
      throw new ZeroTrustConfigError(self, 'host', 'is a wildcard; a ServiceEntry resolved by DNS needs one name, and a wildcard would let the workload reach every host of the domain.',
        'name each host the workload calls: ExternalHost.https("api.stripe.com").');
    }
    checkDnsSubdomain(host, self, 'host');
    if (!host.includes('.')) {
      throw new ZeroTrustConfigError(self, 'host', 'has no dot, so it would resolve as a Service name in the caller\'s namespace, not as an external host.',
        'give the fully qualified name, e.g. "api.stripe.com".');
    }
    checkPortNumber(port, self, 'port');
    if (protocol === 'TCP' && (cidrs === undefined || cidrs.length === 0)) {
      throw new ZeroTrustConfigError(self, 'cidrs', 'is empty for a TCP host; without addresses a sidecar would take every TCP connection to that port for this host.',
        'give the host\'s addresses: ExternalHost.tcp(host, port, { cidrs: ["203.0.113.10/32"] }).');
    }
    for (const cidr of cidrs ?? []) {
      if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(cidr)) {
        throw new ZeroTrustConfigError(self, 'cidrs', `"${cidr}" is not an IPv4 CIDR.`, 'write addresses as "203.0.113.0/24".');
      }
    }
    this.cidrs = cidrs ?? ['0.0.0.0/0'];
  }

  /** The ServiceEntry port name: the protocol, as Istio's port-name convention wants. */
  public get portName(): string {
    return `${this.protocol.toLowerCase()}-${this.port}`;
  }
}

/** Options of an external host. */
export interface ExternalHostOptions {
  /** The port the workload connects to. @default 443 for https, 80 for http */
  readonly port?: number;
  /**
   * The addresses the NetworkPolicy egress rule opens the port to.
   * @default ['0.0.0.0/0'] (any address: NetworkPolicy cannot name a host)
   */
  readonly cidrs?: readonly string[];
}
