import { int, recs, strs } from '../values.js';
import { isMeshExternal, serviceHost } from '../egress.js';
import type { MeshModel, Workload } from '../model.js';
import { rulesOf } from '../policy.js';
import { explainAllows, ingressPeerView, networkPolicies, podPeer, portOn, PortProtocol } from '../network-policy.js';
import type { JwtVerdict } from './jwt.js';
import { ingressPathsTo, ingressRouteTests, RequestTests, routeThroughIngress } from './ingress-route.js';
import { gatewayApiPathsTo, gatewayApiRouteTests } from './gateway-api-route.js';
import { matchPath, matchString } from './match.js';
import { AccessSimulator, Client, HopResult, HttpRequest, Outcome, SidecarScope, symbolicValidToken, Target } from './simulator.js';

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

/**
 * Beyond this many probes, one probe per class of requests the policies cannot tell apart is
 * enough (`probes`). Below it the list is kept whole, as it always was.
 */
const FEW_PROBES = 64;

/**
 * Methods and paths the target's policies name, to probe with (plus GET /), in this order:
 * methods as first named, each with every path as first named. `labelled`: whether the cell's
 * reason names the probe (more than one).
 *
 * A policy naming many methods and many paths (2,000 × 2,000) would make millions of probes per
 * caller. An operation's `methods`/`notMethods`/`paths`/`notPaths` are all a request's method and
 * path are tested against (no `when` key reads them; api: security/v1beta1
 * authorization_policy.proto), so two methods that every such field matches alike are decided
 * alike with any path, and two paths alike with any method. Past FEW_PROBES only the first and
 * the last of each class are kept (`firstAndLastOfEachClass`): every probe skipped has the
 * outcome of a kept one and is neither the first nor the last with it, so no cell changes,
 * reason included. `moreTests` adds what else reads the method and path (the ingress gateway's
 * routes and policies).
 */
function probes(target: Target, waypoint?: Target, moreTests?: () => RequestTests, every = false): { readonly list: readonly { method: string; path: string }[]; readonly labelled: boolean } {
  const methods = new Set(['GET']);
  const paths = new Set(['/']);
  const operations: Record<string, unknown>[] = [];
  for (const policy of [...target.allow, ...target.deny, ...(waypoint ? [...waypoint.allow, ...waypoint.deny] : [])]) {
    for (const rule of policy.rules) {
      for (const operation of rule.operations) {
        operations.push(operation);
        for (const m of strs(operation.methods)) if (!m.includes('*')) methods.add(m);
        for (const p of strs(operation.paths)) paths.add(p.replace(/\{\*\*?\}/g, 'x').replace(/^\*/, '/x').replace(/\*$/, 'x'));
      }
    }
  }
  const labelled = methods.size * paths.size > 1;
  if (every || methods.size * paths.size <= FEW_PROBES) return { list: [...methods].flatMap((method) => [...paths].map((path) => ({ method, path }))), labelled };
  const tests = operationTests(operations);
  const more = moreTests?.();
  const keptMethods = firstAndLastOfEachClass([...methods], [...tests.methods, ...(more?.methods ?? [])]);
  const keptPaths = firstAndLastOfEachClass([...paths], [...tests.paths, ...(more?.paths ?? [])]);
  return { list: keptMethods.flatMap((method) => keptPaths.map((path) => ({ method, path }))), labelled };
}

/** Per AuthorizationPolicy operation: does any of its `methods`, `notMethods`, `paths`, `notPaths` match? */
function operationTests(operations: readonly Record<string, unknown>[]): RequestTests {
  const methods: ((method: string) => boolean)[] = [];
  const paths: ((path: string) => boolean)[] = [];
  for (const o of operations) {
    for (const field of [strs(o.methods), strs(o.notMethods)]) methods.push((method) => field.some((pattern) => matchString(pattern, method, false)));
    // The matcher sees the path without its query string (RequestFacts.path).
    for (const field of [strs(o.paths), strs(o.notPaths)]) paths.push((path) => field.some((pattern) => matchPath(pattern, path.split('?')[0]!)));
  }
  return { methods, paths };
}

