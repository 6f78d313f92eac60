// Reads what synth wrote with the package's analyzer and access simulator (its API, not its CLI)
// and prints one JSON line: the findings per environment and who may reach whom.
import { accessMatrix, AccessSimulator, analyzePaths, loadPaths, MeshModel } from 'zero-trust-mesh/analysis';

const report: Record<string, unknown> = {};
for (const env of ['dev', 'prod']) {
  const dir = `dist/${env}`;
  const findings = analyzePaths([dir]);
  const cells = await accessMatrix(new AccessSimulator(new MeshModel(loadPaths([dir]).objects)));
  report[env] = {
    errors: findings.filter((f) => f.severity === 'error').length,
    allowed: cells.filter((c) => c.outcome === 'allow').map((c) => `${c.from} -> ${c.to}:${c.port}${c.token ? ` (${c.token} token)` : ''}`).sort(),
  };
}
process.stdout.write(`${JSON.stringify(report)}\n`);
