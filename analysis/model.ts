import type { SourcedManifest } from './load.js';
import { DEFAULT_ROOT_NAMESPACE, DEFAULT_TRUST_DOMAIN, parseGoBool, ProtocolClass, servicePortProtocol } from './istio.js';
import { addTo, apiGroupOf, int, isSubset, labelMap, rec, recs, str, strs } from './values.js';

/**
 * The mesh as the manifests describe it: typed views of the objects and the queries Istio's
 * semantics need (which policies apply to a workload, its effective mTLS mode, the protocol of
 * a port, what a host resolves to). Built from manifests only, so it works on any GitOps repo;
 * the checks and the access simulator share it.
 */

/** Settings that live in meshConfig, not in the manifests. */
export interface MeshOptions {
  /** meshConfig `rootNamespace`. @default 'istio-system' */
  readonly rootNamespace?: string;
  /** meshConfig `trustDomain`; `cluster.local` always means the local domain too. @default 'cluster.local' */
  readonly trustDomain?: string;
  /** meshConfig `trustDomainAliases`. @default [] */
  readonly trustDomainAliases?: readonly string[];
  /**
   * Whether Istio gives ServiceEntries without `addresses` a virtual IP: DNS capture with
   * auto-allocation (`ISTIO_META_DNS_CAPTURE` and `ISTIO_META_DNS_AUTO_ALLOCATE` in meshConfig's
   * `defaultConfig.proxyMetadata`) or the IP auto-allocation controller. See
   * https://istio.io/latest/docs/ops/configuration/traffic-management/dns-proxy/
   * @default false
   */
  readonly autoAllocatesServiceEntryAddresses?: boolean;
  /**
   * meshConfig `outboundTrafficPolicy.mode`: what a sidecar does with a host that is not in its
   * registry (passthrough, or 502/closed). A Sidecar's own `outboundTrafficPolicy` overrides it.
   * When unset, Istio's default ALLOW_ANY is assumed for the semantics, but ZT755 reports a
   * workload falling back to it only when the mesh default is stated (or the input shows intent).
   * @default 'ALLOW_ANY'
   */
  readonly outboundTrafficPolicy?: OutboundTrafficPolicy;
}

/** The two outbound traffic policy modes (api:mesh/v1alpha1/config.proto OutboundTrafficPolicy). */
export type OutboundTrafficPolicy = 'ALLOW_ANY' | 'REGISTRY_ONLY';

/** One API object, read defensively: every field may be absent or of the wrong type. */
export interface MeshObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  /** The object's namespace; `default` for a namespaced object that names none; undefined for cluster-scoped kinds. */
  readonly namespace: string | undefined;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** `spec`, or an empty map when missing or not a map. */
  readonly spec: Readonly<Record<string, unknown>>;
  readonly raw: Readonly<Record<string, unknown>>;
  readonly file?: string;
}

const CLUSTER_SCOPED = new Set([
  'Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration', 'PersistentVolume', 'StorageClass', 'PriorityClass', 'IngressClass', 'GatewayClass', 'Node',
]);

/** A port a container declares. */
export interface ContainerPort { readonly containerPort: number; readonly name?: string; readonly protocol: string }

/** A pod-creating object (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Pod) as its pods will be. */
export interface Workload {
  readonly object: MeshObject;
  readonly namespace: string;
  readonly name: string;
  readonly podLabels: Readonly<Record<string, string>>;
  readonly podAnnotations: Readonly<Record<string, string>>;
  /** `spec.serviceAccountName`, `default` when unset: the pod's mesh identity. */
  readonly serviceAccount: string;
  readonly containerPorts: readonly ContainerPort[];
  /** UIDs the pod or its containers run as. */
  readonly runAsUsers: readonly number[];
  readonly hostNetwork: boolean;
  /**
   * Whether the pods get an Istio proxy: true, false, or undefined when the manifests do not
   * say (the namespace is not among them).
   */
  readonly sidecar: boolean | undefined;
  /**
   * Whether ztunnel captures the pods (ambient mode): no sidecar, not host-network, and the
   * `istio.io/dataplane-mode: ambient` label on the pod or on its namespace (unless the pod says
   * `none`) (istio:cni/pkg/util/enablement_selector.go). Such a pod has an mTLS identity and L4
   * policy is enforced for it; L7 policy and tokens need a waypoint.
   */
  readonly ambient: boolean;
}

