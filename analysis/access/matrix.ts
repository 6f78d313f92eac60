import { int, recs, strs } from '../values.js';
import { isMeshExternal } from '../egress.js';
import type { JwtVerdict } from './jwt.js';
import { ingressPathsTo, routeThroughIngress } from './ingress-route.js';
import { gatewayApiPathsTo } from './gateway-api-route.js';
import { AccessSimulator, Client, HttpRequest, Outcome, symbolicValidToken, Target } from './simulator.js';

/**
 * Who can reach whom: every workload, an outside plaintext client and the ingress gateway,
 * against every Service port; where the destination validates end-user tokens, once with no
 * token, an invalid one and a valid one.
 *
 * A cell says whether *some* request gets through: the simulator tries the methods and paths the
 * destination's policies name (and `GET /`), because a grant on `GET /products` is reachable even
 * though `GET /` is not. The valid token is symbolic (no private key is needed): issued by the
 * destination's first jwtRules issuer, carrying its audiences and every claim value its ALLOW
 * rules ask about, i.e. the best-case legitimate user.
 */

export type TokenVariant = 'none' | 'invalid' | 'valid';

export interface MatrixCell {
  /** `namespace/workload`, `outside` or `ingress`. */
  readonly from: string;
  /** `namespace/service`, or for an external host (`external`) the host. */
  readonly to: string;
  /** Set for a MESH_EXTERNAL ServiceEntry host's column (rows: workloads only). */
  readonly external?: true;
  readonly port: number;
  /** Set where the destination validates tokens. */
  readonly token?: TokenVariant;
  readonly outcome: Outcome;
  readonly reason: string;
}

const INVALID_TOKEN = 'invalid.token';

/** Methods and paths the target's policies name, to probe with (plus GET /). */
function probes(target: Target, waypoint?: Target): { method: string; path: string }[] {
  const methods = new Set(['GET']);
  const paths = new Set(['/']);
  for (const policy of [...target.allow, ...target.deny, ...(waypoint ? [...waypoint.allow, ...waypoint.deny] : [])]) {
    for (const rule of policy.rules) {
      for (const operation of rule.operations) {
        for (const m of strs(operation.methods)) if (!m.includes('*')) methods.add(m);
        for (const p of strs(operation.paths)) paths.add(p.replace(/\{\*\*?\}/g, 'x').replace(/^\*/, '/x').replace(/\*$/, 'x'));
      }
    }
  }
  return [...methods].flatMap((method) => [...paths].map((path) => ({ method, path })));
}

interface PreparedTarget {
  readonly target: Target;
  /** The Service's waypoint stage, for ambient callers (analysis/access/ambient.ts). */
  readonly waypoint?: Target;
  readonly probes: readonly { method: string; path: string }[];
  /** The JWT stage per token variant (it never depends on the client). */
  readonly jwt: ReadonlyMap<TokenVariant | undefined, JwtVerdict | undefined>;
}

/** A mesh caller with a sidecar whose identity no policy names. */
const ANONYMOUS: Client = { kind: 'mesh', label: 'a caller no policy names', namespace: '\u0000unnamed', serviceAccount: '\u0000unnamed' };

/**
 * The `ns/sa` identities the destinations' policies name, when that is the only way they tell
 * callers apart: no DENY or CUSTOM policy, every ALLOW source names exact `principals` only, and
 * no `when` condition reads the source. Then every other sidecar caller is decided alike, and
 * the matrix evaluates one of them instead of each. `undefined` when the policies are richer.
 */
