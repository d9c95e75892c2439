/**
 * `aligner failures [--local | --outputs FILE] [--function F] [--json] [--limit N] [--delete]`:
 * the events Lambda gave up on — the on-failure destination of the asynchronous invocations
 * (retries exhausted, or too old), one SQS queue per function.
 *
 * One code path for AWS and the local cloud: the queues are read through the SQS API (the local
 * cloud serves it, local/sqs/api.ts). Reading is a peek: ReceiveMessage with VisibilityTimeout 0,
 * up to 10 messages a call, repeated and deduplicated by MessageId until a few calls in a row bring
 * nothing new or ApproximateNumberOfMessages are seen; --limit then keeps the newest of them (a
 * receive brings the messages in no particular order, so stopping at N would show any N). SQS answers each call
 * from a sample of its servers, so on a very large queue the list may be incomplete; the output
 * says so and shows ApproximateNumberOfMessages. Nothing is deleted unless --delete is given: then
 * the messages are received with a visibility timeout (hidden from other readers meanwhile) and
 * exactly the ones listed are deleted by their receipt handles.
 *
 * A local cloud that has stopped cannot answer SQS calls, but its failure store stays in its state
 * folder; `--local` then reads the store directly and says so (no --delete: that needs SQS).
 */
import type { Command } from "commander";
import path from "node:path";
import { existsSync } from "node:fs";
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { resolveConfig } from "../../core/config.ts";
import { LOCAL_STATE_DIR } from "../../core/local-endpoints.ts";
import { decodeAwslogsData, PayloadError } from "../../core/logs/payload.ts";
import { decodeEventKey } from "../../core/s3-event-key.ts";
import { resourceNames, type FunctionId } from "../../core/names.ts";
import { FAILURE_QUEUE_RESOURCE, requireResolved, TargetError, type ResolvedResource } from "../../core/target.ts";
import { processAlive } from "../../local/endpoints-file.ts";
import { failureFile, readFailures, type DestinationRecord } from "../../local/lambda/failures.ts";
import { clientsFor } from "../../aws/target-clients.ts";
import { withAws } from "../aws-call.ts";
import { UsageError } from "../errors.ts";
import { colorEnabled, formatTable, paint } from "../../tui/terminal-text.ts";
import {
  addTargetOptions,
  announceTarget,
  findLocalEndpointsFile,
  readLocalEndpointsFile,
  resolveTarget,
  type TargetFlags,
} from "../target.ts";

interface FailuresOptions extends TargetFlags {
  function: string;
  json?: boolean;
  limit: string;
  delete?: boolean;
}

const FUNCTION_CHOICES: Record<string, FunctionId[]> = {
  all: ["aligner", "logProcessor"],
  aligner: ["aligner"],
  "log-processor": ["logProcessor"],
};

/** Calls in a row that bring no new message before the peek ends. */
const QUIET_CALLS = 3;
/** A bound on the calls per queue, whatever the queue holds (10 messages each at most). */
const MAX_CALLS = 500;
/** Long polling asks every SQS server, not a sample; one second keeps an empty queue's answer quick. */
const WAIT_SECONDS = 1;
/** With --delete: how long the received messages stay hidden while they are listed and deleted. */
const DELETE_VISIBILITY_SECONDS = 60;

const SAMPLE_NOTE =
  "SQS answers each receive from a sample of the queue, so on a very large queue this list may be incomplete";

interface Row {
  fn: FunctionId;
  record: DestinationRecord;
  /** Where it was read through SQS (absent when read from a stopped local cloud's store). */
  queueUrl?: string;
  receiptHandle?: string;
}

interface QueueReport {
  fn: FunctionId;
  queue: string;
  approximate: number;
  inFlight: number;
  listed: number;
  /** Messages whose body is not a Lambda destination record: shown by count, never deleted. */
  foreign: number;
}