export interface ServicePortInfo {
  readonly name?: string;
  readonly port: number;
  /** A number, a container port name, or undefined (= port). */
  readonly targetPort: number | string | undefined;
  readonly protocol: string;
  readonly appProtocol?: string;
  readonly protocolClass: ProtocolClass;
}

export interface ServiceInfo {
  readonly object: MeshObject;
  readonly namespace: string;
  readonly name: string;
  /** Undefined for a Service without selector (its endpoints are managed elsewhere). */
  readonly selector: Readonly<Record<string, string>> | undefined;
  readonly type: string;
  readonly ports: readonly ServicePortInfo[];
}

export type MtlsMode = 'STRICT' | 'PERMISSIVE' | 'DISABLE';

/** A workload's effective inbound mTLS mode and the PeerAuthentication that decided it. */
export interface EffectiveMtls {
  readonly mode: MtlsMode;
  readonly scope: 'default' | 'mesh' | 'namespace' | 'workload' | 'port';
  readonly decidedBy?: MeshObject;
}

/** How a policy chooses its workloads (api: authorization_policy.proto `selector`, `targetRefs`). */
export type Selection =
  | { readonly mode: 'all' }
  | { readonly mode: 'labels'; readonly labels: Readonly<Record<string, string>> }
  | { readonly mode: 'targetRefs' };

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob', 'Pod']);

/** The mode a PeerAuthentication (or one of its port entries) sets, or undefined for UNSET. */
export function mtlsModeOf(value: unknown): MtlsMode | undefined {
  const mode = str(rec(value)?.mode)?.toUpperCase();
  return mode === 'STRICT' || mode === 'PERMISSIVE' || mode === 'DISABLE' ? mode : undefined;
}

export class MeshModel {
  public readonly rootNamespace: string;
  public readonly autoAllocatesServiceEntryAddresses: boolean;
  /** The mesh-wide outbound traffic policy (meshConfig), Istio's ALLOW_ANY when not given. */
  public readonly outboundTrafficPolicy: OutboundTrafficPolicy;
  /** Whether the options stated the mesh-wide outbound traffic policy. */
  public readonly outboundTrafficPolicyStated: boolean;
  public readonly trustDomain: string;
  /** The trust domains principals may name for this mesh: `cluster.local`, the trust domain and its aliases. */
  public readonly localTrustDomains: ReadonlySet<string>;
  public readonly objects: readonly MeshObject[];
  /** Declared Namespace objects by name. */
  public readonly namespaces: ReadonlyMap<string, MeshObject>;
  public readonly workloads: readonly Workload[];
  /**
   * The Services, each once: of an object defined more than once, the last definition in input
   * order, the one `kubectl apply` leaves in the cluster (ZT003 reports the duplicate).
   */
  public readonly services: readonly ServiceInfo[];
  private readonly byKind = new Map<string, MeshObject[]>();
  /**
   * Per namespace: workloads, Services, and objects per kind, built on first use. Selection
   * asks these once per workload or policy; scanning the whole mesh each time made analysis
   * quadratic in the number of workloads (issue "Analysis at scale").
   */
  private workloadsByNamespace?: Map<string, Workload[]>;
  private servicesByNamespace?: Map<string, ServiceInfo[]>;
  private servicesByName?: Map<string, ServiceInfo>;
  /** Answers per policy and per workload, kept because the checks ask them again and again. */
  private readonly selectedCache = new WeakMap<MeshObject, Workload[]>();
  private readonly policiesCache = new WeakMap<Workload, MeshObject[]>();
  private readonly requestAuthenticationsCache = new WeakMap<Workload, MeshObject[]>();
  private readonly servicesCache = new WeakMap<Workload, ServiceInfo[]>();
  private readonly byKindAndNamespace = new Map<string, Map<string, MeshObject[]>>();
  /** Each object's place in the input, to merge per-namespace lists back into input order. */
  private readonly positions = new Map<MeshObject, number>();

