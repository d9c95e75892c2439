/** Rules of `aligner submit` (core/submission.ts): when a job has ended for good, which record is the upload's job, which keys start none. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JOB_ERROR_TYPES } from "../../core/job-events.ts";
import { JOB_STATUSES, type JobRecord } from "../../core/jobs-table.ts";
import { inputKeyFor, isJobOf, jobProgress, SKEW_MS, whyNoJob } from "../../core/submission.ts";

const NOW = Date.parse("2026-11-24T12:00:00Z");
const policies = fc.record({
  maxRetries: fc.integer({ min: 0, max: 2 }),
  delayDivisor: fc.integer({ min: 1, max: 120 }),
});
const times = fc.integer({ min: NOW - 86_400_000, max: NOW + 86_400_000 });
const errorTypes = fc.option(
  fc.oneof(
    fc.constantFrom(...JOB_ERROR_TYPES),
    fc.constantFrom("Runtime.OutOfMemory", "Runtime.ExitError", "TypeError", "Sandbox.Timedout"),
  ),
  { nil: undefined },
);
const records = fc.record(
  {
    requestId: fc.uuid(),
    status: fc.constantFrom(...JOB_STATUSES),
    attempts: fc.integer({ min: 1, max: 4 }),
    errorType: errorTypes,
    endedAt: times.map((t) => new Date(t).toISOString()),
    updatedAt: times.map((t) => new Date(t).toISOString()),
  },
  { requiredKeys: ["requestId", "status", "attempts"] },
) as fc.Arbitrary<JobRecord>;

describe("job progress", () => {
  it("a running job is running; a succeeded job has ended, whatever else the record says", () => {
    fc.assert(
      fc.property(records, policies, (r, p) => {
        if (r.status === "RUNNING") expect(jobProgress(r, p)).toEqual({ state: "running" });
        if (r.status === "SUCCEEDED") expect(jobProgress(r, p)).toEqual({ state: "ended" });
      }),
    );
  });

  it("the aligner's own verdicts (bad input, MAFFT's refusal) end a job at once: Lambda does not retry them", () => {
    fc.assert(
      fc.property(records, policies, fc.constantFrom(...JOB_ERROR_TYPES), (r, p, errorType) => {
        expect(jobProgress({ ...r, status: "FAILED", errorType, attempts: 1 }, p)).toEqual({ state: "ended" });
      }),
    );
  });

  it("a platform failure or timeout with retries left waits for Lambda's retry: a minute per attempt made, divided, plus a grace of at least 5 s", () => {
    fc.assert(
      fc.property(records, policies, times, (r, p, ended) => {
        fc.pre(r.status === "FAILED" || r.status === "TIMED_OUT");
        fc.pre(!(JOB_ERROR_TYPES as readonly string[]).includes(r.errorType ?? ""));
        const attempts = Math.min(r.attempts, p.maxRetries + 1);
        const progress = jobProgress({ ...r, attempts, endedAt: new Date(ended).toISOString() }, p);
        if (attempts >= p.maxRetries + 1) {
          expect(progress).toEqual({ state: "ended" });
          return;
        }
        expect(progress.state).toBe("awaiting-retry");
        const wait = (progress as { untilMs: number }).untilMs - ended;
        const delay = (60_000 * attempts) / p.delayDivisor;
        const grace = wait - delay;
        expect(grace).toBeGreaterThanOrEqual(5000 - 0.01);
        expect(grace).toBeLessThanOrEqual(Math.max(5000, 30_000 / p.delayDivisor) + 0.01);
      }),
    );
  });

  it("no retry is awaited once all attempts are made, or when the record does not say when the attempt ended", () => {
    fc.assert(
      fc.property(records, policies, fc.integer({ min: 0, max: 3 }), (r, p, extra) => {
        fc.pre(r.status === "FAILED" || r.status === "TIMED_OUT");
        expect(jobProgress({ ...r, attempts: p.maxRetries + 1 + extra }, p)).toEqual({ state: "ended" });
        const { endedAt: _e, updatedAt: _u, ...undated } = r;
        expect(jobProgress({ ...undated, attempts: 1 }, { ...p, maxRetries: 2 })).toEqual({ state: "ended" });
      }),
    );
    // Without endedAt the last write time stands in.
    expect(
      jobProgress(
        { requestId: "r", status: "TIMED_OUT", attempts: 1, updatedAt: new Date(NOW).toISOString() },
        { maxRetries: 2, delayDivisor: 1 },
      ),
    ).toEqual({ state: "awaiting-retry", untilMs: NOW + 60_000 + 30_000 });
  });
});

describe("the upload's job", () => {
  const sub = { file: "x.fasta", key: "in/x.fasta", uploadedAtMs: NOW };

  it("a job is the upload's when its input key matches and it started no earlier than the upload, less the clock skew allowed", () => {
    fc.assert(
      fc.property(fc.integer({ min: -3 * SKEW_MS, max: 3 * SKEW_MS }), fc.boolean(), (offset, byUpdate) => {
        const at = new Date(NOW + offset).toISOString();
        const r: JobRecord = {
          requestId: "r",
          status: "RUNNING",
          attempts: 1,
          inputKey: sub.key,
          ...(byUpdate ? { updatedAt: at } : { startedAt: at }),
        };
        expect(isJobOf(r, sub)).toBe(offset >= -SKEW_MS);
        expect(isJobOf({ ...r, inputKey: "in/y.fasta" }, sub)).toBe(false);
      }),
    );
    // A record that does not say when it started is not ruled out by time.
    expect(isJobOf({ requestId: "r", status: "RUNNING", attempts: 1, inputKey: sub.key }, sub)).toBe(true);
    expect(isJobOf({ requestId: "r", status: "RUNNING", attempts: 1 }, sub)).toBe(false);
  });
});

describe("input keys", () => {
  const name = fc.stringMatching(/^[A-Za-z0-9 _.-]{1,20}$/).filter((s) => s !== "." && s !== "..");
  it("the key is the prefix, the folder (leading slashes dropped, one slash after it) and the file's own name", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("", "in/", "jobs/in/"),
        fc.option(name, { nil: undefined }),
        fc.constantFrom("", "/", "//"),
        fc.constantFrom("", "/"),
        name,
        (prefix, folder, lead, trail, file) => {
          const key = inputKeyFor(`/home/me/data/${file}`, {
            inputPrefix: prefix,
            ...(folder !== undefined ? { folder: `${lead}${folder}${trail}` } : {}),
          });
          expect(key).toBe(`${prefix}${folder !== undefined ? `${folder}/` : ""}${file}`);
        },
      ),
    );
    expect(inputKeyFor("x.fasta", { inputPrefix: "", folder: "" })).toBe("x.fasta");
    expect(inputKeyFor("x.fasta", { inputPrefix: "", folder: "/" })).toBe("x.fasta");
  });

  it("a key starts a job only with the configured prefix and suffix, and the reason names the setting to look at", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("", "in/"),
        fc.constantFrom("", ".fasta"),
        fc.constantFrom("in/x.fasta", "x.fasta", "in/x.fa", "out/x.fasta"),
        (prefix, suffix, key) => {
          const reason = whyNoJob(key, { prefix, suffix });
          const starts = key.startsWith(prefix) && key.endsWith(suffix);
          expect(reason === undefined).toBe(starts);
          if (!key.startsWith(prefix))
            expect(reason).toBe(`only keys starting with '${prefix}' start a job (ALIGNER_INPUT_PREFIX)`);
          else if (!key.endsWith(suffix))
            expect(reason).toBe(
              `only keys ending with '${suffix}' start a job (ALIGNER_INPUT_SUFFIX); rename the file`,
            );
        },
      ),
    );
  });
});
