/**
 * S3 event notifications for the local cloud: every object written to s3rver becomes the record
 * S3 itself sends (eventVersion 2.1, eventName such as `ObjectCreated:Put` or
 * `ObjectCreated:CompleteMultipartUpload`, bucket name and ARN, object key URL-encoded with `+`
 * for spaces (`core/s3-event-key.ts`, which the aligner decodes with), size, eTag, and a sequencer that grows for writes of the same key), filtered by
 * event type and key prefix/suffix like the stack's `aws_s3_bucket_notification`, and handed to
 * the destination function's asynchronous invocation, one record per event.
 *
 * s3rver emits its own event while it handles the request, but with the key not encoded, no
 * eTag for copies, one name for POST uploads and multipart completions, and an ARN with spaces:
 * this module keeps only what s3rver knows for certain (bucket, key, size, eTag) and builds the
 * rest as S3 does.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { encodeEventKey } from "../../core/s3-event-key.ts";

export interface S3EventRecord {
  eventVersion: "2.1";
  eventSource: "aws:s3";
  awsRegion: string;
  eventTime: string;
  eventName: string;
  userIdentity: { principalId: string };
  requestParameters: { sourceIPAddress: string };
  responseElements: { "x-amz-request-id": string; "x-amz-id-2": string };
  s3: {
    s3SchemaVersion: "1.0";
    configurationId: string;
    bucket: { name: string; ownerIdentity: { principalId: string }; arn: string };
    object: { key: string; size?: number; eTag?: string; versionId?: string; sequencer: string };
  };
}

export interface S3Event {
  Records: S3EventRecord[];
}

export interface KeyFilter {
  prefix: string;
  suffix: string;
}

/** The notification's filter rules apply to the key as stored (not encoded). */
export function matchesKeyFilter(key: string, filter: KeyFilter): boolean {
  return (
    key.startsWith(filter.prefix) &&
    key.endsWith(filter.suffix) &&
    key.length >= filter.prefix.length + filter.suffix.length
  );
}

/** `s3:ObjectCreated:*` matches `ObjectCreated:Put`, `ObjectCreated:Copy`, ... */
export function matchesEventType(eventName: string, patterns: string[]): boolean {
  return patterns.some((p) => {
    const pattern = p.replace(/^s3:/, "");
    return pattern.endsWith("*") ? eventName.startsWith(pattern.slice(0, -1)) : eventName === pattern;
  });
}

/** Hex sequencers that grow with every event (S3 only promises that for one key; this is stricter). */
export class Sequencer {
  private last = 0n;
  next(): string {
    const now = BigInt(Date.now()) << 16n;
    this.last = now > this.last ? now : this.last + 1n;
    return this.last.toString(16).toUpperCase().padStart(18, "0");
  }
}

export interface ObjectWrite {
  bucket: string;
  /** The key as stored. */
  key: string;
  eventName: string;
  size?: number;
  eTag?: string;
  sourceIp: string;
  at: Date;
}

export interface RecordOptions {
  region: string;
  configurationId: string;
  /** Who wrote the object (`AWS:<principal>` in S3's own events). */
  principalId: string;
  ownerPrincipalId: string;
  sequencer: Sequencer;
}

export function s3EventRecord(w: ObjectWrite, o: RecordOptions): S3EventRecord {
  const object: S3EventRecord["s3"]["object"] = { key: encodeEventKey(w.key), sequencer: o.sequencer.next() };
  if (w.size !== undefined) object.size = w.size;
  if (w.eTag !== undefined) object.eTag = w.eTag;
  return {
    eventVersion: "2.1",
    eventSource: "aws:s3",
    awsRegion: o.region,
    eventTime: w.at.toISOString(),
    eventName: w.eventName,
    userIdentity: { principalId: o.principalId },
    requestParameters: { sourceIPAddress: w.sourceIp },
    responseElements: {
      "x-amz-request-id": randomBytes(8).toString("hex").toUpperCase(),
      "x-amz-id-2": randomBytes(48).toString("base64"),
    },
    s3: {
      s3SchemaVersion: "1.0",
      configurationId: o.configurationId,
      bucket: { name: w.bucket, ownerIdentity: { principalId: o.ownerPrincipalId }, arn: `arn:aws:s3:::${w.bucket}` },
      object,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The bridge from s3rver.

/** The part of s3rver's event this module trusts. */
interface S3rverEvent {
  Records?: {
    eventName?: string;
    requestParameters?: { sourceIPAddress?: string };
    s3?: { bucket?: { name?: string }; object?: { key?: string; size?: number; eTag?: string } };
  }[];
}

/** The part of the s3rver instance this module uses. */
export interface S3rverLike {
  on(event: "event", listener: (e: S3rverEvent) => void): unknown;
  callback(): (req: IncomingMessage, res: ServerResponse) => unknown;
  store: { getResourcePath(bucket: string, key: string, resource: string): string };
}

export interface NotificationConfig {
  bucket: string;
  events: string[];
  filter: KeyFilter;
  /** Hands the event to the function's asynchronous invocation (stores it before returning). */
  deliver: (event: S3Event) => void;
}

const requestContext = new AsyncLocalStorage<{ method: string; url: string }>();

/**
 * Wires s3rver's events to the notification configurations. Call before `s3rver.run()`: it wraps
 * the request handler to know, for each event, which request caused it (s3rver emits the event
 * while handling the request).
 */
export function bridgeS3rverEvents(s3rver: S3rverLike, configs: NotificationConfig[], options: RecordOptions): void {
  const handlerOf = s3rver.callback.bind(s3rver);
  s3rver.callback = () => {
    const handle = handlerOf();
    return (req, res) => requestContext.run({ method: req.method ?? "", url: req.url ?? "" }, () => handle(req, res));
  };
  s3rver.on("event", (e) => {
    const r = e.Records?.[0];
    const bucket = r?.s3?.bucket?.name;
    const key = r?.s3?.object?.key;
    if (!r || bucket === undefined || key === undefined || r.eventName === undefined) return;
    const eventName = realEventName(r.eventName, requestContext.getStore());
    const write: ObjectWrite = {
      bucket,
      key,
      eventName,
      sourceIp: normaliseIp(r.requestParameters?.sourceIPAddress),
      at: new Date(),
    };
    if (typeof r.s3?.object?.size === "number") write.size = r.s3.object.size;
    const eTag =
      r.s3?.object?.eTag ?? (eventName.startsWith("ObjectCreated:") ? storedETag(s3rver, bucket, key) : undefined);
    if (eTag !== undefined) write.eTag = eTag.replace(/"/g, "");
    for (const c of configs) {
      if (c.bucket !== bucket || !matchesEventType(eventName, c.events) || !matchesKeyFilter(key, c.filter)) continue;
      c.deliver({ Records: [s3EventRecord(write, options)] });
    }
  });
}

function realEventName(s3rverName: string, req: { method: string; url: string } | undefined): string {
  if (s3rverName === "ObjectCreated:Post" && req && /[?&]uploadId=/.test(req.url))
    return "ObjectCreated:CompleteMultipartUpload";
  return s3rverName;
}

/** s3rver does not put the eTag in copy events; it keeps the MD5 next to the object. */
function storedETag(s3rver: S3rverLike, bucket: string, key: string): string | undefined {
  try {
    return readFileSync(s3rver.store.getResourcePath(bucket, key, "object.md5"), "utf8").trim();
  } catch {
    return undefined;
  }
}

function normaliseIp(ip: string | undefined): string {
  if (!ip) return "127.0.0.1";
  return ip.startsWith("::ffff:") ? ip.slice(7) : ip;
}