  public constructor(manifests: readonly SourcedManifest[], options: MeshOptions = {}) {
    this.rootNamespace = options.rootNamespace ?? DEFAULT_ROOT_NAMESPACE;
    this.trustDomain = options.trustDomain ?? DEFAULT_TRUST_DOMAIN;
    this.autoAllocatesServiceEntryAddresses = options.autoAllocatesServiceEntryAddresses ?? false;
    this.outboundTrafficPolicy = options.outboundTrafficPolicy ?? 'ALLOW_ANY';
    this.outboundTrafficPolicyStated = options.outboundTrafficPolicy !== undefined;
    this.localTrustDomains = new Set([DEFAULT_TRUST_DOMAIN, this.trustDomain, ...(options.trustDomainAliases ?? [])]);
    this.objects = manifests.map(({ manifest, file }) => {
      const raw = manifest as unknown as Record<string, unknown>;
      const metadata = rec(raw.metadata) ?? {};
      const namespace = CLUSTER_SCOPED.has(manifest.kind) ? undefined : (str(metadata.namespace) ?? 'default');
      return {
        apiVersion: manifest.apiVersion, kind: manifest.kind, name: manifest.metadata.name, namespace,
        labels: labelMap(metadata.labels) ?? {}, annotations: labelMap(metadata.annotations) ?? {},
        spec: rec(raw.spec) ?? {}, raw, ...(file ? { file } : {}),
      };
    });
    // One list per kind, appended to in place: copying it per object was quadratic in the input.
    for (const [i, o] of this.objects.entries()) {
      addTo(this.byKind, o.kind, o);
      this.positions.set(o, i);
    }
    for (const [kind, list] of this.byKind) this.byKind.set(kind, lastDefinitions(list));
    this.namespaces = new Map(this.ofKind('Namespace').map((n) => [n.name, n]));
    this.services = this.ofKind('Service').map((o) => this.toService(o));
    this.workloads = lastDefinitions(this.objects.filter((o) => WORKLOAD_KINDS.has(o.kind))).map((o) => this.toWorkload(o));
  }

  /**
   * Objects of one kind, in input order, each once: of an object defined more than once (same
   * API group, kind, namespace and name), its last definition, the one `kubectl apply` leaves in
   * the cluster (ZT003 reports the duplicate). `objects` holds every definition.
   */
  public ofKind(kind: string): readonly MeshObject[] {
    return this.byKind.get(kind) ?? [];
  }

  /**
   * Whether the input holds the Namespace object itself. A reference into a namespace it does
   * not declare may name an object that exists in the cluster but not in these manifests, so
   * checks of references only judge declared namespaces (the input is then taken as complete).
   */
  public declares(namespace: string): boolean {
    return this.namespaces.has(namespace);
  }

  /**
   * Whether the input can be taken as complete for objects of `kinds` in `namespace`: it declares
   * the Namespace, or holds at least one object of those kinds there (a repository that keeps a
   * namespace's Services keeps all of them). References are judged only where this holds.
   */
  public covers(namespace: string, kinds: readonly string[]): boolean {
    return this.declares(namespace) || kinds.some((kind) => this.ofKind(kind).some((o) => o.namespace === namespace));
  }

  /**
   * The namespace a host resolves into: a short name is the asking namespace's, a
   * `<name>.<ns>.svc[.<domain>]` name is `<ns>`'s; other hosts (external, wildcards) none.
   */
  public namespaceOfHost(host: string, namespace: string): string | undefined {
    return kubernetesServiceOf(host, namespace)?.namespace;
  }

  /** Namespaces the manifests know: declared ones and those any object lives in. */
  public knownNamespaces(): Set<string> {
    return new Set([...this.namespaces.keys(), ...this.objects.flatMap((o) => (o.namespace ? [o.namespace] : []))]);
  }

  // ---- namespaces and injection ------------------------------------------------------------

  /**
   * Whether a namespace's pods get a sidecar: `istio-injection=enabled`, or an `istio.io/rev`
   * label without `istio-injection=disabled` (istio:manifests/charts/istio-control/istio-discovery
   * webhook namespaceSelectors). Undefined when the namespace is not declared.
   */
  public namespaceInjection(namespace: string): boolean | undefined {
    const ns = this.namespaces.get(namespace);
    if (!ns) return undefined;
    const injection = ns.labels['istio-injection'];
    if (injection === 'disabled') return false;
    return injection === 'enabled' || ns.labels['istio.io/rev'] !== undefined;
  }

