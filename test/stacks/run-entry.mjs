// Loads the Pulumi program through Pulumi.yaml's `main`, as the nodejs language host does (an ES
// module import), under Pulumi's mocks. Prints one JSON line: the outputs or the error, and how
// many resources were registered. Used by entry.test.ts; argv: <stack> <config json> <secret keys json>.
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';
import * as pulumi from '@pulumi/pulumi';
import { parse } from 'yaml';

const [stack, config, secretKeys] = process.argv.slice(2);
await pulumi.runtime.setMocks({
  newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
  call: (args) => args.inputs,
}, 'zero-trust-mesh', stack, false);
pulumi.runtime.setAllConfig(JSON.parse(config), JSON.parse(secretKeys));
let registered = 0;
const monitor = pulumi.runtime.getMonitor();
const register = monitor.registerResource.bind(monitor);
monitor.registerResource = (req, callback) => { registered += 1; return register(req, callback); };

const project = parse(readFileSync('Pulumi.yaml', 'utf8'));
const entry = await import(pathToFileURL(path.resolve(project.main)).href);
if (Object.keys(entry).join() !== 'default') throw new Error('the entry must have a default export only (Pulumi refuses both)');
try {
  const outputs = await entry.default();
  await pulumi.runtime.disconnect();
  process.stdout.write(`${JSON.stringify({ outputs, registered })}\n`);
} catch (error) {
  await pulumi.runtime.disconnect();
  process.stdout.write(`${JSON.stringify({ error: error.message, runError: error instanceof pulumi.RunError, registered })}\n`);
}
