// docs/analyzer.md lists exactly the registered codes, with their severities.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKS, INPUT_CHECKS } from '../../analysis/index.js';

const rows = readFileSync(join(process.cwd(), 'docs', 'analyzer.md'), 'utf8').split('\n')
  .filter((l) => /^\| ZT\d{3} \|/.test(l))
  .map((l) => l.split('|').map((c) => c.trim()));

test('the table lists every registered code exactly once, in order', () => {
  expect(rows.map((r) => r[1])).toEqual([...INPUT_CHECKS, ...CHECKS].map((c) => c.code));
});

test('each row gives the check\'s severity and acknowledgement', () => {
  const table = new Map(rows.map((r) => [r[1], { severity: r[2], ack: r[3] }]));
  for (const c of CHECKS) expect([c.code, table.get(c.code)]).toEqual([c.code, { severity: c.severity, ack: c.acknowledgement ?? '' }]);
  for (const c of INPUT_CHECKS) expect([c.code, table.get(c.code)?.severity]).toEqual([c.code, c.severity]);
});

test('each row says what it finds, the fix and a source', () => {
  for (const r of rows) for (const cell of [r[4], r[5], r[6]]) expect([r[1], (cell ?? '').length > 0]).toEqual([r[1], true]);
});
