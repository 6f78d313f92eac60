// Kubernetes NetworkPolicy (networking.k8s.io/v1) semantics for the analyzer, self-contained so
// that it can be reconciled with the access simulator's reading of the same API. Sources:
// https://kubernetes.io/docs/concepts/services-networking/network-policies/ and the API reference
// (k8s.io/api/networking/v1 types.go: NetworkPolicySpec, NetworkPolicyPeer, NetworkPolicyPort,
// IPBlock; pkg/apis/networking/v1 defaults: policyTypes), ISTIO.md §12.
//
// The model of traffic is the one the CNI sees (ISTIO.md §12.1): pod to pod (or pod to address) on
// the wire port. With a sidecar that is the destination's container (target) port; Istio neither
// enforces nor bypasses NetworkPolicy.
//
// API, in brief:
// - `networkPolicies(model)` parses every NetworkPolicy of the input (cached per model);
// - `policiesFor(model, workload, direction)` the policies selecting a workload's pods that
//   isolate it in that direction; `isolated(...)` whether there is any;
// - `admits(model, policy, peer, port, direction)` whether one policy's rules admit a peer on a
//   port: true, false, or undefined when it depends on what the manifests do not say (pod IPs
//   against an ipBlock);
// - `allows(model, workload, peer, port, direction)` the union over the workload's policies
//   (true when it is not isolated), and `connection(model, from, to, port)` both ends at once.
// Peers are `podPeer(workload)`, `syntheticPod(...)` for pods that are not in the input (istiod,
// kube-dns), or `{ kind: 'ip', ip }`.
import type { ContainerPort, MeshModel, MeshObject, Workload } from './model.js';
import { arr, int, labelMap, own, rec, recs, str, strs } from './values.js';

export type Direction = 'ingress' | 'egress';
export type PortProtocol = 'TCP' | 'UDP' | 'SCTP';

/** A `metav1.LabelSelector`. An empty one (no labels, no expressions) selects everything. */
export interface LabelSelector {
  readonly matchLabels: Readonly<Record<string, string>>;
  readonly matchExpressions: readonly { readonly key: string; readonly operator: string; readonly values: readonly string[] }[];
}

/** One `from`/`to` entry. */
export type PolicyPeer =
  | {
    readonly kind: 'selector';
    /** Absent: every pod of the selected namespaces. */
    readonly podSelector?: LabelSelector;
    /** Absent: the policy's own namespace only. */
    readonly namespaceSelector?: LabelSelector;
  }
  | { readonly kind: 'ipBlock'; readonly cidr: string; readonly except: readonly string[] };

/** One `ports` entry: `port` absent means every port of the protocol; a string is a named container port. */
export interface PolicyPort {
  readonly protocol: PortProtocol;
  readonly port?: number | string;
  /** With a numeric `port`, the last port of the range. */
  readonly endPort?: number;
}

/** One ingress or egress rule. `peers`/`ports` undefined (field absent or empty) mean all. */
export interface PolicyRule {
  readonly peers: readonly PolicyPeer[] | undefined;
  readonly ports: readonly PolicyPort[] | undefined;
}

export interface NetworkPolicyInfo {
  readonly object: MeshObject;
  readonly namespace: string;
  readonly podSelector: LabelSelector;
  /**
   * `policyTypes`, or the API server's default when absent: Ingress always, Egress when the
   * policy has at least one egress rule.
   */
  readonly policyTypes: readonly Direction[];
  readonly ingress: readonly PolicyRule[];
  readonly egress: readonly PolicyRule[];
}

/**
 * The other end of a connection. A pod peer carries what is known of its labels: `complete`
 * false (pods and namespaces that are not in the input) means a selector requirement on a key
 * it does not list is assumed to hold, so only what is known can refuse it.
 */
export type Peer =
  | {
    readonly kind: 'pod';
    readonly namespace: string;
    readonly podLabels: Readonly<Record<string, string>>;
    readonly podLabelsComplete: boolean;
    /** Container ports, to resolve named policy ports on an egress destination. */
    readonly containerPorts: readonly ContainerPort[];
    /** What this peer describes, for messages. */
    readonly description: string;
  }
  | { readonly kind: 'ip'; readonly ip: string }
  /**
   * An out-of-cluster address that is not known (the outside client, an external host): it matches
   * an `ipBlock` only when the block covers every address, and is then taken to lie outside each
   * `except` entry (a public address, not the private ranges such entries carve out).
   */
  | { readonly kind: 'external'; readonly description: string; readonly ip?: never };