  private toWorkload(o: MeshObject): Workload {
    const template = o.kind === 'Pod' ? o.raw
      : o.kind === 'CronJob' ? rec(rec(rec(o.spec.jobTemplate)?.spec)?.template)
        : rec(o.spec.template);
    const meta = rec(template?.metadata) ?? {};
    const spec = rec(template?.spec) ?? {};
    const podLabels = labelMap(meta.labels) ?? {};
    const podAnnotations = labelMap(meta.annotations) ?? {};
    const containers = recs(spec.containers);
    const containerPorts = containers.flatMap((c) => recs(c.ports).flatMap((p) => {
      const containerPort = int(p.containerPort);
      return containerPort === undefined ? [] : [{ containerPort, ...(str(p.name) ? { name: str(p.name)! } : {}), protocol: str(p.protocol) ?? 'TCP' }];
    }));
    const runAsUsers = [rec(spec.securityContext), ...containers.map((c) => rec(c.securityContext))]
      .map((sc) => int(sc?.runAsUser)).filter((u): u is number => u !== undefined);
    const hostNetwork = spec.hostNetwork === true;
    const namespace = o.namespace ?? 'default';
    // Opt-outs win; a labelled pod in an unlabelled namespace is injected by the object-selector
    // webhook (istio-discovery chart, `object.sidecar-injector.istio.io`); host-network pods never are.
    // The object selector reads the pod *label* `sidecar.istio.io/inject: "true"`, and applies in
    // namespaces with neither `istio-injection` nor `istio.io/rev` (istio-discovery chart's
    // mutating webhook, `object.sidecar-injector.istio.io`): so such a pod is injected in an
    // unlabelled namespace, and not in one labelled `istio-injection: disabled`.
    const podChoice = podLabels['sidecar.istio.io/inject'] ?? podAnnotations['sidecar.istio.io/inject'];
    let sidecar: boolean | undefined;
    const nsInjection = this.namespaceInjection(namespace);
    const nsLabels = this.namespaces.get(namespace)?.labels;
    const nsUnlabelled = nsLabels === undefined || (nsLabels['istio-injection'] === undefined && nsLabels['istio.io/rev'] === undefined);
    if (hostNetwork || podChoice === 'false') sidecar = false;
    else if (nsInjection === true) sidecar = true;
    else if (podLabels['sidecar.istio.io/inject'] === 'true' && nsUnlabelled) sidecar = true;
    else sidecar = nsInjection;
    const podMode = podLabels['istio.io/dataplane-mode'];
    const ambient = sidecar !== true && !hostNetwork
      && (podMode === 'ambient' || (podMode !== 'none' && nsLabels?.['istio.io/dataplane-mode'] === 'ambient'));
    return {
      object: o, namespace, name: o.name, podLabels, podAnnotations,
      serviceAccount: str(spec.serviceAccountName) ?? str(spec.serviceAccount) ?? 'default',
      containerPorts, runAsUsers, hostNetwork, sidecar, ambient,
    };
  }

  public workloadsIn(namespace: string): Workload[] {
    if (!this.workloadsByNamespace) {
      this.workloadsByNamespace = new Map();
      for (const w of this.workloads) addTo(this.workloadsByNamespace, w.namespace, w);
    }
    return [...(this.workloadsByNamespace.get(namespace) ?? [])];
  }

  /** Workloads running as `namespace/serviceAccount`. */
  public workloadsWithIdentity(namespace: string, serviceAccount: string): Workload[] {
    return this.workloadsIn(namespace).filter((w) => w.serviceAccount === serviceAccount);
  }

  /** Objects of one kind in one namespace, in input order, each once: its last definition (as `services`). */
  public ofKindIn(kind: string, namespace: string): readonly MeshObject[] {
    let index = this.byKindAndNamespace.get(kind);
    if (!index) {
      index = new Map();
      for (const o of this.ofKind(kind)) if (o.namespace !== undefined) addTo(index, o.namespace, o);
      this.byKindAndNamespace.set(kind, index);
    }
    return index.get(namespace) ?? [];
  }

  /**
   * The objects of a kind that can apply to a workload: those in its namespace and in the root
   * namespace, in input order (as a scan of every object of the kind would find them).
   */
  private ofKindAround(kind: string, w: Workload): readonly MeshObject[] {
    const own = this.ofKindIn(kind, w.namespace);
    if (w.namespace === this.rootNamespace) return own;
    const root = this.ofKindIn(kind, this.rootNamespace);
    if (root.length === 0) return own;
    if (own.length === 0) return root;
    return [...root, ...own].sort((a, b) => this.positions.get(a)! - this.positions.get(b)!);
  }

