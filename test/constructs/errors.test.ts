import { checkDnsLabel, checkDnsSubdomain, checkHostName, checkPortNumber, suggestDnsLabel, ZeroTrustConfigError } from '../../constructs/errors.js';
import { expectConfigError } from './util.js';

describe('ZeroTrustConfigError', () => {
  test('carries construct, field, problem and fix, and reads as advice', () => {
    const error = new ZeroTrustConfigError('MeshWorkload "a/b"', 'ports[0].port', 'is wrong.', 'do this.');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ZeroTrustConfigError');
    expect(error).toMatchObject({ construct: 'MeshWorkload "a/b"', field: 'ports[0].port', problem: 'is wrong.', fix: 'do this.' });
    expect(error.message).toBe('MeshWorkload "a/b": ports[0].port: is wrong. Fix: do this.');
  });
});

describe('checks', () => {
  test.each([
    ['Products', 'products'], ['my_app', 'my-app'], ['__', 'name'], ['a--b_', 'a-b'], ['x'.repeat(70), 'x'.repeat(63)],
  ])('suggestDnsLabel(%j) is %j', (value, suggestion) => {
    expect(suggestDnsLabel(value)).toBe(suggestion);
  });

  test('checkDnsLabel accepts labels and refuses the rest with a suggestion', () => {
    expect(() => checkDnsLabel('a-1', 'C', 'f')).not.toThrow();
    expect(() => checkDnsLabel('x'.repeat(63), 'C', 'f')).not.toThrow();
    expectConfigError(() => checkDnsLabel('x'.repeat(64), 'C', 'f'), 'C', 'f', /Fix: use a name like/);
    expectConfigError(() => checkDnsLabel('a.b', 'C', 'f'), 'C', 'f', /Fix: use a name like "a-b"/);
  });

  test('checkDnsSubdomain accepts dots', () => {
    expect(() => checkDnsSubdomain('a.b-c', 'C', 'f')).not.toThrow();
    expectConfigError(() => checkDnsSubdomain('a..b', 'C', 'f'), 'C', 'f', /not a valid DNS-1123 subdomain/);
  });

  test.each([0, 65536, 1.5, Number.NaN])('checkPortNumber refuses %s', (port) => {
    expectConfigError(() => checkPortNumber(port, 'C', 'port'), 'C', 'port', /Fix: use an integer between 1 and 65535\./);
  });

  test('checkHostName refuses wildcards and non-host names', () => {
    expect(() => checkHostName('api.example.com', 'C', 'host')).not.toThrow();
    expectConfigError(() => checkHostName('*.example.com', 'C', 'host'), 'C', 'host', /wildcard host.*Fix: name the exact host/);
    expectConfigError(() => checkHostName('api.example.com/x', 'C', 'host'), 'C', 'host', /Fix: use a lower-case DNS name without scheme or port/);
  });
});
