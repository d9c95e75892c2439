/**
 * Reads the log shapes users have at hand into subscription messages, for `aligner parse`:
 * a subscription payload (the base64-gzip string, the decoded JSON object, or a whole Lambda
 * event `{"awslogs":{"data"}}`), a FilterLogEvents/GetLogEvents response (or its `events` array),
 * or plain text with one event per line of one stream.
 */
import {
  decodeAwslogsData,
  PayloadError,
  validateMessage,
  type LogEvent,
  type SubscriptionMessage,
} from "./payload.ts";

export class InputError extends Error {
  override name = "InputError";
}

/** The log group assumed when the input does not name one. */
export const OFFLINE_LOG_GROUP = "offline";

export function readLogInput(content: string, name: string): SubscriptionMessage[] {
  const text = content.replace(/^\uFEFF/, "").trim();
  if (text === "") throw new InputError("is empty");
  if (text.startsWith("{") || text.startsWith("[")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (parsed !== undefined) return fromJson(parsed, name);
  }
  if (/^[A-Za-z0-9+/=\s]+$/.test(text) && text.startsWith("H4sI")) {
    try {
      return [decodeAwslogsData(text.replace(/\s+/g, ""))];
    } catch (err) {
      throw new InputError(`looks like a subscription payload but ${(err as Error).message}`);
    }
  }
  return [fromPlainText(content, name)];
}

function fromJson(value: unknown, name: string): SubscriptionMessage[] {
  try {
    if (Array.isArray(value)) return fromEvents(value, name);
    if (typeof value !== "object" || value === null) throw new InputError("holds JSON that is not a log shape");
    const v = value as Record<string, unknown>;
    const awslogs = v["awslogs"] as { data?: unknown } | undefined;
    if (awslogs && typeof awslogs === "object") {
      if (typeof awslogs.data !== "string") throw new InputError("has awslogs without a data string");
      return [decodeAwslogsData(awslogs.data)];
    }
    if ("messageType" in v) return [validateMessage(v)];
    if (Array.isArray(v["events"])) return fromEvents(v["events"], name);
    throw new InputError(
      "holds JSON that is neither a subscription payload nor a FilterLogEvents/GetLogEvents response",
    );
  } catch (err) {
    if (err instanceof PayloadError) throw new InputError(err.message);
    throw err;
  }
}

/** FilterLogEvents events carry their stream and id; GetLogEvents events carry neither. */
function fromEvents(events: unknown[], name: string): SubscriptionMessage[] {
  const byStream = new Map<string, LogEvent[]>();
  events.forEach((e, i) => {
    if (typeof e !== "object" || e === null) throw new InputError(`events[${i}] is not an object`);
    const ev = e as Record<string, unknown>;
    if (typeof ev["message"] !== "string" || typeof ev["timestamp"] !== "number") {
      throw new InputError(`events[${i}] has no message/timestamp`);
    }
    const stream = typeof ev["logStreamName"] === "string" ? ev["logStreamName"] : name;
    const id =
      typeof ev["eventId"] === "string"
        ? ev["eventId"]
        : typeof ev["id"] === "string"
          ? ev["id"]
          : syntheticId(name, i);
    let list = byStream.get(stream);
    if (!list) byStream.set(stream, (list = []));
    list.push({ id, timestamp: ev["timestamp"], message: ev["message"] });
  });
  return [...byStream].map(([logStream, logEvents]) => message(logStream, logEvents));
}

const LEADING_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)/;
const JSON_TIME = /"(?:time|timestamp)":"(\d{4}-\d{2}-\d{2}T[^"]+)"/;

/** One event per line. Lines without a time of their own take the nearest earlier one (else the next). */
function fromPlainText(content: string, name: string): SubscriptionMessage {
  const lines = content
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/)
    .filter((l) => l.trim() !== "");
  const own = lines.map((l) => {
    const m = LEADING_TIME.exec(l) ?? JSON_TIME.exec(l);
    const ms = m ? Date.parse(m[1]!) : NaN;
    return Number.isFinite(ms) ? ms : undefined;
  });
  const firstKnown = own.find((t) => t !== undefined) ?? 0;
  let current = firstKnown;
  const events = lines.map((line, i) => {
    current = own[i] ?? current;
    return { id: syntheticId(name, i), timestamp: current, message: line };
  });
  return message(name, events);
}

/**
 * Ids for events that come without one: unique per (file, line) so two files never collide, and
 * increasing with the line so the file's order is the stream's order.
 */
function syntheticId(name: string, index: number): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return `${String(h >>> 0).padStart(10, "0")}${String(index + 1).padStart(12, "0")}`;
}

function message(logStream: string, logEvents: LogEvent[]): SubscriptionMessage {
  return {
    messageType: "DATA_MESSAGE",
    owner: "",
    logGroup: OFFLINE_LOG_GROUP,
    logStream,
    subscriptionFilters: [],
    logEvents,
  };
}
