// Service port, injection, workload-selection and Sidecar checks. Sources:
// istio:pkg/config/kube/conversion.go ConvertProtocol; https://istio.io/latest/docs/ops/configuration/traffic-management/protocol-selection/;
// istio:pkg/config/analysis/analyzers/{service,injection,deployment,sidecar,authz}/;
// kiali:business/checkers/{services,common,workloads,sidecars}/.
import { isKnownAppProtocol } from '../istio.js';
import type { MeshModel, MeshObject, ServiceInfo, ServicePortInfo, Workload } from '../model.js';
import { exportedTogether } from '../model.js';
import { isSubset, labelMap, listing, rec, recs, str, strs } from '../values.js';
import { Check, issue, ref } from './check.js';

/** Objects that select workloads by labels, with their label selector. */
/** Whether `labels` select the pods of a Gateway in the input that the object's namespace can reach (its own, or any from the root namespace). */
function selectsGatewayPods(m: MeshModel, o: MeshObject, labels: Readonly<Record<string, string>>): boolean {
  return m.ofKind('Gateway').some((g) => (o.namespace === m.rootNamespace || (g.namespace ?? 'default') === o.namespace)
    && isSubset(labels, labelMap(rec(g.spec.selector)) ?? {}));
}

function selectingObjects(m: MeshModel): { o: MeshObject; labels: Record<string, string> }[] {
  const out: { o: MeshObject; labels: Record<string, string> }[] = [];
  for (const kind of ['AuthorizationPolicy', 'PeerAuthentication', 'RequestAuthentication']) {
    for (const o of m.ofKind(kind)) { const sel = m.selection(o); if (sel.mode === 'labels') out.push({ o, labels: { ...sel.labels } }); }
  }
  for (const o of m.ofKind('Sidecar')) {
    const labels = sidecarSelector(o);
    if (Object.keys(labels).length) out.push({ o, labels });
  }
  for (const o of m.ofKind('Telemetry')) {
    const labels = telemetrySelector(o);
    if (Object.keys(labels).length) out.push({ o, labels });
  }
  return out;
}

/** The workloads a label selector of `o` can reach: its namespace's, or all from the root namespace. */
function inScope(m: MeshModel, o: MeshObject): Workload[] {
  return o.namespace === m.rootNamespace ? [...m.workloads] : m.workloadsIn(o.namespace ?? 'default');
}

/** Kubernetes' own namespaces: never meant to be in the mesh. */
const KUBERNETES_SYSTEM_NAMESPACES = new Set(['kube-system', 'kube-public', 'kube-node-lease']);

