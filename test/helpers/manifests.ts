// Finds objects in synthesized output and answers the questions reviewers ask of it.
import type { Manifest } from '../../manifests/index.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Obj = Manifest & { spec?: any };

/** The one object of that kind, namespace and name; fails loudly when missing or duplicated. */
export function findObject(manifests: readonly Manifest[], kind: string, namespace: string | undefined, name: string): Obj {
  const found = manifests.filter((m) => m.kind === kind && m.metadata.name === name && m.metadata.namespace === namespace);
  if (found.length !== 1) throw new Error(`expected exactly one ${kind} ${namespace ?? ''}/${name}, found ${found.length}`);
  return found[0] as Obj;
}

export function objectsOfKind(manifests: readonly Manifest[], kind: string): Obj[] {
  return manifests.filter((m) => m.kind === kind) as Obj[];
}

/** The namespace-level PeerAuthentication mode (the narrowest non-workload scope). */
export function namespaceMtls(manifests: readonly Manifest[], namespace: string): string {
  return findObject(manifests, 'PeerAuthentication', namespace, 'default').spec.mtls.mode;
}

/** ALLOW policies that select a workload (by its `app` label) or its whole namespace. */
export function allowPoliciesFor(manifests: readonly Manifest[], namespace: string, app: string): Obj[] {
  return objectsOfKind(manifests, 'AuthorizationPolicy').filter((p) => p.metadata.namespace === namespace
    && (p.spec?.action ?? 'ALLOW') === 'ALLOW'
    // A policy with targetRefs (a Gateway's, a waypoint's) never applies to a sidecar workload.
    && p.spec?.targetRefs === undefined && p.spec?.targetRef === undefined
    && (!p.spec?.selector?.matchLabels || p.spec.selector.matchLabels.app === app));
}

/** Every rule of every ALLOW policy on a workload. */
export function allowRulesFor(manifests: readonly Manifest[], namespace: string, app: string): any[] {
  return allowPoliciesFor(manifests, namespace, app).flatMap((p) => p.spec?.rules ?? []);
}

/** The principals any ALLOW rule of a workload admits, sorted. */
export function allowedPrincipals(manifests: readonly Manifest[], namespace: string, app: string): string[] {
  return [...new Set(allowRulesFor(manifests, namespace, app)
    .flatMap((r) => (r.from ?? []).flatMap((f: any) => f.source?.principals ?? [])))].sort();
}
