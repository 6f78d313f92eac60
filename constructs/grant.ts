import type { AuthorizationPolicySpecRules } from '../imports/security.istio.io.js';
import type { CallerIdentity } from './caller.js';

/**
 * What a grant asks of the end user's token, on a service that checks one:
 * - `required`: the caller's identity AND a valid token, in one rule (the zero-trust default);
 * - `either`: the caller's identity, OR any valid token from the service's issuers (two rules);
 * - `none`: the caller's identity alone (e.g. a TCP port, or a health checker without a user).
 */
export type EndUserRequirement = 'required' | 'either' | 'none';

/** Options of `allowFrom`: what the caller may do. */
export interface GrantOptions {
  /**
   * Service ports of the callee that the grant opens. The policy is written with their
   * container ports, which is what Istio matches: the connection's destination port at the
   * sidecar (istio.io, "Authorization Policy" reference: Operation.ports; Envoy RBAC
   * `destination_port`).
   * @default - every port of the callee
   */
  readonly ports?: readonly number[];
  /**
   * HTTP methods, upper case (Istio matches them exactly). HTTP ports only.
   * @default - any method
   */
  readonly methods?: readonly string[];
  /**
   * URL paths: exact (`/products`), prefix (`/products/*`), suffix (`*.json`). HTTP ports only;
   * the query string is never part of the path.
   * @default - any path
   */
  readonly paths?: readonly string[];
  /**
   * Claims the end user's token must carry for this grant, each matching any of the listed values
   * (a list claim such as `groups` matches when any element does), e.g. `{ groups: ['admin'] }`
   * on a grant of DELETE. ANDed with the service's `requiredClaims`. Needs `endUser: 'required'`.
   * @default - none beyond the service's requiredClaims
   */
  readonly claims?: Readonly<Record<string, readonly string[]>>;
  /**
   * What the caller must present besides its own identity.
   * @default 'required' on a JwtProtectedService; 'none' (the only choice) on other workloads
   */
  readonly endUser?: EndUserRequirement;
  /**
   * Why the caller needs this access, recorded on the AuthorizationPolicy for reviewers.
   * @default - the caller's description alone
   */
  readonly reason?: string;
}

/**
 * The result of `allowFrom`: who may call whom, how, and the policy rules that say so.
 * Inspectable in tests, like the AWS CDK's `Grant`.
 */
export class Grant {
  public constructor(
    /** The callee, `namespace/workload`. */
    public readonly callee: string,
    /** The caller as the policy recognises it. */
    public readonly caller: CallerIdentity,
    /** The container ports the grant opens; empty means every port. */
    public readonly targetPorts: readonly number[],
    public readonly methods: readonly string[],
    public readonly paths: readonly string[],
    public readonly endUser: EndUserRequirement,
    /** The AuthorizationPolicy rules this grant contributes. */
    public readonly rules: readonly AuthorizationPolicySpecRules[],
    public readonly reason?: string,
    /** Claims the token must carry for this grant (besides the service's requiredClaims). */
    public readonly claims: Readonly<Record<string, readonly string[]>> = {},
  ) {}

  /** One line for reviewers: caller, what it may do, and why. */
  public get summary(): string {
    const what = [
      this.methods.length ? this.methods.join(',') : '',
      this.paths.length ? this.paths.join(',') : '',
      this.targetPorts.length ? `port ${this.targetPorts.join(',')}` : '',
      this.endUser === 'required' ? 'with end-user token' : this.endUser === 'either' ? 'or any end-user token' : '',
      ...Object.entries(this.claims).map(([claim, values]) => `${claim} in [${values.join(',')}]`),
    ].filter(Boolean).join(' ');
    return `from ${this.caller.description}${what ? `: ${what}` : ''}${this.reason ? ` (${this.reason})` : ''}`;
  }
}

/** Options of `denyFrom`: which requests of the caller are refused. */
export interface DenyOptions {
  /**
   * Service ports of the callee the denial covers.
   * @default - every port (HTTP ports only when methods or paths are given)
   */
  readonly ports?: readonly number[];
  /**
   * HTTP methods denied, upper case. HTTP ports only.
   * @default - any method
   */
  readonly methods?: readonly string[];
  /**
   * URL paths denied: exact, `prefix/*` or `*suffix`. HTTP ports only.
   * @default - any path
   */
  readonly paths?: readonly string[];
  /**
   * Why, recorded on the DENY AuthorizationPolicy for reviewers.
   * @default - the caller's description alone
   */
  readonly reason?: string;
}

/**
 * The result of `denyFrom`: a DENY rule, which Istio evaluates before every ALLOW rule, so no
 * grant can open what it closes (istio.io, "Authorization Policy" reference: DENY policies are
 * evaluated first).
 */
export class Denial {
  public constructor(
    /** The callee, `namespace/workload`. */
    public readonly callee: string,
    /** The caller the rule refuses. */
    public readonly caller: CallerIdentity,
    /** The container ports it covers; empty means every port. */
    public readonly targetPorts: readonly number[],
    public readonly methods: readonly string[],
    public readonly paths: readonly string[],
    /** The DENY policy rules this denial contributes (one). */
    public readonly rules: readonly AuthorizationPolicySpecRules[],
    public readonly reason?: string,
  ) {}

  /** One line for reviewers: who is refused what, and why. */
  public get summary(): string {
    const what = [
      this.methods.join(','), this.paths.join(','), this.targetPorts.length ? `port ${this.targetPorts.join(',')}` : '',
    ].filter(Boolean).join(' ');
    return `deny ${this.caller.description}${what ? `: ${what}` : ''}${this.reason ? ` (${this.reason})` : ''}`;
  }
}
