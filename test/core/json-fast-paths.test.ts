/**
 * The one-pass JSON readers (scanAppJson, scanPlatformJson in core/logs/parse.ts) must read every
 * line exactly as JSON.parse does (parseJsonGeneral), or give up and let it: compared here on
 * generated lines and on mutations of them — escapes, control characters, nested values, unusual
 * spacing, numbers in every JSON spelling, missing and duplicate keys (JSON.parse keeps the last),
 * keys inside string values, truncation.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { parseJson, parseJsonGeneral } from "../../core/logs/parse.ts";

const ID = "8f5d2a1c-6b3e-4f7a-9c2d-1e0f3a4b5c6d";
/** Raw JSON texts of numbers, valid and not (01, 1., .5 and +1 are not JSON). */
const numberText = fc.oneof(
  fc.constantFrom(
    "0",
    "-0",
    "1e3",
    "1E+3",
    "1.50",
    "-2.5e-3",
    "1e400",
    "01",
    "1.",
    ".5",
    "+1",
    "-",
    "1e",
    "0x10",
    "3",
    "204",
    "1024",
  ),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
  fc.integer().map(String),
);
const stringText = fc
  .oneof(
    fc.constantFrom(
      "",
      "INFO",
      "error",
      "ERROR",
      "success",
      " Timeout ",
      "undefined",
      "null",
      "accepted",
      "succeeded",
      "failed",
      "platform.report",
      ID,
      "$LATEST",
    ),
    fc.string({ maxLength: 12 }),
    // Keys and quotes inside values, escapes (valid and not), raw control characters.
    fc.constantFrom(
      'a\\"level\\":\\"ERROR',
      '\\"requestId\\":\\"x',
      "tab\there",
      "nl\\nx",
      "\\u0041",
      "\\u00",
      "\\x41",
      "a\\\\",
      "\u0001",
      "é€😀",
      "\\ud800",
    ),
  )
  .map((s) => `"${s}"`);
const scalarText = fc.oneof(stringText, numberText, fc.constantFrom("true", "false", "null"));
const valueText: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: scalarText },
  { weight: 1, arbitrary: fc.array(scalarText, { maxLength: 3 }).map((xs) => `[${xs.join(",")}]`) },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.tuple(fc.constantFrom("requestId", "durationMs", "level", "x"), scalarText), { maxLength: 3 })
      .map((kv) => `{${kv.map(([k, v]) => `"${k}":${v}`).join(",")}}`),
  },
);

const APP_KEYS = [
  "level",
  "message",
  "timestamp",
  "requestId",
  "function_request_id",
  "awsRequestId",
  "jobEvent",
  "inputBucket",
  "inputKey",
  "inputBytes",
  "sequences",
  "mafftArgs",
  "outputBucket",
  "outputKey",
  "mafftDurationMs",
  "errorType",
  "errorMessage",
  "error",
  "stackTrace",
  "service",
  "cold_start",
];
const RECORD_KEYS = [
  "requestId",
  "version",
  "status",
  "errorType",
  "runtimeVersion",
  "initializationType",
  "phase",
  "metrics",
  "tracing",
  "spans",
];
const METRIC_KEYS = [
  "durationMs",
  "billedDurationMs",
  "memorySizeMB",
  "maxMemoryUsedMB",
  "initDurationMs",
  "restoreDurationMs",
  "billedRestoreDurationMs",
  "producedBytes",
];
const TYPES = [
  "platform.start",
  "platform.report",
  "platform.runtimeDone",
  "platform.initStart",
  "platform.initReport",
  "platform.restoreStart",
  "platform.extension",
  "function",
  "platform.",
];

const object = (pairs: [string, string][]) => `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(",")}}`;
const pairsOf = (keys: string[], value: fc.Arbitrary<string>) =>
  fc.array(fc.tuple(fc.constantFrom(...keys), value), { maxLength: 12 });

