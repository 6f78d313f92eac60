import { MeshWorkload, MeshWorkloadProps, ServicePort } from '../../constructs/index.js';
import { expectConfigError, find, findAll, newNamespace, synth } from './util.js';

const SELF = 'MeshWorkload "shop/db"';
const DB: MeshWorkloadProps = {
  image: 'example/db:1', ports: [ServicePort.tcp(5432, { suffix: 'pg' })],
  persistentVolumes: [{ name: 'data', path: '/var/lib/postgresql', size: '20Gi' }],
};

function db(props: Partial<MeshWorkloadProps> = {}) {
  const ns = newNamespace();
  const workload = new MeshWorkload(ns, 'db', { ...DB, ...props });
  return { ns, workload, objects: synth(ns.mesh) };
}

describe('a workload with persistent volumes', () => {
  test('is a StatefulSet governed by its Service, with a claim template per volume', () => {
    const { objects } = db({ persistentVolumes: [...DB.persistentVolumes!, { name: 'wal', path: '/wal', size: '1.5Gi', storageClassName: 'fast-ssd', accessMode: 'ReadWriteOncePod' }] });
    expect(findAll(objects, 'Deployment')).toEqual([]);
    const set = find(objects, 'StatefulSet', 'db');
    expect(set.spec.serviceName).toBe('db');
    expect(find(objects, 'Service', 'db')).toBeDefined();
    expect(set.spec.replicas).toBe(1);
    expect(set.spec.selector).toEqual({ matchLabels: { app: 'db' } });
    expect(set.spec.volumeClaimTemplates).toEqual([
      { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '20Gi' } } } },
      { metadata: { name: 'wal' }, spec: { accessModes: ['ReadWriteOncePod'], storageClassName: 'fast-ssd', resources: { requests: { storage: '1.5Gi' } } } },
    ]);
    const pod = set.spec.template.spec;
    expect(pod.containers[0].volumeMounts).toEqual([
      { name: 'writable-tmp', mountPath: '/tmp' },
      { name: 'data', mountPath: '/var/lib/postgresql' },
      { name: 'wal', mountPath: '/wal' },
    ]);
    // Only the writable paths are emptyDirs; the claims are not pod volumes.
    expect(pod.volumes).toEqual([{ name: 'writable-tmp', emptyDir: {} }]);
  });

  test('is granted like any workload: the policy selects its pods', () => {
    const ns = newNamespace();
    const store = new MeshWorkload(ns, 'db', DB);
    store.allowFrom(new MeshWorkload(ns, 'api', { image: 'example/api:1' }), { ports: [5432] });
    const policy = find(synth(ns.mesh), 'AuthorizationPolicy', 'db');
    expect(policy.spec.selector).toEqual({ matchLabels: { app: 'db' } });
    expect(policy.spec.rules[0].from[0].source.principals).toEqual(['cluster.local/ns/shop/sa/api']);
  });

  test.each<[string, Partial<MeshWorkloadProps>, string, RegExp]>([
    ['a relative path', { persistentVolumes: [{ name: 'data', path: 'data', size: '1Gi' }] }, 'persistentVolumes[0].path', /absolute directory/],
    ['the root directory', { persistentVolumes: [{ name: 'data', path: '/', size: '1Gi' }] }, 'persistentVolumes[0].path', /absolute directory/],
    ['a path also in writablePaths', { writablePaths: ['/var/lib/postgresql'] }, 'persistentVolumes[0].path', /also listed in writablePaths/],
    ['two volumes on one path', { persistentVolumes: [{ name: 'a', path: '/d', size: '1Gi' }, { name: 'b', path: '/d', size: '1Gi' }] }, 'persistentVolumes[1].path', /another persistent volume/],
    ['a duplicate name', { persistentVolumes: [{ name: 'a', path: '/d', size: '1Gi' }, { name: 'a', path: '/e', size: '1Gi' }] }, 'persistentVolumes[1].name', /declared twice/],
    ['a size that is no quantity', { persistentVolumes: [{ name: 'data', path: '/d', size: '10 GB' }] }, 'persistentVolumes[0].size', /"10Gi"/],
    ['a zero size', { persistentVolumes: [{ name: 'data', path: '/d', size: '0Gi' }] }, 'persistentVolumes[0].size', /not a storage size/],
    ['an unknown access mode', { persistentVolumes: [{ name: 'data', path: '/d', size: '1Gi', accessMode: 'RWO' as never }] }, 'persistentVolumes[0].accessMode', /ReadWriteOnce/],
    ['versions', { versions: [{ name: 'v1' }, { name: 'v2' }] }, 'persistentVolumes', /one version/],
    ['no ports', { ports: [] }, 'persistentVolumes', /needs a Service/],
  ])('refuses %s', (_, props, field, message) => {
    expectConfigError(() => db(props), SELF, field, message);
  });
});
