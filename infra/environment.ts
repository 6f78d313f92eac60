import type { Acknowledgements, DataplaneMode, IngressApi, JwtIssuerConfig, Stage } from 'zero-trust-mesh';
import { MtlsMode } from 'zero-trust-mesh';

/** Container images of the reference mesh, with pinned tags. */
export interface ImageConfig {
  readonly httpbin: string;
  readonly sleep: string;
  readonly serviceA: string;
  readonly serviceB: string;
  readonly serviceC: string;
  readonly mysql: string;
}

/**
 * Everything that differs between the reference mesh's environments, as data: the reference
 * mesh's own settings (the library knows nothing of them). Nothing else in the program knows
 * which environment it is in; the Pulumi program overrides fields from stack config.
 */
export interface EnvironmentConfig {
  /** The environment's name, the output directory `dist/<name>/`. */
  readonly name: string;
  /** How hardened it must be (see `Acknowledgements` for what each stage refuses). */
  readonly stage: Stage;
  /** meshConfig `trustDomain`. */
  readonly trustDomain: string;
  /** Mesh-wide mTLS mode; the products and sleep namespaces follow it. */
  readonly mtls: MtlsMode;
  /**
   * Where workloads get their proxy: `'sidecar'`, or `'ambient'` (ztunnel, and waypoints where a
   * grant needs L7). Switching is a change of this value alone; the grants stay as they are
   * (docs/ambient.md).
   */
  readonly dataplane: DataplaneMode;
  /**
   * Namespaces that run another data plane than `dataplane`, by name (e.g. one namespace moved to
   * ambient ahead of the others).
   */
  readonly namespaceDataplanes?: Readonly<Record<string, DataplaneMode>>;
  /** Who signs end-user tokens. Switching IdP is a change of this value alone. */
  readonly issuer: JwtIssuerConfig;
  /** The products app's external entry. */
  readonly ingress: {
    readonly host: string;
    /**
     * TLS Secret in the gateway's namespace (the installed gateway's for `istio`, the Gateway's,
     * i.e. `products`, for `gateway-api`); omitted means plain HTTP (dev).
     */
    readonly tlsCredentialName?: string;
    /**
     * How the ingress is written: Istio's Gateway + VirtualService on the installed gateway, or
     * the Kubernetes Gateway API (Gateway + HTTPRoute; Istio deploys the gateway). Switching is a
     * change of this value alone.
     * @default 'istio'
     */
    readonly api?: IngressApi;
    /** How the ingress gateway was installed, which fixes its labels and identity (`istio` API). */
    readonly gateway: { readonly install: 'helm'; readonly release: string; readonly namespace: string } | { readonly install: 'istioctl' };
  };
  readonly images: ImageConfig;
  /** Replicas of each products service. */
  readonly replicas: number;
  /**
   * The demo namespaces (`jwt`, `mtls-*`) and the `sleep` client; `requiredGroup` is the value
   * the jwt demo's httpbin requires in the token's `groups` claim.
   */
  readonly demos: { readonly enabled: boolean; readonly requiredGroup: string };
  /** The Secret holding MySQL's root password (created by Pulumi or the cluster's secret tooling). */
  readonly mysqlSecret: { readonly name: string; readonly key: string };
  /** MySQL's data volume: its size and, when not the cluster's default, its StorageClass. */
  readonly mysqlStorage: { readonly size: string; readonly storageClassName?: string };
  /**
   * What the products app calls outside the cluster, and how it leaves (SCENARIOS.md E1, E4).
   * Nothing else of the mesh may leave: every namespace's Sidecar is REGISTRY_ONLY.
   */
  readonly egress: {
    /** The payment provider's API, which service-a calls over HTTPS. */
    readonly paymentsApiHost: string;
    /**
     * The egress gateway (a Helm release of Istio's `gateway` chart) the call goes through;
     * omitted, service-a's sidecar connects to the host itself.
     */
    readonly gateway?: { readonly release: string; readonly namespace: string };
  };
  /** Insecure exceptions accepted on purpose, with their reasons. */
  readonly acknowledgements: Acknowledgements;
}

