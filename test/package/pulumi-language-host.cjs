// Runs a Pulumi TypeScript program the way Pulumi's nodejs language host does, under the SDK's
// mocks (the Pulumi CLI cannot be installed here). The program's own @pulumi/pulumi does the
// work: its `cmd/run` entry (what the language host starts) registers ts-node exactly as
// `pulumi up` would (type-checking, the project's tsconfig.json), loads package.json's `main`
// and registers the stack's outputs. Only the resource monitor is Pulumi's mock instead of the
// engine. Run with the program's directory as the working directory;
// argv: <stack> <config json> <secret keys json>. Prints, at exit, one JSON line: every
// registration as the engine would see it (secret paths listed, values unwrapped), the stack
// outputs, and what the program logged as errors.
const { readFileSync } = require('node:fs');

const [stack, config, secretKeys] = process.argv.slice(2);
const fromProgram = (id) => require.resolve(id, { paths: [process.cwd()] });
const pulumi = require(fromProgram('@pulumi/pulumi'));

/** Pulumi's marker for a secret value on the wire (sdk/nodejs/runtime/rpc.ts). */
const SIG_KEY = '4dabf18193072939515e22adb298388d';
const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270';
const isSecret = (v) => typeof v === 'object' && v !== null && v[SIG_KEY] === SECRET_SIG;
/** The value with secrets unwrapped; the paths where they were go to `secrets`. */
function unwrap(value, at, secrets) {
  if (isSecret(value)) { secrets.push(at || '.'); return unwrap(value.value, at, []); }
  if (Array.isArray(value)) return value.map((v, i) => unwrap(v, `${at}[${i}]`, secrets));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrap(v, `${at}.${k}`, secrets)]));
  return value;
}

const project = /^name:\s*(\S+)/m.exec(readFileSync('Pulumi.yaml', 'utf8'))[1];
const registrations = [];
let outputs;
const errors = [];
pulumi.runtime.setMocks({
  newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
  call: (args) => args.inputs,
}, project, stack, false).then(() => {
  pulumi.runtime.setAllConfig(JSON.parse(config), JSON.parse(secretKeys));
  const monitor = pulumi.runtime.getMonitor();
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => register(req, (err, resp) => {
    if (!err && resp) {
      const secrets = [];
      const inputs = unwrap(req.getObject()?.toJavaScript() ?? {}, '', secrets);
      registrations.push({ type: req.getType(), name: req.getName(), urn: resp.getUrn(), parent: req.getParent(), custom: req.getCustom(), inputs, secrets, dependencies: req.getDependenciesList() });
    }
    callback(err, resp);
  });
  const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req, callback) => {
    if (req.getUrn().includes('::pulumi:pulumi:Stack::')) outputs = unwrap(req.getOutputs()?.toJavaScript() ?? {}, '', []);
    return registerOutputs(req, callback);
  };
  // The language host reports a failed program through the engine's log; with no engine the
  // SDK writes to stderr, which the test reads.
  process.on('exit', (code) => {
    process.stdout.write(`${JSON.stringify({ code, outputs, registrations })}\n`);
  });
  // What the language host runs: `node <sdk>/cmd/run <flags> <program>`, with
  // `PULUMI_NODEJS_TYPESCRIPT` from Pulumi.yaml's `runtime.options.typescript` (default true).
  process.env.PULUMI_NODEJS_TYPESCRIPT = 'true';
  process.argv = [process.argv[0], fromProgram('@pulumi/pulumi/cmd/run'), `--monitor=mock`, `--project=${project}`, `--stack=${stack}`, '.'];
  require(fromProgram('@pulumi/pulumi/cmd/run'));
});
