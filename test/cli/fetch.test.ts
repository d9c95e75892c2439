/**
 * Alignments back in hand, end to end on the local cloud (the real handlers, MAFFT, s3rver,
 * dynalite) through the real `aligner` binary: `submit --wait --download DIR` and `fetch` save
 * exactly the bytes of the output object; each case with nothing to give — unknown id, job still
 * running, job failed, output deleted or expired — ends with its sentence and exit code 1.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DeleteObjectCommand, GetObjectCommand } from "@aws-sdk/client-s3";
import { UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { jobKey, type JobRecord } from "../../core/jobs-table.ts";
import { SAMPLE_DIR, startTestCloud, type TestCloud } from "../helpers/local-cloud.ts";
import { jsonLines, runAligner } from "../helpers/run-cli.ts";

let t: TestCloud;
let dir: string;
/** The CLI's retry timing must match the cloud's (TEST_OVERRIDES divides Lambda's delays by 600). */
const aligner = (args: string[]) => runAligner(args, { cwd: dir, env: { ALIGNER_LOCAL_RETRY_DELAY_DIVISOR: "600" } });
const STEP_MS = 90_000;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "aligner-fetch-"));
  t = await startTestCloud({ stateDir: path.join(dir, ".aligner"), writeEndpointsFile: true });
}, 120_000);
afterAll(async () => {
  await t?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function outputBytes(record: JobRecord): Promise<Buffer> {
  const res = await t.s3.send(new GetObjectCommand({ Bucket: record.outputBucket!, Key: record.outputKey! }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

async function history(): Promise<JobRecord[]> {
  return jsonLines((await aligner(["history", "--local", "--json"])).stdout) as unknown as JobRecord[];
}

describe("alignments back in hand (local cloud)", () => {
  let good: JobRecord;
  let bad: JobRecord;

  it(
    "submit --wait --download saves each succeeded job's alignment as the output object's bytes; a failed job is told and not written",
    async () => {
      const one = path.join(dir, "one.fasta");
      writeFileSync(one, ">only\nACGT\n");
      const r = await aligner([
        "submit",
        "--local",
        path.join(SAMPLE_DIR, "input.fasta"),
        one,
        "--no-check",
        "--wait",
        "--download",
        "out",
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe("aligner: 1 of 2 jobs did not succeed\n");
      expect(r.stdout).toMatch(/one\.fasta: FAILED.*: InvalidInput: one\.fasta holds only one sequence/);
      expect(r.stdout).toMatch(/input\.fasta: saved → out\/input\.aligned\.fasta \([\d.]+ KiB\)\n/);
      const jobs = await history();
      good = jobs.find((j) => j.inputKey === "input.fasta")!;
      bad = jobs.find((j) => j.inputKey === "one.fasta")!;
      expect(good.status).toBe("SUCCEEDED");
      expect(bad.status).toBe("FAILED");
      // Only the succeeded job's file, and no temporary file left beside it.
      expect(readdirSync(path.join(dir, "out"))).toEqual([path.basename(good.outputKey!)]);
      const saved = readFileSync(path.join(dir, "out", "input.aligned.fasta"));
      expect(saved.equals(await outputBytes(good))).toBe(true);
      expect(saved.toString()).toBe(readFileSync(path.join(SAMPLE_DIR, "expected.linsi.fasta"), "utf8"));
    },
    STEP_MS,
  );

  it(
    "submit --download without --wait is a usage error, before anything is uploaded",
    async () => {
      const r = await aligner(["submit", "--local", path.join(SAMPLE_DIR, "dna-small.fasta"), "--download", "out"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe("aligner: --download saves the alignments once the jobs have ended: add --wait\n");
      expect((await history()).some((j) => j.inputKey === "dna-small.fasta")).toBe(false);
    },
    STEP_MS,
  );

  it(
    "fetch by request id into a folder, by input key into a file, and to stdout: the output object's bytes each time",
    async () => {
      const expected = await outputBytes(good);
      const byId = await aligner(["fetch", "--local", good.requestId, "--to", "by-id"]);
      expect(byId).toMatchObject({ code: 0, stderr: "" });
      expect(byId.stdout).toBe(
        `saved s3://${good.outputBucket}/${good.outputKey} → by-id/input.aligned.fasta (${(expected.length / 1024).toFixed(1)} KiB)\n`,
      );
      expect(readFileSync(path.join(dir, "by-id", "input.aligned.fasta")).equals(expected)).toBe(true);

      const byKey = await aligner(["fetch", "--local", "input.fasta", "-o", "named/mine.fasta"]);
      expect(byKey.code).toBe(0);
      expect(readFileSync(path.join(dir, "named", "mine.fasta")).equals(expected)).toBe(true);

      const toStdout = await aligner(["fetch", "--local", good.requestId.toUpperCase(), "-o", "-"]);
      expect(toStdout.code).toBe(0);
      expect(toStdout.stdout).toBe(expected.toString());
      expect(toStdout.stderr).toMatch(/^saved s3:\/\/\S+ → stdout \(/);
    },
    STEP_MS,
  );

  it(
    "fetch: an unknown request id, an input key without a job, and a failed job each end with a sentence and exit code 1",
    async () => {
      const unknown = await aligner(["fetch", "--local", "00000000-0000-4000-a000-000000000000"]);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toBe(
        "aligner: no job has request id 00000000-0000-4000-a000-000000000000 in the jobs table lambda-aligner-jobs; check the id (aligner history lists recent jobs)\n",
      );
      const noKey = await aligner(["fetch", "--local", "never/uploaded.fasta"]);
      expect(noKey.code).toBe(1);
      expect(noKey.stderr).toMatch(/^aligner: no job of input key "never\/uploaded\.fasta" started in the last 30d/);

      const failed = await aligner(["fetch", "--local", bad.requestId]);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toBe(
        `aligner: job ${bad.requestId} (one.fasta) FAILED: InvalidInput: ${bad.errorMessage}; it has no alignment (aligner logs ${bad.requestId} shows why)\n`,
      );
      expect(readdirSync(dir)).not.toContain("one.aligned.fasta");
    },
    STEP_MS,
  );

  it(
    "fetch: usage errors (exit 2) for -o with several jobs, -o with --to, and -o - with --json",
    async () => {
      expect(await aligner(["fetch", "--local", "a", "b", "-o", "x"])).toMatchObject({
        code: 2,
        stderr: "aligner: -o saves one alignment, and 2 jobs were named; use --to DIR for several\n",
      });
      expect((await aligner(["fetch", "--local", "a", "-o", "x", "--to", "d"])).code).toBe(2);
      expect((await aligner(["fetch", "--local", "a", "-o", "-", "--json"])).code).toBe(2);
    },
    STEP_MS,
  );

  it(
    "fetch of several jobs saves what it can, tells each failure, exits 1; --json gives each job's outcome",
    async () => {
      const r = await aligner(["fetch", "--local", good.requestId, bad.requestId, "--to", "several"]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/→ several\/input\.aligned\.fasta/);
      expect(r.stderr).toBe(
        `aligner: job ${bad.requestId} (one.fasta) FAILED: InvalidInput: ${bad.errorMessage}; it has no alignment (aligner logs ${bad.requestId} shows why)\naligner: 1 of 2 alignments were not saved\n`,
      );
      const j = await aligner([
        "fetch",
        "--local",
        good.requestId,
        bad.requestId,
        "nothing.fasta",
        "--to",
        "several",
        "--json",
      ]);
      expect(j.code).toBe(1);
      expect(
        jsonLines(j.stdout).map((x) => [x["job"], (x["error"] as { kind?: string } | undefined)?.kind ?? x["saved"]]),
      ).toEqual([
        [good.requestId, path.join("several", "input.aligned.fasta")],
        [bad.requestId, "failed"],
        ["nothing.fasta", "unknown"],
      ]);
    },
    STEP_MS,
  );
  it(
    "fetch: an output deleted from the bucket, and one past the bucket's expiry, are gone (exit 1)",
    async () => {
      await t.s3.send(new DeleteObjectCommand({ Bucket: good.outputBucket!, Key: good.outputKey! }));
      const deleted = await aligner(["fetch", "--local", good.requestId, "--to", "gone"]);
      expect(deleted.code).toBe(1);
      expect(deleted.stderr).toMatch(
        new RegExp(
          `^aligner: the alignment of job ${good.requestId} \\(input\\.fasta\\), s3://lambda-aligner-output/input\\.aligned\\.fasta, is gone: it was deleted \\(written \\d+ min ago, before the output bucket would have expired it\\); submit the input again to get it back\\n$`,
        ),
      );
      expect(readdirSync(path.join(dir, "gone"))).toEqual([]);
      // The same job as if it had ended 40 days ago: past the 30 days the bucket keeps alignments.
      const key = jobKey(good.requestId);
      await t.dynamo.send(
        new UpdateItemCommand({
          TableName: t.cloud.names.jobsTable,
          Key: { pk: { S: key.pk }, sk: { S: key.sk } },
          UpdateExpression: "SET endedAt = :old",
          ExpressionAttributeValues: { ":old": { S: new Date(Date.now() - 40 * 86_400_000).toISOString() } },
        }),
      );
      const expired = await aligner(["fetch", "--local", good.requestId]);
      expect(expired.code).toBe(1);
      expect(expired.stderr).toContain(
        "is gone: it was written 40 days ago, and the output bucket expires alignments after 30 days (ALIGNER_RESULT_EXPIRY_DAYS)",
      );
    },
    STEP_MS,
  );

  it(
    "fetch: a job still running says so (exit 1), and once it has ended its alignment is saved",
    async () => {
      // The job's read of its input hangs until released: it is RUNNING meanwhile.
      const release = t.cloud.faults.s3.stall({
        method: "GET",
        pathPrefix: `/${t.cloud.names.inputBucket}/slow`,
        ms: 120_000,
        count: 1,
      });
      await t.upload("slow.fasta", readFileSync(path.join(SAMPLE_DIR, "dna-small.fasta")));
      // Its record learns the input key only once the input is read: found by the request id S3's event started.
      const id = await vi.waitFor(() => t.requestIdFor("slow.fasta"), { timeout: 10_000 });
      let running: JobRecord | undefined;
      for (const until = Date.now() + 60_000; !running && Date.now() < until; ) {
        running = (await t.jobs()).find((j) => j.requestId === id && j.status === "RUNNING");
        if (!running) await new Promise((r) => setTimeout(r, 100));
      }
      expect(running, "the job was never seen RUNNING").toBeDefined();
      const r = await aligner(["fetch", "--local", id, "--json"]);
      expect(r.code).toBe(1);
      const [result] = jsonLines(r.stdout);
      expect(result).toMatchObject({ job: id, requestId: id, status: "RUNNING" });
      expect(result!["error"]).toMatchObject({ kind: "running" });
      expect((result!["error"] as { message: string }).message).toMatch(
        new RegExp(
          `^job ${id} is still RUNNING, started .+ ago; fetch it when it has ended \\(aligner watch follows it\\)$`,
        ),
      );
      release();
      await t.cloud.waitForQuiet();
      const after = await aligner(["fetch", "--local", "slow.fasta", "--json"]);
      expect(after.code).toBe(0);
      expect(jsonLines(after.stdout)[0]).toMatchObject({ status: "SUCCEEDED", saved: "slow.aligned.fasta" });
      const record = (await t.job(running!.requestId))!;
      expect(readFileSync(path.join(dir, "slow.aligned.fasta")).equals(await outputBytes(record))).toBe(true);
    },
    2 * STEP_MS,
  );
});
