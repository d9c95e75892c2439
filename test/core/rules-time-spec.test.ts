/** Rules of the command line's points in time (core/time-spec.ts): spans back from now, ISO times, ranges, spans for humans. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatSpan, parseSpan, parseTimeRange, parseTimeSpec, TimeSpecError } from "../../core/time-spec.ts";

const NOW = Date.parse("2026-11-24T12:00:00Z");
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;
const units = fc.constantFrom(...(Object.keys(UNIT_MS) as (keyof typeof UNIT_MS)[]));
const blanks = fc.constantFrom("", " ", "  ", "\t");
const DAYS_IN_MONTH = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();

describe("errors", () => {
  it("every refusal is a TimeSpecError, named so", () => {
    for (const text of ["soon", "2026-02-30", "100000001d"]) {
      try {
        parseTimeSpec(text, NOW);
        expect.unreachable(text);
      } catch (err) {
        expect(err).toBeInstanceOf(TimeSpecError);
        expect((err as Error).name).toBe("TimeSpecError");
      }
    }
  });
});

describe("spans", () => {
  it("a span is its count times its unit (s m h d w, either case, blanks around), reaching back from now", () => {
    fc.assert(
      fc.property(fc.nat({ max: 100_000 }), units, fc.boolean(), blanks, blanks, blanks, (n, u, upper, a, b, c) => {
        const text = `${a}${n}${b}${upper ? u.toUpperCase() : u}${c}`;
        expect(parseSpan(text)).toBe(n * UNIT_MS[u]);
        expect(parseTimeSpec(text, NOW)).toBe(NOW - n * UNIT_MS[u]);
      }),
    );
  });

  it("a span may have a fractional count", () => {
    fc.assert(
      fc.property(fc.nat({ max: 1000 }), fc.integer({ min: 1, max: 99 }), units, (whole, tenths, u) => {
        const count = `${whole}.${String(tenths).padStart(2, "0")}`;
        expect(parseSpan(`${count}${u}`)).toBeCloseTo(Number(count) * UNIT_MS[u], 3);
      }),
    );
  });

  it("anything that is not a count and one unit is not a span", () => {
    for (const text of ["", "h", "5", "5x", "5 ms", "5hh", "h5", "-5h", "+5h", "5.h", ".5h", "5,5h", "5h ago", "1h30m"])
      expect(parseSpan(text), text).toBeUndefined();
  });

  it("a span that reaches back past the first date is refused in words naming the flag, not wrapped or invalid", () => {
    // 8.64e15 ms is the largest span a Date can hold; from the epoch it reaches exactly the first date.
    expect(parseSpan("100000000d")).toBe(8.64e15);
    expect(parseSpan("100000001d")).toBeUndefined();
    expect(parseTimeSpec("100000000d", 0)).toBe(-8.64e15);
    expect(() => parseTimeSpec("100000000d", -1, "--since")).toThrow(
      new TimeSpecError('--since reaches back further than any date, got "100000000d"'),
    );
    expect(() => parseTimeSpec("100000001d", NOW)).toThrow(
      new TimeSpecError('time reaches back further than any date, got "100000001d"'),
    );
  });
});

describe("ISO times", () => {
  const instants = fc.date({
    min: new Date("1000-01-01T00:00:00Z"),
    max: new Date("9999-12-31T23:59:59Z"),
    noInvalidDate: true,
  });

  it("an ISO time is the instant it names, with Z, an offset with or without a colon, or a space for the T", () => {
    fc.assert(
      fc.property(instants, fc.integer({ min: -12, max: 14 }), (date, offsetHours) => {
        const ms = date.getTime();
        const iso = date.toISOString();
        expect(parseTimeSpec(iso, NOW)).toBe(ms);
        expect(parseTimeSpec(` ${iso.replace("T", " ")} `, NOW)).toBe(ms);
        const local = new Date(ms + offsetHours * 3_600_000).toISOString().slice(0, 19);
        const sign = offsetHours < 0 ? "-" : "+";
        const hh = String(Math.abs(offsetHours)).padStart(2, "0");
        // Inside a Date's range, an offset shifts the same wall time to the same instant.
        if (!local.startsWith("+") && !local.startsWith("-")) {
          expect(parseTimeSpec(`${local}${sign}${hh}:00`, NOW)).toBe(Math.floor(ms / 1000) * 1000);
          expect(parseTimeSpec(`${local}${sign}${hh}00`, NOW)).toBe(Math.floor(ms / 1000) * 1000);
        }
      }),
    );
  });

  it("an ISO time without a zone is the machine's local time, as ECMAScript reads ISO date-times", () => {
    fc.assert(
      fc.property(instants, (date) => {
        const local = `${date.toISOString().slice(0, 10)}T${date.toISOString().slice(11, 19)}`;
        const [y, mo, d] = local.slice(0, 10).split("-").map(Number) as [number, number, number];
        const [h, mi, s] = local.slice(11).split(":").map(Number) as [number, number, number];
        const expected = new Date(0);
        expected.setFullYear(y, mo - 1, d);
        expected.setHours(h, mi, s, 0);
        expect(parseTimeSpec(local, NOW)).toBe(expected.getTime());
      }),
    );
  });

  it("a date alone is its midnight UTC", () => {
    fc.assert(
      fc.property(instants, (date) => {
        const day = date.toISOString().slice(0, 10);
        expect(parseTimeSpec(day, NOW)).toBe(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
      }),
    );
  });

  it("a day the calendar does not have is refused by name, whichever part is out of range, instead of rolling over", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1000, max: 9999 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 12 }),
        (y, m, past) => {
          const days = DAYS_IN_MONTH(y, m);
          const mm = String(m).padStart(2, "0");
          const badDay = days + ((past - 1) % (32 - days)) + 1; // days+1 .. 31 (and beyond: 32 is no day either)
          const text = `${y}-${mm}-${String(badDay).padStart(2, "0")}`;
          expect(() => parseTimeSpec(text, NOW, "--until")).toThrow(
            new TimeSpecError(`--until names a day that does not exist, got ${JSON.stringify(text)}`),
          );
          expect(parseTimeSpec(`${y}-${mm}-${String(days).padStart(2, "0")}`, NOW)).toBe(Date.UTC(y, m - 1, days));
        },
      ),
    );
    for (const text of ["2026-00-10", "2026-13-10", "2026-11-00", "2026-04-31T00:00:00Z"])
      expect(() => parseTimeSpec(text, NOW), text).toThrow(/names a day that does not exist/);
  });

  it("a well-formed day with an impossible time of day is refused, not taken as NaN", () => {
    for (const text of ["2026-11-24T25:00:00Z", "2026-11-24T10:61Z", "2026-11-24T:::"])
      expect(() => parseTimeSpec(text, NOW, "--since"), text).toThrow(
        new TimeSpecError(
          `--since must be a span such as 30m, 24h or 7d, or an ISO time such as 2026-11-24T10:00:00Z, got ${JSON.stringify(text)}`,
        ),
      );
  });

  it("no other form is guessed at: bare numbers, other separators, words and locale dates are refused", () => {
    // Date.parse itself would take several of these ("Mon 2026-11-24", "2026-11-24 10:00 PM", "2026-11-24 GMT").
    for (const text of ["Mon 2026-11-24", "2026-11-24 10:00 PM", "2026-11-24 GMT", "2026-11-24T10:00:00 +02:00"])
      expect(() => parseTimeSpec(text, NOW), text).toThrow(TimeSpecError);
    for (const text of [
      "1795514400000",
      "2026/11/24",
      "24.11.2026",
      "11/24/2026",
      "yesterday",
      "2026-11-24x",
      "x2026-11-24",
    ])
      expect(() => parseTimeSpec(text, NOW), text).toThrow(TimeSpecError);
    expect(() => parseTimeSpec("soon", NOW)).toThrow(/^time must be a span/);
  });
});

describe("ranges", () => {
  it("a range is [since, until), until defaults to now, and an empty or backwards range is refused with both ends shown", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 0, max: 10_000 }), (back, width) => {
        const since = `${back + width}m`;
        const until = `${back}m`;
        if (width > 0) {
          expect(parseTimeRange(since, until, NOW)).toEqual({
            sinceMs: NOW - (back + width) * 60_000,
            untilMs: NOW - back * 60_000,
          });
        } else {
          const at = new Date(NOW - back * 60_000).toISOString();
          expect(() => parseTimeRange(since, until, NOW)).toThrow(
            new TimeSpecError(`--until (${at}) must be later than --since (${at})`),
          );
        }
        expect(parseTimeRange(since, undefined, NOW)).toEqual({ sinceMs: NOW - (back + width) * 60_000, untilMs: NOW });
      }),
    );
    expect(() => parseTimeRange("0s", undefined, NOW)).toThrow(/must be later than --since/);
    expect(() => parseTimeRange("later", undefined, NOW)).toThrow(/^--since must be a span/);
    expect(() => parseTimeRange("1h", "later", NOW)).toThrow(/^--until must be a span/);
  });
});

describe("spans for humans", () => {
  it("under a minute is whole seconds, rounded", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 59_499 }), (ms) => {
        expect(formatSpan(ms)).toBe(`${Math.round(ms / 1000)}s`);
      }),
    );
    expect(formatSpan(59_500)).toBe("1m");
  });

  it("longer spans show at most two adjacent places, the first the largest that is not zero, zero places left out, never more than the span", () => {
    const PLACE_S = { d: 86_400, h: 3600, m: 60 } as const;
    const order = ["d", "h", "m"] as const;
    fc.assert(
      fc.property(fc.integer({ min: 60, max: 400 * 86_400 }), (seconds) => {
        const parts = formatSpan(seconds * 1000)
          .split(" ")
          .map((p) => /^(\d+)([dhm])$/.exec(p)!)
          .map((m) => ({ n: Number(m[1]), unit: m[2] as (typeof order)[number] }));
        expect(parts.length).toBeGreaterThanOrEqual(1);
        expect(parts.length).toBeLessThanOrEqual(2);
        const largest = order.find((u) => seconds >= PLACE_S[u])!;
        expect(parts[0]!.unit).toBe(largest);
        for (const p of parts) expect(p.n).toBeGreaterThan(0);
        const shown = parts.reduce((sum, p) => sum + p.n * PLACE_S[p.unit], 0);
        // What is cut off is less than one of the second place (a minute when minutes come first).
        const firstAt = order.indexOf(largest);
        const second = order[firstAt + 1];
        expect(shown).toBeLessThanOrEqual(seconds);
        expect(seconds - shown).toBeLessThan(second === undefined ? 60 : PLACE_S[second]);
        if (parts.length === 2) expect(order.indexOf(parts[1]!.unit)).toBe(firstAt + 1);
      }),
    );
    expect([formatSpan(86_400_000 + 5 * 60_000), formatSpan(2 * 3_600_000 + 59_000), formatSpan(61 * 60_000)]).toEqual([
      "1d",
      "2h",
      "1h 1m",
    ]);
  });
});
