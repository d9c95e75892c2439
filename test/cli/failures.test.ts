/**
 * `aligner failures` as a user runs it (the real CLI in a child process), reading the on-failure
 * queues through SQS — the local cloud's SQS endpoint (local/sqs) over a real failure store — by
 * both targets: `--local` (local.json) and AWS (queue URLs from an outputs file or the prefix, the
 * endpoint from AWS_ENDPOINT_URL_SQS as the SDK reads it). Also: peeking deletes nothing, --delete
 * deletes exactly what was listed, and a stopped local cloud is read from its store.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { LocalEndpoints } from "../../core/local-endpoints.ts";
import { destinationRecord, FailureStore, type DestinationRecord } from "../../local/lambda/failures.ts";
import { SqsApi } from "../../local/sqs/api.ts";
import { FailureQueues } from "../../local/sqs/queues.ts";

const run = promisify(execFile);
const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "bin", "aligner.js");
const ACCOUNT = "000000000000";
const QUEUES = { aligner: "lab-aligner-failures", logProcessor: "lab-log-processor-failures" };
const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);

function record(n: number, fn: "aligner" | "log-processor" = "aligner"): DestinationRecord {
  return destinationRecord({
    requestId: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
    functionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:lab-${fn}`,
    condition: "RetriesExhausted",
    invokeCount: 3,
    payload:
      fn === "aligner"
        ? { Records: [{ s3: { object: { key: `in/job+${n}.fasta` } } }] }
        : { awslogs: { data: "not gzip" } },
    lastError: { errorType: "Sandbox.Timedout", errorMessage: `Task timed out after 3.00 seconds`, trace: [] },
    at: new Date(T0 + n * 1000),
  });
}

let project: string;
let store: FailureStore;
let api: SqsApi;
let endpoint: string;

/** local.json as `aligner dev` writes it; only the SQS endpoint answers (the others are never called). */
function writeLocalJson(dir: string, pid: number): void {
  const endpoints: LocalEndpoints = {
    version: 1,
    pid,
    startedAt: new Date().toISOString(),
    region: "us-east-1",
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    endpoints: { s3: "http://127.0.0.1:9", dynamodb: "http://127.0.0.1:9", logs: "http://127.0.0.1:9", sqs: endpoint },
    resources: {
      inputBucket: "lab-input",
      outputBucket: "lab-output",
      jobsTable: "lab-jobs",
      alignerFunction: "lab-aligner",
      logProcessorFunction: "lab-log-processor",
      alignerLogGroup: "/aws/lambda/lab-aligner",
      logProcessorLogGroup: "/aws/lambda/lab-log-processor",
    },
    failureStore: path.join(dir, ".aligner", "failures"),
    failureQueues: QUEUES,
  };
  mkdirSync(path.join(dir, ".aligner"), { recursive: true });
  writeFileSync(path.join(dir, ".aligner", "local.json"), JSON.stringify(endpoints));
}

