/**
 * The CLI against the embedded local cloud (the real handlers, s3rver, dynalite, the local
 * CloudWatch Logs API): submit --wait, logs of a request in a warm stream with neighbours,
 * reconcile rebuilding a deleted record, history of what ran.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { DeleteItemCommand, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { startLocalCloud, type LocalCloud } from "../../local/cloud.ts";
import { dynamoClient, s3Client } from "../../aws/clients.ts";
import { jobKey, type JobRecord } from "../../core/jobs-table.ts";
import { recordFromItem } from "../../aws/dynamo/status-store.ts";
import { rng } from "../helpers/random.ts";

const run = promisify(execFile);
const BIN = path.resolve(import.meta.dirname, "../../bin/aligner.js");
const SAMPLE = path.resolve(import.meta.dirname, "../data/mafft-sample");
let cloud: LocalCloud;
let dir: string;

async function aligner(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: "1", ALIGNER_LOCAL_RETRY_DELAY_DIVISOR: "600" },
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
    .map((l) => JSON.parse(l) as Record<string, unknown>);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "aligner-cli-local-"));
  cloud = await startLocalCloud({
    stateDir: path.join(dir, ".aligner"),
    writeEndpointsFile: true,
    // One warm environment, so consecutive jobs share a stream; logs delivered quickly.
    overrides: { local: { concurrency: 1, logFlushMs: 100, retryDelayDivisor: 600 } },
  });
}, 120_000);
afterAll(async () => {
  await cloud?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Cold starts, MAFFT and a busy 2-core CI machine: room for each step. */
const STEP_MS = 90_000;

