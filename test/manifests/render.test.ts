import { parse, stringify } from 'yaml';
import { compareManifests, renderFiles, YAML_OPTIONS } from '../../manifests/index.js';
import type { Manifest } from '../../manifests/index.js';

const obj = (kind: string, name: string, namespace?: string, extra: Record<string, unknown> = {}): Manifest => ({
  apiVersion: 'v1', kind, metadata: { name, ...(namespace ? { namespace } : {}) }, ...extra,
});

describe('rendering', () => {
  test('keys: apiVersion, kind, metadata, name, namespace first, then alphabetical; lists keep order', () => {
    const out = parse(stringify({ spec: { z: 1, a: [{ b: 1, name: 'n' }, 3] }, metadata: { namespace: 'x', name: 'y' }, kind: 'K', apiVersion: 'v' }, YAML_OPTIONS));
    expect(JSON.stringify(out)).toBe('{"apiVersion":"v","kind":"K","metadata":{"name":"y","namespace":"x"},"spec":{"a":[{"name":"n","b":1},3],"z":1}}');
  });

  test('objects: one file per namespace, mesh.yaml for the root namespace, sorted by kind rank then name', () => {
    const files = renderFiles([
      obj('AuthorizationPolicy', 'b', 'shop'), obj('Service', 'b', 'shop'), obj('Namespace', 'shop'),
      obj('Service', 'a', 'shop'), obj('PeerAuthentication', 'default', 'istio-system'),
    ], { rootNamespace: 'istio-system', header: 'hello\nworld' });
    expect([...files.keys()]).toEqual(['mesh.yaml', 'shop.yaml']);
    const shop = files.get('shop.yaml')!;
    expect(shop.startsWith('# hello\n# world\n---\n')).toBe(true);
    expect([...shop.matchAll(/kind: (\w+)\n metadata:\n {2}name: (\w+)/g)].length).toBe(0);
    const order = [...shop.matchAll(/^kind: (\w+)\nmetadata:\n {2}name: (\w+)/gm)].map((m) => `${m[1]}/${m[2]}`);
    expect(order).toEqual(['Namespace/shop', 'Service/a', 'Service/b', 'AuthorizationPolicy/b']);
    expect(compareManifests(obj('Service', 'a'), obj('Service', 'a'))).toBe(0);
  });

  test('long strings are never folded, so diffs stay one line per value', () => {
    const long = 'x'.repeat(300);
    const [yaml] = renderFiles([obj('ConfigMap', 'c', 'ns', { data: { k: `${long} ${long}` } })], { rootNamespace: 'istio-system', header: 'h' }).values();
    expect(yaml).toContain(`k: ${long} ${long}\n`);
  });

  test('a namespace that would overwrite mesh.yaml is refused', () => {
    expect(() => renderFiles([obj('Namespace', 'mesh')], { rootNamespace: 'istio-system', header: 'h' })).toThrow(/collide/);
  });
});
