import { ZeroTrustConfigError } from './errors.js';

/** Istio's demo issuer. Its private key is public in istio/istio, so anyone can mint its tokens. */
export const ISTIO_DEMO_ISSUER = 'testing@secure.istio.io';

/**
 * Data form of an issuer, as environment config and Pulumi stack config carry it. Switching
 * identity provider is a change of this value alone.
 */
export type JwtIssuerConfig =
  | { readonly provider: 'istio-demo'; readonly jwksUri?: string }
  | { readonly provider: 'auth0'; readonly domain: string; readonly audiences: readonly string[] }
  | { readonly provider: 'okta'; readonly domain: string; readonly authorizationServerId?: string; readonly audiences: readonly string[] }
  | {
    readonly provider: 'oidc';
    readonly issuer: string;
    readonly jwksUri?: string;
    readonly jwks?: string;
    /** Required in config: a config cannot turn the audience check off (typed code can, with `JwtIssuer.oidc`). */
    readonly audiences: readonly string[];
  };

/** Props of an issuer of end-user tokens. */
export interface JwtIssuerProps {
  /** The exact `iss` claim, trailing slash included where the IdP writes one. */
  readonly issuer: string;
  /**
   * Where istiod fetches the signing keys.
   * @default - none: then `jwks` must be set
   */
  readonly jwksUri?: string;
  /**
   * The public signing keys, inline, as a JWKS JSON string.
   * @default - none: then `jwksUri` must be set
   */
  readonly jwks?: string;
  /**
   * Accepted `aud` values; a token must carry one of them.
   * @default - no audience check (Envoy skips it when the list is empty)
   */
  readonly audiences?: readonly string[];
}

/** The fields of each provider's config, and those it needs. */
const CONFIG_FIELDS: Record<JwtIssuerConfig['provider'], { readonly all: readonly string[]; readonly required: readonly string[] }> = {
  'istio-demo': { all: ['provider', 'jwksUri'], required: [] },
  auth0: { all: ['provider', 'domain', 'audiences'], required: ['domain', 'audiences'] },
  okta: { all: ['provider', 'domain', 'authorizationServerId', 'audiences'], required: ['domain', 'audiences'] },
  oidc: { all: ['provider', 'issuer', 'jwksUri', 'jwks', 'audiences'], required: ['issuer', 'audiences'] },
};

/** Fields of a JWK that only a private key has. */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

/**
 * Who signs end-user tokens, and how the mesh checks them. Factories know each IdP's exact
 * `iss` and JWKS location.
 */
export class JwtIssuer {
  /**
   * Istio's demo issuer `testing@secure.istio.io` with the JWKS of Istio's samples
   * (used by istio.io's JWT tasks). For dev only: its private key is public.
   */
  public static istioDemo(options: { jwksUri?: string } = {}): JwtIssuer {
    return new JwtIssuer({
      issuer: ISTIO_DEMO_ISSUER,
      // The demo tokens carry no `aud`, so setting audiences would reject them all
      // (istio:security/tools/jwt/samples/demo.jwt; istio.io, "JWTRule" reference: audiences).
      jwksUri: options.jwksUri ?? 'https://raw.githubusercontent.com/istio/istio/release-1.30/security/tools/jwt/samples/jwks.json',
    }, 'JwtIssuer.istioDemo');
  }

  /**
   * An Auth0 tenant or custom domain. Auth0 writes `iss` with a trailing slash:
   * `https://<domain>/`; keys are at `https://<domain>/.well-known/jwks.json`.
   */
  public static auth0(options: { domain: string; audiences: readonly string[] }): JwtIssuer {
    const domain = JwtIssuer.bareDomain(options.domain, 'JwtIssuer.auth0', 'domain');
    return new JwtIssuer({
      issuer: `https://${domain}/`,
      jwksUri: `https://${domain}/.well-known/jwks.json`,
      audiences: options.audiences,
    }, 'JwtIssuer.auth0');
  }

