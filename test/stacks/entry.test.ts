import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** Runs Pulumi.yaml's `main` in a plain Node process under mocks (see run-entry.mjs). */
function runEntry(stack: string, config: Record<string, string>, secretKeys: string[]): Record<string, unknown> {
  const result = spawnSync(process.execPath, ['test/stacks/run-entry.mjs', stack, JSON.stringify(config), JSON.stringify(secretKeys)], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`run-entry exited ${result.status}: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop()!);
}

describe('Pulumi project', () => {
  test('Pulumi.yaml names a nodejs program whose main exists and is loaded without ts-node', () => {
    const project = parse(readFileSync('Pulumi.yaml', 'utf8'));
    expect(project.name).toBe('zero-trust-mesh');
    expect(project.runtime).toMatchObject({ name: 'nodejs', options: { typescript: false } });
    expect(existsSync(project.main)).toBe(true);
  });

  test('the entry point runs the program as the language host would, and returns the outputs', () => {
    const out = runEntry('dev', { 'zero-trust-mesh:mysqlPassword': 'a-long-enough-dev-password' }, ['zero-trust-mesh:mysqlPassword']);
    expect(out.outputs).toMatchObject({ environment: 'dev', issuer: 'testing@secure.istio.io', istio: '1.30.3' });
    // The mesh's objects, the provider, two components, the istio-system namespace, three releases.
    expect(out.registered).toBe((out.outputs as { objects: number }).objects + 7);
  });

  test('a refused config surfaces as a RunError (no stack trace) before anything is registered', () => {
    const out = runEntry('prod', { 'zero-trust-mesh:mysqlPassword': 'a-long-enough-prod-password', 'zero-trust-mesh:mtls': 'DISABLE' }, ['zero-trust-mesh:mysqlPassword']);
    expect(out).toMatchObject({ runError: true, registered: 0 });
    expect(out.error).toMatch(/^Stack "prod" \(environment prod\): refused, from stack config zero-trust-mesh:mtls: /);
  });
});
