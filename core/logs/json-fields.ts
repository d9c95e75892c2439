/**
 * Reads fields out of machine-written JSON log lines (Lambda's platform records, the aligner's
 * job events) by key, without parsing the whole line: the log processor sees millions of them.
 * Safe for these lines because a key pattern `"name":` cannot occur inside a JSON string value
 * (its quotes would be escaped); callers fall back to JSON.parse for lines containing backslashes
 * or anything unexpected.
 */

/** `"name":"` — build once per key, at module level. */
export const stringKey = (name: string): string => `"${name}":"`;
/** `"name":` — build once per key, at module level. */
export const valueKey = (name: string): string => `"${name}":`;

/** Value of the first string field with this `stringKey` at or after `from`. */
export function stringField(line: string, key: string, from = 0): string | undefined {
  const at = line.indexOf(key, from);
  if (at < 0) return undefined;
  const start = at + key.length;
  const end = line.indexOf('"', start);
  return end < 0 ? undefined : line.slice(start, end);
}

/** Value of the first numeric field with this `valueKey` at or after `from`. */
export function numberField(line: string, key: string, from = 0): number | undefined {
  const at = line.indexOf(key, from);
  return at < 0 ? undefined : numberAt(line, at + key.length);
}

/** The JSON number starting at `i`, if one does. */
export function numberAt(line: string, i: number): number | undefined {
  const c = line.charCodeAt(i);
  if (!(c === 45 /* - */ || (c >= 48 && c <= 57))) return undefined;
  let end = i + 1;
  for (; end < line.length; end++) {
    const d = line.charCodeAt(end);
    // digits . e E + -
    if (!((d >= 48 && d <= 57) || d === 46 || d === 101 || d === 69 || d === 43 || d === 45)) break;
  }
  const n = Number(line.slice(i, end));
  return Number.isFinite(n) ? n : undefined;
}
