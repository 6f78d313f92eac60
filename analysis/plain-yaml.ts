/**
 * A fast reader for the plain YAML that manifests are made of (issue 20).
 *
 * `parseManifests` reads files with the `yaml` package, whose documents keep positions, warnings
 * and errors for findings; it parses about 1.7 MB/s, which makes loading the larger part of
 * analyzing a big mesh. js-yaml parses the same text an order of magnitude faster but differs
 * from `yaml` at the edges (its own schema resolves `0b1`, `1_000`, merge keys; it reads some
 * texts that `yaml` rejects or warns about, and the reverse). `readPlainYaml` uses js-yaml only
 * for texts inside a subset where both libraries give the same JavaScript values, and answers
 * `undefined` for anything else, so that the caller reads it the usual way with `yaml`, whose
 * findings (ZT001, ZT006) and their positions then stay exactly as they were.
 *
 * The subset is checked by `isPlainSubset`, one pass over the text that knows nothing of YAML's
 * contexts (quoted, block scalar, flow): it rejects a construct wherever it could be one, even
 * inside a string. A false alarm only costs the speed of the usual path; a construct let through
 * would give a different value, so each rule errs on the side of rejecting.
 */
import { FAILSAFE_SCHEMA, loadAll, Type, type LoadOptions } from 'js-yaml';

// Plain scalars resolve as in the `yaml` package's default schema, YAML 1.2 core
// (node_modules/yaml/dist/schema/core/*.js, common/null.js): the same regular expressions, tried
// in the same order, and the numbers built the same way (parseInt/parseFloat, so `-0`, `1e400`
// and digits past 2^53 come out alike). js-yaml's own CORE_SCHEMA is broader (`0b1`, `1_000`,
// `+.5e3`, YAML 1.1 spellings), so it cannot be used. Quoted scalars are strings in both.
// Every expression is anchored at both ends and has no nested quantifiers: linear time.
const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT_OCT = /^0o[0-7]+$/;
const INT = /^[-+]?[0-9]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

const scalar = (tag: string, resolve: (text: string) => boolean, construct: (text: string) => unknown): Type =>
  new Type(`tag:yaml.org,2002:${tag}`, { kind: 'scalar', resolve, construct });

/**
 * FAILSAFE (strings, sequences, maps) plus the core schema's plain scalars, in `yaml`'s order.
 * js-yaml keeps one implicit type per tag (a later one replaces an earlier one with the same
 * tag), so each tag's variants are one type; the variants' expressions do not overlap.
 */
export const YAML_CORE_SCHEMA = FAILSAFE_SCHEMA.extend({
  implicit: [
    scalar('null', (text) => NULL.test(text), () => null),
    scalar('bool', (text) => BOOL.test(text), (text) => text[0] === 't' || text[0] === 'T'),
    scalar('int', (text) => INT_OCT.test(text) || INT.test(text) || INT_HEX.test(text),
      (text) => (text.startsWith('0o') ? parseInt(text.substring(2), 8) : text.startsWith('0x') ? parseInt(text.substring(2), 16) : parseInt(text, 10))),
    scalar('float', (text) => FLOAT_NAN.test(text) || FLOAT_EXP.test(text) || FLOAT.test(text),
      (text) => (FLOAT_NAN.test(text) ? (text.slice(-3).toLowerCase() === 'nan' ? NaN : text[0] === '-' ? -Infinity : Infinity) : parseFloat(text))),
  ],
});

/** js-yaml's options; `maxDepth` is missing from its type declarations. */
type Options = LoadOptions & { maxDepth: number };

/**
 * The values of the documents in `text`, one per document as `parseAllDocuments(text)` followed
 * by `toJS()` on each would give them (`null` for an empty document), or `undefined` when the
 * text is outside the subset this reader guarantees, or js-yaml rejects or warns about it. The
 * caller then reads the text with the `yaml` package.
 */
export function readPlainYaml(text: string): unknown[] | undefined {
  if (!isPlainSubset(text)) return undefined;
  let warned = false;
  const options: Options = {
    schema: YAML_CORE_SCHEMA,
    // js-yaml throws past this depth; `yaml` reads a few hundred levels before it runs out of
    // stack (a ZT001 finding), so anything deeper than this goes to it, whatever it makes of it.
    maxDepth: 100,
    onWarning: () => {
      warned = true;
    },
  };
  try {
    const documents = loadAll(text, null, options);
    // A stream of comments and blank lines is no document to `yaml` and one empty document to
    // js-yaml; whatever else reads as a single empty document is left to `yaml` too (no
    // manifest is lost: an empty document holds none).
    if (warned || (documents.length === 1 && documents[0] === null)) return undefined;
    return documents;
  } catch {
    // Duplicate keys, bad indentation, nesting past maxDepth, non-printable characters: `yaml`
    // reports these (or reads them its own way), with positions.
    return undefined;
  }
}

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const COLON = 0x3a;