/**
 * The first and the last of `values` for each pattern of answers to `tests`, in order. A value
 * with a query string (`/a?b=c`) is a class of its own query: routes may test query parameters.
 * First and last, because a matrix cell keeps the first probe with its best outcome, and the
 * ingress gateway's cell the first allowed probe or else the last with its best outcome.
 */
function firstAndLastOfEachClass(values: readonly string[], tests: readonly ((value: string) => boolean)[]): string[] {
  const keys = values.map((value) => {
    const query = value.indexOf('?');
    let answers = query < 0 ? '' : value.slice(query);
    for (const test of tests) answers += test(value) ? '1' : '0';
    return answers;
  });
  const first = new Map<string, number>();
  const last = new Map<string, number>();
  keys.forEach((key, i) => {
    if (!first.has(key)) first.set(key, i);
    last.set(key, i);
  });
  return values.filter((_, i) => first.get(keys[i]!) === i || last.get(keys[i]!) === i);
}

/**
 * What the ingress gateway's path tests of a request's method and path, beyond the destination's
 * policies: its routes (VirtualService and HTTPRoute matches) and the gateway's own policies (every
 * AuthorizationPolicy's operations, a superset: finer classes are as exact).
 */
function ingressTests(model: MeshModel): RequestTests {
  const routes = ingressRouteTests(model);
  const gatewayApi = gatewayApiRouteTests(model);
  const policies = operationTests(model.ofKind('AuthorizationPolicy').flatMap((ap) => rulesOf(ap).flatMap((rule) => rule.operations)));
  return { methods: [...routes.methods, ...gatewayApi.methods, ...policies.methods], paths: [...routes.paths, ...gatewayApi.paths, ...policies.paths] };
}

interface PreparedTarget {
  readonly target: Target;
  /** The Service's waypoint stage, for ambient callers (analysis/access/ambient.ts). */
  readonly waypoint?: Target;
  readonly probes: readonly { method: string; path: string }[];
  /** Whether a cell's reason names its probe (the target has more than one). */
  readonly labelled: boolean;
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

/**
 * What decides one group of a destination's callers: their own sidecars (callers blocked
 * everywhere), a representative (the first row of a signature), the representative for callers no
 * policy names, or one caller on its own (a row, the outside client, the ingress gateway).
 */
type GroupPlan = { readonly blocked: true } | { readonly representativeOf: number } | { readonly anonymous: true } | { readonly row: number }
  | { readonly outside: true } | { readonly ingress: true };

/** The group of callers blocked by their own sidecar, first in every grouped destination. */
const BLOCKED_GROUP = 0;

/** A sidecar caller with its pod. */
type SidecarCaller = Extract<Client, { kind: 'mesh' }> & { readonly workload: Workload };

/**
 * Everything the sidecar path (`AccessSimulator.transport`, then `authorize`) reads of a caller
 * whose identity the destination's policies do not name (see `namedPrincipals`; its service
 * account then decides nothing), per destination pod: its namespace (Service exportTo,
 * DestinationRule TLS, namespace selectors) and Sidecar scope (sidecar and outbound traffic
 * policy), its "where"; where the scope lets the request out, how the NetworkPolicies isolating
 * its pod for egress answer for this destination (admitted by which rule, or dropped by which
 * policies) and how the destination's ingress NetworkPolicies see it (`ingressPeerView`).
 * Callers with one signature get the same verdict and the same reason but for their own name and
 * identity.
 *
 * A caller whose own sidecar blocks the request to every destination pod is decided by its where
 * alone, before any token or policy is read: its signature is the where's number. That is most
 * callers of a mesh whose namespaces each import a few hosts, so it is kept free of strings.
 */
class CallerSignatures {
  private readonly ids = new WeakMap<object, number>();
  private next = 0;
  /** Per row: the caller's where as a number (-1: not a sidecar caller), the same for every destination. */
  private readonly whereOfRow: Int32Array;
  private readonly whereKeys: string[] = [];
  /** Per where: its callers' namespace and Sidecar scope. */
  private readonly whereScopes: { readonly namespace: string; readonly scope: SidecarScope }[] = [];
  /** Per destination pod of the current destination: its Service's host name. */
  private hosts: string[] = [];
  /** Per where, for the current destination: whether its sidecar blocks the request, per destination pod. */
  private blocksTo: (readonly boolean[] | undefined)[] = [];
  /** Per where, for the current destination: 1 when its sidecar blocks every destination pod, 0 when not, -1 not known yet. */
  private blocked = new Int8Array(0);
  private prepared: readonly PreparedTarget[] = [];

