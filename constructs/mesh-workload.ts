import { IAnyProducer, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import type { Deployment, DeploymentSpec, StatefulSet, StatefulSetSpec } from 'kubernetes-types/apps/v1.js';
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2.js';
import type { Container, PodSpec, Probe as KubeProbe, Service, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { DestinationRule, VirtualService } from '../imports/networking.istio.io.js';
import {
  AuthorizationPolicySpecAction, AuthorizationPolicySpecRules,
  AuthorizationPolicySpecRulesFromSource, AuthorizationPolicySpecRulesToOperation, AuthorizationPolicySpecRulesWhen,
  PeerAuthenticationSpecMtlsMode, PeerAuthenticationSpecPortLevelMtlsMode,
} from '../imports/security.istio.io.js';
import { CallerIdentity, Callers, ICaller, principalOf } from './caller.js';
import { EnvValue } from './env-value.js';
import { checkDnsLabel, checkDnsSubdomain, checkLabelValue, checkPortNumber, ZeroTrustConfigError } from './errors.js';
import { AccessRule, Denial, DenyOptions, EndUserRequirement, Grant, GrantOptions } from './grant.js';
import { acceptsPlaintext, checkMtlsMode, MtlsMode } from './mtls-mode.js';
import { acknowledgementAnnotation } from './security-posture.js';
import { ServicePort } from './service-port.js';
import { ZeroTrustNamespace } from './zero-trust-namespace.js';
import { ManifestBody, ManifestHeader, ManifestObject } from './manifest-object.js';
import { NetworkFlow, workloadPolicySpec } from './network-policy.js';
import { IngressGateway } from './ingress-gateway.js';
import type { ExternalHost } from './external-host.js';
import { SecurityManifest } from './security-manifest.js';
import type { Waypoint } from './waypoint.js';
import { claimCondition } from './claims.js';
import { Autoscaling, checkAutoscaling, checkDisruptionBudget, DEFAULT_SPREAD, DisruptionBudget } from './availability.js';
import { checkPersistentVolumes, claimTemplate, PersistentVolume } from './persistent-volume.js';
import { Probe } from './probe.js';
import { CheckedRoute, checkRoutes, checkVersions, VersionRoute, versionHttpRoute, WorkloadVersion } from './workload-version.js';

/** CPU and memory of the app container, as Kubernetes quantities. */
export interface ResourceSettings {
  /** @default { cpu: '50m', memory: '64Mi' } */
  readonly requests?: { readonly cpu?: string; readonly memory?: string };
  /** @default { cpu: '500m', memory: '256Mi' } */
  readonly limits?: { readonly cpu?: string; readonly memory?: string };
}

/** The user and file-system settings of the app container. */
export interface SecuritySettings {
  /**
   * UID the app runs as. Never 1337: that is the sidecar's UID, whose traffic bypasses the proxy.
   * @default 65532
   */
  readonly runAsUser?: number;
  /** @default 65532 */
  readonly runAsGroup?: number;
  /**
   * Group that owns mounted volumes.
   * @default - the runAsGroup
   */
  readonly fsGroup?: number;
  /**
   * Whether the root file system is read-only; writable paths come from `writablePaths`.
   * @default true
   */
  readonly readOnlyRootFilesystem?: boolean;
}

/** Props of a mesh workload. */
/** The callers an `endUser: "either"` grant admits besides the named one. */
const ANY_TOKEN_HOLDER: CallerIdentity = { kind: 'anyone', description: 'any holder of a valid token (endUser: "either")' };

export interface MeshWorkloadProps {
  /** The container image, with a tag or digest. */
  readonly image: string;
  /**
   * The ports the Service exposes, with the protocol Istio must apply.
   * @default - none: no Service is created (a pure client)
   */
  readonly ports?: readonly ServicePort[];
  /**
   * The ServiceAccount, i.e. the workload's mesh identity.
   * @default - the workload name: one identity per workload
   */
  readonly serviceAccountName?: string;
  /**
   * The `version` label of a workload with one version, for Istio telemetry and routing.
   * @default 'v1'
   */
  readonly version?: string;
  /**
   * Versions that run side by side behind the one Service and the one identity: a Deployment per
   * version (`<name>-<version>`, pods labelled `version: <version>`) and a DestinationRule with a
   * subset per version. Grants stay per service: they admit callers to every version.
   * @default - one version, labelled `version`, in a Deployment named like the workload
   */
  readonly versions?: readonly WorkloadVersion[];
  /**
   * How requests are split among `versions`, for callers in the mesh (a VirtualService for the
   * Service's host) and through a `MeshIngress`: canary weights, header matches. Routes govern
   * HTTP ports; TCP ports keep balancing over every version's pods.
   * @default - no routes: the Service balances over every version's pods
   */
  readonly routes?: readonly VersionRoute[];
  /**
   * Pods per Deployment (per version), or of the StatefulSet.
   * @default 1, or none when `autoscaling` manages them
   */
  readonly replicas?: number;
  /**
   * Directories kept on PersistentVolumes. When given, the pods come from a StatefulSet (named
   * like the workload, governed by its Service) whose claim templates give each pod its own
   * PersistentVolumeClaim; claims outlive pods and stay when the StatefulSet is deleted or
   * scaled down (Kubernetes' default retention).
   * @default - none: a Deployment with no persistent state
   */
  readonly persistentVolumes?: readonly PersistentVolume[];
  /**
   * When the app is ready for requests; an unready pod gets no traffic from the Service.
   * @default - none: ready as soon as it starts
   */
  readonly readiness?: Probe;
  /**
   * When the app is stuck and must be restarted.
   * @default - none
   */
  readonly liveness?: Probe;
  /**
   * When a slow-starting app has started; liveness and readiness wait for it.
   * @default - none
   */
  readonly startup?: Probe;
  /**
   * A PodDisruptionBudget over the workload's pods (every version), or `false` for none.
   * @default - { maxUnavailable: 1 } where the workload runs more than one pod; none otherwise
   */
  readonly disruptionBudget?: DisruptionBudget | false;
  /**
   * Scale on CPU with a HorizontalPodAutoscaler per Deployment (per version) or StatefulSet; the
   * controllers then carry no replica count, so re-applying the manifests never resets the scale.
   * @default - a fixed replica count
   */
  readonly autoscaling?: Autoscaling;
  /**
   * Topology keys the pods are spread across, softly (the scheduler prefers an even spread but
   * still places a pod when it cannot), for controllers that may run more than one pod. `[]` for none.
   * @default ['kubernetes.io/hostname', 'topology.kubernetes.io/zone']
   */
  readonly spreadAcross?: readonly string[];
  /** @default - the image's entrypoint */
  readonly command?: readonly string[];
  /** @default - the image's arguments */
  readonly args?: readonly string[];
  /**
   * Environment variables; secrets only by reference (`EnvValue.fromSecretKey`).
   * @default - none
   */
  readonly env?: Readonly<Record<string, EnvValue>>;
  /** @default - see ResourceSettings */
  readonly resources?: ResourceSettings;
  /** @default - non-root UID 65532, read-only root, no capabilities, RuntimeDefault seccomp */
  readonly securityContext?: SecuritySettings;
  /**
   * Directories the app may write to (emptyDir volumes).
   * @default ['/tmp']
   */
  readonly writablePaths?: readonly string[];
  /**
   * The workload's own inbound mTLS mode, a PeerAuthentication selecting its pods. A mode weaker
   * than STRICT is refused by stage like the namespace's (acknowledgement `nonStrictMtls`).
   * @default - the namespace's mode
   */
  readonly mtls?: MtlsMode;
  /**
   * Modes for single ports, keyed by Service port (written with the container port, which is what
   * Istio's `portLevelMtls` keys are), e.g. `{ 9090: MtlsMode.PERMISSIVE }` for a metrics port
   * scraped from outside the mesh.
   * @default - every port follows `mtls`
   */
  readonly portMtls?: Readonly<Record<number, MtlsMode>>;
  /**
   * Whether the pod is in the mesh: it gets a sidecar, or in an ambient namespace ztunnel
   * captures it (`false` writes the data plane's opt-out label). A workload outside the mesh has
   * no identity, sends plaintext and enforces no policy: it can never be granted by principal.
   * @default true
   */
  readonly sidecar?: boolean;
  /**
   * Ambient mode only: the waypoint that enforces this workload's L7 policy, bound to its Service
   * (`istio.io/use-waypoint`). Once bound, every grant and denial of the workload is enforced at
   * the waypoint, and its ztunnel admits the waypoint alone (docs/ambient.md).
   * @default - none while every grant is L4 (identity and port); the namespace's automatic
   * waypoint from the first grant that needs L7 (see `ZeroTrustNamespaceProps.automaticWaypoint`)
   */
  readonly waypoint?: Waypoint;
}

/** What a service requires of the end user, contributed by subclasses that check tokens. */
export interface EndUserCheck {
  /** `requestPrincipals` values, e.g. `<iss>/*` per issuer. */
  readonly requestPrincipals: readonly string[];
  /** Claim conditions, ANDed with the principal. */
  readonly when: readonly AuthorizationPolicySpecRulesWhen[];
}

const SECRET_LOOKING_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE_?KEY|API_?KEY|CREDENTIAL)/i;
const ISTIO_PROXY_UID = 1337;

/**
 * A workload in the mesh: its own ServiceAccount (its SPIFFE identity), a Deployment whose pods
 * get a sidecar, and a Service whose port names tell Istio the protocol. It is reachable only
 * through grants: `allowFrom(caller, ...)` writes the AuthorizationPolicy rules.
 */
export class MeshWorkload extends Construct implements ICaller {
  /** The workload name (Deployment, Service and `app` label). */
  public readonly name: string;
  public readonly namespace: ZeroTrustNamespace;
  public readonly serviceAccountName: string;
  public readonly ports: readonly ServicePort[];
  public readonly hasSidecar: boolean;
  /** The policy principal: `<trust-domain>/ns/<namespace>/sa/<service-account>`. */
  public readonly principal: string;
  /** The SPIFFE id in the workload's certificate. */
  public readonly spiffeId: string;
  /** Labels that select this workload's pods, every version's. */
  public readonly selector: Readonly<Record<string, string>>;
  /** Its inbound mTLS mode (ports may differ: see `mtlsOf`). */
  public readonly mtls: MtlsMode;
  /** The names of its versions; empty when it has one unnamed version. */
  public readonly versions: readonly string[];
  /**
   * The routes among versions, as checked, for the ingress to follow.
   * @internal
   */
  public readonly versionRoutes: readonly CheckedRoute[];
  protected readonly self: string;
  private readonly portMtls: ReadonlyMap<number, MtlsMode>;
  private readonly grantList: Grant[] = [];
  private readonly grantKeys = new Map<string, Grant>();
  private policy?: ManifestObject;
  private readonly denialList: Denial[] = [];
  private denyPolicy?: ManifestObject;
  /** The L3/L4 side of the grants: who may connect to this workload, and whom it connects to. */
  private readonly networkIngress: NetworkFlow[] = [];
  private readonly networkEgress: NetworkFlow[] = [];
  private networkPolicy?: ManifestObject;
  private readonly externalCalls: string[] = [];
  /** Ambient mode: the waypoint bound to the Service, once a grant needs L7 or props name one. */
  private boundWaypoint?: Waypoint;
  private serviceObject?: ManifestObject;
  /** The callers' sides of the grants (their NetworkPolicy egress), to point at a waypoint when bound. */
  private readonly callerEgress: NetworkSink[] = [];
  /** The rules of each grant or denial as a waypoint matches them (Service ports; see `allowFrom`). */
  private readonly waypointRules = new Map<AccessRule, readonly AuthorizationPolicySpecRules[]>();

  public constructor(scope: ZeroTrustNamespace, name: string, props: MeshWorkloadProps) {
    // Name checks come before the construct node exists, so a duplicate gets advice, not a tree error.
    const self = `${new.target.name} "${scope.name}/${name}"`;
    const serviceAccountName = props.serviceAccountName ?? name;
    checkDnsLabel(name, self, 'name');
    checkDnsSubdomain(serviceAccountName, self, 'serviceAccountName');
    scope.registerWorkload(name, serviceAccountName, self);
    super(scope, name);
    scope.trackWorkload(serviceAccountName, this);
    this.namespace = scope;
    this.self = self;
    this.name = name;
    this.serviceAccountName = serviceAccountName;
    this.ports = [...(props.ports ?? [])];
    this.checkPorts();
    this.checkEnv(props.env ?? {}, 'env');
    this.checkSecurity(props.securityContext ?? {});
    this.checkImage(props.image, 'image');
    this.checkReplicas(props.replicas, 'replicas');
    this.hasSidecar = props.sidecar ?? true;
    const identity = { namespace: this.namespace.name, serviceAccount: this.serviceAccountName };
    this.principal = principalOf(this.namespace.mesh.trustDomain, identity);
    this.spiffeId = `spiffe://${this.principal}`;
    this.selector = { app: name };

    const versions = props.versions ?? [];
    checkVersions(versions, this.self);
    if (versions.length > 0 && props.version !== undefined) {
      throw new ZeroTrustConfigError(this.self, 'version', 'is given together with versions.', 'name each version in versions, and drop version.');
    }
    versions.forEach((v, i) => {
      this.checkReplicas(v.replicas, `versions[${i}].replicas`);
      if (v.image !== undefined) this.checkImage(v.image, `versions[${i}].image`);
      this.checkEnv(v.env ?? {}, `versions[${i}].env`);
    });
    this.versions = versions.map((v) => v.name);
    this.versionRoutes = checkRoutes(props.routes ?? [], this.versions, this.self);
    if (this.versionRoutes.length > 0 && !this.ports.some((p) => p.isHttp)) {
      throw new ZeroTrustConfigError(this.self, 'routes', 'routes split HTTP requests, but the workload has no HTTP port.',
        'declare the HTTP port (ServicePort.http), or drop the routes: TCP connections are balanced over every version.');
    }

    this.mtls = props.mtls ?? this.namespace.mtls;
    this.portMtls = this.checkPortMtls(props);

    this.emitObjects(props);
    if (props.waypoint !== undefined) this.bindWaypoint(props.waypoint, 'waypoint');
  }

  /** True when ztunnel captures this workload's pods (an ambient namespace, pod in the mesh). */
  public get isAmbient(): boolean {
    return this.namespace.dataplane.isAmbient && this.hasSidecar;
  }

  /** Ambient mode: the waypoint bound to this workload's Service, if any. */
  public get waypoint(): Waypoint | undefined {
    return this.boundWaypoint;
  }

  /**
   * Ambient mode: binds this workload's Service to a waypoint for `need` (a grant's L7
   * conditions, a token check), the namespace's automatic one unless one is bound already.
   * @internal
   */
  public requireWaypoint(field: string, need: string): Waypoint {
    if (this.boundWaypoint) return this.boundWaypoint;
    // Checked before the waypoint is made, so a refusal leaves nothing half-written.
    for (const g of this.grantList) {
      this.checkCallerReachesWaypoint(g.caller, field, `${need}, and an earlier grant admits ${g.caller.description}: `);
      if (g.endUser === 'either') this.checkCallerReachesWaypoint(ANY_TOKEN_HOLDER, field, `${need}, and an earlier grant admits ${ANY_TOKEN_HOLDER.description}: `);
    }
    return this.bindWaypoint(this.namespace.waypointFor(this.self, field, need), field);
  }

  /**
   * Binds the Service to `waypoint`: labels it `istio.io/use-waypoint` (and
   * `istio.io/ingress-use-waypoint`, so the ingress gateway's requests take the waypoint too rather
   * than skipping its L7 policy; https://istio.io/latest/docs/ambient/usage/waypoint/), points every
   * caller's network path at the waypoint, and from then on renders the grants as waypoint policy.
   */
  private bindWaypoint(waypoint: Waypoint, field: string): Waypoint {
    if (!this.namespace.dataplane.isAmbient) {
      throw new ZeroTrustConfigError(this.self, field,
        `namespace "${this.namespace.name}" runs sidecars, which enforce L7 policy themselves and never send traffic through a waypoint.`,
        'drop the waypoint, or make the namespace ambient (dataplane: Dataplane.AMBIENT).');
    }
    if (!this.hasSidecar) {
      throw new ZeroTrustConfigError(this.self, field,
        'the workload is outside the mesh (sidecar: false), so ztunnel does not capture it and nothing would send its traffic through a waypoint.',
        'enrol the workload in the mesh (leave sidecar unset), or drop the waypoint.');
    }
    if (this.ports.length === 0 || !this.serviceObject) {
      throw new ZeroTrustConfigError(this.self, field, 'the workload has no ports, so there is no Service to bind to a waypoint.', 'declare its ports, or drop the waypoint.');
    }
    if (waypoint.namespace.mesh !== this.namespace.mesh) {
      throw new ZeroTrustConfigError(this.self, field, `waypoint ${waypoint.namespace.name}/${waypoint.name} belongs to another mesh, so it does not exist where this Service is deployed.`,
        'bind a waypoint created in this workload\'s namespace.');
    }
    waypoint.bind({ namespace: this.namespace.name, name: this.name, podLabels: this.selector }, this.self, field);
    this.boundWaypoint = waypoint;
    this.serviceObject.metadata.addLabel('istio.io/use-waypoint', waypoint.name);
    this.serviceObject.metadata.addLabel('istio.io/ingress-use-waypoint', 'true');
    for (const sink of this.callerEgress) sink.to(waypoint);
    for (const flow of this.networkIngress) waypoint.admit(flow);
    // The destination's ztunnel sees the waypoint's identity on every request the waypoint
    // forwards ("waypoint proxies do not impersonate"), so its L4 policy admits the waypoint and
    // only the waypoint: callers that dial the pods directly, or in plaintext, skip the L7 policy
    // and are refused (https://istio.io/latest/docs/ambient/usage/waypoint/#require-waypoint).
    new ManifestObject(this, 'require-waypoint', SecurityManifest.authorizationPolicy({
      metadata: {
        name: `${this.name}-require-waypoint`,
        namespace: this.namespace.name,
        annotations: { 'zero-trust-mesh.io/grants': `rule[0] from ${waypoint.toCallerIdentity().description} (the grants are enforced there: AuthorizationPolicy ${this.name})` },
      },
      spec: {
        selector: { matchLabels: { ...this.selector } },
        action: AuthorizationPolicySpecAction.ALLOW,
        rules: [{ from: [{ source: { principals: [waypoint.principal] } }] }],
      },
    }));
    return waypoint;
  }

  /**
   * Refuses a caller that could never pass a waypoint-bound workload. A caller that runs a
   * sidecar goes straight to the pods, never through the waypoint (istio/istio#51445), and a
   * caller without identity arrives in plaintext, which also skips the waypoint; ztunnel's
   * require-waypoint policy refuses both, so the grant would silently admit nobody.
   * `context` says why a waypoint is involved when the binding is what is being asked for.
   */
  private checkCallerReachesWaypoint(caller: CallerIdentity, field: string, context = ''): void {
    const waypoint = this.boundWaypoint ? `waypoint ${this.boundWaypoint.namespace.name}/${this.boundWaypoint.name}` : 'a waypoint';
    const bound = this.boundWaypoint ? 'is bound' : 'would be bound';
    if (caller.kind === 'anyone') {
      throw new ZeroTrustConfigError(this.self, field,
        `${context}the workload's Service ${bound} to ${waypoint}, and callers without a mesh identity reach its pods in plaintext, which skips the waypoint; ztunnel admits only the waypoint, so they would be refused.`,
        caller === ANY_TOKEN_HOLDER
          ? 'use endUser: "required" (the named caller, with a token); token holders outside the mesh come in through the ingress.'
          : 'grant mesh callers (a workload, a namespace, Callers.anyAuthenticatedWorkload()), or serve anonymous callers from a workload without L7 grants.');
    }
    const anyWorkload = caller.kind === 'any-authenticated-workload';
    const sidecarNamespaces = caller.kind === 'workloads'
      ? this.workloadsOf(caller).filter((w) => w.hasSidecar && !w.namespace.dataplane.isAmbient).map((w) => w.namespace.name)
      : caller.kind === 'namespaces'
        ? caller.namespaces.filter((n) => this.namespace.mesh.namespaceNamed(n)?.dataplane.isAmbient === false)
        // Every workload of the mesh: the sidecar pods among them would be refused as well.
        : anyWorkload ? this.namespace.mesh.sidecarNamespaceNames() : [];
    if (sidecarNamespaces.length > 0) {
      const who = anyWorkload ? `${caller.description} includes the sidecar pods of namespace "${sidecarNamespaces[0]}"` : `${caller.description} runs sidecars (namespace "${sidecarNamespaces[0]}")`;
      throw new ZeroTrustConfigError(this.self, field,
        `${context}${who}, and sidecars send requests straight to the pods, never through ${waypoint} (https://github.com/istio/istio/issues/51445); ztunnel admits only the waypoint, so its requests would be refused.`,
        anyWorkload
          ? `move namespace "${sidecarNamespaces[0]}" to ambient too (dataplane: Dataplane.AMBIENT), grant the ambient namespaces by name, or keep this workload's grants L4 (identity and port) so no waypoint is needed.`
          : `move namespace "${sidecarNamespaces[0]}" to ambient too (dataplane: Dataplane.AMBIENT), or keep this workload's grants L4 (identity and port) so no waypoint is needed.`);
    }
  }

  /**
   * The inbound mTLS mode of a Service port: its port-level mode, else the workload's
   * (Istio resolves port > workload > namespace > mesh; istio.io, "PeerAuthentication" reference).
   */
  public mtlsOf(port: ServicePort): MtlsMode {
    return this.portMtls.get(port.port) ?? this.mtls;
  }

  /** This workload as a caller: its own principal. */
  public toCallerIdentity(): CallerIdentity {
    return {
      kind: 'workloads',
      identities: [{ namespace: this.namespace.name, serviceAccount: this.serviceAccountName }],
      hasSidecar: this.hasSidecar,
      description: `workload ${this.namespace.name}/${this.name}`,
    };
  }

  /** The grants given so far, in order. */
  public get grants(): readonly Grant[] {
    return this.grantList;
  }

  /** The port a grant or route names, by Service port number. */
  public servicePort(port: number, field: string): ServicePort {
    const found = this.ports.find((p) => p.port === port);
    if (!found) {
      throw new ZeroTrustConfigError(this.self, field,
        `${port} is not a port of this workload's Service (it has ${this.ports.map((p) => p.port).join(', ') || 'none'}).`,
        'name one of the Service ports.');
    }
    return found;
  }

  /**
   * Lets `caller` reach this workload, as narrowly as the options say. Returns the grant;
   * granting the same thing twice returns the first grant.
   */
  public allowFrom(caller: ICaller, options: GrantOptions = {}): Grant {
    const identity = caller.toCallerIdentity();
    const key = JSON.stringify([identity, options]);
    const existing = this.grantKeys.get(key);
    if (existing) return existing;

    const endUserCheck = this.endUserCheck();
    const endUser: EndUserRequirement = options.endUser ?? (endUserCheck ? 'required' : 'none');
    if (endUser !== 'none' && !endUserCheck) {
      throw new ZeroTrustConfigError(this.self, 'allowFrom.endUser',
        `"${endUser}" needs end-user tokens, but this workload checks none (it has no RequestAuthentication).`,
        'make it a JwtProtectedService, or leave endUser unset.');
    }
    if (this.ports.length === 0) {
      throw new ZeroTrustConfigError(this.self, 'allowFrom', 'this workload has no ports, so there is nothing to grant.', 'declare its ports, or drop the grant.');
    }
    const targeted = options.ports?.length
      ? options.ports.map((p, i) => this.servicePort(p, `allowFrom.ports[${i}]`))
      : this.ports;
    // The workloads of this mesh that make the caller's calls, looked up once for both checks.
    const callers = identity.kind === 'workloads' ? this.workloadsOf(identity) : [];
    this.checkCallerCanBeIdentified(identity, callers, targeted);
    const methods = this.checkMethods(options.methods ?? [], 'allowFrom');
    const paths = this.checkPaths(options.paths ?? [], 'allowFrom');
    const claims = this.checkClaims(options.claims ?? {}, endUser);
    this.checkTokenReachesUs(identity, callers, endUser, endUserCheck);
    const httpOnly = methods.length > 0 || paths.length > 0 || endUser !== 'none';
    if (httpOnly && targeted.every((p) => !p.isHttp)) {
      throw new ZeroTrustConfigError(this.self, 'allowFrom',
        `the grant ${endUser !== 'none' ? `requires an end-user token (endUser: "${endUser}")` : 'names methods or paths'}, which only HTTP ports carry, but it targets only TCP ports (${targeted.map((p) => p.port).join(', ')}); Istio would drop the rule on TCP and deny the caller (istio.io, Authorization Policy reference: HTTP-only fields on TCP).`,
        'for TCP, grant by identity and port only: allowFrom(caller, { ports: [...], endUser: "none" }).');
    }
    if (this.boundWaypoint || (httpOnly && this.isAmbient)) {
      this.checkCallerReachesWaypoint(identity, identity.kind === 'anyone' ? 'allowFrom(Callers.anyone())' : 'allowFrom(caller)',
        this.boundWaypoint ? '' : 'the grant needs a waypoint (L7), and ');
      // "either" also admits any token holder, wherever it calls from: outside the mesh too.
      if (endUser === 'either') this.checkCallerReachesWaypoint(ANY_TOKEN_HOLDER, 'allowFrom.endUser', `the grant admits ${ANY_TOKEN_HOLDER.description}, and `);
    }
    if (httpOnly && this.isAmbient) {
      this.requireWaypoint('allowFrom', `the grant to ${identity.description} ${endUser !== 'none' ? `requires an end-user token (endUser: "${endUser}")` : 'names methods or paths'}`);
    }
    const unauthenticated = identity.kind === 'anyone' && endUser !== 'required';
    const acknowledged = unauthenticated
      ? this.namespace.mesh.posture.permit('openToAnyone', {
        construct: this.self, field: 'allowFrom(Callers.anyone())',
        problem: 'the workload would accept callers with neither an mTLS identity nor an end-user token.',
        fix: 'grant named callers (a workload, the ingress gateway, Callers.anyAuthenticatedWorkload()), or require an end-user token.',
      })
      : undefined;
    if (identity.kind === 'anyone' && endUser === 'either') {
      throw new ZeroTrustConfigError(this.self, 'allowFrom.endUser',
        '"either" offers a token as an alternative to the caller\'s identity, but Callers.anyone() has no identity to offer.',
        'use endUser: "required" (anyone with a valid token) or "none" (anyone at all).');
    }

    const targetPorts = options.ports?.length ? targeted.map((p) => p.targetPort) : [];
    const check = endUserCheck && claims.length ? { requestPrincipals: endUserCheck.requestPrincipals, when: [...endUserCheck.when, ...claims] } : endUserCheck;
    const rules = this.rulesFor(identity, endUser, check, { ports: targetPorts, methods, paths });
    const grant = new Grant(`${this.namespace.name}/${this.name}`, identity, targetPorts, methods, paths, endUser, rules, options.reason, { ...options.claims });
    // A waypoint matches `ports` against the Service port the request was addressed to, not the
    // container port a sidecar or ztunnel sees: it picks a Service's filter chain by VIP and
    // Service port, and serves it as that port (istio:pilot/pkg/networking/core/listener_waypoint.go,
    // `portMapper.Map[portString]`, `TargetPort: uint32(port.Port)`).
    if (this.namespace.dataplane.isAmbient && options.ports?.length) {
      this.waypointRules.set(grant, this.rulesFor(identity, endUser, check, { ports: targeted.map((p) => p.port), methods, paths }));
    }
    this.grantKeys.set(key, grant);
    this.grantList.push(grant);
    this.ensurePolicy();
    this.openNetworkPath(caller, identity, callers, targeted.map((p) => p.targetPort));
    // "either" also admits a valid end-user token alone, from whoever presents it: the network
    // must not refuse what the policy grants.
    if (endUser === 'either') this.openNetworkPath(Callers.anyone(), Callers.anyone().toCallerIdentity(), [], targeted.map((p) => p.targetPort));
    if (acknowledged) this.policy!.metadata.addAnnotation(acknowledgementAnnotation('openToAnyone'), acknowledged);
    return grant;
  }

  /**
   * Refuses `caller` the requests the options name, whatever any grant allows: a DENY
   * AuthorizationPolicy (`<name>-deny`), which Istio evaluates before every ALLOW policy. A denial
   * by identity needs the identity to be verified, so it is refused on ports that accept
   * plaintext: a plaintext request carries no identity and would slip past it (istio.io,
   * "Security" concepts: dependency on mutual TLS). `Callers.anyone()` denies every caller.
   */
  public denyFrom(caller: ICaller, options: DenyOptions = {}): Denial {
    const identity = caller.toCallerIdentity();
    if (this.ports.length === 0) {
      throw new ZeroTrustConfigError(this.self, 'denyFrom', 'this workload has no ports, so nothing reaches it to deny.', 'declare its ports, or drop the denial.');
    }
    const methods = this.checkMethods(options.methods ?? [], 'denyFrom');
    const paths = this.checkPaths(options.paths ?? [], 'denyFrom');
    const http = methods.length > 0 || paths.length > 0;
    let targeted = options.ports?.length
      ? options.ports.map((p, i) => this.servicePort(p, `denyFrom.ports[${i}]`))
      : this.ports;
    if (http) {
      if (targeted.every((p) => !p.isHttp)) {
        throw new ZeroTrustConfigError(this.self, 'denyFrom',
          `the denial names methods or paths, which only HTTP ports carry, but it covers only TCP ports (${targeted.map((p) => p.port).join(', ')}); on TCP Istio drops those conditions and the rule would deny every connection (istio.io, "Authorization Policy" reference).`,
          'deny on TCP by identity and port only, or name the HTTP ports.');
      }
      // Scoped to the HTTP ports, so the rule never turns into "deny all" on a TCP port.
      if (!options.ports?.length && targeted.some((p) => !p.isHttp)) targeted = targeted.filter((p) => p.isHttp);
    }
    if (identity.kind !== 'anyone') {
      const weak = targeted.filter((p) => acceptsPlaintext(this.mtlsOf(p)));
      if (weak.length > 0) {
        throw new ZeroTrustConfigError(this.self, 'denyFrom(caller)',
          `port(s) ${weak.map((p) => p.port).join(', ')} accept plaintext (mTLS ${this.mtlsOf(weak[0]!)}), and a plaintext request carries no identity, so ${identity.description} could slip past a denial by identity.`,
          'make the workload\'s mTLS STRICT, or deny everyone (Callers.anyone()) and allow the callers you trust.');
      }
    }
    if (http && this.isAmbient) {
      // At ztunnel a DENY rule's HTTP conditions are dropped, and the rule then never fires (or
      // widens to the port): the denial would fail open (docs/ambient.md).
      this.requireWaypoint('denyFrom', `the denial of ${identity.description} names methods or paths`);
    }
    const explicitPorts = options.ports?.length || targeted.length < this.ports.length;
    const targetPorts = explicitPorts ? targeted.map((p) => p.targetPort) : [];
    const rule = authorizationRule(this.peerSource(identity), operationOf({ ports: targetPorts, methods, paths }));
    const denial = new Denial(`${this.namespace.name}/${this.name}`, identity, targetPorts, methods, paths, [rule], options.reason);
    if (this.namespace.dataplane.isAmbient && explicitPorts) {
      this.waypointRules.set(denial, [authorizationRule(this.peerSource(identity), operationOf({ ports: targeted.map((p) => p.port), methods, paths }))]);
    }
    this.denialList.push(denial);
    this.ensureDenyPolicy();
    return denial;
  }

  /** The denials given so far, in order. */
  public get denials(): readonly Denial[] {
    return this.denialList;
  }

  /** What this workload requires of end users; none for a plain workload. */
  protected endUserCheck(): EndUserCheck | undefined {
    return undefined;
  }

  /** Issuers whose tokens this workload's proxy validates and then removes; none for a plain workload. */
  protected strippedIssuers(): readonly string[] {
    return [];
  }

  /**
   * The workloads of this mesh that run as one of the caller's identities, however the caller
   * was named (the workload itself, or `Callers.serviceAccount`): their pods make the calls.
   */
  private workloadsOf(identity: CallerIdentity & { kind: 'workloads' }): MeshWorkload[] {
    const found: MeshWorkload[] = [];
    for (const id of identity.identities) {
      const ns = this.namespace.mesh.node.tryFindChild(id.namespace);
      if (ns instanceof ZeroTrustNamespace) found.push(...(ns.workloadsRunningAs(id.serviceAccount) as MeshWorkload[]));
    }
    return found;
  }

  private checkMethods(methods: readonly string[], verb: string): string[] {
    methods.forEach((m, i) => {
      if (m !== '*' && !/^[A-Z]+$/.test(m)) {
        throw new ZeroTrustConfigError(this.self, `${verb}.methods[${i}]`,
          `"${m}" is not an upper-case HTTP method; Istio compares methods exactly, so it would never match.`,
          `write "${m.toUpperCase()}".`);
      }
    });
    return [...methods];
  }

  private checkPaths(paths: readonly string[], verb: string): string[] {
    paths.forEach((p, i) => {
      if (!/^[/*]/.test(p) || p.includes('?')) {
        throw new ZeroTrustConfigError(this.self, `${verb}.paths[${i}]`,
          `"${p}" is not a path pattern (a path starts with "/", carries no query, and may start or end with "*").`,
          `write "/${p.replace(/^\/*/, '').replace(/\?.*$/, '')}".`);
      }
    });
    return [...paths];
  }

  /** A grant's claim conditions; they are read from the validated token, so the grant must require one. */
  private checkClaims(claims: Readonly<Record<string, readonly string[]>>, endUser: EndUserRequirement): AuthorizationPolicySpecRulesWhen[] {
    const entries = Object.entries(claims);
    if (entries.length === 0) return [];
    if (endUser !== 'required') {
      throw new ZeroTrustConfigError(this.self, 'allowFrom.claims',
        `claims are read from the end user's token, but this grant ${endUser === 'either' ? 'also admits the caller without one (endUser: "either"), which would bypass them' : 'requires no token'}.`,
        'require the token on this grant (endUser: "required", the default of a JwtProtectedService).');
    }
    return entries.map(([claim, values]) => claimCondition(claim, values, this.self, `allowFrom.claims.${claim}`));
  }

  /**
   * Refuses a grant that requires a token from a caller whose own proxy removes it: a
   * RequestAuthentication without `forwardOriginalToken` strips the validated token before the
   * app sees it, so the caller's onward calls never carry it (istio.io, "JWTRule" reference:
   * forwardOriginalToken).
   */
  private checkTokenReachesUs(identity: CallerIdentity, callers: readonly MeshWorkload[], endUser: EndUserRequirement, check: EndUserCheck | undefined): void {
    if (endUser !== 'required' || identity.kind !== 'workloads' || !check) return;
    const accepted = check.requestPrincipals.map((p) => p.replace(/\/\*$/, ''));
    const stripping = callers.some((w) => w.strippedIssuers().some((issuer) => accepted.includes(issuer)));
    if (!stripping) return;
    throw new ZeroTrustConfigError(this.self, 'allowFrom(caller)',
      `the grant requires the end user's token from ${identity.description}, whose own proxy validates it and then removes it (no forwardOriginalToken), so its calls never carry the token and would all be denied.`,
      `set forwardOriginalToken: true on ${identity.description} (and have its app pass the Authorization header on), or grant it with endUser: "none".`);
  }

  private rulesFor(
    identity: CallerIdentity, endUser: EndUserRequirement, check: EndUserCheck | undefined,
    operation: { ports: number[]; methods: string[]; paths: string[] },
  ): AuthorizationPolicySpecRules[] {
    const peer = this.peerSource(identity);
    const to = operationOf(operation);
    switch (endUser) {
      case 'none':
        return [authorizationRule(peer, to)];
      case 'required':
        // Identity and token in ONE source, so a tokenless in-mesh caller never slips through
        // another rule: rules are ORed, the fields of one source ANDed (istio.io, "Authorization
        // Policy" reference; https://istio.io/latest/docs/tasks/security/authorization/authz-jwt/).
        return [authorizationRule(Object.assign({}, peer, { requestPrincipals: [...check!.requestPrincipals] }), to, check!.when)];
      case 'either':
        return [authorizationRule(peer, to), authorizationRule({ requestPrincipals: [...check!.requestPrincipals] }, to, check!.when)];
      default:
        throw new ZeroTrustConfigError(this.self, 'allowFrom.endUser', `"${String(endUser)}" is not an end-user requirement.`, 'use "required", "either" or "none".');
    }
  }

  private peerSource(identity: CallerIdentity): AuthorizationPolicySpecRulesFromSource | undefined {
    const td = this.namespace.mesh.trustDomain;
    switch (identity.kind) {
      case 'workloads': return { principals: identity.identities.map((i) => principalOf(td, i)) };
      case 'namespaces': return { namespaces: [...identity.namespaces] };
      case 'any-authenticated-workload': return { principals: ['*'] };
      case 'anyone': return undefined;
    }
  }

  /**
   * Refuses grants by identity that can never match: only mTLS carries a principal, and the callee
   * decides the transport (a caller's sidecar uses auto mTLS, which follows the callee's mode), so a
   * caller without a sidecar, or a callee whose inbound mode is DISABLE, never presents one
   * (https://istio.io/latest/docs/concepts/security/#dependency-on-mutual-tls;
   * istio:pilot/pkg/networking/core/cluster_tls.go).
   */
  private checkCallerCanBeIdentified(identity: CallerIdentity, callers: readonly MeshWorkload[], ports: readonly ServicePort[]): void {
    if (identity.kind === 'anyone') return;
    if (identity.kind === 'workloads' && (!identity.hasSidecar || (callers.length > 0 && callers.every((w) => !w.hasSidecar)))) {
      throw new ZeroTrustConfigError(this.self, 'allowFrom(caller)',
        `${identity.description} has no sidecar: it sends plaintext and carries no mTLS identity, so a grant to its principal could never match.`,
        'give the caller a sidecar (sidecar: true), or, knowingly, grant Callers.anyone().');
    }
    if (ports.every((p) => this.mtlsOf(p) === MtlsMode.DISABLE)) {
      const where = this.portMtls.size > 0 ? `on port(s) ${ports.map((p) => p.port).join(', ')}` : `(${this.mtls === this.namespace.mtls ? `namespace "${this.namespace.name}"` : 'the workload\'s mtls'})`;
      throw new ZeroTrustConfigError(this.self, 'allowFrom(caller)',
        `this workload's inbound mTLS is DISABLE ${where}, so every caller arrives in plaintext without an identity and a grant to ${identity.description} could never match.`,
        'set the mtls to STRICT or PERMISSIVE, or, knowingly, grant Callers.anyone().');
    }
  }

  /**
   * Checks the workload's and its ports' modes; returns the port modes by Service port. A mode
   * weaker than STRICT needs the stage's consent; STRICT under a namespace DISABLE is refused,
   * because auto mTLS then sends plaintext, which STRICT resets (istio/istio#56084).
   */
  private checkPortMtls(props: MeshWorkloadProps): Map<number, MtlsMode> {
    const modes = new Map<number, MtlsMode>();
    for (const [key, mode] of Object.entries(props.portMtls ?? {})) {
      const port = this.servicePort(Number(key), `portMtls.${key}`);
      checkMtlsMode(mode, this.self, `portMtls.${key}`);
      modes.set(port.port, mode);
    }
    if (props.mtls !== undefined) checkMtlsMode(props.mtls, this.self, 'mtls');
    if (this.namespace.dataplane.isAmbient) {
      const disabled = props.mtls === MtlsMode.DISABLE ? 'mtls' : [...modes].find(([, m]) => m === MtlsMode.DISABLE)?.[0];
      if (disabled !== undefined) {
        throw new ZeroTrustConfigError(this.self, disabled === 'mtls' ? 'mtls' : `portMtls.${disabled}`,
          'DISABLE has no effect on ambient pods: ztunnel keeps using mTLS (HBONE) and treats the mode as PERMISSIVE, accepting plaintext too (https://istio.io/latest/docs/ambient/usage/l4-policy/).',
          'use STRICT (or PERMISSIVE, acknowledged), or run the workload in a sidecar namespace.');
      }
    }
    if (this.namespace.mtls === MtlsMode.DISABLE) {
      const strict = props.mtls === MtlsMode.STRICT ? 'mtls' : [...modes].find(([, m]) => m === MtlsMode.STRICT)?.[0];
      if (strict !== undefined) {
        throw new ZeroTrustConfigError(this.self, strict === 'mtls' ? 'mtls' : `portMtls.${strict}`,
          `STRICT under namespace "${this.namespace.name}"'s DISABLE: callers' sidecars follow the namespace and send plaintext, which STRICT resets (https://github.com/istio/istio/issues/56084).`,
          'make the namespace STRICT or PERMISSIVE and exempt other workloads with their own mtls: MtlsMode.DISABLE.');
      }
    }
    return modes;
  }

  /**
   * Lets this workload call a host outside the cluster. Without an egress gateway: a ServiceEntry
   * for the host exported to its namespace only, the host in the namespace's Sidecar egress, and
   * this workload's NetworkPolicy egress on the host's port. With the mesh's `egressGateway`: the
   * host is routed through the gateway, whose AuthorizationPolicy admits this workload's identity,
   * and this workload's NetworkPolicy egress reaches the gateway's pods instead of the internet.
   * Nothing else of the namespace may connect out.
   */
  public allowTo(host: ExternalHost): this {
    if (!this.hasSidecar) {
      throw new ZeroTrustConfigError(this.self, 'allowTo', `the workload runs without a sidecar, so no proxy would limit its calls to ${host.host}; only the NetworkPolicy's port rule would apply.`,
        'enrol the workload in the mesh (sidecar: true), or give it no external access.');
    }
    const gateway = this.namespace.mesh.egressGateway;
    if (gateway && this.isAmbient) {
      // The route to the egress gateway is a VirtualService bound to `mesh`, which sidecars apply
      // and ztunnel never reads: an ambient pod's call would go straight out, where its
      // NetworkPolicy (open to the gateway only) drops it. Ambient egress goes through an egress
      // waypoint instead (https://istio.io/latest/docs/ambient/usage/egress-gateway/), which these
      // constructs do not write yet.
      throw new ZeroTrustConfigError(this.self, 'allowTo',
        `the mesh routes external calls through its egress gateway by a VirtualService that only sidecars apply; from an ambient pod the call to ${host.host} would skip the gateway and be dropped.`,
        `keep namespace "${this.namespace.name}" on sidecars (dataplane: Dataplane.SIDECAR), or define this mesh without egressGateway.`);
    }
    if (gateway) {
      if (host.protocol === 'TCP') {
        throw new ZeroTrustConfigError(this.self, 'allowTo', `${host.host}:${host.port} is a TCP host, and the mesh routes external calls through its egress gateway, where a TCP host could be told apart from another only by port.`,
          `reach the host over TLS (ExternalHost.https("${host.host}")), or define this mesh without egressGateway.`);
      }
      this.namespace.mesh.routeThroughEgressGateway(host, { namespace: this.namespace.name, principal: this.principal });
      // The caller's sidecar needs the host (its ServiceEntry and VirtualService live with the
      // gateway) and the gateway's Service it is routed to.
      this.namespace.importHost(`${gateway.namespace}/${host.host}`);
      this.namespace.importHost(`${gateway.namespace}/${gateway.serviceHost}`);
      this.addEgressFlow({ peer: { kind: 'pods', namespace: gateway.namespace, podLabels: gateway.selector }, ports: [gateway.targetPort] });
    } else {
      this.namespace.allowExternal(host);
      this.addEgressFlow({ peer: { kind: 'addresses', cidrs: host.cidrs }, ports: [host.port] });
    }
    this.externalCalls.push(`${host.host}:${host.port}`);
    return this;
  }

  /** The external hosts this workload may call (`allowTo`), as `host:port`. */
  public get externalHosts(): readonly string[] {
    return [...this.externalCalls];
  }

  /** The Service host other namespaces' Sidecars import to reach this workload. */
  public get sidecarHost(): string {
    return `${this.namespace.name}/${this.name}.${this.namespace.name}.svc.cluster.local`;
  }

  /**
   * Lets this workload's pods connect to `flow` (its NetworkPolicy egress), a callee's side of a
   * grant.
   * @internal
   */
  public addEgressFlow(flow: NetworkFlow): void {
    this.networkEgress.push(flow);
    this.ensureNetworkPolicy();
  }

  /**
   * Both sides of a grant below Istio, as the AWS CDK's `connections.allowFrom` opens both
   * security groups: this workload's NetworkPolicy admits the callers' pods on the granted
   * container ports, and the callers' NetworkPolicy egress and Sidecar egress hosts let them reach
   * it. Callers this program does not define (another team's service account, the ingress
   * gateway) get the ingress side only: their namespace's policies are not this mesh's to write.
   */
  private openNetworkPath(caller: ICaller, identity: CallerIdentity, callers: readonly MeshWorkload[], ports: readonly number[]): void {
    const toMe: NetworkFlow = { peer: { kind: 'pods', namespace: this.namespace.name, podLabels: this.selector }, ports };
    const mesh = this.namespace.mesh;
    switch (identity.kind) {
      case 'workloads':
        if (callers.length > 0) {
          for (const c of callers) {
            this.addIngressFlow({ peer: { kind: 'pods', namespace: c.namespace.name, podLabels: c.selector }, ports });
            c.addEgressFlow(toMe);
            c.namespace.importHost(this.sidecarHost);
            if (this.namespace.dataplane.isAmbient) this.addCallerEgress(new WorkloadEgress(c));
          }
        } else if (caller instanceof IngressGateway) {
          this.addIngressFlow({ peer: { kind: 'pods', namespace: caller.namespace, podLabels: caller.selector }, ports });
        } else {
          for (const id of identity.identities) this.addIngressFlow({ peer: { kind: 'pods', namespace: id.namespace }, ports });
        }
        break;
      case 'namespaces':
        for (const name of identity.namespaces) {
          this.addIngressFlow({ peer: { kind: 'pods', namespace: name }, ports });
          const ns = mesh.namespaceNamed(name);
          ns?.addNamespaceEgress(toMe);
          ns?.importHost(this.sidecarHost);
          if (ns && this.namespace.dataplane.isAmbient) this.addCallerEgress(new NamespaceEgress(ns));
        }
        break;
      case 'any-authenticated-workload':
      case 'anyone':
        this.addIngressFlow({ peer: { kind: identity.kind === 'anyone' ? 'anywhere' : 'cluster' }, ports });
        mesh.addMeshWideEgress(toMe, this.sidecarHost);
        if (this.namespace.dataplane.isAmbient) this.addCallerEgress(new MeshWideEgress(mesh, this.sidecarHost));
        break;
    }
    this.ensureNetworkPolicy();
  }

  /** Admits a caller's pods to this workload's; once a waypoint is bound, to the waypoint's. */
  private addIngressFlow(flow: NetworkFlow): void {
    this.networkIngress.push(flow);
    this.boundWaypoint?.admit(flow);
  }

  /** Records a caller's side of a grant; once a waypoint is bound, the caller may reach it. */
  private addCallerEgress(sink: NetworkSink): void {
    this.callerEgress.push(sink);
    if (this.boundWaypoint) sink.to(this.boundWaypoint);
  }

  /**
   * The NetworkPolicy ingress of the workload's pods: its callers', or once a waypoint is bound,
   * the waypoint's alone, on HBONE (callers reach the waypoint, which opens its own connection).
   */
  private networkPolicySpec() {
    const waypoint = this.boundWaypoint;
    const ingress = waypoint && this.networkIngress.length > 0 ? [waypoint.networkFlow] : this.networkIngress;
    return workloadPolicySpec(this.selector, ingress, this.networkEgress);
  }

  private ensureNetworkPolicy(): void {
    this.networkPolicy ??= new ManifestObject(this, 'network', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: this.name, namespace: this.namespace.name },
      spec: Lazy.any({ produce: () => this.networkPolicySpec() }),
    } as never);
  }

  private ensureDenyPolicy(): void {
    this.denyPolicy ??= this.lazyPolicy('denials', `${this.name}-deny`, AuthorizationPolicySpecAction.DENY, 'zero-trust-mesh.io/denials', this.denialList);
  }

  private ensurePolicy(): void {
    this.policy ??= this.lazyPolicy('grants', this.name, AuthorizationPolicySpecAction.ALLOW, 'zero-trust-mesh.io/grants', this.grantList);
  }

  /**
   * An AuthorizationPolicy selecting this workload whose rules, and the annotation that explains
   * them, are produced at synth: grants (or denials) added later land in the same policy.
   */
  private lazyPolicy(id: string, name: string, action: AuthorizationPolicySpecAction, annotation: string, sources: readonly AccessRule[]): ManifestObject {
    return new ManifestObject(this, id, SecurityManifest.authorizationPolicy({
      metadata: {
        name,
        namespace: this.namespace.name,
        annotations: { [annotation]: Lazy.any(new RuleSummaries(sources)) as unknown as string },
      },
      spec: Lazy.any(new PolicySpec(this, action, sources)) as never,
    }));
  }

  /**
   * How the workload's policies attach: by selector, enforced at its sidecar or ztunnel; or, once
   * a waypoint is bound, by `targetRefs` to its Service, enforced at that waypoint, which ignores
   * selector policies (istio:pilot/pkg/model/policyattachment.go; https://istio.io/latest/docs/ambient/usage/waypoint/).
   * @internal
   */
  public policyAttachment(): { selector: { matchLabels: Record<string, string> } } | { targetRefs: { group: string; kind: string; name: string }[] } {
    return this.boundWaypoint
      ? { targetRefs: [{ group: '', kind: 'Service', name: this.name }] }
      : { selector: { matchLabels: { ...this.selector } } };
  }

  /**
   * A grant's or denial's rules where they are enforced: at a waypoint, `ports` are Service ports.
   * @internal
   */
  public rulesAtEnforcement(source: AccessRule): readonly AuthorizationPolicySpecRules[] {
    return (this.boundWaypoint && this.waypointRules.get(source)) || source.rules;
  }

  private checkPorts(): void {
    const seenPorts = new Set<number>();
    const seenNames = new Set<string>();
    this.ports.forEach((p, i) => {
      checkPortNumber(p.port, this.self, `ports[${i}].port`);
      checkPortNumber(p.targetPort, this.self, `ports[${i}].targetPort`);
      if (p.name.length > 15 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(p.name) || p.name.includes('--')) {
        throw new ZeroTrustConfigError(this.self, `ports[${i}].suffix`,
          `port name "${p.name}" is not a valid IANA service name (at most 15 lower-case letters, digits and single "-").`,
          `use a shorter suffix, e.g. "${p.protocol}-${p.name.slice(p.protocol.length + 1, 15).replace(/-+$/, '') || 'main'}".`.slice(0, 200));
      }
      if (seenPorts.has(p.port)) {
        throw new ZeroTrustConfigError(this.self, `ports[${i}].port`, `port ${p.port} is declared twice.`, 'declare each Service port once.');
      }
      if (seenNames.has(p.name)) {
        throw new ZeroTrustConfigError(this.self, `ports[${i}].suffix`, `port name "${p.name}" is used twice.`, 'give the ports distinct suffixes, e.g. ServicePort.http(9090, { suffix: "admin" }).');
      }
      seenPorts.add(p.port);
      seenNames.add(p.name);
    });
  }

  private checkReplicas(replicas: number | undefined, field: string): void {
    if (replicas === undefined) return;
    if (!Number.isInteger(replicas) || replicas < 0) {
      throw new ZeroTrustConfigError(this.self, field, `${replicas} is not a replica count.`, 'use a whole number, 0 or more.');
    }
  }

  private checkImage(image: string | undefined, field: string): void {
    if (typeof image !== 'string' || image === '' || /\s/.test(image)) {
      throw new ZeroTrustConfigError(this.self, field, `"${image ?? ''}" is not an image reference.`, 'give an image with a tag or digest, e.g. "mysql:8.4".');
    }
  }

  private checkEnv(env: Readonly<Record<string, EnvValue>>, field: string): void {
    for (const [name, value] of Object.entries(env)) {
      if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) {
        throw new ZeroTrustConfigError(this.self, `${field}.${name}`, 'is not a valid environment variable name.', 'use letters, digits and "_", not starting with a digit.');
      }
      if (value.value !== undefined && SECRET_LOOKING_NAME.test(name)) {
        throw new ZeroTrustConfigError(this.self, `${field}.${name}`,
          'looks like a secret, and a literal value would be written into the synthesized manifests.',
          `reference a Secret instead: EnvValue.fromSecretKey("${this.node.id}-credentials", "${name.toLowerCase().replace(/_/g, '-')}").`);
      }
    }
  }

  private checkSecurity(settings: SecuritySettings): void {
    for (const field of ['runAsUser', 'runAsGroup', 'fsGroup'] as const) {
      const value = settings[field];
      if (value === undefined) continue;
      if (!Number.isInteger(value) || value < 1) {
        throw new ZeroTrustConfigError(this.self, `securityContext.${field}`, `${value} is not a non-root id.`, 'use a positive integer (the image\'s non-root user).');
      }
    }
    if (settings.runAsUser === ISTIO_PROXY_UID) {
      throw new ZeroTrustConfigError(this.self, 'securityContext.runAsUser',
        '1337 is the sidecar proxy\'s UID: traffic from that UID bypasses the proxy, so the app would escape mTLS and policy (istioctl IST0144).',
        'run the app as another UID, e.g. 65532.');
    }
  }

  private emitObjects(props: MeshWorkloadProps): void {
    const ns = this.namespace.name;
    checkLabelValue(props.version ?? 'v1', this.self, 'version');

    new ManifestObject(this, 'service-account', {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: this.serviceAccountName, namespace: ns, labels: { app: this.name } },
      // The sidecar gets its identity from its own projected `istio-token` volume (Istio's
      // injection template), so the app needs no Kubernetes API token.
      automountServiceAccountToken: false,
    } satisfies ServiceAccount);

    if (props.mtls !== undefined || this.portMtls.size > 0) this.emitPeerAuthentication(props.mtls);

    const controllers = this.podControllers(props);
    const template = this.podTemplate(props);
    for (const c of controllers) {
      // The body is made when the object is rendered, fresh each time (see BodyProducer), from
      // values taken here: the props as checked, not as they may be later.
      new ManifestObject(this, c.id, {
        apiVersion: 'apps/v1',
        kind: c.kind,
        metadata: { name: c.name, namespace: ns, labels: c.labels },
      } satisfies ManifestHeader<Deployment | StatefulSet>, () => controllerBody(template, c));
      if (c.autoscaling) {
        new ManifestObject(this, `${c.id}-autoscaler`, {
          apiVersion: 'autoscaling/v2',
          kind: 'HorizontalPodAutoscaler',
          metadata: { name: c.name, namespace: ns, labels: { app: this.name } },
          spec: {
            scaleTargetRef: { apiVersion: 'apps/v1', kind: c.kind, name: c.name },
            minReplicas: c.autoscaling.minReplicas,
            maxReplicas: c.autoscaling.maxReplicas,
            metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: c.autoscaling.cpuUtilization ?? 70 } } }],
          },
        } satisfies HorizontalPodAutoscaler);
      }
    }

    // One budget over every pod of the workload: a drain counts all versions together.
    const pods = controllers.reduce((sum, c) => sum + (c.autoscaling ? c.autoscaling.minReplicas : c.replicas), 0);
    if (props.disruptionBudget !== false && (props.disruptionBudget !== undefined || pods > 1)) {
      const budget = checkDisruptionBudget(props.disruptionBudget ?? {}, pods, this.self);
      new ManifestObject(this, 'disruption-budget', {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name: this.name, namespace: ns, labels: { app: this.name } },
        spec: Object.assign({}, budget, { selector: { matchLabels: { ...this.selector } } }),
      } satisfies PodDisruptionBudget);
    }

    if (this.ports.length > 0) {
      this.serviceObject = new ManifestObject(this, 'service', {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: this.name, namespace: ns, labels: { app: this.name } },
      } satisfies ManifestHeader<Service>, () => ({
        spec: {
          selector: { ...this.selector },
          ports: this.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.targetPort, protocol: 'TCP' })),
        },
      } satisfies ManifestBody<Service>));
    }
    if (this.versions.length > 0 && this.ports.length > 0) this.emitVersionRouting();
  }

  /**
   * The workload's PeerAuthentication: a selector (workload scope, in a non-root namespace) and
   * `portLevelMtls` keyed by container port (istio.io, "PeerAuthentication" reference).
   */
  private emitPeerAuthentication(mode: MtlsMode | undefined): void {
    const weak = [...(mode !== undefined ? [['mtls', mode] as const] : []), ...[...this.portMtls].map(([port, m]) => [`portMtls.${port}`, m] as const)]
      .find(([, m]) => acceptsPlaintext(m));
    const acknowledged = weak
      ? this.namespace.mesh.posture.permit('nonStrictMtls', {
        construct: this.self, field: weak[0],
        problem: `mode ${weak[1]} accepts plaintext, so callers without a verified identity reach this workload${weak[0] === 'mtls' ? '' : ' on that port'}.`,
        fix: 'use STRICT, or leave it unset to follow the namespace.',
      })
      : undefined;
    const portLevelMtls: Record<string, { mode: PeerAuthenticationSpecPortLevelMtlsMode }> = {};
    for (const port of this.ports) {
      const m = this.portMtls.get(port.port);
      if (m !== undefined) portLevelMtls[String(port.targetPort)] = { mode: PeerAuthenticationSpecPortLevelMtlsMode[m] };
    }
    new ManifestObject(this, 'mtls', SecurityManifest.peerAuthentication({
      metadata: {
        name: this.name, namespace: this.namespace.name,
        ...(acknowledged ? { annotations: { [acknowledgementAnnotation('nonStrictMtls')]: acknowledged } } : {}),
      },
      spec: {
        selector: { matchLabels: { ...this.selector } },
        ...(mode !== undefined ? { mtls: { mode: PeerAuthenticationSpecMtlsMode[mode] } } : {}),
        ...(Object.keys(portLevelMtls).length ? { portLevelMtls } : {}),
      },
    }));
  }

  /** The Deployments (one per version) or the StatefulSet that run the pods. */
  private podControllers(props: MeshWorkloadProps): PodController[] {
    const volumes = props.persistentVolumes ?? [];
    if (props.autoscaling) {
      checkAutoscaling(props.autoscaling, this.self);
      const fixed = props.replicas !== undefined ? 'replicas' : props.versions?.findIndex((v) => v.replicas !== undefined);
      if (fixed !== undefined && fixed !== -1) {
        throw new ZeroTrustConfigError(this.self, typeof fixed === 'number' ? `versions[${fixed}].replicas` : fixed,
          'is given together with autoscaling, so every apply would reset the autoscaler\'s choice.', 'drop the replica count; autoscaling.minReplicas sets the floor.');
      }
    }
    const spread = props.spreadAcross ?? DEFAULT_SPREAD;
    spread.forEach((key, i) => {
      if (!/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(key)) {
        throw new ZeroTrustConfigError(this.self, `spreadAcross[${i}]`, `"${key}" is not a node label key.`, 'use a key such as "topology.kubernetes.io/zone".');
      }
    });
    if (volumes.length > 0) {
      if (this.versions.length > 0) {
        throw new ZeroTrustConfigError(this.self, 'persistentVolumes', 'a stateful workload runs one version (a StatefulSet), but versions are given.',
          'drop versions (set version for the label), or keep state out of the versioned service.');
      }
      if (this.ports.length === 0) {
        throw new ZeroTrustConfigError(this.self, 'persistentVolumes', 'a StatefulSet needs a Service to govern it, and this workload has no ports.', 'declare the ports its clients use.');
      }
      checkPersistentVolumes(volumes, props.writablePaths ?? ['/tmp'], this.self);
      return [this.podController(props, spread, {
        id: 'statefulset', kind: 'StatefulSet', name: this.name, version: props.version ?? 'v1', selector: { ...this.selector },
        image: props.image, replicas: props.replicas, env: props.env ?? {},
      })];
    }
    if (this.versions.length === 0) {
      return [this.podController(props, spread, {
        id: 'deployment', kind: 'Deployment', name: this.name, version: props.version ?? 'v1', selector: { ...this.selector },
        image: props.image, replicas: props.replicas, env: props.env ?? {},
      })];
    }
    return (props.versions ?? []).map((v) => {
      // Each version's Deployment selects its own pods only: Deployments with overlapping
      // selectors fight over each other's pods.
      const selector = Object.assign({}, this.selector, { version: v.name });
      return this.podController(props, spread, {
        id: `deployment-${v.name}`, kind: 'Deployment', name: `${this.name}-${v.name}`, version: v.name, selector,
        image: v.image ?? props.image, replicas: v.replicas ?? props.replicas, env: Object.assign({}, props.env ?? {}, v.env ?? {}),
      });
    });
  }

  private podController(props: MeshWorkloadProps, spread: readonly string[], c: {
    id: string; kind: PodController['kind']; name: string; version: string; selector: Record<string, string>;
    image: string; replicas: number | undefined; env: Readonly<Record<string, EnvValue>>;
  }): PodController {
    const labels: Record<string, string> = Object.assign({}, this.selector, { version: c.version });
    const count = c.replicas ?? 1;
    const most = props.autoscaling ? props.autoscaling.maxReplicas : count;
    return {
      id: c.id, kind: c.kind, name: c.name, labels, selector: c.selector,
      podLabels: Object.assign({}, labels, this.namespace.dataplane.podLabels(this.hasSidecar)),
      image: c.image, replicas: count, env: Object.entries(c.env),
      autoscaling: props.autoscaling,
      spread: most > 1 ? spread : [],
      volumes: props.persistentVolumes ?? [],
    };
  }

  /** The parts of the pod spec every controller of the workload shares. */
  private podTemplate(props: MeshWorkloadProps): PodTemplateParts {
    const security = props.securityContext ?? {};
    const runAsGroup = security.runAsGroup ?? 65532;
    const resources = props.resources ?? {};
    const probes: PodTemplateParts['probes'] = {};
    if (props.readiness) probes.readinessProbe = props.readiness.render(this.ports, this.self, 'readiness');
    if (props.liveness) probes.livenessProbe = props.liveness.render(this.ports, this.self, 'liveness');
    if (props.startup) probes.startupProbe = props.startup.render(this.ports, this.self, 'startup');
    return {
      workload: this.name,
      serviceAccountName: this.serviceAccountName,
      ports: this.ports.map((p) => ({ name: p.name, containerPort: p.targetPort })),
      runAsUser: security.runAsUser ?? 65532,
      runAsGroup,
      fsGroup: security.fsGroup ?? runAsGroup,
      readOnlyRootFilesystem: security.readOnlyRootFilesystem ?? true,
      requests: { cpu: resources.requests?.cpu ?? '50m', memory: resources.requests?.memory ?? '64Mi' },
      limits: { cpu: resources.limits?.cpu ?? '500m', memory: resources.limits?.memory ?? '256Mi' },
      command: props.command && [...props.command],
      args: props.args && [...props.args],
      writable: (props.writablePaths ?? ['/tmp']).map((path) => ({ path, volume: writableVolumeName(path) })),
      probes,
    };
  }

  /**
   * A DestinationRule with a subset per version and, when routes are given, the mesh's
   * VirtualService for the Service's host. The DestinationRule sets no `tls`, so auto mTLS keeps
   * choosing mTLS per endpoint (istio.io, "Mutual TLS Migration" and the DestinationRule reference:
   * a rule without a TLS block leaves the client's TLS to auto mTLS).
   */
  private emitVersionRouting(): void {
    const ns = this.namespace.name;
    const host = `${this.name}.${ns}.svc.cluster.local`;
    new ManifestObject(this, 'versions', DestinationRule.manifest({
      metadata: { name: this.name, namespace: ns },
      spec: { host, subsets: this.versions.map((v) => ({ name: v, labels: { version: v } })) },
    }));
    if (this.versionRoutes.length === 0) return;
    // No `gateways`: the routes apply to callers in the mesh; MeshIngress writes the same split.
    new ManifestObject(this, 'routes', VirtualService.manifest({
      metadata: { name: this.name, namespace: ns },
      spec: {
        hosts: [host],
        http: this.versionRoutes.map((r) => versionHttpRoute(r, host, undefined, [])),
      },
    }));
  }
}

