/**
 * `aligner failures --local [--function F] [--json] [--limit N]`: the events Lambda gave up on —
 * the on-failure destination of the asynchronous invocations (retries exhausted, or too old).
 * The local cloud keeps them in its state folder (`failureStore` of local.json), one file per
 * function named after the stack's SQS queue; this reads them even when the cloud is stopped.
 * In AWS they are messages of those SQS queues, which this command does not read.
 */
import type { Command } from "commander";
import path from "node:path";
import { existsSync } from "node:fs";
import { resolveConfig } from "../../core/config.ts";
import { LOCAL_ENDPOINTS_FILE, LOCAL_STATE_DIR } from "../../core/local-endpoints.ts";
import { decodeAwslogsData, PayloadError } from "../../core/logs/payload.ts";
import { decodeEventKey } from "../../core/s3-event-key.ts";
import { resourceNames, type FunctionId } from "../../core/names.ts";
import { failureFile, readFailures, type DestinationRecord } from "../../local/lambda/failures.ts";
import { UsageError } from "../errors.ts";
import { formatTable, paint } from "../output.ts";
import { findLocalEndpointsFile, readLocalEndpointsFile } from "../target.ts";

interface FailuresOptions {
  local?: boolean;
  function: string;
  json?: boolean;
  limit: string;
}

const FUNCTION_CHOICES: Record<string, FunctionId[]> = {
  all: ["aligner", "logProcessor"],
  aligner: ["aligner"],
  "log-processor": ["logProcessor"],
};

export function registerFailures(program: Command): void {
  program
    .command("failures")
    .description("events the functions gave up on after their retries (the on-failure destination)")
    .option("--local", `read the local cloud's destination (found through ${LOCAL_STATE_DIR}/${LOCAL_ENDPOINTS_FILE})`)
    .option("--function <name>", "aligner, log-processor or all", "all")
    .option("--json", "one JSON object per line: the record Lambda sends to a destination, plus the function")
    .option("--limit <n>", "show at most the newest N (0 = all)", "50")
    .addHelpText("after", "\nExamples:\n  aligner failures --local\n  aligner failures --local --function aligner --json | jq .requestContext")
    .action((opts: FailuresOptions) => {
      const fns = FUNCTION_CHOICES[opts.function];
      if (!fns) throw new UsageError(`--function must be aligner, log-processor or all, got ${JSON.stringify(opts.function)}`);
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 0) throw new UsageError(`--limit must be a whole number, got ${JSON.stringify(opts.limit)}`);
      const names = resourceNames(resolveConfig({ env: process.env }));
      if (!opts.local) {
        const queues = fns.map((f) => names.failureQueues[f]).join(" and ");
        throw new UsageError(`only the local cloud's failures can be listed (--local); in AWS they are messages of the SQS queue(s) ${queues}`);
      }
      const store = failureStore(names.failureQueues);
      const dir = store.dir;
      let rows: { fn: FunctionId; record: DestinationRecord }[] = [];
      for (const fn of fns) {
        for (const record of readFailures(failureFile(dir, store.queues[fn]))) rows.push({ fn, record });
      }
      rows.sort((a, b) => (a.record.timestamp < b.record.timestamp ? -1 : a.record.timestamp > b.record.timestamp ? 1 : 0));
      if (limit > 0) rows = rows.slice(-limit);
      if (opts.json) {
        process.stdout.write(rows.map((r) => `${JSON.stringify({ function: label(r.fn), ...r.record })}\n`).join(""));
        return;
      }
      if (rows.length === 0) {
        process.stdout.write(`no failed events (${path.relative(process.cwd(), dir) || dir})\n`);
        return;
      }
      process.stdout.write(`${renderTable(rows)}\n`);
    });
}

const label = (fn: FunctionId) => (fn === "aligner" ? "aligner" : "log-processor");

/**
 * The folder named by local.json and the queue names the cloud used (or, with no local.json,
 * the default folder and the names this shell's configuration gives). The store outlives the
 * cloud, so a cloud that has ended is no obstacle.
 */
function failureStore(configured: Record<FunctionId, string>): { dir: string; queues: Record<FunctionId, string> } {
  if (!findLocalEndpointsFile(process.cwd())) {
    const fallback = path.resolve(LOCAL_STATE_DIR, "failures");
    if (existsSync(fallback)) return { dir: fallback, queues: configured };
  }
  // No local.json (or a damaged one) throws a TargetError: exit 2, as for every --local command.
  const { content } = readLocalEndpointsFile();
  return { dir: content.failureStore, queues: content.failureQueues ?? configured };
}

/** What the failed event was about: the input object, or the log stream of a payload. */
export function describePayload(fn: FunctionId, payload: unknown): string {
  if (fn === "aligner") {
    const keys = ((payload as { Records?: { s3?: { object?: { key?: string } } }[] } | null)?.Records ?? [])
      .map((r) => r.s3?.object?.key)
      .filter((k): k is string => typeof k === "string")
      .map((k) => {
        try {
          return decodeEventKey(k);
        } catch {
          return k;
        }
      });
    return keys.length ? keys.join(", ") : "(not an S3 event)";
  }
  const data = (payload as { awslogs?: { data?: unknown } } | null)?.awslogs?.data;
  if (typeof data !== "string") return "(not a log subscription event)";
  try {
    const m = decodeAwslogsData(data);
    return m.messageType === "CONTROL_MESSAGE" ? "control message" : `${m.logStream}: ${m.logEvents.length} events`;
  } catch (err) {
    return err instanceof PayloadError ? `(undecodable payload: ${err.message})` : "(undecodable payload)";
  }
}

function renderTable(rows: { fn: FunctionId; record: DestinationRecord }[]): string {
  return formatTable(
    ["TIME", "FUNCTION", "REQUEST ID", "CONDITION", "ATTEMPTS", "EVENT", "LAST ERROR"],
    rows.map(({ fn, record }) => [
      record.timestamp,
      label(fn),
      record.requestContext.requestId,
      paint("yellow", record.requestContext.condition),
      String(record.requestContext.approximateInvokeCount),
      describePayload(fn, record.requestPayload),
      record.responsePayload ? `${record.responsePayload.errorType}: ${record.responsePayload.errorMessage}`.slice(0, 160) : "-",
    ]),
  );
}
