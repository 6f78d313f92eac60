import { Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import type { Namespace } from 'kubernetes-types/core/v1.js';
import {
  ServiceEntry, ServiceEntrySpec, ServiceEntrySpecLocation, ServiceEntrySpecResolution, Sidecar, SidecarSpec, SidecarSpecOutboundTrafficPolicyMode,
} from '../imports/networking.istio.io.js';
import type { ExternalHost } from './external-host.js';
import { PeerAuthenticationSpecMtlsMode } from '../imports/security.istio.io.js';
import { CallerIdentity, ICaller } from './caller.js';
import { Dataplane } from './dataplane.js';
import { checkDnsLabel, ZeroTrustConfigError } from './errors.js';
import { Mesh } from './mesh.js';
import { acceptsPlaintext, MtlsMode } from './mtls-mode.js';
import { acknowledgementAnnotation } from './security-posture.js';
import { ManifestObject } from './manifest-object.js';
import { SecurityManifest } from './security-manifest.js';
import { defaultDenySpec, egressRules, NetworkFlow } from './network-policy.js';
import { Waypoint } from './waypoint.js';

/** Props of a zero-trust namespace. */
export interface ZeroTrustNamespaceProps {
  /**
   * The namespace's inbound mTLS mode, written as a namespace-wide PeerAuthentication.
   * @default - the mesh's mode
   */
  readonly mtls?: MtlsMode;
  /**
   * How pods get their proxy: sidecars, or ambient mode (ztunnel, and waypoints for L7 policy).
   * @default - the mesh's data plane (`MeshProps.dataplane`)
   */
  readonly dataplane?: Dataplane;
  /**
   * Ambient mode only: whether a grant that needs L7 (methods, paths, end-user tokens, claims)
   * on a workload without a waypoint creates the namespace's waypoint (`waypoint`) and binds the
   * workload's Service to it. With `false` such a grant is refused unless the workload names its
   * waypoint (`MeshWorkloadProps.waypoint`), so no waypoint appears that the platform team did
   * not declare.
   * @default true
   */
  readonly automaticWaypoint?: boolean;
  /**
   * Extra labels on the Namespace object.
   * @default - none
   */
  readonly labels?: Record<string, string>;
}

/**
 * A Namespace enrolled in the mesh, with its mTLS mode and default deny: an allow-nothing
 * AuthorizationPolicy, so no workload in it is reachable until a grant says so.
 * The construct id is the namespace name; workloads are created inside it.
 */
export class ZeroTrustNamespace extends Construct implements ICaller {
  /** The ZeroTrustNamespace that `scope` belongs to. */
  public static of(scope: Construct): ZeroTrustNamespace {
    const ns = scope.node.scopes.find((s): s is ZeroTrustNamespace => s instanceof ZeroTrustNamespace);
    if (!ns) {
      throw new ZeroTrustConfigError(scope.node.path, 'scope', 'is not inside a ZeroTrustNamespace.', 'create workloads inside a ZeroTrustNamespace: new MeshWorkload(namespace, "name", {...}).');
    }
    return ns;
  }

  /** The namespace name. */
  public readonly name: string;
  /** The effective inbound mTLS mode of its workloads. */
  public readonly mtls: MtlsMode;
  public readonly dataplane: Dataplane;
  public readonly mesh: Mesh;
  /** Whether L7 grants create the namespace's waypoint when needed (ambient mode). */
  public readonly automaticWaypoint: boolean;
  private namespaceWaypoint?: Waypoint;
  private readonly workloadNames = new Set<string>();
  private readonly importedHosts = new Set<string>();
  private readonly externalHosts = new Set<string>();
  private readonly namespaceEgress: NetworkFlow[] = [];
  private readonly serviceAccountNames = new Set<string>();
  private readonly workloadsByServiceAccount = new Map<string, Construct[]>();

  public constructor(mesh: Mesh, name: string, props: ZeroTrustNamespaceProps = {}) {
    // Checked before the construct node exists, so a duplicate gets advice, not a tree error.
    const self = `ZeroTrustNamespace "${name}"`;
    checkDnsLabel(name, self, 'name');
    mesh.registerNamespace(name, self);
    super(mesh, name);
    this.name = name;
    this.mesh = mesh;
    this.mtls = props.mtls ?? mesh.mtls;
    this.dataplane = props.dataplane ?? mesh.dataplane;
    if (this.dataplane !== Dataplane.SIDECAR && this.dataplane !== Dataplane.AMBIENT) {
      throw new ZeroTrustConfigError(self, 'dataplane', 'is not one of the data planes.', 'use Dataplane.SIDECAR or Dataplane.AMBIENT (Dataplane.of("ambient") from config).');
    }
    this.automaticWaypoint = props.automaticWaypoint ?? true;
    if (props.automaticWaypoint !== undefined && !this.dataplane.isAmbient) {
      throw new ZeroTrustConfigError(self, 'automaticWaypoint', 'is set on a sidecar namespace, where sidecars enforce L7 policy and no waypoint is used.',
        'drop automaticWaypoint, or make the namespace ambient (dataplane: Dataplane.AMBIENT).');
    }
    if (this.dataplane.isAmbient && this.mtls === MtlsMode.DISABLE) {
      throw new ZeroTrustConfigError(self, 'mtls',
        'DISABLE has no effect on ambient pods: ztunnel keeps using mTLS (HBONE) and treats the mode as PERMISSIVE, accepting plaintext too (https://istio.io/latest/docs/ambient/usage/l4-policy/).',
        'use STRICT (or PERMISSIVE, acknowledged); to run without mTLS, make the namespace a sidecar one (dataplane: Dataplane.SIDECAR).');
    }

    const acknowledged = acceptsPlaintext(this.mtls)
      ? mesh.posture.permit('nonStrictMtls', {
        construct: self, field: 'mtls',
        problem: `mode ${this.mtls} accepts plaintext, so callers without a verified identity reach its workloads.`,
        fix: 'set mtls to STRICT (or leave it unset to inherit a STRICT mesh).',
      })
      : undefined;
    const annotations = acknowledged ? { [acknowledgementAnnotation('nonStrictMtls')]: acknowledged } : undefined;

    new ManifestObject(this, 'namespace', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels: { ...props.labels, ...this.dataplane.namespaceLabels() } },
    } satisfies Namespace);
    // Namespace scope: no selector in a non-root namespace (istio.io, "PeerAuthentication"
    // reference; istio:pilot/pkg/security/authn/policy_applier.go). Written even when it
    // equals the mesh's mode, so each namespace file states its own transport security.
    new ManifestObject(this, 'mtls', SecurityManifest.peerAuthentication({
      metadata: { name: 'default', namespace: name, ...(annotations ? { annotations } : {}) },
      spec: { mtls: { mode: PeerAuthenticationSpecMtlsMode[this.mtls] } },
    }));
    // `spec: {}` is "allow-nothing": an ALLOW policy that matches nothing, so any request not
    // matched by another ALLOW policy is denied
    // (https://istio.io/latest/docs/concepts/security/#allow-nothing-deny-all-and-allow-all-policy).
    new ManifestObject(this, 'default-deny', SecurityManifest.authorizationPolicy({
      metadata: { name: 'allow-nothing', namespace: name },
      spec: {},
    }));
    // The same default deny at L3/L4, for pods without a working proxy; grants open it.
    new ManifestObject(this, 'network-default-deny', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'default-deny', namespace: name },
      spec: Lazy.any({ produce: () => this.defaultDenyNetworkPolicy() }),
    } as never);
    // A Sidecar configures sidecars only: ztunnel and waypoints never read one (istioctl IST0167),
    // so an ambient namespace gets none.
    if (this.dataplane.isAmbient) {
      mesh.denyAtWaypointsByDefault();
    } else {
      // The namespace's egress scope: its sidecars know only the hosts its grants reach, and the
      // mesh's outbound traffic policy decides what happens to any other (istio.io, Sidecar reference).
      const sidecarAnnotations = mesh.allowAnyEgressAcknowledged !== undefined
        ? { [acknowledgementAnnotation('allowAnyEgress')]: mesh.allowAnyEgressAcknowledged } : undefined;
      // Plain JSON, not Sidecar.manifest(): the generated converter cannot walk a Lazy hosts list.
      const mode = mesh.outboundTrafficPolicy === 'ALLOW_ANY' ? SidecarSpecOutboundTrafficPolicyMode.ALLOW_UNDERSCORE_ANY : SidecarSpecOutboundTrafficPolicyMode.REGISTRY_UNDERSCORE_ONLY;
      new ManifestObject(this, 'sidecar', {
        apiVersion: Sidecar.GVK.apiVersion,
        kind: Sidecar.GVK.kind,
        metadata: { name: 'default', namespace: name, ...(sidecarAnnotations ? { annotations: sidecarAnnotations } : {}) },
        spec: Lazy.any({ produce: (): SidecarSpec => ({ egress: [{ hosts: this.sidecarHosts() }], outboundTrafficPolicy: { mode } }) }),
      } as never);
    }
    mesh.trackNamespace(this);
  }

  /**
   * Lets a Service host be imported by this namespace's sidecars (`<ns>/<fqdn>`), a caller's side
   * of a grant.
   * @internal
   */
  public importHost(host: string): void {
    this.importedHosts.add(host);
  }

  /**
   * Lets every pod of this namespace connect to `flow`: the caller's side of a grant to the whole
   * namespace.
   * @internal
   */
  public addNamespaceEgress(flow: NetworkFlow): void {
    this.namespaceEgress.push(flow);
  }

  /**
   * Declares an external host for this namespace's sidecars: a ServiceEntry exported to this
   * namespace only (every other namespace keeps not knowing it), and the Sidecar's egress host.
   * @internal
   */
  public allowExternal(host: ExternalHost): void {
    const key = `${host.host}:${host.port}`;
    if (this.externalHosts.has(key)) return;
    this.externalHosts.add(key);
    new ManifestObject(this, `external-${key}`, {
      apiVersion: ServiceEntry.GVK.apiVersion,
      kind: ServiceEntry.GVK.kind,
      metadata: { name: `${host.host.replace(/\./g, '-')}-${host.port}`, namespace: this.name },
      spec: {
        hosts: [host.host],
        exportTo: ['.'],
        location: ServiceEntrySpecLocation.MESH_UNDERSCORE_EXTERNAL,
        // TCP is matched by address: its CIDRs are the addresses, which Istio allows only with
        // resolution NONE (the original destination is used); TLS and HTTP resolve the host by DNS.
        resolution: host.protocol === 'TCP' ? ServiceEntrySpecResolution.NONE : ServiceEntrySpecResolution.DNS,
        ports: [{ number: host.port, name: host.portName, protocol: host.protocol }],
        ...(host.protocol === 'TCP' ? { addresses: [...host.cidrs] } : {}),
      } satisfies ServiceEntrySpec,
    } as never);
    this.importHost(`./${host.host}`);
  }

  /** The hosts the Sidecar imports, sorted; `~/*` (nothing) when no grant reaches out. */
  private sidecarHosts(): string[] {
    const hosts = [...new Set([...this.importedHosts, ...this.mesh.meshWideAccess().hosts])].sort();
    return hosts.length > 0 ? hosts : ['~/*'];
  }

  private defaultDenyNetworkPolicy() {
    const extra = egressRules([...this.namespaceEgress, ...this.mesh.meshWideAccess().egress]);
    return defaultDenySpec(this.dataplane.isAmbient, { istiodNamespace: this.mesh.rootNamespace }, extra);
  }

  /** The namespace's automatic waypoint (`waypoint`), if a grant has created it. */
  public get waypoint(): Waypoint | undefined {
    return this.namespaceWaypoint;
  }

  /**
   * The waypoint for a workload whose grants need L7 enforcement: the namespace's automatic one,
   * created on first use. Refused when the namespace creates none (`automaticWaypoint: false`),
   * since an L7 rule at ztunnel is dropped and would deny (ALLOW) or pass (DENY) everything
   * (https://istio.io/latest/docs/ambient/usage/l4-policy/; docs/ambient.md).
   * @internal
   */
  public waypointFor(construct: string, field: string, need: string): Waypoint {
    if (this.namespaceWaypoint) return this.namespaceWaypoint;
    if (!this.automaticWaypoint) {
      throw new ZeroTrustConfigError(construct, field,
        `${need}, which in ambient mode only a waypoint enforces, and the workload has none (namespace "${this.name}" sets automaticWaypoint: false); at ztunnel the L7 conditions would be dropped (https://istio.io/latest/docs/ambient/usage/l4-policy/).`,
        'bind the workload to a waypoint (waypoint: new Waypoint(namespace, "waypoint")), allow the namespace its automatic one, or grant by identity and port only.');
    }
    this.namespaceWaypoint = new Waypoint(this, 'waypoint');
    return this.namespaceWaypoint;
  }

  /** Reserves a workload name and its ServiceAccount; refuses duplicates with advice. */
  public registerWorkload(name: string, serviceAccount: string, construct: string): void {
    if (this.workloadNames.has(name)) {
      throw new ZeroTrustConfigError(construct, 'name',
        `namespace "${this.name}" already has a workload named "${name}".`,
        'give each workload a unique name within its namespace.');
    }
    if (this.serviceAccountNames.has(serviceAccount)) {
      throw new ZeroTrustConfigError(construct, 'serviceAccountName',
        `ServiceAccount "${serviceAccount}" is already used by another workload in "${this.name}"; principals could not tell the two apart (istio.io, Security concepts: a workload's identity is its service account).`,
        'give each workload its own ServiceAccount (leave serviceAccountName unset to use the workload name).');
    }
    this.workloadNames.add(name);
    this.serviceAccountNames.add(serviceAccount);
  }

  /**
   * Records a workload under its ServiceAccount, so grants can find who runs as an identity.
   * @internal
   */
  public trackWorkload(serviceAccount: string, workload: Construct): void {
    const list = this.workloadsByServiceAccount.get(serviceAccount);
    if (list) list.push(workload);
    else this.workloadsByServiceAccount.set(serviceAccount, [workload]);
  }

  /**
   * The workloads of this namespace that run as `serviceAccount`.
   * @internal
   */
  public workloadsRunningAs(serviceAccount: string): readonly Construct[] {
    return this.workloadsByServiceAccount.get(serviceAccount) ?? [];
  }

  /** Every mesh workload of this namespace, as a caller. */
  public toCallerIdentity(): CallerIdentity {
    return { kind: 'namespaces', namespaces: [this.name], description: `any workload in namespace ${this.name}` };
  }
}