/** One Deployment or StatefulSet of a workload, as checked. */
interface PodController {
  readonly id: string;
  readonly kind: 'Deployment' | 'StatefulSet';
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly selector: Readonly<Record<string, string>>;
  readonly podLabels: Readonly<Record<string, string>>;
  readonly image: string;
  readonly replicas: number;
  readonly env: readonly (readonly [string, EnvValue])[];
  readonly autoscaling: Autoscaling | undefined;
  readonly spread: readonly string[];
  readonly volumes: readonly PersistentVolume[];
}

/** What every pod of a workload shares, whatever its controller. */
interface PodTemplateParts {
  readonly workload: string;
  readonly serviceAccountName: string;
  readonly ports: readonly { name: string; containerPort: number }[];
  readonly runAsUser: number;
  readonly runAsGroup: number;
  readonly fsGroup: number;
  readonly readOnlyRootFilesystem: boolean;
  readonly requests: { cpu: string; memory: string };
  readonly limits: { cpu: string; memory: string };
  readonly command?: string[];
  readonly args?: string[];
  readonly writable: readonly { path: string; volume: string }[];
  readonly probes: { readinessProbe?: KubeProbe; livenessProbe?: KubeProbe; startupProbe?: KubeProbe };
}

/** A Deployment's or StatefulSet's spec, made at each render. */
function controllerBody(t: PodTemplateParts, c: PodController): ManifestBody<Deployment | StatefulSet> {
  const container: Container = {
    name: t.workload,
    image: c.image,
    imagePullPolicy: 'IfNotPresent',
  };
  if (t.command) container.command = [...t.command];
  if (t.args) container.args = [...t.args];
  if (t.ports.length) container.ports = t.ports.map((p) => ({ name: p.name, containerPort: p.containerPort, protocol: 'TCP' }));
  if (c.env.length) {
    container.env = c.env.map(([name, v]) => (v.secretKeyRef
      ? { name, valueFrom: { secretKeyRef: { name: v.secretKeyRef.name, key: v.secretKeyRef.key } } }
      : { name, value: v.value! }));
  }
  container.resources = { requests: { ...t.requests }, limits: { ...t.limits } };
  container.securityContext = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: t.readOnlyRootFilesystem,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
  };
  const mounts = [...t.writable.map((w) => ({ name: w.volume, mountPath: w.path })), ...c.volumes.map((v) => ({ name: v.name, mountPath: v.path }))];
  if (mounts.length) container.volumeMounts = mounts;
  if (t.probes.startupProbe) container.startupProbe = { ...t.probes.startupProbe };
  if (t.probes.livenessProbe) container.livenessProbe = { ...t.probes.livenessProbe };
  if (t.probes.readinessProbe) container.readinessProbe = { ...t.probes.readinessProbe };

  const pod: PodSpec = {
    serviceAccountName: t.serviceAccountName,
    automountServiceAccountToken: false,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: t.runAsUser,
      runAsGroup: t.runAsGroup,
      fsGroup: t.fsGroup,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    containers: [container],
  };
  if (c.spread.length) {
    pod.topologySpreadConstraints = c.spread.map((topologyKey) => ({
      maxSkew: 1, topologyKey, whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { ...c.selector } },
    }));
  }
  if (t.writable.length) pod.volumes = t.writable.map((w) => ({ name: w.volume, emptyDir: {} }));

  const spec: DeploymentSpec & Partial<StatefulSetSpec> = {
    selector: { matchLabels: { ...c.selector } },
    template: { metadata: { labels: { ...c.podLabels } }, spec: pod },
  };
  // Under autoscaling the controller carries no count, so an apply never resets the scale.
  const body = c.autoscaling ? spec : Object.assign({ replicas: c.replicas }, spec);
  if (c.kind === 'StatefulSet') {
    return { spec: Object.assign(body, { serviceName: t.workload, volumeClaimTemplates: c.volumes.map(claimTemplate) }) as StatefulSetSpec };
  }
  return { spec: body };
}

