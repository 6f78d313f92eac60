import {
  Acknowledgements, acknowledgementAnnotation, SecurityException, SecurityPosture, Stage, ZeroTrustConfigError,
} from '../../constructs/index.js';
import { catchConfigError, expectConfigError, newMesh } from './util.js';

const REPORT = { construct: 'Thing "x"', field: 'field', problem: 'it is insecure.', fix: 'make it secure.' };

/** Which stages refuse each exception unless acknowledged. */
const MATRIX: readonly [SecurityException, Stage, boolean][] = [
  ['nonStrictMtls', 'dev', false], ['nonStrictMtls', 'staging', false], ['nonStrictMtls', 'prod', true],
  ['insecureIssuer', 'dev', false], ['insecureIssuer', 'staging', true], ['insecureIssuer', 'prod', true],
  ['demoIssuer', 'dev', false], ['demoIssuer', 'staging', true], ['demoIssuer', 'prod', true],
  ['openToAnyone', 'dev', false], ['openToAnyone', 'staging', false], ['openToAnyone', 'prod', true],
  ['plaintextIngress', 'dev', false], ['plaintextIngress', 'staging', true], ['plaintextIngress', 'prod', true],
];

describe('SecurityPosture.permit', () => {
  test.each(MATRIX)('%s in %s: refused unless acknowledged = %s', (exception, stage, refused) => {
    const posture = new SecurityPosture('env', stage);
    if (refused) {
      const error = catchConfigError(() => posture.permit(exception, REPORT));
      expect(error.construct).toBe('Thing "x"');
      expect(error.field).toBe('field');
      expect(error.message).toBe(`Thing "x": field: it is insecure. Environment "env" (stage ${stage}) refuses this. Fix: make it secure. `
        + `If it is truly intended, acknowledge it in the environment config: acknowledgements.${exception}: "<reason>".`);
    } else {
      // Recorded, so the analyzer reports the risk as a warning naming the stage, not an error.
      expect(posture.permit(exception, REPORT)).toBe(`permitted by stage ${stage} (no reason given in acknowledgements.${exception})`);
    }
  });

  test.each(MATRIX.filter(([, , refused]) => refused))('%s in %s is passed when acknowledged, returning the reason', (exception, stage) => {
    const posture = new SecurityPosture('env', stage, { [exception]: 'because OPS-1' } as Acknowledgements);
    expect(posture.permit(exception, REPORT)).toBe('because OPS-1');
  });

  test('an acknowledgement of one exception does not pass another', () => {
    const posture = new SecurityPosture('env', 'prod', { openToAnyone: 'r' });
    expect(() => posture.permit('nonStrictMtls', REPORT)).toThrow(ZeroTrustConfigError);
  });

  test('an acknowledgement given where the stage allows the exception anyway is returned too, so it is recorded', () => {
    expect(new SecurityPosture('env', 'dev', { plaintextIngress: 'r' }).permit('plaintextIngress', REPORT)).toBe('r');
    expect(new SecurityPosture('env', 'dev', { openToAnyone: 'r' }).permit('plaintextIngress', REPORT)).toBe('permitted by stage dev (no reason given in acknowledgements.plaintextIngress)');
  });
});

describe('acknowledgementAnnotation', () => {
  test.each<[SecurityException, string]>([
    ['nonStrictMtls', 'zero-trust-mesh.io/acknowledged-non-strict-mtls'],
    ['insecureIssuer', 'zero-trust-mesh.io/acknowledged-insecure-issuer'],
    ['demoIssuer', 'zero-trust-mesh.io/acknowledged-demo-issuer'],
    ['openToAnyone', 'zero-trust-mesh.io/acknowledged-open-to-anyone'],
    ['plaintextIngress', 'zero-trust-mesh.io/acknowledged-plaintext-ingress'],
  ])('%s is recorded as %s', (exception, annotation) => {
    expect(acknowledgementAnnotation(exception)).toBe(annotation);
  });
});

describe('Acknowledgements validation (via Mesh props)', () => {
  test('refuses an unknown acknowledgement key', () => {
    expectConfigError(() => newMesh({ acknowledgements: { nonStrictMTLS: 'typo' } as unknown as Acknowledgements }),
      'Mesh "test"', 'acknowledgements.nonStrictMTLS',
      /"nonStrictMTLS" is not a known exception\. Fix: use one of nonStrictMtls, insecureIssuer, demoIssuer, openToAnyone, plaintextIngress, allowAnyEgress\./);
  });

  test.each(['', '   '])('refuses the empty reason %j', (reason) => {
    expectConfigError(() => newMesh({ acknowledgements: { openToAnyone: reason } }), 'Mesh "test"', 'acknowledgements.openToAnyone',
      /needs a reason\. Fix: write why the exception is acceptable/);
  });

  test('refuses a reason that is not a string', () => {
    expectConfigError(() => newMesh({ acknowledgements: { demoIssuer: true } as unknown as Acknowledgements }), 'Mesh "test"',
      'acknowledgements.demoIssuer', /Fix: write why the exception is acceptable/);
  });

  test('names the environment in the error', () => {
    expectConfigError(() => newMesh({ environment: 'prod-eu', acknowledgements: { bogus: 'x' } as unknown as Acknowledgements }),
      'Mesh "prod-eu"', 'acknowledgements.bogus', /Fix: use one of/);
  });

  test('the mesh exposes its posture', () => {
    const mesh = newMesh({ stage: 'staging', acknowledgements: { plaintextIngress: 'LB terminates TLS' } });
    expect(mesh.posture.stage).toBe('staging');
    expect(mesh.posture.environment).toBe('test');
    expect(mesh.posture.acknowledgements).toEqual({ plaintextIngress: 'LB terminates TLS' });
  });
});

describe('Acknowledgement keys', () => {
  test.each(['toString', 'constructor', 'hasOwnProperty'])('the built-in property name %s is not an exception', (key) => {
    expectConfigError(() => newMesh({ acknowledgements: { [key]: 'reason' } as never }), 'Mesh "test"', `acknowledgements.${key}`,
      /is not a known exception/);
  });
});