  /**
   * An Okta custom authorization server: `iss` is `https://<domain>/oauth2/<id>`, keys at
   * `.../v1/keys`. (Tokens of Okta's org server are meant for Okta alone.)
   */
  public static okta(options: { domain: string; authorizationServerId?: string; audiences: readonly string[] }): JwtIssuer {
    const domain = JwtIssuer.bareDomain(options.domain, 'JwtIssuer.okta', 'domain');
    const server = options.authorizationServerId ?? 'default';
    return new JwtIssuer({
      issuer: `https://${domain}/oauth2/${server}`,
      jwksUri: `https://${domain}/oauth2/${server}/v1/keys`,
      audiences: options.audiences,
    }, 'JwtIssuer.okta');
  }

  /** Any OIDC issuer, given its exact `iss` and either a JWKS URI or inline keys. */
  public static oidc(props: JwtIssuerProps): JwtIssuer {
    return new JwtIssuer(props, 'JwtIssuer.oidc');
  }

  /**
   * The issuer a config value describes. The value is checked as data, since it often comes
   * from a file or stack config rather than typed code: a known provider, only that provider's
   * fields (a misspelled `audience` is refused, not ignored), and `audiences` for every provider
   * but the demo one, so a config can never silently turn the audience check off.
   */
  public static fromConfig(config: JwtIssuerConfig): JwtIssuer {
    const self = 'JwtIssuer.fromConfig';
    if (typeof config !== 'object' || config === null || Array.isArray(config)) {
      throw new ZeroTrustConfigError(self, 'config', `${JSON.stringify(config)} is not an issuer object.`, 'give { provider: "auth0" | "okta" | "oidc" | "istio-demo", ... }.');
    }
    const provider = (config as { provider?: unknown }).provider;
    if (typeof provider !== 'string' || !Object.hasOwn(CONFIG_FIELDS, provider)) {
      throw new ZeroTrustConfigError(self, 'provider',
        `"${String(provider)}" is not a known identity provider.`,
        `use one of ${Object.keys(CONFIG_FIELDS).join(', ')}.`);
    }
    const fields = CONFIG_FIELDS[provider as JwtIssuerConfig['provider']];
    for (const [key, value] of Object.entries(config)) {
      if (!fields.all.includes(key)) {
        const close = fields.all.find((f) => f.toLowerCase().startsWith(key.toLowerCase()) || key.toLowerCase().startsWith(f.toLowerCase()));
        throw new ZeroTrustConfigError(self, key, `is not a field of a "${provider}" issuer${close ? ` (did you mean "${close}"?)` : ''}.`,
          `use only ${fields.all.join(', ')}.`);
      }
      if (key === 'audiences') continue;
      if (typeof value !== 'string' || value === '') {
        throw new ZeroTrustConfigError(self, key, `${JSON.stringify(value)} is not a non-empty string.`, `give the ${key} as a string.`);
      }
    }
    for (const key of fields.required) {
      if ((config as Record<string, unknown>)[key] === undefined) {
        throw new ZeroTrustConfigError(self, key,
          key === 'audiences'
            ? 'is missing, which would turn the audience check off: any token of the issuer, minted for any application, would be accepted.'
            : 'is missing.',
          key === 'audiences' ? 'list the `aud` values tokens for this mesh carry, e.g. audiences: ["api://products"].' : `give the ${key}.`);
      }
    }
    const audiences = (config as { audiences?: unknown }).audiences;
    if (audiences !== undefined && (!Array.isArray(audiences) || audiences.length === 0 || !audiences.every((a) => typeof a === 'string' && a.trim() !== ''))) {
      throw new ZeroTrustConfigError(self, 'audiences', `${JSON.stringify(audiences)} is not a non-empty list of strings.`, 'list the `aud` values tokens carry, e.g. ["api://products"].');
    }
    switch (config.provider) {
      case 'istio-demo': return JwtIssuer.istioDemo(config.jwksUri ? { jwksUri: config.jwksUri } : {});
      case 'auth0': return JwtIssuer.auth0(config);
      case 'okta': return JwtIssuer.okta(config);
      case 'oidc': return JwtIssuer.oidc(config);
    }
  }

