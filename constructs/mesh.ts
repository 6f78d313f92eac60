import { ApiObject, Chart } from 'cdk8s';
import { Construct, IValidation } from 'constructs';
import { analyze, hasErrors } from '../analysis/analyze.js';
import type { Finding } from '../analysis/finding.js';
import { formatText } from '../analysis/format.js';
import type { Manifest } from '../manifests/manifest.js';
import { PeerAuthenticationSpecMtlsMode } from '../imports/security.istio.io.js';
import { Telemetry } from '../imports/telemetry.istio.io.js';
import { Dataplane } from './dataplane.js';
import { checkDnsLabel, checkDnsSubdomain, ZeroTrustConfigError } from './errors.js';
import type { EgressGateway } from './egress-gateway.js';
import { EgressCaller, EgressGatewayRoutes } from './egress-gateway-routes.js';
import type { ExternalHost } from './external-host.js';
import { IngressGateway } from './ingress-gateway.js';
import { acceptsPlaintext, checkMtlsMode, MtlsMode } from './mtls-mode.js';
import { Acknowledgements, acknowledgementAnnotation, SecurityPosture, Stage } from './security-posture.js';
import { ManifestObject } from './manifest-object.js';
import type { NetworkFlow } from './network-policy.js';
import type { ZeroTrustNamespace } from './zero-trust-namespace.js';
import { SecurityManifest } from './security-manifest.js';

const MESH_BRAND = Symbol.for('zero-trust-mesh.Mesh');

/** One mesh synthesized in memory: its API objects and what the policy analyzer found in them. */
export interface MeshSynthesis {
  /** The mesh's environment name (`Mesh.environment`). */
  readonly environment: string;
  /** Istio's root namespace: its objects are mesh-wide. */
  readonly rootNamespace: string;
  /** The mesh's trust domain, with which the analyzer read the objects. */
  readonly trustDomain: string;
  /** The API objects as plain Kubernetes JSON, in construct-tree order. */
  readonly manifests: readonly Manifest[];
  /** Every finding of the policy analyzer (no errors, or `synthesize` would have thrown). */
  readonly findings: readonly Finding[];
}

/**
 * The policy analyzer found errors in what one or more meshes would write. Nothing was written;
 * `failures` holds every finding (all severities) of each failing mesh's environment.
 */
export class MeshAnalysisError extends Error {
  public constructor(public readonly failures: ReadonlyMap<string, readonly Finding[]>) {
    const parts = [...failures].map(([env, findings]) => {
      const errors = findings.filter((f) => f.severity === 'error');
      return `Mesh "${env}": the zero-trust-mesh policy analyzer found ${errors.length} error${errors.length === 1 ? '' : 's'} `
        + `in the objects it would write:\n\n${formatText(errors)}`;
    });
    super(`${parts.join('\n')}Each finding says what to fix; its code is explained in the zero-trust-mesh analyzer docs (docs/analyzer.md in the package). `
      + 'An error that is an accepted risk is acknowledged on the object with a zero-trust-mesh.io/acknowledged-<risk> annotation and its reason.');
    this.name = 'MeshAnalysisError';
  }
}

/**
 * The analyzer gate as a cdk8s validation, so a plain `App.synth()` (which runs every
 * construct's validations before it writes anything) refuses a mesh with analyzer errors too.
 * It stands aside while the mesh renders itself (`toJson`), so `synthesize()` analyzes once and
 * cdk8s's `Testing.synth` returns the objects as they are.
 */
class AnalyzerGate implements IValidation {
  public suspended = false;

  public constructor(private readonly mesh: Mesh) {}

  public validate(): string[] {
    if (this.suspended) return [];
    const findings = this.mesh.analyzeObjects(this.mesh.renderObjects());
    return hasErrors(findings) ? [new MeshAnalysisError(new Map([[this.mesh.environment, findings]])).message] : [];
  }
}