export const WORKLOAD_CHECKS: readonly Check[] = [
  {
    code: 'ZT501', severity: 'warning', area: 'ports', istio: ['IST0118'], title: 'Service port without a declared protocol',
    *run(m) {
      for (const s of m.services) {
        if (!m.workloadsOf(s).some((w) => w.sidecar !== false)) continue;
        for (const p of withoutProtocol(s)) {
          yield issue(s.object, `${ref(s.object)} port ${p.port}${p.name ? ` ("${p.name}")` : ''} declares no protocol (name prefix or appProtocol), so Istio sniffs it: HTTP policy may not apply as intended, and server-first protocols break.`,
            `name the port "<protocol>[-suffix]" (e.g. "http-web", "tcp-db", "grpc") or set appProtocol.`);
        }
      }
    },
  },
  {
    code: 'ZT502', severity: 'warning', area: 'ports', title: 'Unknown appProtocol',
    *run(m) {
      for (const s of m.services) for (const p of s.ports) {
        if (p.appProtocol === undefined || isKnownAppProtocol(p.appProtocol)) continue;
        yield issue(s.object, `${ref(s.object)} port ${p.port}: appProtocol "${p.appProtocol}" is not a protocol Istio knows, so it falls back to sniffing.`,
          'use http, http2, grpc, grpc-web, tcp, tls, https, mongo, mysql, redis or kubernetes.io/h2c.');
      }
    },
  },
  {
    code: 'ZT503', severity: 'warning', area: 'ports', title: 'Service targetPort that no container exposes',
    *run(m) {
      for (const s of m.services) for (const w of m.workloadsOf(s)) {
        if (w.containerPorts.length === 0) continue;
        for (const p of s.ports) {
          const target = m.targetPort(p, w);
          if (target !== undefined && w.containerPorts.some((c) => c.containerPort === target)) continue;
          yield issue(s.object, `${ref(s.object)} port ${p.port} targets ${typeof p.targetPort === 'string' ? `named port "${p.targetPort}"` : `port ${target}`}, which ${w.object.kind} ${w.namespace}/${w.name} does not declare (it has ${listing(w.containerPorts.map((c) => `${c.containerPort}${c.name ? ` "${c.name}"` : ''}`))}); port-based policy and mTLS settings keyed on it will not line up.`,
            'point targetPort at a declared containerPort (or its name), or declare the port on the container.');
        }
      }
    },
  },
  {
    code: 'ZT504', severity: 'warning', area: 'ports', istio: ['IST0116', 'IST0137'], title: 'Services give one container port different protocols',
    *run(m) {
      for (const w of m.workloads) {
        // Only a proxy reads the protocol: a workload outside the mesh has no inbound listener.
        if (w.sidecar === false) continue;
        const seen = new Map<number, { s: string; cls: string }[]>();
        for (const s of m.servicesOf(w)) for (const p of s.ports) {
          const t = m.targetPort(p, w);
          if (t !== undefined) seen.set(t, [...(seen.get(t) ?? []), { s: s.name, cls: p.protocolClass }]);
        }
        for (const [port, list] of seen) {
          if (new Set(list.map((x) => x.cls)).size < 2) continue;
          yield issue(w.object, `${ref(w.object)} container port ${port} is declared as ${listing(list.map((x) => `${x.cls} by Service ${x.s}`))}; Istio builds one inbound listener per port and picks one protocol.`,
            'declare the same protocol for the port in every Service that selects the workload.');
        }
      }
    },
  },
  {
    code: 'ZT505', severity: 'info', area: 'ports', istio: ['IST0118'], title: 'Service port without a protocol, workloads not in the input',
    *run(m) {
      // istioctl IST0118 (an info there too): the same naming rule for Services whose pods the
      // input does not show; if they are in the mesh, their traffic is sniffed.
      for (const s of m.services) {
        if (s.type === 'ExternalName' || m.workloadsOf(s).length > 0) continue;
        for (const p of withoutProtocol(s)) {
          yield issue(s.object, `${ref(s.object)} port ${p.port}${p.name ? ` ("${p.name}")` : ''} declares no protocol (name prefix or appProtocol); if its pods are in the mesh, Istio sniffs the protocol.`,
            'name the port "<protocol>[-suffix]" (e.g. "http-web", "tcp-db") or set appProtocol.');
        }
      }
    },
  },
  {
    code: 'ZT506', severity: 'warning', area: 'ports', istio: ['IST0150'], title: 'ExternalName Service port without a usable protocol',
    *run(m) {
      // istioctl IST0150 ExternalNameServiceTypeInvalidPortName (analyzers/service/portname.go):
      // an ExternalName Service becomes an Istio service entry whose protocol comes from the port
      // name; a port without one, or named just "tcp", is flagged.
      for (const s of m.services) {
        if (s.type !== 'ExternalName') continue;
        for (const p of s.ports) {
          if ((p.protocolClass !== 'unknown' || p.appProtocol !== undefined) && p.name !== 'tcp') continue;
          yield issue(s.object, `${ref(s.object)} is an ExternalName Service whose port ${p.port}${p.name ? ` ("${p.name}")` : ''} does not name a protocol Istio can use for the external host.`,
            'name the port by protocol with a suffix, e.g. "http-api" or "tls-db", or set appProtocol.');
        }
      }
    },
  },
  {
    code: 'ZT507', severity: 'warning', area: 'ports', istio: ['IST0177'], title: 'ServiceEntries give one host and port different protocols',
    *run(m) {
      // istioctl IST0177 ConflictingServiceEntryProtocol: one of the protocols wins, so traffic to
      // the port is handled as the other entry does not expect.
      const seen = new Map<string, { se: MeshObject; protocol: string }[]>();
      for (const se of m.ofKind('ServiceEntry')) for (const host of strs(se.spec.hosts)) for (const p of recs(se.spec.ports)) {
        const number = p.number;
        if (typeof number !== 'number') continue;
        const key = `${host}:${number}`;
        const list = seen.get(key) ?? [];
        list.push({ se, protocol: (str(p.protocol) ?? 'unset').toUpperCase() });
        seen.set(key, list);
      }
      for (const [key, list] of seen) {
        // Entries that no namespace sees together (exportTo) do not conflict.
        const clashing = (x: typeof list[number]) => list.filter((y) => y.protocol !== x.protocol
          && exportedTogether(strs(x.se.spec.exportTo), x.se.namespace ?? 'default', strs(y.se.spec.exportTo), y.se.namespace ?? 'default'));
        for (const entry of list) {
          const others = clashing(entry);
          if (others.length === 0) continue;
          const all = [entry, ...others];
          yield issue(entry.se, `${ref(entry.se)}: ${listing([...new Set(all.map((x) => `ServiceEntry ${x.se.namespace}/${x.se.name}`))])} define ${key} with different protocols (${listing([...new Set(all.map((x) => x.protocol))])}) and are visible together; Istio uses one of them for the port.`,
            'declare the host and port once, or with the same protocol everywhere, or export the entries to different namespaces.');
        }
      }
    },
  },
  {
    code: 'ZT508', severity: 'warning', area: 'ports', istio: ['IST0134'], title: 'TCP ServiceEntry port without addresses',
    *run(m) {
      // istio:pkg/config/analysis/analyzers/serviceentry/protocoladdresses.go. Without a virtual
      // IP, a sidecar can tell TCP traffic apart by destination port only: every connection to the
      // port, whatever its address, is taken for this entry.
      if (m.autoAllocatesServiceEntryAddresses) return;
      for (const se of m.ofKind('ServiceEntry')) {
        if (se.spec.addresses !== undefined || recs(rec(se.raw.status)?.addresses).length > 0) continue;
        for (const p of recs(se.spec.ports)) {
          const protocol = str(p.protocol) || undefined; // "" is unset, as in Istio
          if (protocol !== undefined && protocol.toUpperCase() !== 'TCP') continue;
          yield issue(se, `${ref(se)} port ${String(p.number)} is ${protocol ? 'TCP' : 'without a protocol (TCP)'} and the entry has no addresses: sidecars match its traffic by port alone, so every TCP connection to port ${String(p.number)} is taken for ${listing(strs(se.spec.hosts))}.`,
            'set spec.addresses, or let Istio allocate them (DNS proxying with ISTIO_META_DNS_AUTO_ALLOCATE, https://istio.io/latest/docs/ops/configuration/traffic-management/dns-proxy/), or use a protocol routed by host (HTTP, TLS).');
        }
      }
    },
  },
  {
    code: 'ZT601', severity: 'warning', area: 'injection', istio: ['IST0102'], title: 'Namespace outside the mesh by omission',
    *run(m) {
      for (const ns of m.namespaces.values()) {
        if (ns.name === m.rootNamespace || KUBERNETES_SYSTEM_NAMESPACES.has(ns.name) || m.namespaceInjection(ns.name) !== false) continue;
        // Opting out on purpose (istio-injection=disabled) or into ambient is a decision, not an omission.
        if (ns.labels['istio-injection'] !== undefined || ns.labels['istio.io/dataplane-mode'] !== undefined) continue;
        // Ambient pods are in the mesh without a sidecar: ztunnel gives them identity and mTLS.
        const workloads = m.workloadsIn(ns.name).filter((w) => w.sidecar === false && !w.hostNetwork && !w.ambient);
        yield issue(ns, `Namespace ${ns.name} has no istio-injection, istio.io/rev or istio.io/dataplane-mode label, so its workloads${workloads.length ? ` (${listing(workloads.map((w) => w.name))})` : ''} run outside the mesh: no mTLS identity, and no Istio policy is enforced on them.`,
          `label the namespace istio-injection=enabled (or istio.io/rev=<revision>, or istio.io/dataplane-mode=ambient); write istio-injection=disabled if it is meant to stay outside the mesh.`);
      }
    },
  },
  {
    code: 'ZT602', severity: 'warning', area: 'injection', istio: ['IST0123'], title: 'Namespace with both injection labels',
    *run(m) {
      for (const ns of m.namespaces.values()) {
        // istio-injection=disabled beside a revision is a deliberate opt-out: the revision's webhook
        // only selects namespaces without istio-injection (istio:pkg/config/analysis/analyzers/injection).
        if (ns.labels['istio-injection'] !== 'enabled' || ns.labels['istio.io/rev'] === undefined) continue;
        yield issue(ns, `Namespace ${ns.name} has both istio-injection=enabled and istio.io/rev=${ns.labels['istio.io/rev']}; the default revision's injector wins, which hides the revision (and a revision upgrade may not take).`,
          'keep one of the labels: istio.io/rev for revisioned installs, istio-injection otherwise.');
      }
    },
  },
  {
    code: 'ZT603', severity: 'warning', area: 'injection', title: 'Pod opts out of injection in an injected namespace',
    *run(m) {
      for (const w of m.workloads) {
        const optOut = w.podLabels['sidecar.istio.io/inject'] === 'false' || w.podAnnotations['sidecar.istio.io/inject'] === 'false';
        if (!optOut || m.namespaceInjection(w.namespace) !== true) continue;
        yield issue(w.object, `${ref(w.object)} sets sidecar.istio.io/inject: "false" in injected namespace ${w.namespace}: it runs without a sidecar, has no mTLS identity, and no Istio policy protects it.`,
          'remove the opt-out, or move the workload to a namespace outside the mesh and protect it with a NetworkPolicy.');
      }
    },
  },
  {
    code: 'ZT604', severity: 'info', area: 'injection', istio: ['IST0135'], title: 'Injection set by the deprecated annotation',
    *run(m) {
      for (const w of m.workloads) {
        const v = w.podAnnotations['sidecar.istio.io/inject'];
        if (v === undefined) continue;
        yield issue(w.object, `${ref(w.object)} sets sidecar.istio.io/inject as a pod annotation, which is deprecated; the label is the supported form.`,
          `move it to the pod template's labels: sidecar.istio.io/inject: "${v}".`);
      }
    },
  },
  {
    code: 'ZT605', severity: 'warning', area: 'injection', istio: ['IST0144'], title: 'Container runs as UID 1337 (the proxy\'s)',
    *run(m) {
      for (const w of m.workloads) {
        if (!w.runAsUsers.includes(1337)) continue;
        yield issue(w.object, `${ref(w.object)} runs as UID 1337, the Istio proxy's UID, whose traffic the sidecar's iptables rules do not capture: the app's calls bypass mTLS and policy.`,
          'run the app as any other UID.');
      }
    },
  },
  {
    code: 'ZT606', severity: 'warning', area: 'injection', istio: ['IST0127', 'IST0101'], title: 'Selector matches no workload',
    *run(m) {
      for (const { o, labels } of selectingObjects(m)) {
        if (o.kind === 'PeerAuthentication' && o.namespace === m.rootNamespace) continue; // ZT203
        const scope = inScope(m, o);
        if (scope.length === 0 || scope.some((w) => isSubset(labels, w.podLabels))) continue;
        // Gateway pods are installed with the gateway (Helm, istioctl), rarely in the manifests:
        // a policy on the pods a Gateway of the input selects is not judged here (ZT401 says so).
        if (o.kind !== 'Sidecar' && selectsGatewayPods(m, o, labels)) continue;
        yield issue(o, `${ref(o)} selects ${JSON.stringify(labels)}, which no workload ${o.namespace === m.rootNamespace ? 'in the mesh' : `in namespace ${o.namespace}`} carries, so it applies to nothing.`,
          `correct the labels (workloads there: ${listing(scope.slice(0, 5).map((w) => `${w.name} ${JSON.stringify(w.podLabels)}`))}), or remove the object.`);
      }
    },
  },
  {
    code: 'ZT607', severity: 'warning', area: 'injection', istio: ['IST0167'], title: 'Policy selects only workloads without a sidecar',
    *run(m) {
      for (const kind of ['AuthorizationPolicy', 'PeerAuthentication', 'RequestAuthentication']) for (const o of m.ofKind(kind)) {
        if (m.selection(o).mode !== 'labels') continue;
        const selected = m.selectedWorkloads(o);
        // ztunnel enforces L4 authorization and mTLS modes for ambient pods; tokens need a waypoint.
        const enforcedByZtunnel = (w: Workload) => w.ambient && kind !== 'RequestAuthentication';
        if (selected.length === 0 || !selected.every((w) => w.sidecar === false && !enforcedByZtunnel(w))) continue;
        yield issue(o, `${ref(o)} selects only ${listing(selected.map((w) => `${w.namespace}/${w.name}`))}, which run${selected.length > 1 ? '' : 's'} without a sidecar: nothing enforces it.`,
          'enrol the workload in the mesh (injection label on the namespace, no opt-out), or protect it another way (NetworkPolicy).');
      }
      // A Sidecar resource configures sidecars only: ztunnel and waypoints never read it.
      for (const o of m.ofKind('Sidecar')) {
        const labels = sidecarSelector(o);
        const ns = o.namespace ?? 'default';
        if (Object.keys(labels).length === 0) {
          if (ns === m.rootNamespace || m.namespaceInjection(ns) !== false || m.namespaces.get(ns)?.labels['istio.io/dataplane-mode'] !== 'ambient') continue;
          yield issue(o, `${ref(o)} applies to namespace ${ns}, which is enrolled in ambient mode without sidecar injection: there are no sidecars to configure, so it has no effect.`,
            'remove it (ambient traffic is configured by waypoints), or enable sidecar injection for the namespace.');
          continue;
        }
        const selected = inScope(m, o).filter((w) => isSubset(labels, w.podLabels));
        if (selected.length === 0 || selected.some((w) => w.sidecar !== false)) continue;
        yield issue(o, `${ref(o)} selects only ${listing(selected.map((w) => `${w.namespace}/${w.name}`))}, which run${selected.length > 1 ? '' : 's'} without a sidecar${selected.every((w) => w.ambient) ? ' (ambient mode)' : ''}: it has no effect.`,
          'remove it, or enrol the workload with a sidecar.');
      }
    },
  },
  {
    code: 'ZT608', severity: 'info', area: 'injection', title: 'Workload without an identity of its own',
    *run(m) {
      for (const w of m.workloads) {
        if (w.sidecar === false) continue;
        const sharing = m.workloadsWithIdentity(w.namespace, w.serviceAccount).filter((x) => x !== w);
        if (w.serviceAccount !== 'default' && sharing.length === 0) continue;
        yield issue(w.object, `${ref(w.object)} runs as ServiceAccount "${w.serviceAccount}"${sharing.length ? `, shared with ${listing(sharing.map((x) => x.name))}` : ' (the namespace default)'}, so policies cannot grant or deny it apart from others.`,
          'give it a ServiceAccount of its own (spec.template.spec.serviceAccountName).');
      }
    },
  },
  {
    code: 'ZT609', severity: 'warning', area: 'injection', istio: ['IST0123'], title: 'Namespace enrolled in ambient and sidecar injection',
    *run(m) {
      for (const ns of m.namespaces.values()) {
        if (ns.labels['istio.io/dataplane-mode'] !== 'ambient' || m.namespaceInjection(ns.name) !== true) continue;
        yield issue(ns, `Namespace ${ns.name} is labelled istio.io/dataplane-mode=ambient and also for sidecar injection: its pods get sidecars, and ztunnel never captures a pod with a sidecar, so the ambient label has no effect (istio.io: sidecar mode takes precedence).`,
          'keep one data plane: remove the injection label for ambient, or the ambient label for sidecars (https://istio.io/latest/docs/ambient/usage/add-workloads/).');
      }
    },
  },
  {
    code: 'ZT701', severity: 'error', area: 'sidecar', istio: ['IST0111'], title: 'More than one namespace-wide Sidecar',
    *run(m) {
      const wide = m.ofKind('Sidecar').filter((o) => Object.keys(sidecarSelector(o)).length === 0);
      for (const { o, ns, list } of severalPerNamespace(wide)) {
        yield issue(o, `${ref(o)} is one of ${list.length} Sidecars without workloadSelector in namespace ${ns} (${listing(list.map((x) => x.name).sort())}); which one applies is undefined.`,
          'keep one namespace-wide Sidecar and give the others a workloadSelector.');
      }
    },
  },
  {
    code: 'ZT702', severity: 'warning', area: 'sidecar', title: 'Root-namespace Sidecar with a workloadSelector',
    *run(m) {
      for (const o of m.ofKind('Sidecar')) {
        if (o.namespace !== m.rootNamespace || Object.keys(sidecarSelector(o)).length === 0) continue;
        yield issue(o, `${ref(o)} is in the root namespace ${m.rootNamespace} with a workloadSelector; the root namespace's Sidecar is the mesh-wide default and should select nothing.`,
          'remove the workloadSelector, or move the Sidecar to the workloads\' namespace.');
      }
    },
  },
  {
    code: 'ZT703', severity: 'error', area: 'sidecar', istio: ['IST0110'], title: 'Several Sidecars select the same workload',
    *run(m) {
      const selecting = m.ofKind('Sidecar').filter((o) => Object.keys(sidecarSelector(o)).length > 0 && o.namespace !== m.rootNamespace);
      for (const { o, w, mine } of severalPerWorkload(m, selecting, sidecarSelector)) {
        yield issue(o, `${ref(o)} is one of ${mine.length} Sidecars (${listing(mine.map((x) => x.name).sort())}) whose workloadSelector selects ${w.object.kind} ${w.namespace}/${w.name}; which one applies to it is undefined.`,
          'make the selectors disjoint, so each workload has one Sidecar.');
      }
    },
  },
];

