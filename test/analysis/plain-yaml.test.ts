// The fast reader (issue 20) must give exactly the values the `yaml` package gives, or hand the
// text back (undefined) so that `yaml` reads it. Differential: every text is read by both.
import fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { loadAll } from 'js-yaml';
import { isPlainSubset, readPlainYaml, YAML_CORE_SCHEMA } from '../../analysis/plain-yaml.js';

/** What `parseManifests` sees today: the documents' values, or undefined when `yaml` reports anything. */
function yamlValues(text: string): unknown[] | undefined {
  const documents = parseAllDocuments(text, { logLevel: 'error' });
  const list = Array.isArray(documents) ? documents : [];
  if (list.some((doc) => doc.errors.length > 0 || doc.warnings.length > 0)) return undefined;
  try {
    return list.map((doc) => doc.toJS({ maxAliasCount: 100 }) as unknown);
  } catch {
    return undefined;
  }
}

/** Deep equality that sees what `toEqual` does not: key order, -0, own `__proto__`, prototypes. */
function sameValue(a: unknown, b: unknown, path = '$'): string | undefined {
  if (typeof a !== typeof b) return `${path}: ${typeof a} vs ${typeof b}`;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') {
    return Object.is(a, b) ? undefined : `${path}: ${String(a)} vs ${String(b)}`;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return `${path}: list vs map`;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return `${path}: prototypes differ`;
  const ka = Reflect.ownKeys(a);
  const kb = Reflect.ownKeys(b);
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) return `${path}: keys ${ka.map(String).join(',')} vs ${kb.map(String).join(',')}`;
  for (const k of ka) {
    const da = Object.getOwnPropertyDescriptor(a, k)!;
    const db = Object.getOwnPropertyDescriptor(b, k)!;
    if (da.enumerable !== db.enumerable) return `${path}.${String(k)}: enumerability differs`;
    const d = sameValue(da.value, db.value, `${path}.${String(k)}`);
    if (d) return d;
  }
  return undefined;
}

/** The property every text must have: the fast reader agrees with `yaml`, or declines. */
function agrees(text: string): string | undefined {
  const fast = readPlainYaml(text);
  if (fast === undefined) return undefined;
  const slow = yamlValues(text);
  if (slow === undefined) return 'yaml reports an error or warning, the fast reader a value';
  return sameValue(fast, slow);
}

/** Asserts that `text` takes the fast path, with `expected`, and that `yaml` gives the same. */
function expectFast(text: string, expected: unknown[]): void {
  const fast = readPlainYaml(text);
  expect(fast).toBeDefined();
  expect(sameValue(fast, expected)).toBeUndefined();
  expect(sameValue(fast, yamlValues(text))).toBeUndefined();
}

/** What would go wrong if js-yaml read `text` unchecked (see the pre-scan's rules below). */
function whyDeclined(text: string): 'yaml' | 'js-yaml' | 'differ' | 'same' {
  const slow = yamlValues(text);
  if (slow === undefined) return 'yaml';
  let raw: unknown[];
  try {
    raw = loadAll(text, null, { schema: YAML_CORE_SCHEMA });
  } catch {
    return 'js-yaml';
  }
  return sameValue(raw, slow) === undefined ? 'same' : 'differ';
}

/** Asserts that `text` is handed back to `yaml`. */
function expectFallback(text: string): void {
  expect(readPlainYaml(text)).toBeUndefined();
}

// ---- the grammar of YAML-ish texts ---------------------------------------------------------

