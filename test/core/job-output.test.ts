/**
 * core/job-output.ts: whether a job's alignment can be fetched (from its record, never from the
 * input key), the sentence when it cannot, the file name it is saved under, and whether an
 * output S3 no longer has expired or was deleted.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { JobRecord } from "../../core/jobs-table.ts";
import { goneMessage, outputFileName, outputVerdict, REQUEST_ID, retryPolicyFor } from "../../core/job-output.ts";
import { historyFilter } from "../../core/job-queries.ts";
import { resolveConfig } from "../../core/config.ts";

const NOW = Date.parse("2026-11-24T12:00:00Z");
const policy = { maxRetries: 2, delayDivisor: 1 };
const ID = "3f1c9a2e-5b7d-4e8f-9a0b-1c2d3e4f5a6b";
const job = (r: Partial<JobRecord>): JobRecord => ({
  requestId: ID,
  status: "SUCCEEDED",
  attempts: 1,
  inputKey: "runs/opsins.fasta",
  ...r,
});

describe("outputVerdict", () => {
  it("names the output the record names, whatever rule made it", () => {
    const r = job({ outputBucket: "out-bucket", outputKey: "elsewhere/opsins.clustal" });
    expect(outputVerdict(r, { nowMs: NOW, policy })).toEqual({
      ok: true,
      output: { bucket: "out-bucket", key: "elsewhere/opsins.clustal" },
    });
  });

  it("a running job: still RUNNING, with how long ago it started", () => {
    const r = job({ status: "RUNNING", startedAt: new Date(NOW - 42_000).toISOString() });
    expect(outputVerdict(r, { nowMs: NOW, policy })).toEqual({
      ok: false,
      kind: "running",
      message: `job ${ID} (runs/opsins.fasta) is still RUNNING, started 42.0 s ago; fetch it when it has ended (aligner watch follows it)`,
    });
  });

  it("a failure Lambda will retry is not final yet; after the last attempt it is", () => {
    const ended = new Date(NOW - 5_000).toISOString();
    const retried = job({ status: "TIMED_OUT", errorType: "Sandbox.Timedout", attempts: 1, endedAt: ended });
    expect(outputVerdict(retried, { nowMs: NOW, policy })).toMatchObject({
      ok: false,
      kind: "running",
      message: `job ${ID} (runs/opsins.fasta): attempt 1 TIMED_OUT (Sandbox.Timedout) and Lambda retries it; fetch it when it has ended`,
    });
    const last = { ...retried, attempts: 3, errorMessage: "Task timed out after 300.00 seconds" };
    expect(outputVerdict(last, { nowMs: NOW, policy })).toMatchObject({
      ok: false,
      kind: "failed",
      message: `job ${ID} (runs/opsins.fasta) TIMED_OUT: Sandbox.Timedout: Task timed out after 300.00 seconds; it has no alignment (aligner logs ${ID} shows why)`,
    });
  });

  it("the aligner's own verdict on the input is final at once, with its type and message on one line", () => {
    const r = job({
      status: "FAILED",
      errorType: "InvalidInput",
      errorMessage: "x.fasta holds\nno sequences",
      endedAt: new Date(NOW).toISOString(),
    });
    expect(outputVerdict(r, { nowMs: NOW, policy })).toEqual({
      ok: false,
      kind: "failed",
      message: `job ${ID} (runs/opsins.fasta) FAILED: InvalidInput: x.fasta holds no sequences; it has no alignment (aligner logs ${ID} shows why)`,
    });
  });

  it("a SUCCEEDED record that names no output says so", () => {
    expect(outputVerdict(job({ outputBucket: "b" }), { nowMs: NOW, policy })).toMatchObject({
      ok: false,
      kind: "no-output",
    });
    expect(outputVerdict(job({ outputKey: "k" }), { nowMs: NOW, policy })).toMatchObject({
      ok: false,
      kind: "no-output",
    });
  });
});

describe("goneMessage", () => {
  const out = { bucket: "b", key: "runs/opsins.aligned.fasta" };
  const endedAgo = (ms: number) => job({ endedAt: new Date(NOW - ms).toISOString() });

  it("an output older than the bucket's expiry expired; a younger one was deleted", () => {
    expect(goneMessage(endedAgo(31 * 86_400_000), out, { nowMs: NOW, resultExpiryDays: 30 })).toBe(
      `the alignment of job ${ID} (runs/opsins.fasta), s3://b/runs/opsins.aligned.fasta, is gone: it was written 31 days ago, and the output bucket expires alignments after 30 days (ALIGNER_RESULT_EXPIRY_DAYS); submit the input again to get it back`,
    );
    expect(goneMessage(endedAgo(30 * 86_400_000), out, { nowMs: NOW, resultExpiryDays: 30 })).toContain(
      "expires alignments after 30 days",
    );
    expect(goneMessage(endedAgo(30 * 86_400_000 - 1), out, { nowMs: NOW, resultExpiryDays: 30 })).toContain(
      "it was deleted (written 29 days ago, before the output bucket would have expired it)",
    );
    expect(goneMessage(endedAgo(5 * 3_600_000), out, { nowMs: NOW, resultExpiryDays: 30 })).toContain(
      "(written 5 h ago,",
    );
    expect(goneMessage(endedAgo(40 * 60_000), out, { nowMs: NOW, resultExpiryDays: 30 })).toContain(
      "(written 40 min ago,",
    );
  });

  it("with no expiry (0) or no end time, it was deleted", () => {
    expect(goneMessage(endedAgo(400 * 86_400_000), out, { nowMs: NOW, resultExpiryDays: 0 })).toContain(
      "it was deleted (written 400 days ago",
    );
    expect(goneMessage(job({}), out, { nowMs: NOW, resultExpiryDays: 30 })).toContain(
      "is gone: it was deleted; submit",
    );
  });
});

/** S3 keys as they come: segments that are empty, dots, long, any UTF-8 (NUL included). */
const keys = fc
  .array(
    fc.oneof(
      fc.constantFrom("", ".", "..", "a.aligned.fasta", "é".repeat(128)),
      fc.string({ unit: "binary", maxLength: 40 }),
      fc.string({ maxLength: 300 }),
    ),
    { maxLength: 5 },
  )
  .map((segments) => segments.join("/"));

