// How far the analyzer agrees with istioctl analyze, measured on istioctl's own test cases
// (test/fixtures/istioctl-analyze: Istio's inputs and the messages Istio expects on them).
// A message counts as reported when a check whose `istio` codes include its IST code reports a
// finding on the same object. The numbers are asserted exactly, so a change that loses or gains
// agreement shows up here and in docs/analyzer.md, which states them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { analyzePaths, CHECKS, type Finding } from '../../analysis/index.js';

interface IstioCase {
  readonly name: string;
  readonly inputFiles: readonly string[];
  readonly meshConfigFile: string | null;
  readonly analyzer: string;
  readonly expected: readonly { readonly message: string; readonly code: string; readonly origin: string }[];
}

const ROOT = join(process.cwd(), 'test/fixtures/istioctl-analyze');
const CASES = JSON.parse(readFileSync(join(ROOT, 'cases.json'), 'utf8')) as IstioCase[];
const ISTIO_CODES = new Map(CHECKS.map((c) => [c.code, c.istio ?? []]));

/**
 * The checks that do the work of each of Istio's analyzers, and the kinds that analyzer reports
 * on: a finding of those checks on those kinds that Istio does not expect is a disagreement. (Each
 * of Istio's cases runs one analyzer, so what another analyzer would report is not judged.)
 */
const ANALYZERS: Record<string, { readonly checks: readonly string[]; readonly kinds?: readonly string[] }> = {
  'annotations.K8sAnalyzer': { checks: ['ZT604'] },
  'authz.AuthorizationPoliciesAnalyzer': { checks: ['ZT119', 'ZT606'], kinds: ['AuthorizationPolicy'] },
  'deployment.ApplicationUIDAnalyzer': { checks: ['ZT605'] },
  'deployment.ServiceAssociationAnalyzer': { checks: ['ZT504'] },
  'destinationrule.CaCertificateAnalyzer': { checks: ['ZT253'] },
  'destinationrule.PodNotSelectedAnalyzer': { checks: ['ZT255', 'ZT256'] },
  'gateway.CertificateAnalyzer': { checks: ['ZT407'] },
  'gateway.ConflictingGatewayAnalyzer': { checks: ['ZT406'] },
  'gateway.IngressGatewayPortAnalyzer': { checks: ['ZT401', 'ZT409'] },
  'gateway.SecretAnalyzer': { checks: ['ZT405', 'ZT408'] },
  'injection.Analyzer': { checks: ['ZT601', 'ZT602', 'ZT603', 'ZT609'] },
  'schemaValidation.CollectionValidationAnalyzer': { checks: ['ZT416', 'ZT419'] },
  'service.PortNameAnalyzer': { checks: ['ZT501', 'ZT505', 'ZT506'] },
  'serviceentry.ConflictingServiceEntryProtocolAnalyzer': { checks: ['ZT507'] },
  'serviceentry.ProtocolAddressesAnalyzer': { checks: ['ZT508'] },
  'sidecar.SelectorAnalyzer': { checks: ['ZT606', 'ZT607', 'ZT701', 'ZT703'], kinds: ['Sidecar'] },
  'telemetry.DefaultSelectorAnalyzer': { checks: ['ZT801'] },
  'telemetry.SelectorAnalyzer': { checks: ['ZT606', 'ZT802'], kinds: ['Telemetry'] },
  'virtualservice.ConflictingMeshGatewayHostsAnalyzer': { checks: ['ZT418'] },
  'virtualservice.DestinationHostAnalyzer': { checks: ['ZT413', 'ZT414', 'ZT420'] },
  'virtualservice.DestinationRuleAnalyzer': { checks: ['ZT415'] },
  'virtualservice.GatewayAnalyzer': { checks: ['ZT410', 'ZT411', 'ZT412'] },
  'virtualservice.JWTClaimRouteAnalyzer': { checks: ['ZT417'] },
};

/** meshConfig settings of a case that the analyzer takes as options. */
function optionsOf(c: IstioCase) {
  if (!c.meshConfigFile) return {};
  const mesh = parse(readFileSync(join(ROOT, c.meshConfigFile), 'utf8')) as { defaultConfig?: { proxyMetadata?: Record<string, string> } };
  const meta = mesh.defaultConfig?.proxyMetadata ?? {};
  return { autoAllocatesServiceEntryAddresses: meta.ISTIO_META_DNS_CAPTURE === 'true' && (meta.ISTIO_META_DNS_AUTO_ALLOCATE === 'true' || meta.PILOT_ENABLE_IP_AUTOALLOCATE === 'true') };
}

/** Istio names an object `Kind ns/name`, or `Kind name` when the input gave no namespace. */
function sameObject(f: Finding, origin: string): boolean {
  return origin === `${f.kind} ${f.namespace}/${f.name}` || origin === `${f.kind} ${f.name}`;
}

