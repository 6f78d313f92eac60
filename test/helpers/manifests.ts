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

/** The waypoint a workload's Service (named like its `app` label) is bound to in ambient mode, if any. */
export function waypointOf(manifests: readonly Manifest[], namespace: string, app: string): string | undefined {
  const service = manifests.find((m) => m.kind === 'Service' && m.metadata.namespace === namespace && m.metadata.name === app);
  return service?.metadata.labels?.['istio.io/use-waypoint'];
}

/**
 * The ALLOW policies where a workload's callers are checked by their own identity: those that
 * select it (by its `app` label) or its whole namespace, enforced at its sidecar or ztunnel; or,
 * when its Service is bound to a waypoint, those attached to the Service by `targetRefs`, enforced
 * at the waypoint (its ztunnel then sees only the waypoint: see `requireWaypointPrincipals`).
 */
export function allowPoliciesFor(manifests: readonly Manifest[], namespace: string, app: string): Obj[] {
  const atWaypoint = waypointOf(manifests, namespace, app) !== undefined;
  return objectsOfKind(manifests, 'AuthorizationPolicy').filter((p) => p.metadata.namespace === namespace
    && (p.spec?.action ?? 'ALLOW') === 'ALLOW'
    && (atWaypoint
      ? (p.spec?.targetRefs ?? []).some((t: any) => (t.group ?? '') === '' && t.kind === 'Service' && t.name === app)
      : !p.spec?.targetRefs && (!p.spec?.selector?.matchLabels || p.spec.selector.matchLabels.app === app)));
}

/** Ambient mode: the principals the workload's ztunnel admits by selector policy (the waypoint's, when bound). */
export function requireWaypointPrincipals(manifests: readonly Manifest[], namespace: string, app: string): string[] {
  return [...new Set(objectsOfKind(manifests, 'AuthorizationPolicy')
    .filter((p) => p.metadata.namespace === namespace && (p.spec?.action ?? 'ALLOW') === 'ALLOW' && !p.spec?.targetRefs
      && (!p.spec?.selector?.matchLabels || p.spec.selector.matchLabels.app === app))
    .flatMap((p) => (p.spec?.rules ?? []).flatMap((r: any) => (r.from ?? []).flatMap((f: any) => f.source?.principals ?? []))))].sort();
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
