import { App } from 'cdk8s';
import {
  AuthorizationPolicy, AuthorizationPolicyProps, AuthorizationPolicySpecAction, PeerAuthentication, PeerAuthenticationProps,
  PeerAuthenticationSpecMtlsMode, PeerAuthenticationSpecPortLevelMtlsMode, RequestAuthentication, RequestAuthenticationProps,
  toJson_AuthorizationPolicySpec, toJson_PeerAuthenticationSpec, toJson_RequestAuthenticationSpec,
} from '../../imports/security.istio.io.js';
import { SecurityManifest } from '../../constructs/security-manifest.js';
import { defineSyntheticMesh } from '../../bench/synthetic-mesh.js';
import { ENVIRONMENTS } from '../../infra/environment.js';
import { synthesizeEnvironment } from '../infra/reference.js';
import type { Manifest } from '../../manifests/index.js';

/** What cdk8s's generated converter makes of a spec, by kind: the reference SecurityManifest must equal. */
const CONVERTERS: Record<string, (spec: never) => unknown> = {
  AuthorizationPolicy: toJson_AuthorizationPolicySpec,
  PeerAuthentication: toJson_PeerAuthenticationSpec,
  RequestAuthentication: toJson_RequestAuthenticationSpec,
};

/** True when `T`'s fields are exactly `K`: SecurityManifest copies `metadata` and `spec` by name. */
type HasExactly<T, K extends PropertyKey> = [keyof T] extends [K] ? ([K] extends [keyof T] ? true : false) : false;
const generatedPropsFields: [
  HasExactly<AuthorizationPolicyProps, 'metadata' | 'spec'>,
  HasExactly<PeerAuthenticationProps, 'metadata' | 'spec'>,
  HasExactly<RequestAuthenticationProps, 'metadata' | 'spec'>,
] = [true, true, true]; // a compile error here: the generator added a field that SecurityManifest must copy

describe('SecurityManifest', () => {
  test('the generated props of the three kinds have exactly metadata and spec', () => {
    expect(generatedPropsFields).toEqual([true, true, true]);
  });

  test('gives what the generated manifest() gives, for every field the props can carry', () => {
    const policy: AuthorizationPolicyProps = {
      metadata: { name: 'p', namespace: 'ns', labels: { app: 'a' }, annotations: { why: 'test' } },
      spec: {
        action: AuthorizationPolicySpecAction.DENY,
        provider: { name: 'ext' },
        selector: { matchLabels: { app: 'a' } },
        targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw', namespace: 'ns' }],
        rules: [{
          from: [{ source: {
            principals: ['td/ns/a/sa/b'], notPrincipals: ['x'], requestPrincipals: ['iss/sub'], notRequestPrincipals: ['y'],
            namespaces: ['n'], notNamespaces: ['m'], ipBlocks: ['10.0.0.0/8'], notIpBlocks: ['10.1.0.0/16'],
            remoteIpBlocks: ['1.2.3.4'], notRemoteIpBlocks: ['5.6.7.8'], serviceAccounts: ['ns/sa'], notServiceAccounts: ['ns/other'],
          } }],
          to: [{ operation: {
            hosts: ['h'], notHosts: ['nh'], ports: ['8080'], notPorts: ['9090'], methods: ['GET'], notMethods: ['POST'], paths: ['/a'], notPaths: ['/b'],
          } }],
          when: [{ key: 'request.auth.claims[groups]', values: ['g'], notValues: ['h'] }],
        }],
      },
    };
    expect(SecurityManifest.authorizationPolicy(policy)).toStrictEqual(AuthorizationPolicy.manifest(policy));

    const peer = {
      metadata: { name: 'default', namespace: 'ns' },
      spec: {
        selector: { matchLabels: { app: 'a' } },
        mtls: { mode: PeerAuthenticationSpecMtlsMode.STRICT },
        portLevelMtls: { 8080: { mode: PeerAuthenticationSpecPortLevelMtlsMode.PERMISSIVE } },
      },
    };
    expect(SecurityManifest.peerAuthentication(peer)).toStrictEqual(PeerAuthentication.manifest(peer));

    const request = {
      metadata: { name: 'jwt', namespace: 'ns' },
      spec: {
        selector: { matchLabels: { app: 'a' } },
        jwtRules: [{
          issuer: 'https://issuer', jwksUri: 'https://issuer/jwks', audiences: ['api'], forwardOriginalToken: true,
          fromHeaders: [{ name: 'x-jwt', prefix: 'Bearer ' }], fromParams: ['token'], fromCookies: ['session'],
          outputPayloadToHeader: 'x-payload', outputClaimToHeaders: [{ header: 'x-sub', claim: 'sub' }], timeout: '5s',
        }],
      },
    };
    expect(SecurityManifest.requestAuthentication(request)).toStrictEqual(RequestAuthentication.manifest(request));
  });

  const synthesized: [string, () => readonly Manifest[]][] = [
    ...Object.entries(ENVIRONMENTS).map(([name, env]): [string, () => readonly Manifest[]] => [name, () => synthesizeEnvironment(env).manifests]),
    ['a synthetic mesh of 20 workloads', () => defineSyntheticMesh(new App(), 20).toJson() as Manifest[]],
  ];
  test.each(synthesized)('%s: every security object is what the generated converter makes of it', (_name, synth) => {
    const objects = synth().filter((o) => o.kind in CONVERTERS);
    expect(objects.length).toBeGreaterThan(0);
    for (const o of objects) {
      const spec = (o as { spec?: unknown }).spec;
      expect(spec).toStrictEqual(CONVERTERS[o.kind]!(spec as never));
    }
  });
});
