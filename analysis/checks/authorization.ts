// AuthorizationPolicy checks. Sources: api:security/v1beta1/authorization_policy.proto (the
// reference at https://istio.io/latest/docs/reference/config/security/authorization-policy/),
// istio:pkg/config/validation/validation.go ValidateAuthorizationPolicy,
// istio:pilot/pkg/security/authz/{builder/builder.go,model/model.go,model/generator.go}.
import { deployedServiceAccounts } from '../gateway-api.js';
import { isIpOrCidr, parseGoBool, parsePrincipal, whenKeyProblem } from '../istio.js';
import type { MeshModel, MeshObject, Workload } from '../model.js';
import {
  actionOf, httpOnlyFields, negativeIdentityFields, positiveIdentityFields, principalValues, requestPrincipalValues,
  ruleNeedsPeerIdentity, rulePorts, rulesOf, RuleView, sourceNeedsPeerIdentity, sourceNeedsToken, values, whenNeedsPeerIdentity,
  whenNeedsToken, whenValues,
} from '../policy.js';
import { arr, isSubset, labelMap, listing, quoted, rec, recs, str, strs } from '../values.js';
import { Check, issue, ref } from './check.js';

const policies = (m: MeshModel) => m.ofKind('AuthorizationPolicy');
const ACTIONS = ['ALLOW', 'DENY', 'AUDIT', 'CUSTOM'];
const IDENTITY_FIELDS = ['principals', 'notPrincipals', 'namespaces', 'notNamespaces', 'serviceAccounts', 'notServiceAccounts',
  'trustDomains', 'notTrustDomains', 'requestPrincipals', 'notRequestPrincipals'];
const SOURCE_LISTS = [...IDENTITY_FIELDS, 'ipBlocks', 'notIpBlocks', 'remoteIpBlocks', 'notRemoteIpBlocks'];
const OPERATION_LISTS = ['hosts', 'notHosts', 'ports', 'notPorts', 'methods', 'notMethods', 'paths', 'notPaths'];
const TARGET_KINDS = ['Service', 'ServiceEntry', 'Gateway', 'GatewayClass'];
const at = (r: RuleView) => `rules[${r.index}]`;

/** The workloads a policy governs that have a sidecar (or may have: unknown namespace). */
function enforcedOn(m: MeshModel, ap: MeshObject): Workload[] {
  return m.selectedWorkloads(ap).filter((w) => w.sidecar !== false);
}

/** `selector.matchLabels` problems shared by the security kinds (validation.go validateWorkloadSelector). */
export function selectorProblems(o: MeshObject): string[] {
  const labels = labelMap(rec(o.spec.selector)?.matchLabels) ?? {};
  return Object.entries(labels).flatMap(([k, v]) => [
    ...(k === '' ? ['selector.matchLabels has an empty key'] : []),
    ...(k.includes('*') || v.includes('*') ? [`selector.matchLabels "${k}: ${v}" contains "*"; selectors take no wildcards`] : []),
  ]);
}