  /** `callers` by row (undefined for callers that are not sidecar callers). */
  public constructor(private readonly simulator: AccessSimulator, callers: readonly (SidecarCaller | undefined)[]) {
    const numbers = new Map<string, number>();
    this.whereOfRow = new Int32Array(callers.length).fill(-1);
    callers.forEach((client, row) => {
      if (!client) return;
      const scope = simulator.scopeOf(client.workload);
      const key = `${client.namespace}\u0000${this.id(scope.sidecar)}\u0000${scope.mode}\u0000${scope.modeFrom}`;
      let where = numbers.get(key);
      if (where === undefined) {
        where = numbers.size;
        numbers.set(key, where);
        this.whereKeys.push(key);
        this.whereScopes.push({ namespace: client.namespace, scope });
      }
      this.whereOfRow[row] = where;
    });
  }

  /** The where (namespace and scope, as a number) of the sidecar caller in `row`. */
  public whereOf(row: number): number {
    return this.whereOfRow[row]!;
  }

  /** The destination pods the next signatures are for. */
  public destination(prepared: readonly PreparedTarget[]): this {
    this.prepared = prepared;
    this.hosts = prepared.map(({ target }) => (target.service ? serviceHost(target.service) : ''));
    this.blocksTo = new Array(this.whereKeys.length);
    this.blocked = new Int8Array(this.whereKeys.length).fill(-1);
    return this;
  }

  /** The number of wheres (namespace and scope pairs) among the callers. */
  public get whereCount(): number {
    return this.whereKeys.length;
  }

  /**
   * Whether the sidecars of `where` block the request to every destination pod (or there is
   * none): it depends on the namespace and scope only, so it is asked once per where.
   */
  public blockedEverywhere(where: number): boolean {
    if (this.blocked[where]! < 0) {
      const { prepared } = this;
      const { namespace, scope } = this.whereScopes[where]!;
      const flags: boolean[] = [];
      let blocked = 1;
      for (let i = 0; i < prepared.length; i += 1) {
        // As `sidecarBlocks(client, target, 'service')` for a sidecar pod of this where.
        flags.push(this.simulator.scopeBlocks(scope, namespace, prepared[i]!.target, this.hosts[i]!));
        if (!flags[i]) blocked = 0;
      }
      this.blocksTo[where] = flags;
      this.blocked[where] = blocked;
    }
    return this.blocked[where] === 1;
  }

  /**
   * The caller's signature: its where's number when its own sidecar blocks the request to every
   * destination pod (or there is none), else a string of everything the sidecar path reads.
   */
  public of(row: number, client: SidecarCaller): number | string {
    const where = this.whereOfRow[row]!;
    if (this.blockedEverywhere(where)) return where;
    const blocksTo = this.blocksTo[where]!;
    const { model } = this.simulator;
    let signature = this.whereKeys[where]!;
    if (networkPolicies(model).length === 0) return signature;
    for (const [i, { target }] of this.prepared.entries()) {
      if (blocksTo[i]) {
        signature += '\u0000b';
        continue;
      }
      // As AccessSimulator.decideNetwork asks it: egress of the caller's pod, then ingress of the destination's.
      const upper = String(target.servicePort?.protocol ?? 'TCP').toUpperCase();
      const query = portOn(target.workload, target.containerPort, (upper === 'UDP' || upper === 'SCTP' ? upper : 'TCP') as PortProtocol);
      const egress = explainAllows(model, client.workload, podPeer(target.workload), query, 'egress');
      const egressKey = egress.policies.length === 0 ? '' : egress.allowed === true && egress.admittedBy
        ? `+${this.id(egress.admittedBy.policy)}:${egress.admittedBy.index}`
        : `-${egress.policies.map((p) => this.id(p)).join(',')}|${egress.undecided.map((r) => `${this.id(r.policy)}:${r.index}`).join(',')}`;
      signature += `\u0000${egressKey}\u0000${ingressPeerView(model, target.workload, podPeer(client.workload))}`;
    }
    return signature;
  }

