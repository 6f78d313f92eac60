import {
  AuthorizationPolicy, AuthorizationPolicyProps, PeerAuthentication, PeerAuthenticationProps,
  RequestAuthentication, RequestAuthenticationProps,
} from '../imports/security.istio.io.js';
import type { ApiObjectMetadata, GroupVersionKind } from 'cdk8s';
import type { PlainManifest } from './manifest-object.js';

/**
 * Istio's security objects as plain JSON, straight from the props generated into imports/.
 *
 * In security.istio.io every generated field name is the API's own: `cdk8s import` renames a
 * field only when the API's name is not camel case (in Istio, only networking's
 * `consecutive5xxErrors` and `mirror_percent`), and these kinds have no wrapper classes, only
 * string enums whose values are the API's. So the props already are the wire format, and the
 * generated `manifest()` converter, which rebuilds every map once per key, is skipped: these
 * objects are written for every workload, and that converter alone cost a fifth of building a
 * thousand workloads (see README "Benchmark"). test/constructs/security-manifest.test.ts holds
 * every object the project synthesizes equal to what the generated converter makes of it.
 */
export const SecurityManifest = {
  authorizationPolicy(props: AuthorizationPolicyProps): PlainManifest {
    return securityManifest(AuthorizationPolicy.GVK, props);
  },
  peerAuthentication(props: PeerAuthenticationProps): PlainManifest {
    return securityManifest(PeerAuthentication.GVK, props);
  },
  requestAuthentication(props: RequestAuthenticationProps): PlainManifest {
    return securityManifest(RequestAuthentication.GVK, props);
  },
} as const;

/**
 * The generated props of these kinds have exactly two fields, `metadata` and `spec` (the test
 * holds the types to that), so they are named rather than spread: spreading two objects into a
 * third is a runtime call per object, twice per workload.
 */
function securityManifest(gvk: GroupVersionKind, props: { readonly metadata?: ApiObjectMetadata; readonly spec?: unknown }): PlainManifest {
  return { apiVersion: gvk.apiVersion, kind: gvk.kind, metadata: props.metadata, spec: props.spec };
}
