import { IngressGateway } from '../../constructs/index.js';

describe('IngressGateway', () => {
  test('helmChart() defaults: release istio-ingressgateway in istio-system, label istio=ingressgateway', () => {
    const gateway = IngressGateway.helmChart();
    expect(gateway).toMatchObject({ namespace: 'istio-system', serviceAccount: 'istio-ingressgateway', selector: { istio: 'ingressgateway' } });
  });

  test('helmChart() with a release: the ServiceAccount is the release, the label drops "istio-"', () => {
    expect(IngressGateway.helmChart({ release: 'istio-public', namespace: 'edge' }))
      .toMatchObject({ namespace: 'edge', serviceAccount: 'istio-public', selector: { istio: 'public' } });
    expect(IngressGateway.helmChart({ release: 'gateway' }).selector).toEqual({ istio: 'gateway' });
  });

  test('istioctl(): istio-ingressgateway-service-account, label istio=ingressgateway', () => {
    expect(IngressGateway.istioctl()).toMatchObject({
      namespace: 'istio-system', serviceAccount: 'istio-ingressgateway-service-account', selector: { istio: 'ingressgateway' },
    });
  });

  test('as a caller, it is its ServiceAccount identity, with a sidecar', () => {
    expect(IngressGateway.of({ namespace: 'edge', serviceAccount: 'gw', selector: { app: 'gw' } }).toCallerIdentity()).toEqual({
      kind: 'workloads', identities: [{ namespace: 'edge', serviceAccount: 'gw' }], hasSidecar: true, description: 'ingress gateway edge/gw',
    });
  });

  test('copies the selector it is given', () => {
    const selector = { app: 'gw' };
    const gateway = IngressGateway.of({ namespace: 'edge', serviceAccount: 'gw', selector });
    selector.app = 'changed';
    expect(gateway.selector).toEqual({ app: 'gw' });
  });
});