  private id(o: object | undefined): string {
    if (o === undefined) return '-';
    let id = this.ids.get(o);
    if (id === undefined) this.ids.set(o, id = this.next++);
    return String(id);
  }
}

/**
 * The caller that stands for a group: a copy of its first member under a name no workload can
 * have (it holds NUL characters, and a number so that no two representatives share a name in the
 * simulator's caches) and an unnamed service account. Its pod labels, namespace and scope are
 * the member's, so it is decided as every member is; `reasonForMember` puts the member's name
 * and identity back into the reason.
 */
function representativeOf(member: SidecarCaller, representatives: Map<Workload, SidecarCaller>): SidecarCaller {
  let representative = representatives.get(member.workload);
  if (!representative) {
    const workload: Workload = { ...member.workload, name: `\u0000caller ${representatives.size}\u0000` };
    representative = { kind: 'mesh', label: `${workload.namespace}/${workload.name}`, namespace: workload.namespace, serviceAccount: ANONYMOUS_ACCOUNT, workload };
    representatives.set(member.workload, representative);
  }
  return representative;
}

const ANONYMOUS_ACCOUNT = '\u0000unnamed';

/**
 * A group representative's reason as a template for its members: the text between the places
 * that name the representative (its label, `ns/<name>`) or its identity (`/ns/<ns>/sa/<account>`),
 * so that each member's reason is put together without searching the text again.
 */
interface ReasonTemplate {
  readonly parts: readonly string[];
  /** Per gap between parts: the label (true) or the identity (false). */
  readonly labels: readonly boolean[];
}

function reasonTemplate(reason: string, representative: SidecarCaller): ReasonTemplate {
  const identity = `/ns/${representative.namespace}/sa/${ANONYMOUS_ACCOUNT}`;
  const parts: string[] = [];
  const labels: boolean[] = [];
  for (const [i, piece] of reason.split(representative.label).entries()) {
    if (i > 0) labels.push(true);
    for (const [j, part] of piece.split(identity).entries()) {
      if (j > 0) labels.push(false);
      parts.push(part);
    }
  }
  return { parts, labels };
}

/** A member's reason from its group's template: its own name and identity. */
function reasonForMember({ parts, labels }: ReasonTemplate, member: SidecarCaller, identity: string): string {
  let reason = parts[0]!;
  for (let i = 0; i < labels.length; i += 1) reason += (labels[i] ? member.label : identity) + parts[i + 1]!;
  return reason;
}

const RANK: Record<Outcome, number> = { allow: 0, 'deny-403': 1, 'deny-401': 2, reset: 3, blocked: 4, dropped: 5, 'no-route': 6 };

/** How the matrix is computed (never what it says). */
export interface MatrixOptions {
  /**
   * Evaluate every caller against every destination with every probe, instead of one
   * representative for the callers the policies cannot tell apart and (where a destination's
   * policies name many methods and paths) for the requests they cannot tell apart. The answers
   * are the same, only slower: for checking.
   * @default false
   */
  readonly everyCaller?: boolean;
}

/**
 * One column of the access matrix: a destination port (or an external host's port) for one token
 * variant, and every caller's verdict there. Callers a destination's policies cannot tell apart
 * share one decision, so a column costs its groups, not its rows; a cell and its reason (which
 * names the caller) are put together only when asked for.
 */
export interface MatrixColumn {
  /** `namespace/service`, or for an external host (`external`) the host. */
  readonly to: string;
  /** Set for a MESH_EXTERNAL ServiceEntry host's column (rows: workloads only). */
  readonly external?: true;
  readonly port: number;
  /** Set where the destination validates tokens. */
  readonly token?: TokenVariant;
  /**
   * The callers, one per row: the workloads (`namespace/workload`, sorted), then for a Service's
   * column `outside` and `ingress`. Columns with the same callers share this array.
   */
  readonly from: readonly string[];
  /** The verdict of the caller in `row`. */
  outcome(row: number): Outcome;
  /** The cell of the caller in `row`, as `accessMatrix` lists it. */
  cell(row: number): MatrixCell;
}

/** Callers of a column decided alike: their verdict, and each one's reason. */
interface ColumnGroup {
  readonly outcome: Outcome;
  /** Set where the group is one caller decided on its own: its cell as it was decided. */
  readonly cell?: MatrixCell;
  reason(row: number): string;
}

/** A caller decided on its own: its cell as it was decided. */
function cellGroup(cell: MatrixCell): ColumnGroup {
  return { outcome: cell.outcome, cell, reason: () => cell.reason };
}

class DecidedColumn implements MatrixColumn {
  public readonly token?: TokenVariant;
  public readonly external?: true;

