import type { IValidation } from 'constructs';
import { RequestAuthenticationSpec } from '../imports/security.istio.io.js';
import { ZeroTrustConfigError } from './errors.js';
import { JwtIssuer } from './jwt-issuer.js';
import { claimCondition } from './claims.js';
import { EndUserCheck, MeshWorkload, MeshWorkloadProps } from './mesh-workload.js';
import { acknowledgementAnnotation } from './security-posture.js';
import { ZeroTrustNamespace } from './zero-trust-namespace.js';
import { ManifestObject } from './manifest-object.js';
import { SecurityManifest } from './security-manifest.js';

/** Props of a service whose callers must also present an end user's token. */
export interface JwtProtectedServiceProps extends MeshWorkloadProps {
  /** The issuers whose tokens are accepted (one or more). */
  readonly issuers: readonly JwtIssuer[];
  /**
   * Leave the validated token in the request, so the app can pass it to the next hop, which
   * checks it again. Istio strips it by default (istio.io, "JWTRule" reference:
   * forwardOriginalToken, https://istio.io/latest/docs/reference/config/security/jwt/).
   * @default false
   */
  readonly forwardOriginalToken?: boolean;
  /**
   * Claims the token must carry, each matching any of the listed values (a list claim such as
   * `groups` matches when any element does), e.g. `{ groups: ['group1'] }`.
   * @default - none: any valid token of the issuers
   */
  readonly requiredClaims?: Readonly<Record<string, readonly string[]>>;
}

/**
 * A `MeshWorkload` whose callers must present, besides their own identity, a valid end-user JWT
 * from one of its issuers: a RequestAuthentication validates the token at the sidecar, or in
 * ambient mode at the Service's waypoint (a bad token gets 401), and every grant requires a
 * request principal of those issuers (no token gets 403).
 */
export class JwtProtectedService extends MeshWorkload {
  public readonly issuers: readonly JwtIssuer[];
  public readonly forwardOriginalToken: boolean;
  private readonly check: EndUserCheck;

  public constructor(scope: ZeroTrustNamespace, name: string, props: JwtProtectedServiceProps) {
    super(scope, name, props);
    if (!props.issuers || props.issuers.length === 0) {
      throw new ZeroTrustConfigError(this.self, 'issuers', 'no issuer is given, so no token could ever be valid.', 'pass the environment\'s issuer, e.g. issuers: [JwtIssuer.fromConfig(env.issuer)].');
    }
    if (!this.ports.some((p) => p.isHttp)) {
      throw new ZeroTrustConfigError(this.self, 'ports', 'has no HTTP port, and tokens are only checked on HTTP ports.', 'declare an HTTP port (ServicePort.http), or use a plain MeshWorkload for TCP.');
    }
    const seen = new Set<string>();
    props.issuers.forEach((issuer, i) => {
      if (seen.has(issuer.issuer)) {
        throw new ZeroTrustConfigError(this.self, `issuers[${i}]`, `issuer "${issuer.issuer}" is listed twice.`, 'list each issuer once.');
      }
      seen.add(issuer.issuer);
    });
    this.issuers = [...props.issuers];
    this.forwardOriginalToken = props.forwardOriginalToken ?? false;

    const when = Object.entries(props.requiredClaims ?? {}).map(([claim, values]) => claimCondition(claim, values, this.self, `requiredClaims.${claim}`));
    this.check = { requestPrincipals: this.issuers.map((i) => i.anySubject), when };

    // Checked once every grant is in: a token-checking service none of whose grants requires the
    // token only rejects invalid tokens, and requests without one pass (the analyzer's ZT301).
    this.node.addValidation(new SomeGrantRequiresToken(this));

    const annotations = this.checkIssuers();
    // In ambient mode ztunnel never looks at tokens: the check runs at the Service's waypoint, so
    // the Service is bound to one from the start (docs/ambient.md).
    if (this.isAmbient) this.requireWaypoint('issuers', 'it checks end-user tokens');
    // The spec is made at each render, fresh (see BodyProducer), from the checked issuers. At a
    // waypoint a RequestAuthentication attaches like an AuthorizationPolicy, by targetRefs to the
    // Service (istio:pilot/pkg/model/policyattachment.go; https://istio.io/latest/docs/ambient/usage/waypoint/).
    new ManifestObject(this, 'jwt', SecurityManifest.requestAuthentication({
      metadata: { name, namespace: this.namespace.name, ...(Object.keys(annotations).length ? { annotations } : {}) },
    }), () => ({
      spec: {
        ...this.policyAttachment(),
        jwtRules: this.issuers.map((issuer) => ({
          issuer: issuer.issuer,
          ...(issuer.jwksUri ? { jwksUri: issuer.jwksUri } : {}),
          ...(issuer.jwks ? { jwks: issuer.jwks } : {}),
          ...(issuer.audiences.length ? { audiences: [...issuer.audiences] } : {}),
          ...(this.forwardOriginalToken ? { forwardOriginalToken: true } : {}),
        })),
      } satisfies RequestAuthenticationSpec,
    }));
  }

  protected override endUserCheck(): EndUserCheck {
    return this.check;
  }

  /** @internal */
  public checkSomeGrantRequiresToken(): string[] {
    if (this.grants.length > 0 && this.grants.every((g) => g.endUser === 'none')) {
      throw new ZeroTrustConfigError(this.self, 'allowFrom.endUser',
        'every grant says endUser: "none", so the RequestAuthentication only rejects invalid tokens and a request without a token passes (istio.io, "Authorization with JWT": a RequestAuthentication alone does not require a token).',
        'require the token on the grants that carry a user\'s request (endUser "required", the default), or make the service a plain MeshWorkload.');
    }
    return [];
  }

  protected override strippedIssuers(): readonly string[] {
    // Called only once construction is done (by a grant), when the issuers are set.
    return this.forwardOriginalToken ? [] : this.issuers.map((i) => i.issuer);
  }

  /** The environment's guard rails for issuers; returns the acknowledgements to record. */
  private checkIssuers(): Record<string, string> {
    const posture = this.namespace.mesh.posture;
    const annotations: Record<string, string> = {};
    this.issuers.forEach((issuer, i) => {
      if (issuer.isDemo) {
        const ack = posture.permit('demoIssuer', {
          construct: this.self, field: `issuers[${i}]`,
          problem: `Istio's demo issuer "${issuer.issuer}" is trusted, and its private key is public: anyone can mint valid tokens.`,
          fix: 'use the environment\'s real identity provider (JwtIssuer.auth0, .okta, .oidc).',
        });
        if (ack) annotations[acknowledgementAnnotation('demoIssuer')] = ack;
      }
      for (const url of issuer.urls) {
        if (url.value.startsWith('https://')) continue;
        const ack = posture.permit('insecureIssuer', {
          construct: this.self, field: `issuers[${i}].${url.field}`,
          problem: `"${url.value}" is not an https URL, so the keys or issuer identity could be spoofed on the way.`,
          fix: 'use the identity provider\'s https issuer and JWKS URLs.',
        });
        if (ack) annotations[acknowledgementAnnotation('insecureIssuer')] = ack;
      }
    });
    return annotations;
  }
}

/** The validation that a token-checking service has a grant requiring the token (a class: see bench/). */
class SomeGrantRequiresToken implements IValidation {
  public constructor(private readonly service: JwtProtectedService) {}

  public validate(): string[] {
    return this.service.checkSomeGrantRequiresToken();
  }
}
