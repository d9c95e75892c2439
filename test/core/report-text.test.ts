/**
 * The text REPORT reader walks the tab-separated fields by offset (parse.ts reportByTabs). This
 * compares it, on generated and mutated REPORT lines, with the plain reading it replaced: split on
 * tabs, each part's first ": " separating key and value.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { parseLogEvent } from "../../core/logs/parse.ts";

const ID = "8f5d2a1c-6b3e-4f7a-9c2d-1e0f3a4b5c6d";

function num(value: string): number | undefined {
  const c = value.charCodeAt(0);
  if (!(c === 45 || (c >= 48 && c <= 57))) return undefined;
  const n = Number.parseFloat(value);
  return Number.isFinite(n) ? n : undefined;
}
function status(value: string): string | undefined {
  const v = value.trim().toLowerCase();
  return v === "success" || v === "failure" || v === "error" || v === "timeout" ? v : undefined;
}
/** The reading by split, as parse.ts had it: the reference. */
function reportBySplit(line: string): Record<string, unknown> {
  const r: Record<string, unknown> = { kind: "report", requestId: ID };
  const set = (k: string, v: unknown) => {
    if (v !== undefined) r[k] = v;
  };
  const parts = line.split("\t");
  for (let j = 1; j < parts.length; j++) {
    const p = parts[j]!;
    const colon = p.indexOf(": ");
    if (colon < 0) continue;
    const value = p.slice(colon + 2);
    const key = p.slice(0, colon);
    if (key === "Status") set("status", status(value));
    else if (key === "Duration") set("durationMs", num(value));
    else if (key === "Error Type" && value.trim() !== "") r["errorType"] = value.trim();
    else if (key === "Memory Size") set("memorySizeMb", num(value));
    else if (key === "Init Duration") set("initDurationMs", num(value));
    else if (key === "Billed Duration") set("billedDurationMs", num(value));
    else if (key === "Max Memory Used") set("maxMemoryUsedMb", num(value));
    else if (key === "Restore Duration") set("restoreDurationMs", num(value));
    else if (key === "Billed Restore Duration") set("billedRestoreDurationMs", num(value));
  }
  return r;
}

const key = fc.constantFrom(
  "Duration",
  "Billed Duration",
  "Memory Size",
  "Max Memory Used",
  "Init Duration",
  "Restore Duration",
  "Billed Restore Duration",
  "Status",
  "Error Type",
  "Durations",
  "Duratio",
  "X",
);
const value = fc.oneof(
  fc.constantFrom(
    "1.76 ms",
    "2 ms",
    "128 MB",
    "-1",
    "1e3 ms",
    "success",
    " timeout ",
    "error",
    "Runtime.OutOfMemory",
    "",
    " ",
    ": 5",
    "x: 1",
  ),
  fc.string({ maxLength: 8 }),
);
const part = fc.oneof(
  fc.tuple(key, fc.constantFrom(": ", ":", ":  ", " : "), value).map((t) => t.join("")),
  fc.string({ maxLength: 6 }),
);
const reportLine = fc.array(part, { maxLength: 10 }).map((parts) => `REPORT RequestId: ${ID}\t${parts.join("\t")}`);
/** One character replaced, inserted or deleted after the request id (tabs, colons, spaces, digits). */
const mutated = fc
  .tuple(
    reportLine,
    fc.nat(),
    fc.constantFrom("\t", ":", " ", "1", "\n", "\r", "S"),
    fc.constantFrom("replace", "insert", "delete"),
  )
  .map(([line, at, c, how]) => {
    const from = 55;
    const k = from + (at % (line.length - from + 1));
    if (how === "insert") return line.slice(0, k) + c + line.slice(k);
    if (how === "delete") return line.slice(0, k) + line.slice(k + 1);
    return line.slice(0, k) + c + line.slice(k + 1);
  });

describe("text REPORT by tabs", () => {
  it("reads every tab-separated REPORT as the split reading does", () => {
    fc.assert(
      fc.property(fc.oneof(reportLine, mutated), (line) => {
        // Lines with a line break or a carriage return, or without tabs, go to the scan path.
        const first = line.split("\n")[0]!;
        if (!first.includes("\t") || first.includes("\r")) return;
        expect(parseLogEvent(line)).toEqual(reportBySplit(first));
      }),
      { numRuns: 5000 },
    );
  });
});
