/**
 * `aligner submit FILE...`: uploads each file to the input bucket (its MAFFT arguments, checked
 * against the aligner's allow-list, as `x-amz-meta-mafft-args`), which starts a job per file.
 * With `--wait`, follows each job through the jobs table (the activity index, as the live view
 * reads it) until it has ended for good — Lambda retries some failures — and prints where the
 * alignment is or why the job failed. Exit code 1 if any job did not succeed.
 */
import { formatBytes } from "../../core/format-bytes.ts";
import type { Command } from "commander";
import { createReadStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import path from "node:path";
import { Upload } from "@aws-sdk/lib-storage";
import { knobEnv, resolveConfig, type AlignerConfig } from "../../core/config.ts";
import { FastaScanner } from "../../core/fasta.ts";
import { formatMafftArgs, keepsAnySymbol, MAFFT_ARGS_METADATA_KEY, parseMafftArgs } from "../../core/mafft-args.ts";
import { outputKeyFor } from "../../core/output-key.ts";
import type { JobRecord } from "../../core/jobs-table.ts";
import type { JobRow } from "../../core/job-item.ts";
import { formatDuration } from "../../core/job-stats.ts";
import { inputKeyFor, isJobOf, jobProgress, SKEW_MS, whyNoJob, type Submission } from "../../core/submission.ts";
import { parseSpan } from "../../core/time-spec.ts";
import { requireResource, type Target } from "../../core/target.ts";
import { clientsFor, type TargetClients } from "../../aws/target-clients.ts";
import { JobsReader } from "../../aws/dynamo/jobs-reader.ts";
import { ActivityFeed } from "../../aws/dynamo/activity-feed.ts";
import { serverClock } from "../../aws/dynamo/server-clock.ts";
import { paintStatus } from "../../tui/plain.ts";
import { retryPolicyFor } from "../../core/job-output.ts";
import { downloadOutputs } from "../download-outputs.ts";
import { withAws } from "../aws-call.ts";
import { CliError, EXIT, UsageError } from "../errors.ts";
import { colorEnabled } from "../../tui/terminal-text.ts";
import { addTargetOptions, announceTarget, resolveTarget, type TargetFlags } from "../target.ts";

interface SubmitOptions extends TargetFlags {
  mafftArgs?: string;
  folder?: string;
  wait?: boolean;
  timeout: string;
  check: boolean;
  json?: boolean;
  download?: string;
}

interface Tracked extends Submission {
  bucket: string;
  bytes: number;
  requestId?: string;
  record?: JobRecord;
  /** Last state printed, so each change is told once. */
  told?: string;
  done: boolean;
  /** Where --download saved its alignment. */
  saved?: string;
}

export function registerSubmit(program: Command): void {
  const cmd = program
    .command("submit")
    .description("upload FASTA files to the input bucket (one job each); with --wait, follow each job to its end")
    .argument("<files...>", "FASTA files to align")
    .option(
      "--mafft-args <args>",
      'MAFFT arguments for these jobs, e.g. "--localpair --maxiterate 1000" (checked against the aligner\'s allow-list)',
    )
    .option("--folder <prefix>", "put the files under this folder of the input bucket")
    .option("--wait", "follow each job until it ends and print where its alignment is")
    .option("--timeout <span>", "with --wait: give up after this long (e.g. 10m, 1h)", "30m")
    .option("--no-check", "upload without checking that each file is FASTA MAFFT can align")
    .option("--download <dir>", "with --wait: save each succeeded job's alignment in DIR, under its output's name")
    .option("--json", "one JSON object per file");
  addTargetOptions(cmd)
    .addHelpText(
      "after",
      '\nExamples:\n  aligner submit opsins.fasta --wait\n  aligner submit runs/*.fasta --folder runs/2026-11-24 --mafft-args "--auto"\n  aligner submit --local test/data/mafft-sample/input.fasta --wait --json\n  aligner submit opsins.fasta --wait --download alignments/',
    )
    .action(async (files: string[], opts: SubmitOptions) => {
      const config = resolveConfig({ env: process.env });
      const timeoutMs = parseSpan(opts.timeout);
      if (timeoutMs === undefined || timeoutMs <= 0)
        throw new UsageError(`--timeout must be a span such as 10m or 1h, got ${JSON.stringify(opts.timeout)}`);
      let metadata: Record<string, string> = {};
      let anySymbol = keepsAnySymbol(config.mafft.defaultArgs);
      if (opts.mafftArgs !== undefined) {
        const parsed = parseMafftArgs(opts.mafftArgs);
        if (!parsed.ok) throw new UsageError(`--mafft-args is not allowed: ${parsed.reason}`);
        if (parsed.args.length > 0) {
          metadata = { [MAFFT_ARGS_METADATA_KEY]: formatMafftArgs(parsed.args) };
          anySymbol = keepsAnySymbol(parsed.args);
        }
      }
      if (opts.download !== undefined && !opts.wait)
        throw new UsageError("--download saves the alignments once the jobs have ended: add --wait");
      const planned = await planUploads(files, config, opts, anySymbol);
      const target = resolveTarget(opts);
      const bucket = requireResource(target, "inputBucket");
      if (opts.wait) requireResource(target, "jobsTable");
      announceTarget(target);
      const color = colorEnabled();
      const clients = clientsFor(target);
      const tracked: Tracked[] = [];
      let notSaved = 0;
      try {
        for (const p of planned) {
          await withAws(target, `uploading ${p.file} to s3://${bucket}/${p.key}`, () =>
            upload(clients, bucket, p, metadata),
          );
          tracked.push({ ...p, bucket, uploadedAtMs: Date.now(), done: !opts.wait });
          if (!opts.json)
            process.stdout.write(
              `uploaded ${p.file} → s3://${bucket}/${p.key} (${formatBytes(p.bytes)}${metadata[MAFFT_ARGS_METADATA_KEY] ? `, mafft ${metadata[MAFFT_ARGS_METADATA_KEY]}` : ""})\n`,
            );
        }
        if (opts.wait)
          await withAws(target, `reading the jobs table ${requireResource(target, "jobsTable")}`, () =>
            waitForJobs(tracked, target, clients, config, { timeoutMs, color, json: opts.json === true }),
          );
        if (opts.download !== undefined) {
          const dir = opts.download;
          const report = await withAws(target, `downloading the alignments into ${dir}`, () =>
            downloadOutputs(tracked, {
              s3: clients.s3(),
              dir,
              policy: retryPolicyFor(config, target.kind),
              resultExpiryDays: config.resultExpiryDays,
              print: !opts.json,
            }),
          );
          for (const t of tracked)
            if (t.requestId && report.saved.has(t.requestId)) t.saved = report.saved.get(t.requestId)!;
          notSaved = report.failed.length;
        }
      } finally {
        clients.destroy();
        // Also when a later upload or the wait failed: each file uploaded has started a job, and
        // --json users learn of it only from these lines.
        if (opts.json) for (const t of tracked) process.stdout.write(`${JSON.stringify(summary(t, target))}\n`);
      }
      if (!opts.wait) {
        if (!opts.json)
          process.stderr.write(
            `follow the job${tracked.length === 1 ? "" : "s"} with: aligner watch${target.kind === "local" ? " --local" : ""}\n`,
          );
        return;
      }
      const failed = tracked.filter((t) => t.record?.status !== "SUCCEEDED");
      if (failed.length) {
        const timedOut = failed.filter((t) => !t.done).length;
        throw new CliError(
          `${failed.length} of ${tracked.length} job${tracked.length === 1 ? "" : "s"} did not succeed${timedOut ? ` (${timedOut} still not ended after ${opts.timeout}; see aligner watch)` : ""}`,
          EXIT.failure,
        );
      }
      if (notSaved)
        throw new CliError(
          `${notSaved} alignment${notSaved === 1 ? " was" : "s were"} not saved into ${opts.download}`,
          EXIT.failure,
        );
    });
}

interface Planned {
  file: string;
  key: string;
  bytes: number;
}

/** Every file checked before anything is uploaded: a bad one stops the lot (exit code 2). */
async function planUploads(
  files: string[],
  config: AlignerConfig,
  opts: SubmitOptions,
  anySymbol: boolean,
): Promise<Planned[]> {
  const planned: Planned[] = [];
  const keys = new Map<string, string>();
  for (const file of files) {
    let size: number;
    try {
      const st = await stat(file);
      if (!st.isFile()) throw new UsageError(`${file} is not a file`);
      size = st.size;
    } catch (err) {
      if (err instanceof UsageError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      throw new UsageError(
        `${file} ${code === "ENOENT" ? "does not exist" : `cannot be read (${code ?? (err as Error).message})`}`,
      );
    }
    if (size > config.input.maxBytes)
      throw new UsageError(
        `${file} is ${formatBytes(size)}, more than the ${formatBytes(config.input.maxBytes)} the aligner accepts (${knobEnv("input.maxBytes")})`,
      );
    const key = inputKeyFor(file, {
      inputPrefix: config.input.prefix,
      ...(opts.folder !== undefined ? { folder: opts.folder } : {}),
    });
    const why = whyNoJob(key, config.input);
    if (why) throw new UsageError(`${file} would start no job as ${key}: ${why}`);
    if (keys.has(key))
      throw new UsageError(`${file} and ${keys.get(key)} would both be uploaded as ${key}; give them different names`);
    keys.set(key, file);
    try {
      outputKeyFor(key);
    } catch (err) {
      throw new UsageError(`${file}: ${(err as Error).message}`);
    }
    if (opts.check) {
      const problem = await checkFasta(file, anySymbol);
      if (problem) throw new UsageError(`${path.basename(file)} ${problem} (--no-check uploads it anyway)`);
    }
    planned.push({ file, key, bytes: size });
  }
  return planned;
}

/** The aligner's own FASTA check, streamed over the file. */
async function checkFasta(file: string, anySymbol: boolean): Promise<string | undefined> {
  const scanner = new FastaScanner({ symbols: anySymbol ? "printable" : "letters" });
  const handle = await open(file);
  try {
    for await (const chunk of handle.createReadStream({ highWaterMark: 1 << 20 })) {
      scanner.push(chunk as Buffer);
      if (scanner.failed) break;
    }
  } finally {
    await handle.close();
  }
  const result = scanner.finish();
  return result.ok ? undefined : result.reason;
}

async function upload(
  clients: TargetClients,
  bucket: string,
  p: Planned,
  metadata: Record<string, string>,
): Promise<void> {
  const progress = process.stderr.isTTY === true && p.bytes > 1 << 20;
  const up = new Upload({
    client: clients.s3(),
    params: {
      Bucket: bucket,
      Key: p.key,
      Body: createReadStream(p.file),
      ContentType: "text/x-fasta",
      Metadata: metadata,
    },
    // Parts of 8 MiB, 4 at once: large inputs go up as a multipart upload.
    partSize: 8 * 1024 * 1024,
    queueSize: 4,
  });
  if (progress) {
    up.on("httpUploadProgress", (e) => {
      const done = e.loaded ?? 0;
      process.stderr.write(
        `\r\u001b[Kuploading ${p.file}: ${Math.floor((100 * done) / p.bytes)}% (${formatBytes(done)} of ${formatBytes(p.bytes)})`,
      );
    });
  }
  try {
    await up.done();
  } finally {
    if (progress) process.stderr.write("\r\u001b[K");
  }
}

async function waitForJobs(
  tracked: Tracked[],
  target: Target,
  clients: TargetClients,
  config: AlignerConfig,
  opts: { timeoutMs: number; color: boolean; json: boolean },
): Promise<void> {
  const dynamo = clients.dynamo();
  const clock = serverClock(dynamo);
  const reader = new JobsReader(dynamo, requireResource(target, "jobsTable"));
  const feed = new ActivityFeed(reader, { settleMs: config.watch.settleMs, clock });
  const policy = {
    maxRetries: config.aligner.maxRetries,
    delayDivisor: target.kind === "local" ? config.local.retryDelayDivisor : 1,
  };
  const deadline = Date.now() + opts.timeoutMs;
  const earliest = Math.min(...tracked.map((t) => t.uploadedAtMs));
  const apply = (rows: JobRow[]) => {
    for (const row of rows) {
      const t = tracked.find((x) => (x.requestId ? x.requestId === row.record.requestId : isJobOf(row.record, x)));
      if (!t) continue;
      t.requestId = row.record.requestId;
      if (!t.record || (t.record.updatedAt ?? "") <= (row.record.updatedAt ?? "")) t.record = row.record;
    }
  };
  apply((await feed.load(earliest - SKEW_MS, 10_000)).rows);
  let lastSweep = Date.now();
  for (;;) {
    const now = Date.now();
    for (const t of tracked) if (!t.done) tell(t, now, policy, opts);
    if (tracked.every((t) => t.done) || now >= deadline) return;
    await new Promise((r) => setTimeout(r, Math.min(config.watch.refreshMs, 1000)));
    apply((await feed.changes()).rows);
    // A consistent read of each known job now and then: the safety net for a late index write.
    if (Date.now() - lastSweep > 10_000) {
      lastSweep = Date.now();
      const ids = tracked.filter((t) => !t.done && t.requestId).map((t) => t.requestId!);
      for (const id of ids) {
        const row = await reader.getJob(id);
        if (row) apply([row]);
      }
    }
  }
}

function tell(
  t: Tracked,
  now: number,
  policy: { maxRetries: number; delayDivisor: number },
  opts: { color: boolean; json: boolean },
): void {
  const say = (state: string, line: string) => {
    if (t.told === state) return;
    t.told = state;
    if (!opts.json) process.stdout.write(`${line}\n`);
  };
  const r = t.record;
  if (!r) return;
  const progress = jobProgress(r, policy);
  const status = (s: string) => paintStatus(s, opts.color);
  if (progress.state === "running") {
    say(
      `running:${r.attempts}`,
      `${t.file}: ${status("RUNNING")} (request ${r.requestId}${r.attempts > 1 ? `, attempt ${r.attempts}` : ""})`,
    );
    return;
  }
  if (progress.state === "awaiting-retry" && now < progress.untilMs) {
    say(
      `retry:${r.attempts}`,
      `${t.file}: attempt ${r.attempts} ${status(r.status)}${r.errorType ? ` (${r.errorType})` : ""}; Lambda retries it — waiting`,
    );
    return;
  }
  t.done = true;
  const took =
    r.durationMs !== undefined ? ` in ${formatDuration(r.durationMs)}${r.coldStart ? " (cold start)" : ""}` : "";
  if (r.status === "SUCCEEDED") {
    const where = r.outputBucket && r.outputKey ? ` → s3://${r.outputBucket}/${r.outputKey}` : "";
    say("ended", `${t.file}: ${status("SUCCEEDED")}${took}${where}`);
  } else {
    say(
      "ended",
      `${t.file}: ${status(r.status)}${took}${r.errorType || r.errorMessage ? `: ${[r.errorType, r.errorMessage].filter(Boolean).join(": ")}` : ""} (aligner logs ${r.requestId})`,
    );
  }
}

function summary(t: Tracked, target: Target): Record<string, unknown> {
  const out: Record<string, unknown> = { file: t.file, bucket: t.bucket, key: t.key, bytes: t.bytes };
  if (t.requestId) out["requestId"] = t.requestId;
  if (t.record) {
    out["status"] = t.record.status;
    out["record"] = t.record;
    if (t.record.outputBucket && t.record.outputKey)
      out["output"] = `s3://${t.record.outputBucket}/${t.record.outputKey}`;
    if (t.saved) out["saved"] = t.saved;
  } else if (!t.done) out["status"] = "UNKNOWN";
  if (!t.record && target.resources.outputBucket)
    out["expectedOutput"] = `s3://${target.resources.outputBucket.name}/${outputKeyFor(t.key)}`;
  return out;
}
