/**
 * Points in time as users type them on the command line: a span back from now (`90s`, `30m`,
 * `24h`, `7d`, `2w`) or an ISO 8601 time (`2026-11-24`, `2026-11-24T10:00:00Z`). Pure: the caller
 * passes "now".
 */

export class TimeSpecError extends Error {
  override name = "TimeSpecError";
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const SPAN = /^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$/i;
/** A Date holds ±8.64e15 ms around the epoch: a time beyond cannot be written as ISO (RangeError). */
const MAX_TIME_MS = 8.64e15;

/** Milliseconds of a span such as `24h`; undefined if `text` is not a span (or one no date can reach back over). */
export function parseSpan(text: string): number | undefined {
  const m = SPAN.exec(text);
  if (!m) return undefined;
  const ms = Number(m[1]) * UNIT_MS[m[2]!.toLowerCase()]!;
  return ms <= MAX_TIME_MS ? ms : undefined;
}

/** Epoch milliseconds of `text`: `now` minus a span, or an ISO time. */
export function parseTimeSpec(text: string, nowMs: number, what = "time"): number {
  const span = parseSpan(text);
  if (span !== undefined) {
    const ms = nowMs - span;
    // Written so that anything but a time at or after the first date (NaN included) is refused.
    if (!(ms >= -MAX_TIME_MS)) throw reachesBack(text, what);
    return ms;
  }
  if (SPAN.test(text)) throw reachesBack(text, what);
  // ISO dates only (a bare number or a locale format would be ambiguous).
  const trimmed = text.trim();
  const iso = /^((\d{4})-(\d{2})-(\d{2}))([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.exec(trimmed);
  if (iso) {
    // Date.parse rolls an impossible day over (2026-02-30 becomes March 2): refuse it instead. A
    // day that exists is the one it rolls to.
    const day = new Date(0);
    day.setUTCFullYear(Number(iso[2]), Number(iso[3]) - 1, Number(iso[4]));
    if (day.toISOString().slice(0, 10) !== iso[1]) {
      throw new TimeSpecError(`${what} names a day that does not exist, got ${JSON.stringify(text)}`);
    }
    const ms = Date.parse(trimmed);
    if (Number.isFinite(ms)) return ms;
  }
  throw new TimeSpecError(
    `${what} must be a span such as 30m, 24h or 7d, or an ISO time such as 2026-11-24T10:00:00Z, got ${JSON.stringify(text)}`,
  );
}

const reachesBack = (text: string, what: string) =>
  new TimeSpecError(`${what} reaches back further than any date, got ${JSON.stringify(text)}`);

/** A [since, until) range, checked to be non-empty. */
export function parseTimeRange(
  since: string,
  until: string | undefined,
  nowMs: number,
): { sinceMs: number; untilMs: number } {
  const sinceMs = parseTimeSpec(since, nowMs, "--since");
  const untilMs = until === undefined ? nowMs : parseTimeSpec(until, nowMs, "--until");
  if (untilMs <= sinceMs) {
    throw new TimeSpecError(
      `--until (${new Date(untilMs).toISOString()}) must be later than --since (${new Date(sinceMs).toISOString()})`,
    );
  }
  return { sinceMs, untilMs };
}

/** `1h 5m`, `42s`, `3d 4h`: a compact span for humans. */
export function formatSpan(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const parts: [number, string][] = [
    [Math.floor(s / 86400), "d"],
    [Math.floor((s % 86400) / 3600), "h"],
    [Math.floor((s % 3600) / 60), "m"],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  return parts
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, u]) => `${n}${u}`)
    .join(" ");
}