  /**
   * ServiceAccounts declared in a namespace, and those Istio creates there for a waypoint: a
   * Gateway of class `istio-waypoint` gets a ServiceAccount named like itself, or as its
   * `gateway.istio.io/service-account` annotation says (ISTIO.md §9.5;
   * istio:pilot/pkg/config/kube/gatewaycommon/classinfo.go `DisableNameSuffix`).
   */
  public serviceAccountsIn(namespace: string): string[] {
    const waypoints = this.ofKindIn('Gateway', namespace)
      .filter((g) => g.apiVersion.startsWith('gateway.networking.k8s.io/') && g.spec.gatewayClassName === 'istio-waypoint')
      .map((g) => g.annotations['gateway.istio.io/service-account'] ?? g.name);
    return [...this.ofKindIn('ServiceAccount', namespace).map((s) => s.name), ...waypoints];
  }

  // ---- services and ports ------------------------------------------------------------------

  private toService(o: MeshObject): ServiceInfo {
    const ports = recs(o.spec.ports).flatMap((p): ServicePortInfo[] => {
      const port = int(p.port);
      if (port === undefined) return [];
      const target = int(p.targetPort) ?? str(p.targetPort);
      const decl = {
        ...(str(p.name) !== undefined ? { name: str(p.name)! } : {}),
        port, protocol: str(p.protocol) ?? 'TCP',
        ...(str(p.appProtocol) !== undefined ? { appProtocol: str(p.appProtocol)! } : {}),
      };
      return [{ ...decl, targetPort: target, protocolClass: servicePortProtocol(decl) }];
    });
    const selector = labelMap(o.spec.selector);
    return {
      object: o, namespace: o.namespace ?? 'default', name: o.name,
      selector: selector && Object.keys(selector).length > 0 ? selector : undefined,
      type: str(o.spec.type) ?? 'ClusterIP', ports,
    };
  }

  /** The Service `namespace/name` (its last definition), if there is one. */
  public service(namespace: string, name: string): ServiceInfo | undefined {
    if (!this.servicesByName) this.servicesByName = new Map(this.services.map((s) => [`${s.namespace}/${s.name}`, s]));
    return this.servicesByName.get(`${namespace}/${name}`);
  }

  /** Services whose selector picks the workload's pods. */
  public servicesOf(w: Workload): ServiceInfo[] {
    if (!this.servicesByNamespace) {
      this.servicesByNamespace = new Map();
      for (const s of this.services) addTo(this.servicesByNamespace, s.namespace, s);
    }
    const byNamespace = this.servicesByNamespace;
    return [...remembered(this.servicesCache, w, () => (byNamespace.get(w.namespace) ?? []).filter((s) => s.selector && isSubset(s.selector, w.podLabels)))];
  }

  /** Workloads a Service sends traffic to. */
  public workloadsOf(s: ServiceInfo): Workload[] {
    return s.selector ? this.workloadsIn(s.namespace).filter((w) => isSubset(s.selector!, w.podLabels)) : [];
  }

  /** The container port a Service port reaches on a workload (a named targetPort is looked up). */
  public targetPort(p: ServicePortInfo, w: Workload): number | undefined {
    if (typeof p.targetPort === 'number') return p.targetPort;
    if (typeof p.targetPort === 'string') return w.containerPorts.find((c) => c.name === p.targetPort)?.containerPort;
    return p.port;
  }

  /** The ports a workload receives on: its container ports and every Service target port. */
  public inboundPorts(w: Workload): number[] {
    const ports = new Set(w.containerPorts.map((c) => c.containerPort));
    for (const s of this.servicesOf(w)) for (const p of s.ports) {
      const t = this.targetPort(p, w);
      if (t !== undefined) ports.add(t);
    }
    return [...ports].sort((a, b) => a - b);
  }

  /**
   * The protocol Istio assumes on a workload's container port, from the Service ports that
   * target it (istio:pkg/config/kube/conversion.go). `unknown` when none does (passthrough) or they disagree.
   */
  public portProtocol(w: Workload, containerPort: number): ProtocolClass {
    const classes = new Set<ProtocolClass>();
    for (const s of this.servicesOf(w)) for (const p of s.ports) {
      if (this.targetPort(p, w) === containerPort) classes.add(p.protocolClass);
    }
    return classes.size === 1 ? [...classes][0]! : 'unknown';
  }

  // ---- hosts ---------------------------------------------------------------------------------

