// PeerAuthentication and DestinationRule TLS checks. Sources:
// api:security/v1beta1/peer_authentication.proto; istio:pilot/pkg/security/authn/policy_applier.go
// ComposePeerAuthentication; istio:pkg/config/validation/validation.go ValidatePeerAuthentication;
// istio:pilot/pkg/networking/core/cluster_tls.go; istio:pilot/pkg/xds/endpoints/mtls_checker.go;
// istio:pkg/config/analysis/analyzers/destinationrule/; kiali:business/checkers/destinationrules/.
import { mtlsModeOf, type MeshModel, type MeshObject, type ServiceInfo, type Workload } from '../model.js';
import { hostMatches, kubernetesServiceOf } from '../model.js';
import { egressGatewayRoutes } from '../egress-gateway.js';
import { addTo, isSubset, labelMap, listing, rec, recs, str, strs } from '../values.js';
import { selectorProblems } from './authorization.js';
import { Check, issue, ref } from './check.js';
import { destinations } from './ingress.js';

const peerAuths = (m: MeshModel) => m.ofKind('PeerAuthentication');
const destinationRules = (m: MeshModel) => m.ofKind('DestinationRule');

/** Labels Istio adds to endpoints from where the pod runs, which pod templates never carry. */
const ENDPOINT_LABELS: ReadonlySet<string> = new Set([
  'topology.kubernetes.io/region', 'topology.kubernetes.io/zone', 'topology.istio.io/subzone',
  'topology.istio.io/cluster', 'topology.istio.io/network', 'kubernetes.io/hostname',
]);
const byName = (a: MeshObject, b: MeshObject) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Every `tls` block of a DestinationRule, with where it sits. */
function tlsBlocks(dr: MeshObject): { where: string; tls: Record<string, unknown>; subset?: string }[] {
  const out: { where: string; tls: Record<string, unknown>; subset?: string }[] = [];
  const fromPolicy = (policy: unknown, where: string, subset?: string) => {
    const p = rec(policy);
    const tls = rec(p?.tls);
    if (tls) out.push({ where: `${where}.tls`, tls, ...(subset ? { subset } : {}) });
    recs(p?.portLevelSettings).forEach((s, i) => {
      const t = rec(s.tls);
      if (t) out.push({ where: `${where}.portLevelSettings[${i}].tls`, tls: t, ...(subset ? { subset } : {}) });
    });
  };
  fromPolicy(dr.spec.trafficPolicy, 'trafficPolicy');
  recs(dr.spec.subsets).forEach((s, i) => fromPolicy(s.trafficPolicy, `subsets[${i}].trafficPolicy`, str(s.name)));
  return out;
}

/** The Services a DestinationRule host covers: one, a namespace (`*.ns.svc.cluster.local`) or all (`*.local`, `*`). */
function servicesForHost(m: MeshModel, host: string, namespace: string): ServiceInfo[] {
  if (host.startsWith('*')) {
    return m.services.filter((s) => hostMatches(host, `${s.name}.${s.namespace}.svc.cluster.local`));
  }
  const resolved = m.resolveHost(host, namespace);
  return resolved.service ? [resolved.service] : [];
}

const workloadsBehind = (m: MeshModel, services: ServiceInfo[]): Workload[] => [...new Set(services.flatMap((s) => m.workloadsOf(s)))];

