import { spawnSync } from 'node:child_process';

/** A smoke run of `npm run bench` at N=20: it runs end to end and ends with its JSON summary. */
test('the benchmark runs at N=20 and prints its table and JSON summary', () => {
  const result = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/run.ts', '--sizes', '20', '--runs', '1', '--pulumi-sizes', '20'], { encoding: 'utf8' });
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.status).toBe(0);
  const lines = result.stdout.trim().split('\n');
  expect(lines[0]).toMatch(/^\s*N\s+objects\s+floor s\s+synth s/);
  expect(lines[1]).toMatch(/^\s+20\s+\d+/);
  const summary = JSON.parse(lines[lines.length - 1]!);
  expect(Object.keys(summary)).toEqual(['synthOverFloor1000', 'growth1000to3000', 'pulumiOverBare1000', 'matrix1000Seconds', 'analyze1000Seconds']);
  // At N=20 the "1000" figures fall back to the largest size run; every ratio is a positive number.
  for (const key of ['synthOverFloor1000', 'pulumiOverBare1000', 'matrix1000Seconds', 'analyze1000Seconds']) {
    expect(summary[key]).toBeGreaterThan(0);
  }
  expect(summary.growth1000to3000).toBeNull();
});