const TRICKY = [
  'null', 'Null', 'NULL', '~', 'nULL', 'true', 'True', 'TRUE', 'tRUE', 'false', 'False', 'FALSE', 'yes', 'no', 'on', 'off', 'y', 'n',
  '0', '-0', '+0', '00', '017', '08', '0o17', '0o8', '-0o7', '0O7', '0x1F', '0xff', '0X1F', '-0x1', '+0x1', '0x', '0o', '0b101', '1_000',
  '1.', '-1.', '.5', '-.5', '+.5', '+1', '1e3', '1E-3', '1.5e+3', '.5e3', '+.5e3', '1.e3', '1e400', '-1e400', '1e', 'e3', '0.0', '-0.0',
  '1.0', '1.10', '12345678901234567890', '9007199254740993', '-9007199254740993', '.inf', '-.inf', '+.inf', '.Inf', '.INF', '.iNF',
  '.nan', '.NaN', '.NAN', '+.nan', '-.NaN', 'inf', 'nan', 'NaN', 'Infinity', '2001-12-14', '1:20', '0777', '.', '-', '+', '+-1',
  'a: b', 'a:b', 'a #b', 'a#b', '*a', 'a*', '/api/*', '&a', 'a&b', '!a', '!!str', '%a', '?a', '? a', '<<', '__proto__', 'constructor',
  'toString', '@a', '`a', '- a', '-a', ':a', 'a:', '"a"', "'a'", '[a]', '{a}', 'a, b', '---', '...', '--- a', 'é', 'a\\nb', '\\U0001F600',
  '', ' ', 'a  b', 'http://x:80/a', 'GET /api,/api/* with x', 'rule[0] from a: GET', 'x\ty',
];
const KEYS = ['a', 'b', 'kind', 'apiVersion', 'name', '__proto__', 'constructor', 'toString', 'null', '~', '', '1', '01', '1.0', 'true', '-0', '0', '0x1', '<<', 'a b', 'a: b', 'a#b', 'é'];
const LINES = ['x', 'a b', '  more', '', '#c', '- l', 'k: v', '"q"', '---', '...', ' ', '\\t'];

const plain = fc.constantFrom(...TRICKY);
const text = fc.oneof(plain, fc.string({ maxLength: 5 }), fc.string({ unit: fc.constantFrom('a', ' ', ':', '#', '-', '"', "'", '\\', '\n', '*', '&', '!', '[', ']', '{', '}', ',', '?', '%', '.', '0', '1', 'e'), maxLength: 8 }));

const singleQuoted = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const doubleQuoted = (s: string): string => JSON.stringify(s);
const ESCAPES = ['\\x41', '\\u00e9', '\\N', '\\_', '\\L', '\\P', '\\t', '\\/', '\\0', '\\ ', '\\"', '\\e', '\\a', '\\q', '\\U0001F600', '\\u', '\\\n  '];

type Scalar = (indent: number, inFlow: boolean) => string;
const scalar: fc.Arbitrary<Scalar> = fc.oneof(
  plain.map((s): Scalar => () => s),
  text.map((s): Scalar => () => s),
  text.map((s): Scalar => () => singleQuoted(s)),
  text.map((s): Scalar => () => doubleQuoted(s)),
  fc.tuple(text, fc.constantFrom(...ESCAPES), text).map(([a, e, b]): Scalar => () => `"${a.replace(/["\\\n]/g, '')}${e}${b.replace(/["\\\n]/g, '')}"`),
  // Multi-line plain and quoted scalars, folded by both readers.
  fc.tuple(plain, plain, fc.constantFrom('', '\n')).map(([a, b, blank]): Scalar => (indent) => `${a}\n${blank}${' '.repeat(indent + 1)}${b}`),
  fc.tuple(text, text).map(([a, b]): Scalar => (indent) => `"${a.replace(/["\\\n]/g, '')}\n${' '.repeat(indent + 1)}${b.replace(/["\\\n]/g, '')}"`),
  // Block scalars, with chomping and indentation indicators, blank and more-indented lines.
  fc.tuple(fc.constantFrom('|', '|-', '|+', '>', '>-', '>+', '|2', '>1-', '| # c'), fc.array(fc.constantFrom(...LINES), { minLength: 0, maxLength: 5 }), fc.constantFrom('', '\n', '\n\n'))
    .map(([head, lines, tail]): Scalar => (indent, inFlow) => (inFlow ? '"in flow"' : `${head}\n${lines.map((l) => (l === '' ? '' : ' '.repeat(indent + 2) + l)).join('\n')}${tail}`)),
);
const key = fc.oneof(fc.constantFrom(...KEYS), fc.constantFrom(...KEYS).map((k) => `${k} `), fc.constantFrom(...KEYS).map(doubleQuoted), fc.constantFrom(...KEYS).map(singleQuoted), fc.constantFrom('[a]', '{a: 1}', '? a', '&k a', '*k', '!t a'));

