/**
 * The local SQS API for the failure queues: the protocol `@aws-sdk/client-sqs` speaks (AWS JSON
 * 1.0: `POST /`, `X-Amz-Target: AmazonSQS.<Operation>`, `application/x-amz-json-1.0`), serving
 * GetQueueUrl, ListQueues, GetQueueAttributes, ReceiveMessage and DeleteMessage from the failure
 * store (local/sqs/queues.ts). No SendMessage: only Lambda's destination writes to these queues,
 * and the local async invoker does that through the store.
 *
 * Behaviour follows the service where a client can tell: MaxNumberOfMessages 1–10 (default 1),
 * VisibilityTimeout 0–43200 (default the queue's 30 s; 0 leaves the messages visible: a peek),
 * WaitTimeSeconds 0–20 (long polling: the reply comes as soon as a message is visible, or empty
 * at the end of the wait), MD5OfBody the MD5 of the body (the SDK checks it), system attributes
 * SentTimestamp, ApproximateReceiveCount, ApproximateFirstReceiveTimestamp and SenderId on request.
 * Errors have the JSON protocol's shape: HTTP 400, `{"__type","message"}` and the query-compatible
 * code in `x-amzn-query-error` (e.g. `AWS.SimpleQueueService.NonExistentQueue;Sender`), from which
 * the SDK names its exception (QueueDoesNotExist, InvalidParameterValue, ReceiptHandleIsInvalid, ...).
 */
import { createHash } from "node:crypto";
import { FAILURE_QUEUE_RETENTION_SECONDS } from "../../core/names.ts";
import { jsonProtocolHandler, LoopbackServer, MAX_REQUEST_BYTES } from "../http-server.ts";
import { type FailureQueues, ReceiptHandleError, type ReceivedMessage } from "./queues.ts";

export const TARGET_PREFIX = "AmazonSQS.";
const CONTENT_TYPE = "application/x-amz-json-1.0";

/** The stack's queues use SQS's defaults for these (infra/node-function.ts sets only retention). */
const DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 30;
const LONG_POLL_STEP_MS = 50;