  /**
   * What a route or DestinationRule host names, seen from `namespace`: a short name is completed
   * with the object's namespace, a name with dots is taken as written
   * (istio:pkg/config/host ResolveShortnameToFQDN; api: virtual_service.proto `host`).
   */
  public resolveHost(host: string, namespace: string): { service?: ServiceInfo; serviceEntry?: MeshObject; wildcard?: boolean } {
    if (host.includes('*')) return { wildcard: true };
    const { name, namespace: ns } = kubernetesServiceOf(host, namespace) ?? {};
    // Only what is exported to the asking namespace resolves there: `exportTo` of a ServiceEntry,
    // the `networking.istio.io/exportTo` annotation of a Service (istio.io, "ServiceEntry"
    // reference: exportTo; "Configuration Scoping").
    const service = name !== undefined
      ? this.services.find((s) => s.name === name && s.namespace === ns
        && serviceExportedTo(s.object, namespace))
      : undefined;
    const serviceEntry = this.ofKind('ServiceEntry').find((se) => strs(se.spec.hosts).some((h) => hostMatches(h, host))
      && exportedTo(strs(se.spec.exportTo), se.namespace ?? 'default', namespace));
    return { ...(service ? { service } : {}), ...(serviceEntry ? { serviceEntry } : {}) };
  }

  // ---- policy selection ----------------------------------------------------------------------

  /**
   * How an AuthorizationPolicy, RequestAuthentication or PeerAuthentication selects workloads:
   * targetRefs, every workload (no selector, or empty matchLabels), or by labels
   * (istio:pilot/pkg/model/policyattachment.go ShouldAttachPolicy).
   */
  public selection(o: MeshObject): Selection {
    // Istio counts the references (`GetTargetRefs`): `targetRefs: []` or a null `targetRef` is
    // none, and the selector decides; anything else there makes sidecars ignore the policy.
    const refers = (v: unknown) => (Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null);
    if (refers(o.spec.targetRef) || refers(o.spec.targetRefs)) return { mode: 'targetRefs' };
    const labels = labelMap(rec(o.spec.selector)?.matchLabels);
    return labels && Object.keys(labels).length > 0 ? { mode: 'labels', labels } : { mode: 'all' };
  }

  /**
   * The workloads a policy applies to: its own namespace's, or every namespace's when it lives
   * in the root namespace; none for targetRefs, which sidecars ignore (istio:pilot/pkg/model/policyattachment.go).
   */
  public selectedWorkloads(o: MeshObject): Workload[] {
    // Asked by several checks for every policy (a root-namespace policy scans every workload):
    // worked out once per policy, a copy handed out.
    return [...remembered(this.selectedCache, o, () => {
      const sel = this.selection(o);
      const candidates = o.namespace === this.rootNamespace ? this.workloads : this.workloadsIn(o.namespace ?? 'default');
      return sel.mode === 'targetRefs' ? [] : sel.mode === 'all' ? [...candidates] : candidates.filter((w) => isSubset(sel.labels, w.podLabels));
    })];
  }

  /** True when a policy applies to the workload (same rules as `selectedWorkloads`). */
  public applies(o: MeshObject, w: Workload): boolean {
    if (o.namespace !== this.rootNamespace && o.namespace !== w.namespace) return false;
    const sel = this.selection(o);
    return sel.mode === 'all' || (sel.mode === 'labels' && isSubset(sel.labels, w.podLabels));
  }

  /** True for an AuthorizationPolicy in dry-run: logged, never enforced (istio:…/authz/builder/builder.go isDryRun). */
  public isDryRun(o: MeshObject): boolean {
    const v = o.annotations['istio.io/dry-run'];
    return v !== undefined && parseGoBool(v) === true;
  }

  /** The enforced AuthorizationPolicies of a workload (dry-run ones left out). */
  public authorizationPoliciesFor(w: Workload): MeshObject[] {
    return [...remembered(this.policiesCache, w, () => this.ofKindAround('AuthorizationPolicy', w).filter((p) => this.applies(p, w) && !this.isDryRun(p)))];
  }

  /** The RequestAuthentications of a workload; all of them merge (istio:pilot/pkg/security/authn/policy_applier.go). */
  public requestAuthenticationsFor(w: Workload): MeshObject[] {
    return [...remembered(this.requestAuthenticationsCache, w, () => this.ofKindAround('RequestAuthentication', w).filter((r) => this.applies(r, w)))];
  }

  // ---- mTLS ----------------------------------------------------------------------------------

  /**
   * A PeerAuthentication's scope (api:security/v1beta1/peer_authentication.proto): mesh (root namespace, no selector), namespace
   * (other namespace, no selector), workload (selector, not root), or ignored (selector in root).
   */
  public peerAuthenticationScope(pa: MeshObject): 'mesh' | 'namespace' | 'workload' | 'ignored' {
    const root = pa.namespace === this.rootNamespace;
    const sel = this.selection(pa);
    if (sel.mode === 'labels') return root ? 'ignored' : 'workload';
    if (sel.mode === 'targetRefs') return 'ignored';
    return root ? 'mesh' : 'namespace';
  }