/** Realistic app lines (Powertools, Node runtime, job events) with keys repeated and values of any type. */
const appLine = fc.oneof(
  fc
    .record({
      jobEvent: fc.constantFrom("accepted", "succeeded", "failed"),
      inputBytes: fc.integer(),
      sequences: fc.nat(),
      mafftDurationMs: fc.double({ noNaN: true }),
      key: fc.string(),
    })
    .map(({ jobEvent, ...f }) =>
      JSON.stringify({
        level: "INFO",
        message: `job ${jobEvent}`,
        timestamp: "t",
        service: "aligner",
        cold_start: true,
        function_request_id: ID,
        jobEvent,
        inputBucket: "in",
        inputKey: f.key,
        inputBytes: f.inputBytes,
        sequences: f.sequences,
        mafftArgs: "--auto",
        outputBucket: "out",
        outputKey: f.key,
        mafftDurationMs: f.mafftDurationMs,
      }),
    ),
  fc
    .tuple(pairsOf(APP_KEYS, valueText), pairsOf(APP_KEYS, valueText))
    .map(([a, b]) =>
      object([
        ["level", '"INFO"'],
        ["message", '"m"'],
        ...a,
        ["jobEvent", '"accepted"'],
        ["inputBucket", '"b"'],
        ["inputKey", '"k"'],
        ["inputBytes", "1"],
        ["sequences", "2"],
        ...b,
      ]),
    ),
  pairsOf(APP_KEYS, valueText).map(object),
);
/** Platform records with the same treatment, in the record and its metrics. */
const platformLine = fc
  .tuple(
    fc.constantFrom(...TYPES),
    pairsOf(RECORD_KEYS, valueText),
    pairsOf(METRIC_KEYS, fc.oneof(numberText, valueText)),
    pairsOf(["type", "record", "time", "x"], valueText),
    fc.boolean(),
  )
  .map(([type, rec, metrics, extra, metricsFirst]) => {
    const record = metricsFirst
      ? [["metrics", object(metrics)] as [string, string], ...rec]
      : [...rec, ["metrics", object(metrics)] as [string, string]];
    return object([
      ["time", '"2026-11-24T10:00:01.028Z"'],
      ["type", JSON.stringify(type)],
      ["record", object(record)],
      ...extra,
    ]);
  });

/** Mutations: truncation, inserted spacing or bytes, a character deleted or duplicated. */
const mutated = (line: fc.Arbitrary<string>) =>
  fc
    .tuple(
      line,
      fc.nat(),
      fc.constantFrom("none", "truncate", "insert", "delete", "repeat"),
      fc.constantFrom(" ", "\t", "\n", '"', "\\", ",", "}", "{", ":", "0", "e", "\u0000"),
    )
    .map(([l, at, how, ch]) => {
      const i = at % (l.length + 1);
      switch (how) {
        case "truncate":
          return l.slice(0, i);
        case "insert":
          return l.slice(0, i) + ch + l.slice(i);
        case "delete":
          return l.slice(0, i) + l.slice(i + 1);
        case "repeat":
          return l.slice(0, i) + l.slice(i, i + 6) + l.slice(i);
        default:
          return l;
      }
    });

describe("the one-pass JSON readers read every line as JSON.parse does", () => {
  for (const [name, lines] of [
    ["app lines and job events", appLine],
    ["platform records", platformLine],
  ] as const) {
    it(`${name}, generated`, () => {
      fc.assert(
        fc.property(lines, (line) => {
          expect(parseJson(line)).toEqual(parseJsonGeneral(line));
        }),
        { numRuns: 3000 },
      );
    });
    it(`${name}, mutated`, () => {
      fc.assert(
        fc.property(mutated(lines), (line) => {
          if (!line.startsWith("{")) return;
          expect(parseJson(line)).toEqual(parseJsonGeneral(line));
        }),
        { numRuns: 3000 },
      );
    });
  }

  it("the cases the earlier key-by-key readers got wrong", () => {
    const lines = [
      // duplicate keys: JSON.parse keeps the last
      `{"time":"t","type":"platform.start","record":{"requestId":"${ID}","requestId":"x-2"}}`,
      `{"level":"INFO","message":"m","function_request_id":"a","requestId":"${ID}"}`,
      `{"level":"INFO","message":"m","jobEvent":"accepted","inputBucket":"b","inputKey":"k","inputBytes":1,"sequences":2,"inputBytes":"1"}`,
      `{"level":"INFO","level":5,"message":"m"}`,
      // empty strings read as absent; fields outside the record are not the record's
      `{"time":"t","type":"platform.initReport","record":{"errorType":"","phase":""}}`,
      `{"time":"t","type":"platform.report","record":{"requestId":"${ID}","metrics":{"durationMs":1}},"status":"error"}`,
      `{"time":"t","type":"platform.start","record":{"tracing":{"requestId":"nested"},"requestId":"${ID}"}}`,
      // numbers JSON does not have, and a raw control character: JSON.parse refuses the line
      `{"level":"INFO","message":"m","jobEvent":"accepted","inputBucket":"b","inputKey":"k","inputBytes":01,"sequences":2}`,
      `{"level":"INFO","message":"a\tb","requestId":"${ID}"}`,
    ];
    for (const line of lines) expect(parseJson(line)).toEqual(parseJsonGeneral(line));
  });

  it("a usual job line is read, and the same line with a number JSON does not have (01) is refused", () => {
    const job = `{"level":"INFO","message":"job accepted","function_request_id":"${ID}","jobEvent":"accepted","inputBucket":"in","inputKey":"k","inputBytes":3,"sequences":2}`;
    expect(parseJson(job)).toEqual({
      kind: "job",
      requestId: ID,
      event: { jobEvent: "accepted", inputBucket: "in", inputKey: "k", inputBytes: 3, sequences: 2, mafftArgs: "" },
    });
    expect(parseJson(`${job.slice(0, -1)},"x":01}`)).toBeUndefined();
  });
});