/**
 * Characters that begin a node property or something else outside the subset when they start a
 * token: `&` anchor, `*` alias, `!` tag, `%` directive, `@` and backquote (reserved), `?`
 * explicit key. Inside a word (`/api/*`, `a&b`) they are plain text, and allowed.
 */
function isIndicator(c: number): boolean {
  return c === 0x26 || c === 0x2a || c === 0x21 || c === 0x25 || c === 0x40 || c === 0x60 || c === 0x3f;
}

/** Where a token may begin: after a space, at a line's start, or after a flow indicator or `:`. */
function isTokenBoundary(c: number): boolean {
  return c === SPACE || c === LF || c === CR || c === 0x5b || c === 0x7b || c === 0x2c || c === COLON;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Before a `:`, a character that leaves the key empty (`: x`, `- : x`, `{: x}`). */
function leavesKeyEmpty(c: number): boolean {
  return c === LF || c === CR || c === 0x2d || c === 0x3f || c === 0x5b || c === 0x7b || c === 0x2c;
}

/** Whether a null scalar (`~`, `null`, `Null`, `NULL`) starts at `i` and ends a token. */
function startsNull(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  let end = i + 1;
  if (isNullWord(text, i)) end = i + 4;
  else if (c !== 0x7e) return false;
  if (end >= text.length) return true;
  const next = text.charCodeAt(end);
  return next === SPACE || next === LF || next === CR || next === 0x2c || next === 0x5d || next === 0x7d || next === 0x23 || next === COLON;
}

/** Whether `null`, `Null` or `NULL` is at `i` (compared by character: no substring per `n`). */
function isNullWord(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c !== 0x6e && c !== 0x4e) return false;
  const u = text.charCodeAt(i + 1);
  const l1 = text.charCodeAt(i + 2);
  const l2 = text.charCodeAt(i + 3);
  if (u === 0x75 && l1 === 0x6c && l2 === 0x6c) return true; // null, Null
  return c === 0x4e && u === 0x55 && l1 === 0x4c && l2 === 0x4c; // NULL
}

/**
 * Whether the character before `i`, past spaces and line breaks, opens a flow map or separates
 * flow entries. Each run of white space is looked at for the one token after it: linear.
 */
function afterFlowEntryStart(text: string, i: number): boolean {
  let j = i - 1;
  while (j >= 0) {
    const c = text.charCodeAt(j);
    if (c !== SPACE && c !== LF && c !== CR) return c === 0x7b || c === 0x2c;
    j--;
  }
  return false;
}

/**
 * For a `-` at `i` (column `column`): false when it may be a sequence entry with no value (`- `
 * at a line's end, with the next line no deeper). js-yaml then adds the entries that follow at
 * a lower indentation to the inner sequence; `yaml` does not. An entry with only a comment is
 * counted as one with no value. Looks at the rest of this line and the next line's indentation,
 * and only when the rest of this line is spaces: linear.
 */
function dashHasValue(text: string, i: number, column: number): boolean {
  let k = i + 1;
  while (text.charCodeAt(k) === SPACE) k++;
  if (k === i + 1 && k < text.length && text.charCodeAt(k) !== LF && text.charCodeAt(k) !== CR) return true; // `-a`: a plain scalar
  if (k >= text.length || text.charCodeAt(k) === 0x23) return false;
  if (text.charCodeAt(k) !== LF && text.charCodeAt(k) !== CR) return true;
  k += text.charCodeAt(k) === CR ? 2 : 1;
  const next = k;
  while (text.charCodeAt(k) === SPACE) k++;
  if (k >= text.length) return false;
  const first = text.charCodeAt(k);
  return k - next > column && first !== LF && first !== CR && first !== 0x23;
}

/**
 * A `yaml` error for an implicit key whose `:` is more than 1024 characters after the key's
 * start; js-yaml has no such limit. Measured from the line's start, which is before the key's.
 */
const MAX_KEY_COLUMN = 1000;

/**
 * Whether `text` is inside the subset where js-yaml (with YAML_CORE_SCHEMA) and the `yaml`
 * package give the same values, and `yaml` gives no warning. One pass, each character looked at
 * a bounded number of times (the look-back before a `:` stops at the first character that is not
 * a space), so the time is linear in the text's length.
 */