  /** `groupOfRow`: per row, the number of its group in `groups` (the columns of one destination share it). */
  public constructor(public readonly to: string, public readonly port: number, token: TokenVariant | undefined, public readonly from: readonly string[],
    private readonly groupOfRow: Int32Array, private readonly groups: readonly ColumnGroup[], external = false) {
    if (token) this.token = token;
    if (external) this.external = true;
  }

  public outcome(row: number): Outcome {
    return this.groupOf(row).outcome;
  }

  public cell(row: number): MatrixCell {
    const group = this.groupOf(row);
    if (group.cell) return group.cell;
    const { to, port, token } = this;
    return token
      ? { from: this.from[row]!, to, port, token, outcome: group.outcome, reason: group.reason(row) }
      : { from: this.from[row]!, to, port, outcome: group.outcome, reason: group.reason(row) };
  }

  private groupOf(row: number): ColumnGroup {
    const group = this.groups[this.groupOfRow[row]!];
    if (!group) throw new Error(`matrix column ${this.to}:${this.port}: no verdict for ${this.from[row]}`);
    return group;
  }
}

export async function accessMatrix(simulator: AccessSimulator, options: MatrixOptions = {}): Promise<MatrixCell[]> {
  const cells: MatrixCell[] = [];
  // One by one: spreading a long list into push's arguments overflows the stack.
  await forEachMatrixCell(simulator, (cell) => { cells.push(cell); }, options);
  return cells;
}

/**
 * The access matrix cell by cell, in `accessMatrix`'s order, without keeping the cells: the CLI
 * writes each as it comes (a matrix of thousands of workloads has tens of millions of cells).
 * Returns the number of cells.
 */
export async function forEachMatrixCell(simulator: AccessSimulator, emit: (cell: MatrixCell) => void, options: MatrixOptions = {}): Promise<number> {
  return forEachMatrixColumn(simulator, (column) => {
    for (let row = 0; row < column.from.length; row += 1) emit(column.cell(row));
  }, options);
}

/**
 * The access matrix column by column (a destination port and token variant each), in
 * `accessMatrix`'s order: its cells are the columns' rows, one column after the other. The cost
 * follows the groups of callers the destinations' policies tell apart, not callers times
 * destinations, until the cells are asked for. Returns the number of cells.
 */
export async function forEachMatrixColumn(simulator: AccessSimulator, emit: (column: MatrixColumn) => void | Promise<void>, options: MatrixOptions = {}): Promise<number> {
  const { model } = simulator;
  let count = 0;
  // `emit` may ask to wait (a full pipe): the next column is decided once it is ready.
  const put = async (column: MatrixColumn): Promise<void> => {
    count += column.from.length;
    await emit(column);
  };
  const services = [...model.services].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  const sources = model.workloads.map((w) => `${w.namespace}/${w.name}`).sort();
  const rows = [...sources, 'outside', 'ingress'];
  const OUTSIDE = sources.length;
  const INGRESS = sources.length + 1;
  const clients = sources.map((source) => simulator.meshClient(source));
  // Without DestinationRules a mesh client's transport depends on the destination only, so
  // callers a destination's policies never name all get the same verdict (see `anonymous`).
  // NetworkPolicies, Sidecars, exportTo and REGISTRY_ONLY make the caller's pod and namespace matter too.
  const noDestinationRules = model.ofKind('DestinationRule').length === 0 && !simulator.callerScoped;
  const representatives = new Map<Workload, SidecarCaller>();
  // The callers the sidecar shortcuts may stand for: sidecar pods (not gateways, not ambient).
  const sidecarCallers = clients.map((c) => (c.kind === 'mesh' && !c.ambient && !c.gateway && c.workload !== undefined ? c as SidecarCaller : undefined));
  const signatures = noDestinationRules ? undefined : new CallerSignatures(simulator, sidecarCallers);
  const peerIdentities = clients.map((c) => (c.kind === 'mesh' ? `/ns/${c.namespace}/sa/${c.serviceAccount}` : ''));
  // Each caller's `ns/sa` as a number, so that "is it named" is an array lookup per cell, and
  // the callers of each identity (the named ones are decided one by one).
  const identityNumbers = new Map<string, number>();
  const rowsOfIdentity: number[][] = [];
  const identityOfRow = Int32Array.from(clients, (c, row) => {
    if (c.kind !== 'mesh') return -1;
    const identity = `${c.namespace}/${c.serviceAccount}`;
    let n = identityNumbers.get(identity);
    if (n === undefined) identityNumbers.set(identity, n = identityNumbers.size);
    (rowsOfIdentity[n] ??= []).push(row);
    return n;
  });
  const namedMark = new Uint8Array(identityNumbers.size);
  // The grouped path's indexes: sidecar callers by where, and the other callers.
  const rowsOfWhere: number[][] = [];
  const otherRows: number[] = [];
  sidecarCallers.forEach((caller, row) => {
    if (caller && signatures) (rowsOfWhere[signatures.whereOf(row)] ??= []).push(row);
    else otherRows.push(row);
  });

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
        const { list, labelled } = probes(target, waypoint, undefined, options.everyCaller);
        prepared.push({ target, ...(waypoint ? { waypoint } : {}), probes: list, labelled, jwt });
      }
      // The ambient path depends on the caller's data plane and the waypoint: no shortcut there.
      const ambientInvolved = targets.some((t, i) => t.workload.ambient || waypoints[i] !== undefined);
      const host = `${service.name}.${service.namespace}.svc.cluster.local:${port.port}`;

