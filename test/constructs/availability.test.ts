import { MeshWorkload, MeshWorkloadProps, ServicePort } from '../../constructs/index.js';
import { expectConfigError, find, findAll, newNamespace, synth } from './util.js';

const SELF = 'MeshWorkload "shop/api"';

function api(props: Partial<MeshWorkloadProps> = {}) {
  const ns = newNamespace();
  new MeshWorkload(ns, 'api', { image: 'example/api:1', ports: [ServicePort.http(8080)], ...props });
  return synth(ns.mesh);
}

describe('disruption budget', () => {
  test('none for a single pod; maxUnavailable 1 over every pod from two on', () => {
    expect(findAll(api(), 'PodDisruptionBudget')).toEqual([]);
    expect(find(api({ replicas: 2 }), 'PodDisruptionBudget', 'api').spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: { app: 'api' } } });
  });

  test('given explicitly, or turned off', () => {
    expect(find(api({ replicas: 4, disruptionBudget: { minAvailable: '50%' } }), 'PodDisruptionBudget', 'api').spec)
      .toEqual({ minAvailable: '50%', selector: { matchLabels: { app: 'api' } } });
    expect(findAll(api({ replicas: 4, disruptionBudget: false }), 'PodDisruptionBudget')).toEqual([]);
  });

  test.each<[string, Partial<MeshWorkloadProps>, string, RegExp]>([
    ['a budget that lets no pod go', { replicas: 3, disruptionBudget: { maxUnavailable: 0 } }, 'disruptionBudget.maxUnavailable', /node drain/],
    ['minAvailable equal to the pods', { replicas: 2, disruptionBudget: { minAvailable: 2 } }, 'disruptionBudget.minAvailable', /require fewer than 2 pods/],
    ['minAvailable 100%', { replicas: 2, disruptionBudget: { minAvailable: '100%' } }, 'disruptionBudget.minAvailable', /node drain/],
    ['both fields', { replicas: 2, disruptionBudget: { minAvailable: 1, maxUnavailable: 1 } }, 'disruptionBudget', /keep one/],
    ['a bad percentage', { replicas: 2, disruptionBudget: { maxUnavailable: '150%' } }, 'disruptionBudget.maxUnavailable', /percentage/],
  ])('refuses %s', (_, props, field, message) => {
    expectConfigError(() => api(props), SELF, field, message);
  });
});

describe('autoscaling', () => {
  test('an HPA per controller on CPU; the Deployment carries no replicas; a budget from minReplicas', () => {
    const objects = api({ autoscaling: { minReplicas: 2, maxReplicas: 10, cpuUtilization: 60 } });
    expect(find(objects, 'HorizontalPodAutoscaler', 'api').spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' },
      minReplicas: 2, maxReplicas: 10,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } }],
    });
    expect(find(objects, 'Deployment', 'api').spec.replicas).toBeUndefined();
    expect(find(objects, 'PodDisruptionBudget', 'api')).toBeDefined();
  });

  test('one HPA per version', () => {
    const objects = api({ versions: [{ name: 'v1' }, { name: 'v2' }], autoscaling: { minReplicas: 1, maxReplicas: 3 } });
    expect(findAll(objects, 'HorizontalPodAutoscaler').map((h) => h.spec.scaleTargetRef.name)).toEqual(['api-v1', 'api-v2']);
  });

  test.each<[string, Partial<MeshWorkloadProps>, string, RegExp]>([
    ['replicas beside autoscaling', { replicas: 2, autoscaling: { minReplicas: 2, maxReplicas: 4 } }, 'replicas', /reset the autoscaler/],
    ['a version\'s replicas beside autoscaling', { versions: [{ name: 'v1', replicas: 2 }], autoscaling: { minReplicas: 2, maxReplicas: 4 } }, 'versions[0].replicas', /reset the autoscaler/],
    ['max below min', { autoscaling: { minReplicas: 3, maxReplicas: 2 } }, 'autoscaling.maxReplicas', /below minReplicas/],
    ['min of zero', { autoscaling: { minReplicas: 0, maxReplicas: 2 } }, 'autoscaling.minReplicas', /at least 1/],
  ])('refuses %s', (_, props, field, message) => {
    expectConfigError(() => api(props), SELF, field, message);
  });
});

describe('topology spread', () => {
  const spreadOf = (objects: ReturnType<typeof api>, name = 'api') => find(objects, 'Deployment', name).spec.template.spec.topologySpreadConstraints;

  test('soft spread over nodes and zones from two pods on, none for one', () => {
    expect(spreadOf(api())).toBeUndefined();
    expect(spreadOf(api({ replicas: 2 }))).toEqual(['kubernetes.io/hostname', 'topology.kubernetes.io/zone'].map((topologyKey) => ({
      maxSkew: 1, topologyKey, whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app: 'api' } },
    })));
    // An autoscaler that may add pods spreads them too.
    expect(spreadOf(api({ autoscaling: { minReplicas: 1, maxReplicas: 3 } }))).toHaveLength(2);
  });

  test('custom keys, or none', () => {
    expect(spreadOf(api({ replicas: 2, spreadAcross: ['topology.kubernetes.io/zone'] })).map((c: { topologyKey: string }) => c.topologyKey)).toEqual(['topology.kubernetes.io/zone']);
    expect(spreadOf(api({ replicas: 2, spreadAcross: [] }))).toBeUndefined();
  });

  test('each version spreads its own pods', () => {
    const objects = api({ replicas: 2, versions: [{ name: 'v1' }, { name: 'v2' }] });
    expect(spreadOf(objects, 'api-v2')[0].labelSelector).toEqual({ matchLabels: { app: 'api', version: 'v2' } });
  });

  test('refuses a key that is no label key', () => {
    expectConfigError(() => api({ replicas: 2, spreadAcross: ['not a key'] }), SELF, 'spreadAcross[0]', /topology.kubernetes.io\/zone/);
  });
});
