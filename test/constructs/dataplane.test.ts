import { Dataplane, MeshWorkload, ZeroTrustNamespace } from '../../constructs/index.js';
import { expectConfigError, find, newMesh, synth } from './util.js';

describe('Dataplane', () => {
  test('sidecar: the injection label on the namespace; a pod opts out with sidecar.istio.io/inject=false', () => {
    expect(Dataplane.SIDECAR.namespaceLabels()).toEqual({ 'istio-injection': 'enabled' });
    expect(Dataplane.SIDECAR.podLabels(true)).toEqual({});
    expect(Dataplane.SIDECAR.podLabels(false)).toEqual({ 'sidecar.istio.io/inject': 'false' });
    expect(Dataplane.SIDECAR.isAmbient).toBe(false);
  });

  test('ambient: istio.io/dataplane-mode=ambient and no injection label; a pod opts out with dataplane-mode=none', () => {
    expect(Dataplane.AMBIENT.namespaceLabels()).toEqual({ 'istio.io/dataplane-mode': 'ambient' });
    expect(Dataplane.AMBIENT.podLabels(true)).toEqual({});
    expect(Dataplane.AMBIENT.podLabels(false)).toEqual({ 'istio.io/dataplane-mode': 'none' });
    expect(Dataplane.AMBIENT.isAmbient).toBe(true);
  });

  test('of() reads environment config, and refuses anything else naming where it came from', () => {
    expect(Dataplane.of('sidecar')).toBe(Dataplane.SIDECAR);
    expect(Dataplane.of('ambient')).toBe(Dataplane.AMBIENT);
    expectConfigError(() => Dataplane.of('Ambient' as never, 'environment "staging"', 'dataplane'), 'environment "staging"', 'dataplane',
      /"Ambient" is not a data-plane mode\. Fix: use "sidecar" or "ambient"/);
  });

  test('the mesh\'s data plane is every namespace\'s default; a namespace may override it', () => {
    const mesh = newMesh({ dataplane: Dataplane.AMBIENT });
    const shop = new ZeroTrustNamespace(mesh, 'shop');
    const legacy = new ZeroTrustNamespace(mesh, 'legacy', { dataplane: Dataplane.SIDECAR });
    new MeshWorkload(shop, 'batch', { image: 'batch:1.0', sidecar: false });
    expect(shop.dataplane).toBe(Dataplane.AMBIENT);
    expect(legacy.dataplane).toBe(Dataplane.SIDECAR);
    const objects = synth(mesh);
    expect(find(objects, 'Namespace', 'shop').metadata.labels).toEqual({ 'istio.io/dataplane-mode': 'ambient' });
    expect(find(objects, 'Namespace', 'legacy').metadata.labels).toEqual({ 'istio-injection': 'enabled' });
    expect(find(objects, 'Deployment', 'batch', 'shop').spec.template.metadata.labels['istio.io/dataplane-mode']).toBe('none');
  });

  test('a mesh without a data plane runs sidecars', () => {
    const mesh = newMesh();
    expect(new ZeroTrustNamespace(mesh, 'shop').dataplane).toBe(Dataplane.SIDECAR);
  });
});