/** Telemetry resources: one per namespace without a selector, one per workload with (IST0159, IST0160). */
export const TELEMETRY_CHECKS: readonly Check[] = [
  {
    code: 'ZT801', severity: 'error', area: 'telemetry', istio: ['IST0160'], title: 'More than one namespace-wide Telemetry',
    *run(m) {
      const wide = m.ofKind('Telemetry').filter((o) => o.spec.targetRefs === undefined && o.spec.targetRef === undefined && Object.keys(telemetrySelector(o)).length === 0);
      for (const { o, ns, list } of severalPerNamespace(wide)) {
        yield issue(o, `${ref(o)} is one of ${list.length} Telemetry resources without a selector in namespace ${ns} (${listing(list.map((x) => x.name).sort())}); which one applies is undefined.`,
          'keep one namespace-wide Telemetry and give the others a selector.');
      }
    },
  },
  {
    code: 'ZT802', severity: 'error', area: 'telemetry', istio: ['IST0159'], title: 'Several Telemetries select the same workload',
    *run(m) {
      const selecting = m.ofKind('Telemetry').filter((o) => Object.keys(telemetrySelector(o)).length > 0);
      for (const { o, w, mine } of severalPerWorkload(m, selecting, telemetrySelector)) {
        yield issue(o, `${ref(o)} is one of ${mine.length} Telemetry resources (${listing(mine.map((x) => x.name).sort())}) selecting ${w.object.kind} ${w.namespace}/${w.name}; which one applies is undefined.`,
          'make the selectors disjoint.');
      }
    },
  },
];