export const MTLS_CHECKS: readonly Check[] = [
  {
    code: 'ZT201', severity: 'error', area: 'mtls', title: 'mTLS mode weaker than STRICT',
    acknowledgement: 'non-strict-mtls',
    *run(m) {
      for (const pa of peerAuths(m)) {
        const scope = m.peerAuthenticationScope(pa);
        if (scope === 'ignored') continue;
        const mode = mtlsModeOf(pa.spec.mtls);
        const ports = Object.entries(rec(pa.spec.portLevelMtls) ?? {}).filter(([, v]) => ['PERMISSIVE', 'DISABLE'].includes(mtlsModeOf(v) ?? ''));
        const weak = [
          ...(mode === 'PERMISSIVE' || mode === 'DISABLE' ? [`mode ${mode}`] : []),
          ...ports.map(([p, v]) => `port ${p} ${mtlsModeOf(v)}`),
        ];
        if (weak.length === 0) continue;
        const what = scope === 'mesh' ? 'every workload in the mesh that does not override it accepts' : scope === 'namespace' ? `the workloads of namespace ${pa.namespace} accept` : 'the workloads it selects accept';
        yield issue(pa, `${ref(pa)} (${scope} scope) sets ${listing(weak)}: ${what} plaintext, and a plaintext request carries no verified identity.`,
          'set mtls.mode STRICT; if plaintext callers must be accepted for now, acknowledge it with the annotation zero-trust-mesh.io/acknowledged-non-strict-mtls: "<reason>".');
      }
    },
  },
  {
    code: 'ZT202', severity: 'error', area: 'mtls', title: 'Injected workloads with no PeerAuthentication at any level',
    acknowledgement: 'non-strict-mtls',
    *run(m) {
      const namespaces = [...new Set(m.workloads.filter((w) => w.sidecar === true).map((w) => w.namespace))].sort();
      for (const ns of namespaces) {
        if (m.namespaceMtls(ns).scope !== 'default') continue;
        const uncovered = m.workloadsIn(ns).filter((w) => w.sidecar === true && !m.workloadPeerAuthentications(w).some((pa) => mtlsModeOf(pa.spec.mtls)));
        if (uncovered.length === 0) continue;
        const object = m.namespaces.get(ns) ?? uncovered[0]!.object;
        yield issue(object, `Namespace ${ns}: no PeerAuthentication applies at mesh or namespace level, so its workloads (${listing(uncovered.map((w) => w.name))}) run in Istio's default PERMISSIVE mode and accept plaintext.`,
          `add a mesh-wide PeerAuthentication (namespace ${m.rootNamespace}, no selector) or one in ${ns} with mtls.mode STRICT; if it lives in another repository, analyze both together.`);
      }
    },
  },
  {
    code: 'ZT203', severity: 'error', area: 'mtls', title: 'PeerAuthentication with a selector in the root namespace',
    *run(m) {
      for (const pa of peerAuths(m)) {
        if (pa.namespace !== m.rootNamespace || m.selection(pa).mode !== 'labels') continue;
        yield issue(pa, `${ref(pa)} has a workload selector in the root namespace ${m.rootNamespace}; Istio ignores such policies entirely.`,
          'move it to the namespace of the workloads it selects, or remove the selector to make it the mesh-wide policy.');
      }
    },
  },
  {
    code: 'ZT204', severity: 'error', area: 'mtls', title: 'Conflicting PeerAuthentications at the same scope',
    *run(m) {
      const groups = new Map<string, MeshObject[]>();
      for (const pa of peerAuths(m)) {
        const scope = m.peerAuthenticationScope(pa);
        if (scope === 'mesh' || scope === 'namespace') {
          const key = scope === 'mesh' ? 'the mesh' : `namespace ${pa.namespace}`;
          addTo(groups, key, pa);
        }
      }
      for (const [scope, list] of groups) {
        if (list.length < 2) continue;
        for (const pa of list) {
          yield issue(pa, `${ref(pa)} is one of ${list.length} PeerAuthentications for ${scope} (${listing(list.map((p) => p.name).sort())}); Istio uses the oldest and ignores the others, and which is oldest cannot be known from the manifests.`,
            `keep one PeerAuthentication for ${scope} and delete the others.`);
        }
      }
      for (const w of m.workloads) {
        const list = m.workloadPeerAuthentications(w).sort(byName);
        if (list.length < 2) continue;
        for (const pa of list) {
          yield issue(pa, `${ref(pa)} and ${listing(list.filter((p) => p !== pa).map((p) => p.name))} all select workload ${w.namespace}/${w.name}; only the oldest applies, which cannot be known from the manifests.`,
            'make the selectors disjoint so that one workload-level PeerAuthentication selects each workload.');
        }
      }
    },
  },
  {
    code: 'ZT205', severity: 'error', area: 'mtls', istio: ['IST0106'], title: 'PeerAuthentication the webhook rejects',
    *run(m) {
      for (const pa of peerAuths(m)) {
        const problems = [...selectorProblems(pa)];
        const mode = str(rec(pa.spec.mtls)?.mode);
        if (pa.spec.mtls !== undefined && !rec(pa.spec.mtls)) problems.push('mtls is not a map');
        if (mode !== undefined && !['STRICT', 'PERMISSIVE', 'DISABLE', 'UNSET'].includes(mode)) problems.push(`mtls.mode "${mode}" is not STRICT, PERMISSIVE, DISABLE or UNSET (upper case)`);
        const portLevel = pa.spec.portLevelMtls;
        if (portLevel !== undefined) {
          if (m.selection(pa).mode !== 'labels') problems.push('portLevelMtls is only allowed with a non-empty selector (mesh and namespace policies cannot have port level mTLS)');
          const entries = Object.entries(rec(portLevel) ?? {});
          if (entries.length === 0) problems.push('portLevelMtls is set but has no entries');
          for (const [port, v] of entries) {
            if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) problems.push(`portLevelMtls key "${port}" is not a port number 1-65535`);
            const pm = str(rec(v)?.mode);
            if (pm !== undefined && !['STRICT', 'PERMISSIVE', 'DISABLE', 'UNSET'].includes(pm)) problems.push(`portLevelMtls[${port}].mode "${pm}" is not a mode`);
          }
        }
        for (const p of problems) {
          yield issue(pa, `${ref(pa)}: ${p}. The API server (or istiod) rejects it, so it never takes effect.`,
            'correct it as the PeerAuthentication reference describes; `istioctl validate -f` shows the same error.');
        }
      }
    },
  },
  {
    code: 'ZT206', severity: 'error', area: 'mtls', title: '`portLevelMtls` on a port the workload does not receive on',
    *run(m) {
      for (const pa of peerAuths(m)) {
        if (m.peerAuthenticationScope(pa) !== 'workload') continue;
        const selected = m.selectedWorkloads(pa);
        if (selected.length === 0) continue;
        for (const key of Object.keys(rec(pa.spec.portLevelMtls) ?? {})) {
          const port = Number(key);
          if (!Number.isInteger(port) || selected.some((w) => m.inboundPorts(w).includes(port))) continue;
          const svcPort = selected.flatMap((w) => m.servicesOf(w).flatMap((s) => s.ports.filter((p) => p.port === port).map((p) => ({ w, s, p }))))[0];
          const target = svcPort ? m.targetPort(svcPort.p, svcPort.w) : undefined;
          yield issue(pa, svcPort && target !== undefined
            ? `${ref(pa)}: portLevelMtls names port ${port}, which is Service ${svcPort.s.namespace}/${svcPort.s.name}'s port; port-level mTLS is keyed by the container port (${target}), so this entry never applies.`
            : `${ref(pa)}: portLevelMtls names port ${port}, on which none of the selected workloads (${listing(selected.map((w) => w.name))}) receives, so this entry never applies.`,
          svcPort && target !== undefined ? `key the entry by the container port: "${target}".` : 'key portLevelMtls by a container port the workload listens on.');
        }
      }
    },
  },
  {
    code: 'ZT207', severity: 'error', area: 'mtls', title: 'STRICT workload or port under a namespace or mesh DISABLE',
    *run(m) {
      for (const pa of peerAuths(m)) {
        if (m.peerAuthenticationScope(pa) !== 'workload') continue;
        const strict = [...(mtlsModeOf(pa.spec.mtls) === 'STRICT' ? ['mode STRICT'] : []),
          ...Object.entries(rec(pa.spec.portLevelMtls) ?? {}).filter(([, v]) => mtlsModeOf(v) === 'STRICT').map(([p]) => `port ${p} STRICT`)];
        if (strict.length === 0) continue;
        for (const w of m.selectedWorkloads(pa)) {
          const ns = m.namespaceMtls(w.namespace);
          if (ns.mode !== 'DISABLE') continue;
          yield issue(pa, `${ref(pa)} sets ${listing(strict)} on ${w.namespace}/${w.name}, but its namespace resolves to DISABLE (${ns.decidedBy ? ref(ns.decidedBy) : 'default'}). Auto mTLS then sends plaintext to the service, and the STRICT sidecar resets every connection (istio/istio#56084).`,
            `make the namespace (or mesh) mode STRICT or PERMISSIVE and exempt other workloads with workload-level DISABLE instead, or add a DestinationRule with tls.mode ISTIO_MUTUAL for ${w.name}.`);
        }
      }
    },
  },
  {
    code: 'ZT251', severity: 'error', area: 'mtls', title: 'DestinationRule ISTIO_MUTUAL toward pods without a sidecar',
    *run(m) {
      for (const dr of destinationRules(m)) {
        if (!tlsBlocks(dr).some((b) => str(b.tls.mode) === 'ISTIO_MUTUAL')) continue;
        const host = str(dr.spec.host) ?? '';
        const workloads = workloadsBehind(m, servicesForHost(m, host, dr.namespace ?? 'default'));
        const plain = workloads.filter((w) => w.sidecar === false);
        if (plain.length === 0) continue;
        yield issue(dr, `${ref(dr)} forces Istio mTLS (ISTIO_MUTUAL) toward "${host}", but ${listing(plain.map((w) => `${w.namespace}/${w.name}`))} run${plain.length > 1 ? '' : 's'} without a sidecar and cannot terminate it: callers get 503.`,
          'drop tls.mode (auto mTLS picks plaintext for pods without a sidecar), or enrol those pods in the mesh.');
      }
    },
  },
  {
    code: 'ZT252', severity: 'error', area: 'mtls', title: 'DestinationRule tls DISABLE toward a STRICT workload',
    *run(m) {
      for (const dr of destinationRules(m)) {
        if (!tlsBlocks(dr).some((b) => str(b.tls.mode) === 'DISABLE')) continue;
        const host = str(dr.spec.host) ?? '';
        const strict = workloadsBehind(m, servicesForHost(m, host, dr.namespace ?? 'default'))
          .filter((w) => w.sidecar !== false && (m.inboundPorts(w).length ? m.inboundPorts(w) : [undefined]).some((p) => m.effectiveMtls(w, p).mode === 'STRICT'));
        if (strict.length === 0) continue;
        yield issue(dr, `${ref(dr)} makes callers send plaintext (tls.mode DISABLE) to "${host}", but ${listing(strict.map((w) => `${w.namespace}/${w.name}`))} accept${strict.length > 1 ? '' : 's'} only mTLS (STRICT): every connection is reset (503 at the caller).`,
          'remove tls.mode DISABLE (auto mTLS follows the server\'s mode); to exempt a workload from mTLS, give it a workload-level PeerAuthentication DISABLE instead.');
      }
    },
  },
  {
    code: 'ZT253', severity: 'warning', area: 'mtls', istio: ['IST0128', 'IST0129'], title: 'DestinationRule TLS origination without server verification',
    *run(m) {
      for (const dr of destinationRules(m)) for (const b of tlsBlocks(dr)) {
        const mode = str(b.tls.mode);
        if (mode !== 'SIMPLE' && mode !== 'MUTUAL') continue;
        const missing = [
          ...(!str(b.tls.caCertificates) && !(str(b.tls.credentialName) && dr.spec.workloadSelector !== undefined) ? ['caCertificates'] : []),
          ...(strs(b.tls.subjectAltNames).length === 0 ? ['subjectAltNames'] : []),
        ];
        if (missing.length === 0 || b.tls.insecureSkipVerify === true) continue;
        yield issue(dr, `${ref(dr)} ${b.where}: ${mode} TLS to "${str(dr.spec.host) ?? ''}" sets no ${listing(missing)}, so the server's certificate is not pinned to the CA and name you expect.`,
          'set caCertificates (or credentialName), subjectAltNames and sni for the upstream server.');
      }
    },
  },
  {
    code: 'ZT254', severity: 'warning', area: 'mtls', istio: ['IST0174'], title: 'DestinationRule host matches no Service or ServiceEntry',
    *run(m) {
      // An egress gateway's Service is installed with the gateway, rarely in the manifests.
      const gatewayServices = new Set(egressGatewayRoutes(m).map(({ route }) => `${route.serviceName}.${route.serviceNamespace}`));
      for (const dr of destinationRules(m)) {
        const host = str(dr.spec.host);
        if (!host || host.includes('*')) continue;
        const r = m.resolveHost(host, dr.namespace ?? 'default');
        if (r.service || r.serviceEntry) continue;
        const service = kubernetesServiceOf(host, dr.namespace ?? 'default');
        if (service && gatewayServices.has(`${service.name}.${service.namespace}`)) continue;
        yield issue(dr, `${ref(dr)}: host "${host}" is no Service or ServiceEntry in the analyzed manifests${host.includes('.') && !/\.svc(\.|$)/.test(host) ? ' (a name with dots is taken literally: "name.namespace" is not completed)' : ''}, so the rule applies to nothing.`,
          'use the service\'s full name "<name>.<namespace>.svc.cluster.local", or declare the external host with a ServiceEntry.');
      }
    },
  },
  {
    code: 'ZT255', severity: 'error', area: 'mtls', istio: ['IST0173'], title: 'Routed subset selects no pods',
    *run(m) {
      for (const { dr, subset, labels, service, workloads } of emptySubsets(m)) {
        const name = str(subset.name) ?? '';
        const routes = routesTo(m, service, name);
        if (routes.length === 0) continue;
        yield issue(dr, `${ref(dr)}: subset "${name}" (labels ${JSON.stringify(labels)}) matches none of the pods behind ${service.namespace}/${service.name}, and ${listing(routes)} route${routes.length > 1 ? '' : 's'} to it: those requests get 503 (no healthy upstream).`,
          `use labels the pods of ${listing(workloads.map((w) => w.name))} carry, e.g. ${JSON.stringify(workloads[0]!.podLabels)}, or deploy the version the route expects.`);
      }
    },
  },
  {
    // istioctl's IST0173 is an error whether or not a route uses the subset; unrouted, no request
    // can reach it, and a subset for a version not deployed yet is normal (Istio's Bookinfo task
    // applies DestinationRules naming versions its base manifest does not run): a warning here.
    code: 'ZT256', severity: 'warning', area: 'mtls', istio: ['IST0173'], title: 'Subset selects no pods (no route uses it)',
    *run(m) {
      for (const { dr, subset, labels, service, workloads } of emptySubsets(m)) {
        const name = str(subset.name) ?? '';
        if (routesTo(m, service, name).length > 0) continue;
        yield issue(dr, `${ref(dr)}: subset "${name}" (labels ${JSON.stringify(labels)}) matches none of the pods behind ${service.namespace}/${service.name}; no route uses it yet, but one that does will get 503.`,
          `deploy the pods the subset names, or use labels the pods of ${listing(workloads.map((w) => w.name))} carry, e.g. ${JSON.stringify(workloads[0]!.podLabels)}.`);
      }
    },
  },
];

