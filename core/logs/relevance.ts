/**
 * A cheap first look at an event for the status reducer: does it need a full parse?
 *
 * Most events of a stream are app lines at INFO/DEBUG/TRACE/WARN (console output, forwarded
 * MAFFT lines) or raw child-process text. Such lines never carry a status fact (errors are at
 * ERROR level; job events are recognised by their key) — they only matter as the next event
 * naming a request when an id-less init line needs an anchor, which is rare. So the reducer
 * parses them lazily, only when an anchor is needed (reduce.ts). This is a pure speed-up: every
 * event it calls "app" would, fully parsed, give an app record with no fact and no id-less effect.
 */
export const enum Relevance {
  /** Parse fully: it may carry a fact or an id-less effect. */
  Parse,
  /** An app line that can only serve as an anchor: parse it if an anchor is ever needed. */
  App,
}

/**
 * A quiet level (INFO, DEBUG, TRACE, WARN; any case if `ignoreCase`, i.e. all upper or all lower)
 * at `at`, followed by `end`? Compared in place, with no lower-cased copies.
 */
function quietLevelAt(s: string, at: number, end: string, ignoreCase: boolean): boolean {
  const c = s.charCodeAt(at);
  const lower = ignoreCase && c >= 97;
  let length: number;
  switch (lower ? c - 32 : c) {
    case 73 /* I */:
      length = 4;
      if (!s.startsWith(lower ? "info" : "INFO", at)) return false;
      break;
    case 68 /* D */:
      length = 5;
      if (!s.startsWith(lower ? "debug" : "DEBUG", at)) return false;
      break;
    case 84 /* T */:
      length = 5;
      if (!s.startsWith(lower ? "trace" : "TRACE", at)) return false;
      break;
    case 87 /* W */:
      length = 4;
      if (!s.startsWith(lower ? "warn" : "WARN", at)) return false;
      break;
    default:
      return false;
  }
  return s.startsWith(end, at + length);
}

/**
 * message.indexOf('"level":"'), found as 'level":"' with the quote before it checked: V8 finds a
 * pattern that starts with a quote, a JSON line's most common character, several times slower.
 */
function levelKeyAt(message: string, from = 1): number {
  for (let k = message.indexOf('level":"', from); k >= 0; k = message.indexOf('level":"', k + 1)) {
    if (message.charCodeAt(k - 1) === 34 /* " */) return k - 1;
  }
  return -1;
}

/** No backslash, `{` or `[` in message[1, end): nothing before `end` can be an escape or a nested value. */
function plainPrefix(message: string, end: number): boolean {
  for (let k = 1; k < end; k++) {
    const d = message.charCodeAt(k);
    if (d === 92 /* \ */ || d === 123 /* { */ || d === 91 /* [ */) return false;
  }
  return true;
}

export function relevanceOf(message: string): Relevance {
  const c = message.charCodeAt(0);
  if (c === 123 /* { */) {
    if (message.startsWith('{"time":"')) return Relevance.Parse; // platform records
    const at = levelKeyAt(message);
    if (at < 0 || at > 64 || !quietLevelAt(message, at + 9, '"', true)) return Relevance.Parse;
    // Only a level key that is surely the line's own decides: with an escape or a nested value
    // before it, or a second level key after it (JSON.parse keeps the last), the line is parsed.
    if (!plainPrefix(message, at) || levelKeyAt(message, at + 9) >= 0) return Relevance.Parse;
    // Most lines hold no "j" at all, and a one-character search is faster still; the key's "j"
    // cannot come before the first "j". The key is searched without its quotes (a pattern starting
    // with '"' is several times slower to find in a JSON line); a mere mention only costs a parse.
    const j = message.indexOf("j");
    return j >= 0 && message.indexOf("jobEvent", j) >= 0 ? Relevance.Parse : Relevance.App;
  }
  if (c >= 48 && c <= 57) return QUIET_TEXT_APP_LINE.test(message) ? Relevance.App : Relevance.Parse;
  // parse.ts reads a line starting with anything else (raw child-process output, mostly) as
  // plain text: no request id, no fact, no id-less effect.
  return isTextReaderStart(c) ? Relevance.Parse : Relevance.App;
}

/**
 * `<time> <id> <quiet LEVEL> ...` with tabs, or spaces from tools that print tabs as spaces: the
 * shape of parse.ts's app-line pattern with any second field, so whatever it matches parses to an
 * app line at that quiet level (or, with no real id in the second field, to plain text).
 */
const QUIET_TEXT_APP_LINE = /^\d{4}-\d\d-\d\dT\S+[\t ]+\S+[\t ]+(?:INFO|DEBUG|TRACE|WARN)[\t ]/;

/** A first character parse.ts's text reader looks at (platform lines: S E R I X T L; `{` when a JSON line does not parse). */
function isTextReaderStart(c: number): boolean {
  switch (c) {
    case 83 /* S */:
    case 69 /* E */:
    case 82 /* R */:
    case 73 /* I */:
    case 88 /* X */:
    case 84 /* T */:
    case 76 /* L */:
    case 123 /* { */:
      return true;
    default:
      return false;
  }
}