class ServiceError extends Error {
  constructor(
    /** The shape name, after `com.amazonaws.sqs#`. */
    readonly type: string,
    /** The query-compatible code the SDK names its exception after. */
    readonly queryCode: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const noSuchQueue = () =>
  new ServiceError(
    "QueueDoesNotExist",
    "AWS.SimpleQueueService.NonExistentQueue",
    "The specified queue does not exist.",
  );
const invalidValue = (name: string, value: unknown, reason: string) =>
  new ServiceError(
    "InvalidParameterValue",
    "InvalidParameterValue",
    `Value ${String(value)} for parameter ${name} is invalid. Reason: ${reason}`,
  );
const missing = (name: string) =>
  new ServiceError("MissingParameter", "MissingParameter", `The request must contain the parameter ${name}.`);

type Json = Record<string, unknown>;

export interface SqsApiOptions {
  region: string;
  accountId: string;
}

const QUEUE_ATTRIBUTES = [
  "ApproximateNumberOfMessages",
  "ApproximateNumberOfMessagesNotVisible",
  "ApproximateNumberOfMessagesDelayed",
  "QueueArn",
  "VisibilityTimeout",
  "MessageRetentionPeriod",
  "DelaySeconds",
  "ReceiveMessageWaitTimeSeconds",
  "MaximumMessageSize",
  "SqsManagedSseEnabled",
] as const;

const MESSAGE_ATTRIBUTES = [
  "SentTimestamp",
  "ApproximateReceiveCount",
  "ApproximateFirstReceiveTimestamp",
  "SenderId",
] as const;

export class SqsApi {
  private readonly http = new LoopbackServer(
    jsonProtocolHandler({
      targetPrefix: TARGET_PREFIX,
      contentType: CONTENT_TYPE,
      call: (operation, input) => this.call(operation, input),
      envelopeError: (problem) =>
        problem === "tooLarge"
          ? new ServiceError(
              "RequestEntityTooLarge",
              "RequestEntityTooLarge",
              `The request body is larger than ${MAX_REQUEST_BYTES} bytes.`,
              413,
            )
          : problem === "notThisService"
            ? new ServiceError(
                "UnsupportedOperation",
                "AWS.SimpleQueueService.UnsupportedOperation",
                "Expected a POST with X-Amz-Target: AmazonSQS.<Operation> (the AWS JSON protocol).",
              )
            : new ServiceError(
                "InvalidParameterValue",
                "InvalidParameterValue",
                problem === "badJson"
                  ? "The request body is not valid JSON."
                  : "The request body must be a JSON object.",
              ),
      // The query-compatible code in x-amzn-query-error is what the SDK names its exception after.
      errorReply: (err) =>
        err instanceof ServiceError
          ? {
              status: err.status,
              body: { __type: `com.amazonaws.sqs#${err.type}`, message: err.message },
              headers: { "x-amzn-query-error": `${err.queryCode};Sender` },
            }
          : {
              status: 500,
              body: { __type: "com.amazonaws.sqs#InternalError", message: (err as Error).message },
              headers: { "x-amzn-query-error": "InternalError;Receiver" },
            },
    }),
  );
  private endpoint = "";
  private closed = false;

  constructor(
    private readonly queues: FailureQueues,
    /** The function each queue receives the failures of (SenderId: Lambda sends as the function's role session). */
    private readonly senders: Record<string, string>,
    private readonly opts: SqsApiOptions,
  ) {}

  async listen(port = 0, host = "127.0.0.1"): Promise<string> {
    this.endpoint = await this.http.listen(port, host, { keepAliveTimeoutMs: 1000 });
    return this.endpoint;
  }

  close(): Promise<void> {
    this.closed = true;
    return this.http.close();
  }

  queueUrl(name: string): string {
    return `${this.endpoint}/${this.opts.accountId}/${name}`;
  }

  /** One request, without HTTP: the operation name and its JSON input. */
  async call(operation: string, input: Json): Promise<Json> {
    switch (operation) {
      case "GetQueueUrl":
        return this.getQueueUrl(input);
      case "ListQueues":
        return this.listQueues(input);
      case "GetQueueAttributes":
        return this.getQueueAttributes(input);
      case "ReceiveMessage":
        return this.receiveMessage(input);
      case "DeleteMessage":
        return this.deleteMessage(input);
      default:
        throw new ServiceError(
          "UnsupportedOperation",
          "AWS.SimpleQueueService.UnsupportedOperation",
          `The local cloud does not serve ${operation}.`,
        );
    }
  }

  // -------------------------------------------------------------------------------------------

  /** The queue a QueueUrl names (its last path segment, under this account). */
  private queueOf(input: Json): string {
    const url = optString(input, "QueueUrl");
    if (url === undefined) throw missing("QueueUrl");
    let parts: string[];
    try {
      parts = new URL(url).pathname.split("/").filter(Boolean);
    } catch {
      throw noSuchQueue();
    }
    if (parts.length !== 2 || parts[0] !== this.opts.accountId || !this.queues.has(parts[1]!)) throw noSuchQueue();
    return parts[1]!;
  }

  private getQueueUrl(input: Json): Json {
    const name = optString(input, "QueueName");
    if (name === undefined) throw missing("QueueName");
    const owner = optString(input, "QueueOwnerAWSAccountId");
    if ((owner !== undefined && owner !== this.opts.accountId) || !this.queues.has(name)) throw noSuchQueue();
    return { QueueUrl: this.queueUrl(name) };
  }

  private listQueues(input: Json): Json {
    const prefix = optString(input, "QueueNamePrefix") ?? "";
    return { QueueUrls: this.queues.names.filter((n) => n.startsWith(prefix)).map((n) => this.queueUrl(n)) };
  }

  private getQueueAttributes(input: Json): Json {
    const queue = this.queueOf(input);
    const wanted = optStringArray(input, "AttributeNames") ?? [];
    for (const a of wanted) {
      if (a !== "All" && !(QUEUE_ATTRIBUTES as readonly string[]).includes(a))
        throw new ServiceError("InvalidAttributeName", "InvalidAttributeName", `Unknown Attribute ${a}.`);
    }
    const names = wanted.includes("All") ? [...QUEUE_ATTRIBUTES] : wanted;
    if (names.length === 0) return {}; // SQS answers a request for no attributes with none
    const counts = this.queues.counts(queue);
    const all: Record<(typeof QUEUE_ATTRIBUTES)[number], string> = {
      ApproximateNumberOfMessages: String(counts.visible),
      ApproximateNumberOfMessagesNotVisible: String(counts.notVisible),
      ApproximateNumberOfMessagesDelayed: "0",
      QueueArn: `arn:aws:sqs:${this.opts.region}:${this.opts.accountId}:${queue}`,
      VisibilityTimeout: String(DEFAULT_VISIBILITY_TIMEOUT_SECONDS),
      MessageRetentionPeriod: String(FAILURE_QUEUE_RETENTION_SECONDS),
      DelaySeconds: "0",
      ReceiveMessageWaitTimeSeconds: "0",
      MaximumMessageSize: "262144",
      SqsManagedSseEnabled: "true",
    };
    return { Attributes: Object.fromEntries(names.map((n) => [n, all[n as keyof typeof all]])) };
  }

  private async receiveMessage(input: Json): Promise<Json> {
    const queue = this.queueOf(input);
    const max = optInt(input, "MaxNumberOfMessages", 1);
    if (max < 1 || max > 10) throw invalidValue("MaxNumberOfMessages", max, "Must be between 1 and 10, if provided.");
    const visibility = optInt(input, "VisibilityTimeout", DEFAULT_VISIBILITY_TIMEOUT_SECONDS);
    if (visibility < 0 || visibility > 43_200)
      throw invalidValue("VisibilityTimeout", visibility, "Must be >= 0 and <= 43200, if provided.");
    const wait = optInt(input, "WaitTimeSeconds", 0);
    if (wait < 0 || wait > 20) throw invalidValue("WaitTimeSeconds", wait, "Must be >= 0 and <= 20, if provided.");
    const requested = [
      ...(optStringArray(input, "MessageSystemAttributeNames") ?? []),
      ...(optStringArray(input, "AttributeNames") ?? []),
    ];
    const attributes = requested.includes("All")
      ? [...MESSAGE_ATTRIBUTES]
      : MESSAGE_ATTRIBUTES.filter((a) => requested.includes(a));

    const deadline = Date.now() + wait * 1000;
    let got = this.queues.receive(queue, max, visibility);
    while (got.length === 0 && !this.closed && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, Math.min(LONG_POLL_STEP_MS, deadline - Date.now())).unref());
      got = this.queues.receive(queue, max, visibility);
    }
    // SQS leaves Messages out when there are none (the SDK then gives undefined, not []).
    return got.length ? { Messages: got.map((m) => this.message(queue, m, attributes)) } : {};
  }

