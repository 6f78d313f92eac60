// Gateway and VirtualService checks. Sources: api:networking/v1alpha3/gateway.proto and
// virtual_service.proto (https://istio.io/latest/docs/reference/config/networking/);
// istio:pkg/config/validation/validation.go ValidateGateway, validateServer, ValidateVirtualService;
// istio:pkg/config/analysis/analyzers/{gateway,virtualservice}/; kiali:business/checkers/.
import { X509Certificate } from 'node:crypto';
import type { MeshModel, MeshObject } from '../model.js';
import { exportedTo, exportedTogether, gatewayRef, hostMatches } from '../model.js';
import { isSubset, labelMap, listing, quoted, rec, recs, str, strs } from '../values.js';
import { Check, Issue, issue, ref } from './check.js';

const istioGateways = (m: MeshModel) => m.ofKind('Gateway').filter((g) => g.apiVersion.startsWith('networking.istio.io/'));
const virtualServices = (m: MeshModel) => m.ofKind('VirtualService');

/**
 * Whether the input covers `kinds` in the namespace a route's host points into (for an external
 * host, the route's own): only then can a missing Service, ServiceEntry or subset be told from one
 * that is in the cluster but not in these manifests.
 */
function referencesCovered(m: MeshModel, host: string, namespace: string, kinds: readonly string[]): boolean {
  const serviceNamespace = m.namespaceOfHost(host, namespace);
  // A Kubernetes Service name is defined by a Service: ServiceEntries kept beside it (egress hosts
  // next to a Helm-installed egress gateway) say nothing of whether the Services are in the input.
  return m.covers(serviceNamespace ?? namespace, serviceNamespace !== undefined ? kinds.filter((k) => k !== 'ServiceEntry') : kinds);
}
const HOST_KINDS = ['Service', 'ServiceEntry'];

/**
 * A host as Istio resolves it: a name without a dot is a Service of the object's namespace, so
 * `reviews` in `default` is `reviews.default.svc.cluster.local` (istio:pkg/config/host
 * ResolveShortnameToFQDN); any other name is taken as written.
 */
function qualifiedHost(host: string, namespace: string): string {
  return host.includes('.') || host.includes('*') ? host : `${host}.${namespace}.svc.cluster.local`;
}
const servers = (g: MeshObject) => recs(g.spec.servers);
/** Server protocols of the HTTP family, and the others that are neither HTTP nor TLS (istio:pkg/config/protocol). */
const PLAIN_HTTP = ['HTTP', 'HTTP2', 'HTTP_PROXY', 'GRPC', 'GRPC-WEB'];
const NOT_HTTP = ['TCP', 'UDP', 'MONGO', 'REDIS', 'MYSQL'];
/** Every protocol a Gateway server may name (istio:pkg/config/protocol Parse, upper-cased). */
const SERVER_PROTOCOLS = [...PLAIN_HTTP, 'HTTPS', 'TLS', ...NOT_HTTP];

/** Every gateway a VS names, top level and in http match blocks. */
function gatewayEntries(vs: MeshObject): string[] {
  return [...new Set([...strs(vs.spec.gateways), ...recs(vs.spec.http).flatMap((h) => recs(h.match).flatMap((mm) => strs(mm.gateways)))])];
}

/** True when the VS applies to sidecars: no gateways, or `mesh` among them. */
function meshBound(vs: MeshObject): boolean {
  const g = strs(vs.spec.gateways);
  return g.length === 0 || g.includes('mesh');
}

/** Every route destination of a VS with where it sits. */
export function destinations(vs: MeshObject): { where: string; d: Record<string, unknown> }[] {
  const out: { where: string; d: Record<string, unknown> }[] = [];
  for (const kind of ['http', 'tcp', 'tls'] as const) {
    recs(vs.spec[kind]).forEach((route, i) => {
      recs(route.route).forEach((r, j) => { const d = rec(r.destination); if (d) out.push({ where: `${kind}[${i}].route[${j}]`, d }); });
      const mirror = rec(route.mirror);
      if (mirror) out.push({ where: `${kind}[${i}].mirror`, d: mirror });
    });
  }
  return out;
}

