import { ZeroTrustConfigError } from './errors.js';

/**
 * How hardened an environment must be. The stage, not the environment's name, decides which
 * insecure combinations are refused, so a new environment inherits the right guard rails.
 */
export type Stage = 'dev' | 'staging' | 'prod';

/**
 * Insecure exceptions an environment accepts on purpose. Each value is the reason, in words a
 * reviewer can judge; it is written as an annotation on every object the exception affects.
 * An exception that is not acknowledged is refused where its stage forbids it.
 */
export interface Acknowledgements {
  /**
   * Allow a mesh, namespace or workload mTLS mode weaker than STRICT in a prod stage.
   * @default - refused in prod
   */
  readonly nonStrictMtls?: string;
  /**
   * Allow an issuer or JWKS URI that is not https outside the dev stage.
   * @default - refused outside dev
   */
  readonly insecureIssuer?: string;
  /**
   * Allow Istio's demo issuer (`testing@secure.istio.io`, whose private key is public) outside dev.
   * @default - refused outside dev
   */
  readonly demoIssuer?: string;
  /**
   * Allow a workload to accept callers with neither an mTLS identity nor an end-user token in prod.
   * @default - refused in prod
   */
  readonly openToAnyone?: string;
  /**
   * Allow an ingress that serves plain HTTP (end-user tokens in cleartext) outside dev.
   * @default - refused outside dev
   */
  readonly plaintextIngress?: string;
  /**
   * Allow outbound traffic policy ALLOW_ANY (sidecars forward requests to unknown hosts) in prod.
   * @default - refused in prod
   */
  readonly allowAnyEgress?: string;
}

/** One kind of insecure exception. */
export type SecurityException = keyof Acknowledgements;

/** The stages in which each exception is refused unless acknowledged. */
const REFUSED_IN: Record<SecurityException, readonly Stage[]> = {
  nonStrictMtls: ['prod'],
  insecureIssuer: ['staging', 'prod'],
  demoIssuer: ['staging', 'prod'],
  openToAnyone: ['prod'],
  plaintextIngress: ['staging', 'prod'],
  allowAnyEgress: ['prod'],
};

/** The annotation that records an acknowledged exception on the objects it affects. */
export function acknowledgementAnnotation(exception: SecurityException): string {
  return `zero-trust-mesh.io/acknowledged-${exception.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** What a construct reports when it is about to emit an insecure combination. */
export interface ExceptionReport {
  readonly construct: string;
  readonly field: string;
  readonly problem: string;
  /** The secure alternative; the acknowledgement is offered after it. */
  readonly fix: string;
}

/**
 * The guard rails of one environment: its stage and what it acknowledges.
 */
export class SecurityPosture {
  public constructor(
    public readonly environment: string,
    public readonly stage: Stage,
    public readonly acknowledgements: Acknowledgements = {},
  ) {
    for (const [key, reason] of Object.entries(acknowledgements)) {
      if (!Object.hasOwn(REFUSED_IN, key)) {
        throw new ZeroTrustConfigError(`Mesh "${environment}"`, `acknowledgements.${key}`,
          `"${key}" is not a known exception.`,
          `use one of ${Object.keys(REFUSED_IN).join(', ')}.`);
      }
      if (typeof reason !== 'string' || reason.trim() === '') {
        throw new ZeroTrustConfigError(`Mesh "${environment}"`, `acknowledgements.${key}`,
          'an acknowledgement needs a reason.',
          'write why the exception is acceptable, e.g. "legacy batch job, migration tracked in OPS-123".');
      }
    }
  }

  /**
   * Passes an insecure combination only where this stage allows it or the environment
   * acknowledges it, and returns the reason to record as an annotation on the affected object
   * (which the analyzer, `zt-mesh analyze`, reads: an acknowledged risk is a warning, an
   * unacknowledged one an error). The reason is the environment's acknowledgement; where the
   * stage allows the exception and none is given, it says so, so what a stage accepts never
   * fails the analyzer gate. Throws where the stage refuses it and no reason is given.
   */
  public permit(exception: SecurityException, report: ExceptionReport): string {
    const reason = this.acknowledgements[exception];
    if (reason !== undefined) return reason;
    if (!REFUSED_IN[exception].includes(this.stage)) return `permitted by stage ${this.stage} (no reason given in acknowledgements.${exception})`;
    throw new ZeroTrustConfigError(report.construct, report.field,
      `${report.problem} Environment "${this.environment}" (stage ${this.stage}) refuses this.`,
      `${report.fix} If it is truly intended, acknowledge it in the environment config: acknowledgements.${exception}: "<reason>".`);
  }
}
