/**
 * The processor's fast paths (cheap relevance check, field reading by key, lazy parsing) must be
 * pure speed-ups: these properties compare them with the plain, full parse.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { parseLogEvent } from "../../core/logs/parse.ts";
import { Relevance, relevanceOf } from "../../core/logs/relevance.ts";
import { factBodyOf, idlessEffectOf } from "../../core/status/facts.ts";
import { reducePayload } from "../../core/status/reduce.ts";
import { generateGroup, groupSpecArb } from "../helpers/lambda-logs.ts";

const ID = "8f5d2a1c-6b3e-4f7a-9c2d-1e0f3a4b5c6d";
const realisticLine = fc.oneof(
  fc.constantFrom("INFO", "WARN", "DEBUG", "ERROR", "TRACE", "info", "FATAL").chain((level) =>
    fc.oneof(
      fc.string().map((m) => `2026-11-24T10:00:00.000Z\t${ID}\t${level}\t${m}`),
      fc.string().map((m) => `2026-11-24T10:00:00.000Z ${ID} ${level} ${m}`),
      fc.string().map((m) => `2026-11-24T10:00:00.000Z\tundefined\t${level}\t${m}`),
      fc.string().map((m) => JSON.stringify({ timestamp: "t", level, requestId: ID, message: m })),
      fc
        .string()
        .map((m) => JSON.stringify({ level, message: m, function_request_id: ID, errorType: "E", errorMessage: m })),
      fc.string().map((m) =>
        JSON.stringify({
          level,
          message: "job accepted",
          function_request_id: ID,
          jobEvent: "accepted",
          inputBucket: "b",
          inputKey: m,
          inputBytes: 3,
          sequences: 2,
        }),
      ),
      fc.string().map((m) => JSON.stringify({ level, message: { errorType: "TypeError", errorMessage: m } })),
    ),
  ),
  fc.string(),
  fc.string().map((m) => `{${m}`),
);

describe("fast paths are pure speed-ups", () => {
  it("a line the relevance check skips never carries a fact or an id-less effect", () => {
    fc.assert(
      fc.property(realisticLine, (line) => {
        if (relevanceOf(line) !== Relevance.App) return;
        const record = parseLogEvent(line);
        expect(factBodyOf(record)).toBeUndefined();
        expect(idlessEffectOf(record)).toBeUndefined();
      }),
      { numRuns: 3000 },
    );
  });

  it("JSON lines read by key equal JSON.parse's reading of the same line", () => {
    fc.assert(
      fc.property(
        fc.record({
          jobEvent: fc.constantFrom("accepted", "succeeded"),
          inputBucket: fc.string(),
          inputKey: fc.string(),
          outputBucket: fc.string(),
          outputKey: fc.string(),
          inputBytes: fc.integer(),
          sequences: fc.nat(),
          mafftDurationMs: fc.double({ noNaN: true, noDefaultInfinity: true }),
          mafftArgs: fc.string(),
        }),
        ({ jobEvent, ...fields }) => {
          const line = JSON.stringify({
            level: "INFO",
            message: "job",
            timestamp: "t",
            function_request_id: ID,
            jobEvent,
            ...fields,
          });
          // A nested value makes the fast reader give up, so this one is read by JSON.parse.
          const viaJsonParse = JSON.stringify({
            level: "INFO",
            message: "job",
            timestamp: "t",
            function_request_id: ID,
            jobEvent,
            ...fields,
            context: { nested: true },
          });
          expect(parseLogEvent(line)).toEqual(parseLogEvent(viaJsonParse));
          expect(parseLogEvent(line).kind).toBe("job");
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("lazy reduction equals eager reduction on generated streams with random lines mixed in", () => {
    fc.assert(
      fc.property(groupSpecArb(), fc.array(fc.tuple(fc.nat(), realisticLine), { maxLength: 30 }), (spec, extra) => {
        const group = generateGroup(spec);
        for (const s of group.streams) {
          const events = [...s.events];
          for (const [at, message] of extra) {
            const base = events[at % events.length]!;
            events.push({ id: `${base.id}5`, timestamp: base.timestamp, message });
          }
          const message = { logGroup: group.logGroup, logStream: s.name, logEvents: events };
          expect(reducePayload(message, { lazy: true })).toEqual(reducePayload(message, { lazy: false }));
        }
      }),
      { numRuns: 300 },
    );
  });
});
