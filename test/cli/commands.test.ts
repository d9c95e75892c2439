/**
 * The `aligner` command against dynalite through a local-cloud file (`--local`): history filters
 * and formats, stats, target, watch when not on a terminal, and what bad arguments and an
 * unreachable or missing target do (message and exit code; submit --json still reports its uploads).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { JOB_RECORD_FIELDS, type JobRecord } from "../../core/jobs-table.ts";
import { percentile } from "../../core/job-stats.ts";
import { startDynalite, type LocalDynamo } from "../helpers/dynalite.ts";
import { generateJobs, writeJobs, type GeneratedJob } from "../helpers/job-records.ts";
import { LOCAL_CREDENTIALS, startS3rver } from "../helpers/s3rver.ts";

const run = promisify(execFile);
// Every test starts the CLI (a Node process each); a busy 2-core CI machine needs the room.
vi.setConfig({ testTimeout: 90_000 });
const BIN = path.resolve(import.meta.dirname, "../../bin/aligner.js");
const TABLE = "cli-jobs";
const MIN = 60_000;
let db: LocalDynamo;
let dir: string;
let jobs: GeneratedJob[];
const now = Date.now();

function localFile(folder: string, endpoint: string, pid = process.pid): void {
  mkdirSync(path.join(folder, ".aligner"), { recursive: true });
  writeFileSync(
    path.join(folder, ".aligner", "local.json"),
    JSON.stringify({
      version: 1,
      pid,
      startedAt: new Date().toISOString(),
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
      endpoints: { s3: endpoint, dynamodb: endpoint, logs: endpoint, sqs: endpoint },
      resources: {
        inputBucket: "cli-in",
        outputBucket: "cli-out",
        jobsTable: TABLE,
        alignerFunction: "f",
        logProcessorFunction: "g",
        alignerLogGroup: "/aws/lambda/f",
        logProcessorLogGroup: "/aws/lambda/g",
      },
      failureStore: "failures",
      failureQueues: { aligner: "f-failures", logProcessor: "g-failures" },
    }),
  );
}

async function aligner(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      cwd: opts.cwd ?? dir,
      env: { ...process.env, NO_COLOR: "1", ...opts.env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const jsonLines = (s: string) =>
  s
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as JobRecord);
const startedIn = (j: GeneratedJob, from: number, to = now + MIN) =>
  Date.parse(j.sortTime) >= from && Date.parse(j.sortTime) < to;
const newestFirst = (a: GeneratedJob, b: GeneratedJob) => (a.sortTime < b.sortTime ? 1 : -1);

beforeAll(async () => {
  db = await startDynalite();
  await db.createJobsTable(TABLE);
  // 400 jobs, one every 10 minutes back from a minute ago: about 66 hours.
  jobs = generateJobs(400, { newestMs: now - MIN, spacingMs: 10 * MIN, seed: 21 });
  await writeJobs(db.client(), TABLE, jobs);
  dir = mkdtempSync(path.join(tmpdir(), "aligner-cli-"));
  localFile(dir, db.endpoint);
});
afterAll(async () => {
  await db?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("aligner history", () => {
  it("lists the last 24 hours newest first as a table, the first 100 by default, and says so", async () => {
    const r = await aligner(["history", "--local"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^REQUEST ID\s+INPUT\s+STATUS\s+START\s+STARTED\s+DURATION\s+BILLED\s+MEMORY\s+ERROR$/);
    const expected = jobs
      .filter((j) => startedIn(j, now - 24 * 60 * MIN))
      .sort(newestFirst)
      .slice(0, 100);
    expect(lines.slice(1).map((l) => l.slice(0, 36))).toEqual(expected.map((j) => j.record.requestId));
    expect(r.stderr).toMatch(/^100 jobs \(the first 100; --limit 0 for all\) · \d+ items read in \d+ queries\n$/);
  });

  it("filters by status and time as key conditions (--json, everything)", async () => {
    const r = await aligner([
      "history",
      "--local",
      "--status",
      "failed,timed_out",
      "--since",
      "7d",
      "--limit",
      "0",
      "--json",
    ]);
    expect(r.code).toBe(0);
    const got = jsonLines(r.stdout);
    const expected = jobs
      .filter(
        (j) =>
          (j.record.status === "FAILED" || j.record.status === "TIMED_OUT") && startedIn(j, now - 7 * 24 * 60 * MIN),
      )
      .sort(newestFirst);
    expect(got).toEqual(expected.map((j) => j.record));
    // Key conditions read only what they return.
    expect(r.stderr).toContain(`${expected.length} jobs · ${expected.length} items read`);
  });

  it("takes an ISO range and a span range alike", async () => {
    const since = new Date(now - 6 * 60 * MIN).toISOString();
    const until = new Date(now - 2 * 60 * MIN).toISOString();
    const a = jsonLines((await aligner(["history", "--local", "--since", since, "--until", until, "--json"])).stdout);
    const b = jsonLines((await aligner(["history", "--local", "--since", "6h", "--until", "2h", "--json"])).stdout);
    const expected = jobs.filter((j) => startedIn(j, Date.parse(since), Date.parse(until))).sort(newestFirst);
    expect(a.map((r) => r.requestId)).toEqual(expected.map((j) => j.record.requestId));
    // The span form is evaluated a moment later; the 10-minute spacing leaves no job on a boundary.
    expect(b.map((r) => r.requestId)).toEqual(a.map((r) => r.requestId));
  });

  it("filters by input prefix and cold start, and writes CSV with a header", async () => {
    const r = await aligner([
      "history",
      "--local",
      "--input",
      "batch-3/",
      "--cold",
      "--since",
      "7d",
      "--limit",
      "0",
      "--csv",
    ]);
    expect(r.code).toBe(0);
    const [header, ...rows] = r.stdout.trim().split("\n");
    expect(header).toBe(JOB_RECORD_FIELDS.join(","));
    const expected = jobs
      .filter(
        (j) => j.record.inputKey!.startsWith("batch-3/") && j.record.coldStart && startedIn(j, now - 7 * 24 * 60 * MIN),
      )
      .sort(newestFirst);
    expect(expected.length).toBeGreaterThan(0);
    expect(rows.map((l) => l.split(",")[0])).toEqual(expected.map((j) => j.record.requestId));
    const fields = rows[0]!.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((f) => f.replace(/,$/, ""));
    expect(fields[JOB_RECORD_FIELDS.indexOf("inputKey")]).toBe(expected[0]!.record.inputKey);
    // Filters read what they drop: the summary shows it.
    const read = Number(/(\d+) items read/.exec(r.stderr)![1]);
    expect(read).toBeGreaterThan(expected.length);
  });

  it("refuses bad arguments with one sentence and exit code 2", async () => {
    const cases: [string[], RegExp][] = [
      [
        ["history", "--local", "--status", "BOGUS"],
        /--status must be one or more of RUNNING, SUCCEEDED, FAILED, TIMED_OUT/,
      ],
      [["history", "--local", "--since", "yesterday"], /--since must be a span such as 30m, 24h or 7d, or an ISO time/],
      [["history", "--local", "--since", "1h", "--until", "2h"], /--until .* must be later than --since/],
      [["history", "--local", "--json", "--csv"], /--json and --csv are two output formats; choose one/],
      [["history", "--local", "--limit", "-3"], /option '--limit <n>' argument '-3' is invalid/],
      [["history", "--local", "--frobnicate"], /unknown option '--frobnicate'/],
      [["logs", "--local", "not-a-request-id"], /"not-a-request-id" is not a Lambda request id/],
      [["watch", "--local", "--since", "forever"], /--since must be a span such as 30m, 1h or 1d/],
      [["history", "--local", "--outputs", "x.json"], /--local and --outputs name two different targets/],
    ];
    const results = await Promise.all(cases.map(([args]) => aligner(args)));
    results.forEach((r, i) => {
      expect(r.code, cases[i]![0].join(" ")).toBe(2);
      expect(r.stderr).toMatch(cases[i]![1]);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  });
});

describe("aligner stats, target and watch", () => {
  it("stats: counts, percentiles, cold starts, errors and GB-seconds over the range", async () => {
    const r = await aligner(["stats", "--local", "--since", "7d", "--json"]);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as Record<string, unknown> & {
      byStatus: Record<string, number>;
      durationMs: { p50: number; p95: number; max: number };
      cold: { rate: number };
      total: number;
      billedGbSeconds: number;
      errorTypes: { errorType: string; count: number }[];
    };
    const inRange = jobs.filter((j) => startedIn(j, now - 7 * 24 * 60 * MIN)).map((j) => j.record);
    expect(s.total).toBe(inRange.length);
    for (const status of ["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT"])
      expect(s.byStatus[status]).toBe(inRange.filter((x) => x.status === status).length);
    const durations = inRange.flatMap((x) => (x.durationMs === undefined ? [] : [x.durationMs])).sort((a, b) => a - b);
    expect(s.durationMs).toMatchObject({
      p50: percentile(durations, 50),
      p95: percentile(durations, 95),
      max: durations.at(-1),
    });
    expect(s.cold.rate).toBeCloseTo(inRange.filter((x) => x.coldStart).length / inRange.length, 10);
    expect(s.billedGbSeconds).toBeCloseTo(
      inRange.reduce((n, x) => n + ((x.billedDurationMs ?? 0) / 1000) * ((x.memorySizeMb ?? 0) / 1024), 0),
      6,
    );
    expect(s.errorTypes.find((e) => e.errorType === "InvalidInput")!.count).toBe(
      inRange.filter((x) => x.errorType === "InvalidInput").length,
    );
    const text = await aligner(["stats", "--local", "--since", "7d"]);
    expect(text.stdout).toMatch(/^\d+ jobs started from \S+ to \S+\n\nSTATUS\s+JOBS\s+SHARE\nRUNNING/);
    expect(text.stdout).toMatch(/cold starts {3}[\d.]+% \(\d+ of \d+\)/);
  });

  it("target: names the local cloud and its resources", async () => {
    const r = await aligner(["target", "--local", "--json"]);
    expect(r.code).toBe(0);
    const t = JSON.parse(r.stdout) as { kind: string; resources: Record<string, { name: string }>; missing: string[] };
    expect(t.kind).toBe("local");
    expect(t.resources["jobsTable"]!.name).toBe(TABLE);
    expect(t.missing).toEqual([]);
    const text = await aligner(["target", "--local"]);
    expect(text.stdout).toMatch(new RegExp(`jobs table\\s+${TABLE}\\s+\\.aligner/local\\.json`));
    expect(t.resources["alignerFailureQueue"]!.name).toBe("f-failures");
    expect(text.stdout).toMatch(/log-processor failure queue\s+g-failures\s+\.aligner\/local\.json/);
  });

  it("target: for AWS, takes names from the outputs file and the environment, and says what is missing", async () => {
    const aws = mkdtempSync(path.join(tmpdir(), "aligner-aws-"));
    try {
      writeFileSync(
        path.join(aws, "outputs.json"),
        JSON.stringify({
          "lambda-aligner": {
            input_bucket: "lambda-aligner-input-abc123",
            jobs_table: "lambda-aligner-jobs",
            region: "eu-west-1",
          },
        }),
      );
      const r = await aligner(["target", "--json"], {
        cwd: aws,
        env: { ALIGNER_OUTPUT_BUCKET: "out-from-env", AWS_REGION: "" },
      });
      expect(r.code).toBe(0);
      const t = JSON.parse(r.stdout) as {
        kind: string;
        region: string;
        resources: Record<string, { name: string; from: string }>;
        missing: string[];
      };
      expect(t).toMatchObject({ kind: "aws", region: "eu-west-1", missing: [] });
      expect(t.resources["inputBucket"]).toEqual({ name: "lambda-aligner-input-abc123", from: "outputs.json" });
      expect(t.resources["outputBucket"]).toEqual({ name: "out-from-env", from: "ALIGNER_OUTPUT_BUCKET" });
      expect(t.resources["alignerLogGroup"]).toEqual({
        name: "/aws/lambda/lambda-aligner-aligner",
        from: "prefix lambda-aligner",
      });
      expect(t.resources["alignerFailureQueue"]).toEqual({
        name: "lambda-aligner-aligner-failures",
        from: "prefix lambda-aligner",
      });
      writeFileSync(
        path.join(aws, "two.json"),
        JSON.stringify({ "stack-a": { jobs_table: "a-jobs" }, "stack-b": { jobs_table: "b-jobs" } }),
      );
      const two = await aligner(["target", "--outputs", "two.json"], {
        cwd: aws,
        env: { ALIGNER_PREFIX: "other-stack" },
      });
      expect(two.code).toBe(2);
      expect(two.stderr).toBe(
        "aligner: two.json holds several stacks (stack-a, stack-b) and none is named other-stack; set ALIGNER_PREFIX to the one you mean\n",
      );
      const chosen = JSON.parse(
        (await aligner(["target", "--outputs", "two.json", "--json"], { cwd: aws, env: { ALIGNER_PREFIX: "stack-b" } }))
          .stdout,
      ) as { resources: Record<string, { name: string }> };
      expect(chosen.resources["jobsTable"]!.name).toBe("b-jobs");
      rmSync(path.join(aws, "outputs.json"));
      const none = await aligner(["target"], {
        cwd: aws,
        env: { ALIGNER_INPUT_BUCKET: "", ALIGNER_OUTPUT_BUCKET: "" },
      });
      expect(none.stdout).toMatch(/missing: input bucket, output bucket/);
    } finally {
      rmSync(aws, { recursive: true, force: true });
    }
  });

  it("watch, not on a terminal: prints the jobs written in the window once, as a table or JSON lines", async () => {
    const r = await aligner(["watch", "--local", "--since", "3h", "--json"]);
    expect(r.code).toBe(0);
    const got = jsonLines(r.stdout);
    const expected = jobs.filter((j) => Date.parse(j.updatedAt) >= now - 3 * 60 * MIN).sort(newestFirst);
    expect(got.map((x) => x.requestId)).toEqual(expected.map((j) => j.record.requestId));
    const table = await aligner(["watch", "--local", "--since", "3h"]);
    expect(table.stdout.split("\n")[0]).toMatch(/^REQUEST ID\s+INPUT\s+STATUS/);
    expect(table.stdout.trim().split("\n")).toHaveLength(expected.length + 1);
  });

  it("says clearly when the local cloud is missing, has stopped, or cannot be reached", async () => {
    const empty = mkdtempSync(path.join(tmpdir(), "aligner-none-"));
    const stale = mkdtempSync(path.join(tmpdir(), "aligner-stale-"));
    const gone = mkdtempSync(path.join(tmpdir(), "aligner-gone-"));
    try {
      localFile(stale, db.endpoint, 2 ** 22 + 12345);
      localFile(gone, "http://127.0.0.1:9");
      const [a, b, c] = await Promise.all([
        aligner(["history", "--local"], { cwd: empty }),
        aligner(["history", "--local"], { cwd: stale }),
        aligner(["history", "--local"], { cwd: gone }),
      ]);
      expect(a.code).toBe(2);
      expect(a.stderr).toBe(
        "aligner: no local cloud found: .aligner/local.json does not exist here or above; start one with aligner dev\n",
      );
      expect(b.code).toBe(2);
      expect(b.stderr).toMatch(
        /^aligner: the local cloud is not running \(\.aligner\/local\.json was left by process \d+, which has ended\); start it with aligner dev\n$/,
      );
      expect(c.code).toBe(1);
      expect(c.stderr).toMatch(
        /^aligner: reading the jobs table cli-jobs: cannot reach the local cloud \(ECONNREFUSED\) \(is the local cloud still running\? start it with aligner dev\)\n$/,
      );
    } finally {
      for (const d of [empty, stale, gone]) rmSync(d, { recursive: true, force: true });
    }
  });

  it("submit --json: reports the jobs its uploads started even when the wait then fails", async () => {
    const s3 = await startS3rver(["cli-in"]);
    const half = mkdtempSync(path.join(tmpdir(), "aligner-half-"));
    try {
      // S3 answers, DynamoDB does not: the upload starts a job, following it fails.
      mkdirSync(path.join(half, ".aligner"));
      writeFileSync(
        path.join(half, ".aligner", "local.json"),
        JSON.stringify({
          version: 1,
          pid: process.pid,
          startedAt: new Date().toISOString(),
          region: "us-east-1",
          credentials: LOCAL_CREDENTIALS,
          endpoints: {
            s3: s3.endpoint,
            dynamodb: "http://127.0.0.1:9",
            logs: "http://127.0.0.1:9",
            sqs: "http://127.0.0.1:9",
          },
          resources: {
            inputBucket: "cli-in",
            outputBucket: "cli-out",
            jobsTable: TABLE,
            alignerFunction: "f",
            logProcessorFunction: "g",
            alignerLogGroup: "/aws/lambda/f",
            logProcessorLogGroup: "/aws/lambda/g",
          },
          failureStore: "failures",
          failureQueues: { aligner: "f-failures", logProcessor: "g-failures" },
        }),
      );
      writeFileSync(path.join(half, "pair.fasta"), ">a\nACGT\n>b\nACGA\n");
      const r = await aligner(["submit", "--local", "pair.fasta", "--wait", "--json"], { cwd: half });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /^aligner: reading the jobs table cli-jobs: cannot reach the local cloud \(ECONNREFUSED\)/,
      );
      expect(jsonLines(r.stdout)).toEqual([
        {
          file: "pair.fasta",
          bucket: "cli-in",
          key: "pair.fasta",
          bytes: 16,
          status: "UNKNOWN",
          expectedOutput: "s3://cli-out/pair.aligned.fasta",
        },
      ]);
    } finally {
      rmSync(half, { recursive: true, force: true });
      await s3.close();
    }
  });

  it("has --help on every subcommand", async () => {
    const names = ["submit", "watch", "fetch", "history", "logs", "stats", "reconcile", "target"];
    const results = await Promise.all(names.map((n) => aligner([n, "--help"])));
    results.forEach((r, i) => {
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: aligner ${names[i]}`);
      expect(r.stdout).toContain("--local");
    });
  });
});
