// Egress scope and NetworkPolicy checks (ZT75x, area `network`): what Kubernetes NetworkPolicy,
// the Sidecar's egress scope and ServiceEntry visibility do to the mesh. Sources: ISTIO.md §11,
// §12 and §14 points 23–28; https://istio.io/latest/docs/ops/deployment/application-requirements/
// (ports a sidecar needs); https://istio.io/latest/docs/ops/best-practices/security/ (egress:
// "the application can bypass its sidecar", NetworkPolicy as defense in depth);
// api:networking/v1alpha3/sidecar.proto, service_entry.proto; api:mesh/v1alpha1/config.proto.
import { outboundPolicy, sidecarFor, imports, serviceHost, sidecarOutboundMode } from '../egress.js';
import { parsePrincipal } from '../istio.js';
import type { MeshModel, MeshObject, Workload } from '../model.js';
import {
  allows, istiodPeers, kubeDnsPeers, NetworkPolicyInfo, Peer, policiesFor, podPeer, portOn,
  peerText,
} from '../network-policy.js';
import { actionOf, rulePorts, rulesOf, RuleView } from '../policy.js';
import { addTo, listing, str, strs } from '../values.js';
import { Check, issue, ref } from './check.js';

const at = (r: RuleView) => `rules[${r.index}]`;
const wref = (w: Workload) => `${w.object.kind} ${w.namespace}/${w.name}`;
const npList = (ps: readonly NetworkPolicyInfo[]) => listing(ps.map((p) => `NetworkPolicy ${p.namespace}/${p.object.name}`));

/** Whether every peer is refused on the port (false for all; unknown counts as admitted). */
function refusedToAll(m: MeshModel, w: Workload, peers: readonly Peer[], port: number, protocol: 'TCP' | 'UDP'): boolean {
  return peers.every((peer) => peer.kind === 'pod' && allows(m, w, peer, portOn(peer, port, protocol), 'egress') === false);
}

/** A grant's callers in the input, per `from` entry that names them by principal or namespace. */
interface Grant {
  readonly ap: MeshObject;
  readonly rule: RuleView;
  /** `principal "…"` / `namespace "…"`, for messages. */
  readonly names: string;
  readonly callers: readonly Workload[];
  readonly destinations: readonly Workload[];
}

/**
 * The enforced ALLOW rules' sources that name callers by principal (`<td>/ns/<ns>/sa/<sa>` in a
 * local trust domain) or exact namespace, with the callers and destinations the input holds.
 * Principals and namespaces in one source both have to hold (intersection).
 */
function* grants(m: MeshModel): Generator<Grant> {
  for (const ap of m.ofKind('AuthorizationPolicy')) {
    if (actionOf(ap) !== 'ALLOW' || m.isDryRun(ap)) continue;
    const destinations = m.selectedWorkloads(ap).filter((w) => w.sidecar === true);
    if (destinations.length === 0) continue;
    for (const rule of rulesOf(ap)) for (const s of rule.sources) {
      const principals = strs(s.principals).map((p) => ({ p, id: parsePrincipal(p) }));
      const namespaces = strs(s.namespaces).filter((n) => !n.includes('*'));
      if (principals.length === 0 && namespaces.length === 0) continue;
      let callers: Workload[];
      if (principals.length > 0) {
        if (principals.some(({ id }) => !id || !m.localTrustDomains.has(id.trustDomain))) continue; // wildcards, foreign: not judged
        callers = principals.flatMap(({ id }) => m.workloadsWithIdentity(id!.namespace, id!.serviceAccount));
        if (strs(s.namespaces).length > 0) callers = callers.filter((c) => namespaces.includes(c.namespace));
      } else {
        if (namespaces.length !== strs(s.namespaces).length) continue;
        callers = namespaces.flatMap((n) => m.workloadsIn(n));
      }
      // Callers without a sidecar never present the identity (ZT110), and ambient ones reach a
      // sidecar over 15008 (ISTIO.md §12.2), not the app port: neither is judged here.
      callers = callers.filter((c) => !destinations.includes(c) && c.sidecar !== false);
      if (callers.length === 0) continue;
      const names = [...principals.map(({ p }) => `principal "${p}"`), ...namespaces.map((n) => `namespace "${n}"`)];
      yield { ap, rule, names: listing(names), callers, destinations };
    }
  }
}

/** Sidecar workloads grouped by namespace, in input order. */
function byNamespace(ws: readonly Workload[]): Map<string, Workload[]> {
  const out = new Map<string, Workload[]>();
  for (const w of ws) addTo(out, w.namespace, w);
  return out;
}

/** Where a per-namespace finding goes: the Namespace object when declared, else each workload. */
function namespaceTargets(m: MeshModel, ns: string, ws: readonly Workload[]): MeshObject[] {
  const declared = m.namespaces.get(ns);
  return declared ? [declared] : ws.map((w) => w.object);
}

const NETPOL_EGRESS_FIX = 'an egress NetworkPolicy for these pods that allows only what they need: UDP/TCP 53 to kube-dns, TCP 15012 to istiod, and their destinations (or the egress gateway)';