/** Props of a mesh: the mesh-wide settings of one environment. */
export interface MeshProps {
  /**
   * The environment's name, used in messages.
   * @default - the construct id
   */
  readonly environment?: string;
  /**
   * How hardened the environment must be; decides which insecure combinations are refused.
   * @default 'prod' (the strictest)
   */
  readonly stage?: Stage;
  /**
   * The mesh's trust domain (meshConfig `trustDomain`), the first segment of every principal.
   * @default 'cluster.local'
   */
  readonly trustDomain?: string;
  /**
   * Istio's root namespace (meshConfig `rootNamespace`), where mesh-wide policy lives.
   * @default 'istio-system'
   */
  readonly rootNamespace?: string;
  /**
   * Mesh-wide inbound mTLS mode; namespaces inherit it unless they set their own.
   * @default MtlsMode.STRICT
   */
  readonly mtls?: MtlsMode;
  /**
   * Log every request at every proxy, with the authentication and authorization decision
   * (response code and flags, `rbac_access_denied_matched_policy[...]`), for audit.
   * @default true
   */
  readonly accessLogging?: boolean;
  /**
   * The ingress gateway deployment that `MeshIngress` binds to and grants.
   * @default IngressGateway.helmChart() (release `istio-ingressgateway` in `istio-system`)
   */
  readonly ingressGateway?: IngressGateway;
  /**
   * Insecure exceptions this environment accepts on purpose, each with its reason.
   * @default - none
   */
  readonly acknowledgements?: Acknowledgements;
  /**
   * What a sidecar does with a request to a host its namespace's Sidecar does not import
   * (`outboundTrafficPolicy.mode`, https://istio.io/latest/docs/tasks/traffic-management/egress/egress-control/):
   * `REGISTRY_ONLY` blocks it (502, or the connection is closed); `ALLOW_ANY` forwards it in
   * plaintext, with no identity, anywhere, the internet included. Written on every namespace's
   * Sidecar. `ALLOW_ANY` is refused in prod unless `acknowledgements.allowAnyEgress` gives the reason.
   * @default OutboundTrafficPolicy.REGISTRY_ONLY
   */
  readonly outboundTrafficPolicy?: OutboundTrafficPolicy;
  /**
   * Where the mesh's workloads get their proxy: `Dataplane.SIDECAR` (an Envoy in every pod) or
   * `Dataplane.AMBIENT` (ztunnel for identity, mTLS and L4 policy; waypoints for L7 policy).
   * Namespaces follow it unless they set their own. The same grants work on both: see
   * docs/ambient.md for what each becomes in ambient mode.
   * @default Dataplane.SIDECAR
   */
  readonly dataplane?: Dataplane;
  /**
   * The egress gateway external calls leave the mesh through. With one, every
   * `allowTo(ExternalHost...)` is routed through it: the caller's sidecar sends the call to the
   * gateway over Istio mTLS, the gateway's own AuthorizationPolicy admits only the workloads
   * granted that host, and their NetworkPolicy may reach the gateway's pods, not the internet
   * (https://istio.io/latest/docs/tasks/traffic-management/egress/egress-gateway/). HTTP and TLS
   * hosts only: a TCP host is refused, since the gateway could tell its callers apart but not its
   * destinations.
   * @default - none: each caller's sidecar connects to the external host itself
   */
  readonly egressGateway?: EgressGateway;
}

/** Istio's outbound traffic policy modes (meshConfig and Sidecar `outboundTrafficPolicy.mode`). */
export enum OutboundTrafficPolicy {
  /** Only hosts in the service registry (Services, ServiceEntries) that the Sidecar imports. */
  REGISTRY_ONLY = 'REGISTRY_ONLY',
  /** Any host: unknown destinations are passed through in plaintext. */
  ALLOW_ANY = 'ALLOW_ANY',
}

/**
 * The mesh of one environment and the root of its constructs: mesh-wide mTLS and access
 * logging in the root namespace, the trust domain, the ingress gateway, and the guard rails
 * (`posture`) every construct below it checks. One chart per environment, so synth resolves
 * the tree once and stays linear in the number of workloads.
 */
export class Mesh extends Chart {
  /**
   * True for a Mesh. (`instanceof Mesh` would not do: cdk8s's Chart defines `Symbol.hasInstance`,
   * so every Chart is an `instanceof` of every Chart subclass.)
   */
  public static isMesh(x: unknown): x is Mesh {
    return typeof x === 'object' && x !== null && MESH_BRAND in x;
  }

