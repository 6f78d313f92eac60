import { AccessRequestError, AccessSimulator, HttpRequest, Outcome } from './simulator.js';

/**
 * The end-user token's journey along a call chain, ingress → A → B → ... (istio.io, "JWTRule"
 * reference: forwardOriginalToken): each hop is evaluated from the previous workload's identity,
 * and the token reaches hop n+1 only if hop n's sidecar left it for the app
 * (`forwardOriginalToken`) and the app propagates it, which this view assumes of every app.
 */
export interface ChainStep {
  readonly from: string;
  /** `namespace/service`, or the host of a final external hop (`external`). */
  readonly to: string;
  /** Set on a final hop to a host outside the cluster (`ChainRequest.toHost`). */
  readonly external?: true;
  readonly outcome: Outcome;
  readonly reason: string;
  /** Whether the request carried the token into this hop. */
  readonly tokenArrived: boolean;
  /** Whether the app behind this hop still has the token to pass on. */
  readonly tokenForwarded: boolean;
}

export interface ChainRequest {
  /** Services in call order, `namespace/service`; the first is entered through the ingress gateway. */
  readonly services: readonly string[];
  /** The Service port: one for every hop, or one per hop in call order. */
  readonly port: number | readonly number[];
  /** @default 'GET' */
  readonly method?: string;
  /**
   * The request path: one for every hop, or one per hop in call order (each app calls the next
   * on its own path: `/productpage` at the first, `/reviews/1` at the next).
   * @default '/'
   */
  readonly path?: string | readonly string[];
  /** A compact JWT; without it, and without `assumeValidToken`, the chain starts tokenless. */
  readonly token?: string;
  /** Use a symbolic valid token at every hop that validates one. */
  readonly assumeValidToken?: boolean;
  /**
   * A last hop from the last service's workload to a host outside the cluster (its Sidecar
   * scope, then NetworkPolicy egress; see `AccessSimulator.checkExternal`). Nothing validates the
   * token there, so it is never forwarded on.
   */
  readonly toHost?: { readonly host: string; readonly port: number };
}

export async function tokenJourney(simulator: AccessSimulator, request: ChainRequest): Promise<ChainStep[]> {
  if (request.services.length === 0) throw new AccessRequestError('a chain needs at least one service.');
  const perHop = <T>(value: T | readonly T[], fallback: T, what: string): T[] => {
    if (!Array.isArray(value)) return request.services.map(() => (value as T | undefined) ?? fallback);
    if (value.length === 1) return request.services.map(() => value[0] as T);
    if (value.length !== request.services.length) {
      throw new AccessRequestError(`give one ${what} for every hop or one per hop: ${value.length} for ${request.services.length} services.`);
    }
    return [...value] as T[];
  };
  const ports = perHop<number>(request.port, 0, 'port');
  const paths = perHop<string>(request.path ?? '/', '/', 'path');
  const steps: ChainStep[] = [];
  let headers: Record<string, string> = request.token !== undefined ? { authorization: `Bearer ${request.token}` } : {};
  let tokenPresent = request.token !== undefined || request.assumeValidToken === true;
  let from = 'ingress';
  for (const [index, to] of request.services.entries()) {
    const { service, port } = simulator.target(to, ports[index]!);
    const http: HttpRequest = {
      method: request.method ?? 'GET', path: paths[index]!,
      host: `${service.name}.${service.namespace}.svc.cluster.local:${port.port}`, headers,
    };
    // A symbolic token exists only while it is forwarded: once stripped, later hops see none.
    const assume = request.assumeValidToken === true && tokenPresent;
    const hop = index === 0
      ? await simulator.ingressHop(service, port, http, assume)
      : await simulator.hop(simulator.meshClient(from), service, port, http, assume);
    const forwarded = hop.outcome === 'allow' && (request.token !== undefined ? hop.appHeaders.authorization !== undefined : tokenPresent && tokenKept(simulator, to, ports[index]!));
    steps.push({ from, to, outcome: hop.outcome, reason: hop.reason, tokenArrived: tokenPresent, tokenForwarded: forwarded });
    if (hop.outcome !== 'allow') break;
    headers = hop.appHeaders;
    tokenPresent = forwarded;
    const workload = simulator.targetsOf(service, port)[0]?.workload;
    from = workload ? `${workload.namespace}/${workload.name}` : to;
  }
  const last = steps[steps.length - 1];
  if (request.toHost && last?.outcome === 'allow') {
    const verdict = simulator.checkExternal({ workload: from }, request.toHost.host, request.toHost.port);
    steps.push({ from, to: request.toHost.host, external: true, outcome: verdict.outcome, reason: verdict.reason, tokenArrived: tokenPresent, tokenForwarded: false });
  }
  return steps;
}

/**
 * For a symbolic token: whether the proxies that validate it leave it in place — the service's
 * sidecar, or on ambient its waypoint (ztunnel never reads tokens; analysis/access/ambient.ts).
 */
function tokenKept(simulator: AccessSimulator, to: string, port: number): boolean {
  const { service, port: servicePort } = simulator.target(to, port);
  return simulator.targetsOf(service, servicePort).every((t) => {
    const rules = [...(t.workload.ambient ? [] : t.jwtRules), ...(simulator.ambient.serviceWaypointStage(t)?.jwtRules ?? [])];
    return rules.length === 0 || rules.some((r) => r.forwardOriginalToken);
  });
}