export const NETWORK_CHECKS: readonly Check[] = [
  {
    code: 'ZT751', severity: 'error', area: 'network', title: 'NetworkPolicy cuts a sidecar off from istiod or DNS',
    *run(m) {
      // Found once: each is a scan of every workload.
      const istiod = istiodPeers(m);
      const dns = kubeDnsPeers(m);
      for (const w of m.workloads) {
        if (w.sidecar !== true) continue;
        const policies = policiesFor(m, w, 'egress');
        if (policies.length === 0) continue;
        const missing = [
          ...(refusedToAll(m, w, istiod, 15012, 'TCP') ? [`TCP 15012 to ${listing(istiod.map(peerText))} for configuration and certificates`] : []),
          ...(refusedToAll(m, w, dns, 53, 'UDP') ? [`UDP 53 to ${listing(dns.map(peerText))} for DNS`] : []),
        ];
        if (missing.length === 0) continue;
        yield issue(w.object, `${wref(w)} has a sidecar and its egress is isolated by ${npList(policies)}, whose rules do not allow ${listing(missing)}: the proxy gets no configuration or certificates${missing.length > 1 || missing[0]!.startsWith('UDP') ? ' and cannot resolve names' : ''}, so the pod never becomes ready.`,
          `add an egress rule to one of these policies: to istio-system pods app=istiod on TCP 15012 ({namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: istio-system}}, podSelector: {matchLabels: {app: istiod}}}), and to kube-system pods k8s-app=kube-dns on UDP and TCP 53.`);
      }
    },
  },
  {
    code: 'ZT752', severity: 'error', area: 'network', title: 'Grant that a NetworkPolicy makes unreachable',
    *run(m) {
      for (const g of grants(m)) for (const dest of g.destinations) {
        const ports = rulePorts(g.rule) ?? m.inboundPorts(dest);
        if (ports.length === 0) continue;
        const ingressBy = new Set<NetworkPolicyInfo>();
        const egressBy = new Set<NetworkPolicyInfo>();
        const dead = g.callers.every((caller) => ports.every((port) => {
          const protocol = dest.containerPorts.find((c) => c.containerPort === port)?.protocol.toUpperCase() === 'UDP' ? 'UDP' : 'TCP';
          const q = portOn(dest, port, protocol);
          const inbound = allows(m, dest, podPeer(caller), q, 'ingress');
          const outbound = allows(m, caller, podPeer(dest), q, 'egress');
          if (inbound === false) for (const p of policiesFor(m, dest, 'ingress')) ingressBy.add(p);
          if (outbound === false) for (const p of policiesFor(m, caller, 'egress')) egressBy.add(p);
          return inbound === false || outbound === false;
        }));
        if (!dead) continue;
        const blockers = [
          ...(ingressBy.size ? [`the ingress rules of ${npList([...ingressBy])} (isolating ${wref(dest)})`] : []),
          ...(egressBy.size ? [`the egress rules of ${npList([...egressBy])} (isolating the callers)`] : []),
        ];
        yield issue(g.ap, `${ref(g.ap)} ${at(g.rule)} grants ${g.names} (${listing(g.callers.map(wref))}) access to ${wref(dest)} on port${ports.length > 1 ? 's' : ''} ${ports.join(', ')}, but ${listing(blockers)} admit none of those connections: the CNI drops them before any proxy sees them, so the declared access does not work and the grant is dead.`,
          `allow the callers' pods to ${dest.namespace}/${dest.name} on ${ports.join(', ')} in the NetworkPolicies (ingress of the destination, egress of the callers), or remove the grant.`);
      }
    },
  },
  {
    code: 'ZT753', severity: 'error', area: 'network', title: 'Grant that the caller\'s Sidecar egress scope makes unreachable',
    *run(m) {
      for (const g of grants(m)) for (const dest of g.destinations) {
        const services = m.servicesOf(dest);
        if (services.length === 0) continue;
        for (const caller of g.callers) {
          if (caller.sidecar !== true || services.some((s) => imports(m, caller, s))) continue;
          const sidecar = sidecarFor(m, caller)!;
          const policy = outboundPolicy(m, caller);
          const hosts = listing(services.map(serviceHost));
          const outcome = policy.mode === 'REGISTRY_ONLY'
            ? 'under REGISTRY_ONLY its proxy answers HTTP requests to it with 502 and closes other connections'
            : 'under ALLOW_ANY its proxy passes the traffic through in plaintext without its identity, so the destination\'s STRICT mTLS resets it and, under PERMISSIVE, this identity-based grant cannot match (403)';
          yield issue(g.ap, `${ref(g.ap)} ${at(g.rule)} grants ${g.names} access to ${wref(dest)}, but the caller ${wref(caller)} is configured by ${ref(sidecar)}, whose egress hosts do not import ${hosts}: ${outcome}. The grant is dead for this caller.`,
            `add "${dest.namespace}/${serviceHost(services[0]!)}" (or "${dest.namespace}/*") to the egress hosts of ${ref(sidecar)}, or remove the grant.`);
        }
      }
    },
  },
  {
    code: 'ZT754', severity: 'warning', area: 'network', title: 'External ServiceEntry exported to every namespace',
    *run(m) {
      for (const se of m.ofKind('ServiceEntry')) {
        if ((str(se.spec.location) ?? 'MESH_EXTERNAL').toUpperCase() !== 'MESH_EXTERNAL') continue;
        const exportTo = strs(se.spec.exportTo);
        if (exportTo.length > 0 && !exportTo.includes('*')) continue;
        yield issue(se, `${ref(se)} adds ${listing(strs(se.spec.hosts))} (outside the mesh) to the registry of every namespace (${exportTo.length ? 'exportTo "*"' : 'no exportTo'}): every namespace's sidecars may reach it, and under REGISTRY_ONLY the host joins every namespace's egress allowlist.`,
          'set exportTo: ["."] (or the namespaces that need the host).');
      }
    },
  },
  {
    code: 'ZT755', severity: 'warning', area: 'network', title: 'Sidecars with ALLOW_ANY egress',
    *run(m) {
      const sidecarWorkloads = m.workloads.filter((w) => w.sidecar === true);
      // Sidecars that set ALLOW_ANY themselves: one finding per Sidecar.
      const bySidecar = new Map<MeshObject, Workload[]>();
      for (const w of sidecarWorkloads) {
        const p = outboundPolicy(m, w);
        if (p.source === 'sidecar' && p.mode === 'ALLOW_ANY') addTo(bySidecar, p.sidecar!, w);
      }
      for (const [sidecar, ws] of bySidecar) {
        yield issue(sidecar, `${ref(sidecar)} sets outboundTrafficPolicy ALLOW_ANY for ${listing(ws.map(wref))}: their proxies pass traffic to any host they do not know straight through, so nothing in the mesh limits where they connect.`,
          'set outboundTrafficPolicy.mode REGISTRY_ONLY and declare external hosts with ServiceEntries (exportTo "."), together with an egress NetworkPolicy.');
      }
      // The mesh default: judged when stated, or when the input controls egress elsewhere
      // (some Sidecar sets REGISTRY_ONLY); one finding per namespace.
      const intent = m.ofKind('Sidecar').some((o) => sidecarOutboundMode(o) === 'REGISTRY_ONLY');
      const fallback = sidecarWorkloads.filter((w) => { const p = outboundPolicy(m, w); return p.mode === 'ALLOW_ANY' && (p.source === 'mesh' || (p.source === 'default' && intent)); });
      for (const [ns, ws] of byNamespace(fallback)) {
        const why = m.outboundTrafficPolicyStated ? 'the mesh\'s outboundTrafficPolicy is ALLOW_ANY' : 'other Sidecars of the input set REGISTRY_ONLY, but here the mesh default applies (ALLOW_ANY unless meshConfig says otherwise; state it with --outbound-traffic-policy)';
        for (const o of namespaceTargets(m, ns, ws)) {
          yield issue(o, `${ref(o)}: ${listing(ws.map(wref))} ${ws.length > 1 ? 'have' : 'has'} no Sidecar setting an outbound traffic policy, and ${why}: ${ws.length > 1 ? 'their proxies pass' : 'its proxy passes'} traffic to unknown hosts straight through.`,
            `add a Sidecar to namespace ${ns} with outboundTrafficPolicy.mode REGISTRY_ONLY (or set it mesh-wide in meshConfig), declare external hosts with ServiceEntries, and add ${NETPOL_EGRESS_FIX}.`);
        }
      }
    },
  },
  {
    code: 'ZT756', severity: 'warning', area: 'network', title: 'REGISTRY_ONLY egress without an egress NetworkPolicy',
    *run(m) {
      const open = m.workloads.filter((w) => w.sidecar === true && outboundPolicy(m, w).mode === 'REGISTRY_ONLY' && policiesFor(m, w, 'egress').length === 0);
      const bySidecar = new Map<MeshObject, Workload[]>();
      const byMesh: Workload[] = [];
      for (const w of open) {
        const p = outboundPolicy(m, w);
        if (p.source === 'sidecar') addTo(bySidecar, p.sidecar!, w);
        else byMesh.push(w);
      }
      const message = (subject: string, ws: readonly Workload[]) => `${subject} ${listing(ws.map(wref))} to REGISTRY_ONLY, but no NetworkPolicy isolates ${ws.length > 1 ? 'their' : 'its'} egress: REGISTRY_ONLY is not a firewall, and an application that bypasses its sidecar (its own UID 1337, a pod without injection, hostNetwork, excluded ports or CIDRs) reaches any address.`;
      for (const [sidecar, ws] of bySidecar) yield issue(sidecar, message(`${ref(sidecar)} restricts`, ws), `add ${NETPOL_EGRESS_FIX}.`);
      for (const [ns, ws] of byNamespace(byMesh)) {
        for (const o of namespaceTargets(m, ns, ws)) yield issue(o, message(`${ref(o)}: the mesh's outboundTrafficPolicy restricts`, ws), `add ${NETPOL_EGRESS_FIX}.`);
      }
    },
  },
];
