// RequestAuthentication (JWT) checks. Sources: api:security/v1beta1/request_authentication.proto
// (https://istio.io/latest/docs/reference/config/security/request_authentication/);
// istio:pilot/pkg/security/authn/policy_applier.go; istio:pkg/config/validation/validation.go
// validateJwtRule; istio:pilot/pkg/security/authz/model/generator.go requestPrincipalGenerator;
// https://istio.io/latest/docs/tasks/security/authorization/authz-jwt/.
import { DEMO_ISSUER, splitRequestPrincipal } from '../istio.js';
import type { MeshModel, MeshObject, Workload } from '../model.js';
import { actionOf, ruleNeedsPeerIdentity, ruleNeedsToken, rulesOf, values, whenValues } from '../policy.js';
import { arr, listing, quoted, rec, recs, str, strs } from '../values.js';
import { selectorProblems } from './authorization.js';
import { Check, issue, ref } from './check.js';

const requestAuths = (m: MeshModel) => m.ofKind('RequestAuthentication');
const jwtRules = (ra: MeshObject) => recs(ra.spec.jwtRules);

/** True when some enforced policy of the workload demands a request principal (https://istio.io/latest/docs/tasks/security/authorization/authz-jwt/). */
function requiresToken(m: MeshModel, w: Workload): boolean {
  return m.authorizationPoliciesFor(w).some((ap) => {
    const action = actionOf(ap);
    const rules = rulesOf(ap);
    if (action === 'ALLOW') return rules.some(ruleNeedsToken);
    if (action === 'DENY') {
      return rules.some((r) => values(r.sources, 'notRequestPrincipals').length > 0
        || whenValues(r, (k) => k.startsWith('request.auth.')).some((c) => c.notValues.length > 0));
    }
    return false;
  });
}

/**
 * Whether the ALLOW policies that apply leave no way in: there is at least one, and none has a
 * rule (an allow-nothing policy). Istio then denies every request, with or without a token
 * (istio.io, Authorization Policy reference: "If there are any ALLOW policies for the workload,
 * allow the request if any of the ALLOW policies match the request"; a policy without rules
 * matches nothing).
 */
function admitsNothing(m: MeshModel, w: Workload): boolean {
  const allows = m.authorizationPoliciesFor(w).filter((ap) => actionOf(ap) === 'ALLOW');
  return allows.length > 0 && allows.every((ap) => rulesOf(ap).length === 0);
}

/** The issuers the RequestAuthentications of a workload accept. */
function issuersFor(m: MeshModel, w: Workload): string[] {
  return m.requestAuthenticationsFor(w).flatMap((ra) => jwtRules(ra).flatMap((r) => (str(r.issuer) ? [str(r.issuer)!] : [])));
}

