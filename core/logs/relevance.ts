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

/** A quiet level (INFO, DEBUG, TRACE, WARN; any case) at `at`, followed by `end`? Compared in place. */
function quietLevelAt(s: string, at: number, end: string, ignoreCase: boolean): boolean {
  for (const level of ["INFO", "DEBUG", "TRACE", "WARN"]) {
    if (s.startsWith(level, at) && s.startsWith(end, at + level.length)) return true;
    if (ignoreCase && s.startsWith(level.toLowerCase(), at) && s.startsWith(end, at + level.length)) return true;
  }
  return false;
}

export function relevanceOf(message: string): Relevance {
  const c = message.charCodeAt(0);
  if (c === 123 /* { */) {
    if (message.startsWith('{"time":"')) return Relevance.Parse; // platform records
    const at = message.indexOf('"level":"');
    if (at < 0 || at > 64 || !quietLevelAt(message, at + 9, '"', true)) return Relevance.Parse;
    return message.includes('"jobEvent"') ? Relevance.Parse : Relevance.App;
  }
  if (c >= 48 && c <= 57) {
    // <time>\t<id>\t<LEVEL>\t... (tabs, or spaces from tools that print tabs as spaces)
    const first = separatorAfter(message, 0);
    const second = first < 0 ? -1 : separatorAfter(message, first + 1);
    if (second < 0) return Relevance.Parse;
    const quiet = quietLevelAt(message, second + 1, "\t", false) || quietLevelAt(message, second + 1, " ", false);
    return quiet ? Relevance.App : Relevance.Parse;
  }
  return Relevance.Parse;
}

/** Index of the next tab or space at or after `from`. */
function separatorAfter(s: string, from: number): number {
  for (let i = from; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (ch === 9 || ch === 32) return i;
  }
  return -1;
}
