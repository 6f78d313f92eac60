import { parse, stringify } from 'yaml';
import { compareManifests, phaseOf, renderEnvironment, renderFiles, YAML_OPTIONS } from '../../manifests/index.js';
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

describe('an environment as a kustomize tree', () => {
  const files = renderEnvironment({
    environment: 'prod', rootNamespace: 'istio-system',
    manifests: [
      obj('Namespace', 'shop'), obj('ServiceAccount', 'api', 'shop'), obj('Deployment', 'api', 'shop'), obj('Service', 'api', 'shop'),
      obj('AuthorizationPolicy', 'api', 'shop'), obj('RequestAuthentication', 'api', 'shop'), obj('PeerAuthentication', 'default', 'istio-system'),
      obj('Gateway', 'edge', 'istio-system'), obj('VirtualService', 'api', 'shop'),
    ],
  });
  const kinds = (file: string) => [...files.get(file)!.matchAll(/^kind: (\w+)$/gm)].map((m) => m[1]);

  test('identities and policies go to security/, everything else to workloads/', () => {
    expect([...files.keys()]).toEqual([
      'kustomization.yaml',
      'security/kustomization.yaml', 'security/mesh.yaml', 'security/shop.yaml',
      'workloads/kustomization.yaml', 'workloads/mesh.yaml', 'workloads/shop.yaml',
    ]);
    expect(kinds('security/shop.yaml')).toEqual(['Namespace', 'ServiceAccount', 'RequestAuthentication', 'AuthorizationPolicy']);
    expect(kinds('security/mesh.yaml')).toEqual(['PeerAuthentication']);
    expect(kinds('workloads/shop.yaml')).toEqual(['Service', 'Deployment', 'VirtualService']);
    expect(kinds('workloads/mesh.yaml')).toEqual(['Gateway']);
    expect(phaseOf(obj('AuthorizationPolicy', 'x'))).toBe('security');
    expect(phaseOf(obj('StatefulSet', 'x'))).toBe('workloads');
  });

  test('the root kustomization lists security before workloads; each directory lists its files', () => {
    const root = parse(files.get('kustomization.yaml')!);
    expect(root).toEqual({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: ['security', 'workloads'] });
    expect(parse(files.get('workloads/kustomization.yaml')!).resources).toEqual(['mesh.yaml', 'shop.yaml']);
  });

  test('security/ is Argo CD sync wave -1, and its Namespaces are never pruned by Argo CD or Flux', () => {
    const security = parse(files.get('security/kustomization.yaml')!);
    expect(security.resources).toEqual(['mesh.yaml', 'shop.yaml']);
    expect(security.commonAnnotations).toEqual({ 'argocd.argoproj.io/sync-wave': '-1' });
    expect(security.patches).toHaveLength(1);
    expect(security.patches[0].target).toEqual({ kind: 'Namespace' });
    expect(parse(security.patches[0].patch).metadata.annotations).toEqual({
      'argocd.argoproj.io/sync-options': 'Prune=false', 'kustomize.toolkit.fluxcd.io/prune': 'disabled',
    });
  });

  test('every file says it is generated', () => {
    for (const [file, text] of files) expect([file, text.startsWith('# Generated by zero-trust-mesh from the mesh of environment "prod".')]).toEqual([file, true]);
  });
});