  /** The mesh that `scope` belongs to. */
  public static of(scope: Construct): Mesh {
    const mesh = scope.node.scopes.find((s): s is Mesh => Mesh.isMesh(s));
    if (!mesh) {
      throw new ZeroTrustConfigError(scope.node.path || 'construct', 'scope',
        'is not inside a Mesh.', 'create it under a Mesh (new Mesh(app, "dev", {...})) or a ZeroTrustNamespace of one.');
    }
    return mesh;
  }

  public readonly environment: string;
  public readonly trustDomain: string;
  public readonly rootNamespace: string;
  public readonly mtls: MtlsMode;
  public readonly ingressGateway: IngressGateway;
  public readonly posture: SecurityPosture;
  /** The outbound traffic policy every namespace's Sidecar carries. */
  public readonly outboundTrafficPolicy: OutboundTrafficPolicy;
  /** The egress gateway external calls are routed through, if any. */
  public readonly egressGateway?: EgressGateway;
  /** The acknowledgement of `ALLOW_ANY`, when it is one (written on the Sidecars). */
  public readonly allowAnyEgressAcknowledged?: string;
  /** The data plane namespaces get unless they set their own. */
  public readonly dataplane: Dataplane;
  private waypointDefaultDeny?: ManifestObject;
  private readonly namespaceNames = new Set<string>();
  private readonly namespaceConstructs = new Map<string, ZeroTrustNamespace>();
  private readonly meshWideEgress: NetworkFlow[] = [];
  private readonly meshWideHosts = new Set<string>();
  private readonly ingressHosts = new Map<string, string>();
  private egressRoutes?: EgressGatewayRoutes;
  private readonly gate: AnalyzerGate;

  public constructor(scope: Construct, id: string, props: MeshProps = {}) {
    super(scope, id, { disableResourceNameHashes: true });
    Object.defineProperty(this, MESH_BRAND, { value: true });
    this.environment = props.environment ?? id;
    const self = `Mesh "${this.environment}"`;
    this.trustDomain = props.trustDomain ?? 'cluster.local';
    this.rootNamespace = props.rootNamespace ?? 'istio-system';
    this.mtls = props.mtls ?? MtlsMode.STRICT;
    this.ingressGateway = props.ingressGateway ?? IngressGateway.helmChart();
    this.posture = new SecurityPosture(this.environment, props.stage ?? 'prod', props.acknowledgements);
    checkDnsLabel(this.environment, self, props.environment === undefined ? 'id (the environment name)' : 'environment');
    checkDnsSubdomain(this.trustDomain, self, 'trustDomain');
    checkDnsLabel(this.rootNamespace, self, 'rootNamespace');
    checkMtlsMode(this.mtls, self, 'mtls');
    this.dataplane = props.dataplane ?? Dataplane.SIDECAR;
    if (this.dataplane !== Dataplane.SIDECAR && this.dataplane !== Dataplane.AMBIENT) {
      throw new ZeroTrustConfigError(self, 'dataplane', 'is not one of the data planes.', 'use Dataplane.SIDECAR or Dataplane.AMBIENT (Dataplane.of("ambient") from config).');
    }
    if (props.egressGateway) this.egressGateway = props.egressGateway;
    this.outboundTrafficPolicy = props.outboundTrafficPolicy ?? OutboundTrafficPolicy.REGISTRY_ONLY;
    if (!Object.values(OutboundTrafficPolicy).includes(this.outboundTrafficPolicy)) {
      throw new ZeroTrustConfigError(self, 'outboundTrafficPolicy', `"${String(this.outboundTrafficPolicy)}" is not an outbound traffic policy.`,
        'use OutboundTrafficPolicy.REGISTRY_ONLY (or ALLOW_ANY).');
    }
    if (this.outboundTrafficPolicy === OutboundTrafficPolicy.ALLOW_ANY) {
      const reason = this.posture.permit('allowAnyEgress', {
        construct: self, field: 'outboundTrafficPolicy',
        problem: 'ALLOW_ANY lets every sidecar forward requests to any host, the internet included, in plaintext and with no identity.',
        fix: 'use OutboundTrafficPolicy.REGISTRY_ONLY and let workloads reach external hosts with allowTo(ExternalHost...).',
      });
      if (reason !== undefined) this.allowAnyEgressAcknowledged = reason;
    }

    const acknowledged = acceptsPlaintext(this.mtls)
      ? this.posture.permit('nonStrictMtls', {
        construct: self, field: 'mtls',
        problem: `mesh-wide mTLS ${this.mtls} accepts plaintext, so callers without a verified identity reach every workload that does not override it.`,
        fix: 'set mtls to STRICT.',
      })
      : undefined;

    // Mesh scope: the root namespace, no selector (istio.io, "PeerAuthentication" reference;
    // istio:pilot/pkg/security/authn/policy_applier.go ComposePeerAuthentication).
    new ManifestObject(this, 'mesh-mtls', SecurityManifest.peerAuthentication({
      metadata: {
        name: 'default',
        namespace: this.rootNamespace,
        ...(acknowledged ? { annotations: { [acknowledgementAnnotation('nonStrictMtls')]: acknowledged } } : {}),
      },
      spec: { mtls: { mode: PeerAuthenticationSpecMtlsMode[this.mtls] } },
    }));

    this.gate = new AnalyzerGate(this);
    this.node.addValidation(this.gate);

    if (props.accessLogging ?? true) {
      // The `envoy` provider exists in the default meshConfig; its format carries the response
      // code and `%RESPONSE_CODE_DETAILS%`, i.e. which policy denied (istio.io Telemetry API task).
      new ManifestObject(this, 'mesh-access-logging', Telemetry.manifest({
        metadata: { name: 'mesh-default', namespace: this.rootNamespace },
        spec: { accessLogging: [{ providers: [{ name: 'envoy' }] }] },
      }));
    }
  }

