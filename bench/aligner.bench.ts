/**
 * `npm run bench -- aligner`: what the aligner costs on top of MAFFT.
 *
 * 1. Wrapper overhead: the handler's wall time (event → S3 download from s3rver → validation →
 *    MAFFT → output check → upload) against bare `mafft` (same script, same arguments, same
 *    environment, output to a file) on the same input, alternating runs, medians; for MAFFT's
 *    sample (36 proteins) and a generated family of 200 sequences × ~400 residues. Target ≤ 1.10
 *    on the large one.
 * 2. Cold vs warm: a fresh process loads the esbuild bundle and handles the same small job twice;
 *    the first call also locates and self-tests MAFFT and creates the SDK's connections.
 */
import { median } from "./median.ts";
import { rng } from "../test/helpers/random.ts";
import { execFile, spawn } from "node:child_process";
import { mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { Logger } from "@aws-lambda-powertools/logger";
import type { Context } from "aws-lambda";
import { resolveConfig } from "../core/config.ts";
import { alignerEnvironment } from "../core/function-env.ts";
import { MAFFT_ROOT_ENV, mafftLayout, mafftProcessEnv } from "../core/mafft-layer.ts";
import { createAligner } from "../functions/aligner/aligner.ts";
import { bundleFunction } from "../infra/bundle.ts";
import { prepareLocalMafft } from "../layers/mafft/local.ts";
import { fakeContext, s3Event } from "../test/aligner/invocation.ts";
import { startS3rver } from "../test/helpers/s3rver.ts";

const run = promisify(execFile);
const IN = "bench-input";
const OUT = "bench-output";
const DATA = path.resolve(import.meta.dirname, "../test/data/mafft-sample");

/** A protein family: one random ancestor, descendants with ~23% substitutions and a few indels (seeded). */
function generateFamily(count: number, length: number, seed = 12345): string {
  const rnd = rng(seed);
  const AA = "ACDEFGHIKLMNPQRSTVWY";
  const pick = () => AA[Math.floor(rnd() * AA.length)]!;
  const ancestor = Array.from({ length }, pick);
  let out = "";
  for (let i = 1; i <= count; i++) {
    const seq: string[] = [];
    for (const c of ancestor) {
      const x = rnd();
      if (x < 0.02) continue;
      seq.push(x < 0.25 ? pick() : c);
      if (rnd() < 0.02) seq.push(pick());
    }
    out += `>seq${i} generated\n${seq
      .join("")
      .replace(/(.{60})/g, "$1\n")
      .replace(/\n$/, "")}\n`;
  }
  return out;
}

const event = (key: string, size: number) => s3Event([{ bucket: IN, key, size }]);

function context(id: string): Context {
  const deadline = Date.now() + 900_000;
  return fakeContext(id, () => deadline - Date.now());
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(tmpdir(), "aligner-bench-"));
  const s3 = await startS3rver([IN, OUT]);
  try {
    const local = await prepareLocalMafft(path.join(work, "state"));
    console.log(`MAFFT: ${local.source}`);
    const layout = mafftLayout(local.root);
    const client = s3.client({ maxAttempts: 3 });
    const scratch = await mkdtemp(path.join(work, "tmp-"));
    const logger = new Logger({ serviceName: "aligner" });
    const aligner = createAligner({
      s3: client,
      logger,
      settings: {
        inputBucket: IN,
        outputBucket: OUT,
        maxInputBytes: 100 * 1024 * 1024,
        defaultArgs: ["--auto"],
        killMarginMs: 10_000,
      },
      mafftRoot: local.root,
      tmpDir: () => scratch,
      basePath: process.env["PATH"],
    });

    const bare = async (file: string): Promise<number> => {
      const out = await open(path.join(work, "bare.out"), "w");
      const err = await open(path.join(work, "bare.err"), "w");
      const t0 = performance.now();
      const code = await new Promise<number | null>((resolve, reject) => {
        const child = spawn(layout.script, ["--auto", file], {
          env: mafftProcessEnv({ layout, tmpDir: work, workDir: work, basePath: process.env["PATH"] }),
          stdio: ["ignore", out.fd, err.fd],
        });
        child.on("error", reject);
        child.on("exit", resolve);
      });
      const ms = performance.now() - t0;
      await out.close();
      await err.close();
      if (code !== 0) throw new Error(`bare mafft exited ${code}`);
      return ms;
    };
    const handled = async (key: string, size: number, n: number): Promise<number> => {
      // Discard the Logger's lines while timing (as CloudWatch would take them off our hands), but
      // watch for a failed job: Powertools writes ERROR lines, job failures included, to stderr.
      const streams = [process.stdout, process.stderr] as const;
      const writes = streams.map((s) => s.write);
      let failed = false;
      for (const s of streams) {
        s.write = ((chunk: unknown) => {
          if (String(chunk).includes('"jobEvent":"failed"')) failed = true;
          return true;
        }) as typeof s.write;
      }
      const t0 = performance.now();
      try {
        await aligner(event(key, size), context(`bench-${n}`));
      } finally {
        streams.forEach((s, i) => {
          s.write = writes[i]!;
        });
      }
      if (failed) throw new Error(`the handler failed the job ${key}`);
      return performance.now() - t0;
    };

    // Warm the handler once (MAFFT located, connections open): the overhead figure is per warm request.
    const dna = await readFile(path.join(DATA, "dna-small.fasta"));
    await client.send(new PutObjectCommand({ Bucket: IN, Key: "warmup.fasta", Body: dna }));
    await handled("warmup.fasta", dna.length, 0);

    const inputs = [
      { name: "sample (36 proteins, 13,795 residues)", file: path.join(DATA, "input.fasta"), runs: 5 },
      { name: "generated (200 × ~400 residues)", file: path.join(work, "family.fasta"), runs: 3 },
    ];
    await writeFile(inputs[1]!.file, generateFamily(200, 400));
    console.log(
      "\nWrapper overhead: handler (s3rver in, validate, MAFFT --auto, check, s3rver out) vs bare mafft --auto, medians",
    );
    let n = 1;
    for (const input of inputs) {
      const body = await readFile(input.file);
      const key = `bench/${path.basename(input.file)}`;
      await client.send(new PutObjectCommand({ Bucket: IN, Key: key, Body: body }));
      const b: number[] = [];
      const h: number[] = [];
      for (let i = 0; i < input.runs; i++) {
        b.push(await bare(input.file));
        h.push(await handled(key, body.length, n++));
      }
      const mb = median(b);
      const mh = median(h);
      console.log(
        `  ${input.name}: bare ${(mb / 1000).toFixed(2)} s, handler ${(mh / 1000).toFixed(2)} s, ratio ${(mh / mb).toFixed(3)} (+${(mh - mb).toFixed(0)} ms, ${input.runs} runs each)`,
      );
    }

    // Cold vs warm in a fresh process running the bundle, as a Lambda execution environment would.
    const { file: bundle } = bundleFunction("aligner", path.join(work, "bundle"));
    const env = {
      PATH: process.env["PATH"] ?? "",
      ...alignerEnvironment(resolveConfig({}), { inputBucket: IN, outputBucket: OUT }),
      ...s3.env(),
      [MAFFT_ROOT_ENV]: local.root,
      AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    };
    const script = `
      const t0 = performance.now();
      const { handler } = await import(process.argv[1]);
      const loaded = performance.now() - t0;
      const ev = JSON.parse(process.argv[2]);
      const ctx = (id) => ({ awsRequestId: id, functionName: "bench", memoryLimitInMB: "2048", logGroupName: "g", logStreamName: "s", getRemainingTimeInMillis: () => 900000 });
      const write = process.stdout.write.bind(process.stdout);
      process.stdout.write = () => true;
      const times = [];
      for (const id of ["cold", "warm1", "warm2"]) { const t = performance.now(); await handler(ev, ctx(id)); times.push(performance.now() - t); }
      write(JSON.stringify({ loaded, times }) + "\\n");`;
    const colds: number[] = [];
    const warms: number[] = [];
    const loads: number[] = [];
    for (let i = 0; i < 5; i++) {
      const tmp = await mkdtemp(path.join(work, "env-"));
      const { stdout, stderr } = await run(
        process.execPath,
        ["--input-type=module", "-e", script, bundle, JSON.stringify(event("warmup.fasta", dna.length))],
        { env: { ...env, TMPDIR: tmp } },
      );
      if (stderr.includes('"jobEvent":"failed"'))
        throw new Error(`the bundle failed the job: ${stderr.slice(0, 2000)}`);
      const r = JSON.parse(stdout.trim().split("\n").pop()!) as { loaded: number; times: number[] };
      loads.push(r.loaded);
      colds.push(r.times[0]!);
      warms.push(median(r.times.slice(1)));
    }
    const bareSmall = median([
      await bare(path.join(DATA, "dna-small.fasta")),
      await bare(path.join(DATA, "dna-small.fasta")),
      await bare(path.join(DATA, "dna-small.fasta")),
    ]);
    console.log("\nCold vs warm (fresh process, bundle, dna-small.fasta: 5 sequences), medians of 5 environments");
    console.log(
      `  bundle import ${loads.length ? median(loads).toFixed(0) : "?"} ms; first call ${median(colds).toFixed(0)} ms, warm call ${median(warms).toFixed(0)} ms: cold/warm ${(median(colds) / median(warms)).toFixed(2)}; bare mafft on the same input ${bareSmall.toFixed(0)} ms (warm/bare ${(median(warms) / bareSmall).toFixed(2)})`,
    );
  } finally {
    await s3.close();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
