import { Construct } from 'constructs';
import {
  EnvValue, JwtIssuer, JwtProtectedService, Mesh, MeshApp, MeshIngress, MeshProps, MeshWorkload, ServicePort, ZeroTrustNamespace,
} from 'zero-trust-mesh';

/** What differs between our environments: plain data, ours to shape. */
export interface ShopEnvironment extends MeshProps {
  readonly host: string;
  readonly tlsCredentialName?: string;
  readonly issuer: JwtIssuer;
}

/** The shop: ingress → web → api (checks the user's token) → db. Nothing else may talk to anything. */
export class ShopMesh extends Mesh {
  constructor(scope: Construct, id: string, env: ShopEnvironment) {
    super(scope, id, env);
    const shop = new ZeroTrustNamespace(this, 'shop');
    const web = new MeshWorkload(shop, 'web', { image: 'ghcr.io/acme/web:1.4.2', ports: [ServicePort.http(8080)] });
    const api = new JwtProtectedService(shop, 'api', {
      image: 'ghcr.io/acme/api:2.0.1', ports: [ServicePort.http(8080)], issuers: [env.issuer],
    });
    const db = new MeshWorkload(shop, 'db', {
      image: 'docker.io/library/postgres:17.2',
      ports: [ServicePort.tcp(5432, { suffix: 'postgres' })],
      env: { POSTGRES_PASSWORD: EnvValue.fromSecretKey('db-credentials', 'password') },
      securityContext: { runAsUser: 999, runAsGroup: 999, readOnlyRootFilesystem: false },
      writablePaths: ['/var/lib/postgresql/data', '/var/run/postgresql'],
    });
    new MeshIngress(shop, 'shop', { host: env.host, service: web, tlsCredentialName: env.tlsCredentialName });
    api.allowFrom(web, { methods: ['GET', 'POST'], paths: ['/orders', '/orders/*'], reason: 'web places and lists orders' });
    db.allowFrom(api, { ports: [5432], reason: 'api owns the orders database' });
  }
}

const app = new MeshApp();
new ShopMesh(app, 'staging', {
  stage: 'staging', host: 'shop.staging.example.com', tlsCredentialName: 'shop-staging-tls',
  issuer: JwtIssuer.auth0({ domain: 'acme-staging.eu.auth0.com', audiences: ['https://shop.staging.example.com'] }),
});
new ShopMesh(app, 'prod', {
  stage: 'prod', host: 'shop.example.com', tlsCredentialName: 'shop-tls',
  issuer: JwtIssuer.okta({ domain: 'acme.okta.com', audiences: ['api://shop'] }),
});
app.synth();