export function registerFailures(program: Command): void {
  const cmd = program
    .command("failures")
    .description(
      "events the functions gave up on after their retries (the on-failure SQS queues), read without removing them",
    );
  addTargetOptions(cmd)
    .option("--function <name>", "aligner, log-processor or all", "all")
    .option("--json", "one JSON object per line: the record Lambda sends to a destination, plus the function")
    .option("--limit <n>", "show at most the newest N of those read (0 = all)", "50")
    .option(
      "--delete",
      `delete the listed messages from the queues (they are hidden from other readers for ${DELETE_VISIBILITY_SECONDS} s while listed)`,
    )
    .addHelpText(
      "after",
      `
The queues are read through SQS (the local cloud serves the same API) with a peek: ReceiveMessage
with VisibilityTimeout 0, 10 messages a call, repeated until ${QUIET_CALLS} calls in a row bring nothing new.
SQS answers each call from a sample of its servers, so on a very large queue the list may be
incomplete; ApproximateNumberOfMessages (GetQueueAttributes) is shown beside it. Nothing is
deleted without --delete. A stopped local cloud is read from its state folder (${LOCAL_STATE_DIR}/failures).

Queue URLs: the stack outputs (--outputs FILE, or outputs.json here), ALIGNER_FAILURE_QUEUE_URL and
ALIGNER_LOG_PROCESSOR_FAILURE_QUEUE_URL, or the names the prefix gives (GetQueueUrl).

Examples:
  aligner failures --local
  aligner failures --outputs outputs.json --function aligner --json | jq .requestContext
  aligner failures --local --limit 10 --delete`,
    )
    .action(async (opts: FailuresOptions) => runFailures(opts));
}

async function runFailures(opts: FailuresOptions): Promise<void> {
  const fns = FUNCTION_CHOICES[opts.function];
  if (!fns)
    throw new UsageError(`--function must be aligner, log-processor or all, got ${JSON.stringify(opts.function)}`);
  const limit = Number(opts.limit);
  if (!/^\d+$/.test(opts.limit) || !Number.isSafeInteger(limit))
    throw new UsageError(`--limit must be a whole number, got ${JSON.stringify(opts.limit)}`);
  if (opts.local && opts.outputs) throw new TargetError("--local and --outputs name two different targets; choose one");

  const stopped = opts.local ? stoppedLocalStore() : undefined;
  if (stopped) {
    if (opts.delete)
      throw new UsageError(
        `--delete deletes through SQS, which the local cloud serves only while it runs; start it with aligner dev`,
      );
    process.stderr.write(
      `${paint("dim", `the local cloud is not running: reading its failure store ${stopped.shown} directly`, colorEnabled(process.stderr))}\n`,
    );
    const rows: Row[] = [];
    for (const fn of fns)
      for (const record of readFailures(failureFile(stopped.dir, stopped.queues[fn]))) rows.push({ fn, record });
    print(newest(rows, limit), opts, `no failed events (${stopped.shown})`);
    return;
  }

  const target = resolveTarget(opts);
  const refs = {
    aligner: requireResolved(target, FAILURE_QUEUE_RESOURCE.aligner),
    logProcessor: requireResolved(target, FAILURE_QUEUE_RESOURCE.logProcessor),
  };
  announceTarget(target);
  const clients = clientsFor(target);
  try {
    const sqs = clients.sqs();
    const queues = fns.map((fn) => refs[fn].name).join(" and ");
    const read = await withAws(target, `reading the failure queue${fns.length > 1 ? "s" : ""} ${queues}`, () =>
      Promise.all(fns.map((fn) => peek(sqs, fn, refs[fn], opts.delete === true))),
    );
    const rows = newest(
      read.flatMap((r) => r.rows),
      limit,
    );
    const reports = read.map((r) => ({ ...r.report, listed: rows.filter((row) => row.fn === r.report.fn).length }));
    print(rows, opts, `no failed events (${fns.map((fn) => refs[fn].name).join(", ")})`);
    const notes = reports.map(
      (r) =>
        `${label(r.fn)}: ${r.listed} listed; ${r.queue} holds about ${r.approximate} message(s)${r.inFlight ? ` and ${r.inFlight} hidden by another reader` : ""} (ApproximateNumberOfMessages)${r.foreign ? `; ${r.foreign} message(s) that are not Lambda destination records left out` : ""}`,
    );
    notes.push(SAMPLE_NOTE);
    if (opts.delete) {
      const deleted = await withAws(target, "deleting the listed messages", async () => {
        for (const row of rows)
          await sqs.send(new DeleteMessageCommand({ QueueUrl: row.queueUrl!, ReceiptHandle: row.receiptHandle! }));
        return rows.length;
      });
      notes.push(
        `deleted ${deleted} message(s)${deleted < read.reduce((n, r) => n + r.rows.length, 0) ? "; the others read come back after the visibility timeout" : ""}`,
      );
    }
    // Notes go with the table; with --json, stdout holds the records alone.
    const out = opts.json ? process.stderr : process.stdout;
    for (const n of notes) out.write(`${paint("dim", n, colorEnabled(out))}\n`);
  } finally {
    clients.destroy();
  }
}

/**
 * The failure store of a local cloud that is not running (no local.json but a store folder, or a
 * local.json whose process has ended), or undefined when one runs. No store and no local.json:
 * the TargetError every --local command gives (exit 2), as is a damaged local.json.
 */
