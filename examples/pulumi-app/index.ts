import * as pulumi from '@pulumi/pulumi';
import { App } from 'cdk8s';
import { EnvValue, JwtIssuer, JwtProtectedService, Mesh, MeshWorkload, ServicePort, ZeroTrustNamespace } from 'zero-trust-mesh';
import { MeshDeployment } from 'zero-trust-mesh/pulumi';

const config = new pulumi.Config();
const stack = pulumi.getStack();

// The mesh, with the same constructs a cdk8s app would use; the issuer comes from stack config.
const mesh = new Mesh(new App(), stack, { stage: 'prod' });
const inventory = new ZeroTrustNamespace(mesh, 'inventory');
const issuer = JwtIssuer.oidc({ issuer: config.require('issuer'), jwksUri: `${config.require('issuer')}/jwks`, audiences: ['inventory'] });
const api = new JwtProtectedService(inventory, 'api', { image: 'ghcr.io/acme/inventory-api:5.0.0', ports: [ServicePort.http(8080)], issuers: [issuer] });
const stock = new MeshWorkload(inventory, 'stock', { image: 'ghcr.io/acme/stock:2.2.0', ports: [ServicePort.http(8080)] });
const cache = new MeshWorkload(inventory, 'cache', {
  image: 'docker.io/library/redis:7.4.1',
  ports: [ServicePort.tcp(6379, { suffix: 'redis' })],
  env: { REDIS_PASSWORD: EnvValue.fromSecretKey('cache-auth', 'password') },
  securityContext: { runAsUser: 999, runAsGroup: 999 },
  writablePaths: ['/data'],
});
stock.allowFrom(api, { methods: ['GET'], paths: ['/stock/*'], reason: 'api looks up stock levels' });
cache.allowFrom(stock, { ports: [6379], reason: 'stock caches counts' });

// Analyzed, ordered and registered by the component; the cache password stays a Pulumi secret.
const deployment = new MeshDeployment('inventory', {
  mesh,
  secrets: { 'inventory/cache-auth': { password: config.requireSecret('cachePassword') } },
  istio: { version: '1.30.3' },
});

export const namespaces = deployment.namespaces;
export const objects = deployment.objects.size;