/** The environment of a user with no AWS of their own: credentials for the local endpoint only, no metadata service. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NO_COLOR: "1",
    AWS_ACCESS_KEY_ID: "S3RVER",
    AWS_SECRET_ACCESS_KEY: "S3RVER",
    AWS_REGION: "us-east-1",
    AWS_EC2_METADATA_DISABLED: "true",
    ...extra,
  };
  for (const k of [
    "ALIGNER_PREFIX",
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "ALIGNER_FAILURE_QUEUE_URL",
    "ALIGNER_LOG_PROCESSOR_FAILURE_QUEUE_URL",
  ])
    if (!(k in extra)) delete env[k];
  return env;
}

async function aligner(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      cwd: opts.cwd ?? project,
      env: opts.env ?? cleanEnv(),
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
    .map((l) => JSON.parse(l) as { function: string } & DestinationRecord);
const ids = (rows: DestinationRecord[]) => rows.map((r) => r.requestContext.requestId);

beforeAll(async () => {
  project = mkdtempSync(path.join(tmpdir(), "aligner-failures-"));
  store = new FailureStore(path.join(project, ".aligner", "failures"));
  // 23 aligner failures: more than one receive (10) can bring; 2 of the log processor.
  for (let n = 1; n <= 23; n++) store.put(QUEUES.aligner, record(n));
  for (let n = 101; n <= 102; n++) store.put(QUEUES.logProcessor, record(n, "log-processor"));
  api = new SqsApi(
    new FailureQueues(store.dir, Object.values(QUEUES)),
    { [QUEUES.aligner]: "lab-aligner", [QUEUES.logProcessor]: "lab-log-processor" },
    { region: "us-east-1", accountId: ACCOUNT },
  );
  endpoint = await api.listen(0);
  writeLocalJson(project, process.pid);
});
afterAll(async () => {
  await api?.close();
  if (project) rmSync(project, { recursive: true, force: true });
});

describe("aligner failures --local (a running local cloud, through SQS)", () => {
  it("lists every failure of both queues, oldest first, with the queue names local.json gives", async () => {
    const r = await aligner(["failures", "--local", "--json", "--limit", "0"]);
    expect(r.code).toBe(0);
    const rows = jsonLines(r.stdout);
    const expected = [
      ...Array.from({ length: 23 }, (_, i) => ({ function: "aligner", ...record(i + 1) })),
      { function: "log-processor", ...record(101, "log-processor") },
      { function: "log-processor", ...record(102, "log-processor") },
    ];
    expect(rows).toEqual(expected);
    // With --json the notes go to stderr: counts from GetQueueAttributes and the sampling caveat.
    expect(r.stderr).toContain(
      "aligner: 23 listed; lab-aligner-failures holds about 23 message(s) (ApproximateNumberOfMessages)",
    );
    expect(r.stderr).toContain("log-processor: 2 listed; lab-log-processor-failures holds about 2 message(s)");
    expect(r.stderr).toContain("sample of the queue");
    // A peek: nothing was deleted, nothing is left hidden.
    expect(store.read(QUEUES.aligner)).toHaveLength(23);
    const again = await aligner(["failures", "--local", "--json", "--limit", "0", "--function", "aligner"]);
    expect(jsonLines(again.stdout)).toHaveLength(23);
  });

  it("shows a table with what each event was about, the newest N with --limit", async () => {
    const r = await aligner(["failures", "--local", "--function", "aligner", "--limit", "5"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^TIME\s+FUNCTION\s+REQUEST ID\s+CONDITION\s+ATTEMPTS\s+EVENT\s+LAST ERROR$/);
    const table = lines.filter((l) => /^\d{4}-/.test(l));
    expect(table).toHaveLength(5);
    // The newest 5 of the queue (as before SQS), not the first 5 a receive happens to bring.
    expect(table.map((l) => /8000-(\d{12})/.exec(l)![1]!.replace(/^0+/, ""))).toEqual(["19", "20", "21", "22", "23"]);
    expect(table[0]).toMatch(
      /aligner\s+00000000-0000-4000-8000-\d{12}\s+RetriesExhausted\s+3\s+in\/job \d+\.fasta\s+Sandbox\.Timedout: Task timed out/,
    );
    expect(r.stdout).toContain("aligner: 5 listed; lab-aligner-failures holds about 23 message(s)");
    expect(r.stdout).toContain(
      "SQS answers each receive from a sample of the queue, so on a very large queue this list may be incomplete",
    );
  });

  it("--delete deletes exactly the messages it listed, by their receipt handles", async () => {
    const before = ids(store.read(QUEUES.logProcessor));
    const r = await aligner([
      "failures",
      "--local",
      "--json",
      "--function",
      "log-processor",
      "--limit",
      "1",
      "--delete",
    ]);
    expect(r.code).toBe(0);
    const listed = jsonLines(r.stdout);
    expect(listed).toHaveLength(1);
    expect(listed[0]!.requestContext.requestId).toBe(record(102, "log-processor").requestContext.requestId); // the newest
    expect(r.stderr).toContain("deleted 1 message(s)");
    const after = ids(store.read(QUEUES.logProcessor));
    expect(after).toEqual(before.filter((id) => id !== listed[0]!.requestContext.requestId));
    // The aligner's queue was not touched.
    expect(store.read(QUEUES.aligner)).toHaveLength(23);
  });

  it("refuses bad options with exit code 2", async () => {
    const [fn, limit, both] = await Promise.all([
      aligner(["failures", "--local", "--function", "mafft"]),
      aligner(["failures", "--local", "--limit", "-3"]),
      aligner(["failures", "--local", "--outputs", "outputs.json"]),
    ]);
    expect(fn).toMatchObject({
      code: 2,
      stderr: 'aligner: --function must be aligner, log-processor or all, got "mafft"\n',
    });
    expect(limit.code).toBe(2);
    expect(both).toMatchObject({
      code: 2,
      stderr: "aligner: --local and --outputs name two different targets; choose one\n",
    });
  });
});

describe("aligner failures against AWS (the local SQS endpoint standing in for it)", () => {
  it("reads the queue URLs of the stack outputs, at the endpoint AWS_ENDPOINT_URL_SQS names", async () => {
    const aws = mkdtempSync(path.join(tmpdir(), "aligner-failures-aws-"));
    try {
      const url = (q: string) => `${endpoint}/${ACCOUNT}/${q}`;
      writeFileSync(
        path.join(aws, "out.json"),
        JSON.stringify({
          lab: {
            jobs_table: "lab-jobs",
            aligner_failure_queue_url: url(QUEUES.aligner),
            log_processor_failure_queue_url: url(QUEUES.logProcessor),
            region: "us-east-1",
          },
        }),
      );
      const env = cleanEnv({ AWS_ENDPOINT_URL_SQS: endpoint, ALIGNER_PREFIX: "lab" });
      const r = await aligner(
        ["failures", "--outputs", "out.json", "--json", "--function", "aligner", "--limit", "0"],
        { cwd: aws, env },
      );
      expect(r.code).toBe(0);
      expect(ids(jsonLines(r.stdout))).toEqual(ids(store.read(QUEUES.aligner)));

      // No outputs: the queue named by the prefix, found with GetQueueUrl.
      const byName = await aligner(["failures", "--json", "--function", "aligner", "--limit", "3"], { cwd: aws, env });
      expect(byName.code).toBe(0);
      expect(ids(jsonLines(byName.stdout))).toHaveLength(3);

      // A URL in the environment wins over the prefix; one of no queue fails as a query (exit 1) in one sentence.
      const missing = await aligner(["failures", "--function", "aligner"], {
        cwd: aws,
        env: { ...env, ALIGNER_FAILURE_QUEUE_URL: url("lab-gone-failures") },
      });
      expect(missing.code).toBe(1);
      expect(missing.stderr).toBe(
        "aligner: reading the failure queue lab-gone-failures: The specified queue does not exist. (QueueDoesNotExist)\n",
      );
      const notAUrl = await aligner(["failures"], {
        cwd: aws,
        env: { ...env, ALIGNER_FAILURE_QUEUE_URL: "lab-aligner-failures" },
      });
      expect(notAUrl.code).toBe(2);
      expect(notAUrl.stderr).toContain("ALIGNER_FAILURE_QUEUE_URL does not hold an SQS queue URL");
    } finally {
      rmSync(aws, { recursive: true, force: true });
    }
  });
});

describe("aligner failures --local with the local cloud stopped", () => {
  it("reads the failure store directly and says so; --delete needs the cloud running", async () => {
    const stopped = mkdtempSync(path.join(tmpdir(), "aligner-failures-stopped-"));
    try {
      new FailureStore(path.join(stopped, ".aligner", "failures")).put(QUEUES.aligner, record(7));
      const dead = spawnSync(process.execPath, ["-e", ""]).pid!;
      writeLocalJson(stopped, dead);
      const r = await aligner(["failures", "--local", "--json"], { cwd: stopped });
      expect(r.code).toBe(0);
      expect(jsonLines(r.stdout)).toEqual([{ function: "aligner", ...record(7) }]);
      expect(r.stderr).toContain(
        "the local cloud is not running: reading its failure store .aligner/failures directly",
      );
      const del = await aligner(["failures", "--local", "--delete"], { cwd: stopped });
      expect(del.code).toBe(2);
      expect(del.stderr).toContain("start it with aligner dev");
    } finally {
      rmSync(stopped, { recursive: true, force: true });
    }
  });
});