  private static bareDomain(domain: string, construct: string, field: string): string {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/.test(domain)) {
      const bare = domain.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
      throw new ZeroTrustConfigError(construct, field,
        `"${domain}" is not a bare domain name.`,
        `give the domain alone, without scheme or path: "${bare}".`);
    }
    return domain;
  }

  /** The exact `iss` claim. */
  public readonly issuer: string;
  /** Where istiod fetches the keys, if not inline. */
  public readonly jwksUri?: string;
  /** The inline public keys, if not fetched. */
  public readonly jwks?: string;
  /** Accepted audiences; empty means no audience check. */
  public readonly audiences: readonly string[];

  private constructor(props: JwtIssuerProps, construct: string) {
    if (!props.issuer || props.issuer.trim() !== props.issuer) {
      throw new ZeroTrustConfigError(construct, 'issuer',
        `"${props.issuer ?? ''}" is empty or has surrounding spaces; Istio compares \`iss\` exactly.`,
        'copy the issuer exactly as your IdP writes it in the token\'s `iss` claim.');
    }
    if ((props.jwksUri === undefined) === (props.jwks === undefined)) {
      throw new ZeroTrustConfigError(construct, 'jwksUri / jwks',
        'exactly one of jwksUri and jwks must be set (Istio refuses both; with neither it would depend on OIDC discovery at run time).',
        'set jwksUri to the IdP\'s JWKS endpoint, or jwks to its public keys.');
    }
    if (props.jwksUri !== undefined && !/^https?:\/\/[^/\s]+/.test(props.jwksUri)) {
      throw new ZeroTrustConfigError(construct, 'jwksUri',
        `"${props.jwksUri}" is not an http(s) URL; Istio accepts no other scheme.`,
        'use the https URL of the IdP\'s JWKS endpoint.');
    }
    if (props.jwks !== undefined) JwtIssuer.checkPublicJwks(props.jwks, construct);
    for (const [i, audience] of (props.audiences ?? []).entries()) {
      if (!audience) {
        throw new ZeroTrustConfigError(construct, `audiences[${i}]`, 'an audience is empty; Istio rejects empty strings.', 'remove it or name the API\'s audience.');
      }
    }
    this.issuer = props.issuer;
    if (props.jwksUri !== undefined) this.jwksUri = props.jwksUri;
    if (props.jwks !== undefined) this.jwks = props.jwks;
    this.audiences = [...(props.audiences ?? [])];
  }

  private static checkPublicJwks(jwks: string, construct: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(jwks);
    } catch {
      throw new ZeroTrustConfigError(construct, 'jwks', 'is not valid JSON.', 'paste the JWKS document ({"keys": [...]}) as a JSON string.');
    }
    const keys = (parsed as { keys?: unknown }).keys;
    if (!Array.isArray(keys) || keys.length === 0) {
      throw new ZeroTrustConfigError(construct, 'jwks', 'has no "keys" array.', 'give a JWKS document: {"keys": [{"kty": "RSA", ...}]}.');
    }
    keys.forEach((key, i) => {
      const secret = PRIVATE_JWK_MEMBERS.filter((m) => typeof key === 'object' && key !== null && m in key);
      if (secret.length > 0) {
        throw new ZeroTrustConfigError(construct, `jwks.keys[${i}]`,
          `holds private key material (${secret.join(', ')}); it would be published in the manifests.`,
          'give the public keys only (drop d, p, q, dp, dq, qi; symmetric "oct" keys cannot be published at all).');
      }
    });
  }

  /** True for Istio's demo issuer, whose tokens anyone can mint. */
  public get isDemo(): boolean {
    return this.issuer === ISTIO_DEMO_ISSUER;
  }

  /**
   * URLs that must be https outside dev. OIDC issuers are https URLs; the demo issuer is not a
   * URL and has a rule of its own (`demoIssuer`).
   */
  public get urls(): { field: string; value: string }[] {
    const urls = this.isDemo ? [] : [{ field: 'issuer', value: this.issuer }];
    if (this.jwksUri) urls.push({ field: 'jwksUri', value: this.jwksUri });
    return urls;
  }

  /**
   * The `requestPrincipals` value that matches any subject of this issuer: `<iss>/*`. Istio splits
   * at the last `/`, so Auth0's `https://t.auth0.com/` gives `https://t.auth0.com//*`
   * (istio:pilot/pkg/security/authz/model/generator.go requestPrincipalGenerator).
   */
  public get anySubject(): string {
    return `${this.issuer}/*`;
  }
}