/** Subsets whose labels match none of the pods behind their host's Service. */
function* emptySubsets(m: MeshModel): Generator<{ dr: MeshObject; subset: Record<string, unknown>; labels: Record<string, string>; service: ServiceInfo; workloads: Workload[] }> {
  for (const dr of destinationRules(m)) {
    const host = str(dr.spec.host);
    if (!host) continue;
    const service = m.resolveHost(host, dr.namespace ?? 'default').service;
    if (!service) continue;
    const workloads = m.workloadsOf(service);
    if (workloads.length === 0) continue;
    for (const subset of recs(dr.spec.subsets)) {
      // Istio adds the node's locality, cluster, network and host name to every endpoint's
      // labels (istio:pkg/kube/labels AugmentLabels): those keys are not on the pod template,
      // and offline their values are unknown, so only the other keys are checked. An empty value
      // never matches: Istio adds those labels only when the node's value is set.
      const all = Object.entries(labelMap(subset.labels) ?? {});
      const labels = Object.fromEntries(all.filter(([key]) => !ENDPOINT_LABELS.has(key)));
      const emptyEndpointLabel = all.some(([key, value]) => ENDPOINT_LABELS.has(key) && value === '');
      if (emptyEndpointLabel || !workloads.some((w) => isSubset(labels, w.podLabels))) yield { dr, subset, labels: emptyEndpointLabel ? Object.fromEntries(all) : labels, service, workloads };
    }
  }
}

/** The VirtualServices (`ns/name`) with a route or mirror to `subset` of `service`. */
function routesTo(m: MeshModel, service: ServiceInfo, subset: string): string[] {
  return m.ofKind('VirtualService').filter((vs) => destinations(vs).some(({ d }) => str(d.subset) === subset
    && m.resolveHost(str(d.host) ?? '', vs.namespace ?? 'default').service === service)).map((vs) => `VirtualService ${vs.namespace}/${vs.name}`);
}