export const INGRESS_CHECKS: readonly Check[] = [
  {
    code: 'ZT401', severity: 'info', area: 'ingress', istio: ['IST0101'], title: 'Gateway selector matches no workload in the manifests',
    *run(m) {
      for (const g of istioGateways(m)) {
        const selector = labelMap(g.spec.selector) ?? {};
        if (m.workloads.some((w) => isSubset(selector, w.podLabels))) continue;
        yield issue(g, `${ref(g)} selects gateway pods ${JSON.stringify(selector)}, which none of the analyzed manifests creates; it works only if such a gateway is installed separately (e.g. by Istio's Helm gateway chart).`,
          'make sure a gateway with these pod labels is installed, or correct the selector.');
      }
    },
  },
  {
    code: 'ZT402', severity: 'error', area: 'ingress', istio: ['IST0106'], title: 'Gateway the webhook rejects',
    *run(m) {
      for (const g of istioGateways(m)) {
        const problems: string[] = [];
        if (g.name.includes('.')) problems.push(`the name "${g.name}" contains a dot; Gateway names must be DNS-1123 labels`);
        if (servers(g).length === 0) problems.push('it has no servers');
        const portNames = new Map<string, number>();
        servers(g).forEach((s, i) => {
          const port = rec(s.port) ?? {};
          const protocol = (str(port.protocol) ?? '').toUpperCase();
          const tls = rec(s.tls);
          if (strs(s.hosts).length === 0) problems.push(`servers[${i}] has no hosts`);
          // istio:pkg/config/validation validateServerPort: a number that is a port, a protocol
          // Istio parses (pkg/config/protocol Parse, any case), and a name.
          if (typeof port.number !== 'number') problems.push(`servers[${i}].port has no number`);
          else if (!Number.isInteger(port.number) || port.number < 1 || port.number > 65535) problems.push(`servers[${i}].port.number ${port.number} is not a port (1-65535)`);
          if (!protocol) problems.push(`servers[${i}].port has no protocol`);
          else if (!SERVER_PROTOCOLS.includes(protocol)) problems.push(`servers[${i}].port.protocol "${str(port.protocol)}" is not one Istio knows (${SERVER_PROTOCOLS.join(', ')})`);
          const name = str(port.name);
          if (name) portNames.set(name, (portNames.get(name) ?? 0) + 1);
          else problems.push(`servers[${i}].port has no name`);
          const terminating = protocol === 'HTTPS' || protocol === 'TLS';
          if (terminating && !tls) problems.push(`servers[${i}] is ${protocol} without a tls block`);
          const mode = str(tls?.mode);
          if (tls && !terminating) {
            // Only HTTPS and TLS servers terminate TLS. A plain HTTP server may carry a tls block to
            // redirect, in a mode that passes TLS through and without certificate files; other
            // protocols may carry none (istio:pkg/config/validation validateServer,
            // istio:pkg/config/gateway IsPassThroughServer).
            const passing = mode === undefined || mode === 'PASSTHROUGH' || mode === 'AUTO_PASSTHROUGH';
            const files = ['serverCertificate', 'privateKey', 'caCertificates'].filter((k) => str(tls[k]));
            if (PLAIN_HTTP.includes(protocol) && (!passing || files.length > 0)) {
              problems.push(`servers[${i}] is plain ${protocol}, where a tls block may only redirect (httpsRedirect), but it sets ${passing ? listing(files) : `mode ${mode}`}`);
            } else if (NOT_HTTP.includes(protocol)) {
              problems.push(`servers[${i}] is ${protocol} but has a tls block; only HTTPS and TLS servers terminate TLS`);
            }
          }
          // SIMPLE, MUTUAL and OPTIONAL_MUTUAL terminate TLS with the gateway's own certificate: a
          // Secret (credentialName, or credentialNames for an RSA and an ECDSA one), or files, each
          // certificate with its key, and for client certificates a CA bundle. A tls block without a
          // mode is PASSTHROUGH, the enum's zero value, which needs none (istio:pkg/config/validation
          // validateTLSOptions; istio.io, Gateway reference: ServerTLSSettings).
          if ((mode === 'SIMPLE' || mode === 'MUTUAL' || mode === 'OPTIONAL_MUTUAL') && secretNamesOf(tls).length === 0) {
            const pairs = recs(tls?.tlsCertificates);
            if ((pairs.length > 0 ? pairs : [tls!]).some((c) => !str(c.serverCertificate) || !str(c.privateKey))) {
              problems.push(`servers[${i}] terminates TLS (${mode}) without credentialName, or serverCertificate and privateKey`);
            }
            if (mode !== 'SIMPLE' && !str(tls?.caCertificates)) problems.push(`servers[${i}] asks for client certificates (${mode}) without credentialName or caCertificates`);
          }
        });
        for (const [name, n] of portNames) if (n > 1) problems.push(`port name "${name}" is used by ${n} servers; port names must be unique`);
        for (const p of problems) {
          yield issue(g, `${ref(g)}: ${p}. Istio rejects the Gateway, so nothing is exposed.`,
            'correct it as the Gateway reference describes; `istioctl validate -f` shows the same error.');
        }
      }
    },
  },
  {
    code: 'ZT403', severity: 'warning', area: 'ingress', title: 'Gateway accepts any host',
    *run(m) {
      for (const g of istioGateways(m)) {
        const wild = servers(g).flatMap((s) => strs(s.hosts)).filter((h) => h === '*' || h.endsWith('/*'));
        if (wild.length === 0) continue;
        yield issue(g, `${ref(g)} serves host ${quoted([...new Set(wild)])}: any Host header is accepted, exposing routes under names nobody reviewed.`,
          'list the exact hosts, ideally as "<namespace>/<host>" so only that namespace\'s VirtualServices can bind.');
      }
    },
  },
  {
    code: 'ZT404', severity: 'error', area: 'ingress', title: 'Plain HTTP ingress without redirect to HTTPS',
    acknowledgement: 'plaintext-ingress',
    *run(m) {
      for (const g of istioGateways(m)) {
        const plain = servers(g).filter((s) => ['HTTP', 'HTTP2'].includes((str(rec(s.port)?.protocol) ?? '').toUpperCase()) && rec(s.tls)?.httpsRedirect !== true);
        if (plain.length === 0) continue;
        yield issue(g, `${ref(g)} serves ${listing(plain.map((s) => `port ${String(rec(s.port)?.number ?? '?')}`))} as plain HTTP without redirecting to HTTPS: requests, cookies and bearer tokens cross the network in cleartext.`,
          'add an HTTPS server (tls.mode SIMPLE with credentialName) and set tls.httpsRedirect: true on the HTTP server; if TLS ends before the gateway, acknowledge it with the annotation zero-trust-mesh.io/acknowledged-plaintext-ingress: "<reason>".');
      }
    },
  },
  {
    code: 'ZT405', severity: 'error', area: 'ingress', istio: ['IST0101'], title: 'Gateway TLS Secret missing where the gateway pods run',
    *run(m) {
      const secrets = m.ofKind('Secret');
      for (const g of istioGateways(m)) {
        const selector = labelMap(g.spec.selector) ?? {};
        const podNamespaces = [...new Set(m.workloads.filter((w) => isSubset(selector, w.podLabels)).map((w) => w.namespace))];
        // Judged only where the input holds Secrets (or the Gateway's copy shows the mistake):
        // certificates are often issued in the cluster (cert-manager) and never in Git.
        for (const s of servers(g)) for (const credential of secretNamesOf(rec(s.tls))) {
          if (credential.includes('://')) continue;
          const where = secrets.filter((x) => x.name === credential).map((x) => x.namespace!);
          const missing = podNamespaces.filter((ns) => !where.includes(ns));
          if (missing.length === 0) continue;
          if (where.includes(g.namespace!) && !podNamespaces.includes(g.namespace!)) {
            yield issue(g, `${ref(g)} uses credentialName "${credential}", a Secret that exists in ${g.namespace}, but the gateway pods run in ${listing(missing)}, where istiod looks it up: TLS on this server fails.`,
              `create the Secret "${credential}" in ${listing(missing)}.`);
          } else if (missing.some((ns) => m.covers(ns, ['Secret']))) {
            yield issue(g, `${ref(g)} uses credentialName "${credential}", but no such Secret is in ${listing(missing)}, where its gateway pods run and istiod looks it up: TLS on this server fails.`,
              `create the Secret "${credential}" (type kubernetes.io/tls) in ${listing(missing)}, or correct the name.`);
          }
        }
      }
    },
  },
  {
    code: 'ZT406', severity: 'error', area: 'ingress', istio: ['IST0145'], title: 'Gateways conflict on selector, port and host',
    *run(m) {
      const gws = istioGateways(m);
      for (const g of gws) for (const other of gws) {
        if (g === other) continue;
        // The same gateway pods: equal selectors, or different ones that select a pod in common.
        const [mine, theirs] = [labelMap(g.spec.selector) ?? {}, labelMap(other.spec.selector) ?? {}];
        const sameSelector = JSON.stringify(Object.entries(mine).sort()) === JSON.stringify(Object.entries(theirs).sort());
        if (!sameSelector && !m.workloads.some((w) => isSubset(mine, w.podLabels) && isSubset(theirs, w.podLabels))) continue;
        for (const s of servers(g)) for (const o of servers(other)) {
          if (rec(s.port)?.number === undefined || rec(s.port)?.number !== rec(o.port)?.number) continue;
          const bare = (h: string) => h.split('/').pop()!;
          const overlap = strs(s.hosts).map(bare).filter((h) => strs(o.hosts).map(bare).some((x) => hostMatches(h, x)));
          if (overlap.length === 0) continue;
          yield issue(g, `${ref(g)} and ${ref(other)} select the same gateway pods and both serve port ${String(rec(s.port)?.number)} for ${quoted([...new Set(overlap)])}; Istio keeps only one of the conflicting servers.`,
            'serve each host and port from one Gateway, or give the Gateways different selectors.');
        }
      }
    },
  },
  {
    code: 'ZT407', severity: 'warning', area: 'ingress', istio: ['IST0138'], title: 'One certificate on several Gateways of the same pods',
    *run(m) {
      // istioctl IST0138 GatewayDuplicateCertificate: clients that reuse an HTTP/2 connection for
      // another host on the same certificate land on the wrong server and get 404.
      const gws = istioGateways(m);
      for (const g of gws) {
        const mine = new Set(servers(g).flatMap((sv) => certificatesOf(rec(sv.tls))));
        if (mine.size === 0) continue;
        const selector = labelMap(g.spec.selector) ?? {};
        for (const other of gws) {
          if (other === g) continue;
          const theirs = servers(other).flatMap((sv) => certificatesOf(rec(sv.tls))).filter((c) => mine.has(c));
          if (theirs.length === 0 || !isSubset(selector, labelMap(other.spec.selector) ?? {})) continue;
          yield issue(g, `${ref(g)} and ${ref(other)} serve the same certificate (${quoted([...new Set(theirs)])}) on the same gateway pods; clients that reuse an HTTP/2 connection across their hosts can get 404.`,
            'serve all hosts of one certificate from one Gateway, or give each Gateway its own certificate.');
        }
      }
    },
  },
  {
    code: 'ZT408', severity: 'error', area: 'ingress', istio: ['IST0161'], title: 'Gateway TLS Secret without a usable certificate',
    *run(m) {
      // istioctl IST0161 InvalidGatewayCredential (analyzers/gateway/secret.go): the Secret the
      // gateway pods read must hold `tls.crt`/`tls.key` (or `cert`/`key`) with values, and a
      // certificate that parses and is valid now (istio:pilot/pkg/xds/sds.go ValidateCertificate).
      const secrets = m.ofKind('Secret');
      for (const g of istioGateways(m)) {
        const selector = labelMap(g.spec.selector) ?? {};
        const podNamespaces = new Set(m.workloads.filter((w) => isSubset(selector, w.podLabels)).map((w) => w.namespace));
        for (const s of servers(g)) for (const credential of secretNamesOf(rec(s.tls))) {
          for (const secret of secrets.filter((x) => x.name === credential && podNamespaces.has(x.namespace ?? 'default'))) {
            const problem = credentialProblem(secret, new Date());
            if (!problem) continue;
            yield issue(g, `${ref(g)} serves TLS with Secret ${secret.namespace}/${secret.name}, which ${problem}: istiod refuses the credential and TLS on this server fails.`,
              'put the PEM certificate chain under tls.crt and its key under tls.key (type kubernetes.io/tls), valid now; renew it before it expires.');
          }
        }
      }
    },
  },
  {
    code: 'ZT409', severity: 'warning', area: 'ingress', istio: ['IST0162'], title: 'Gateway port that the gateway Service does not expose',
    *run(m) {
      // istioctl IST0162 GatewayPortNotDefinedOnService (analyzers/gateway/gateway.go): a server
      // port must be a target port (or a port) of a Service in front of the gateway pods.
      // Judged only when such a Service is in the input.
      for (const g of istioGateways(m)) {
        const selector = labelMap(g.spec.selector) ?? {};
        const pods = m.workloads.filter((w) => isSubset(selector, w.podLabels));
        const fronting = m.services.filter((svc) => pods.some((w) => m.workloadsOf(svc).includes(w)));
        if (fronting.length === 0) continue;
        const open = new Set<number>();
        for (const svc of fronting) for (const p of svc.ports) {
          if (p.protocol !== 'TCP') continue;
          open.add(p.port);
          if (typeof p.targetPort === 'number') open.add(p.targetPort);
        }
        for (const sv of servers(g)) {
          const number = rec(sv.port)?.number;
          if (typeof number !== 'number' || open.has(number)) continue;
          yield issue(g, `${ref(g)} listens on port ${number}, which ${listing(fronting.map((svc) => `Service ${svc.namespace}/${svc.name}`))} in front of its pods do${fronting.length > 1 ? '' : 'es'} not expose (ports and target ports: ${[...open].sort((a, b) => a - b).join(', ') || 'none'}): clients cannot reach that server through the Service.`,
            'use a port the gateway Service maps (its port or targetPort), or add the port to the Service.');
        }
      }
    },
  },
  {
    code: 'ZT410', severity: 'warning', area: 'ingress', istio: ['IST0165'], title: 'Reference to a Gateway Istio generates internally',
    *run(m) {
      // istioctl IST0165 ReferencedInternalGateway: Istio generates these from Gateway API
      // Gateways (names containing "~istio-autogenerated-k8s-gateway~"); they are an
      // implementation detail that may change, not something to bind a VirtualService to.
      for (const vs of virtualServices(m)) for (const entry of gatewayEntries(vs)) {
        if (!isInternalGatewayReference(entry)) continue;
        yield issue(vs, `${ref(vs)} binds to "${entry}", a Gateway that Istio generates internally from a Gateway API Gateway; its name is an implementation detail and the binding may break on upgrade.`,
          'attach routes to the Gateway API Gateway with an HTTPRoute, or bind to an Istio Gateway of your own.');
      }
    },
  },
  {
    code: 'ZT411', severity: 'error', area: 'ingress', istio: ['IST0101'], title: 'VirtualService names a Gateway that does not exist',
    *run(m) {
      const gws = m.ofKind('Gateway');
      for (const vs of virtualServices(m)) for (const entry of gatewayEntries(vs)) {
        if (entry === 'mesh' || isInternalGatewayReference(entry)) continue; // ZT410 reports those
        const { namespace, name } = gatewayRef(entry, vs.namespace ?? 'default');
        if (gws.some((g) => g.name === name && g.namespace === namespace)) continue;
        if (!m.covers(namespace, ['Gateway'])) continue; // the Gateway may be in the cluster, outside the input
        yield issue(vs, `${ref(vs)} binds to gateway "${entry}", but there is no Gateway ${namespace}/${name}${entry.includes('/') || entry.includes('.') ? '' : ` (a bare name means the VirtualService's namespace, ${vs.namespace})`}; its routes are not served there.`,
          'name an existing Gateway as "<namespace>/<name>".');
      }
    },
  },
  {
    code: 'ZT412', severity: 'error', area: 'ingress', istio: ['IST0132'], title: 'VirtualService hosts match none of its Gateway\'s hosts',
    *run(m) {
      for (const vs of virtualServices(m)) {
        const hosts = strs(vs.spec.hosts);
        for (const entry of strs(vs.spec.gateways)) {
          if (entry === 'mesh') continue;
          const { namespace, name } = gatewayRef(entry, vs.namespace ?? 'default');
          const g = m.ofKind('Gateway').find((x) => x.name === name && x.namespace === namespace);
          if (!g) continue;
          // An Istio Gateway's servers, or a Gateway API Gateway's listeners (no hostname: any).
          const serverHosts = istioGateways(m).includes(g) ? servers(g).flatMap((s) => strs(s.hosts))
            : recs(g.spec.listeners).map((l) => str(l.hostname) ?? '*');
          const usable = serverHosts.flatMap((h) => {
            if (!h.includes('/')) return [h];
            const [ns, host] = h.split('/', 2);
            return ns === '*' || ns === vs.namespace || (ns === '.' && g.namespace === vs.namespace) ? [host!] : [];
          });
          if (hosts.some((h) => usable.some((u) => hostMatches(u, h)))) continue;
          yield issue(vs, `${ref(vs)} hosts ${quoted(hosts)} match none of the hosts Gateway ${namespace}/${name} offers to namespace ${vs.namespace} (${quoted(serverHosts)}), so it is not bound and requests get 404.`,
            'use a host the Gateway serves, or add it to the Gateway server\'s hosts (as "<vs-namespace>/<host>").');
        }
      }
    },
  },
  {
    code: 'ZT413', severity: 'error', area: 'ingress', istio: ['IST0101'], title: 'Route destination host is no Service or ServiceEntry',
    *run(m) {
      for (const vs of virtualServices(m)) for (const { where, d } of destinations(vs)) {
        const host = str(d.host);
        if (!host) continue;
        const r = m.resolveHost(host, vs.namespace ?? 'default');
        if (r.service || r.serviceEntry || r.wildcard) {
          // Exported to other namespaces, the routes apply to their sidecars: the host must be
          // visible there too (istio:pkg/config/analysis/analyzers/virtualservice/destinationhosts.go).
          const hidden = exportNamespaces(vs).filter((ns) => {
            const there = m.resolveHost(qualifiedHost(host, vs.namespace ?? 'default'), ns);
            return !there.service && !there.serviceEntry && !there.wildcard;
          });
          if (hidden.length > 0) {
            yield issue(vs, `${ref(vs)} ${where}: destination "${host}" is not visible in ${listing(hidden)}, where the VirtualService is exported (its exportTo), so requests routed there from ${hidden.length > 1 ? 'those namespaces' : 'that namespace'} fail (503).`,
              'export the Service or ServiceEntry to those namespaces (exportTo, or the networking.istio.io/exportTo annotation), or narrow the VirtualService\'s exportTo.');
          }
          continue;
        }
        if (!referencesCovered(m, host, vs.namespace ?? 'default', HOST_KINDS)) continue;
        const elsewhere = !host.includes('.') ? m.services.filter((s) => s.name === host) : [];
        const dotted = /^([^.]+)\.([^.]+)$/.exec(host);
        yield issue(vs, `${ref(vs)} ${where}: destination "${host}" is no Service or ServiceEntry${elsewhere.length
          ? `: a short name resolves in the VirtualService's namespace ${vs.namespace}, but the service lives in ${listing(elsewhere.map((s) => s.namespace))}`
          : dotted ? ' ("name.namespace" is not completed; only names without dots are)' : ''}. Requests routed there fail (503).`,
        elsewhere.length ? `write the full name "${host}.${elsewhere[0]!.namespace}.svc.cluster.local".`
          : dotted ? `write "${host}.svc.cluster.local".` : 'route to an existing service by its full name "<name>.<namespace>.svc.cluster.local", or declare the host with a ServiceEntry.');
      }
    },
  },
  {
    code: 'ZT414', severity: 'error', area: 'ingress', istio: ['IST0112', 'IST0101'], title: 'Route destination port missing or not exposed',
    *run(m) {
      for (const vs of virtualServices(m)) for (const { where, d } of destinations(vs)) {
        const service = m.resolveHost(str(d.host) ?? '', vs.namespace ?? 'default').service;
        if (!service) continue;
        const number = rec(d.port)?.number;
        const ports = service.ports.map((p) => p.port);
        if (number === undefined && ports.length > 1) {
          yield issue(vs, `${ref(vs)} ${where}: destination ${service.namespace}/${service.name} exposes ports ${ports.join(', ')}, and the route names none, so Istio cannot tell which to use.`,
            `set destination.port.number to one of ${ports.join(', ')}.`);
        } else if (typeof number === 'number' && !ports.includes(number)) {
          yield issue(vs, `${ref(vs)} ${where}: destination port ${number} is not a port of Service ${service.namespace}/${service.name} (${ports.join(', ') || 'none'}); routes name the Service port, not the container port.`,
            `use the Service port: ${ports.join(' or ')}.`);
        }
      }
    },
  },
  {
    code: 'ZT415', severity: 'error', area: 'ingress', istio: ['IST0101'], title: 'Route destination subset not defined',
    *run(m) {
      for (const vs of virtualServices(m)) for (const { where, d } of destinations(vs)) {
        const subset = str(d.subset);
        const host = str(d.host);
        if (!subset || !host) continue;
        const target = m.resolveHost(host, vs.namespace ?? 'default').service;
        const wanted = qualifiedHost(host, vs.namespace ?? 'default');
        const defined = m.ofKind('DestinationRule').some((dr) => {
          const drHost = str(dr.spec.host) ?? '';
          // A short name means the same host as its full name in the object's namespace.
          const same = target ? m.resolveHost(drHost, dr.namespace ?? 'default').service === target : qualifiedHost(drHost, dr.namespace ?? 'default') === wanted;
          // Only a DestinationRule exported to the route's namespace applies to its requests.
          return same && exportedTo(strs(dr.spec.exportTo), dr.namespace ?? 'default', vs.namespace ?? 'default')
            && recs(dr.spec.subsets).some((s) => str(s.name) === subset);
        });
        if (defined || !referencesCovered(m, host, vs.namespace ?? 'default', [...HOST_KINDS, 'DestinationRule'])) continue;
        yield issue(vs, `${ref(vs)} ${where}: subset "${subset}" of "${host}" is defined by no DestinationRule; requests routed there get 503.`,
          `define subset "${subset}" (with the pods' labels) in a DestinationRule for the host, or route without a subset.`);
      }
    },
  },
  {
    code: 'ZT416', severity: 'error', area: 'ingress', istio: ['IST0106'], title: 'VirtualService the webhook rejects',
    *run(m) {
      for (const vs of virtualServices(m)) {
        const problems: string[] = [];
        const hosts = strs(vs.spec.hosts);
        // No hosts makes it a delegate, which another VirtualService's `delegate` pulls in: valid,
        // as long as it names no gateways and routes HTTP only (ValidateVirtualService).
        if (hosts.length === 0) {
          if (strs(vs.spec.gateways).length > 0) problems.push('it has no hosts, so it is a delegate, and a delegate must name no gateways');
          if (recs(vs.spec.tcp).length > 0 || recs(vs.spec.tls).length > 0) problems.push('it has no hosts, so it is a delegate, and a delegate may route HTTP only (no tcp or tls routes)');
        }
        if (!['http', 'tcp', 'tls'].some((k) => recs(vs.spec[k]).length > 0)) problems.push('it has no http, tcp or tls routes');
        if (meshBound(vs) && hosts.includes('*')) problems.push('host "*" is not allowed on a VirtualService bound to sidecars (mesh)');
        const dup = hosts.filter((h, i) => hosts.indexOf(h) !== i);
        if (dup.length) problems.push(`hosts ${quoted([...new Set(dup)])} appear more than once`);
        for (const p of problems) {
          yield issue(vs, `${ref(vs)}: ${p}. Istio rejects the VirtualService, so its routes do not exist.`,
            'correct it as the VirtualService reference describes; `istioctl validate -f` shows the same error.');
        }
      }
    },
  },
  {
    code: 'ZT417', severity: 'error', area: 'ingress', istio: ['IST0149'], title: 'Routing on JWT claims where no token is validated',
    *run(m) {
      for (const vs of virtualServices(m)) {
        const claims = recs(vs.spec.http).flatMap((h) => recs(h.match).flatMap((mm) => Object.keys(rec(mm.headers) ?? {}).filter((k) => k.startsWith('@request.auth.claims'))));
        if (claims.length === 0) continue;
        if (meshBound(vs)) {
          yield issue(vs, `${ref(vs)} routes on ${quoted([...new Set(claims)])}, but JWT claim routing only works on gateway-bound VirtualServices (gateways set, without "mesh"); Istio rejects it.`,
            'move the claim-based route to a VirtualService bound to the ingress Gateway only.');
          continue;
        }
        for (const entry of strs(vs.spec.gateways)) {
          const { namespace, name } = gatewayRef(entry, vs.namespace ?? 'default');
          const g = istioGateways(m).find((x) => x.name === name && x.namespace === namespace);
          if (!g) continue;
          const selector = labelMap(g.spec.selector) ?? {};
          const podNamespaces = new Set([m.rootNamespace, ...m.workloads.filter((w) => isSubset(selector, w.podLabels)).map((w) => w.namespace)]);
          const validated = m.ofKind('RequestAuthentication').some((ra) => {
            if (!podNamespaces.has(ra.namespace ?? '')) return false;
            const sel = m.selection(ra);
            return sel.mode === 'all' || (sel.mode === 'labels' && isSubset(sel.labels, selector));
          });
          if (validated) continue;
          yield issue(vs, `${ref(vs)} routes on ${quoted([...new Set(claims)])} at Gateway ${namespace}/${name}, but no RequestAuthentication selects its gateway pods ${JSON.stringify(selector)}, so no claims are known there and the routes never match.`,
            `add a RequestAuthentication in ${m.rootNamespace} (or the gateway pods' namespace) with selector.matchLabels ${JSON.stringify(selector)}.`);
        }
      }
    },
  },
  {
    code: 'ZT418', severity: 'error', area: 'ingress', istio: ['IST0109'], title: 'Two mesh VirtualServices for one host',
    *run(m) {
      // Sidecars merge no VirtualServices for one host: one of them applies, which one is
      // undefined (istioctl IST0109, ConflictingMeshGatewayVirtualServiceHosts). Only where both
      // are visible: `exportTo` (default every namespace; "." its own; "~" none).
      const byHost = new Map<string, MeshObject[]>();
      for (const vs of virtualServices(m).filter(meshBound)) {
        for (const h of new Set(strs(vs.spec.hosts).map((h) => qualifiedHost(h, vs.namespace ?? 'default')))) {
          const list = byHost.get(h);
          if (list) list.push(vs);
          else byHost.set(h, [vs]);
        }
      }
      for (const [host, list] of byHost) {
        for (const vs of list) {
          const others = list.filter((o) => o !== vs
            && exportedTogether(strs(vs.spec.exportTo), vs.namespace ?? 'default', strs(o.spec.exportTo), o.namespace ?? 'default'));
          if (others.length === 0) continue;
          yield issue(vs, `${ref(vs)} and ${listing(others.map((o) => `VirtualService ${o.namespace}/${o.name}`))} both route host "${host}" for sidecars (mesh); Istio applies only one of them, and which is undefined.`,
            'merge the routes into one VirtualService per host, or use delegation (a root VirtualService with http[].delegate).');
        }
      }
    },
  },
  {
    code: 'ZT419', severity: 'warning', area: 'ingress', istio: ['IST0130', 'IST0131'], title: 'Route rule or match that can never be used',
    *run(m) {
      // Istio's validation warnings VirtualServiceUnreachableRule and VirtualServiceIneffectiveMatch
      // (istio:pkg/config/validation ValidateVirtualService, analyzeUnreachableHTTPRules): a rule
      // after one without matches, a match seen in an earlier rule, a prefix an earlier one covers.
      for (const vs of virtualServices(m)) {
        for (const kind of ['http', 'tcp', 'tls'] as const) {
          for (const problem of unreachableRules(recs(vs.spec[kind]), kind)) {
            yield issue(vs, `${ref(vs)} ${problem}, so it never applies.`, 'reorder the rules (most specific first) or remove the dead one.');
          }
        }
      }
    },
  },
  {
    code: 'ZT420', severity: 'warning', area: 'ingress', istio: ['IST0140'], title: 'Gateway route bypasses the mesh\'s version routing',
    *run(m) {
      // A gateway applies only the VirtualServices bound to it; a mesh VirtualService that splits
      // a host by subset does not act on what the gateway sends (istioctl IST0140,
      // IngressRouteRulesNotAffected).
      const meshSplits = virtualServices(m).filter(meshBound);
      const issues: Issue[] = [];
      for (const vs of virtualServices(m)) {
        if (!strs(vs.spec.gateways).some((g) => g !== 'mesh')) continue;
        recs(vs.spec.http).forEach((route, i) => recs(route.route).forEach((r, j) => {
          const d = rec(r.destination);
          const host = str(d?.host);
          if (!d || !host || str(d.subset)) return;
          const target = m.resolveHost(host, vs.namespace ?? 'default').service;
          const wanted = qualifiedHost(host, vs.namespace ?? 'default');
          const splitting = meshSplits.filter((o) => o !== vs && destinations(o).some(({ d: od }) => str(od.subset) !== undefined
            && (target ? m.resolveHost(str(od.host) ?? '', o.namespace ?? 'default').service === target : qualifiedHost(str(od.host) ?? '', o.namespace ?? 'default') === wanted)));
          if (splitting.length === 0) return;
          issues.push(issue(vs, `${ref(vs)} http[${i}].route[${j}] sends gateway traffic to "${host}" without a subset, while ${listing(splitting.map((o) => `VirtualService ${o.namespace}/${o.name}`))} route${splitting.length > 1 ? '' : 's'} that host by subset for the mesh: a gateway applies only its own VirtualServices, so requests from the gateway reach every version.`,
            'name the subset (or the same weights) in the gateway\'s route, or bind the mesh VirtualService to the gateway too (gateways: [mesh, <gateway>]).'));
        }));
        yield* issues.splice(0);
      }
    },
  },
];

/** The namespaces other than its own that an object's `exportTo` names explicitly. */
function exportNamespaces(o: MeshObject): string[] {
  return strs(o.spec.exportTo).filter((e) => !['.', '*', '~', o.namespace].includes(e));
}

/**
 * The Secrets a server reads its certificates from: `credentialNames` (an RSA and an ECDSA
 * certificate) when set, else `credentialName` (istio:pilot/pkg/model/gateway.go reads them so).
 */
function secretNamesOf(tls: Record<string, unknown> | undefined): string[] {
  const names = strs(tls?.credentialNames).filter((n) => n !== '');
  if (names.length > 0) return names;
  const name = str(tls?.credentialName);
  return name ? [name] : [];
}

/** A server's certificate identities: its Secrets, or its certificate and key files. */
function certificatesOf(tls: Record<string, unknown> | undefined): string[] {
  const secrets = secretNamesOf(tls);
  if (secrets.length > 0) return secrets;
  const cert = str(tls?.serverCertificate);
  const key = str(tls?.privateKey);
  return cert && key ? [`${cert} + ${key}`] : [];
}

/** Dead rules and matches of one route list, in Istio's words (see ZT419). */
function unreachableRules(routes: readonly Record<string, unknown>[], kind: string): string[] {
  const out: string[] = [];
  const name = (r: Record<string, unknown>, i: number) => (str(r.name) ? `${kind}[${i}] ("${str(r.name)}")` : `${kind}[${i}]`);
  const seen = new Map<string, number>();
  const prefixes: { i: number; j: number; prefix: string; rest: Record<string, unknown> }[] = [];
  let catchAll = -1;
  routes.forEach((route, i) => {
    const matches = recs(route.match);
    if (matches.length === 0) {
      if (catchAll >= 0) out.push(`${name(route, i)} comes after ${name(routes[catchAll]!, catchAll)}, which has no match and takes every request`);
      catchAll = i;
      return;
    }
    if (catchAll >= 0) {
      out.push(`${name(route, i)} comes after ${name(routes[catchAll]!, catchAll)}, which has no match and takes every request`);
      return;
    }
    let duplicates = 0;
    matches.forEach((match, j) => {
      const { name: _ignored, ...traffic } = match;
      const key = canonicalJson(traffic);
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        duplicates++;
        out.push(`${name(route, i)} match[${j}] repeats a match of ${name(routes[earlier]!, earlier)}`);
        return;
      }
      seen.set(key, i);
      const uri = rec(traffic.uri);
      const prefix = str(uri?.prefix);
      if (kind !== 'http' || !prefix) return;
      const { uri: _uri, ...rest } = traffic;
      // An earlier match covers this one when its prefix starts this one's and every other
      // condition it sets is set here alike: whatever this match takes, it took first.
      const covering = prefixes.find((p) => prefix.startsWith(p.prefix)
        && Object.entries(p.rest).every(([key, value]) => Object.hasOwn(rest, key) && canonicalJson(value) === canonicalJson(rest[key])));
      if (covering) {
        const by = covering.i === i ? `match[${covering.j}] of the same rule` : `${name(routes[covering.i]!, covering.i)} match[${covering.j}]`;
        out.push(`${name(route, i)} match[${j}] (prefix "${prefix}") is covered by ${by} (prefix "${covering.prefix}"${Object.keys(covering.rest).length ? ' and the same conditions' : ''})`);
      }
      prefixes.push({ i, j, prefix, rest });
    });
    if (duplicates === matches.length && matches.length > 0) out.push(`${name(route, i)}: every match is used by earlier rules`);
  });
  return out;
}

/** JSON with object keys sorted, so equal matches compare equal whatever their key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Why a gateway credential Secret is unusable, or undefined when it is fine. */
function credentialProblem(secret: MeshObject, now: Date): string | undefined {
  const raw = secret.raw as Record<string, unknown>;
  const data = rec(raw.data) ?? {};
  const plain = rec(raw.stringData) ?? {};
  const value = (key: string): string | undefined => {
    const text = str(plain[key]);
    if (text !== undefined) return text;
    const encoded = str(data[key]);
    return encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString('utf8');
  };
  const has = (key: string) => plain[key] !== undefined || data[key] !== undefined;
  const pair = (['cert', 'key'] as const).every((k) => value(k)) ? value('cert')
    : (['tls.crt', 'tls.key'] as const).every((k) => value(k)) ? value('tls.crt') : undefined;
  if (pair === undefined) {
    if ((has('cert') && has('key')) || (has('tls.crt') && has('tls.key'))) return 'has the certificate and key entries, but empty';
    const keys = [...new Set([...Object.keys(data), ...Object.keys(plain)])].sort();
    return `has neither tls.crt and tls.key nor cert and key (it has ${keys.length ? keys.join(', ') : 'no entries'})`;
  }
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pair)?.[0];
  if (!pem) return 'holds no PEM certificate';
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    return 'holds a certificate that does not parse';
  }
  if (now < new Date(cert.validFrom)) return `holds a certificate not valid before ${new Date(cert.validFrom).toISOString()}`;
  if (now > new Date(cert.validTo)) return `holds a certificate that expired on ${new Date(cert.validTo).toISOString()}`;
  return undefined;
}

/** Whether a gateway reference names one Istio generates from a Gateway API Gateway (istio:pkg/config/gateway/kube IsInternalGatewayReference). */
function isInternalGatewayReference(entry: string): boolean {
  const name = entry.includes('/') ? entry.split('/', 2)[1]! : entry;
  return name.includes('~istio-autogenerated-k8s-gateway~');
}
