import type { MeshModel, MeshObject } from '../model.js';
import { int, labelMap, rec, recs, str, strs } from '../values.js';

/**
 * Kubernetes NetworkPolicy (networking.k8s.io/v1) as the simulator's L3/L4 stage, read from the
 * manifests: https://kubernetes.io/docs/concepts/services-networking/network-policies/
 *
 * The CNI enforces it outside the pod, on the wire tuple (source pod, destination pod, wire port);
 * in sidecar mode the wire port is the container port a Service port targets (the redirect to the
 * proxy happens inside the pod). A pod is isolated in a direction only if some policy selecting it
 * has that policy type; then a connection passes only if some rule of those policies allows it
 * (allows are unioned). Source egress and destination ingress must both allow. A drop is silent:
 * the client's connection times out (outcome `dropped`).
 *
 * `ipBlock` peers are taken as out-of-cluster addresses only (the Kubernetes docs say ipBlock is
 * meant for cluster-external IPs and leave pod IPs implementation-defined). An out-of-cluster
 * peer whose address is unknown (the outside client, an external host) matches an `ipBlock` only
 * when its `cidr` covers every address (`0.0.0.0/0`, `::/0`), whatever its `except` entries
 * (the unknown address is taken to lie outside each of them).
 */

/** One end of a connection as NetworkPolicy sees it. */
export type NetEndpoint =
  | {
    readonly kind: 'pod';
    readonly namespace: string;
    readonly labels: Readonly<Record<string, string>>;
    /** Named container ports, for named `ports` entries. */
    readonly ports: readonly { readonly name?: string; readonly containerPort: number; readonly protocol: string }[];
    /** For reasons: `ns/workload`, `ingress gateway ns/sa`. */
    readonly label: string;
  }
  | { readonly kind: 'external'; readonly label: string };

export interface NetVerdict {
  readonly allowed: boolean;
  /** Why, for reasons; undefined when the pod is not isolated in that direction. */
  readonly reason?: string;
}

type Direction = 'Ingress' | 'Egress';

/** Whether a LabelSelector (matchLabels and matchExpressions) selects `labels`; `{}` selects everything. */
export function selectorMatches(selector: Record<string, unknown>, labels: Readonly<Record<string, string>>): boolean {
  const matchLabels = labelMap(selector.matchLabels) ?? {};
  if (Object.entries(matchLabels).some(([k, v]) => labels[k] !== v)) return false;
  return recs(selector.matchExpressions).every((e) => {
    const key = str(e.key) ?? '';
    const values = strs(e.values);
    const has = Object.hasOwn(labels, key);
    switch (str(e.operator)) {
      case 'In': return has && values.includes(labels[key]!);
      case 'NotIn': return !has || !values.includes(labels[key]!);
      case 'Exists': return has;
      case 'DoesNotExist': return !has;
      default: return false; // an unknown operator is rejected by the API server; match nothing
    }
  });
}

/**
 * The policy types a NetworkPolicy has: `policyTypes`, else (absent or empty, as the API server
 * defaults it) Ingress plus Egress when it has `egress`.
 */
function policyTypes(np: MeshObject): Direction[] {
  const declared = strs(np.spec.policyTypes).filter((t): t is Direction => t === 'Ingress' || t === 'Egress');
  if (strs(np.spec.policyTypes).length > 0) return declared;
  return np.spec.egress !== undefined ? ['Ingress', 'Egress'] : ['Ingress'];
}

const nameOf = (np: MeshObject) => `${np.namespace}/${np.name}`;

export class NetworkPolicies {
  private readonly policies: readonly MeshObject[];
  /** The policies selecting a pod in a direction, by direction, namespace and labels. */
  private readonly selecting = new Map<string, readonly MeshObject[]>();

  public constructor(private readonly model: MeshModel) {
    this.policies = model.ofKind('NetworkPolicy').filter((o) => o.apiVersion.startsWith('networking.k8s.io/'));
  }

  public get empty(): boolean {
    return this.policies.length === 0;
  }

  /** A namespace's labels: its Namespace object's, plus the implicit `kubernetes.io/metadata.name`. */
  public namespaceLabels(namespace: string): Record<string, string> {
    return { ...(this.model.namespaces.get(namespace)?.labels ?? {}), 'kubernetes.io/metadata.name': namespace };
  }

