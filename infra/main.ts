// The reference mesh's cdk8s app (cdk8s.yaml `app`): one Mesh per environment under a MeshApp,
// whose synth() analyzes each and writes dist/<env>/, and the GitOps delivery (dist/delivery/).
// Run by `npm run synth` (zt-mesh synth), `npx cdk8s synth`, or `node --import tsx infra/main.ts`.
import { MeshApp } from 'zero-trust-mesh';
import { defineDelivery } from './delivery.js';
import { ENVIRONMENTS } from './environment.js';
import { defineReferenceMesh } from './reference-mesh.js';

const app = new MeshApp();
for (const env of Object.values(ENVIRONMENTS)) defineReferenceMesh(app, env);
defineDelivery(app, Object.values(ENVIRONMENTS));
app.synth();
