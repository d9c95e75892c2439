/**
 * The failure queues as SQS would hold them, over the failure store (local/lambda/failures.ts):
 * each line of `<queue>.jsonl` is one message whose body is that line — the record Lambda sent —
 * byte for byte. The store stays the one place the records live (the async invoker keeps
 * appending to it, and `aligner failures --local` reads it while the cloud is stopped); this adds
 * what SQS adds on top: stable message ids, visibility timeouts and receive counts (in memory:
 * a restart makes every message visible again, as if the timeouts had run out) and deletion
 * (persisted: the line is removed from the file, so a deleted message stays deleted).
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { failureFile } from "../lambda/failures.ts";

export interface QueueMessage {
  messageId: string;
  body: string;
  /** When Lambda sent it (the record's `timestamp`), epoch ms. */
  sentTimestamp: number;
}

export interface ReceivedMessage extends QueueMessage {
  receiptHandle: string;
  receiveCount: number;
  firstReceiveTimestamp: number;
}

interface Visibility {
  invisibleUntil: number;
  receiveCount: number;
  firstReceiveTimestamp: number;
}

export class ReceiptHandleError extends Error {
  override name = "ReceiptHandleError";
}

export class FailureQueues {
  private readonly visibility = new Map<string, Map<string, Visibility>>();
  /** Where the next receive of each queue starts: successive receives walk the whole queue. */
  private readonly cursor = new Map<string, number>();

  constructor(
    private readonly dir: string,
    /** The queues that exist (the stack's two), by name. */
    readonly names: readonly string[],
    private readonly now: () => number = Date.now,
  ) {}

  has(queue: string): boolean {
    return this.names.includes(queue);
  }

  /** Every message of the queue, oldest first (the file's order). */
  messages(queue: string): QueueMessage[] {
    const file = failureFile(this.dir, queue);
    if (!existsSync(file)) return [];
    const seen = new Map<string, number>();
    const out: QueueMessage[] = [];
    for (const line of readFileSync(file, "utf8").split("\n")) {
      const sent = sentTimestampOf(line);
      if (sent === undefined) continue; // empty, torn by a crash, or not a destination record
      // Identical lines (never in practice: the request id and a ms timestamp differ) still get ids of their own.
      const nth = seen.get(line) ?? 0;
      seen.set(line, nth + 1);
      out.push({ messageId: messageIdOf(queue, line, nth), body: line, sentTimestamp: sent });
    }
    return out;
  }

  counts(queue: string): { visible: number; notVisible: number } {
    const now = this.now();
    const vis = this.visibility.get(queue);
    let notVisible = 0;
    const all = this.messages(queue);
    for (const m of all) if ((vis?.get(m.messageId)?.invisibleUntil ?? 0) > now) notVisible++;
    return { visible: all.length - notVisible, notVisible };
  }

  /**
   * Up to `max` visible messages, made invisible for `visibilityTimeoutSeconds` (0: they stay
   * visible, a peek). Which ones: the next ones after those the previous receive returned,
   * wrapping around, so that repeated receives see the whole queue — a standard queue promises
   * no order, and this is one SQS could show.
   */
  receive(queue: string, max: number, visibilityTimeoutSeconds: number): ReceivedMessage[] {
    const now = this.now();
    const vis = this.visibilityOf(queue);
    const all = this.messages(queue);
    const live = new Set(all.map((m) => m.messageId));
    for (const id of vis.keys()) if (!live.has(id)) vis.delete(id); // deleted meanwhile
    if (all.length === 0) return [];
    const start = (this.cursor.get(queue) ?? 0) % all.length;
    const out: ReceivedMessage[] = [];
    let last = -1;
    for (let k = 0; k < all.length && out.length < max; k++) {
      const i = (start + k) % all.length;
      const m = all[i]!;
      const state = vis.get(m.messageId);
      if (state && state.invisibleUntil > now) continue;
      const receiptHandle = encodeHandle(queue, m.messageId);
      const next: Visibility = {
        invisibleUntil: now + visibilityTimeoutSeconds * 1000,
        receiveCount: (state?.receiveCount ?? 0) + 1,
        firstReceiveTimestamp: state?.firstReceiveTimestamp ?? now,
      };
      vis.set(m.messageId, next);
      out.push({
        ...m,
        receiptHandle,
        receiveCount: next.receiveCount,
        firstReceiveTimestamp: next.firstReceiveTimestamp,
      });
      last = i;
    }
    if (last >= 0) this.cursor.set(queue, last + 1);
    return out;
  }

  /**
   * Deletes the message a receipt handle was given for. Like SQS, a handle of a message that is
   * already gone is no error; a handle that was never issued by this queue is.
   */
  delete(queue: string, receiptHandle: string): void {
    const decoded = decodeHandle(receiptHandle);
    if (!decoded || decoded.queue !== queue)
      throw new ReceiptHandleError(`The input receipt handle "${receiptHandle}" is not a valid receipt handle.`);
    const file = failureFile(this.dir, queue);
    if (!existsSync(file)) return;
    // Only that message's line goes: every other line stays byte for byte, even one this does not serve.
    const lines = readFileSync(file, "utf8").split("\n");
    const seen = new Map<string, number>();
    const index = lines.findIndex((line) => {
      if (sentTimestampOf(line) === undefined) return false;
      const nth = seen.get(line) ?? 0;
      seen.set(line, nth + 1);
      return messageIdOf(queue, line, nth) === decoded.messageId;
    });
    if (index < 0) return;
    const kept = lines.filter((_, i) => i !== index).join("\n");
    // Replaced whole (write, then rename): a reader sees the file before or after, never half of it.
    // Synchronous like the invoker's appends, so none can fall between the read and the rename.
    const tmp = `${file}.${process.pid}.sqs.tmp`;
    writeFileSync(tmp, kept);
    renameSync(tmp, file);
    this.visibilityOf(queue).delete(decoded.messageId);
  }

  private visibilityOf(queue: string): Map<string, Visibility> {
    let v = this.visibility.get(queue);
    if (!v) this.visibility.set(queue, (v = new Map()));
    return v;
  }
}

/** The record's send time, or undefined when the line is not a destination record. */
function sentTimestampOf(line: string): number | undefined {
  if (line === "") return undefined;
  try {
    const r = JSON.parse(line) as { timestamp?: unknown; requestContext?: { requestId?: unknown } } | null;
    if (typeof r?.requestContext?.requestId !== "string" || typeof r.timestamp !== "string") return undefined;
    const t = Date.parse(r.timestamp);
    return Number.isNaN(t) ? undefined : t;
  } catch {
    return undefined;
  }
}

/** A UUID derived from the message itself: the same message has the same id in every process and after restarts. */
function messageIdOf(queue: string, body: string, nth: number): string {
  const h = createHash("sha256").update(`${queue}\n${nth}\n${body}`).digest("hex");
  // Shaped as a version 4 UUID, as SQS's message ids are.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Opaque to clients, like SQS's: the queue, the message and a nonce (each receive gets a new handle). */
function encodeHandle(queue: string, messageId: string): string {
  return Buffer.from(JSON.stringify({ q: queue, m: messageId, n: randomBytes(12).toString("base64url") })).toString(
    "base64",
  );
}

function decodeHandle(handle: string): { queue: string; messageId: string } | undefined {
  try {
    const v = JSON.parse(Buffer.from(handle, "base64").toString("utf8")) as { q?: unknown; m?: unknown; n?: unknown };
    if (typeof v.q === "string" && typeof v.m === "string" && typeof v.n === "string")
      return { queue: v.q, messageId: v.m };
  } catch {
    // not one of ours
  }
  return undefined;
}
