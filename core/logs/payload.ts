/**
 * CloudWatch Logs subscription payloads: `{"awslogs":{"data": base64(gzip(JSON))}}`, one log
 * stream per payload. Decoding is pure (no I/O) and strict about shape, so a bad payload is
 * rejected with a reason instead of half-processed.
 */
import { gunzipSync, gzipSync } from "node:zlib";

export interface LogEvent {
  /** Unique within the log group; a redelivered event keeps it. */
  id: string;
  timestamp: number;
  message: string;
}

export interface SubscriptionMessage {
  messageType: "DATA_MESSAGE" | "CONTROL_MESSAGE";
  owner: string;
  logGroup: string;
  logStream: string;
  subscriptionFilters: string[];
  logEvents: LogEvent[];
}

export class PayloadError extends Error {
  override name = "PayloadError";
}

/** Decompressed payloads above this are refused (CloudWatch sends at most ~1 MB compressed). */
export const MAX_DECODED_BYTES = 64 * 1024 * 1024;

export function decodeAwslogsData(data: string): SubscriptionMessage {
  if (typeof data !== "string" || data.length === 0) throw new PayloadError("awslogs.data is empty");
  const compressed = Buffer.from(data, "base64");
  if (compressed.length < 18 || compressed[0] !== 0x1f || compressed[1] !== 0x8b) {
    throw new PayloadError("awslogs.data is not base64 of gzip data");
  }
  let json: string;
  try {
    json = gunzipSync(compressed, {
      maxOutputLength: MAX_DECODED_BYTES,
      chunkSize: outputChunkSize(compressed),
    }).toString("utf8");
  } catch (err) {
    throw new PayloadError(`awslogs.data does not gunzip: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (err) {
    throw new PayloadError(`awslogs.data is not JSON: ${(err as Error).message}`);
  }
  return validateMessage(parsed);
}

/**
 * Output buffer size for gunzip: the size the gzip trailer announces (ISIZE, the last 4 bytes), so
 * that the whole output lands in one buffer instead of 16 KiB chunks copied together at the end.
 * Only a hint (a wrong trailer just costs speed); maxOutputLength still bounds the output.
 */
function outputChunkSize(compressed: Buffer): number {
  const announced = compressed.readUInt32LE(compressed.length - 4);
  return Math.min(Math.max(announced + 64, 16 * 1024), 8 * 1024 * 1024);
}

export function validateMessage(value: unknown): SubscriptionMessage {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new PayloadError("payload is not a JSON object");
  const v = value as Record<string, unknown>;
  const messageType = v["messageType"];
  if (messageType !== "DATA_MESSAGE" && messageType !== "CONTROL_MESSAGE") {
    throw new PayloadError(`unknown messageType ${JSON.stringify(messageType)}`);
  }
  const str = (k: string) => (typeof v[k] === "string" ? (v[k] as string) : undefined);
  const logGroup = str("logGroup");
  const logStream = str("logStream");
  if (logGroup === undefined || logStream === undefined) throw new PayloadError("payload has no logGroup/logStream");
  if (!Array.isArray(v["logEvents"])) throw new PayloadError("payload has no logEvents array");
  const filters = Array.isArray(v["subscriptionFilters"])
    ? (v["subscriptionFilters"] as unknown[]).filter((f): f is string => typeof f === "string")
    : [];
  // Control messages (CloudWatch's health checks) have empty names and ids; nothing in them is used.
  if (messageType === "CONTROL_MESSAGE")
    return { messageType, owner: str("owner") ?? "", logGroup, logStream, subscriptionFilters: filters, logEvents: [] };
  // Checked in place, not copied: payloads hold up to 10,000 events.
  const logEvents = v["logEvents"] as unknown[];
  for (let i = 0; i < logEvents.length; i++) {
    const ev = logEvents[i] as Record<string, unknown> | null;
    if (typeof ev !== "object" || ev === null) throw new PayloadError(`logEvents[${i}] is not an object`);
    if (typeof ev["id"] !== "string" || ev["id"] === "") throw new PayloadError(`logEvents[${i}].id is missing`);
    const ts = ev["timestamp"];
    if (typeof ts !== "number" || !Number.isFinite(ts))
      throw new PayloadError(`logEvents[${i}].timestamp is not a number`);
    if (typeof ev["message"] !== "string") throw new PayloadError(`logEvents[${i}].message is not a string`);
  }
  if (logGroup === "" || logStream === "") throw new PayloadError("data message with an empty logGroup/logStream");
  return {
    messageType,
    owner: str("owner") ?? "",
    logGroup,
    logStream,
    subscriptionFilters: filters,
    logEvents: logEvents as LogEvent[],
  };
}

/** The inverse, for the local cloud's delivery and for tests. */
export function encodeAwslogsData(message: SubscriptionMessage): string {
  return gzipSync(Buffer.from(JSON.stringify(message), "utf8")).toString("base64");
}