const images: ImageConfig = {
  httpbin: 'docker.io/mccutchen/go-httpbin:v2.15.0',
  sleep: 'docker.io/curlimages/curl:8.11.1',
  serviceA: 'ghcr.io/zero-trust-mesh/service-a:1.0.0',
  serviceB: 'ghcr.io/zero-trust-mesh/service-b:1.0.0',
  serviceC: 'ghcr.io/zero-trust-mesh/service-c:1.0.0',
  mysql: 'docker.io/library/mysql:8.4.3',
};

const helmGateway = { install: 'helm', release: 'istio-ingressgateway', namespace: 'istio-system' } as const;
const mysqlSecret = { name: 'mysql-credentials', key: 'root-password' };

/** The environments of SCENARIOS.md. */
export const ENVIRONMENTS: Readonly<Record<string, EnvironmentConfig>> = {
  dev: {
    name: 'dev',
    stage: 'dev',
    trustDomain: 'cluster.local',
    mtls: MtlsMode.PERMISSIVE,
    dataplane: 'sidecar',
    issuer: { provider: 'istio-demo' },
    ingress: { host: 'products.dev.example.com', gateway: helmGateway },
    images,
    replicas: 1,
    demos: { enabled: true, requiredGroup: 'group1' },
    mysqlSecret,
    mysqlStorage: { size: '1Gi' },
    egress: { paymentsApiHost: 'api.sandbox.payments.example' },
    // The dev stage permits these anyway; naming them writes the reasons onto the objects, so
    // the analyzer (run by synth) reports them as acknowledged warnings instead of errors.
    acknowledgements: {
      nonStrictMtls: 'dev: PERMISSIVE mesh and the mtls-permissive/mtls-disable demos show what plaintext callers can do',
      demoIssuer: 'dev: Istio\'s public demo tokens let anyone try the JWT flows; no real users',
      openToAnyone: 'dev: the mtls-permissive and mtls-disable demos are open on purpose',
      plaintextIngress: 'dev: no certificate for the dev host; test traffic only',
    },
  },
  staging: {
    name: 'staging',
    stage: 'staging',
    trustDomain: 'cluster.local',
    mtls: MtlsMode.STRICT,
    // Staging runs Istio's ambient data plane: ztunnel, and waypoints where a grant needs L7.
    dataplane: 'ambient',
    issuer: { provider: 'auth0', domain: 'zero-trust-mesh-staging.eu.auth0.com', audiences: ['https://products.staging.example.com'] },
    ingress: { host: 'products.staging.example.com', tlsCredentialName: 'products-staging-tls', gateway: helmGateway },
    images,
    replicas: 2,
    demos: { enabled: false, requiredGroup: 'group1' },
    mysqlSecret,
    mysqlStorage: { size: '10Gi' },
    egress: { paymentsApiHost: 'api.sandbox.payments.example' },
    acknowledgements: {},
  },
  prod: {
    name: 'prod',
    stage: 'prod',
    trustDomain: 'cluster.local',
    mtls: MtlsMode.STRICT,
    dataplane: 'sidecar',
    issuer: { provider: 'okta', domain: 'zero-trust-mesh.okta.com', authorizationServerId: 'default', audiences: ['api://products'] },
    // prod's ingress is a Kubernetes Gateway API Gateway (its certificate Secret in `products`).
    ingress: { host: 'products.example.com', tlsCredentialName: 'products-tls', gateway: helmGateway, api: 'gateway-api' },
    images,
    replicas: 3,
    demos: { enabled: false, requiredGroup: 'group1' },
    mysqlSecret,
    mysqlStorage: { size: '50Gi' },
    // Prod's calls out leave through the egress gateway, which checks who calls; the products
    // pods' NetworkPolicy reaches the gateway, not the internet.
    egress: { paymentsApiHost: 'api.payments.example', gateway: { release: 'istio-egressgateway', namespace: 'istio-system' } },
    acknowledgements: {},
  },
};
