/**
 * `aligner parse [FILES...] [--json]`: the log processor's decode → parse → reduce → write path,
 * run offline in memory, printing the final record of every request. Files are applied in the
 * order given; `-` (or no file) reads standard input.
 */
import type { Command } from "commander";
import { readFile } from "node:fs/promises";
import { PARSE_OUTPUT_FIELDS, type JobRecord } from "../../core/jobs-table.ts";
import { InputError, readLogInput } from "../../core/logs/inputs.ts";
import { OfflineStatus } from "../../core/status/offline.ts";
import { CliError, EXIT } from "../errors.ts";
import { colorEnabled, formatTable } from "../../tui/terminal-text.ts";
import { paintStatus } from "../../tui/plain.ts";

export function registerParse(program: Command): void {
  program
    .command("parse")
    .description("rebuild per-request status from log files, offline (the log processor's own path, in memory)")
    .argument(
      "[files...]",
      "subscription payloads (base64-gzip, decoded JSON or Lambda event), FilterLogEvents/GetLogEvents responses, or plain text (one event per line); - for stdin",
    )
    .option("--json", "one JSON object per request and line, sorted by startedAt then requestId")
    .addHelpText(
      "after",
      "\nExamples:\n  aligner parse payload.b64 --json\n  aws logs filter-log-events --log-group-name /aws/lambda/lambda-aligner-aligner > events.json && aligner parse events.json\n  aligner parse stream.log",
    )
    .action(async (files: string[], opts: { json?: boolean }) => {
      const offline = new OfflineStatus();
      let bad = 0;
      for (const file of files.length ? files : ["-"]) {
        try {
          const content = file === "-" ? await readStdin() : await readFile(file, "utf8");
          await offline.apply(readLogInput(content, file === "-" ? "stdin" : file));
        } catch (err) {
          bad++;
          const reason =
            err instanceof InputError
              ? err.message
              : (err as NodeJS.ErrnoException).code === "ENOENT"
                ? "does not exist"
                : (err as Error).message;
          process.stderr.write(`aligner: ${file}: ${reason}\n`);
        }
      }
      const records = offline.records();
      process.stdout.write(
        opts.json ? records.map((r) => `${JSON.stringify(parseOutput(r))}\n`).join("") : `${renderTable(records)}\n`,
      );
      if (bad > 0) throw new CliError(`${bad} of ${files.length || 1} input(s) could not be read`, EXIT.usage);
    });
}

/** Exactly the documented fields, in order, absent when unknown. */
export function parseOutput(r: JobRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of PARSE_OUTPUT_FIELDS) if (r[f] !== undefined) out[f] = r[f];
  return out;
}

function renderTable(records: JobRecord[]): string {
  if (records.length === 0) return "no requests found";
  const ms = (v: number | undefined) => (v === undefined ? "-" : `${v.toFixed(v < 10 ? 2 : 0)} ms`);
  const rows = records.map((r) => [
    r.requestId,
    paintStatus(r.status, colorEnabled()),
    r.coldStart === undefined ? "-" : r.coldStart ? "cold" : "warm",
    r.startedAt ?? "-",
    ms(r.durationMs),
    ms(r.billedDurationMs),
    r.maxMemoryUsedMb === undefined ? "-" : `${r.maxMemoryUsedMb}/${r.memorySizeMb ?? "?"} MB`,
    String(r.attempts),
    r.errorType ? `${r.errorType}${r.errorMessage ? `: ${r.errorMessage}` : ""}` : "",
  ]);
  return formatTable(
    ["REQUEST ID", "STATUS", "START", "STARTED", "DURATION", "BILLED", "MEMORY", "ATTEMPTS", "ERROR"],
    rows,
  );
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
