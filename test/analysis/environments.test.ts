// The analyzer on the reference mesh's three synthesized environments: no errors, and warnings
// only where the environment config acknowledges the risk.
import { acknowledgementAnnotation, type Exception, type Finding } from '../../analysis/index.js';
import { ENVIRONMENTS, EnvironmentConfig } from '../../infra/environment.js';
import { analyzeEnvironment, synthesizeEnvironment } from '../infra/reference.js';

const tally = (findings: readonly Finding[]) => {
  const out: Record<string, number> = {};
  for (const f of findings) out[`${f.severity} ${f.code}`] = (out[`${f.severity} ${f.code}`] ?? 0) + 1;
  return out;
};

const EXPECTED: Record<string, Record<string, number>> = {
  // The demos: PERMISSIVE mesh and five non-STRICT namespaces, the demo issuer on four
  // RequestAuthentications, the plain HTTP ingress, the two open httpbins; all acknowledged.
  dev: { 'warning ZT201': 6, 'warning ZT304': 4, 'warning ZT404': 1, 'warning ZT124': 2, 'info ZT401': 1 },
  // ZT401: the Istio Gateway selects the installed gateway's pods, which are not in the manifests.
  staging: { 'info ZT401': 1 },
  // prod's ingress is a Gateway API Gateway, whose gateway Istio deploys; its egress Gateway
  // selects gateway pods Helm installs.
  prod: { 'info ZT401': 1 },
};

/** Which acknowledgement each acknowledgeable code reads: the annotation, and the environment config's key. */
const ACK_OF: Record<string, [Exception, keyof EnvironmentConfig['acknowledgements']]> = {
  ZT201: ['non-strict-mtls', 'nonStrictMtls'], ZT304: ['demo-issuer', 'demoIssuer'],
  ZT404: ['plaintext-ingress', 'plaintextIngress'], ZT124: ['open-to-anyone', 'openToAnyone'],
};

describe.each(Object.values(ENVIRONMENTS).map((env) => [env.name, env] as [string, EnvironmentConfig]))('environment %s', (name, env) => {
  const synth = synthesizeEnvironment(env);
  const findings = analyzeEnvironment(synth);

  test('has no errors and exactly the expected findings', () => {
    expect(findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(tally(findings)).toEqual(EXPECTED[name]);
  });

  test('every warning is a risk the environment config acknowledges, with its reason', () => {
    for (const f of findings.filter((x) => x.severity === 'warning')) {
      const [exception, key] = ACK_OF[f.code]!;
      const reason = env.acknowledgements[key];
      expect(reason).toBeDefined();
      expect(f.message).toContain(`Acknowledged: "${reason}"`);
      const object = synth.manifests.find((m) => m.kind === f.kind && m.metadata.name === f.name && (m.metadata.namespace ?? null) === f.namespace)!;
      expect(object.metadata.annotations?.[acknowledgementAnnotation(exception)]).toBe(reason);
    }
  });
});

test('without its acknowledgements, dev\'s accepted risks are warnings naming the stage; without the annotations, errors', () => {
  const synthesized = synthesizeEnvironment({ ...ENVIRONMENTS.dev!, acknowledgements: {} });
  const findings = analyzeEnvironment(synthesized);
  expect(tally(findings)).toEqual({ 'warning ZT201': 6, 'warning ZT304': 4, 'warning ZT404': 1, 'warning ZT124': 2, 'info ZT401': 1 });
  expect(findings.filter((f) => f.severity === 'warning').every((f) => f.message.includes('Acknowledged: "permitted by stage dev'))).toBe(true);
  const stripped = synthesized.manifests.map((m) => ({ ...m, metadata: { ...m.metadata, annotations: Object.fromEntries(
    Object.entries(m.metadata.annotations ?? {}).filter(([key]) => !key.startsWith('zero-trust-mesh.io/acknowledged-'))) } }));
  expect(tally(analyzeEnvironment({ ...synthesized, manifests: stripped })))
    .toEqual({ 'error ZT201': 6, 'error ZT304': 4, 'error ZT404': 1, 'error ZT124': 2, 'info ZT401': 1 });
});

test('the analyzer\'s acknowledgement annotations are the ones the constructs write', async () => {
  const { acknowledgementAnnotation: written } = await import('../../constructs/index.js');
  const pairs: [Exception, Parameters<typeof written>[0]][] = [
    ['non-strict-mtls', 'nonStrictMtls'], ['insecure-issuer', 'insecureIssuer'], ['demo-issuer', 'demoIssuer'],
    ['open-to-anyone', 'openToAnyone'], ['plaintext-ingress', 'plaintextIngress'],
  ];
  for (const [analyzer, construct] of pairs) expect(acknowledgementAnnotation(analyzer)).toBe(written(construct));
});
