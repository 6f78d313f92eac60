// Kubernetes Gateway API ingress checks (ISTIO.md §10, §14 items 18, 19, 22): references that
// Istio silently drops (a route not attached, a backend or certificate not permitted) and policies
// written for the wrong gateway identity or ports. Sources: gwapi v1.5.1 apis/v1/
// {gateway,httproute,referencegrant}_types.go; istio:pilot/pkg/config/kube/gateway/conversion.go.
// Istio reports these in the objects' status conditions, not through istioctl analyze messages.
import type { MeshModel, MeshObject } from '../model.js';
import {
  attachParent, backendProblem, backendRefsOf, deployedGateway, GATEWAY_API_GROUP, httpRoutes, ingressGateways, listenersOf,
  listenerTlsProblem, parentRefsOf,
} from '../gateway-api.js';
import { parsePrincipal } from '../istio.js';
import { principalValues, rulesOf } from '../policy.js';
import { rec, recs, str, strs } from '../values.js';
import { Check, issue, ref } from './check.js';

/** Each parentRef of each HTTPRoute that does not attach, with the reason; unknown references skipped. */
function* unattached(m: MeshModel, kind: 'missing' | 'namespace' | 'hostname') {
  for (const route of httpRoutes(m)) {
    const parents = parentRefsOf(route);
    for (let i = 0; i < parents.length; i++) {
      const a = attachParent(m, route, parents[i]!);
      if ('listeners' in a || a.unknown) continue;
      const k = a.problem.includes('allowedRoutes') || a.problem.includes('do not admit') ? 'namespace'
        : a.problem.includes('hostname') ? 'hostname' : 'missing';
      if (k === kind) yield { route, index: i, problem: a.problem };
    }
  }
}

/** The Gateway's targetRefs of a policy, in its own namespace. */
function targetedGateways(m: MeshModel, policy: MeshObject): MeshObject[] {
  const refs = [...recs(policy.spec.targetRefs), ...(rec(policy.spec.targetRef) ? [rec(policy.spec.targetRef)!] : [])];
  return ingressGateways(m).filter((g) => g.namespace === policy.namespace
    && refs.some((r) => (str(r.group) ?? '') === GATEWAY_API_GROUP && str(r.kind) === 'Gateway' && str(r.name) === g.name));
}