      /** The sidecar path's cell, synchronous (the JWT stage was decided per target above). */
      const sidecarBest = (client: Client, { target, probes: tries, labelled, jwt }: PreparedTarget, variant: TokenVariant | undefined, tokenArrives: boolean) => {
        const transport = simulator.transport(client, target);
        if ('result' in transport) return transport.result;
        let best: { outcome: Outcome; reason: string } = { outcome: 'no-route', reason: '' };
        const verdict = tokenArrives ? jwt.get(variant) : jwt.get('none');
        for (const { method, path } of tries) {
          const request: HttpRequest = { method, path, host, headers: {} };
          const result = simulator.authorize(target, transport.peer, transport.text, request, verdict);
          if (RANK[result.outcome] < RANK[best.outcome] || best.reason === '') best = { outcome: result.outcome, reason: labelled && target.http ? `${method} ${path}: ${result.reason}` : result.reason };
          if (result.outcome === 'allow') break;
        }
        return best;
      };
      /** The ambient path's cell (analysis/access/ambient.ts): the waypoint's JWT stage runs per request. */
      const ambientBest = async (client: Client, { target, probes: tries, labelled }: PreparedTarget, variant: TokenVariant | undefined, tokenArrives: boolean) => {
        let best: { outcome: Outcome; reason: string } = { outcome: 'no-route', reason: '' };
        const sent = tokenArrives ? variant : 'none';
        const headers: Record<string, string> = sent === 'invalid' ? { authorization: `Bearer ${INVALID_TOKEN}` } : {};
        for (const { method, path } of tries) {
          const result = await simulator.ambient.hop(client, target, { method, path, host, headers }, { addressing: 'service', assumeValidToken: sent === 'valid' });
          if (RANK[result.outcome] < RANK[best.outcome] || best.reason === '') best = { outcome: result.outcome, reason: labelled && target.http ? `${method} ${path}: ${result.reason}` : result.reason };
          if (result.outcome === 'allow') break;
        }
        return best;
      };
      const finish = (from: string, variant: TokenVariant | undefined, worst: { outcome: Outcome; reason: string } | undefined): MatrixCell => (worst
        ? { from, to, port: port.port, ...(variant ? { token: variant } : {}), outcome: worst.outcome, reason: worst.reason }
        : { from, to, port: port.port, ...(variant ? { token: variant } : {}), outcome: 'no-route', reason: `Service ${to} selects no workload` });
      const worse = (a: { outcome: Outcome; reason: string } | undefined, b: { outcome: Outcome; reason: string }) => (!a || RANK[b.outcome] > RANK[a.outcome] ? b : a);
      // Kept synchronous where no target takes the ambient path: the matrix asks this per group.
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
      /** A group decided by its representative: each member's reason is the representative's, naming the member. */
      const memberGroup = (decided: MatrixCell, representative: SidecarCaller): ColumnGroup => {
        let template: ReasonTemplate | undefined;
        return {
          outcome: decided.outcome,
          reason: (row) => reasonForMember(template ??= reasonTemplate(decided.reason, representative), sidecarCallers[row]!, peerIdentities[row]!),
        };
      };