/**
 * A port on the destination of a connection: its number, protocol, and the name the
 * destination's container gives it (for named policy ports).
 */
export interface PortQuery {
  readonly port: number;
  readonly protocol?: PortProtocol;
  readonly name?: string;
}

// ---- parsing ------------------------------------------------------------------------------------

export function parseSelector(value: unknown): LabelSelector {
  const r = rec(value) ?? {};
  return {
    matchLabels: labelMap(r.matchLabels) ?? {},
    matchExpressions: recs(r.matchExpressions).map((e) => ({ key: str(e.key) ?? '', operator: str(e.operator) ?? '', values: strs(e.values) })),
  };
}

function parsePeer(value: Record<string, unknown>): PolicyPeer | undefined {
  const block = rec(value.ipBlock);
  if (block) {
    const cidr = str(block.cidr);
    return cidr === undefined ? undefined : { kind: 'ipBlock', cidr, except: strs(block.except) };
  }
  if (value.podSelector === undefined && value.namespaceSelector === undefined) return undefined;
  return {
    kind: 'selector',
    ...(rec(value.podSelector) ? { podSelector: parseSelector(value.podSelector) } : {}),
    ...(rec(value.namespaceSelector) ? { namespaceSelector: parseSelector(value.namespaceSelector) } : {}),
  };
}

function parsePort(value: Record<string, unknown>): PolicyPort {
  const protocol = (str(value.protocol) ?? 'TCP').toUpperCase();
  const port = int(value.port) ?? str(value.port);
  const endPort = int(value.endPort);
  return {
    protocol: protocol === 'UDP' || protocol === 'SCTP' ? protocol : 'TCP',
    ...(port !== undefined ? { port } : {}),
    ...(endPort !== undefined && typeof port === 'number' ? { endPort } : {}),
  };
}

function parseRules(value: unknown, peersField: 'from' | 'to'): PolicyRule[] {
  return recs(value).map((r) => {
    const peerList = arr(r[peersField]);
    const portList = arr(r.ports);
    return {
      // A peer entry that names nothing is invalid (the API server rejects it): it admits no one.
      peers: peerList.length === 0 ? undefined : recs(peerList).flatMap((p) => { const peer = parsePeer(p); return peer ? [peer] : []; }),
      ports: portList.length === 0 ? undefined : recs(portList).map(parsePort),
    };
  });
}

/** One NetworkPolicy, read defensively. */
export function parseNetworkPolicy(o: MeshObject): NetworkPolicyInfo {
  const egress = parseRules(o.spec.egress, 'to');
  const declared = strs(o.spec.policyTypes).map((t) => t.toLowerCase()).filter((t): t is Direction => t === 'ingress' || t === 'egress');
  const policyTypes: Direction[] = strs(o.spec.policyTypes).length > 0 ? declared : ['ingress', ...(egress.length > 0 ? ['egress' as const] : [])];
  return {
    object: o, namespace: o.namespace ?? 'default',
    podSelector: parseSelector(o.spec.podSelector),
    policyTypes, ingress: parseRules(o.spec.ingress, 'from'), egress,
  };
}

const CACHE = new WeakMap<MeshModel, NetworkPolicyInfo[]>();

/** Every `networking.k8s.io` NetworkPolicy of the input, parsed. */
export function networkPolicies(model: MeshModel): readonly NetworkPolicyInfo[] {
  let list = CACHE.get(model);
  if (!list) {
    list = model.ofKind('NetworkPolicy').filter((o) => o.apiVersion.startsWith('networking.k8s.io/')).map(parseNetworkPolicy);
    CACHE.set(model, list);
  }
  return list;
}

// ---- selectors ----------------------------------------------------------------------------------

/**
 * Whether a selector selects an object with these labels. With `complete` false, a requirement
 * on a key the labels do not list is taken to hold (the labels are only partly known).
 */
export function selects(selector: LabelSelector, labels: Readonly<Record<string, string>>, complete = true): boolean {
  // Own keys only: a label key such as `constructor` must not find Object.prototype's.
  const known = (key: string) => complete || Object.hasOwn(labels, key);
  for (const [k, v] of Object.entries(selector.matchLabels)) {
    if (known(k) && own(labels, k) !== v) return false;
  }
  for (const e of selector.matchExpressions) {
    if (!known(e.key)) continue;
    const has = Object.hasOwn(labels, e.key);
    switch (e.operator) {
      case 'In': if (!has || !e.values.includes(labels[e.key]!)) return false; break;
      case 'NotIn': if (has && e.values.includes(labels[e.key]!)) return false; break;
      case 'Exists': if (!has) return false; break;
      case 'DoesNotExist': if (has) return false; break;
      default: return false; // the API server rejects other operators
    }
  }
  return true;
}

