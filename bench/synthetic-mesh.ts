import { App } from 'cdk8s';
import { JwtIssuer, JwtProtectedService, Mesh, MtlsMode, ServicePort, ZeroTrustNamespace } from 'zero-trust-mesh';

/** Workloads per namespace in the synthetic mesh (so N workloads span N/10 namespaces). */
export const WORKLOADS_PER_NAMESPACE = 10;

/**
 * A synthetic mesh of `workloads` services with the reference mesh's mix: each is a
 * `JwtProtectedService` (ServiceAccount, Deployment, Service, RequestAuthentication,
 * AuthorizationPolicy), called by the previous one in its namespace with identity and token
 * (GET on /api paths), and each namespace's first service by the previous namespace's last.
 */
export function defineSyntheticMesh(app: App, workloads: number): Mesh {
  const mesh = new Mesh(app, `synthetic-${workloads}`, { environment: `synthetic-${workloads}`, stage: 'prod', mtls: MtlsMode.STRICT });
  const issuer = JwtIssuer.oidc({ issuer: 'https://login.example.com', jwksUri: 'https://login.example.com/.well-known/jwks.json', audiences: ['api://synthetic'] });
  const port = ServicePort.http(8000, { targetPort: 8080 });
  let previous: JwtProtectedService | undefined;
  let namespace: ZeroTrustNamespace | undefined;
  for (let i = 0; i < workloads; i += 1) {
    if (i % WORKLOADS_PER_NAMESPACE === 0) namespace = new ZeroTrustNamespace(mesh, `team-${String(i / WORKLOADS_PER_NAMESPACE).padStart(4, '0')}`);
    const service = new JwtProtectedService(namespace!, `svc-${String(i).padStart(5, '0')}`, {
      image: 'ghcr.io/example/service:1.0.0', ports: [port], issuers: [issuer], forwardOriginalToken: true,
    });
    if (previous) service.allowFrom(previous, { methods: ['GET'], paths: ['/api', '/api/*'], reason: 'calls the next service' });
    previous = service;
  }
  return mesh;
}
