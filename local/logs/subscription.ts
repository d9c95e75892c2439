/**
 * A subscription filter of the local CloudWatch Logs delivering to a Lambda function, as
 * CloudWatch does: events matching the pattern are batched per stream (one stream per payload),
 * for at most `flushMs` after the first one, up to 10,000 events or 256 KiB of messages, then
 * sent as `{"awslogs":{"data": base64(gzip(JSON))}}` to the function's asynchronous invocation
 * (which retries). When the filter is first created a CONTROL_MESSAGE is sent, as CloudWatch
 * does to check the destination.
 *
 * What was handed over is remembered per stream (a cursor file), so events stored but not yet
 * delivered when the process stopped or crashed are delivered after the restart: at least once,
 * never lost.
 */
import { existsSync } from "node:fs";
import { encodeAwslogsData, type SubscriptionMessage } from "../../core/logs/payload.ts";
import { readJson, writeJsonAtomic } from "../journal.ts";
import { compileFilterPattern, type EventMatcher } from "./filter-pattern.ts";
import type { LogStore, StoredEvent } from "./store.ts";

export const MAX_BATCH_EVENTS = 10_000;
export const MAX_BATCH_BYTES = 256 * 1024;

export interface SubscriptionOptions {
  filterName: string;
  logGroup: string;
  filterPattern: string;
  owner: string;
  flushMs: number;
  /** Where delivery cursors are kept; undefined = memory only. */
  cursorFile: string | undefined;
  /** Hands a payload to the destination's asynchronous invocation (must store it before returning). */
  deliver: (event: { awslogs: { data: string } }) => void;
}

interface Pending {
  events: StoredEvent[];
  bytes: number;
  timer?: NodeJS.Timeout;
}

export class Subscription {
  private readonly matches: EventMatcher;
  private readonly pending = new Map<string, Pending>();
  private readonly cursors: Record<string, number>;
  private readonly listener: (group: string, stream: string, events: StoredEvent[]) => void;
  private delivered = 0;

  constructor(
    private readonly store: LogStore,
    private readonly opts: SubscriptionOptions,
  ) {
    this.matches = compileFilterPattern(opts.filterPattern);
    const isNew = !opts.cursorFile || !existsSync(opts.cursorFile);
    this.cursors = (opts.cursorFile && readJson<Record<string, number>>(opts.cursorFile)) || {};
    this.listener = (group, stream, events) => {
      if (group === opts.logGroup) this.add(stream, events);
    };
    store.on("append", this.listener);
    if (isNew) this.sendControlMessage();
    // Events stored after the last delivery of an earlier run.
    for (const s of store.group(opts.logGroup)?.streams.values() ?? []) {
      const after = this.cursors[s.name] ?? 0;
      const missed = s.events.filter((e) => e.seq > after);
      if (missed.length) this.add(s.name, missed);
    }
  }

  /** Payloads handed to the destination so far (this run). */
  get payloadsDelivered(): number {
    return this.delivered;
  }

  /** True when no event waits in a batch. */
  get idle(): boolean {
    return this.pending.size === 0;
  }

  private add(stream: string, events: StoredEvent[]): void {
    const wanted = events.filter((e) => this.matches(e.message));
    if (wanted.length === 0) return;
    let p = this.pending.get(stream);
    if (!p) this.pending.set(stream, (p = { events: [], bytes: 0 }));
    for (const e of wanted) {
      const size = Buffer.byteLength(e.message) + 26;
      if (p.events.length > 0 && (p.events.length >= MAX_BATCH_EVENTS || p.bytes + size > MAX_BATCH_BYTES)) {
        this.flush(stream);
        this.pending.set(stream, (p = { events: [], bytes: 0 }));
      }
      p.events.push(e);
      p.bytes += size;
    }
    p.timer ??= setTimeout(() => this.flush(stream), this.opts.flushMs);
  }

  /** Delivers a stream's batch now. */
  flush(stream: string): void {
    const p = this.pending.get(stream);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(stream);
    const message: SubscriptionMessage = {
      messageType: "DATA_MESSAGE",
      owner: this.opts.owner,
      logGroup: this.opts.logGroup,
      logStream: stream,
      subscriptionFilters: [this.opts.filterName],
      logEvents: p.events.map((e) => ({ id: e.id, timestamp: e.timestamp, message: e.message })),
    };
    this.opts.deliver({ awslogs: { data: encodeAwslogsData(message) } });
    this.delivered++;
    this.cursors[stream] = Math.max(this.cursors[stream] ?? 0, p.events.at(-1)!.seq);
    if (this.opts.cursorFile) writeJsonAtomic(this.opts.cursorFile, this.cursors);
  }

  /** Delivers every waiting batch now (on stop, and by tests that cannot wait). */
  flushAll(): void {
    for (const stream of [...this.pending.keys()]) this.flush(stream);
  }

  close(): void {
    this.store.off("append", this.listener);
    for (const p of this.pending.values()) clearTimeout(p.timer);
  }

  private sendControlMessage(): void {
    const message: SubscriptionMessage = {
      messageType: "CONTROL_MESSAGE",
      owner: "CloudwatchLogs",
      logGroup: "",
      logStream: "",
      subscriptionFilters: [],
      logEvents: [
        {
          id: "",
          timestamp: Date.now(),
          message: "CWL CONTROL MESSAGE: Checking health of destination Lambda function.",
        },
      ],
    };
    this.opts.deliver({ awslogs: { data: encodeAwslogsData(message) } });
    if (this.opts.cursorFile) writeJsonAtomic(this.opts.cursorFile, this.cursors);
  }
}