function stoppedLocalStore(): { dir: string; shown: string; queues: Record<FunctionId, string> } | undefined {
  const configured = () => resourceNames(resolveConfig({ env: process.env })).failureQueues;
  const shownDir = (dir: string) => path.relative(process.cwd(), dir) || dir;
  if (!findLocalEndpointsFile(process.cwd())) {
    const fallback = path.resolve(LOCAL_STATE_DIR, "failures");
    if (existsSync(fallback)) return { dir: fallback, shown: shownDir(fallback), queues: configured() };
  }
  const { content } = readLocalEndpointsFile();
  if (processAlive(content.pid)) return undefined;
  return { dir: content.failureStore, shown: shownDir(content.failureStore), queues: content.failureQueues };
}

/** A read-only look at one queue (or, with `remove`, a receive that hides what it read for the deletion). */
async function peek(
  sqs: SQSClient,
  fn: FunctionId,
  ref: ResolvedResource,
  remove: boolean,
): Promise<{ rows: Row[]; report: Omit<QueueReport, "listed"> }> {
  const queueUrl = ref.url ?? (await sqs.send(new GetQueueUrlCommand({ QueueName: ref.name }))).QueueUrl!;
  const attrs =
    (
      await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        }),
      )
    ).Attributes ?? {};
  const approximate = Number(attrs.ApproximateNumberOfMessages ?? 0);
  const inFlight = Number(attrs.ApproximateNumberOfMessagesNotVisible ?? 0);
  const seen = new Map<string, Message>();
  let quiet = 0;
  for (let calls = 0; calls < MAX_CALLS && quiet < QUIET_CALLS; calls++) {
    // All of them seen (as far as SQS can count): no need to wait for quiet calls.
    if (calls > 0 && seen.size >= approximate) break;
    const got = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: remove ? DELETE_VISIBILITY_SECONDS : 0,
        WaitTimeSeconds: WAIT_SECONDS,
      }),
    );
    let fresh = 0;
    for (const m of got.Messages ?? []) {
      if (m.MessageId === undefined) continue;
      if (!seen.has(m.MessageId)) fresh++;
      // The latest receipt: SQS may not delete a message by an older handle than its last receive's.
      seen.set(m.MessageId, m);
    }
    quiet = fresh > 0 ? 0 : quiet + 1;
  }
  const rows: Row[] = [];
  let foreign = 0;
  for (const m of seen.values()) {
    const record = destinationRecordOf(m.Body);
    if (record) rows.push({ fn, record, queueUrl, receiptHandle: m.ReceiptHandle! });
    else foreign++;
  }
  return { rows, report: { fn, queue: ref.name, approximate, inFlight, foreign } };
}

/** The body as the record Lambda sends to a destination, or undefined when it is something else. */
function destinationRecordOf(body: string | undefined): DestinationRecord | undefined {
  if (body === undefined) return undefined;
  try {
    const v = JSON.parse(body) as Partial<DestinationRecord> | null;
    return typeof v?.requestContext?.requestId === "string" && typeof v.timestamp === "string"
      ? (v as DestinationRecord)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Oldest first, the newest `limit` of them (0 = all). */
function newest(rows: Row[], limit: number): Row[] {
  const sorted = [...rows].sort((a, b) =>
    a.record.timestamp < b.record.timestamp ? -1 : a.record.timestamp > b.record.timestamp ? 1 : 0,
  );
  return limit > 0 ? sorted.slice(-limit) : sorted;
}

function print(rows: Row[], opts: FailuresOptions, none: string): void {
  if (opts.json) {
    process.stdout.write(rows.map((r) => `${JSON.stringify({ function: label(r.fn), ...r.record })}\n`).join(""));
    return;
  }
  process.stdout.write(rows.length === 0 ? `${none}\n` : `${renderTable(rows)}\n`);
}

const label = (fn: FunctionId) => (fn === "aligner" ? "aligner" : "log-processor");

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

function renderTable(rows: Row[]): string {
  return formatTable(
    ["TIME", "FUNCTION", "REQUEST ID", "CONDITION", "ATTEMPTS", "EVENT", "LAST ERROR"],
    rows.map(({ fn, record }) => [
      record.timestamp,
      label(fn),
      record.requestContext.requestId,
      paint("yellow", record.requestContext.condition),
      String(record.requestContext.approximateInvokeCount),
      describePayload(fn, record.requestPayload),
      record.responsePayload
        ? `${record.responsePayload.errorType}: ${record.responsePayload.errorMessage}`.slice(0, 160)
        : "-",
    ]),
  );
}