export function isPlainSubset(text: string): boolean {
  // Merge keys (`<<`): YAML 1.1, read as a plain key by both today, but a version or option
  // away from differing.
  if (text.includes('<<')) return false;
  // `\U` escapes in double quotes past U+10FFFF: `yaml` reports an error, js-yaml builds a
  // broken string.
  if (text.includes('\\U')) return false;
  let lineStart = 0;
  let indenting = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === LF) {
      // A line of spaces only: at the start of a block scalar, `yaml` rejects one more indented
      // than the scalar's first line, js-yaml does not; without knowing where block scalars are,
      // every such line goes to `yaml`.
      if (indenting && i > lineStart && text.charCodeAt(i - 1) === SPACE) return false;
      lineStart = i + 1;
      indenting = true;
      continue;
    }
    if (c === CR) {
      // Only as part of CRLF: a lone CR is a line break to one library and not the other.
      if (text.charCodeAt(i + 1) !== LF) return false;
      if (indenting && i > lineStart) return false;
      continue;
    }
    // Tabs (a precaution: the two libraries' rules for tabs in indentation and separation are
    // not the same, and manifests have none outside strings), other control characters, DEL and C1
    // (NEL is a line break in YAML 1.1), the Unicode line and paragraph separators, and byte
    // order marks (even a leading one: `yaml` rejects `- a` after it, js-yaml does not).
    if (c < SPACE || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029 || c === 0xfeff) return false;
    const prev = i === 0 ? LF : text.charCodeAt(i - 1);
    if (i === lineStart && (c === 0x2d || c === 0x2e) && text.charCodeAt(i + 1) === c && text.charCodeAt(i + 2) === c) {
      // A document marker (`---`, `...`) with nothing after it but a comment. js-yaml reads
      // `---a` and `----` as a marker and more, and accepts a map on the marker's line (`--- a: 1`),
      // which `yaml` rejects.
      let k = i + 3;
      if (text.charCodeAt(k) === SPACE) while (text.charCodeAt(k) === SPACE) k++;
      else if (k < text.length && text.charCodeAt(k) !== LF && text.charCodeAt(k) !== CR) return false;
      if (k < text.length && text.charCodeAt(k) !== LF && text.charCodeAt(k) !== CR && text.charCodeAt(k) !== 0x23) return false;
    }
    if (indenting) {
      if (c === SPACE) continue;
      indenting = false;
      // A flow collection's end at the start of a line: `yaml` warns when it is not more
      // indented than the collection's parent (a precaution: the texts tried so far did not
      // trigger that warning, but without context the parent's indentation is unknown).
      if (c === 0x5d || c === 0x7d) return false;
    }
    // Letters and digits (most of a manifest) start none of the constructs below, except the
    // `n`/`N` of a null.
    if (((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39)) && c !== 0x6e && c !== 0x4e) continue;
    if (isIndicator(c) && isTokenBoundary(prev)) return false;
    if (c === 0x2d && isTokenBoundary(prev) && !dashHasValue(text, i, i - lineStart)) return false;
    // A `#` right after a flow indicator, a `:` or a quoted scalar: `yaml` requires a space before a
    // comment there, js-yaml does not.
    if (c === 0x23 && (prev === COLON || prev === 0x5b || prev === 0x5d || prev === 0x7b || prev === 0x7d || prev === 0x22 || prev === 0x27 || prev === 0x2c)) return false;
    // An escaped line break in a double-quoted scalar: the two fold the lines after it apart.
    if (c === 0x5c && (text.charCodeAt(i + 1) === LF || text.charCodeAt(i + 1) === CR)) return false;
    // A block scalar's indentation indicator (`|2`, `>-1`): the two libraries count it from
    // different parents at a document's top level.
    if ((c === 0x7c || c === 0x3e) && isTokenBoundary(prev) && (isDigit(text.charCodeAt(i + 1)) || isDigit(text.charCodeAt(i + 2)))) return false;
    // Flow map entries without a `:` (`{[a]}`, `{~}`, `{a, null}`) have a collection or a null
    // as key, which `yaml` stringifies its own way; context-free, the same spelling after `{`
    // or `,` in a flow sequence (`[a, [b]]`) is rejected as well.
    if ((c === 0x5b || c === 0x7b || startsNull(text, i)) && afterFlowEntryStart(text, i)) return false;
    if (c === COLON) {
      if (i - lineStart > MAX_KEY_COLUMN) return false;
      let j = i - 1;
      while (j >= lineStart && text.charCodeAt(j) === SPACE) j--;
      const before = j < lineStart ? LF : text.charCodeAt(j);
      // Empty keys and null keys: `yaml` makes them `""`, js-yaml `"null"`. A flow collection
      // as a key: `yaml` stringifies it with a warning, js-yaml as `[object Object]` or joined.
      if (leavesKeyEmpty(before) || before === 0x7e || before === 0x5d || before === 0x7d) return false;
      if (j - 3 >= lineStart && isNullWord(text, j - 3)) return false;
    }
  }
  // The last line, when it has no line break, ends the same way.
  return !(indenting && text.length > lineStart);
}