// Two habits in this file come from profiling a thousand-workload mesh (bench/):
// - Helpers are module functions and producer classes rather than arrow functions made per
//   workload: tsx compiles with esbuild's keepNames, which wraps every arrow function whose name
//   is inferred (`const f = () => …`, `{ produce: () => … }`) in an `Object.defineProperty` call
//   each time it is created. Four such closures per workload cost a quarter of building.
// - Objects made per workload never start with a spread that more fields follow
//   (`{ ...a, b }`, `{ ...a, ...b }`): on Node 20's V8 every such object gets a hidden class of
//   its own after the first few, which costs memory and makes every access to such objects miss
//   its inline cache. `Object.assign({}, a, b)` or fields assigned one by one share classes.

/** `T` with its fields assignable, to build an object field by field. */
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** One ALLOW rule: the caller's source, the operation, and the claim conditions. */
function authorizationRule(
  source: AuthorizationPolicySpecRulesFromSource | undefined,
  to: AuthorizationPolicySpecRules['to'],
  when?: readonly AuthorizationPolicySpecRulesWhen[],
): AuthorizationPolicySpecRules {
  const rule: Mutable<AuthorizationPolicySpecRules> = {};
  if (source) rule.from = [{ source }];
  if (to) rule.to = to;
  if (when && when.length) rule.when = [...when];
  return rule;
}