      const named = ambientInvolved || options.everyCaller ? undefined : namedPrincipals(prepared);
      // The identities named here (as numbers; an identity no caller has names nobody).
      const namedNumbers = [...named ?? []].flatMap((identity) => identityNumbers.get(identity) ?? []);
      for (const n of namedNumbers) namedMark[n] = 1;
      // ANONYMOUS stands for sidecar callers; an ambient caller's transport is ztunnel's (HBONE or not).
      const unnamed = (row: number): boolean => named !== undefined && sidecarCallers[row] !== undefined && namedMark[identityOfRow[row]!] === 0;
      // The destination's groups, the same for each token variant: per row, the number of the
      // group that decides it, and per group what decides it (a representative, or the row
      // itself). Where the caller's pod and namespace matter, the callers these policies do not
      // name are grouped by everything else the sidecar path reads of them (`CallerSignatures`);
      // else by the policies alone (`ANONYMOUS`).
      const groupOfRow = new Int32Array(rows.length);
      const plans: GroupPlan[] = [];
      const grouped = named !== undefined && signatures !== undefined;
      if (grouped) signatures.destination(prepared);
      const signedNumber = new Map<string, number>();
      let anonymousNumber = -1;
      const groupRow = (row: number): number => {
        if (!unnamed(row)) return plans.push({ row }) - 1;
        const key = grouped ? signatures.of(row, sidecarCallers[row]!) : undefined;
        if (typeof key === 'number') return BLOCKED_GROUP;
        if (key !== undefined) {
          let number = signedNumber.get(key);
          if (number === undefined) signedNumber.set(key, number = plans.push({ representativeOf: row }) - 1);
          return number;
        }
        if (anonymousNumber < 0) anonymousNumber = plans.push({ anonymous: true }) - 1;
        return anonymousNumber;
      };
      if (grouped) {
        // Most callers' own sidecars block the request (a Sidecar per namespace importing a few
        // hosts): every sidecar caller starts in the blocked group (number 0, as the array is
        // zeroed), and only the callers of the wheres that are not blocked everywhere, the named
        // ones and the callers on other data planes are decided one by one, in row order.
        plans.push({ blocked: true });
        const one = new Set<number>(otherRows);
        for (const n of namedNumbers) for (const row of rowsOfIdentity[n]!) one.add(row);
        for (let where = 0; where < signatures.whereCount; where += 1) {
          if (!signatures.blockedEverywhere(where)) for (const row of rowsOfWhere[where]!) one.add(row);
        }
        for (const row of [...one].sort((a, b) => a - b)) groupOfRow[row] = groupRow(row);
      } else {
        for (let row = 0; row < sources.length; row += 1) groupOfRow[row] = groupRow(row);
      }
      groupOfRow[OUTSIDE] = plans.push({ outside: true }) - 1;
      groupOfRow[INGRESS] = plans.push({ ingress: true }) - 1;
      for (const n of namedNumbers) namedMark[n] = 0;