export const JWT_CHECKS: readonly Check[] = [
  {
    code: 'ZT301', severity: 'error', area: 'jwt', title: 'RequestAuthentication without a policy that requires a token',
    *run(m) {
      for (const ra of requestAuths(m)) {
        const open = m.selectedWorkloads(ra).filter((w) => w.sidecar !== false && !requiresToken(m, w) && !admitsNothing(m, w));
        if (open.length === 0) continue;
        yield issue(ra, `${ref(ra)} validates tokens on ${listing(open.map((w) => `${w.namespace}/${w.name}`))}, but no AuthorizationPolicy there requires one: a request without a token passes (only an invalid token is rejected).`,
          'add an ALLOW rule with from.source.requestPrincipals ["<issuer>/*"] (together with the caller\'s principals in the same source), or a DENY rule with notRequestPrincipals ["*"].');
      }
    },
  },
  {
    code: 'ZT302', severity: 'warning', area: 'jwt', title: 'Identity-only rule beside token rules lets tokenless callers through',
    *run(m) {
      for (const w of m.workloads) {
        if (w.sidecar === false || m.requestAuthenticationsFor(w).length === 0) continue;
        const aps = m.authorizationPoliciesFor(w).filter((ap) => actionOf(ap) === 'ALLOW');
        if (!aps.some((ap) => rulesOf(ap).some(ruleNeedsToken))) continue;
        for (const ap of aps) for (const rule of rulesOf(ap)) {
          if (ruleNeedsToken(rule) || !ruleNeedsPeerIdentity(rule)) continue;
          yield issue(ap, `${ref(ap)} rules[${rule.index}] admits callers of ${w.namespace}/${w.name} by identity alone, while other rules there require an end-user token; rules are ORed, so those callers get through without a token.`,
            'put the identity and the token in one source (principals and requestPrincipals together), or add a DENY rule with notRequestPrincipals ["*"].');
        }
      }
    },
  },
  {
    code: 'ZT303', severity: 'error', area: 'jwt', istio: ['IST0106'], title: 'JWT rule the webhook rejects',
    *run(m) {
      for (const ra of requestAuths(m)) {
        const problems = [...selectorProblems(ra)];
        if (ra.spec.jwtRules !== undefined && !Array.isArray(ra.spec.jwtRules)) problems.push('jwtRules is not a list');
        arr(ra.spec.jwtRules).forEach((raw, i) => {
          const r = rec(raw);
          const at = `jwtRules[${i}]`;
          if (!r) { problems.push(`${at} is empty or not a map`); return; }
          if (r.issuer === '' ) problems.push(`${at}.issuer is empty`);
          if (!str(r.issuer) && !str(r.jwksUri)) problems.push(`${at} has neither issuer nor jwksUri`);
          if (r.jwks !== undefined && r.jwksUri !== undefined) problems.push(`${at} sets both jwks and jwksUri; only one may be set`);
          const uri = str(r.jwksUri);
          if (uri !== undefined && !/^https?:\/\/[^/]+/i.test(uri)) problems.push(`${at}.jwksUri "${uri}" is not an http(s) URL`);
          if (uri !== undefined && uri.length > 2048) problems.push(`${at}.jwksUri is longer than 2048 characters`);
          if (arr(r.audiences).some((a) => a === '' || typeof a !== 'string')) problems.push(`${at}.audiences contains an empty value`);
          if (recs(r.fromHeaders).some((h) => !str(h.name))) problems.push(`${at}.fromHeaders has an entry without name`);
          if (arr(r.fromParams).some((p) => p === '')) problems.push(`${at}.fromParams contains an empty name`);
          for (const h of recs(r.outputClaimToHeaders)) {
            if (!/^[-_A-Za-z0-9]+$/.test(str(h.header) ?? '')) problems.push(`${at}.outputClaimToHeaders header "${str(h.header) ?? ''}" is not a valid header name`);
            if (!str(h.claim)) problems.push(`${at}.outputClaimToHeaders has an entry without claim`);
          }
          const jwks = str(r.jwks);
          if (jwks !== undefined) {
            try { if (!Array.isArray(rec(JSON.parse(jwks))?.keys)) problems.push(`${at}.jwks is not a JSON Web Key Set (no "keys" list)`); } catch { problems.push(`${at}.jwks is not valid JSON`); }
          }
        });
        for (const p of problems) {
          yield issue(ra, `${ref(ra)}: ${p}. The API server (or istiod) rejects it, so no token is validated.`,
            'correct it as the RequestAuthentication reference describes; `istioctl validate -f` shows the same error.');
        }
      }
    },
  },
  {
    code: 'ZT304', severity: 'error', area: 'jwt', title: 'Istio\'s demo issuer is trusted',
    acknowledgement: 'demo-issuer',
    *run(m) {
      for (const ra of requestAuths(m)) {
        if (!jwtRules(ra).some((r) => str(r.issuer) === DEMO_ISSUER)) continue;
        yield issue(ra, `${ref(ra)} trusts Istio's demo issuer "${DEMO_ISSUER}", whose private key is published with Istio: anyone can mint a valid token with any claims.`,
          'trust your identity provider\'s issuer; for a demo environment, acknowledge it with the annotation zero-trust-mesh.io/acknowledged-demo-issuer: "<reason>".');
      }
    },
  },
  {
    code: 'ZT305', severity: 'warning', area: 'jwt', title: 'Audiences with the demo issuer',
    *run(m) {
      for (const ra of requestAuths(m)) for (const r of jwtRules(ra)) {
        if (str(r.issuer) !== DEMO_ISSUER || strs(r.audiences).length === 0) continue;
        yield issue(ra, `${ref(ra)} requires audiences ${quoted(strs(r.audiences))} from the demo issuer, but Istio's demo tokens carry no "aud" claim: every demo token is rejected with 403.`,
          'remove audiences for the demo issuer, or use an identity provider that issues tokens for your audience.');
      }
    },
  },
  {
    code: 'ZT306', severity: 'error', area: 'jwt', title: 'Issuer or JWKS URI over plain http',
    acknowledgement: 'insecure-issuer',
    *run(m) {
      for (const ra of requestAuths(m)) for (const [i, r] of jwtRules(ra).entries()) {
        const insecure = (['issuer', 'jwksUri'] as const).filter((f) => /^http:\/\//i.test(str(r[f]) ?? ''));
        if (insecure.length === 0) continue;
        yield issue(ra, `${ref(ra)} jwtRules[${i}]: ${listing(insecure.map((f) => `${f} "${str(r[f])}"`))} ${insecure.length > 1 ? 'are' : 'is'} plain http, so the signing keys (or discovery document) can be replaced on the way and forged tokens accepted.`,
          'use the identity provider\'s https URLs; if an in-cluster http endpoint is unavoidable, acknowledge it with the annotation zero-trust-mesh.io/acknowledged-insecure-issuer: "<reason>".');
      }
    },
  },
  {
    code: 'ZT307', severity: 'warning', area: 'jwt', title: '`presence` has no effect',
    *run(m) {
      for (const ra of requestAuths(m)) for (const [i, r] of jwtRules(ra).entries()) {
        if (r.presence === undefined) continue;
        yield issue(ra, `${ref(ra)} jwtRules[${i}] sets presence: ${String(r.presence)}, which istiod never reads: a request without a token still passes the JWT stage.`,
          'remove presence and require the token with an AuthorizationPolicy (requestPrincipals ["<issuer>/*"]).');
      }
    },
  },
  {
    code: 'ZT308', severity: 'error', area: 'jwt', title: 'Request principal of an issuer the workload does not accept',
    *run(m) {
      for (const ap of m.ofKind('AuthorizationPolicy')) for (const rule of rulesOf(ap)) {
        const principals = [...values(rule.sources, 'requestPrincipals'),
          ...whenValues(rule, (k) => k === 'request.auth.principal').flatMap((w) => w.values)];
        for (const p of new Set(principals)) {
          const split = splitRequestPrincipal(p);
          if (!split || split.issuer.includes('*') || split.issuer === '') continue;
          for (const w of m.selectedWorkloads(ap).filter((x) => x.sidecar !== false)) {
            const issuers = issuersFor(m, w);
            if (issuers.length === 0 || issuers.includes(split.issuer)) continue;
            const near = issuers.find((i) => i.replace(/\/$/, '') === split.issuer.replace(/\/$/, ''));
            yield issue(ap, `${ref(ap)} rules[${rule.index}]: request principal "${p}" means issuer "${split.issuer}" (split at the last "/"), but ${w.namespace}/${w.name} accepts only ${quoted(issuers)}${near ? `; they differ by a trailing slash` : ''}, so it never matches.`,
              near ? `write "${near}/${split.subject}" (issuer, "/", subject).` : `use one of the accepted issuers, e.g. "${issuers[0]}/*".`);
          }
        }
      }
    },
  },
  {
    code: 'ZT309', severity: 'error', area: 'jwt', title: 'Caller\'s proxy removes the token the callee requires',
    *run(m) {
      const reported = new Set<string>();
      for (const ap of m.ofKind('AuthorizationPolicy')) {
        if (actionOf(ap) !== 'ALLOW') continue;
        for (const rule of rulesOf(ap)) for (const s of rule.sources) {
          const required = strs(s.requestPrincipals);
          if (required.length === 0) continue;
          const issuers = required.map((p) => splitRequestPrincipal(p)?.issuer ?? p);
          for (const p of strs(s.principals)) {
            const match = /^([^/*]+)\/ns\/([^/*]+)\/sa\/([^/*]+)$/.exec(p);
            if (!match) continue;
            for (const caller of m.workloadsWithIdentity(match[2]!, match[3]!)) {
              for (const ra of m.requestAuthenticationsFor(caller)) {
                const stripping = jwtRules(ra).filter((r) => r.forwardOriginalToken !== true
                  && issuers.some((i) => i.includes('*') || i === str(r.issuer)));
                const key = `${ra.namespace}/${ra.name}->${ap.namespace}/${ap.name}`;
                if (stripping.length === 0 || reported.has(key)) continue;
                reported.add(key);
                yield issue(ra, `${ref(ra)} validates the end-user token on ${caller.namespace}/${caller.name} without forwardOriginalToken, so its proxy removes the token before the app sees it; but ${ref(ap)} requires that token on the app's onward calls: they arrive without one and are denied.`,
                  `set forwardOriginalToken: true on the jwtRules for ${listing(stripping.map((r) => `"${str(r.issuer) ?? ''}"`))}, and have the app pass the Authorization header on.`);
              }
            }
          }
        }
      }
    },
  },
  {
    code: 'ZT310', severity: 'warning', area: 'jwt', title: 'Inline JWKS with private key material',
    *run(m) {
      for (const ra of requestAuths(m)) for (const [i, r] of jwtRules(ra).entries()) {
        const jwks = str(r.jwks);
        if (!jwks) continue;
        let keys: Record<string, unknown>[] = [];
        try { keys = recs(rec(JSON.parse(jwks))?.keys); } catch { continue; }
        const priv = keys.filter((k) => ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'].some((f) => k[f] !== undefined));
        if (priv.length === 0) continue;
        yield issue(ra, `${ref(ra)} jwtRules[${i}].jwks holds private key material (${priv.length} key${priv.length > 1 ? 's' : ''} with "d" or symmetric "k"): whoever reads the manifest can sign tokens.`,
          'publish only the public keys (kty, n, e / crv, x, y, kid, alg) and rotate the exposed key.');
      }
    },
  },
];