  /**
   * This environment's objects, checked by the policy analyzer: every construct's validations
   * run, the objects are rendered, and the analyzer reads them as `zt-mesh analyze` would read
   * the written files. Throws `MeshAnalysisError` when it finds an error, so nothing built from
   * the result (files, Pulumi resources) ever holds a policy the analyzer refuses. Writes nothing.
   */
  public synthesize(): MeshSynthesis {
    const manifests = this.toJson() as Manifest[];
    const findings = this.analyzeObjects(manifests);
    if (hasErrors(findings)) throw new MeshAnalysisError(new Map([[this.environment, findings]]));
    return { environment: this.environment, rootNamespace: this.rootNamespace, trustDomain: this.trustDomain, manifests, findings };
  }

  /**
   * This environment's objects as Kubernetes JSON, in construct-tree order, after every
   * construct's validations (the analyzer gate aside: `synthesize` runs it): what cdk8s's
   * `Chart.toJson` returns, at a fraction of the cost. cdk8s builds an app-wide dependency graph
   * for every chart it renders (walking the whole tree several times and looking up each node's
   * chart), which costs as much as rendering the objects. When nothing under this mesh declares
   * a dependency or nests a chart, that graph is the tree order, so it is skipped; otherwise
   * cdk8s does the work.
   */
  public override toJson(): any[] {
    return this.withoutGate(() => {
      const errors: string[] = [];
      for (const c of this.node.findAll()) {
        for (const error of c.node.validate()) errors.push(`[${c.node.path}] ${error}`);
      }
      if (errors.length > 0) throw new Error(`Validation failed with the following errors:\n  ${errors.join('\n  ')}`);
      return this.renderObjects();
    });
  }

  /** @internal Renders the objects; only cdk8s's own path (taken when a dependency is declared) validates. */
  public renderObjects(): any[] {
    return this.withoutGate(() => {
      const objects: ApiObject[] = [];
      for (const c of this.node.findAll()) {
        if (c.node.dependencies.length > 0 || (c !== this && Chart.isChart(c))) return super.toJson();
        if (ApiObject.isApiObject(c)) objects.push(c);
      }
      return objects.map((o) => o.toJson());
    });
  }

  private withoutGate<T>(render: () => T): T {
    const was = this.gate.suspended;
    this.gate.suspended = true;
    try {
      return render();
    } finally {
      this.gate.suspended = was;
    }
  }

  /** @internal The policy analyzer's findings on this mesh's objects. */
  public analyzeObjects(manifests: readonly unknown[]): Finding[] {
    return analyze(manifests, { rootNamespace: this.rootNamespace, trustDomain: this.trustDomain });
  }

