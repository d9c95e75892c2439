/**
 * End-to-end time of a job on the embedded local cloud, cold and warm, as a ratio to running
 * MAFFT alone on the same input in the same run: from the PutObject call to the job record
 * reading SUCCEEDED through the DynamoDB API (what `aligner submit --wait` and the live view
 * see), for the MAFFT sample (36 proteins, L-INS-i: MAFFT dominates) and a tiny DNA input (the
 * pipeline's own overhead dominates). Also the local cloud's start-up time. Default settings,
 * except the subscription window (`local.logFlushMs`, 1000 ms by default, reported separately).
 */
import { median } from "./median.ts";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { resolveConfig } from "../core/config.ts";
import { jobKey, TERMINAL_STATUSES, type JobStatus } from "../core/jobs-table.ts";
import { mafftLayout, mafftProcessEnv, MAFFT_ROOT_ENV } from "../core/mafft-layer.ts";
import { encodeEventKey } from "../core/s3-event-key.ts";
import { startLocalCloud, type LocalCloud } from "../local/cloud.ts";
import { dynamoClient, s3Client } from "../aws/clients.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const data = (f: string) => readFileSync(path.join(here, "..", "test", "data", "mafft-sample", f));
const ROUNDS = 3;
const JOB_DEADLINE_MS = 300_000;

/** The baseline: MAFFT run by hand in the environment the aligner gives it (core/mafft-layer.ts). */
function mafftAlone(root: string, file: string): number {
  const layout = mafftLayout(root);
  const work = mkdtempSync(path.join(tmpdir(), "aligner-bench-mafft-"));
  try {
    const t = performance.now();
    const r = spawnSync(
      layout.script,
      ["--auto", "--quiet", path.join(here, "..", "test", "data", "mafft-sample", file)],
      {
        env: mafftProcessEnv({ layout, tmpDir: work, workDir: work, basePath: process.env["PATH"] }),
        stdio: ["ignore", "ignore", "ignore"],
      },
    );
    if (r.status !== 0) throw new Error(`mafft exited ${r.status}`);
    return performance.now() - t;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function endToEnd(
  cloud: LocalCloud,
  ids: Map<string, string>,
  key: string,
  body: Buffer,
): Promise<{ ms: number; status: JobStatus }> {
  const s3 = s3Client(cloud.clientOptions("s3"));
  const ddb = dynamoClient(cloud.clientOptions("dynamodb"));
  try {
    const t = performance.now();
    await s3.send(new PutObjectCommand({ Bucket: cloud.names.inputBucket, Key: key, Body: body }));
    const id = ids.get(encodeEventKey(key));
    if (!id) throw new Error(`no notification for ${key}`);
    // A job that never records an end (a broken pipeline) fails the benchmark instead of hanging it.
    const deadline = t + JOB_DEADLINE_MS;
    for (;;) {
      if (performance.now() > deadline)
        throw new Error(`${key}: no terminal status in the jobs table after ${JOB_DEADLINE_MS / 1000} s`);
      const item = (
        await ddb.send(
          new GetItemCommand({
            TableName: cloud.names.jobsTable,
            Key: { pk: { S: jobKey(id).pk }, sk: { S: jobKey(id).sk } },
            ConsistentRead: true,
          }),
        )
      ).Item;
      const status = item ? (unmarshall(item)["status"] as JobStatus) : undefined;
      if (status && TERMINAL_STATUSES.includes(status)) return { ms: performance.now() - t, status };
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    s3.destroy();
    ddb.destroy();
  }
}

const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

async function measure(flushMs: number): Promise<void> {
  const rows: string[] = [];
  for (const [label, file] of [
    ["MAFFT sample (36 proteins)", "input.fasta"],
    ["tiny DNA (5 sequences)", "dna-small.fasta"],
  ] as const) {
    const cold: number[] = [];
    const warm: number[] = [];
    const alone: number[] = [];
    let startup = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const ids = new Map<string, string>();
      const t = performance.now();
      const cloud = await startLocalCloud({
        ephemeral: true,
        config: resolveConfig({ env: {} }),
        overrides: { local: { logFlushMs: flushMs } },
        onEvent: (e) => e.type === "notification" && ids.set(e.key, e.requestId),
      });
      startup += performance.now() - t;
      try {
        const root = cloud.functions.aligner.definition.environment[MAFFT_ROOT_ENV]!;
        alone.push(mafftAlone(root, file));
        const c = await endToEnd(cloud, ids, `bench/cold-${round}.fasta`, data(file));
        const w = await endToEnd(cloud, ids, `bench/warm-${round}.fasta`, data(file));
        if (c.status !== "SUCCEEDED" || w.status !== "SUCCEEDED")
          throw new Error(`a job ended ${c.status}/${w.status}`);
        cold.push(c.ms);
        warm.push(w.ms);
      } finally {
        await cloud.stop();
      }
    }
    const base = median(alone);
    rows.push(
      `  ${label.padEnd(28)} MAFFT alone ${fmt(base).padStart(8)}   cold ${fmt(median(cold)).padStart(8)} (${(median(cold) / base).toFixed(2)}×)   warm ${fmt(median(warm)).padStart(8)} (${(median(warm) / base).toFixed(2)}×)   [local cloud start ${fmt(startup / ROUNDS)}]`,
    );
  }
  console.log(`upload → SUCCEEDED in the table, median of ${ROUNDS}, local.logFlushMs = ${flushMs}:`);
  for (const r of rows) console.log(r);
}

await measure(resolveConfig({ env: {} }).local.logFlushMs);
await measure(50);
