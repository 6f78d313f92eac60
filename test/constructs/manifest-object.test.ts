import { ApiObject, App, Chart, JsonPatch, Lazy } from 'cdk8s';
import { ManifestObject } from '../../constructs/manifest-object.js';
import { ENVIRONMENTS } from '../../infra/environment.js';
import { defineReferenceMesh } from '../../infra/reference-mesh.js';

/** cdk8s's own rendering of an object's metadata, the reference ManifestObject must equal. */
const cdk8sMetadata = (o: ApiObject): unknown => o.metadata.toJson();

function object(metadata: Record<string, unknown> = { name: 'web', namespace: 'shop' }, body: Record<string, unknown> = {}): ManifestObject {
  const chart = new Chart(new App(), 'test');
  return new ManifestObject(chart, 'web', { apiVersion: 'v1', kind: 'ConfigMap', metadata, ...body });
}

describe('ManifestObject metadata', () => {
  test('renders the manifest metadata exactly as cdk8s does, keys sorted', () => {
    const o = object({ name: 'web', namespace: 'shop', labels: { b: '2', a: '1' }, annotations: { note: 'x' } });
    const json = o.toJson();
    expect(json.metadata).toEqual(cdk8sMetadata(o));
    expect(JSON.stringify(json.metadata)).toBe(JSON.stringify(cdk8sMetadata(o)));
    expect(Object.keys(json.metadata)).toEqual(['annotations', 'labels', 'name', 'namespace']);
  });

  test('honours labels, annotations, finalizers, owners and attributes added after construction', () => {
    const o = object();
    o.metadata.addLabel('team', 'payments');
    o.metadata.addAnnotation('reason', 'audit');
    o.metadata.addFinalizers('example.com/cleanup');
    o.metadata.addOwnerReference({ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: '1234' });
    o.metadata.add('generateName', 'web-');
    const json = o.toJson();
    expect(json.metadata).toEqual({
      annotations: { reason: 'audit' }, finalizers: ['example.com/cleanup'], generateName: 'web-',
      labels: { team: 'payments' }, name: 'web', namespace: 'shop',
      ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: '1234' }],
    });
    expect(JSON.stringify(json.metadata)).toBe(JSON.stringify(cdk8sMetadata(o)));
  });

  test('drops empty maps and lists and resolves Lazy values, like cdk8s', () => {
    const o = object({ name: 'web', labels: {}, annotations: { later: Lazy.any({ produce: () => 'produced' }) } });
    expect(o.toJson().metadata).toEqual({ name: 'web', annotations: { later: 'produced' } });
    expect(o.toJson().metadata).toEqual(cdk8sMetadata(o));
  });

  test('takes chart-wide labels and namespace, like any ApiObject', () => {
    const chart = new Chart(new App(), 'test', { labels: { env: 'dev' }, namespace: 'ops' });
    const o = new ManifestObject(chart, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' } });
    expect(o.toJson().metadata).toEqual({ labels: { env: 'dev' }, name: 'cm', namespace: 'ops' });
    expect(o.toJson().metadata).toEqual(cdk8sMetadata(o));
  });
});