  private paAt(scope: 'mesh' | 'namespace', namespace?: string): MeshObject | undefined {
    // Several at one scope: Istio takes the oldest, unknown offline; ZT204 reports the conflict.
    return this.ofKindIn('PeerAuthentication', scope === 'mesh' ? this.rootNamespace : namespace ?? 'default')
      .filter((pa) => this.peerAuthenticationScope(pa) === scope)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))[0];
  }

  /** Workload-level PeerAuthentications selecting the workload. */
  public workloadPeerAuthentications(w: Workload): MeshObject[] {
    return this.ofKindAround('PeerAuthentication', w).filter((pa) => this.peerAuthenticationScope(pa) === 'workload' && this.applies(pa, w));
  }

  /** The mode of a namespace before workload policies: namespace > mesh > PERMISSIVE. */
  public namespaceMtls(namespace: string): EffectiveMtls {
    let result: EffectiveMtls = { mode: 'PERMISSIVE', scope: 'default' };
    const mesh = this.paAt('mesh');
    const meshMode = mesh && mtlsModeOf(mesh.spec.mtls);
    if (mesh && meshMode) result = { mode: meshMode, scope: 'mesh', decidedBy: mesh };
    const ns = namespace === this.rootNamespace ? undefined : this.paAt('namespace', namespace);
    const nsMode = ns && mtlsModeOf(ns.spec.mtls);
    if (ns && nsMode) result = { mode: nsMode, scope: 'namespace', decidedBy: ns };
    return result;
  }

  /**
   * A workload's effective inbound mode on a container port: port-level > workload > namespace
   * > mesh > PERMISSIVE, UNSET inheriting (istio:pilot/pkg/security/authn/policy_applier.go
   * ComposePeerAuthentication).
   */
  public effectiveMtls(w: Workload, containerPort?: number): EffectiveMtls {
    let result = this.namespaceMtls(w.namespace);
    const pa = this.workloadPeerAuthentications(w).sort((a, b) => (a.name < b.name ? -1 : 1))[0];
    if (pa) {
      const mode = mtlsModeOf(pa.spec.mtls);
      if (mode) result = { mode, scope: 'workload', decidedBy: pa };
      const portMode = containerPort !== undefined ? mtlsModeOf(rec(pa.spec.portLevelMtls)?.[String(containerPort)]) : undefined;
      if (portMode) result = { mode: portMode, scope: 'port', decidedBy: pa };
    }
    return result;
  }
}

/**
 * The objects without those a later definition of the same object replaces. An object is its API
 * group, kind, namespace and name: an Istio Gateway and a Gateway API Gateway may share a name.
 */
function lastDefinitions(objects: readonly MeshObject[]): MeshObject[] {
  const key = (o: MeshObject) => `${apiGroupOf(o.apiVersion)}/${o.kind}/${o.namespace ?? ''}/${o.name}`;
  const last = new Map<string, MeshObject>();
  for (const o of objects) last.set(key(o), o);
  return objects.filter((o) => last.get(key(o)) === o);
}

/**
 * The Kubernetes Service a host names: a short name (no dot) in the asking namespace, or
 * `<name>.<ns>.svc[.<domain>]`; undefined for other hosts (external names, wildcards).
 */
export function kubernetesServiceOf(host: string, namespace: string): { name: string; namespace: string } | undefined {
  if (host.includes('*')) return undefined;
  if (!host.includes('.')) return { name: host, namespace };
  const m = /^([^.]+)\.([^.]+)\.svc(\..+)?$/.exec(host);
  return m ? { name: m[1]!, namespace: m[2]! } : undefined;
}

/** A VirtualService's `gateways` entry resolved to namespace and name (`ns/name`, a bare name in the VS's namespace, or the old `name.ns.svc…` form). */
export function gatewayRef(entry: string, vsNamespace: string): { namespace: string; name: string } {
  if (entry.includes('/')) { const [ns, name] = entry.split('/', 2); return { namespace: ns!, name: name! }; }
  if (entry.includes('.')) { const [name, ns] = entry.split('.'); return { namespace: ns!, name: name! }; }
  return { namespace: vsNamespace, name: entry };
}