describe("aligner against the local cloud", () => {
  let first: string;
  let second: string;

  it(
    "submit --wait: uploads, follows the job to SUCCEEDED and prints where the alignment is",
    async () => {
      const r = await aligner(["submit", "--local", path.join(SAMPLE, "input.fasta"), "--wait"]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const lines = r.stdout.trim().split("\n");
      expect(lines[0]).toMatch(/^uploaded .*input\.fasta → s3:\/\/lambda-aligner-input\/input\.fasta \(16\.2 KiB\)$/);
      expect(lines.at(-1)).toMatch(
        /input\.fasta: SUCCEEDED in [\d.]+ m?s \(cold start\) → s3:\/\/lambda-aligner-output\/input\.aligned\.fasta$/,
      );
      const [only] = jsonLines((await aligner(["history", "--local", "--json"])).stdout) as unknown as JobRecord[];
      expect(only).toMatchObject({ status: "SUCCEEDED", inputKey: "input.fasta", coldStart: true, attempts: 1 });
      first = only!.requestId;
      const s3 = s3Client(cloud.clientOptions("s3"));
      const out = await s3.send(new GetObjectCommand({ Bucket: cloud.names.outputBucket, Key: "input.aligned.fasta" }));
      expect(await out.Body!.transformToString()).toBe(readFileSync(path.join(SAMPLE, "expected.linsi.fasta"), "utf8"));
      s3.destroy();
    },
    STEP_MS,
  );

  it(
    "submit --wait --json: a job the aligner rejects ends FAILED with its sentence, exit code 1",
    async () => {
      const one = path.join(dir, "one sequence.fasta");
      writeFileSync(one, ">only\nACGT\n");
      const refused = await aligner(["submit", "--local", one]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toBe(
        "aligner: one sequence.fasta holds only one sequence ('only'); MAFFT needs at least 2 to align (--no-check uploads it anyway)\n",
      );
      const r = await aligner([
        "submit",
        "--local",
        one,
        "--wait",
        "--no-check",
        "--json",
        "--mafft-args",
        "--globalpair --maxiterate 10",
      ]);
      expect(r.code).toBe(1);
      const [summary] = jsonLines(r.stdout) as [{ status: string; key: string; record: JobRecord; requestId: string }];
      expect(summary).toMatchObject({
        status: "FAILED",
        key: "one sequence.fasta",
        record: { errorType: "InvalidInput", inputKey: "one sequence.fasta", attempts: 1, coldStart: false },
      });
      expect(summary.record.errorMessage).toMatch(/^one sequence\.fasta holds only one sequence/);
      expect(r.stderr).toBe("aligner: 1 of 1 job did not succeed\n");
      second = summary.requestId;
    },
    STEP_MS,
  );

  it(
    "submit refuses MAFFT arguments outside the allow-list before uploading anything",
    async () => {
      const r = await aligner([
        "submit",
        "--local",
        path.join(SAMPLE, "dna-small.fasta"),
        "--mafft-args",
        "--add /etc/passwd",
      ]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^aligner: --mafft-args is not allowed: .*--add/);
      const h = jsonLines((await aligner(["history", "--local", "--json"])).stdout);
      expect(h.map((x) => x["inputKey"])).not.toContain("dna-small.fasta");
    },
    STEP_MS,
  );

  it(
    "logs: only the request's own lines from the warm stream it shares, then its status",
    async () => {
      const r = await aligner(["logs", "--local", second, "--json"]);
      expect(r.code).toBe(0);
      const out = jsonLines(r.stdout);
      const lines = out.filter((l) => l["type"] === "line") as { message: string; logStream: string; reason: string }[];
      const status = out.at(-1) as { type: string; record: JobRecord };
      expect(status).toMatchObject({ type: "status", record: { requestId: second, status: "FAILED" } });
      // The same (warm) stream as the first job, whose lines are not shown.
      const firstRecord = (
        jsonLines((await aligner(["history", "--local", "--json"])).stdout) as unknown as JobRecord[]
      ).find((x) => x.requestId === first)!;
      expect(new Set(lines.map((l) => l.logStream))).toEqual(new Set([firstRecord.logStream]));
      expect(lines[0]!.message).toMatch(new RegExp(`^START RequestId: ${second}`));
      expect(lines.at(-1)!.message).toMatch(new RegExp(`^REPORT RequestId: ${second}`));
      expect(lines.some((l) => l.message.includes(first))).toBe(false);
      expect(lines.some((l) => l.message.startsWith("INIT_START"))).toBe(false);
      expect(lines.some((l) => l.message.includes('"jobEvent":"failed"'))).toBe(true);
      // The first job's lines include its environment's init, which came before its START.
      const f = await aligner(["logs", "--local", first]);
      expect(f.stdout.split("\n")[1]).toMatch(/INIT_START Runtime Version/);
      expect(f.stdout).toMatch(
        /INFO {2}job succeeded {2}jobEvent=succeeded outputBucket=lambda-aligner-output outputKey=input\.aligned\.fasta/,
      );
      expect(f.stdout.trim().split("\n").slice(-2)).toEqual([
        expect.stringMatching(
          /^status: SUCCEEDED \(1 attempt, cold start, duration [\d.]+ s, billed [\d.]+ s, memory \d+\/2048 MB\)$/,
        ),
        "output: s3://lambda-aligner-output/input.aligned.fasta",
      ]);
    },
    STEP_MS,
  );

  it(
    "logs: a request id nobody used is a query failure (exit 1), with what was searched",
    async () => {
      const r = await aligner(["logs", "--local", "00000000-0000-4000-a000-000000000000", "--since", "2h"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /^aligner: no record and no log lines for request 00000000-0000-4000-a000-000000000000 in \/aws\/lambda\/lambda-aligner-aligner from \S+ to \S+ \(try --since 7d\)\n$/,
      );
    },
    STEP_MS,
  );

  it(
    "reconcile: rebuilds a deleted record from the log group, and changes nothing the second time",
    async () => {
      const db = dynamoClient(cloud.clientOptions("dynamodb"));
      const get = async () =>
        (
          await db.send(
            new GetItemCommand({
              TableName: cloud.names.jobsTable,
              Key: { pk: { S: jobKey(first).pk }, sk: { S: jobKey(first).sk } },
              ConsistentRead: true,
            }),
          )
        ).Item;
      const before = recordFromItem(unmarshall((await get())!));
      await db.send(
        new DeleteItemCommand({
          TableName: cloud.names.jobsTable,
          Key: { pk: { S: jobKey(first).pk }, sk: { S: jobKey(first).sk } },
        }),
      );
      expect(await get()).toBeUndefined();
      const r = await aligner(["reconcile", "--local", "--since", "1h", "--json"]);
      expect(r.code).toBe(0);
      const report = JSON.parse(r.stdout) as {
        requests: number;
        recordsChanged: number;
        recordsUnchanged: number;
        streams: number;
      };
      expect(report).toMatchObject({ requests: 2, recordsChanged: 1, recordsUnchanged: 1, streams: 1 });
      const after = recordFromItem(unmarshall((await get())!));
      const { updatedAt: _a, ...was } = before;
      const { updatedAt: _b, ...now } = after;
      expect(now).toEqual(was);
      const again = JSON.parse((await aligner(["reconcile", "--local", "--since", "1h", "--json"])).stdout) as {
        recordsChanged: number;
      };
      expect(again.recordsChanged).toBe(0);
      const text = await aligner(["reconcile", "--local", "--since", "1h"]);
      expect(text.stdout).toMatch(
        /^read \d+ events in 1 stream of \/aws\/lambda\/lambda-aligner-aligner from \S+ to \S+\n2 requests: 0 records written with what the table lacked, 2 already complete\n$/,
      );
      db.destroy();
    },
    STEP_MS,
  );

  it(
    "watch --follow streams each change of a running job, and logs --follow follows it to its end",
    async () => {
      // A job long enough to be caught running: L-INS-i with 1000 iterations on 80 related sequences.
      const rand = rng(80);
      const aa = "ACDEFGHIKLMNPQRSTVWY";
      const base = Array.from({ length: 400 }, () => aa[Math.floor(rand() * 20)]).join("");
      const slow = path.join(dir, "slow.fasta");
      writeFileSync(
        slow,
        Array.from(
          { length: 80 },
          (_, i) => `>s${i}\n${[...base].map((c) => (rand() < 0.3 ? aa[Math.floor(rand() * 20)] : c)).join("")}\n`,
        ).join(""),
      );

      const watch = spawn(process.execPath, [BIN, "watch", "--local", "--follow", "--json"], {
        cwd: dir,
        env: { ...process.env, NO_COLOR: "1", ALIGNER_WATCH_SETTLE_MS: "200", ALIGNER_WATCH_REFRESH_MS: "300" },
      });
      let streamed = "";
      watch.stdout.on("data", (d: Buffer) => (streamed += d.toString()));
      try {
        expect((await aligner(["submit", "--local", slow, "--mafft-args", "--localpair --maxiterate 1000"])).code).toBe(
          0,
        );
        let running: JobRecord | undefined;
        for (let i = 0; i < 100 && !running; i++) {
          running = (
            jsonLines(
              (await aligner(["history", "--local", "--json", "--status", "RUNNING"])).stdout,
            ) as unknown as JobRecord[]
          ).find((r) => r.inputKey === "slow.fasta");
          if (!running) await new Promise((r) => setTimeout(r, 200));
        }
        expect(running, "the slow job was never seen running").toBeDefined();
        const followed = await aligner([
          "logs",
          "--local",
          "--follow",
          "--interval",
          "300",
          running!.requestId,
          "--json",
        ]);
        expect(followed.code).toBe(0);
        const out = jsonLines(followed.stdout);
        expect(out.at(-1)).toMatchObject({
          type: "status",
          record: { requestId: running!.requestId, status: "SUCCEEDED" },
        });
        expect(
          out.some(
            (l) => l["type"] === "line" && String(l["message"]).startsWith(`REPORT RequestId: ${running!.requestId}`),
          ),
        ).toBe(true);

        const until = Date.now() + 15_000;
        const statuses = () =>
          (jsonLines(streamed) as unknown as JobRecord[])
            .filter((r) => r.requestId === running!.requestId)
            .map((r) => r.status);
        while (!statuses().includes("SUCCEEDED") && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
        expect(statuses()[0]).toBe("RUNNING");
        expect(statuses().at(-1)).toBe("SUCCEEDED");
      } finally {
        const exited = new Promise<number | null>((resolve) => watch.once("exit", (code) => resolve(code)));
        watch.kill("SIGINT");
        expect(await exited).toBe(0);
      }
    },
    STEP_MS,
  );

  it(
    "history and stats see every job",
    async () => {
      const h = jsonLines((await aligner(["history", "--local", "--json"])).stdout) as unknown as JobRecord[];
      expect(h.map((x) => x.requestId).slice(1)).toEqual([second, first]);
      expect(h[0]).toMatchObject({ inputKey: "slow.fasta", status: "SUCCEEDED" });
      const s = JSON.parse((await aligner(["stats", "--local", "--json"])).stdout) as {
        total: number;
        byStatus: Record<string, number>;
        errorTypes: unknown[];
      };
      expect(s).toMatchObject({
        total: 3,
        byStatus: { SUCCEEDED: 2, FAILED: 1 },
        errorTypes: [{ errorType: "InvalidInput", count: 1 }],
      });
    },
    STEP_MS,
  );
});