  /**
   * Reserves an ingress host for one MeshIngress: two Gateways for one host and port conflict,
   * and which one serves a request is undefined (istioctl IST0145).
   * @internal
   */
  public registerIngressHost(host: string, construct: string): void {
    const owner = this.ingressHosts.get(host);
    if (owner !== undefined) {
      throw new ZeroTrustConfigError(construct, 'host',
        `host "${host}" is already served by ${owner}; two Gateways for one host conflict, and which one serves a request is undefined.`,
        `route every path of the host from one MeshIngress: routes: [{ service: a, pathPrefixes: [...] }, { service: b, pathPrefixes: [...] }].`);
    }
    this.ingressHosts.set(host, construct);
  }

  /**
   * The default deny of every waypoint, written once the mesh has an ambient namespace: an ALLOW
   * policy with no rules attached to the GatewayClass `istio-waypoint` in the root namespace, so a
   * waypoint admits only what a policy attached to it or to a Service bound to it allows.
   * Waypoints ignore selector policies, the namespaces' `allow-nothing` included, so without it a
   * Service with a waypoint but no policy of its own would be open at L7
   * (https://istio.io/latest/docs/ops/best-practices/security/, "Default-deny pattern with
   * waypoints"; istio:pilot/pkg/model/policyattachment.go; docs/ambient.md).
   * @internal
   */
  public denyAtWaypointsByDefault(): void {
    this.waypointDefaultDeny ??= new ManifestObject(this, 'waypoint-default-deny', SecurityManifest.authorizationPolicy({
      metadata: { name: 'allow-nothing-at-waypoints', namespace: this.rootNamespace },
      spec: { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'GatewayClass', name: 'istio-waypoint' }] },
    }));
  }

  /**
   * Routes an external host through the egress gateway for one caller (its objects are created
   * on the host's first caller).
   * @internal
   */
  public routeThroughEgressGateway(host: ExternalHost, caller: EgressCaller): void {
    if (!this.egressGateway) throw new Error('routeThroughEgressGateway: the mesh has no egress gateway');
    this.egressRoutes ??= new EgressGatewayRoutes(this, 'egress-gateway', this.egressGateway);
    this.egressRoutes.route(host, caller);
  }

  /** The ZeroTrustNamespace of this mesh with that name, if any. */
  public namespaceNamed(name: string): ZeroTrustNamespace | undefined {
    return this.namespaceConstructs.get(name);
  }

  /** The namespaces of this mesh defined so far whose pods run sidecars, by name. @internal */
  public sidecarNamespaceNames(): string[] {
    return [...this.namespaceConstructs.values()].filter((n) => !n.dataplane.isAmbient).map((n) => n.name);
  }

  /** Records a namespace construct once it exists, so grants can reach it by name. @internal */
  public trackNamespace(namespace: ZeroTrustNamespace): void {
    this.namespaceConstructs.set(namespace.name, namespace);
  }

  /**
   * A grant to every workload of the mesh (any authenticated workload, or anyone): every
   * namespace's pods may connect to the callee, and every namespace's Sidecar imports its host.
   * @internal
   */
  public addMeshWideEgress(flow: NetworkFlow, host: string): void {
    this.meshWideEgress.push(flow);
    this.meshWideHosts.add(host);
  }

  /** The flows and hosts of grants to every workload of the mesh. @internal */
  public meshWideAccess(): { readonly egress: readonly NetworkFlow[]; readonly hosts: ReadonlySet<string> } {
    return { egress: this.meshWideEgress, hosts: this.meshWideHosts };
  }

  /** Reserves a namespace name; refuses duplicates and the root namespace. */
  public registerNamespace(name: string, construct: string): void {
    if (name === this.rootNamespace) {
      throw new ZeroTrustConfigError(construct, 'name',
        `"${name}" is Istio's root namespace: every policy there applies to the whole mesh, gateways included.`,
        'put workloads in a namespace of their own.');
    }
    if (this.namespaceNames.has(name)) {
      throw new ZeroTrustConfigError(construct, 'name',
        `mesh "${this.environment}" already has a namespace "${name}".`,
        'add workloads to the existing ZeroTrustNamespace instead of creating a second one.');
    }
    this.namespaceNames.add(name);
  }
}