/**
 * A namespace's labels: those of its Namespace object (complete) plus the automatic
 * `kubernetes.io/metadata.name` (Kubernetes 1.22+); for a namespace the input does not declare,
 * only that one label is known.
 */
export function namespaceLabels(model: MeshModel, namespace: string): { labels: Record<string, string>; complete: boolean } {
  const declared = model.namespaces.get(namespace);
  return { labels: { ...(declared?.labels ?? {}), 'kubernetes.io/metadata.name': namespace }, complete: declared !== undefined };
}

// ---- peers --------------------------------------------------------------------------------------

/** A workload of the input as a peer (its pod template's labels are complete); `description` for messages. */
export function podPeer(w: Workload, description = `${w.object.kind} ${w.namespace}/${w.name}`): Peer {
  return { kind: 'pod', namespace: w.namespace, podLabels: w.podLabels, podLabelsComplete: true, containerPorts: w.containerPorts, description };
}

/** What a peer describes, for messages. */
export function peerText(p: Peer): string {
  return p.kind === 'ip' ? p.ip : p.description;
}

/** Pods that are not in the input, known by some of their labels and ports. */
export function syntheticPod(namespace: string, podLabels: Record<string, string>, containerPorts: readonly ContainerPort[], description: string): Peer {
  return { kind: 'pod', namespace, podLabels, podLabelsComplete: false, containerPorts, description };
}

/** istiod's pods (`app: istiod`, `istio: pilot` in istio-system): the input's, or what Istio's chart gives them. */
export function istiodPeers(model: MeshModel): Peer[] {
  const found = model.workloads.filter((w) => w.namespace === 'istio-system' && (w.podLabels.app === 'istiod' || w.podLabels.istio === 'pilot'));
  return found.length > 0 ? found.map((w) => podPeer(w))
    : [syntheticPod('istio-system', { app: 'istiod', istio: 'pilot' }, [{ containerPort: 15012, name: 'grpc-xds', protocol: 'TCP' }], 'istiod (istio-system, app=istiod)')];
}

/** kube-dns's pods (`k8s-app: kube-dns` in kube-system): the input's, or CoreDNS's usual ports. */
export function kubeDnsPeers(model: MeshModel): Peer[] {
  const found = model.workloads.filter((w) => w.namespace === 'kube-system' && w.podLabels['k8s-app'] === 'kube-dns');
  return found.length > 0 ? found.map((w) => podPeer(w))
    : [syntheticPod('kube-system', { 'k8s-app': 'kube-dns' }, [{ containerPort: 53, name: 'dns', protocol: 'UDP' }, { containerPort: 53, name: 'dns-tcp', protocol: 'TCP' }], 'kube-dns (kube-system, k8s-app=kube-dns)')];
}

// ---- addresses ----------------------------------------------------------------------------------

function ipv4(address: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  return octets.some((o) => o > 255) ? undefined : octets.reduce((a, o) => a * 256 + o, 0);
}