describe("outputFileName", () => {
  it("is the key's last segment", () => {
    expect(outputFileName("runs/2026/opsins.aligned.fasta")).toEqual({ ok: true, name: "opsins.aligned.fasta" });
    expect(outputFileName("top.aligned.fasta")).toEqual({ ok: true, name: "top.aligned.fasta" });
    expect(outputFileName("a//ü b.fasta")).toEqual({ ok: true, name: "ü b.fasta" });
  });

  it.each(["", "runs/", "..", "a/..", ".", "a/./", "x/.."])("refuses %j, which names no file", (key) => {
    expect(outputFileName(key)).toMatchObject({ ok: false, reason: expect.stringContaining("save it with -o FILE") });
  });

  it("never gives a name with a slash, '.', '..' or over 255 bytes (any key)", () => {
    fc.assert(
      fc.property(keys, (key) => {
        const r = outputFileName(key);
        if (!r.ok) return;
        expect(r.name).not.toContain("/");
        expect(r.name).not.toContain("\u0000");
        expect([".", "..", ""]).not.toContain(r.name);
        expect(Buffer.byteLength(r.name)).toBeLessThanOrEqual(255);
        expect(key.endsWith(`/${r.name}`) || key === r.name).toBe(true);
      }),
    );
    expect(outputFileName(`d/${"é".repeat(127)}x`)).toMatchObject({ ok: true });
    expect(outputFileName(`d/${"é".repeat(128)}`)).toMatchObject({ ok: false });
  });
});

describe("request ids and the lookups of fetch", () => {
  it("REQUEST_ID takes Lambda's UUIDs in either case and nothing else", () => {
    expect(REQUEST_ID.test(ID)).toBe(true);
    expect(REQUEST_ID.test(ID.toUpperCase())).toBe(true);
    expect(REQUEST_ID.test(`${ID}x`)).toBe(false);
    expect(REQUEST_ID.test("runs/opsins.fasta")).toBe(false);
  });

  it("an input key is matched exactly (not as a prefix), alone or with the other filters", () => {
    expect(historyFilter({ inputKey: "a.fasta" })).toEqual({
      expression: "#inputKey = :inputKey",
      names: { "#inputKey": "inputKey" },
      values: { ":inputKey": "a.fasta" },
    });
    expect(historyFilter({ inputKey: "a.fasta", cold: true })?.expression).toBe(
      "#inputKey = :inputKey AND #coldStart = :cold",
    );
  });

  it("the local cloud's retry delays are divided, AWS's are not", () => {
    const config = resolveConfig({ env: { ALIGNER_LOCAL_RETRY_DELAY_DIVISOR: "60" } });
    expect(retryPolicyFor(config, "local")).toEqual({ maxRetries: 2, delayDivisor: 60 });
    expect(retryPolicyFor(config, "aws")).toEqual({ maxRetries: 2, delayDivisor: 1 });
  });
});