export const AUTHORIZATION_CHECKS: readonly Check[] = [
  {
    code: 'ZT101', severity: 'error', area: 'authorization', istio: ['IST0106'], title: 'AuthorizationPolicy structure the webhook rejects',
    *run(m) {
      for (const ap of policies(m)) {
        const problems: string[] = [];
        const action = actionOf(ap);
        const attach = ['selector', 'targetRef', 'targetRefs'].filter((f) => ap.spec[f] !== undefined);
        if (attach.length > 1) problems.push(`it sets ${listing(attach)}; only one of them may be set`);
        if (!ACTIONS.includes(action)) problems.push(`action "${action}" is not one of ${ACTIONS.join(', ')} (upper case)`);
        if (ap.spec.provider !== undefined && action !== 'CUSTOM') problems.push('provider is only allowed with action CUSTOM');
        if (action === 'CUSTOM' && !str(rec(ap.spec.provider)?.name)) problems.push('action CUSTOM needs provider.name');
        if ((action === 'DENY' || action === 'CUSTOM') && arr(ap.spec.rules).length === 0) problems.push(`action ${action} without rules is rejected ("meaningless")`);
        if (ap.spec.rules !== undefined && !Array.isArray(ap.spec.rules)) problems.push('rules is not a list');
        for (const [i, t] of [...(ap.spec.targetRef !== undefined ? [ap.spec.targetRef] : []), ...arr(ap.spec.targetRefs)].entries()) {
          const r = rec(t) ?? {};
          if (!str(r.name)) problems.push(`targetRefs[${i}] has no name`);
          if (r.namespace !== undefined) problems.push(`targetRefs[${i}] sets namespace; cross-namespace references are rejected`);
          if (!TARGET_KINDS.includes(str(r.kind) ?? '')) problems.push(`targetRefs[${i}] kind "${str(r.kind) ?? ''}" is not one of ${TARGET_KINDS.join(', ')}`);
        }
        for (const rule of rulesOf(ap)) {
          if (!rec(rule.raw)) { problems.push(`${at(rule)} is empty (null) or not a map`); continue; }
          recs(rec(rule.raw)!.from).forEach((f, i) => { if (Object.keys(rec(f.source) ?? {}).length === 0) problems.push(`${at(rule)}.from[${i}].source is missing or empty`); });
          recs(rec(rule.raw)!.to).forEach((t, i) => { if (Object.keys(rec(t.operation) ?? {}).length === 0) problems.push(`${at(rule)}.to[${i}].operation is missing or empty`); });
          if (action === 'CUSTOM') {
            // An empty list is accepted: validation.go tests `len(...) != 0`.
            const banned = [...IDENTITY_FIELDS.filter((f) => rule.sources.some((s) => arr(s[f]).length > 0)),
              ...whenValues(rule, (k) => k.startsWith('source.principal') || k.startsWith('source.namespace') || k.startsWith('source.serviceAccount') || k.startsWith('source.trustDomain') || k.startsWith('request.auth.')).map((w) => `when ${w.key}`)];
            if (banned.length) problems.push(`${at(rule)}: action CUSTOM may not use ${listing(banned)}`);
          }
        }
        for (const p of [...new Set(problems)]) {
          yield issue(ap, `${ref(ap)}: ${p}. The API server (or istiod) rejects the policy, so it never takes effect.`,
            'correct the policy\'s structure as the AuthorizationPolicy reference describes; `istioctl validate -f` shows the same error.');
        }
      }
    },
  },
  {
    code: 'ZT102', severity: 'error', area: 'authorization', istio: ['IST0106'], title: 'AuthorizationPolicy value the webhook rejects',
    *run(m) {
      for (const ap of policies(m)) {
        const problems: string[] = [...selectorProblems(ap)];
        for (const rule of rulesOf(ap)) {
          for (const [maps, fields] of [[rule.sources, SOURCE_LISTS], [rule.operations, OPERATION_LISTS]] as const) {
            for (const f of fields) if (maps.some((s) => arr(s[f]).some((v) => v === '' || v === null))) problems.push(`${at(rule)}: ${f} contains an empty value`);
          }
          for (const f of ['ipBlocks', 'notIpBlocks', 'remoteIpBlocks', 'notRemoteIpBlocks']) {
            for (const v of values(rule.sources, f)) if (v !== '' && !isIpOrCidr(v)) problems.push(`${at(rule)}: ${f} value "${v}" is not an IP address or CIDR`);
          }
          for (const f of ['ports', 'notPorts']) {
            for (const v of values(rule.operations, f)) if (v !== '' && (!/^\d+$/.test(v) || Number(v) > 65535)) problems.push(`${at(rule)}: ${f} value "${v}" is not a port number (0-65535, no ranges or names)`);
          }
          for (const s of rule.sources) {
            for (const f of ['serviceAccounts', 'notServiceAccounts']) {
              const sas = strs(s[f]);
              if (sas.length > 16) problems.push(`${at(rule)}: ${f} has ${sas.length} entries; at most 16 are allowed`);
              for (const sa of sas) {
                if (sa.includes('*')) problems.push(`${at(rule)}: ${f} value "${sa}" contains "*"; service accounts take no wildcards`);
                else if (sa !== '' && (sa.split('/').length > 2 || sa.length > 320)) problems.push(`${at(rule)}: ${f} value "${sa}" is not "<sa>" or "<namespace>/<sa>"`);
              }
            }
            if ((s.serviceAccounts !== undefined || s.notServiceAccounts !== undefined) && ['principals', 'notPrincipals', 'namespaces', 'notNamespaces'].some((f) => s[f] !== undefined)) {
              problems.push(`${at(rule)}: serviceAccounts cannot be combined with principals or namespaces in one source`);
            }
            for (const f of ['trustDomains', 'notTrustDomains']) {
              for (const td of strs(s[f])) {
                const stars = td.split('*').length - 1;
                if (td.includes('/') || stars > 1 || (stars === 1 && !td.startsWith('*') && !td.endsWith('*'))) {
                  problems.push(`${at(rule)}: ${f} value "${td}" may hold one "*" at the start or end and no "/"`);
                }
              }
            }
          }
        }
        for (const p of [...new Set(problems)]) {
          yield issue(ap, `${ref(ap)}: ${p}. The API server (or istiod) rejects the policy, so it never takes effect.`,
            'correct the value as the AuthorizationPolicy reference describes; `istioctl validate -f` shows the same error.');
        }
      }
    },
  },
  {
    code: 'ZT103', severity: 'error', area: 'authorization', istio: ['IST0106'], title: 'Invalid `when` condition',
    *run(m) {
      for (const ap of policies(m)) for (const rule of rulesOf(ap)) for (const [i, w] of rule.when.entries()) {
        const key = str(w.key) ?? '';
        const problem = whenKeyProblem(key)
          ?? (w.values === undefined && w.notValues === undefined ? `"${key}" has neither values nor notValues` : undefined)
          ?? ([...arr(w.values), ...arr(w.notValues)].some((v) => v === '' || v === null) ? `"${key}" has an empty value` : undefined);
        if (problem) {
          yield issue(ap, `${ref(ap)} ${at(rule)}.when[${i}]: ${problem}. Istio rejects the policy (a rule with such a key that reaches istiod is skipped).`,
            'use a documented condition key (https://istio.io/latest/docs/reference/config/security/conditions/) with at least one value.');
        }
      }
    },
  },
  {
    code: 'ZT104', severity: 'error', area: 'authorization', title: 'HTTP method not in upper case',
    *run(m) {
      for (const ap of policies(m)) for (const rule of rulesOf(ap)) {
        for (const f of ['methods', 'notMethods']) {
          const bad = values(rule.operations, f).filter((v) => v !== v.toUpperCase());
          if (bad.length) {
            yield issue(ap, `${ref(ap)} ${at(rule)}: ${f} ${quoted(bad)} are matched case-sensitively, and Envoy rejects requests with a lower-case method, so ${f === 'methods' ? 'this never matches' : 'this excludes nothing'}.`,
              `write the methods in upper case: ${quoted(bad.map((b) => b.toUpperCase()))}.`);
          }
        }
      }
    },
  },
  {
    code: 'ZT105', severity: 'error', area: 'authorization', istio: ['IST0106'], title: 'Principal with `spiffe://` or not `<td>/ns/<ns>/sa/<sa>`',
    *run(m) {
      for (const ap of policies(m)) for (const rule of rulesOf(ap)) for (const p of principalValues(rule)) {
        if (p.startsWith('spiffe://')) {
          yield issue(ap, `${ref(ap)} ${at(rule)}: principal "${p}" starts with "spiffe://". Istio prepends "spiffe://" itself, so it compares against "spiffe://${p}" and never matches.`,
            `write "${p.slice('spiffe://'.length)}".`);
        } else if (p !== '*' && p !== '' && (/.\*./.test(p) || (!p.includes('*') && !parsePrincipal(p)))) {
          yield issue(ap, `${ref(ap)} ${at(rule)}: principal "${p}" is not of the form "<trust-domain>/ns/<namespace>/sa/<service-account>"${/.\*./.test(p) ? ' (a "*" inside a value is a literal character)' : ''}, so it never matches a workload identity.`,
            'write the full principal, e.g. "cluster.local/ns/shop/sa/frontend", or use namespaces / serviceAccounts for broader matches.');
        }
      }
    },
  },
  {
    code: 'ZT106', severity: 'error', area: 'authorization', title: 'Request principal without `/`',
    *run(m) {
      for (const ap of policies(m)) for (const rule of rulesOf(ap)) for (const p of requestPrincipalValues(rule)) {
        if (p !== '' && !p.includes('/') && !p.includes('*')) {
          yield issue(ap, `${ref(ap)} ${at(rule)}: request principal "${p}" has no "/", so Istio reads it as issuer "${p}" with an empty subject, which no token has: it never matches.`,
            `write "<issuer>/<subject>", or "${p}/*" for any subject of that issuer.`);
        }
      }
    },
  },
  {
    code: 'ZT107', severity: 'error', area: 'authorization', title: 'ALLOW rule with HTTP-only fields on TCP ports',
    *run(m) {
      for (const ap of policies(m)) {
        if (actionOf(ap) !== 'ALLOW') continue;
        for (const rule of rulesOf(ap)) {
          const fields = httpOnlyFields(rule);
          if (fields.length === 0) continue;
          for (const w of enforcedOn(m, ap)) {
            const ports = rulePorts(rule) ?? m.inboundPorts(w);
            if (ports.length === 0 || !ports.every((p) => m.portProtocol(w, p) === 'tcp')) continue;
            yield issue(ap, `${ref(ap)} ${at(rule)} uses ${listing(fields)}, which only HTTP carries, but workload ${w.namespace}/${w.name} serves only TCP on port${ports.length > 1 ? 's' : ''} ${ports.join(', ')}. Istio drops the whole rule on TCP filter chains, so it allows nothing there.`,
              'for TCP ports grant by identity and port only (principals, namespaces, ports); if the port speaks HTTP, name its Service port "http-…" or set appProtocol: http.');
          }
        }
      }
    },
  },
  {
    code: 'ZT108', severity: 'warning', area: 'authorization', title: 'DENY rule with only HTTP fields and no ports',
    *run(m) {
      for (const ap of policies(m)) {
        if (actionOf(ap) !== 'DENY') continue;
        for (const rule of rulesOf(ap)) {
          const fields = httpOnlyFields(rule);
          // Each operation is matched on its own: one without ports loses its HTTP fields on a TCP
          // port and then matches any request, so every operation has to name ports.
          const scoped = (rule.operations.length > 0 && rule.operations.every((o) => o.ports !== undefined || o.notPorts !== undefined))
            || whenValues(rule, (k) => k === 'destination.port').length > 0;
          if (fields.length > 0 && !scoped) {
            yield issue(ap, `${ref(ap)} ${at(rule)} denies by ${listing(fields)} without naming ports. On TCP ports Istio drops those conditions and keeps the rest, so the rule denies all TCP traffic to the selected workloads.`,
              'scope the rule to the HTTP ports it is meant for with to.operation.ports (container ports).');
          }
        }
      }
    },
  },
  {
    code: 'ZT109', severity: 'error', area: 'authorization', title: 'Token condition on a workload without RequestAuthentication',
    *run(m) {
      for (const ap of policies(m)) {
        const uses = rulesOf(ap).some((r) => values(r.sources, 'requestPrincipals').length + values(r.sources, 'notRequestPrincipals').length > 0
          || whenValues(r, (k) => k.startsWith('request.auth.')).length > 0);
        if (!uses) continue;
        for (const w of enforcedOn(m, ap)) {
          if (m.requestAuthenticationsFor(w).length > 0) continue;
          yield issue(ap, `${ref(ap)} uses requestPrincipals or request.auth.* on workload ${w.namespace}/${w.name}, but no RequestAuthentication selects it: its proxy validates no token and knows no request principal, so ${actionOf(ap) === 'ALLOW' ? 'these conditions never match' : 'the conditions never hold as intended'}.`,
            `add a RequestAuthentication for the issuer that selects ${w.namespace}/${w.name} (same namespace or the root namespace).`);
        }
      }
    },
  },
  {
    code: 'ZT110', severity: 'error', area: 'authorization', title: 'Grant that can never match: no mTLS between caller and callee',
    *run(m) {
      for (const ap of policies(m)) {
        if (actionOf(ap) !== 'ALLOW' || m.isDryRun(ap)) continue;
        for (const rule of rulesOf(ap)) {
          if (ruleNeedsPeerIdentity(rule)) {
            for (const w of enforcedOn(m, ap)) {
              const ports = rulePorts(rule) ?? m.inboundPorts(w);
              const disabled = (ports.length ? ports : [undefined]).every((p) => m.effectiveMtls(w, p).mode === 'DISABLE');
              if (disabled) {
                yield issue(ap, `${ref(ap)} ${at(rule)} admits callers by mTLS identity (${listing(positiveIdentityFields(rule))}), but workload ${w.namespace}/${w.name} has mTLS mode DISABLE, so callers reach it in plaintext with no identity: the rule never matches.`,
                  `set the PeerAuthentication of ${w.namespace}/${w.name} to STRICT (or PERMISSIVE), or grant by something a plaintext request carries.`);
              }
            }
          }
          for (const s of rule.sources) for (const p of strs(s.principals)) {
            const id = parsePrincipal(p);
            if (!id || !m.localTrustDomains.has(id.trustDomain)) continue;
            const callers = m.workloadsWithIdentity(id.namespace, id.serviceAccount);
            // An ambient caller has its identity without a sidecar (ztunnel's mTLS).
            if (callers.length > 0 && callers.every((c) => c.sidecar === false && !c.ambient)) {
              yield issue(ap, `${ref(ap)} ${at(rule)} admits principal "${p}", but every workload with that identity (${listing(callers.map((c) => `${c.object.kind} ${c.namespace}/${c.name}`))}) runs without a sidecar, so it speaks plaintext and never presents the identity: the grant never matches.`,
                'enrol the caller in the mesh (namespace label istio-injection=enabled, no sidecar.istio.io/inject: "false"), or grant it by something it does carry.');
            }
          }
        }
      }
    },
  },
  {
    code: 'ZT111', severity: 'error', area: 'authorization', title: 'mTLS-only field that a plaintext request bypasses',
    *run(m) {
      for (const ap of policies(m)) {
        const action = actionOf(ap);
        if (action !== 'ALLOW' && action !== 'DENY') continue;
        for (const rule of rulesOf(ap)) {
          const fields = action === 'ALLOW' ? negativeIdentityFields(rule) : positiveIdentityFields(rule);
          if (fields.length === 0) continue;
          for (const w of enforcedOn(m, ap)) {
            const ports = rulePorts(rule) ?? m.inboundPorts(w);
            const weak = (ports.length ? ports : [undefined]).map((p) => m.effectiveMtls(w, p).mode).find((mode) => mode !== 'STRICT');
            if (!weak) continue;
            yield issue(ap, action === 'ALLOW'
              ? `${ref(ap)} ${at(rule)} allows by ${listing(fields)}, but workload ${w.namespace}/${w.name} accepts plaintext (mTLS ${weak}); a plaintext request has no identity, so it always satisfies a negative match and is allowed (ISTIO-SECURITY-2021-004).`
              : `${ref(ap)} ${at(rule)} denies by ${listing(fields)}, but workload ${w.namespace}/${w.name} accepts plaintext (mTLS ${weak}); a plaintext request has no identity, never matches, and is not denied.`,
            `set mTLS STRICT for ${w.namespace}/${w.name}, or rewrite the rule as ${action === 'ALLOW' ? 'an ALLOW with positive matches' : 'a DENY with negative matches (notPrincipals, notNamespaces)'}.`);
          }
        }
      }
    },
  },
  {
    code: 'ZT112', severity: 'warning', area: 'authorization', title: 'Negative match in an ALLOW policy',
    *run(m) {
      for (const ap of policies(m)) {
        if (actionOf(ap) !== 'ALLOW') continue;
        for (const rule of rulesOf(ap)) {
          const fields = [
            ...Object.keys(Object.assign({}, ...rule.sources, ...rule.operations) as Record<string, unknown>).filter((f) => /^not[A-Z]/.test(f)),
            ...rule.when.filter((w) => w.notValues !== undefined).map((w) => `when ${str(w.key) ?? ''} notValues`),
          ];
          if (fields.length) {
            yield issue(ap, `${ref(ap)} ${at(rule)} allows by negative match (${listing([...new Set(fields)].sort())}): everything not listed is allowed, including requests nobody thought of (a plaintext caller, a new path).`,
              'allow with positive matches only (principals, paths, values), and put exclusions in a DENY policy.');
          }
        }
      }
    },
  },
  {
    code: 'ZT113', severity: 'error', area: 'authorization', istio: ['IST0106'], title: 'Empty `from: []` or `to: []` list',
    *run(m) {
      for (const ap of policies(m)) for (const rule of rulesOf(ap)) {
        const r = rec(rule.raw);
        const empty = ['from', 'to'].filter((f) => Array.isArray(r?.[f]) && (r![f] as unknown[]).length === 0);
        if (empty.length) {
          yield issue(ap, `${ref(ap)} ${at(rule)} has an empty ${listing(empty.map((f) => `${f}: []`))}. It decodes as absent, so the rule matches any ${empty.length === 2 ? 'source and operation' : empty[0] === 'from' ? 'source' : 'operation'}, which is rarely what an empty list was meant to say.`,
            `remove ${listing(empty)} if any ${empty[0] === 'from' ? 'caller' : 'operation'} is meant, or list the sources/operations.`);
        }
      }
    },
  },
  {
    code: 'ZT114', severity: 'warning', area: 'authorization', title: '`trustDomains` or `source.trustDomain` (ignored before Istio 1.31)',
    *run(m) {
      for (const ap of policies(m)) for (const rule of rulesOf(ap)) {
        const fields = [...['trustDomains', 'notTrustDomains'].filter((f) => rule.sources.some((s) => s[f] !== undefined)),
          ...whenValues(rule, (k) => k === 'source.trustDomain').map(() => 'when source.trustDomain')];
        if (fields.length) {
          yield issue(ap, `${ref(ap)} ${at(rule)} uses ${listing([...new Set(fields)])}, which Istio 1.30 and older ignore: the condition is dropped, so an ALLOW becomes wider and a DENY narrower (a DENY rule with the when key is dropped entirely).`,
            'match trust domains with principals ("<trust-domain>/ns/*" prefixes are not supported; list the principals) until the mesh runs Istio 1.31 or later.');
        }
      }
    },
  },
  {
    code: 'ZT115', severity: 'warning', area: 'authorization', title: '`hosts` without the `:*` variant, or on sidecars',
    *run(m) {
      const gatewayLabels = m.ofKind('Gateway').map((g) => labelMap(g.spec.selector) ?? {}).filter((l) => Object.keys(l).length > 0);
      for (const ap of policies(m)) for (const rule of rulesOf(ap)) {
        for (const f of ['hosts', 'notHosts']) {
          const hosts = values(rule.operations, f);
          if (hosts.length === 0) continue;
          const missing = hosts.filter((h) => h !== '*' && !h.includes(':') && !hosts.includes(`${h}:*`));
          if (missing.length) {
            yield issue(ap, `${ref(ap)} ${at(rule)}: ${f} ${quoted(missing)} do not match a Host header that carries a port ("${missing[0]}:443").`,
              `list both forms: ${quoted(missing.flatMap((h) => [h, `${h}:*`]))}.`);
          }
          const selected = m.selectedWorkloads(ap);
          const sidecars = selected.filter((w) => !gatewayLabels.some((l) => isSubset(l, w.podLabels)));
          if (selected.length > 0 && sidecars.length === selected.length) {
            yield issue(ap, `${ref(ap)} ${at(rule)} matches ${f} on sidecar workload${sidecars.length > 1 ? 's' : ''} (${listing(sidecars.map((w) => `${w.namespace}/${w.name}`))}); a sidecar does not route by Host, so a caller can send any Host header.`,
              'match hosts at the ingress gateway only; on sidecars, match principals, paths and ports.');
          }
        }
      }
    },
  },
  {
    code: 'ZT116', severity: 'error', area: 'authorization', title: 'Port is a Service port, not the container port',
    *run(m) {
      for (const ap of policies(m)) for (const rule of rulesOf(ap)) {
        const ports = [...values(rule.operations, 'ports'), ...values(rule.operations, 'notPorts'),
          ...whenValues(rule, (k) => k === 'destination.port').flatMap((w) => [...w.values, ...w.notValues])].map(Number).filter(Number.isInteger);
        for (const port of [...new Set(ports)]) for (const w of m.selectedWorkloads(ap)) {
          if (m.inboundPorts(w).includes(port)) continue;
          const svc = m.servicesOf(w).flatMap((s) => s.ports.map((p) => ({ s, p }))).find(({ p }) => p.port === port);
          const target = svc ? m.targetPort(svc.p, w) : undefined;
          if (svc && target !== undefined && target !== port) {
            yield issue(ap, `${ref(ap)} ${at(rule)} names port ${port}, which is Service ${svc.s.namespace}/${svc.s.name}'s port; policies match the container port the request arrives on (${target} on ${w.namespace}/${w.name}), so this never matches.`,
              `use the container port: "${target}".`);
          }
        }
      }
    },
  },
  {
    code: 'ZT117', severity: 'warning', area: 'authorization', title: 'Dry-run policy is not enforced',
    *run(m) {
      for (const ap of policies(m)) {
        if (!m.isDryRun(ap)) continue;
        yield issue(ap, `${ref(ap)} has istio.io/dry-run: "${ap.annotations['istio.io/dry-run']}": Istio only logs what it would decide and enforces nothing.`,
          'remove the istio.io/dry-run annotation once the logs show the policy behaves as intended.');
      }
    },
  },
  {
    code: 'ZT118', severity: 'error', area: 'authorization', title: 'Invalid `istio.io/dry-run` annotation',
    *run(m) {
      for (const o of m.objects) {
        const v = o.annotations['istio.io/dry-run'];
        if (v === undefined) continue;
        const problem = o.kind !== 'AuthorizationPolicy' ? `is only honoured on AuthorizationPolicy, not on ${o.kind}`
          : parseGoBool(v) === undefined ? `"${v}" is not a boolean, so the webhook rejects the policy (and istiod would enforce it)`
            : !['ALLOW', 'DENY'].includes(actionOf(o)) ? `is only supported with action ALLOW or DENY, not ${actionOf(o)}` : undefined;
        if (problem) {
          yield issue(o, `${ref(o)}: the annotation istio.io/dry-run ${problem}.`,
            'write istio.io/dry-run: "true" on an ALLOW or DENY AuthorizationPolicy, or remove it.');
        }
      }
    },
  },
  {
    code: 'ZT119', severity: 'warning', area: 'authorization', istio: ['IST0101'], title: 'Source namespace that does not exist',
    *run(m) {
      const known = m.knownNamespaces();
      for (const ap of policies(m)) for (const rule of rulesOf(ap)) {
        const names = [...values(rule.sources, 'namespaces'), ...values(rule.sources, 'notNamespaces'),
          ...whenValues(rule, (k) => k === 'source.namespace').flatMap((w) => [...w.values, ...w.notValues])];
        for (const ns of [...new Set(names)]) {
          if (ns === '' || ns === '*' || known.has(ns)) continue;
          // A prefix or suffix pattern (`prod-*`, `*-team`) is fine when some known namespace fits.
          if (ns.includes('*') && [...known].some((k) => (ns.startsWith('*') ? k.endsWith(ns.slice(1)) : ns.endsWith('*') && k.startsWith(ns.slice(0, -1))))) continue;
          yield issue(ap, `${ref(ap)} ${at(rule)} names namespace "${ns}", which none of the analyzed manifests declares or uses: a typo matches nobody (or, in a not-list, excludes nobody).`,
            `correct the namespace name (known: ${listing([...known].sort().slice(0, 8))}${known.size > 8 ? ', …' : ''}), or analyze it together with the manifests that create it.`);
        }
      }
    },
  },
  {
    code: 'ZT120', severity: 'warning', area: 'authorization', title: 'Principal of an unknown ServiceAccount or foreign trust domain',
    *run(m) {
      for (const ap of policies(m)) for (const rule of rulesOf(ap)) for (const p of new Set(principalValues(rule))) {
        const id = parsePrincipal(p);
        if (!id) continue;
        if (!m.localTrustDomains.has(id.trustDomain)) {
          yield issue(ap, `${ref(ap)} ${at(rule)}: principal "${p}" names trust domain "${id.trustDomain}", which is not this mesh's (${listing([...m.localTrustDomains])}); only a workload of another mesh federated with this one could match.`,
            `write "${m.trustDomain}/ns/${id.namespace}/sa/${id.serviceAccount}" (or "cluster.local/…", which Istio maps to the local trust domain).`);
          continue;
        }
        // Istio creates a waypoint's ServiceAccount (ISTIO.md §9.5; `serviceAccountsIn` counts
        // it) and a class-istio Gateway's (<gateway>-istio, §10.2) itself: they are not in the manifests.
        const accounts = [...m.serviceAccountsIn(id.namespace), ...deployedServiceAccounts(m, id.namespace)];
        if (id.serviceAccount === 'default' || accounts.length === 0 || accounts.includes(id.serviceAccount)
          || m.workloadsWithIdentity(id.namespace, id.serviceAccount).length > 0) continue;
        yield issue(ap, `${ref(ap)} ${at(rule)}: principal "${p}" names ServiceAccount "${id.serviceAccount}", which namespace "${id.namespace}" does not declare (it has ${listing(accounts.sort())}); the grant matches nobody.`,
          'correct the ServiceAccount name in the principal.');
      }
    },
  },
  {
    code: 'ZT121', severity: 'warning', area: 'authorization', title: 'Principal shared by several workloads',
    *run(m) {
      for (const ap of policies(m)) for (const rule of rulesOf(ap)) for (const p of new Set(principalValues(rule))) {
        const id = parsePrincipal(p);
        if (!id || !m.localTrustDomains.has(id.trustDomain)) continue;
        const sharing = m.workloadsWithIdentity(id.namespace, id.serviceAccount);
        if (sharing.length < 2) continue;
        // Versions of one service (one Service selects them all) share its identity by design,
        // as Istio's Bookinfo does with reviews v1-v3: a grant to the service means every version.
        if (m.servicesOf(sharing[0]!).some((svc) => sharing.every((w) => m.servicesOf(w).includes(svc)))) continue;
        yield issue(ap, `${ref(ap)} ${at(rule)} names principal "${p}", which ${listing(sharing.map((w) => `${w.object.kind} ${w.name}`))} all run as; the policy cannot tell them apart and admits them all.`,
          'give each workload its own ServiceAccount (spec.template.spec.serviceAccountName) and grant the one meant.');
      }
    },
  },
  {
    code: 'ZT122', severity: 'warning', area: 'authorization', title: 'Workload that no AuthorizationPolicy covers',
    *run(m) {
      for (const w of m.workloads) {
        if (w.sidecar !== true || m.authorizationPoliciesFor(w).length > 0) continue;
        yield issue(w.object, `${ref(w.object)}: no AuthorizationPolicy applies to it, and with none Istio allows every request that reaches it.`,
          `add a default-deny ("allow-nothing": spec: {}) AuthorizationPolicy to namespace ${w.namespace}, then ALLOW policies for its callers.`);
      }
    },
  },
  {
    code: 'ZT123', severity: 'error', area: 'authorization', title: 'Root-namespace default deny without an ALLOW for the ingress gateway',
    *run(m) {
      const allowNothing = policies(m).filter((ap) => ap.namespace === m.rootNamespace && actionOf(ap) === 'ALLOW'
        && m.selection(ap).mode === 'all' && arr(ap.spec.rules).length === 0 && !m.isDryRun(ap));
      if (allowNothing.length === 0) return;
      const selectors = new Map<string, Record<string, string>>();
      for (const g of m.ofKind('Gateway').filter((g) => g.apiVersion.startsWith('networking.istio.io/'))) {
        const s = labelMap(g.spec.selector) ?? {};
        if (Object.keys(s).length) selectors.set(JSON.stringify(Object.entries(s).sort()), s);
      }
      for (const s of selectors.values()) {
        const allowed = policies(m).some((ap) => actionOf(ap) === 'ALLOW' && arr(ap.spec.rules).length > 0 && !m.isDryRun(ap)
          && (ap.namespace === m.rootNamespace || m.workloads.some((w) => w.namespace === ap.namespace && isSubset(s, w.podLabels)))
          && (() => { const sel = m.selection(ap); return sel.mode === 'labels' && isSubset(sel.labels, s); })());
        if (allowed) continue;
        for (const ap of allowNothing) {
          yield issue(ap, `${ref(ap)} is a mesh-wide allow-nothing policy; it applies to the ingress gateway pods too (${Object.entries(s).map(([k, v]) => `${k}=${v}`).join(',')}), and no ALLOW policy selects them, so every request from outside is denied.`,
            `add an ALLOW AuthorizationPolicy in ${m.rootNamespace} with selector.matchLabels ${JSON.stringify(s)} for the hosts and paths the gateway serves (ideally requiring a JWT).`);
        }
      }
    },
  },
  {
    code: 'ZT124', severity: 'error', area: 'authorization', title: 'Workload open to callers with neither identity nor token',
    acknowledgement: 'open-to-anyone',
    *run(m) {
      for (const ap of policies(m)) {
        if (actionOf(ap) !== 'ALLOW' || m.isDryRun(ap)) continue;
        for (const rule of rulesOf(ap)) {
          if (!rec(rule.raw)) continue;
          const anonymousSource = rule.sources.length === 0 || rule.sources.some((s) => !sourceNeedsPeerIdentity(s) && !sourceNeedsToken(s));
          if (!anonymousSource || whenNeedsPeerIdentity(rule) || whenNeedsToken(rule)) continue;
          const selected = m.selectedWorkloads(ap);
          const modes = selected.length > 0
            ? selected.flatMap((w) => (m.inboundPorts(w).length ? m.inboundPorts(w) : [undefined]).map((p) => m.effectiveMtls(w, p).mode))
            : [m.namespaceMtls(ap.namespace ?? 'default').mode];
          const weak = modes.find((mode) => mode !== 'STRICT');
          if (!weak) continue;
          yield issue(ap, `${ref(ap)} ${at(rule)} requires neither a peer identity nor a token, and its workloads accept plaintext (mTLS ${weak}): anyone who can reach them is allowed.`,
            'grant named callers (principals, namespaces) or require a token (requestPrincipals); if the workload is meant to be public, acknowledge it with the annotation zero-trust-mesh.io/acknowledged-open-to-anyone: "<reason>".');
        }
      }
    },
  },
];

