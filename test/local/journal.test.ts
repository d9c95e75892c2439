/**
 * The journal behind the local cloud's queues: whatever sequence of changes, reopening the file
 * gives the same map (what a restart sees), and the file stays bounded however long it runs.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Journal } from "../../local/journal.ts";
import { destinationRecord, FailureStore } from "../../local/lambda/failures.ts";

describe("Journal", () => {
  it("reopens to the map its changes made, and stays bounded (property)", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "journal-"));
    try {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 30 }), fc.integer()), {
            minLength: 1000,
            maxLength: 3000,
            size: "max",
          }),
          (ops) => {
            const file = path.join(dir, `${Math.random()}.jsonl`);
            const journal = new Journal<number>(file);
            const model = new Map<string, number>();
            const expectBounded = () => {
              const lines = readFileSync(file, "utf8").split("\n").filter(Boolean).length;
              expect(lines).toBeLessThanOrEqual(Math.max(1001, 4 * model.size + 1) + 1);
            };
            ops.forEach(([put, k, v], i) => {
              if (put) {
                journal.put(`k${k}`, v);
                model.set(`k${k}`, v);
              } else {
                journal.delete(`k${k}`);
                model.delete(`k${k}`);
              }
              if (i % 7 === 0) expectBounded(); // along the way, not only where the run happens to end
            });
            expectBounded();
            expect(new Journal<number>(file).values()).toEqual([...model.values()]);
          },
        ),
        // Long runs: compaction starts at 1000 lines (fast-check's default sizes stop near 10 changes).
        // No shrinking: shrinking thousands of changes takes minutes, and the first failure says enough.
        { numRuns: 20, endOnFailure: true },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("ignores a last line torn by a crash", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "journal-"));
    try {
      const file = path.join(dir, "q.jsonl");
      const j = new Journal<{ n: number }>(file);
      j.put("a", { n: 1 });
      appendFileSync(file, '{"op":"put","key":"b","val');
      expect(new Journal<{ n: number }>(file).values()).toEqual([{ n: 1 }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps a failure record written after a crash tore the last line of its file", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "journal-"));
    try {
      const record = (requestId: string) =>
        destinationRecord({
          requestId,
          functionArn: "arn:aws:lambda:us-east-1:000000000000:function:f",
          condition: "RetriesExhausted",
          invokeCount: 3,
          payload: {},
          lastError: undefined,
        });
      new FailureStore(dir).put("f-failures", record("before"));
      appendFileSync(path.join(dir, "f-failures.jsonl"), '{"version":"1.0","timest'); // the process died mid-write
      new FailureStore(dir).put("f-failures", record("after"));
      expect(new FailureStore(dir).read("f-failures").map((r) => r.requestContext.requestId)).toEqual([
        "before",
        "after",
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
