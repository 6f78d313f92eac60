// An ES module app: two environments of a payments mesh, as data, through one MeshApp.
import { Callers, JwtIssuer, JwtProtectedService, Mesh, MeshApp, MeshWorkload, MtlsMode, ServicePort, ZeroTrustNamespace } from 'zero-trust-mesh';
import type { Acknowledgements, Stage } from 'zero-trust-mesh';

interface Environment {
  readonly stage: Stage;
  readonly mtls: MtlsMode;
  readonly issuer: JwtIssuer;
  readonly acknowledgements?: Acknowledgements;
}

const environments: Record<string, Environment> = {
  dev: {
    stage: 'dev',
    mtls: MtlsMode.PERMISSIVE,
    issuer: JwtIssuer.oidc({ issuer: 'https://login.dev.example.com', jwksUri: 'https://login.dev.example.com/jwks', audiences: ['payments'] }),
    acknowledgements: { nonStrictMtls: 'dev: the legacy batch importer has no sidecar yet (PAY-12)' },
  },
  prod: {
    stage: 'prod',
    mtls: MtlsMode.STRICT,
    issuer: JwtIssuer.oidc({ issuer: 'https://login.example.com', jwksUri: 'https://login.example.com/jwks', audiences: ['payments'] }),
  },
};

export function definePayments(mesh: Mesh, env: Environment): void {
  const payments = new ZeroTrustNamespace(mesh, 'payments');
  const checkout = new MeshWorkload(payments, 'checkout', { image: 'ghcr.io/acme/checkout:3.1.0', ports: [ServicePort.http(8080)] });
  const ledger = new JwtProtectedService(payments, 'ledger', {
    image: 'ghcr.io/acme/ledger:1.9.0', ports: [ServicePort.http(9000)], issuers: [env.issuer],
  });
  const audit = new MeshWorkload(payments, 'audit', { image: 'ghcr.io/acme/audit:0.4.0', ports: [ServicePort.grpc(7000)] });
  ledger.allowFrom(checkout, { methods: ['POST'], paths: ['/entries'], reason: 'checkout books payments' });
  audit.allowFrom(Callers.anyAuthenticatedWorkload(), { reason: 'every service reports audit events' });
}

const app = new MeshApp();
for (const [name, env] of Object.entries(environments)) {
  definePayments(new Mesh(app, name, { stage: env.stage, mtls: env.mtls, acknowledgements: env.acknowledgements }), env);
}
app.synth();