interface Outcome { readonly missed: string[]; readonly extra: Finding[]; readonly matched: number }

function judge(c: IstioCase): Outcome {
  const findings = analyzePaths([...c.inputFiles, 'default-ingress.yaml'].map((f) => join(ROOT, f)), optionsOf(c));
  const analyzer = ANALYZERS[c.analyzer]!;
  const used = new Set<Finding>();
  const missed: string[] = [];
  for (const e of c.expected) {
    const hit = findings.find((f) => !used.has(f) && ISTIO_CODES.get(f.code)?.includes(e.code) && sameObject(f, e.origin));
    if (hit) used.add(hit);
    else missed.push(`${e.code} ${e.message} on ${e.origin}`);
  }
  const extra = findings.filter((f) => !used.has(f) && analyzer.checks.includes(f.code) && (!analyzer.kinds || analyzer.kinds.includes(f.kind))
    && !c.expected.some((e) => ISTIO_CODES.get(f.code)!.includes(e.code) && sameObject(f, e.origin)));
  return { missed, extra, matched: c.expected.length - missed.length };
}

const OUTCOMES = new Map(CASES.map((c) => [c.name, judge(c)]));
const EXPECTED = CASES.reduce((n, c) => n + c.expected.length, 0);
const MATCHED = [...OUTCOMES.values()].reduce((n, o) => n + o.matched, 0);

test('the fixtures hold the in-scope cases of Istio\'s grid, each analyzer paired with checks', () => {
  expect([CASES.length, EXPECTED]).toEqual([74, 158]);
  expect(CASES.filter((c) => !ANALYZERS[c.analyzer]).map((c) => c.analyzer)).toEqual([]);
});

/**
 * Istio's expected messages the analyzer does not report, each for a reason (docs/analyzer.md,
 * "Agreement with istioctl analyze"). Anything missed that is not here fails the test.
 */
const DEVIATIONS: Record<string, string> = {
  '[istioInjection] IST0103 PodMissingProxy on Pod default/noninjectedpod': 'cluster state: a Pod manifest never lists the proxy, the injector adds it at admission',
  '[istioInjectionEnableNamespacesByDefault] IST0103 PodMissingProxy on Pod default/noninjectedpod': 'cluster state, as above',
  '[istioInjectionEnableNamespacesByDefault] IST0148 NamespaceInjectionEnabledByDefault on Namespace bar': 'installation config (the injector ConfigMap\'s enableNamespacesByDefault)',
  '[virtualServiceConflictingMeshGatewayHostsWithExportTo] IST0109 ConflictingMeshGatewayVirtualServiceHosts on VirtualService foo/productpage-d': 'hosts *.productpage.d and *.d differ; the more specific one wins, which is defined',
  '[virtualServiceConflictingMeshGatewayHostsWithExportTo] IST0109 ConflictingMeshGatewayVirtualServiceHosts on VirtualService bar/productpage-d': 'as above',
  '[virtualServiceGateways] IST0132 VirtualServiceHostNotFoundInGateway on VirtualService httpbin-bogus': 'the Gateway does not exist: reported once, as ZT411',
  '[authorizationpolicies] IST0127 NoMatchingWorkloadsFound on AuthorizationPolicy httpbin-empty/httpbin-empty-namespace-wide': 'a namespace with no workload in the input is not judged: its workloads may be deployed from elsewhere',
  '[DestinationRuleSubsetsNotSelectPods] IST0173 DestinationRuleSubsetNotSelectPods on DestinationRule default/subsets-not-select-pods': 'a Service whose pods are not in the input is not judged, as above',
};

test(`the analyzer reports the same problem on the same object for ${EXPECTED - Object.keys(DEVIATIONS).length} of Istio's ${EXPECTED} expected messages`, () => {
  const missed = CASES.flatMap((c) => OUTCOMES.get(c.name)!.missed.map((m) => `[${c.name}] ${m}`));
  expect(missed.sort()).toEqual(Object.keys(DEVIATIONS).sort());
  expect(MATCHED).toBe(EXPECTED - Object.keys(DEVIATIONS).length);
});

test('it reports no error in those families on an object Istio does not flag', () => {
  const falseErrors = CASES.flatMap((c) => OUTCOMES.get(c.name)!.extra.filter((f) => f.severity === 'error')
    .map((f) => `[${c.name}] ${f.code} ${f.kind} ${f.namespace}/${f.name}: ${f.message}`));
  expect(falseErrors).toEqual([]);
});

test('docs/analyzer.md states the measured agreement', () => {
  const docs = readFileSync(join(process.cwd(), 'docs/analyzer.md'), 'utf8');
  expect(docs).toContain(`${MATCHED} of Istio's ${EXPECTED} expected messages`);
});
