/**
 * relevance.ts may leave a line unparsed only if, parsed, it would carry no fact and no id-less
 * effect: checked on lines of every first character, on text app lines and on platform lines,
 * also mutated one character at a time.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Relevance, relevanceOf } from "../../core/logs/relevance.ts";
import { parseLogEvent } from "../../core/logs/parse.ts";
import { factBodyOf, idlessEffectOf } from "../../core/status/facts.ts";

const ID = "8f5d2a1c-6b3e-4f7a-9c2d-1e0f3a4b5c6d";
/** Characters the pattern cares about: separators, other whitespace (\S), digits, dashes, levels. */
const tricky = fc.constantFrom(
  "\t",
  " ",
  "\n",
  "\r",
  "\u00a0",
  "\u2028",
  "\ufeff",
  "\v",
  "0",
  "9",
  "-",
  "T",
  "Z",
  "x",
  "I",
  "W",
  "é",
  "\u0000",
);
const level = fc.constantFrom("INFO", "WARN", "DEBUG", "TRACE", "ERROR", "FATAL", "info", "INF", "WARNING", "");
const sep = fc.constantFrom("\t", " ", "\t\t", " \t", "", "\n");
const time = fc.constantFrom(
  "2026-11-24T10:00:00.000Z",
  "2026-11-24T",
  "2026-11-24T1",
  "2026-1-24T10:00:00Z",
  "12345-11-24T10:00Z",
  "2026-11-24 10:00:00",
);
const textLine = fc
  .tuple(time, sep, fc.constantFrom(ID, "undefined", "x", "a b", ""), sep, level, sep, fc.string({ maxLength: 12 }))
  .map((parts) => parts.join(""));
const mutated = fc
  .tuple(textLine, fc.nat(), tricky, fc.constantFrom("replace", "insert", "delete"))
  .map(([line, at, c, how]) => {
    const k = at % (line.length + 1);
    if (how === "insert") return line.slice(0, k) + c + line.slice(k);
    if (how === "delete") return line.slice(0, k) + line.slice(k + 1);
    return line.slice(0, k) + c + line.slice(k + 1);
  });

describe("relevance fast paths", () => {
  it("a skipped line of any first character carries no fact and no id-less effect", () => {
    const anyStart = fc
      .tuple(fc.constantFrom("S", "E", "R", "I", "X", "T", "L", "{", "p", " ", "2", "\t", "é", ""), fc.string())
      .map(([c, m]) => c + m);
    const platform = fc.constantFrom(
      `START RequestId: ${ID} Version: $LATEST`,
      `END RequestId: ${ID}`,
      `REPORT RequestId: ${ID}\tDuration: 1.5 ms\tStatus: timeout`,
      `RequestId: ${ID} Error: Runtime exited with error: signal: killed\nRuntime.ExitError`,
      "INIT_START Runtime Version: nodejs:22",
      "INIT_REPORT Init Duration: 3 ms\tPhase: init\tStatus: error\tError Type: Runtime.Unknown",
      "RESTORE_START Runtime Version: x",
    );
    // An ERROR line whose level key comes after keys that end in "level" (the key must be found whole).
    const decoyLevel = fc
      .tuple(
        fc.constantFrom("xlevel", "logLevel", "sublevel"),
        fc.constantFrom("INFO", "debug", "WARN"),
        fc.constantFrom("ERROR", "FATAL", "INFO"),
      )
      .map(
        ([decoy, quiet, level]) =>
          `{"timestamp":"t","${decoy}":"${quiet}","level":"${level}","requestId":"${ID}","message":{"errorType":"E","errorMessage":"m"}}`,
      );
    // A quiet level key that is not the line's own: a later duplicate (JSON.parse keeps the last),
    // one inside a string with escaped quotes, one inside a nested value.
    const notItsOwn = fc
      .tuple(fc.constantFrom("INFO", "debug", "WARN"), fc.constantFrom("ERROR", "FATAL"))
      .chain(([quiet, loud]) =>
        fc.constantFrom(
          `{"level":"${quiet}","requestId":"${ID}","level":"${loud}","message":{"errorType":"E","errorMessage":"m"}}`,
          `{"a\\"level":"${quiet}","level":"${loud}","requestId":"${ID}","message":{"errorType":"E","errorMessage":"m"}}`,
          `{"message":{"level":"${quiet}"},"level":"${loud}","requestId":"${ID}","errorType":"E","errorMessage":"m"}`,
          `{"ctx":[{"level":"${quiet}"}],"level":"${loud}","requestId":"${ID}","errorType":"E","errorMessage":"m"}`,
        ),
      );
    for (const line of [
      `{"level":"INFO","requestId":"${ID}","level":"ERROR","message":{"errorType":"E","errorMessage":"m"}}`,
    ]) {
      // The case itself: parsed, it is an error of the request.
      expect(factBodyOf(parseLogEvent(line))).toBeDefined();
    }
    fc.assert(
      fc.property(fc.oneof(anyStart, textLine, mutated, platform, decoyLevel, notItsOwn), (line) => {
        if (relevanceOf(line) !== Relevance.App) return;
        const record = parseLogEvent(line);
        expect(factBodyOf(record)).toBeUndefined();
        expect(idlessEffectOf(record)).toBeUndefined();
      }),
      { numRuns: 5000 },
    );
  });
});