type Node = { render: (indent: number, inFlow: boolean) => string; block: boolean };
const { node } = fc.letrec<{ node: Node; map: Node; seq: Node; flowMap: Node; flowSeq: Node }>((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar.map((s): Node => ({ render: s, block: false })), tie('map'), tie('seq'), tie('flowMap'), tie('flowSeq')),
  map: fc.array(fc.tuple(key, tie('node'), fc.constantFrom('', ' # c', ' ', '  #c:', '\n# between', '\n      # deeper', '\n\n')), { minLength: 1, maxLength: 4 }).map((pairs): Node => ({
    block: true,
    render: (indent, inFlow) => (inFlow ? `{${pairs.map(([k, v]) => `${k}: ${v.render(indent, true)}`).join(', ')}}`
      : pairs.map(([k, v, c], i) => `${i === 0 ? '' : ' '.repeat(indent)}${k}:${v.block ? `${c}\n${' '.repeat(indent + 2)}${v.render(indent + 2, false)}` : ` ${v.render(indent, false)}${c}`}`).join('\n')),
  })),
  seq: fc.tuple(fc.array(tie('node'), { minLength: 1, maxLength: 4 }), fc.boolean()).map(([items, compact]): Node => ({
    block: true,
    render: (indent, inFlow) => (inFlow ? `[${items.map((v) => v.render(indent, true)).join(', ')}]`
      : items.map((v, i) => `${i === 0 ? '' : ' '.repeat(indent)}-${v.block && !compact ? `\n${' '.repeat(indent + 2)}` : ' '}${v.render(indent + 2, false)}`).join('\n')),
  })),
  flowMap: fc.tuple(fc.array(fc.tuple(key, tie('node')), { maxLength: 3 }), fc.constantFrom(', ', ',', ',\n  ', ' , ')).map(([pairs, sep]): Node => ({
    block: false,
    render: (indent) => `{${pairs.map(([k, v]) => `${k}: ${v.render(indent + 1, true)}`).join(sep.replace('\n', `\n${' '.repeat(indent)}`))}}`,
  })),
  flowSeq: fc.tuple(fc.array(tie('node'), { maxLength: 3 }), fc.constantFrom(', ', ',', ',\n  ', ' ,'), fc.boolean()).map(([items, sep, trailing]): Node => ({
    block: false,
    render: (indent) => `[${items.map((v) => v.render(indent + 1, true)).join(sep.replace('\n', `\n${' '.repeat(indent)}`))}${trailing && items.length > 0 ? ',' : ''}]`,
  })),
}));

const document = fc.tuple(fc.option(node, { nil: undefined, freq: 6 }), fc.constantFrom('', '# head\n', '\n', '---\n', '--- # c\n', '--- '), fc.constantFrom('', '\n', '\n...\n', '\n# tail\n'))
  .map(([n, head, tail]) => `${head}${n ? n.render(0, false) : ''}${tail}`);
const MUTATIONS = [' ', '\t', ':', ': ', '-', '- ', '#', ' #', '*', '&a ', '!', '%', '?', '[', ']', '{', '}', ',', '"', "'", '\n', '\r', '|', '>', '---\n', '...\n', '<<', '~', 'null', '\\', '\uFEFF', '\u0085', '\u2028', '  ', '\n  '];
const mutation = fc.tuple(fc.nat(), fc.constantFrom(...MUTATIONS));
const stream = fc.tuple(
  fc.array(document, { minLength: 0, maxLength: 3 }),
  fc.constantFrom('\n', '\n---\n', '---\n'),
  fc.array(mutation, { maxLength: 2 }),
  fc.constantFrom('', '', '', 'crlf', 'bom', 'tabs'),
).map(([docs, sep, mutations, variant]) => {
  let t = docs.join(sep);
  for (const [at, m] of mutations) {
    const i = t.length === 0 ? 0 : at % (t.length + 1);
    t = t.slice(0, i) + m + t.slice(i);
  }
  if (variant === 'crlf') t = t.replace(/\n/g, '\r\n');
  if (variant === 'bom') t = `\uFEFF${t}`;
  if (variant === 'tabs') t = t.replace(/: /, ':\t');
  return t;
});

// ---- the tests -------------------------------------------------------------------------------