describe('ManifestObject body', () => {
  test('resolves Lazy values and drops undefined entries, keeping empty maps and list order', () => {
    const o = object({ name: 'web' }, {
      data: { a: Lazy.any({ produce: () => 'late' }), gone: undefined, nothing: null },
      spec: { list: [3, 1, 2], empty: {} },
    });
    expect(o.toJson()).toEqual({
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web' },
      data: { a: 'late' }, spec: { list: [3, 1, 2], empty: {} },
    });
  });

  test('produces each Lazy once, also in a map that loses entries', () => {
    let produced = 0;
    const o = object({ name: 'web' }, { data: { a: Lazy.any({ produce: () => `call ${++produced}` }), gone: null, b: 'kept' } });
    expect(o.toJson().data).toStrictEqual({ a: 'call 1', b: 'kept' });
    expect(produced).toBe(1);
  });

  test('drops a nested Lazy that produces nothing, at any depth', () => {
    const o = object({ name: 'web' }, {
      spec: { inner: { later: Lazy.any({ produce: () => undefined }), keep: 1 }, items: [{ a: { b: Lazy.any({ produce: () => 'x' }) } }] },
    });
    expect(o.toJson().spec).toStrictEqual({ inner: { keep: 1 }, items: [{ a: { b: 'x' } }] });
  });

  test('returns a copy: changing the JSON does not change the object', () => {
    const o = object({ name: 'web' }, { spec: { list: [1], nested: { map: { k: 'v' } } } });
    const first = o.toJson();
    first.spec.list.push(2);
    first.spec.nested.map.k = 'changed';
    expect(o.toJson().spec).toStrictEqual({ list: [1], nested: { map: { k: 'v' } } });
  });

  test('a produced body is made at every render, after the metadata, and used as it is', () => {
    let calls = 0;
    const chart = new Chart(new App(), 'test');
    const o = new ManifestObject(chart, 'web', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web' } }, () => {
      calls += 1;
      return { data: { call: String(calls) } };
    });
    expect(calls).toBe(0);
    o.metadata.addLabel('late', 'yes');
    const first = o.toJson();
    expect(first).toStrictEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { labels: { late: 'yes' }, name: 'web' }, data: { call: '1' } });
    expect(Object.keys(first)).toEqual(['apiVersion', 'kind', 'metadata', 'data']);
    expect(o.toJson().data).toStrictEqual({ call: '2' });
  });

  test('refuses a body field given both in the manifest and by the producer', () => {
    const chart = new Chart(new App(), 'test');
    expect(() => new ManifestObject(chart, 'web', { apiVersion: 'v1', kind: 'ConfigMap', data: { a: '1' } }, () => ({ data: { b: '2' } })))
      .toThrow(/ManifestObject test\/web: "data" is given both in the manifest and by produceBody/);
  });

  test('refuses a class instance in the body, with advice', () => {
    class Opaque { public readonly x = 1; }
    expect(() => object({ name: 'web' }, { spec: new Opaque() }).toJson()).toThrow(/cannot render a Opaque as Kubernetes JSON; pass plain data/);
  });

  test('applies JSON patches, the cdk8s escape hatch, at every render, leaving the manifest as given', () => {
    const o = object({ name: 'web' }, { data: { a: '1' } });
    o.addJsonPatch(JsonPatch.add('/data/b', '2'), JsonPatch.replace('/data/a', 'one'));
    expect(o.toJson().data).toStrictEqual({ a: 'one', b: '2' });
    expect(o.toJson().data).toStrictEqual({ a: 'one', b: '2' });
  });
});

describe('Mesh.toJson', () => {
  // cdk8s's own Chart.toJson, which builds the app-wide dependency graph.
  const viaCdk8s = (chart: Chart): unknown[] => Chart.prototype.toJson.call(chart);

  test.each(Object.keys(ENVIRONMENTS))('%s: the same objects in the same order as cdk8s\'s Chart.toJson', (name) => {
    const mesh = defineReferenceMesh(new App(), ENVIRONMENTS[name]!);
    expect(JSON.stringify(mesh.toJson())).toBe(JSON.stringify(viaCdk8s(mesh)));
  });

  test('follows declared dependencies, through cdk8s', () => {
    const mesh = defineReferenceMesh(new App(), ENVIRONMENTS.dev!);
    const objects = mesh.node.findAll().filter((c): c is ApiObject => ApiObject.isApiObject(c));
    const [first, last] = [objects[0]!, objects[objects.length - 1]!];
    first.addDependency(last);
    const names = (mesh.toJson() as { metadata: { name: string } }[]).map((o) => o.metadata.name);
    expect(names.indexOf(last.metadata.name!)).toBeLessThan(names.indexOf(first.metadata.name!));
  });

  test('runs every construct\'s validations', () => {
    const mesh = defineReferenceMesh(new App(), ENVIRONMENTS.dev!);
    mesh.node.findAll()[3]!.node.addValidation({ validate: () => ['something is off'] });
    expect(() => mesh.toJson()).toThrow(/Validation failed with the following errors:\n {2}\[.+\] something is off/);
  });
});
