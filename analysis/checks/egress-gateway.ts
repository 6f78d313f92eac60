// Egress gateway checks (ZT757–ZT758, area `network`): a gateway that external calls are routed
// through can only tell its callers apart when the sidecar → gateway hop is Istio mTLS that the
// gateway terminates: `tls.mode: ISTIO_MUTUAL` on the Gateway server, and a DestinationRule
// `ISTIO_MUTUAL` for the gateway's Service on the callers' side, because gateway pods carry no
// `security.istio.io/tlsMode` label and auto mTLS sends them plaintext. Sources: ISTIO.md §11.4;
// https://istio.io/latest/docs/tasks/traffic-management/egress/egress-gateway/.
import { destinationRuleTls, egressGatewayPods, egressGatewayRoutes, serverTlsMode } from '../egress-gateway.js';
import { exportedTo } from '../model.js';
import { actionOf, rulesOf } from '../policy.js';
import { listing, strs } from '../values.js';
import { Check, issue, ref } from './check.js';

/** Source fields that only Istio mTLS fills (istio.io, "Authorization Policy" reference: Source). */
const IDENTITY_FIELDS = ['principals', 'notPrincipals', 'namespaces', 'notNamespaces'] as const;

export const EGRESS_GATEWAY_CHECKS: readonly Check[] = [
  {
    code: 'ZT757', severity: 'error', area: 'network', title: 'Egress gateway policy by identity where the gateway sees none',
    *run(m) {
      const reported = new Set<string>();
      for (const { host, route } of egressGatewayRoutes(m)) {
        const mode = serverTlsMode(route.server);
        if (!route.server || mode === 'ISTIO_MUTUAL') continue;
        for (const ap of m.authorizationPoliciesFor(egressGatewayPods(route))) {
          const action = actionOf(ap);
          if (action !== 'ALLOW' && action !== 'DENY') continue;
          const rules = rulesOf(ap).filter((r) => r.sources.some((s) => IDENTITY_FIELDS.some((f) => strs(s[f]).length > 0)));
          const key = `${ap.namespace}/${ap.name}@${route.gateway.namespace}/${route.gateway.name}`;
          if (rules.length === 0 || reported.has(key)) continue;
          reported.add(key);
          const effect = action === 'ALLOW' ? 'so they never match and every call through that server is denied' : 'so they never match and the DENY never applies';
          yield issue(ap, `${ref(ap)} applies to egress gateway ${route.serviceNamespace}/${route.serviceName}, where ${host} arrives on Gateway ${route.gateway.namespace}/${route.gateway.name} port ${route.port} with tls.mode ${mode ?? 'none'}: the gateway does not terminate Istio mTLS there and sees no peer identity, and ${listing(rules.map((r) => `rules[${r.index}]`))} name callers by principal or namespace, ${effect}.`,
            'set tls.mode ISTIO_MUTUAL on the Gateway server and a DestinationRule ISTIO_MUTUAL (sni: the host) for the gateway\'s Service on the callers\' side (https://istio.io/latest/docs/tasks/traffic-management/egress/egress-gateway/), or match on connection.sni alone.');
        }
      }
    },
  },
  {
    code: 'ZT758', severity: 'warning', area: 'network', title: 'Route to an ISTIO_MUTUAL egress gateway without Istio mTLS from the callers',
    *run(m) {
      for (const { host, route } of egressGatewayRoutes(m)) {
        if (serverTlsMode(route.server) !== 'ISTIO_MUTUAL') continue;
        const vs = route.virtualService;
        const owner = vs.namespace ?? 'default';
        const named = strs(vs.spec.exportTo).filter((e) => !['*', '.', '~'].includes(e));
        const clients = [...new Set([owner, ...named])].filter((ns) => exportedTo(strs(vs.spec.exportTo), owner, ns)).sort();
        const fqdn = `${route.serviceName}.${route.serviceNamespace}.svc.cluster.local`;
        const plaintext = clients.filter((ns) => destinationRuleTls(m, ns, fqdn, route.serviceNamespace, route.port, route.subset)?.mode !== 'ISTIO_MUTUAL');
        if (plaintext.length === 0) continue;
        yield issue(vs, `${ref(vs)} sends ${host} to egress gateway ${fqdn}:${route.port}, whose Gateway ${route.gateway.namespace}/${route.gateway.name} server expects Istio mTLS (ISTIO_MUTUAL), but sidecars in ${listing(plaintext)} have no DestinationRule ISTIO_MUTUAL for it: auto mTLS sends plaintext to gateway pods, the handshake fails and ${host} is unreachable from there.`,
          `add a DestinationRule for ${fqdn}${route.subset ? ` (subset ${route.subset})` : ''} with tls.mode ISTIO_MUTUAL and sni ${host}, visible in those namespaces.`);
      }
    },
  },
];