describe('readPlainYaml', () => {
  it('agrees with the yaml package on every text it reads, and reads none that yaml reports on', () => {
    // While the pre-scan's rules were written this ran locally with PLAIN_YAML_RUNS=20000 to
    // 200000 (each divergence found became a rule and an example below; the last 200,000-text
    // run: 83,085 texts clean to yaml, 27,967 on the fast path, no divergence). The suite keeps a
    // quick run.
    const numRuns = Number(process.env.PLAIN_YAML_RUNS ?? 300);
    let fast = 0;
    let clean = 0;
    fc.assert(fc.property(stream, (t) => {
      const problem = agrees(t);
      if (problem) throw new Error(`${problem} for ${JSON.stringify(t)}`);
      if (readPlainYaml(t) !== undefined) fast++;
      if (yamlValues(t) !== undefined) clean++;
    }), { numRuns });
    if (process.env.PLAIN_YAML_RUNS) console.log(`${numRuns} texts: yaml clean ${clean}, fast path ${fast}`);
    // The property says nothing if the fast reader declines everything: a fair share of the
    // texts must take it.
    expect(fast).toBeGreaterThan(numRuns / 10);
  });

  describe('resolves plain scalars as the yaml package\'s YAML 1.2 core schema does', () => {
    it('null and booleans, and the YAML 1.1 spellings as strings', () => {
      // A block sequence: in a flow one, a null after `,` is declined (it could be a flow map's key).
      const spellings = ['~', 'null', 'Null', 'NULL', 'nULL', 'true', 'True', 'TRUE', 'tRUE', 'false', 'False', 'FALSE', 'yes', 'no', 'on', 'off', 'y', 'n'];
      expectFast(spellings.map((s) => `- ${s}\n`).join(''),
        [[null, null, null, null, 'nULL', true, true, true, 'tRUE', false, false, false, 'yes', 'no', 'on', 'off', 'y', 'n']]);
      expectFast('a:\nb: ""\n', [{ a: null, b: '' }]);
    });
    it('integers: decimal (leading zeros and signs included), 0o and 0x; not 0b, _ or sexagesimal', () => {
      expectFast('[0, -0, +0, 017, 08, +1, 0o17, 0x1F, 0xff, 0o8, 0O7, 0X1F, -0x1, 0b101, 1_000, 1:20]\n',
        [[0, -0, 0, 17, 8, 1, 15, 31, 255, '0o8', '0O7', '0X1F', '-0x1', '0b101', '1_000', '1:20']]);
      // Past 2^53 both round the same way (parseInt), neither makes a BigInt.
      expectFast('[12345678901234567890, 9007199254740993]\n', [[12345678901234567000, 9007199254740992]]);
    });
    it('floats: fractions, exponents, infinities and NaN spelled three ways each', () => {
      expectFast('[1., .5, -.5, +.5, 1e3, 1E-3, 1.5e+3, .5e3, 1.e3, 1e400, -1e400, -0.0, 1.10, 1e, e3, .]\n',
        [[1, 0.5, -0.5, 0.5, 1000, 0.001, 1500, 500, 1000, Infinity, -Infinity, -0, 1.1, '1e', 'e3', '.']]);
      expectFast('[.inf, -.inf, +.inf, .Inf, .INF, .iNF, .nan, .NaN, .NAN, +.nan, inf, nan, NaN]\n',
        [[Infinity, -Infinity, Infinity, Infinity, Infinity, '.iNF', NaN, NaN, NaN, '+.nan', 'inf', 'nan', 'NaN']]);
    });
    it('quoted scalars and block scalars as strings', () => {
      expectFast('a: "1"\nb: \'true\'\nc: |\n  x\n\n  y\nd: >-\n  p\n  q\ne: |+\n  z\n\n', [{ a: '1', b: 'true', c: 'x\n\ny\n', d: 'p q', e: 'z\n\n' }]);
      expectFast('a: "\\x41\\u00e9\\t"\n', [{ a: 'A\u00e9\t' }]);
    });
  });

  describe('documents', () => {
    it('gives one value per document, null for an empty one, as yaml does', () => {
      expectFast('a: 1\n---\n', [{ a: 1 }, null]);
      expectFast('---\n---\nb: 2\n...\n', [null, { b: 2 }]);
      expectFast('', []);
    });
    it('hands a stream of comments only to yaml (js-yaml sees one empty document, yaml none)', () => {
      expectFallback('# nothing here\n');
      expect(yamlValues('# nothing here\n')).toEqual([]);
    });
    it('reads CRLF line breaks', () => {
      expectFast('a: 1\r\nb:\r\n  - x\r\n', [{ a: 1, b: ['x'] }]);
    });
  });

  it('keeps __proto__ and constructor as own keys, as yaml does', () => {
    const fast = readPlainYaml('__proto__: {polluted: 1}\nconstructor: x\n')!;
    expectFast('__proto__: {polluted: 1}\nconstructor: x\n', fast);
    const map = fast[0] as Record<string, unknown>;
    expect(Object.getPrototypeOf(map)).toBe(Object.prototype);
    expect(Object.keys(map)).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  // Each rule of the pre-scan, with a text where yaml reports an error or a warning ('yaml'),
  // js-yaml throws ('js-yaml'), the values differ ('differ'), or, for a rule kept as a precaution,
  // the two agree on this text today ('same').
  it.each<[string, string, 'yaml' | 'js-yaml' | 'differ' | 'same']>([
    ['an anchor and an alias', 'a: &x 1\nb: *x\n', 'same'],
    ['a tag', 'a: !foo 1\n', 'yaml'],
    ['a directive', '%FOO bar\n---\na: 1\n', 'yaml'],
    ['a merge key', 'a: {x: 1}\nb:\n  <<: {y: 2}\n', 'same'],
    ['an explicit key', '? a\n: 1\n', 'same'],
    ['an empty key', ': 1\n', 'js-yaml'],
    ['a null key', 'null: 1\n', 'differ'],
    ['a null key in a flow map', '{a: 1, ~}\n', 'differ'],
    ['a collection key', '[a]: 1\n', 'differ'],
    ['a collection key in a flow map', '{[a]}\n', 'differ'],
    ['a duplicate key', 'a: 1\na: 2\n', 'yaml'],
    ['a duplicate key by value', '1: a\n01: b\n', 'yaml'],
    ['a key more than 1024 characters long', `${'k'.repeat(1100)}: 1\n`, 'yaml'],
    ['a byte order mark', '\uFEFF- a\n', 'yaml'],
    ['a tab', 'a:\t1\n', 'same'],
    ['a lone CR', 'a: 1\rb: 2\n', 'yaml'],
    ['a NEL', 'a: x\u0085y\n', 'same'],
    ['a document marker with more after it', '--- a: 1\n', 'yaml'],
    ['four dashes', '----\n', 'differ'],
    ['a comment right after a flow collection', '- []#c\n', 'yaml'],
    ['a block scalar indentation indicator', '>1-\n  x\n', 'differ'],
    ['a line of spaces only', '|\n   \n  x\n', 'yaml'],
    ['an empty sequence entry', '-\n  - \n- b\n', 'differ'],
    ['an escaped line break in double quotes', '"a\\\n\n    "\n', 'differ'],
    ['a \\U escape', '"\\U00110000"\n', 'yaml'],
    ['a flow end at the start of a line', 'a: [\n  1\n]\n', 'same'],
    ['nesting past 100 levels', `${'['.repeat(150)}${']'.repeat(150)}\n`, 'js-yaml'],
  ])('hands %s to yaml', (_what, text, why) => {
    expectFallback(text);
    expect(whyDeclined(text)).toBe(why);
  });

  it('takes the fast path for the benchmark\'s kind of manifest', () => {
    const policy = [
      'apiVersion: security.istio.io/v1', 'kind: AuthorizationPolicy', 'metadata:', '  name: svc-00010', '  namespace: team-0001', '  annotations:',
      '    zero-trust-mesh.io/grants: "rule[0] from workload team-0000/svc-00009: GET /api,/api/* with end-user token (calls the next service)"',
      'spec:', '  action: ALLOW', '  rules:', '    - from:', '        - source:', '            principals:', '              - cluster.local/ns/team-0000/sa/svc-00009',
      '            requestPrincipals:', '              - https://login.example.com/*', '      to:', '        - operation:', '            methods:', '              - GET',
      '            paths:', '              - /api', '              - /api/*', '  selector:', '    matchLabels:', '      app: svc-00010',
    ].join('\n');
    const deployment = [
      'apiVersion: apps/v1', 'kind: Deployment', 'metadata:', '  name: svc-00010', '  namespace: team-0001', 'spec:', '  replicas: 1', '  template:',
      '    spec:', '      containers:', '        - name: app', '          ports:', '            - containerPort: 8080', '      volumes:', '        - name: tmp',
      '          emptyDir: {}',
    ].join('\n');
    const text = `# benchmark\n---\n${policy}\n---\n${deployment}\n---\nkind: AuthorizationPolicy\nspec: {}\n`;
    const fast = readPlainYaml(text);
    expect(fast).toBeDefined();
    expect(sameValue(fast, yamlValues(text))).toBeUndefined();
    const rule = (fast![0] as { spec: { rules: { to: { operation: { paths: string[] } }[] }[] } }).spec.rules[0]!;
    expect(rule.to[0]!.operation.paths).toEqual(['/api', '/api/*']);
    expect(isPlainSubset(text)).toBe(true);
  });
});