/** A rule's `to`: the ports, methods and paths it is limited to, or none (any operation). */
function operationOf(operation: { ports: readonly number[]; methods: readonly string[]; paths: readonly string[] }): AuthorizationPolicySpecRules['to'] {
  const op: Mutable<AuthorizationPolicySpecRulesToOperation> = {};
  if (operation.ports.length) op.ports = operation.ports.map(String);
  if (operation.methods.length) op.methods = [...operation.methods];
  if (operation.paths.length) op.paths = [...operation.paths];
  return Object.keys(op).length ? [{ operation: op }] : undefined;
}

/** The emptyDir volume that makes `path` writable. */
function writableVolumeName(path: string): string {
  return `writable${path.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`.replace(/-+$/, '').slice(0, 63);
}

/**
 * A policy's spec, produced at synth, so grants (or denials) added after the policy land in it,
 * and a waypoint bound by a later grant moves every rule to the waypoint.
 */
class PolicySpec implements IAnyProducer {
  public constructor(private readonly workload: MeshWorkload, private readonly action: AuthorizationPolicySpecAction, private readonly sources: readonly AccessRule[]) {}

  public produce(): Record<string, unknown> {
    return Object.assign(this.workload.policyAttachment(), {
      action: this.action,
      rules: this.sources.flatMap((g) => this.workload.rulesAtEnforcement(g)),
    });
  }
}