/**
 * Whether a Gateway server's `hosts` entry (`ns/host`, `./host`, `*` + `/host`, or a bare host,
 * which admits every namespace) exposes `host` to a VirtualService in `vsNamespace`
 * (istio.io, "Gateway" reference: Server.hosts).
 */
export function serverHostAdmits(serverHost: string, gatewayNamespace: string, vsNamespace: string | undefined, host: string): boolean {
  const slash = serverHost.indexOf('/');
  const ns = slash >= 0 ? serverHost.slice(0, slash) : '*';
  const pattern = slash >= 0 ? serverHost.slice(slash + 1) : serverHost;
  const namespaceOk = ns === '*' || (ns === '.' ? vsNamespace === gatewayNamespace : vsNamespace === ns);
  return namespaceOk && hostMatches(pattern, host);
}

/**
 * A gateway's pods as a workload (an ingress, egress or Gateway API gateway): Istio or Helm
 * deploys them, so the manifests rarely hold them; their namespace, labels and identity are
 * what policy selection and NetworkPolicy read.
 */
export function gatewayPods(namespace: string, name: string, serviceAccount: string, labels: Readonly<Record<string, string>>): Workload {
  const podLabels = { ...labels };
  return {
    object: { apiVersion: 'apps/v1', kind: 'Deployment', name, namespace, labels: podLabels, annotations: {}, spec: {}, raw: {} },
    namespace, name, podLabels, podAnnotations: {}, serviceAccount,
    containerPorts: [], runAsUsers: [], hostNetwork: false, sidecar: true, ambient: false,
  };
}

/**
 * Whether an object of `owner` with this `exportTo` list is visible in `namespace`: no list or
 * `*` is every namespace, `.` the owner's own, `~` none, other entries by name.
 */
export function exportedTo(exportTo: readonly string[], owner: string, namespace: string): boolean {
  if (exportTo.length === 0) return true;
  return exportTo.some((e) => e === '*' || e === namespace || (e === '.' && owner === namespace));
}

/** Whether a Kubernetes Service is exported to `namespace` (`networking.istio.io/exportTo`). */
export function serviceExportedTo(service: MeshObject, namespace: string): boolean {
  // Asked for every cell of the access matrix: the annotation is split once per Service.
  let list = EXPORT_TO.get(service);
  if (!list) {
    list = (service.annotations['networking.istio.io/exportTo'] ?? '').split(',').map((e) => e.trim()).filter(Boolean);
    EXPORT_TO.set(service, list);
  }
  return exportedTo(list, service.namespace ?? 'default', namespace);
}

const EXPORT_TO = new WeakMap<MeshObject, string[]>();

/** Whether some namespace sees both objects, given their `exportTo` lists and own namespaces. */
export function exportedTogether(a: readonly string[], aOwner: string, b: readonly string[], bOwner: string): boolean {
  const everywhere = (list: readonly string[]) => list.length === 0 || list.includes('*');
  if (everywhere(a) && everywhere(b)) return true;
  const named = [...a, ...b].filter((e) => e !== '*' && e !== '.' && e !== '~');
  return [aOwner, bOwner, ...named].some((ns) => exportedTo(a, aOwner, ns) && exportedTo(b, bOwner, ns));
}

/** `cache`'s answer for `key`, worked out by `work` the first time: the checks ask the same again and again. */
function remembered<K extends object, T>(cache: WeakMap<K, T>, key: K, work: () => T): T {
  let answer = cache.get(key);
  if (answer === undefined) {
    answer = work();
    cache.set(key, answer);
  }
  return answer;
}

/**
 * Whether two hosts overlap, either with one leading `*` wildcard, as in ServiceEntry, Gateway
 * and VirtualService hosts: equal names, or a wildcard whose suffix ends the other host; two
 * wildcards overlap when either one's suffix ends the other's, so `*.example.com` and
 * `*.shop.example.com` overlap whichever is the pattern (istio:pkg/config/host/name.go `Matches`).
 */
export function hostMatches(pattern: string, host: string): boolean {
  return lowerCaseHostMatches(pattern.toLowerCase(), host.toLowerCase());
}

/** `hostMatches` for a pattern and host already in lower case (asked in bulk by the access matrix). */
export function lowerCaseHostMatches(p: string, h: string): boolean {
  // `*` alone has the empty suffix, which ends every host.
  if (p.startsWith('*') && h.endsWith(p.slice(1))) return true;
  if (h.startsWith('*') && p.endsWith(h.slice(1))) return true;
  return p === h;
}
