/**
 * The aligner under test, for real: the real handler logic with a real Powertools Logger, real
 * MAFFT (this machine's, in the layer layout, via prepareLocalMafft) and s3rver. Logs are read back
 * from stdout as the JSON lines Lambda would ship to CloudWatch.
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { GetObjectCommand, PutObjectCommand, type GetObjectCommandOutput, type S3Client } from "@aws-sdk/client-s3";
import { Logger } from "@aws-lambda-powertools/logger";
import type { S3Event } from "aws-lambda";
import { vi } from "vitest";
import { createAligner, type AlignerHandler } from "../../functions/aligner/aligner.ts";
import { forgetLocatedMafft } from "../../functions/aligner/mafft-runner.ts";
import { isNoSuchKey } from "../../functions/aligner/s3-io.ts";
import { prepareLocalMafft } from "../../layers/mafft/local.ts";
import { startS3rver, type LocalS3 } from "../helpers/s3rver.ts";
import { fakeContext, s3Event as s3EventOf, type CreatedObject } from "./invocation.ts";

export const INPUT_BUCKET = "aligner-input";
export const OUTPUT_BUCKET = "aligner-output";
export const DATA = path.resolve(import.meta.dirname, "../data/mafft-sample");

export interface Harness {
  s3: LocalS3;
  client: S3Client;
  /** Layer root of this machine's MAFFT. */
  mafftRoot: string;
  /** A fresh aligner ("execution environment") with its own scratch root. */
  environment(opts?: EnvironmentOptions): Promise<Environment>;
  put(key: string, body: string | Uint8Array, metadata?: Record<string, string>): Promise<string>;
  getOutput(key: string): Promise<{ body: string; metadata: Record<string, string> } | undefined>;
  close(): Promise<void>;
}

export interface EnvironmentOptions {
  mafftRoot?: string;
  /** Another S3 client (e.g. one pointed at a dead endpoint). */
  s3?: S3Client;
  maxInputBytes?: number;
  killMarginMs?: number;
  defaultArgs?: string[];
}

export interface Environment {
  tmpDir: string;
  invoke(
    event: S3Event,
    opts?: { requestId?: string; remainingMs?: number },
  ): Promise<{ logs: LogLine[]; error?: unknown }>;
  /** Entries left in the scratch root. */
  leftovers(): Promise<string[]>;
}

export type LogLine = Record<string, unknown> & { message: string; level: string };

let seq = 0;

export async function startHarness(): Promise<Harness> {
  const s3 = await startS3rver([INPUT_BUCKET, OUTPUT_BUCKET]);
  const client = s3.client();
  const state = await mkdtemp(path.join(tmpdir(), "aligner-test-"));
  // The machine's MAFFT, never a layer zip that may or may not have been built in this checkout.
  const { root } = await prepareLocalMafft(state, { layerZip: path.join(state, "no-layer.zip") });
  return {
    s3,
    client,
    mafftRoot: root,
    async environment(opts = {}) {
      forgetLocatedMafft();
      const tmp = await mkdtemp(path.join(state, "tmp-"));
      // Lambda sets this; Powertools reports cold starts only for on-demand environments.
      process.env["AWS_LAMBDA_INITIALIZATION_TYPE"] = "on-demand";
      const logger = new Logger({ serviceName: "aligner" });
      const aligner: AlignerHandler = createAligner({
        s3: opts.s3 ?? client,
        logger,
        settings: {
          inputBucket: INPUT_BUCKET,
          outputBucket: OUTPUT_BUCKET,
          maxInputBytes: opts.maxInputBytes ?? 100 * 1024 * 1024,
          defaultArgs: opts.defaultArgs ?? ["--auto"],
          killMarginMs: opts.killMarginMs ?? 10_000,
        },
        mafftRoot: opts.mafftRoot ?? root,
        tmpDir: () => tmp,
        basePath: process.env["PATH"],
      });
      return {
        tmpDir: tmp,
        async invoke(event, o = {}) {
          const requestId = o.requestId ?? `0000000${++seq}-aaaa-4bbb-8ccc-dddddddddddd`.slice(-36);
          const deadline = Date.now() + (o.remainingMs ?? 300_000);
          const context = fakeContext(requestId, () => deadline - Date.now());
          const { lines, restore } = captureStdout();
          let error: unknown;
          try {
            await aligner(event, context);
          } catch (e) {
            error = e;
          } finally {
            restore();
          }
          return { logs: lines(), error };
        },
        async leftovers() {
          return (await readdir(tmp)).sort();
        },
      };
    },
    async put(key, body, metadata) {
      const res = await client.send(
        new PutObjectCommand({ Bucket: INPUT_BUCKET, Key: key, Body: body, Metadata: metadata }),
      );
      return res.ETag ?? "";
    },
    async getOutput(key) {
      let res: GetObjectCommandOutput;
      try {
        res = await client.send(new GetObjectCommand({ Bucket: OUTPUT_BUCKET, Key: key }));
      } catch (e) {
        // Only "no such object" means no output; any other error must fail the test that asked.
        if (isNoSuchKey(e)) return undefined;
        throw e;
      }
      return { body: await res.Body!.transformToString(), metadata: res.Metadata ?? {} };
    },
    async close() {
      await s3.close();
      await rm(state, { recursive: true, force: true });
    },
  };
}

export { fakeContext };

/** An S3 notification of the input bucket (or `bucket`) as S3 sends it. */
export function s3Event(objects: (Omit<CreatedObject, "bucket"> & { bucket?: string })[]): S3Event {
  return s3EventOf(objects.map((o) => ({ ...o, bucket: o.bucket ?? INPUT_BUCKET })));
}

/** Collects what the Logger writes to stdout (one JSON object per line) while a call runs. */
function captureStdout(): { lines: () => LogLine[]; restore: () => void } {
  const chunks: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
    return true;
  };
  // Lambda ships both streams to CloudWatch (Powertools writes WARN and ERROR to stderr).
  const out = vi.spyOn(process.stdout, "write").mockImplementation(capture);
  const err = vi.spyOn(process.stderr, "write").mockImplementation(capture);
  return {
    lines: () =>
      chunks
        .join("")
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as LogLine),
    restore: () => {
      out.mockRestore();
      err.mockRestore();
    },
  };
}

export const jobEvents = (logs: LogLine[]) => logs.filter((l) => typeof l["jobEvent"] === "string");
