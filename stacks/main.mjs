// The Pulumi program's entry point (Pulumi.yaml `main`). Pulumi imports it as an ES module; tsx
// then loads the TypeScript program, so there is no build step (as for bin/zt-mesh.mjs).
// The default export is called by Pulumi; its result becomes the stack outputs.
import { register } from 'tsx/esm/api';

register();
const { program } = await import('./program.ts');

export default program;