/** A caller's NetworkPolicy egress, to be opened to a waypoint (classes, not closures: see above). */
interface NetworkSink {
  to(waypoint: Waypoint): void;
}

class WorkloadEgress implements NetworkSink {
  public constructor(private readonly caller: MeshWorkload) {}

  public to(waypoint: Waypoint): void {
    this.caller.addEgressFlow(waypoint.networkFlow);
  }
}

class NamespaceEgress implements NetworkSink {
  public constructor(private readonly namespace: ZeroTrustNamespace) {}

  public to(waypoint: Waypoint): void {
    this.namespace.addNamespaceEgress(waypoint.networkFlow);
  }
}

class MeshWideEgress implements NetworkSink {
  public constructor(private readonly mesh: ZeroTrustNamespace['mesh'], private readonly host: string) {}

  public to(waypoint: Waypoint): void {
    this.mesh.addMeshWideEgress(waypoint.networkFlow, this.host);
  }
}

/** The annotation beside a policy's rules: one line per rule, saying whom it admits (or refuses) and why. */
class RuleSummaries implements IAnyProducer {
  public constructor(private readonly sources: readonly AccessRule[]) {}

  public produce(): string {
    let index = 0;
    return this.sources.map((g) => g.rules.map(() => `rule[${index++}] ${g.summary}`).join('\n')).join('\n');
  }
}