function namedPrincipals(prepared: readonly PreparedTarget[]): Set<string> | undefined {
  const named = new Set<string>();
  for (const { target } of prepared) {
    if (target.deny.length > 0 || target.custom.length > 0) return undefined;
    for (const policy of target.allow) {
      for (const rule of policy.rules) {
        if (rule.when.some((w) => /^(source\.|connection\.sni)/.test(String(w.key)))) return undefined;
        for (const source of rule.sources) {
          if (Object.keys(source).some((field) => field !== 'principals' && field !== 'requestPrincipals' && field !== 'notRequestPrincipals')) return undefined;
          for (const principal of strs(source.principals)) {
            const match = /^[^/*]+\/ns\/([^/*]+)\/sa\/([^/*]+)$/.exec(principal);
            if (!match) return undefined;
            named.add(`${match[1]}/${match[2]}`);
          }
        }
      }
    }
  }
  return named;
}

/**
 * The representative caller's reason, told of the caller it stands for: its label and identity
 * instead of ANONYMOUS's placeholders (which hold NUL characters so they never equal a real name).
 */
function reasonFor(reason: string, client: Extract<Client, { kind: 'mesh' }>): string {
  const anonymous = ANONYMOUS as Extract<Client, { kind: 'mesh' }>;
  return reason.replaceAll(anonymous.label, client.label)
    .replaceAll(`/ns/${anonymous.namespace}/sa/${anonymous.serviceAccount}`, `/ns/${client.namespace}/sa/${client.serviceAccount}`);
}

const RANK: Record<Outcome, number> = { allow: 0, 'deny-403': 1, 'deny-401': 2, reset: 3, blocked: 4, dropped: 5, 'no-route': 6 };

export async function accessMatrix(simulator: AccessSimulator): Promise<MatrixCell[]> {
  const { model } = simulator;
  const services = [...model.services].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  const sources = model.workloads.map((w) => `${w.namespace}/${w.name}`).sort();
  const clients = sources.map((source) => simulator.meshClient(source));
  // Without DestinationRules a mesh client's transport depends on the destination only, so
  // callers a destination's policies never name all get the same verdict (see `anonymous`).
  // NetworkPolicies, Sidecars, exportTo and REGISTRY_ONLY make the caller's pod and namespace matter too.
  const noDestinationRules = model.ofKind('DestinationRule').length === 0 && !simulator.callerScoped;
  const cells: MatrixCell[] = [];

  const jwtFor = async (target: Target, variant: TokenVariant | undefined, path: string): Promise<JwtVerdict | undefined> => {
    if (variant === 'valid') return target.http && target.jwtRules.length > 0 ? symbolicValidToken(target) : undefined;
    const headers: Record<string, string> = variant === 'invalid' ? { authorization: `Bearer ${INVALID_TOKEN}` } : {};
    return simulator.jwtStage(target, { method: 'GET', path, host: '', headers });
  };

  for (const service of services) {
    for (const port of service.ports) {
      const to = `${service.namespace}/${service.name}`;
      const targets = simulator.targetsOf(service, port);
      const waypoints = targets.map((t) => simulator.ambient.serviceWaypointStage(t));
      const needsToken = targets.some((t, i) => t.http && (t.jwtRules.length > 0 || (waypoints[i]?.jwtRules.length ?? 0) > 0));
      const variants: (TokenVariant | undefined)[] = needsToken ? ['none', 'invalid', 'valid'] : [undefined];
      const prepared: PreparedTarget[] = [];
      for (const [i, target] of targets.entries()) {
        const jwt = new Map<TokenVariant | undefined, JwtVerdict | undefined>();
        for (const variant of variants) jwt.set(variant, await jwtFor(target, variant, '/'));
        const waypoint = waypoints[i];
        prepared.push({ target, ...(waypoint ? { waypoint } : {}), probes: probes(target, waypoint), jwt });
      }
      // The ambient path depends on the caller's data plane and the waypoint: no shortcut there.
      const ambientInvolved = targets.some((t, i) => t.workload.ambient || waypoints[i] !== undefined);
      const host = `${service.name}.${service.namespace}.svc.cluster.local:${port.port}`;

      /** The sidecar path's cell, synchronous (the JWT stage was decided per target above). */
      const sidecarBest = (client: Client, { target, probes: tries, jwt }: PreparedTarget, variant: TokenVariant | undefined, tokenArrives: boolean) => {
        const transport = simulator.transport(client, target);
        if ('result' in transport) return transport.result;
        let best: { outcome: Outcome; reason: string } = { outcome: 'no-route', reason: '' };
        const verdict = tokenArrives ? jwt.get(variant) : jwt.get('none');
        for (const { method, path } of tries) {
          const request: HttpRequest = { method, path, host, headers: {} };
          const result = simulator.authorize(target, transport.peer, transport.text, request, verdict);
          if (RANK[result.outcome] < RANK[best.outcome] || best.reason === '') best = { outcome: result.outcome, reason: tries.length > 1 && target.http ? `${method} ${path}: ${result.reason}` : result.reason };
          if (result.outcome === 'allow') break;
        }
        return best;
      };
      /** The ambient path's cell (analysis/access/ambient.ts): the waypoint's JWT stage runs per request. */
      const ambientBest = async (client: Client, { target, probes: tries }: PreparedTarget, variant: TokenVariant | undefined, tokenArrives: boolean) => {
        let best: { outcome: Outcome; reason: string } = { outcome: 'no-route', reason: '' };
        const sent = tokenArrives ? variant : 'none';
        const headers: Record<string, string> = sent === 'invalid' ? { authorization: `Bearer ${INVALID_TOKEN}` } : {};
        for (const { method, path } of tries) {
          const result = await simulator.ambient.hop(client, target, { method, path, host, headers }, { addressing: 'service', assumeValidToken: sent === 'valid' });
          if (RANK[result.outcome] < RANK[best.outcome] || best.reason === '') best = { outcome: result.outcome, reason: tries.length > 1 && target.http ? `${method} ${path}: ${result.reason}` : result.reason };
          if (result.outcome === 'allow') break;
        }
        return best;
      };
      const finish = (from: string, variant: TokenVariant | undefined, worst: { outcome: Outcome; reason: string } | undefined): MatrixCell => (worst
        ? { from, to, port: port.port, ...(variant ? { token: variant } : {}), outcome: worst.outcome, reason: worst.reason }
        : { from, to, port: port.port, ...(variant ? { token: variant } : {}), outcome: 'no-route', reason: `Service ${to} selects no workload` });
      const worse = (a: { outcome: Outcome; reason: string } | undefined, b: { outcome: Outcome; reason: string }) => (!a || RANK[b.outcome] > RANK[a.outcome] ? b : a);
      // Kept synchronous where no target takes the ambient path: the matrix asks this per cell.
      const cell = (from: string, client: Client, variant: TokenVariant | undefined, tokenArrives = true): MatrixCell | Promise<MatrixCell> => {
        if (!prepared.some((p) => simulator.ambient.involves(client, p.target))) {
          let worst: { outcome: Outcome; reason: string } | undefined;
          for (const p of prepared) worst = worse(worst, sidecarBest(client, p, variant, tokenArrives));
          return finish(from, variant, worst);
        }
        return (async () => {
          let worst: { outcome: Outcome; reason: string } | undefined;
          for (const p of prepared) {
            worst = worse(worst, simulator.ambient.involves(client, p.target) ? await ambientBest(client, p, variant, tokenArrives) : sidecarBest(client, p, variant, tokenArrives));
          }
          return finish(from, variant, worst);
        })();
      };

      for (const variant of variants) {
        const shortcut = noDestinationRules && !ambientInvolved ? namedPrincipals(prepared) : undefined;
        let anonymousCell: MatrixCell | undefined;
        for (const [index, source] of sources.entries()) {
          const client = clients[index]!;
          // ANONYMOUS stands for sidecar callers; an ambient caller's transport is ztunnel's (HBONE or not).
          if (shortcut && client.kind === 'mesh' && !client.ambient && !shortcut.has(`${client.namespace}/${client.serviceAccount}`)) {
            anonymousCell ??= await cell('a caller these policies do not name', ANONYMOUS, variant);
            cells.push({ ...anonymousCell, from: source, reason: reasonFor(anonymousCell.reason, client) });
          } else {
            const c = cell(source, client, variant);
            cells.push(c instanceof Promise ? await c : c);
          }
        }
        const outside = cell('outside', { kind: 'plain', label: 'outside' }, variant);
        cells.push(outside instanceof Promise ? await outside : outside);
        cells.push(await ingressCell(simulator, to, port.port, variant));
      }
    }
  }
  // One by one: spreading a long list into push's arguments overflows the stack.
  for (const external of externalCells(simulator, sources)) cells.push(external);
  return cells;
}

/**
 * A column per MESH_EXTERNAL ServiceEntry host and port: can each workload reach it (its Sidecar
 * scope and outbound traffic policy, then its NetworkPolicy egress)? Wildcard hosts are probed as
 * written. The outside client and the ingress gateway get no cell there.
 */
function externalCells(simulator: AccessSimulator, sources: readonly string[]): MatrixCell[] {
  const columns = new Map<string, { host: string; port: number }>();
  for (const se of simulator.model.ofKind('ServiceEntry')) {
    if (!isMeshExternal(se)) continue;
    for (const host of strs(se.spec.hosts)) {
      for (const p of recs(se.spec.ports)) {
        const port = int(p.number);
        if (port !== undefined) columns.set(`${host}:${port}`, { host, port });
      }
    }
  }
  const cells: MatrixCell[] = [];
  for (const { host, port } of [...columns.values()].sort((a, b) => `${a.host}:${a.port}`.localeCompare(`${b.host}:${b.port}`))) {
    for (const source of sources) {
      const verdict = simulator.checkExternal({ workload: source }, host, port);
      cells.push({ from: source, to: host, external: true, port, outcome: verdict.outcome, reason: verdict.reason });
    }
  }
  return cells;
}

/** The ingress gateway's cell: routed at all, the gateway's own policies, then the service hop. */
async function ingressCell(simulator: AccessSimulator, to: string, portNumber: number, variant: TokenVariant | undefined): Promise<MatrixCell> {
  const { service, port } = simulator.target(to, portNumber);
  const base = { from: 'ingress', to, port: portNumber, ...(variant ? { token: variant } : {}) };
  let last: { outcome: Outcome; reason: string } = { outcome: 'no-route', reason: routeThroughIngress(simulator.model, simulator.ingressGateway.labels, service, port, 'GET', '/').reason };
  const attempt = async (method: string, path: string): Promise<boolean> => {
    const headers: Record<string, string> = variant === 'invalid' ? { authorization: `Bearer ${INVALID_TOKEN}` } : {};
    // The symbolic token stands for the valid token at every stage that validates one.
    const verdict = variant === 'valid'
      ? await simulator.check({ from: { ingress: true }, to, port: portNumber, method, path }, { assumeValidToken: true })
      : await simulator.check({ from: { ingress: true }, to, port: portNumber, method, path, headers });
    if (verdict.outcome !== 'allow' && RANK[verdict.outcome] > RANK[last.outcome] && last.reason !== '') return false;
    last = verdict;
    return verdict.outcome === 'allow';
  };
  // The routes' own paths first; once the gateway routes to the service at all, also the methods
  // and paths its policies name (a grant on GET /items/* is reachable under a route for "/").
  // (Kubernetes Gateway API routes too: their paths are probed after the Istio ones.)
  const routed = [...ingressPathsTo(simulator.model, simulator.ingressGateway.labels, service, port), ...gatewayApiPathsTo(simulator, service, port.port)];
  const tried = new Set<string>();
  for (const { method, path } of routed) {
    tried.add(`${method} ${path}`);
    if (await attempt(method, path)) return { ...base, ...last };
  }
  if (last.outcome === 'no-route') return { ...base, ...last };
  for (const { method, path } of simulator.targetsOf(service, port).flatMap((t) => probes(t, simulator.ambient.serviceWaypointStage(t)))) {
    if (tried.has(`${method} ${path}`)) continue;
    tried.add(`${method} ${path}`);
    if (await attempt(method, path)) return { ...base, ...last };
  }
  return { ...base, ...last };
}