      // The callers whose own sidecar blocks the request to every destination pod are decided
      // before any token is read, once for all token variants. Each one's reason is its own
      // sidecar's (the first destination pod's, as `cell` picks among equally blocked pods), put
      // into words only when asked for.
      let blockedGroup: ColumnGroup | undefined;
      /**
       * A blocked caller's reason: its sidecar's answer for the first destination pod, asked once
       * per where of a representative and written out for each member from that template.
       */
      const blockedReason = (groups: CallerSignatures, first: Target): ((row: number) => string) => {
        const templates: (ReasonTemplate | undefined)[] = [];
        return (row) => {
          const member = sidecarCallers[row]!;
          const where = groups.whereOf(row);
          let template = templates[where];
          if (!template) {
            const representative = representativeOf(member, representatives);
            template = reasonTemplate((simulator.sidecarOutbound(representative, first, 'service') as { result: HopResult }).result.reason, representative);
            templates[where] = template;
          }
          return reasonForMember(template, member, peerIdentities[row]!);
        };
      };
      const decide = async (plan: GroupPlan, variant: TokenVariant | undefined): Promise<ColumnGroup> => {
        if ('blocked' in plan) {
          blockedGroup ??= prepared.length === 0
            ? { outcome: 'no-route', reason: () => `Service ${to} selects no workload` }
            : { outcome: 'blocked', reason: blockedReason(signatures!, prepared[0]!.target) };
          return blockedGroup;
        }
        if ('representativeOf' in plan) {
          const representative = representativeOf(sidecarCallers[plan.representativeOf]!, representatives);
          return memberGroup(await cell(representative.label, representative, variant), representative);
        }
        if ('anonymous' in plan) {
          const c = await cell('a caller these policies do not name', ANONYMOUS, variant);
          return { outcome: c.outcome, reason: (row) => reasonFor(c.reason, clients[row] as Extract<Client, { kind: 'mesh' }>) };
        }
        const c = 'row' in plan ? await cell(sources[plan.row]!, clients[plan.row]!, variant)
          : 'outside' in plan ? await cell('outside', { kind: 'plain', label: 'outside' }, variant)
            : await ingressCell(simulator, to, port.port, variant, options.everyCaller);
        return cellGroup(c);
      };
      for (const variant of variants) {
        const groups: ColumnGroup[] = [];
        for (const plan of plans) groups.push(await decide(plan, variant));
        await put(new DecidedColumn(to, port.port, variant, rows, groupOfRow, groups));
      }
    }
  }
  for (const column of externalColumns(simulator, sources)) await put(column);
  return count;
}

/**
 * A column per MESH_EXTERNAL ServiceEntry host and port: can each workload reach it (its Sidecar
 * scope and outbound traffic policy, then its NetworkPolicy egress)? Wildcard hosts are probed as
 * written. The outside client and the ingress gateway get no cell there.
 */
function* externalColumns(simulator: AccessSimulator, sources: readonly string[]): Generator<MatrixColumn> {
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
  for (const { host, port } of [...columns.values()].sort((a, b) => `${a.host}:${a.port}`.localeCompare(`${b.host}:${b.port}`))) {
    const cells = sources.map((source) => {
      const verdict = simulator.checkExternal({ workload: source }, host, port);
      return cellGroup({ from: source, to: host, external: true, port, outcome: verdict.outcome, reason: verdict.reason });
    });
    yield new DecidedColumn(host, port, undefined, sources, Int32Array.from(cells, (_, row) => row), cells, true);
  }
}

/** The ingress gateway's cell: routed at all, the gateway's own policies, then the service hop. */
async function ingressCell(simulator: AccessSimulator, to: string, portNumber: number, variant: TokenVariant | undefined, everyProbe = false): Promise<MatrixCell> {
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
  let tests: RequestTests | undefined;
  const moreTests = () => (tests ??= ingressTests(simulator.model));
  for (const { method, path } of simulator.targetsOf(service, port).flatMap((t) => probes(t, simulator.ambient.serviceWaypointStage(t), moreTests, everyProbe).list)) {
    if (tried.has(`${method} ${path}`)) continue;
    tried.add(`${method} ${path}`);
    if (await attempt(method, path)) return { ...base, ...last };
  }
  return { ...base, ...last };
}
