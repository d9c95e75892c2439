import { describe, expect, it } from "vitest";
import { extractRequestLines } from "../../core/logs/extract.ts";
import type { LogEvent } from "../../core/logs/payload.ts";

const A = "aaaaaaaa-0000-4000-8000-000000000001";
const B = "bbbbbbbb-0000-4000-8000-000000000002";
const lines = [
  "INIT_START Runtime Version: nodejs:22.v37\tRuntime Version ARN: arn",
  `START RequestId: ${A} Version: $LATEST`,
  `2026-11-24T10:00:00.001Z\t${A}\tINFO\taligning`,
  "progressive alignment 1/2 (mafft stderr)",
  `END RequestId: ${A}`,
  `REPORT RequestId: ${A}\tDuration: 10.00 ms\tBilled Duration: 10 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB\tInit Duration: 100.00 ms`,
  "a stray line between invocations",
  `START RequestId: ${B} Version: $LATEST`,
  `2026-11-24T10:00:01.001Z\t${B}\tINFO\tsecond job`,
  "progressive alignment 2/2 (mafft stderr)",
  `2026-11-24T10:00:01.002Z\t${A}\tWARN\tlate line of A`,
  `END RequestId: ${B}`,
  `REPORT RequestId: ${B}\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB`,
  `2026-11-24T10:00:04.000Z ${B} Task timed out after 3.00 seconds`,
];
const events: LogEvent[] = lines.map((message, i) => ({ id: String(100 + i), timestamp: 1_000 + i, message }));

describe("extractRequestLines", () => {
  it("keeps a request's own lines, the unprefixed lines of its window and its init, in stream order", () => {
    const a = extractRequestLines([...events].reverse(), A);
    expect(a.map((l) => l.event.message)).toEqual([
      lines[0],
      lines[1],
      lines[2],
      lines[3],
      lines[4],
      lines[5],
      lines[10],
    ]);
    expect(a.map((l) => l.reason)).toEqual(["init", "named", "named", "open", "named", "named", "named"]);
  });

  it("leaves out its warm neighbours and lines between invocations", () => {
    const b = extractRequestLines(events, B).map((l) => l.event.message);
    expect(b).toEqual([lines[7], lines[8], lines[9], lines[11], lines[12], lines[13]]);
    expect(b).not.toContain(lines[6]);
    expect(b).not.toContain(lines[3]);
  });

  it("finds nothing for a request not in the stream", () => {
    expect(extractRequestLines(events, "cccccccc-0000-4000-8000-000000000003")).toEqual([]);
  });
});
