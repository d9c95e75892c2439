/**
 * Strict, allocation-free steps over one-line JSON objects (Lambda's platform records, the
 * aligner's job events), so that parse.ts can read the few fields it needs in one pass instead of
 * building the whole object with JSON.parse: the log processor sees millions of such lines.
 *
 * Each step accepts exactly what JSON.parse accepts for that value, or gives up (-1) on anything
 * else it does not handle — whitespace between tokens, deep nesting — so that a caller that gives
 * up falls back to JSON.parse and a line is never read differently by the fast path.
 */

/** No backslash: then the next quote closes a string (a native search, not a loop). */
export function isPlainLine(line: string): boolean {
  return line.indexOf("\\") < 0;
}

/** A raw control character (U+0000–U+001F), which JSON.parse refuses inside strings. Anchored: faster than a search. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for.
const NO_CONTROLS = /^[^\x00-\x1f]*$/;

/**
 * For a plain line (isPlainLine) whose strings were stepped over by quote search: true if none of
 * them holds a control character. Checked once, last, only for lines that would be taken.
 */
export function hasNoControls(line: string): boolean {
  return NO_CONTROLS.test(line);
}

/**
 * Index just past the string whose opening quote is at `i`, or -1 if it is not a valid JSON string.
 * `escaped` (out) is set when the string holds an escape, i.e. its raw slice is not its value. In a
 * plain line control characters are not looked for here: the caller checks with hasNoControls.
 */
export function stringEnd(line: string, i: number, plain: boolean, out: { escaped: boolean }): number {
  if (plain) {
    const k = line.indexOf('"', i + 1);
    return k < 0 ? -1 : k + 1;
  }
  const n = line.length;
  for (let k = i + 1; k < n; k++) {
    const d = line.charCodeAt(k);
    if (d === 34 /* " */) return k + 1;
    if (d < 32) return -1;
    if (d === 92 /* \ */) {
      out.escaped = true;
      const e = line.charCodeAt(k + 1);
      // \" \\ \/ \b \f \n \r \t, or \uXXXX
      if (e === 34 || e === 92 || e === 47 || e === 98 || e === 102 || e === 110 || e === 114 || e === 116) k++;
      else if (
        e === 117 &&
        isHex(line.charCodeAt(k + 2)) &&
        isHex(line.charCodeAt(k + 3)) &&
        isHex(line.charCodeAt(k + 4)) &&
        isHex(line.charCodeAt(k + 5))
      )
        k += 5;
      else return -1;
    }
  }
  return -1;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** Index just past the JSON number starting at `i` (`-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?`), or -1. */
export function numberEnd(line: string, i: number): number {
  let k = i;
  if (line.charCodeAt(k) === 45 /* - */) k++;
  const first = line.charCodeAt(k);
  if (first === 48 /* 0 */) k++;
  else if (first >= 49 && first <= 57) {
    k++;
    while (isDigit(line.charCodeAt(k))) k++;
  } else return -1;
  if (line.charCodeAt(k) === 46 /* . */) {
    k++;
    if (!isDigit(line.charCodeAt(k))) return -1;
    while (isDigit(line.charCodeAt(k))) k++;
  }
  const e = line.charCodeAt(k);
  if (e === 101 || e === 69 /* e E */) {
    k++;
    const sign = line.charCodeAt(k);
    if (sign === 43 || sign === 45) k++;
    if (!isDigit(line.charCodeAt(k))) return -1;
    while (isDigit(line.charCodeAt(k))) k++;
  }
  return k;
}

/** Nesting beyond this is left to JSON.parse (and keeps the recursion shallow). */
const MAX_DEPTH = 32;

/**
 * Index just past the JSON value starting at `i` (any type, nested objects and arrays included,
 * no whitespace between tokens), or -1 if it is not one this reader accepts.
 */
export function valueEnd(line: string, i: number, plain: boolean, depth = 0): number {
  const c = line.charCodeAt(i);
  if (c === 34 /* " */) return stringEnd(line, i, plain, SCRATCH);
  if (c === 45 || isDigit(c)) return numberEnd(line, i);
  if (c === 116 /* t */) return line.startsWith("true", i) ? i + 4 : -1;
  if (c === 102 /* f */) return line.startsWith("false", i) ? i + 5 : -1;
  if (c === 110 /* n */) return line.startsWith("null", i) ? i + 4 : -1;
  if (depth >= MAX_DEPTH) return -1;
  if (c === 123 /* { */) {
    let k = i + 1;
    if (line.charCodeAt(k) === 125 /* } */) return k + 1;
    for (;;) {
      if (line.charCodeAt(k) !== 34) return -1;
      k = stringEnd(line, k, plain, SCRATCH);
      if (k < 0 || line.charCodeAt(k) !== 58 /* : */) return -1;
      k = valueEnd(line, k + 1, plain, depth + 1);
      if (k < 0) return -1;
      const sep = line.charCodeAt(k);
      if (sep === 125) return k + 1;
      if (sep !== 44 /* , */) return -1;
      k++;
    }
  }
  if (c === 91 /* [ */) {
    let k = i + 1;
    if (line.charCodeAt(k) === 93 /* ] */) return k + 1;
    for (;;) {
      k = valueEnd(line, k, plain, depth + 1);
      if (k < 0) return -1;
      const sep = line.charCodeAt(k);
      if (sep === 93) return k + 1;
      if (sep !== 44) return -1;
      k++;
    }
  }
  return -1;
}

/** Escapes inside skipped values do not matter; their flag goes here. */
const SCRATCH = { escaped: false };

/** The finite number JSON.parse gives for the valid number at [start, end), or undefined (1e400). */
export function finiteNumberAt(line: string, start: number, end: number): number | undefined {
  const n = Number(line.slice(start, end));
  return Number.isFinite(n) ? n : undefined;
}

/** JSON.parse of a text that should hold one object: the object, or undefined for anything else. */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