/** Whether an IPv4 address lies in a CIDR; undefined when either is not IPv4 or malformed. */
export function cidrContains(cidr: string, address: string): boolean | undefined {
  const [base, bitsText] = cidr.split('/');
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  const net = ipv4(base ?? '');
  const ip = ipv4(address);
  if (net === undefined || ip === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return undefined;
  const size = 2 ** (32 - bits);
  return Math.floor(ip / size) === Math.floor(net / size);
}

/** A CIDR that covers every address (`0.0.0.0/0`, `::/0`). */
export function coversEverything(cidr: string): boolean {
  return /^(0\.0\.0\.0|::)\/0$/.test(cidr.trim());
}

// ---- admission ----------------------------------------------------------------------------------

/** Whether one peer entry of a rule, in `policy`'s namespace, matches the peer. */
function peerMatches(model: MeshModel, policy: NetworkPolicyInfo, entry: PolicyPeer, peer: Peer): boolean | undefined {
  if (entry.kind === 'ipBlock') {
    if (peer.kind === 'external') return coversEverything(entry.cidr);
    if (peer.kind === 'ip') {
      const inside = cidrContains(entry.cidr, peer.ip);
      if (inside === undefined) return undefined;
      if (!inside) return false;
      const excepted = entry.except.map((e) => cidrContains(e, peer.ip));
      return excepted.includes(true) ? false : excepted.includes(undefined) ? undefined : true;
    }
    // Pod IPs are not in the manifests. A block covering every address with no exceptions covers
    // them (most CNIs; Cilium's CIDR rules never select cluster pods); any other block may or may not.
    return coversEverything(entry.cidr) && entry.except.length === 0 ? true : undefined;
  }
  if (peer.kind !== 'pod') return false; // selectors select pods only
  if (entry.namespaceSelector) {
    const ns = namespaceLabels(model, peer.namespace);
    if (!selects(entry.namespaceSelector, ns.labels, ns.complete)) return false;
  } else if (peer.namespace !== policy.namespace) {
    return false;
  }
  return entry.podSelector ? selects(entry.podSelector, peer.podLabels, peer.podLabelsComplete) : true;
}

/** Whether a policy port admits a port on a destination. */
function portMatches(entry: PolicyPort, query: PortQuery): boolean {
  if (entry.protocol !== (query.protocol ?? 'TCP')) return false;
  if (entry.port === undefined) return true;
  if (typeof entry.port === 'string') return query.name !== undefined && entry.port === query.name;
  return entry.endPort !== undefined ? query.port >= entry.port && query.port <= entry.endPort : query.port === entry.port;
}

/**
 * Whether one policy admits `peer` on `port` in `direction` (ingress: the peer is the source and
 * `port` is on the policy's pod; egress: the peer is the destination and `port` is on it). False
 * when the policy does not govern that direction, since it then admits nothing there (its
 * isolation is for the other direction). Undefined when the answer rests on a pod's IP.
 */
export function admits(model: MeshModel, policy: NetworkPolicyInfo, peer: Peer, port: PortQuery, direction: Direction): boolean | undefined {
  const rules = ruleAdmissions(model, policy, peer, port, direction);
  return rules.some((r) => r === true) ? true : rules.includes(undefined) ? undefined : false;
}

/**
 * Rule by rule (`ingress[i]` or `egress[i]`), whether each admits `peer` on `port`: true, false,
 * or undefined when it rests on a pod's IP. Empty when the policy does not govern `direction`.
 */
export function ruleAdmissions(model: MeshModel, policy: NetworkPolicyInfo, peer: Peer, port: PortQuery, direction: Direction): (boolean | undefined)[] {
  if (!policy.policyTypes.includes(direction)) return [];
  return (direction === 'ingress' ? policy.ingress : policy.egress).map((rule) => {
    if (rule.ports && !rule.ports.some((p) => portMatches(p, port))) return false;
    if (!rule.peers) return true;
    let unknown = false;
    for (const entry of rule.peers) {
      const m = peerMatches(model, policy, entry, peer);
      if (m === true) return true;
      if (m === undefined) unknown = true;
    }
    return unknown ? undefined : false;
  });
}

/** Whether a policy selects a workload's pods (same namespace, podSelector). */
export function selectsWorkload(policy: NetworkPolicyInfo, w: Pick<Workload, 'namespace' | 'podLabels'>): boolean {
  return policy.namespace === w.namespace && selects(policy.podSelector, w.podLabels);
}

const BY_NAMESPACE = new WeakMap<MeshModel, Map<string, NetworkPolicyInfo[]>>();
const FOR_WORKLOAD = new WeakMap<MeshModel, WeakMap<object, Record<Direction, NetworkPolicyInfo[] | undefined>>>();

/** The policies of one namespace: a NetworkPolicy selects pods of its own namespace only. */
function policiesIn(model: MeshModel, namespace: string): readonly NetworkPolicyInfo[] {
  let index = BY_NAMESPACE.get(model);
  if (!index) {
    index = new Map();
    for (const p of networkPolicies(model)) {
      const list = index.get(p.namespace);
      if (list) list.push(p);
      else index.set(p.namespace, [p]);
    }
    BY_NAMESPACE.set(model, index);
  }
  return index.get(namespace) ?? [];
}

/**
 * The policies that select the workload's pods and isolate them in `direction`. Looked up by
 * namespace, and remembered per workload object: the access matrix asks this for every cell.
 */
export function policiesFor(model: MeshModel, w: Pick<Workload, 'namespace' | 'podLabels'>, direction: Direction): NetworkPolicyInfo[] {
  let perModel = FOR_WORKLOAD.get(model);
  if (!perModel) FOR_WORKLOAD.set(model, perModel = new WeakMap());
  const memo = perModel.get(w);
  const known = memo?.[direction];
  if (known) return known;
  const found = policiesIn(model, w.namespace).filter((p) => p.policyTypes.includes(direction) && selectsWorkload(p, w));
  perModel.set(w, { ...(memo ?? { ingress: undefined, egress: undefined }), [direction]: found });
  return found;
}

/**
 * All that the ingress NetworkPolicies of `w`'s pods read of a pod peer, as a string: for every
 * selector entry of every ingress rule of the policies isolating `w` (in order), whether it
 * matches the peer. Two pod peers with the same view are admitted or dropped alike by those
 * policies, by the same rule (ports and `ipBlock` entries do not depend on the peer pod). The
 * access matrix groups its callers by it.
 */
export function ingressPeerView(model: MeshModel, w: Pick<Workload, 'namespace' | 'podLabels'>, peer: Peer): string {
  let view = '';
  for (const policy of policiesFor(model, w, 'ingress')) {
    for (const rule of policy.ingress) {
      for (const entry of rule.peers ?? []) {
        if (entry.kind === 'selector') view += peerMatches(model, policy, entry, peer) ? '1' : '0';
      }
    }
  }
  return view;
}

/** Whether some NetworkPolicy isolates the workload's pods in `direction`. */
export function isolated(model: MeshModel, w: Workload, direction: Direction): boolean {
  return policiesFor(model, w, direction).length > 0;
}

/**
 * Whether the workload's pods may exchange traffic with `peer` in `direction`: true when they are
 * not isolated, else the union of their policies (undefined when unknown and none admits).
 */
export function allows(model: MeshModel, w: Pick<Workload, 'namespace' | 'podLabels'>, peer: Peer, port: PortQuery, direction: Direction): boolean | undefined {
  return explainAllows(model, w, peer, port, direction).allowed;
}

/** A rule of a policy: `ingress[index]` or `egress[index]`. */
export interface RuleRef {
  readonly policy: NetworkPolicyInfo;
  readonly index: number;
}

/** `allows` with its grounds, for reasons. */
export interface Admission {
  /** As `allows`: true when not isolated or some rule admits, undefined when that rests on pod IPs. */
  readonly allowed: boolean | undefined;
  /** The policies isolating the pods in that direction (none: not isolated). */
  readonly policies: readonly NetworkPolicyInfo[];
  /** The first rule (policies in input order, rules in order) that admits. */
  readonly admittedBy?: RuleRef;
  /** When no rule admits: the rules whose answer rests on a pod's IP against an ipBlock. */
  readonly undecided: readonly RuleRef[];
}

export function explainAllows(model: MeshModel, w: Pick<Workload, 'namespace' | 'podLabels'>, peer: Peer, port: PortQuery, direction: Direction): Admission {
  const policies = policiesFor(model, w, direction);
  if (policies.length === 0) return { allowed: true, policies, undecided: [] };
  const undecided: RuleRef[] = [];
  for (const policy of policies) {
    const rules = ruleAdmissions(model, policy, peer, port, direction);
    const index = rules.indexOf(true);
    if (index >= 0) return { allowed: true, policies, admittedBy: { policy, index }, undecided: [] };
    rules.forEach((r, i) => { if (r === undefined) undecided.push({ policy, index: i }); });
  }
  return { allowed: undecided.length > 0 ? undefined : false, policies, undecided };
}

/** The port query for a container port of a workload (its name and protocol). */
export function portOn(w: { readonly containerPorts: readonly ContainerPort[] }, port: number, protocol: PortProtocol = 'TCP'): PortQuery {
  const c = w.containerPorts.find((p) => p.containerPort === port && p.protocol.toUpperCase() === protocol);
  return { port, protocol, ...(c?.name ? { name: c.name } : {}) };
}

/**
 * Whether a connection from `from`'s pods to `to`'s pods on `port` (a container port of `to`)
 * passes both ends: the caller's egress and the destination's ingress policies.
 */
export function connection(model: MeshModel, from: Workload, to: Workload, port: PortQuery): { egress: boolean | undefined; ingress: boolean | undefined } {
  return {
    egress: allows(model, from, podPeer(to), port, 'egress'),
    ingress: allows(model, to, podPeer(from), port, 'ingress'),
  };
}
