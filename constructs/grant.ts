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
 * What grants and denials have in common: the callee, the caller, what requests they cover, the
 * AuthorizationPolicy rules that say so, and a one-line summary for reviewers.
 */
export abstract class AccessRule {
  protected constructor(
    /** The callee, `namespace/workload`. */
    public readonly callee: string,
    /** The caller as the policy recognises it. */
    public readonly caller: CallerIdentity,
    /** The container ports covered; empty means every port. */
    public readonly targetPorts: readonly number[],
    public readonly methods: readonly string[],
    public readonly paths: readonly string[],
    /** The AuthorizationPolicy rules this contributes. */
    public readonly rules: readonly AuthorizationPolicySpecRules[],
    public readonly reason?: string,
  ) {}

  /** One line for reviewers: the caller, the requests covered, and why. */
  public get summary(): string {
    const what = [
      this.methods.join(','), this.paths.join(','), this.targetPorts.length ? `port ${this.targetPorts.join(',')}` : '', ...this.conditions(),
    ].filter(Boolean).join(' ');
    return `${this.verb} ${this.caller.description}${what ? `: ${what}` : ''}${this.reason ? ` (${this.reason})` : ''}`;
  }

  /** How the summary starts: `from` for a grant, `deny` for a denial. */
  protected abstract get verb(): string;

  /** What else the request must carry, for the summary. */
  protected conditions(): string[] {
    return [];
  }
}

/**
 * The result of `allowFrom`: who may call whom, how, and the policy rules that say so.
 * Inspectable in tests, like the AWS CDK's `Grant`.
 */
export class Grant extends AccessRule {
  public constructor(
    callee: string,
    caller: CallerIdentity,
    targetPorts: readonly number[],
    methods: readonly string[],
    paths: readonly string[],
    public readonly endUser: EndUserRequirement,
    rules: readonly AuthorizationPolicySpecRules[],
    reason?: string,
    /** Claims the token must carry for this grant (besides the service's requiredClaims). */
    public readonly claims: Readonly<Record<string, readonly string[]>> = {},
  ) {
    super(callee, caller, targetPorts, methods, paths, rules, reason);
  }

  protected get verb(): string {
    return 'from';
  }

  protected override conditions(): string[] {
    return [
      this.endUser === 'required' ? 'with end-user token' : this.endUser === 'either' ? 'or any end-user token' : '',
      ...Object.entries(this.claims).map(([claim, values]) => `${claim} in [${values.join(',')}]`),
    ];
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
export class Denial extends AccessRule {
  public constructor(
    callee: string,
    caller: CallerIdentity,
    targetPorts: readonly number[],
    methods: readonly string[],
    paths: readonly string[],
    rules: readonly AuthorizationPolicySpecRules[],
    reason?: string,
  ) {
    super(callee, caller, targetPorts, methods, paths, rules, reason);
  }

  protected get verb(): string {
    return 'deny';
  }
}
