import { App, Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { AuthorizationPolicy } from '../imports/security.istio.io.js';
import { AuthorizationPolicy as AP } from '@kubernetes-models/istio/security.istio.io/v1/AuthorizationPolicy';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';

test('loads', () => {
  const chart = new Chart(new App(), 'c');
  new AuthorizationPolicy(chart, 'ap', { metadata: { name: 'x', namespace: 'y' }, spec: { action: 'NOPE' as any } });
  new k8s.KubeNamespace(chart, 'ns', { metadata: { name: 'y' } });
  const objs = chart.toJson();
  expect(objs).toHaveLength(2);
  expect(() => new AP(objs[0]).validate()).toThrow();
  expect(() => new Deployment({ metadata: { name: 'a' }, spec: {} } as any).validate()).toThrow();
});
