import type { Probe as KubeProbe } from 'kubernetes-types/core/v1.js';
import { ZeroTrustConfigError } from './errors.js';
import type { ServicePort } from './service-port.js';

/** Timing of a probe; every field is the kubelet's own default when unset. */
export interface ProbeOptions {
  /** @default 0 */
  readonly initialDelaySeconds?: number;
  /** @default 10 */
  readonly periodSeconds?: number;
  /** @default 1 */
  readonly timeoutSeconds?: number;
  /** Consecutive failures before the probe counts as failed. @default 3 */
  readonly failureThreshold?: number;
}

/** Options of a probe that connects to one of the workload's ports. */
export interface PortProbeOptions extends ProbeOptions {
  /**
   * The Service port to probe; the probe is written with its container port.
   * @default - the workload's first HTTP port (`Probe.http`), or its first port (`Probe.tcp`)
   */
  readonly port?: number;
}

type ProbeAction =
  | { readonly kind: 'http'; readonly path: string; readonly port?: number }
  | { readonly kind: 'tcp'; readonly port?: number }
  | { readonly kind: 'exec'; readonly command: readonly string[] };

/**
 * A kubelet health check of the app container. With a sidecar, Istio rewrites HTTP, TCP and gRPC
 * probes to go through its agent (port 15020), so they keep working under STRICT mTLS and a
 * default-deny policy, and need no grant (istio.io, "Health Checking of Istio Services",
 * https://istio.io/latest/docs/ops/configuration/mesh/app-health-check/).
 */
export class Probe {
  /** An HTTP GET of `path`; any status from 200 to 399 is healthy. */
  public static http(path: string, options: PortProbeOptions = {}): Probe {
    return new Probe({ kind: 'http', path, ...(options.port !== undefined ? { port: options.port } : {}) }, options);
  }

  /** A TCP connection to a port (a database that speaks no HTTP). */
  public static tcp(options: PortProbeOptions = {}): Probe {
    return new Probe({ kind: 'tcp', ...(options.port !== undefined ? { port: options.port } : {}) }, options);
  }

  /** A command run in the container; exit status 0 is healthy. */
  public static exec(command: readonly string[], options: ProbeOptions = {}): Probe {
    return new Probe({ kind: 'exec', command: [...command] }, options);
  }

  private constructor(private readonly action: ProbeAction, private readonly options: ProbeOptions) {}

  /**
   * The Kubernetes probe for a workload with these ports; refuses what the kubelet could not run.
   * @internal
   */
  public render(ports: readonly ServicePort[], construct: string, field: string): KubeProbe {
    const probe: { -readonly [K in keyof KubeProbe]: KubeProbe[K] } = {};
    const action = this.action;
    switch (action.kind) {
      case 'http': {
        if (!action.path.startsWith('/') || /\s/.test(action.path)) {
          throw new ZeroTrustConfigError(construct, `${field}.path`, `"${action.path}" is not a URL path.`, 'write a path starting with "/", e.g. "/healthz".');
        }
        const port = portFor(ports, action.port, true, construct, field);
        probe.httpGet = { path: action.path, port: port.targetPort };
        break;
      }
      case 'tcp':
        probe.tcpSocket = { port: portFor(ports, action.port, false, construct, field).targetPort };
        break;
      case 'exec':
        if (action.command.length === 0 || action.command.some((c) => typeof c !== 'string' || c === '')) {
          throw new ZeroTrustConfigError(construct, `${field}.command`, 'is empty or has an empty argument.', 'give the command and its arguments, e.g. ["mysqladmin", "ping"].');
        }
        probe.exec = { command: [...action.command] };
        break;
    }
    for (const key of ['initialDelaySeconds', 'periodSeconds', 'timeoutSeconds', 'failureThreshold'] as const) {
      const value = this.options[key];
      if (value === undefined) continue;
      const least = key === 'initialDelaySeconds' ? 0 : 1;
      if (!Number.isInteger(value) || value < least) {
        throw new ZeroTrustConfigError(construct, `${field}.${key}`, `${value} is not a whole number of at least ${least}.`, `use ${least} or more.`);
      }
      probe[key] = value;
    }
    return probe;
  }
}

function portFor(ports: readonly ServicePort[], port: number | undefined, http: boolean, construct: string, field: string): ServicePort {
  if (port !== undefined) {
    const found = ports.find((p) => p.port === port);
    if (!found) {
      throw new ZeroTrustConfigError(construct, `${field}.port`,
        `${port} is not a port of this workload's Service (it has ${ports.map((p) => p.port).join(', ') || 'none'}).`, 'name one of its Service ports.');
    }
    if (http && !found.isHttp) {
      throw new ZeroTrustConfigError(construct, `${field}.port`, `port ${port} is ${found.protocol}, not HTTP.`, 'probe an HTTP port, or use Probe.tcp for this one.');
    }
    return found;
  }
  const found = http ? ports.find((p) => p.isHttp) : ports[0];
  if (!found) {
    throw new ZeroTrustConfigError(construct, `${field}.port`,
      `the workload has no ${http ? 'HTTP ' : ''}port to probe.`, http ? 'declare an HTTP port, or use Probe.tcp or Probe.exec.' : 'declare a port, or use Probe.exec.');
  }
  return found;
}