  private message(queue: string, m: ReceivedMessage, attributes: readonly (typeof MESSAGE_ATTRIBUTES)[number][]): Json {
    const values: Record<(typeof MESSAGE_ATTRIBUTES)[number], string> = {
      SentTimestamp: String(m.sentTimestamp),
      ApproximateReceiveCount: String(m.receiveCount),
      ApproximateFirstReceiveTimestamp: String(m.firstReceiveTimestamp),
      SenderId: `AROA${"0".repeat(17)}:${this.senders[queue] ?? queue}`,
    };
    return {
      MessageId: m.messageId,
      ReceiptHandle: m.receiptHandle,
      MD5OfBody: createHash("md5").update(m.body, "utf8").digest("hex"),
      Body: m.body,
      ...(attributes.length ? { Attributes: Object.fromEntries(attributes.map((a) => [a, values[a]])) } : {}),
    };
  }

  private deleteMessage(input: Json): Json {
    const queue = this.queueOf(input);
    const handle = optString(input, "ReceiptHandle");
    if (handle === undefined) throw missing("ReceiptHandle");
    try {
      this.queues.delete(queue, handle);
    } catch (err) {
      if (err instanceof ReceiptHandleError)
        throw new ServiceError("ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", err.message, 404);
      throw err;
    }
    return {};
  }
}

// ---------------------------------------------------------------------------------------------

function optString(input: Json, key: string): string | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw invalidValue(key, JSON.stringify(v), "Must be a string.");
  return v;
}

function optStringArray(input: Json, key: string): string[] | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string"))
    throw invalidValue(key, JSON.stringify(v), "Must be a list of strings.");
  return v as string[];
}

function optInt(input: Json, key: string, fallback: number): number {
  const v = input[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "number" || !Number.isInteger(v))
    throw invalidValue(key, JSON.stringify(v), "Must be a whole number.");
  return v;
}
