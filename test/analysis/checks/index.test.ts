// The analyzer's list of checks (analysis/checks/index.ts) and the helpers every check shares
// (analysis/checks/check.ts).
import { CHECKS, inCodeOrder } from '../../../analysis/checks/index.js';
import { ref, type Check } from '../../../analysis/checks/check.js';
import type { MeshObject } from '../../../analysis/model.js';

const check = (code: string): Check => ({ code, severity: 'info', area: 'input', title: `check ${code}`, run: () => [] });

test('every check, each code once, in code order', () => {
  const codes = CHECKS.map((c) => c.code);
  expect(codes).toEqual([...new Set(codes)].sort());
  expect(codes.length).toBeGreaterThan(90);
});

test('inCodeOrder sorts by code and refuses a code used twice', () => {
  expect(inCodeOrder([check('ZT201'), check('ZT101'), check('ZT110'), check('ZT102')]).map((c) => c.code)).toEqual(['ZT101', 'ZT102', 'ZT110', 'ZT201']);
  expect(() => inCodeOrder([check('ZT201'), check('ZT101'), check('ZT201')])).toThrow('Duplicate analyzer check code ZT201');
});

test('ref names an object as Kind namespace/name, a cluster-scoped one as Kind name', () => {
  const object = (kind: string, name: string, namespace?: string) => ({ kind, name, namespace } as MeshObject);
  expect(ref(object('AuthorizationPolicy', 'allow-nothing', 'shop'))).toBe('AuthorizationPolicy shop/allow-nothing');
  expect(ref(object('Namespace', 'shop'))).toBe('Namespace shop');
});
