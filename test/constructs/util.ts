// Small helpers shared by the construct tests: build a mesh, find objects in its synthesized
// output, and check that a piece of config is refused with advice.
import { App } from 'cdk8s';
import { Mesh, MeshProps, MeshWorkload, MtlsMode, ServicePort, ZeroTrustConfigError, ZeroTrustNamespace, ZeroTrustNamespaceProps } from '../../constructs/index.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
  };
  readonly spec?: any;
  readonly [key: string]: any;
}

/** A mesh in the dev stage with STRICT mTLS, unless the props say otherwise. */
export function newMesh(props: MeshProps = {}): Mesh {
  return new Mesh(new App(), 'test', { stage: 'dev', mtls: MtlsMode.STRICT, ...props });
}

/** A mesh (see `newMesh`) with one namespace `shop`. */
export function newNamespace(props: MeshProps = {}, nsProps: ZeroTrustNamespaceProps = {}): ZeroTrustNamespace {
  return new ZeroTrustNamespace(newMesh(props), 'shop', nsProps);
}

/**
 * Two namespaces for the network tests: shop (api on 8000 → 8080, web on 80 → 8080) and billing
 * (ledger on TCP 5432), in a mesh made by `newMesh(meshProps)`.
 */
export function shopAndBilling(meshProps: MeshProps = {}) {
  const mesh = newMesh(meshProps);
  const shop = new ZeroTrustNamespace(mesh, 'shop');
  const billing = new ZeroTrustNamespace(mesh, 'billing');
  const image = (name: string) => `registry.example.com/${name}:1.0`;
  const api = new MeshWorkload(shop, 'api', { image: image('api'), ports: [ServicePort.http(8000, { targetPort: 8080 })] });
  const web = new MeshWorkload(shop, 'web', { image: image('web'), ports: [ServicePort.http(80, { targetPort: 8080 })] });
  const ledger = new MeshWorkload(billing, 'ledger', { image: image('ledger'), ports: [ServicePort.tcp(5432)] });
  return { mesh, shop, billing, api, web, ledger };
}

export function synth(mesh: Mesh): K8sObject[] {
  return mesh.toJson() as K8sObject[];
}

/** Every object of a kind, optionally with a given name (and namespace). */
export function findAll(objects: readonly K8sObject[], kind: string, name?: string, namespace?: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind
    && (name === undefined || o.metadata.name === name)
    && (namespace === undefined || o.metadata.namespace === namespace));
}

/** The one object of that kind and name (and namespace, when given); fails when not exactly one. */
export function find(objects: readonly K8sObject[], kind: string, name: string, namespace?: string): K8sObject {
  const found = findAll(objects, kind, name, namespace);
  if (found.length !== 1) {
    throw new Error(`expected exactly one ${kind} ${namespace ?? '*'}/${name}, found ${found.length}`);
  }
  return found[0]!;
}

/** Runs `fn` and returns the ZeroTrustConfigError it throws; fails when it throws nothing or something else. */
export function catchConfigError(fn: () => unknown): ZeroTrustConfigError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  if (caught === undefined) throw new Error('expected a ZeroTrustConfigError, but nothing was thrown');
  expect(caught).toBeInstanceOf(ZeroTrustConfigError);
  return caught as ZeroTrustConfigError;
}

/**
 * Expects `fn` to be refused with a ZeroTrustConfigError naming `construct` and `field`, whose
 * message matches `message` (typically the fix, `/Fix: .../`).
 */
export function expectConfigError(fn: () => unknown, construct: string, field: string, message: RegExp): ZeroTrustConfigError {
  const error = catchConfigError(fn);
  expect(error.construct).toBe(construct);
  expect(error.field).toBe(field);
  expect(error.message).toMatch(message);
  expect(error.name).toBe('ZeroTrustConfigError');
  return error;
}

/** Escapes a literal for use in a RegExp. */
export function literal(text: string): RegExp {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
}
