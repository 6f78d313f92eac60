import type { MeshModel, MeshObject, Workload } from '../model.js';
import { actionOf } from '../policy.js';
import { listing } from '../values.js';
import { targetRefsOf, unboundText, USE_WAYPOINT, USE_WAYPOINT_NAMESPACE, WAYPOINT_CLASS, WAYPOINT_FOR, Waypoint, waypointsOf } from '../waypoints.js';
import { l7FieldsByRule, neverFires, toZtunnelPolicy, ztunnelPoliciesFor, ztunnelRuleMatches } from '../ztunnel.js';
import { Check, issue, ref } from './check.js';

/**
 * Ambient mode (ZT71x): what ztunnel and waypoints do with policies written for sidecars, and
 * bindings that silently route around a waypoint (ISTIO.md §9, candidate checks of §14). Each
 * protects against a silent failure: a policy that denies everything, one enforced nowhere, a
 * waypoint the traffic never reaches.
 */

const AUTHORIZATION_DOC = 'https://istio.io/latest/docs/ambient/usage/l4-policy/';
const WAYPOINT_DOC = 'https://istio.io/latest/docs/ambient/usage/waypoint/';

/** Enforced selector AuthorizationPolicies and the ambient workloads ztunnel attaches them to. */
function* ztunnelAttachments(m: MeshModel): Iterable<{ policy: MeshObject; ambient: Workload[] }> {
  for (const policy of m.ofKind('AuthorizationPolicy')) {
    if (m.isDryRun(policy) || !toZtunnelPolicy(m, policy)) continue;
    const ambient = m.selectedWorkloads(policy).filter((w) => w.ambient);
    if (ambient.length > 0) yield { policy, ambient };
  }
}

const names = (ws: readonly Workload[]) => listing(ws.map((w) => `${w.namespace}/${w.name}`));

/** Whether one of the workloads' Services (or the pod itself) is bound to a waypoint. */
function hasWaypoint(m: MeshModel, w: Workload): boolean {
  const wps = waypointsOf(m);
  return wps.forWorkload(w).bound || m.servicesOf(w).some((s) => wps.forService(s).bound);
}

function l7Text(fields: ReadonlyMap<number, readonly string[]>, indexes: readonly number[]): string {
  return indexes.map((i) => `rules[${i}] (${fields.get(i)!.join(', ')})`).join(', ');
}