const sidecarSelector = (o: MeshObject) => labelMap(rec(o.spec.workloadSelector)?.labels) ?? {};
const telemetrySelector = (o: MeshObject) => labelMap(rec(o.spec.selector)?.matchLabels) ?? {};

/**
 * Each object of a namespace that holds several of them: for kinds where one namespace-wide
 * object applies and a second makes the choice undefined (IST0111, IST0160).
 */
function* severalPerNamespace(objects: readonly MeshObject[]): Generator<{ o: MeshObject; ns: string; list: MeshObject[] }> {
  const byNs = new Map<string, MeshObject[]>();
  for (const o of objects) {
    const list = byNs.get(o.namespace ?? 'default');
    if (list) list.push(o);
    else byNs.set(o.namespace ?? 'default', [o]);
  }
  for (const [ns, list] of byNs) {
    if (list.length > 1) for (const o of list) yield { o, ns, list };
  }
}

/**
 * Each object whose selector shares a workload with another one in its namespace: for kinds
 * where one object per workload applies (IST0110, IST0159).
 */
function* severalPerWorkload(m: MeshModel, objects: readonly MeshObject[], selectorOf: (o: MeshObject) => Record<string, string>): Generator<{ o: MeshObject; w: Workload; mine: MeshObject[] }> {
  for (const w of m.workloads) {
    const mine = objects.filter((o) => (o.namespace ?? 'default') === w.namespace && isSubset(selectorOf(o), w.podLabels));
    if (mine.length > 1) for (const o of mine) yield { o, w, mine };
  }
}

/** The ports of a Service that declare no protocol (no name prefix, no appProtocol): Istio sniffs them. */
function withoutProtocol(s: ServiceInfo): ServicePortInfo[] {
  return s.ports.filter((p) => p.protocolClass === 'unknown' && p.appProtocol === undefined);
}
