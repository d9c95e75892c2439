/**
 * CloudWatch Logs filter patterns for unstructured events, the subset the local cloud serves:
 * the empty pattern (everything), terms that must all appear (`ERROR timeout`), quoted phrases
 * (`"Task timed out"`), terms of which at least one must appear (`?ERROR ?WARN`), and excluded
 * terms (`ERROR -DEBUG`). Matching is case-sensitive, on substrings, as CloudWatch does.
 * JSON (`{ $.x = ... }`) and space-delimited (`[a, b]`) patterns are refused with a clear error.
 */

export class FilterPatternError extends Error {
  override name = "FilterPatternError";
}

export type EventMatcher = (message: string) => boolean;

export function compileFilterPattern(pattern: string | undefined): EventMatcher {
  const text = (pattern ?? "").trim();
  if (text === "" || text === '""') return () => true;
  if (text.startsWith("{") || text.startsWith("[")) {
    throw new FilterPatternError(
      'the local cloud supports term filter patterns only (terms, "quoted phrases", ?optional and -excluded terms), not JSON or space-delimited patterns',
    );
  }
  const all: string[] = [];
  const any: string[] = [];
  const none: string[] = [];
  for (const token of tokens(text)) {
    if (token.kind === "?") any.push(token.term);
    else if (token.kind === "-") none.push(token.term);
    else all.push(token.term);
  }
  return (message) =>
    all.every((t) => message.includes(t)) &&
    (any.length === 0 || any.some((t) => message.includes(t))) &&
    !none.some((t) => message.includes(t));
}

function* tokens(text: string): Generator<{ kind: "" | "?" | "-"; term: string }> {
  let i = 0;
  while (i < text.length) {
    while (text[i] === " " || text[i] === "\t") i++;
    if (i >= text.length) return;
    let kind: "" | "?" | "-" = "";
    if (text[i] === "?" || text[i] === "-") kind = text[i++] as "?" | "-";
    if (text[i] === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0) throw new FilterPatternError(`unterminated quoted term in filter pattern ${JSON.stringify(text)}`);
      const term = text.slice(i + 1, end);
      i = end + 1;
      if (term !== "") yield { kind, term };
      continue;
    }
    let end = i;
    while (end < text.length && text[end] !== " " && text[end] !== "\t") end++;
    const term = text.slice(i, end);
    i = end;
    if (term.includes('"'))
      throw new FilterPatternError(`filter pattern term ${JSON.stringify(term)} has a stray double quote`);
    yield { kind, term };
  }
}