export const AMBIENT_CHECKS: readonly Check[] = [
  {
    code: 'ZT711', severity: 'error', area: 'ambient', title: 'L7 fields in a selector ALLOW on ambient workloads',
    *run(m) {
      for (const { policy, ambient } of ztunnelAttachments(m)) {
        if (actionOf(policy) !== 'ALLOW') continue;
        const l7 = l7FieldsByRule(policy);
        if (l7.size === 0) continue;
        const all = l7.size === (Array.isArray(policy.spec.rules) ? policy.spec.rules.length : 0);
        const withWaypoint = ambient.some((w) => hasWaypoint(m, w));
        yield issue(policy, `${ref(policy)} applies at ztunnel to the ambient workload(s) ${names(ambient)}, which cannot enforce L7 attributes: it drops ${l7Text(l7, [...l7.keys()])} whole${all ? ', so the policy allows nothing there and those workloads refuse every connection no other ALLOW admits' : ', so those grants never match'}.`,
          `${withWaypoint ? 'move' : 'bind a waypoint (Gateway of class istio-waypoint, istio.io/use-waypoint on the Service or Namespace) and move'} the L7 conditions to an AuthorizationPolicy with targetRefs to the Service; keep only principals, namespaces, ipBlocks and ports in the selector policy (${AUTHORIZATION_DOC}).`);
      }
    },
  },
  {
    code: 'ZT712', severity: 'error', area: 'ambient', title: 'Selector DENY on ambient workloads that ztunnel never fires',
    *run(m) {
      for (const { policy, ambient } of ztunnelAttachments(m)) {
        const z = toZtunnelPolicy(m, policy);
        if (!z || z.action !== 'DENY') continue;
        const dead = z.rules.filter((r) => z.l7.has(r.index) && neverFires(r)).map((r) => r.index);
        if (dead.length === 0) continue;
        yield issue(policy, `${ref(policy)} applies at ztunnel to the ambient workload(s) ${names(ambient)}; ztunnel leaves out L7 attributes, which empties a condition of ${l7Text(z.l7, dead)}, so ${dead.length > 1 ? 'those rules never deny' : 'that rule never denies'} anything there: the denial fails open (1.30's status message says "more restrictive", which is wrong for this shape).`,
          `enforce it at a waypoint: an AuthorizationPolicy with targetRefs to the Service, the Service bound to a waypoint, and an L4 policy on the pods admitting only the waypoint (${WAYPOINT_DOC}).`);
      }
    },
  },
  {
    code: 'ZT713', severity: 'warning', area: 'ambient', title: 'Selector DENY on ambient workloads widened by ztunnel',
    *run(m) {
      for (const { policy, ambient } of ztunnelAttachments(m)) {
        const z = toZtunnelPolicy(m, policy);
        if (!z || z.action !== 'DENY') continue;
        const wide = z.rules.filter((r) => z.l7.has(r.index) && !neverFires(r)).map((r) => r.index);
        if (wide.length === 0) continue;
        yield issue(policy, `${ref(policy)} applies at ztunnel to the ambient workload(s) ${names(ambient)}; ztunnel leaves out the L7 attributes of ${l7Text(z.l7, wide)} and denies on the rest, so it refuses more than written (every request matching its L4 conditions).`,
          `move the L7 conditions to a waypoint policy (targetRefs to the Service), keeping the L4-only denial here if intended (${AUTHORIZATION_DOC}).`);
      }
    },
  },
  {
    code: 'ZT714', severity: 'error', area: 'ambient', title: 'targetRefs to a Service with no bound waypoint',
    *run(m) {
      const wps = waypointsOf(m);
      for (const kind of ['AuthorizationPolicy', 'RequestAuthentication']) for (const policy of m.ofKind(kind)) {
        const ns = policy.namespace ?? 'default';
        for (const t of targetRefsOf(policy)) {
          const service = (t.group === '' || t.group === 'core') && t.kind === 'Service';
          const entry = t.group === 'networking.istio.io' && t.kind === 'ServiceEntry';
          if ((!service && !entry) || t.namespace !== undefined) continue;
          const target = m.ofKind(t.kind).find((o) => o.namespace === ns && o.name === t.name);
          if (!target) {
            if (!m.covers(ns, [t.kind])) continue;
            yield issue(policy, `${ref(policy)} targets ${t.kind} ${ns}/${t.name}, which is not in namespace ${ns} (a targetRefs policy must live in its target's namespace): it applies nowhere.`,
              `name an existing ${t.kind} of namespace ${ns}, or move the policy to the target's namespace.`);
            continue;
          }
          const binding = wps.forService(target);
          if (binding.bound) continue;
          yield issue(policy, `${ref(policy)} targets ${t.kind} ${ns}/${t.name}, which no waypoint serves (${unboundText(binding.reason)}): only waypoints read targetRefs to a ${t.kind}, and ztunnel ignores the policy, so it is enforced nowhere and the traffic it should ${actionOf(policy) === 'DENY' ? 'deny passes' : 'restrict is not restricted'} (istio.io/WaypointBound=False, AncestorNotBound).`,
            `declare a waypoint (Gateway of class ${WAYPOINT_CLASS}, istio.io/waypoint-for: service) and label the ${t.kind} or namespace ${USE_WAYPOINT}=<waypoint> (${WAYPOINT_DOC}).`);
        }
      }
    },
  },
  {
    code: 'ZT715', severity: 'error', area: 'ambient', title: 'istio.io/use-waypoint binding that does not bind',
    *run(m) {
      const wps = waypointsOf(m);
      // Namespaces: the waypoint they name must exist, listen for HBONE on 15008 and admit them.
      for (const ns of m.namespaces.values()) {
        const name = ns.labels[USE_WAYPOINT];
        if (name === undefined || name === 'none') continue;
        const where = ns.labels[USE_WAYPOINT_NAMESPACE] ?? ns.name;
        const problem = refProblem(m, wps.find(where, name), where, name, ns.name);
        if (problem) yield issue(ns, `Namespace ${ns.name} is labelled ${USE_WAYPOINT}=${name}, but ${problem}: its traffic goes direct, so no L7 policy is enforced.`, fixFor(where, name));
      }
      // Services and ServiceEntries: their own label, or a namespace waypoint of the wrong traffic type.
      for (const o of [...m.ofKind('Service'), ...m.ofKind('ServiceEntry')]) {
        const own = o.labels[USE_WAYPOINT];
        if (own === 'none') continue;
        const binding = wps.forService(o);
        if (binding.bound || binding.reason.kind === 'unlabelled' || binding.reason.kind === 'opted-out') continue;
        if (own === undefined && binding.reason.kind !== 'UnsupportedTrafficType') continue; // reported on the Namespace
        if (binding.reason.kind === 'WaypointIsNotReady' && !m.covers(binding.reason.ref.split('/')[0]!, ['Gateway'])) continue;
        const fix = binding.reason.kind === 'UnsupportedTrafficType'
          ? `let waypoint ${binding.reason.waypoint.namespace}/${binding.reason.waypoint.name} serve Services (${WAYPOINT_FOR}: service or all), or label ${ref(o)} ${USE_WAYPOINT} with a waypoint that does (${WAYPOINT_DOC}).`
          : fixFor(o.labels[USE_WAYPOINT_NAMESPACE] ?? o.namespace ?? 'default', own ?? '');
        yield issue(o, `${ref(o)} does not bind to a waypoint (${unboundText(binding.reason)}): its traffic goes direct, so no L7 policy is enforced.`, fix);
      }
      // Pods with their own label (an inherited service-only waypoint is silently none for pods: by design).
      for (const w of m.workloads) {
        const own = w.podLabels[USE_WAYPOINT];
        if (own === undefined || own === 'none') continue;
        const binding = wps.forWorkload(w);
        if (binding.bound || binding.reason.kind === 'unlabelled' || binding.reason.kind === 'opted-out') continue;
        if (binding.reason.kind === 'WaypointIsNotReady' && !m.covers(binding.reason.ref.split('/')[0]!, ['Gateway'])) continue;
        yield issue(w.object, `${ref(w.object)}'s pods are labelled ${USE_WAYPOINT}=${own} but do not bind (${unboundText(binding.reason)}): traffic to the pods goes direct.`, fixFor(w.podLabels[USE_WAYPOINT_NAMESPACE] ?? w.namespace, own));
      }
    },
  },
  {
    code: 'ZT716', severity: 'error', area: 'ambient', title: 'L4 ALLOW behind a waypoint omits the waypoint\'s identity',
    *run(m) {
      const wps = waypointsOf(m);
      for (const w of m.workloads) {
        if (!w.ambient) continue;
        const allows = ztunnelPoliciesFor(m, w).policies.filter((p) => p.action === 'ALLOW');
        if (allows.length === 0) continue;
        // The waypoints in front of the pods, with the container ports their traffic arrives on.
        const fronts = new Map<Waypoint, Set<number>>();
        const own = wps.forWorkload(w);
        if (own.bound) fronts.set(own.waypoint, new Set(m.inboundPorts(w)));
        for (const s of m.servicesOf(w)) {
          const b = wps.forService(s);
          if (!b.bound) continue;
          const ports = fronts.get(b.waypoint) ?? new Set<number>();
          for (const p of s.ports) { const t = m.targetPort(p, w); if (t !== undefined) ports.add(t); }
          fronts.set(b.waypoint, ports);
        }
        for (const [waypoint, ports] of fronts) {
          const peer = { trustDomain: m.trustDomain, namespace: waypoint.namespace, serviceAccount: waypoint.serviceAccount };
          const closed = [...ports].sort((a, b) => a - b).filter((port) => !allows.some((p) => p.rules.some((r) => ztunnelRuleMatches(r, { peer, port }))));
          if (closed.length === 0) continue;
          const principal = `${m.trustDomain}/ns/${waypoint.namespace}/sa/${waypoint.serviceAccount}`;
          yield issue(w.object, `${ref(w.object)} is ambient and behind waypoint ${waypoint.namespace}/${waypoint.name}, which calls it as ${principal}; no rule of its L4 ALLOW policies (${listing(allows.map((p) => p.label))}) admits that identity on port(s) ${closed.join(', ')}, so ztunnel closes every request that goes through the waypoint.`,
            `add "${principal}" to the principals of the selector ALLOW on its pods (the require-waypoint pattern: ${WAYPOINT_DOC}#require-waypoint), or set PILOT_AUTO_ALLOW_WAYPOINT_POLICY=true on istiod.`);
        }
      }
    },
  },
  {
    code: 'ZT717', severity: 'error', area: 'ambient', title: 'targetRefs that attach to no waypoint or gateway',
    *run(m) {
      for (const kind of ['AuthorizationPolicy', 'RequestAuthentication']) for (const policy of m.ofKind(kind)) {
        const ns = policy.namespace ?? 'default';
        for (const t of targetRefsOf(policy)) {
          if (t.group !== 'gateway.networking.k8s.io' || t.namespace !== undefined) continue;
          if (t.kind === 'GatewayClass') {
            if (t.name !== WAYPOINT_CLASS) {
              yield issue(policy, `${ref(policy)} targets GatewayClass ${t.name}; only the class ${WAYPOINT_CLASS} takes policies (every waypoint), so it applies nowhere.`,
                `target GatewayClass ${WAYPOINT_CLASS} from the root namespace, or the Gateway itself.`);
            } else if (ns !== m.rootNamespace) {
              yield issue(policy, `${ref(policy)} targets GatewayClass ${WAYPOINT_CLASS} from namespace ${ns}; such policies count only in the root namespace (${m.rootNamespace}), so it applies nowhere.`,
                `move it to namespace ${m.rootNamespace}.`);
            }
          } else if (t.kind === 'Gateway') {
            const exists = m.ofKind('Gateway').some((g) => g.apiVersion.startsWith('gateway.networking.k8s.io/') && g.namespace === ns && g.name === t.name);
            if (exists || !m.covers(ns, ['Gateway'])) continue;
            yield issue(policy, `${ref(policy)} targets Gateway ${ns}/${t.name}, which is not a Gateway API Gateway of namespace ${ns} (a targetRefs policy must live in its Gateway's namespace): it applies nowhere.`,
              `name an existing Gateway of namespace ${ns}, or move the policy to the Gateway's namespace.`);
          }
        }
      }
    },
  },
  {
    code: 'ZT718', severity: 'warning', area: 'ambient', title: 'Waypoint L7 policy without a require-waypoint L4 policy',
    *run(m) {
      const wps = waypointsOf(m);
      for (const service of m.services) {
        const binding = wps.forService(service);
        if (!binding.bound) continue;
        const l7 = wps.policiesAt('AuthorizationPolicy', binding.waypoint, service.object).filter((p) => actionOf(p) === 'ALLOW' || actionOf(p) === 'DENY');
        if (l7.length === 0) continue;
        const open = m.workloadsOf(service).filter((w) => w.ambient && !ztunnelPoliciesFor(m, w).policies.some((p) => p.action === 'ALLOW'));
        if (open.length === 0) continue;
        const principal = `${m.trustDomain}/ns/${binding.waypoint.namespace}/sa/${binding.waypoint.serviceAccount}`;
        yield issue(service.object, `${ref(service.object)} is behind waypoint ${binding.waypoint.namespace}/${binding.waypoint.name}, whose policies (${listing(l7.map((p) => `${p.namespace}/${p.name}`))}) apply only to traffic that goes through it; its pods ${names(open)} have no L4 ALLOW at ztunnel, so a caller dialling a pod IP, a sidecar caller or an ingress gateway without istio.io/ingress-use-waypoint reaches them without those policies.`,
          `add a selector ALLOW on the pods admitting only "${principal}" (and the L4 peers that must bypass it), or set PILOT_AUTO_ALLOW_WAYPOINT_POLICY=true (${WAYPOINT_DOC}#require-waypoint).`);
      }
    },
  },
];

function refProblem(m: MeshModel, waypoint: Waypoint | undefined, ns: string, name: string, from: string): string | undefined {
  if (!waypoint) return m.covers(ns, ['Gateway']) ? `there is no waypoint ${ns}/${name} (a Gateway of class ${WAYPOINT_CLASS})` : undefined;
  if (waypoint.listenerProblems.length > 0) return `waypoint ${ns}/${name} ${waypoint.listenerProblems.join('; ')}, so it is never ready`;
  if (!waypointsOf(m).admits(waypoint, from)) return `waypoint ${ns}/${name}'s HBONE listener allowedRoutes (default Same) do not admit namespace ${from} (AttachmentDenied)`;
  return undefined;
}

function fixFor(ns: string, name: string): string {
  return `declare the waypoint ${ns}/${name} (Gateway of class ${WAYPOINT_CLASS}, one HBONE listener on 15008, istio.io/waypoint-for matching the traffic, allowedRoutes admitting the bound namespaces), or correct the label (${WAYPOINT_DOC}).`;
}
