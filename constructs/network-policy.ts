import type { NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec } from 'kubernetes-types/networking/v1.js';

/**
 * The L3/L4 backstop of every grant: Kubernetes NetworkPolicy, enforced by the CNI outside the
 * pod on pod IPs and wire ports, whatever the pod's proxy does. It is what still holds when a pod
 * runs without its sidecar or an app bypasses it (istio.io, "Security Best Practices":
 * defense in depth; https://istio.io/latest/docs/ops/best-practices/security/). Istio neither
 * enforces nor bypasses it. These are the pieces the constructs assemble.
 */

/**
 * Who is on the other side of a grant, as a NetworkPolicy can say it: the pods of a namespace
 * (all of them, or those with these labels), every pod of the cluster, or anything at all
 * (pods and addresses outside the cluster).
 */
export type NetworkPeer =
  | { readonly kind: 'pods'; readonly namespace: string; readonly podLabels?: Readonly<Record<string, string>> }
  | { readonly kind: 'cluster' }
  | { readonly kind: 'anywhere' }
  | { readonly kind: 'addresses'; readonly cidrs: readonly string[] };

/** One allowed flow of a grant: the peer and the container ports. */
export interface NetworkFlow {
  readonly peer: NetworkPeer;
  /** Container (target) ports: a NetworkPolicy sees the wire port, after the Service's mapping. */
  readonly ports: readonly number[];
}

/**
 * HBONE, the mesh's tunnel port: an ambient client (ztunnel) reaches a sidecar or ambient pod on
 * 15008, not on the app port (https://istio.io/latest/docs/ambient/usage/networkpolicy/). Added
 * to every granted port list, so a grant keeps working whichever data plane the peer runs.
 */
export const HBONE_PORT = 15008;

/** The namespace label Kubernetes sets on every Namespace (since v1.22). */
const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

function peerOf(peer: NetworkPeer): NetworkPolicyPeer[] | undefined {
  switch (peer.kind) {
    case 'anywhere': return undefined; // no `from`/`to`: every source or destination
    case 'cluster': return [{ namespaceSelector: {} }];
    case 'addresses': return peer.cidrs.map((cidr) => ({ ipBlock: { cidr } }));
    case 'pods': return [{
      namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: peer.namespace } },
      ...(peer.podLabels ? { podSelector: { matchLabels: { ...peer.podLabels } } } : {}),
    }];
  }
}

/** The ports of a flow; peers in the cluster may be ambient, so HBONE is added for them. */
function portsOf(peer: NetworkPeer, ports: readonly number[]): NetworkPolicyPort[] {
  const all = peer.kind === 'addresses' ? ports : [...ports, HBONE_PORT];
  return [...new Set(all)].sort((a, b) => a - b).map((port) => ({ protocol: 'TCP', port }));
}

/** Ingress rules admitting each flow's peer on its ports; flows to the same peer are merged. */
export function ingressRules(flows: readonly NetworkFlow[]): NetworkPolicyIngressRule[] {
  return merged(flows).map(({ peer, ports }) => {
    const from = peerOf(peer);
    return { ...(from ? { from } : {}), ports: portsOf(peer, ports) };
  });
}

/** Egress rules letting each flow's peer be reached on its ports; flows to the same peer are merged. */
export function egressRules(flows: readonly NetworkFlow[]): NetworkPolicyEgressRule[] {
  return merged(flows).map(({ peer, ports }) => {
    const to = peerOf(peer);
    return { ...(to ? { to } : {}), ports: portsOf(peer, ports) };
  });
}

/** One flow per peer with the union of its ports, in a stable order. */
function merged(flows: readonly NetworkFlow[]): NetworkFlow[] {
  const byPeer = new Map<string, { peer: NetworkPeer; ports: Set<number> }>();
  for (const flow of flows) {
    const key = JSON.stringify(flow.peer.kind === 'pods' ? [flow.peer.namespace, Object.entries(flow.peer.podLabels ?? {}).sort()]
      : flow.peer.kind === 'addresses' ? ['~addresses', [...flow.peer.cidrs].sort()] : [flow.peer.kind]);
    const entry = byPeer.get(key) ?? { peer: flow.peer, ports: new Set<number>() };
    for (const p of flow.ports) entry.ports.add(p);
    byPeer.set(key, entry);
  }
  return [...byPeer.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => ({ peer: e.peer, ports: [...e.ports] }));
}

/** Where the data plane's services run: istiod and the cluster DNS. */
export interface DataPlaneEndpoints {
  /** The namespace istiod runs in (its pods carry `app: istiod`). */
  readonly istiodNamespace: string;
}

/**
 * The spec of a namespace's default deny: every pod isolated in both directions, with exactly the exceptions
 * the data plane needs (https://istio.io/latest/docs/ops/deployment/application-requirements/,
 * "Ports used by Istio"):
 * - egress to the cluster DNS (kube-system `k8s-app: kube-dns`, 53 UDP and TCP): every client
 *   resolves a Service name before it connects;
 * - egress to istiod on 15012 (xDS and certificate signing): without it a sidecar gets neither
 *   configuration nor its identity, and never becomes ready;
 * - in ambient mode, ingress from the node's probe address 169.254.7.127/32 (ambient SNATs the
 *   kubelet's probes to it; https://istio.io/latest/docs/ambient/usage/networkpolicy/).
 * Not opened, on purpose: kubelet probes in sidecar mode (rewritten to the proxy's 15020; whether
 * node traffic is subject to NetworkPolicy depends on the CNI, and the common ones let it
 * through), and scraping by Prometheus (grant it like any caller). `extraEgress` are the flows of
 * grants whose caller is the whole namespace, or every workload of the mesh.
 */
export function defaultDenySpec(ambient: boolean, endpoints: DataPlaneEndpoints, extraEgress: NetworkPolicyEgressRule[]): NetworkPolicySpec {
  return {
    podSelector: {},
    policyTypes: ['Ingress', 'Egress'],
    // No ingress rule (sidecar mode): policyTypes Ingress alone denies every connection in.
    ...(ambient ? { ingress: [{ from: [{ ipBlock: { cidr: '169.254.7.127/32' } }] }] } : {}),
    egress: [
      {
        to: [{ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
        ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
      },
      {
        to: [{ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: endpoints.istiodNamespace } }, podSelector: { matchLabels: { app: 'istiod' } } }],
        ports: [{ protocol: 'TCP', port: 15012 }],
      },
      ...extraEgress,
    ],
  };
}

/**
 * The NetworkPolicy spec of one workload's grants: ingress from its callers' pods, egress to its
 * callees' pods, each on the container ports granted (plus HBONE).
 */
export function workloadPolicySpec(podLabels: Readonly<Record<string, string>>, ingress: readonly NetworkFlow[], egress: readonly NetworkFlow[]): NetworkPolicySpec {
  return {
    podSelector: { matchLabels: { ...podLabels } },
    policyTypes: [...(ingress.length ? ['Ingress'] : []), ...(egress.length ? ['Egress'] : [])],
    ...(ingress.length ? { ingress: ingressRules(ingress) } : {}),
    ...(egress.length ? { egress: egressRules(egress) } : {}),
  };
}