export const GATEWAY_API_CHECKS: readonly Check[] = [
  {
    code: 'ZT430', severity: 'error', area: 'ingress', title: 'HTTPRoute parent Gateway or listener that does not exist',
    *run(m) {
      for (const { route, index, problem } of unattached(m, 'missing')) {
        yield issue(route, `${ref(route)} parentRefs[${index}]: ${problem}, so the route is attached nowhere and its requests get 404.`,
          'name an existing Gateway (and listener sectionName) in parentRefs, with its namespace when it is not the route\'s.');
      }
    },
  },
  {
    code: 'ZT431', severity: 'error', area: 'ingress', title: 'HTTPRoute refused by the listener\'s allowedRoutes',
    *run(m) {
      for (const { route, index, problem } of unattached(m, 'namespace')) {
        yield issue(route, `${ref(route)} parentRefs[${index}]: ${problem}, so the route is not attached and its requests get 404.`,
          'move the route into the Gateway\'s namespace, or admit its namespace on the listener (allowedRoutes.namespaces from: Selector with that namespace\'s label).');
      }
    },
  },
  {
    code: 'ZT432', severity: 'error', area: 'ingress', title: 'HTTPRoute hostnames match no listener hostname',
    *run(m) {
      for (const { route, index, problem } of unattached(m, 'hostname')) {
        yield issue(route, `${ref(route)} parentRefs[${index}]: ${problem}, so the route is not attached and its requests get 404.`,
          'list the listener\'s hostname in the route\'s hostnames, or correct the listener hostname.');
      }
    },
  },
  {
    code: 'ZT433', severity: 'error', area: 'ingress', title: 'HTTPRoute backend that does not exist or is not permitted',
    *run(m) {
      for (const route of httpRoutes(m)) {
        const rules = recs(route.spec.rules);
        for (let r = 0; r < rules.length; r++) {
          const refs = backendRefsOf(route, rules[r]!);
          for (let b = 0; b < refs.length; b++) {
            const problem = backendProblem(m, route, refs[b]!);
            if (!problem || problem.unknown) continue;
            const fix = problem.problem.includes('ReferenceGrant')
              ? `add a ReferenceGrant in namespace ${refs[b]!.namespace}: from [{group: ${GATEWAY_API_GROUP}, kind: HTTPRoute, namespace: ${route.namespace}}], to [{group: "", kind: Service, name: ${refs[b]!.name}}].`
              : 'name an existing Service of the route\'s namespace (or one a ReferenceGrant permits) and one of its ports.';
            yield issue(route, `${ref(route)} rules[${r}].backendRefs[${b}]: ${problem.problem}; requests sent to it get 500.`, fix);
          }
        }
      }
    },
  },
  {
    code: 'ZT434', severity: 'error', area: 'ingress', title: 'HTTPS listener whose certificate is not usable',
    *run(m) {
      for (const g of m.ofKind('Gateway').filter((x) => x.apiVersion.startsWith(`${GATEWAY_API_GROUP}/`))) {
        for (const listener of listenersOf(g)) {
          const problem = listenerTlsProblem(m, listener);
          if (!problem) continue;
          yield issue(g, `${ref(g)}: ${problem}, so Istio does not create the listener ("Bad TLS configuration") and clients' connections fail.`,
            problem.includes('ReferenceGrant')
              ? `add a ReferenceGrant in the Secret's namespace: from [{group: ${GATEWAY_API_GROUP}, kind: Gateway, namespace: ${g.namespace}}], to [{group: "", kind: Secret, name: <secret>}], or move the Secret into namespace ${g.namespace}.`
              : 'set tls.certificateRefs to the TLS Secret (a core Secret, in the Gateway\'s namespace unless a ReferenceGrant permits another).');
        }
      }
    },
  },
  {
    code: 'ZT435', severity: 'warning', area: 'ingress', title: 'Policy names a Gateway API gateway by the wrong ServiceAccount',
    *run(m) {
      for (const ap of m.ofKind('AuthorizationPolicy')) for (const rule of rulesOf(ap)) for (const p of new Set(principalValues(rule))) {
        const id = parsePrincipal(p);
        if (!id) continue;
        const g = ingressGateways(m).find((x) => x.namespace === id.namespace && x.name === id.serviceAccount);
        if (!g) continue;
        const sa = deployedGateway(g).serviceAccount;
        if (sa === id.serviceAccount || m.serviceAccountsIn(id.namespace).includes(id.serviceAccount)) continue;
        yield issue(ap, `${ref(ap)} rules[${rule.index}]: principal "${p}" names the Gateway ${g.namespace}/${g.name} itself, but the gateway Istio deploys for it runs as ServiceAccount "${sa}"; the rule matches nobody.`,
          `write "${id.trustDomain}/ns/${id.namespace}/sa/${sa}" (istio.io, "Kubernetes Gateway API" task; docs/gateway-api.md).`);
      }
    },
  },
  {
    code: 'ZT436', severity: 'warning', area: 'ingress', title: 'Gateway policy ports that are no listener port',
    *run(m) {
      for (const ap of m.ofKind('AuthorizationPolicy')) {
        const gateways = targetedGateways(m, ap);
        if (gateways.length === 0) continue;
        const ports = new Set(gateways.flatMap((g) => listenersOf(g).map((l) => String(l.port))));
        for (const rule of rulesOf(ap)) {
          const stray = [...new Set(rule.operations.flatMap((o) => strs(o.ports)))].filter((p) => !ports.has(p));
          if (stray.length === 0) continue;
          yield issue(ap, `${ref(ap)} rules[${rule.index}]: ports ${stray.join(', ')} are not listener ports of ${gateways.map((g) => `Gateway ${g.namespace}/${g.name}`).join(', ')} (${[...ports].join(', ')}); the gateway's Service maps each listener port to the same container port, so the rule never matches there.`,
            `use the listener ports (${[...ports].join(', ')}).`);
        }
      }
    },
  },
];