  /**
   * Whether the wire connection `src → dst:port/protocol` passes both the source's egress and the
   * destination's ingress policies. `port` is the wire (container) port.
   */
  public decide(src: NetEndpoint, dst: NetEndpoint, port: number, protocol: string): { allowed: true; notes: string[] } | { allowed: false; reason: string } {
    const notes: string[] = [];
    if (src.kind === 'pod') {
      const egress = this.direction('Egress', src, dst, dst, port, protocol);
      if (!egress.allowed) return { allowed: false, reason: egress.reason! };
      if (egress.reason) notes.push(egress.reason);
    }
    if (dst.kind === 'pod') {
      const ingress = this.direction('Ingress', dst, src, dst, port, protocol);
      if (!ingress.allowed) return { allowed: false, reason: ingress.reason! };
      if (ingress.reason) notes.push(ingress.reason);
    }
    return { allowed: true, notes };
  }

  /** One direction: `pod`'s policies of that type, each rule against `peer` and the port. */
  private direction(type: Direction, pod: Extract<NetEndpoint, { kind: 'pod' }>, peer: NetEndpoint, dst: NetEndpoint, port: number, protocol: string): NetVerdict {
    const key = `${type}\u0000${pod.namespace}\u0000${JSON.stringify(Object.entries(pod.labels).sort())}`;
    let selecting = this.selecting.get(key);
    if (!selecting) {
      selecting = this.policies.filter((np) => np.namespace === pod.namespace && policyTypes(np).includes(type)
        && selectorMatches(rec(np.spec.podSelector) ?? {}, pod.labels));
      this.selecting.set(key, selecting);
    }
    if (selecting.length === 0) return { allowed: true };
    const field = type === 'Ingress' ? 'ingress' : 'egress';
    const peers = type === 'Ingress' ? 'from' : 'to';
    for (const np of selecting) {
      for (const [index, rule] of recs(np.spec[field]).entries()) {
        const peerList = recs(rule[peers]);
        const peerOk = rule[peers] === undefined || peerList.length === 0 || peerList.some((p) => this.peerMatches(p, np.namespace!, peer));
        if (!peerOk) continue;
        const ports = recs(rule.ports);
        if (ports.length > 0 && !ports.some((p) => portMatches(p, dst, port, protocol))) continue;
        const what = type === 'Ingress' ? `ingress of ${pod.label} from ${peer.label}` : `egress of ${pod.label} to ${peer.label}`;
        return { allowed: true, reason: `NetworkPolicy ${nameOf(np)} ${field}[${index}] allows ${what} on ${port}/${protocol}` };
      }
    }
    const what = type === 'Ingress' ? `ingress of ${pod.label} (from ${peer.label})` : `egress of ${pod.label} (to ${peer.label})`;
    return {
      allowed: false,
      reason: `dropped by NetworkPolicy ${selecting.map(nameOf).join(', ')}: ${what} is isolated and no ${field} rule allows ${port}/${protocol} (the connection times out)`,
    };
  }

  /** A `from`/`to` entry against the peer; `policyNamespace` is where a lone podSelector looks. */
  private peerMatches(p: Record<string, unknown>, policyNamespace: string, peer: NetEndpoint): boolean {
    const ipBlock = rec(p.ipBlock);
    if (ipBlock) return peer.kind === 'external' && /\/0$/.test(str(ipBlock.cidr) ?? '');
    const podSelector = rec(p.podSelector);
    const namespaceSelector = rec(p.namespaceSelector);
    if (peer.kind !== 'pod' || (!podSelector && !namespaceSelector)) return false;
    const nsOk = namespaceSelector ? selectorMatches(namespaceSelector, this.namespaceLabels(peer.namespace)) : peer.namespace === policyNamespace;
    return nsOk && (!podSelector || selectorMatches(podSelector, peer.labels));
  }
}

/**
 * A `ports` entry against the wire port: protocol (default TCP), a number with optional
 * `endPort`, or a name resolved on the destination pod's container ports.
 */
function portMatches(entry: Record<string, unknown>, dst: NetEndpoint, port: number, protocol: string): boolean {
  if ((str(entry.protocol) ?? 'TCP').toUpperCase() !== protocol.toUpperCase()) return false;
  if (entry.port === undefined) return true;
  const number = int(entry.port);
  if (number !== undefined) {
    const end = int(entry.endPort);
    return end !== undefined ? port >= number && port <= end : port === number;
  }
  const name = str(entry.port);
  if (name === undefined || dst.kind !== 'pod') return false;
  return dst.ports.some((c) => c.name === name && c.containerPort === port && c.protocol.toUpperCase() === protocol.toUpperCase());
}
