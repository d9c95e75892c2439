/**
 * Asynchronous invocation of one function, as Lambda does it for S3 notifications and log
 * subscriptions: events wait in a queue (journaled, so a crash or a restart loses none), run
 * when an environment is free, and a function error — a thrown error, a timeout, running out of
 * memory, a crashed runtime — is retried with the same request id after 1 minute, then after 2
 * more (both divided by `retryDelayDivisor`), up to `maxRetries`. An event whose retries ran out,
 * or that waited longer than `maxEventAgeSeconds`, goes to the on-failure destination.
 *
 * Throttling (all environments busy at the concurrency limit) is not an attempt: the event waits.
 * Neither is an invocation cut short because the local cloud stopped: it runs again at the next start.
 */
import { EventEmitter } from "node:events";
import { randomUUID } from "node:crypto";
import { Journal } from "../journal.ts";
import type { InvocationRecord } from "./environment.ts";
import { destinationRecord, type FailureCondition, type FailureStore } from "./failures.ts";
import type { FunctionPool } from "./pool.ts";
import type { InvokeErrorPayload } from "./protocol.ts";

/** Lambda's waits before the first and the second retry. */
export const RETRY_DELAYS_MS = [60_000, 120_000] as const;

export interface AsyncPolicy {
  maxRetries: number;
  maxEventAgeSeconds: number;
  retryDelayDivisor: number;
}

interface QueuedEvent {
  requestId: string;
  payload: unknown;
  enqueuedAt: number;
  /** Attempts already made. */
  attempts: number;
  notBefore: number;
  lastError?: InvokeErrorPayload;
}

export interface InvokerEvents {
  invoked: [InvocationRecord & { attempt: number }];
  retryScheduled: [{ requestId: string; attempt: number; delayMs: number }];
  failed: [{ requestId: string; condition: FailureCondition; attempts: number }];
}

export class AsyncInvoker extends EventEmitter<InvokerEvents> {
  private readonly queue: Journal<QueuedEvent>;
  private readonly running = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private dispatching = true;

  constructor(
    private readonly pool: FunctionPool,
    private readonly functionArn: string,
    private readonly failureQueue: string,
    private readonly policy: AsyncPolicy,
    journalFile: string,
    private readonly failures: FailureStore,
  ) {
    super();
    this.queue = new Journal<QueuedEvent>(journalFile);
    pool.on("capacity", () => this.pump());
  }

  /** Accepts an event (stored before this returns) and returns its request id, like Invoke with InvocationType=Event. */
  enqueue(payload: unknown, requestId: string = randomUUID()): string {
    const now = Date.now();
    this.queue.put(requestId, { requestId, payload, enqueuedAt: now, attempts: 0, notBefore: now });
    queueMicrotask(() => this.pump());
    return requestId;
  }

  /** Events waiting (including those waiting for a retry) plus events running. */
  get pending(): number {
    return this.queue.size;
  }

  get inFlight(): number {
    return this.running.size;
  }

  /** Starts (or resumes) dispatching, including events left in the journal by an earlier run. */
  start(): void {
    this.dispatching = true;
    this.pump();
  }

  /** Stops starting new invocations; waiting events stay in the journal. */
  pause(): void {
    this.dispatching = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Resolves when the invocations already running have finished. */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()]);
  }

  /** When the next delayed event is due (epoch ms), if any event waits for a retry. */
  nextDueAt(): number | undefined {
    const waiting = this.queue.values().filter((e) => !this.running.has(e.requestId));
    return waiting.length ? Math.min(...waiting.map((e) => e.notBefore)) : undefined;
  }

  private pump(): void {
    if (!this.dispatching) return;
    const now = Date.now();
    const waiting = this.queue
      .values()
      .filter((e) => !this.running.has(e.requestId))
      .sort((a, b) => a.notBefore - b.notBefore || a.enqueuedAt - b.enqueuedAt);
    for (const e of waiting) {
      if (e.notBefore > now) break;
      if (now - e.enqueuedAt > this.policy.maxEventAgeSeconds * 1000) {
        this.discard(e, "EventAgeExceeded");
        continue;
      }
      if (!this.pool.hasCapacity()) break;
      const run = this.run(e).finally(() => {
        this.running.delete(e.requestId);
        this.pump();
      });
      this.running.set(e.requestId, run);
    }
    this.armTimer();
  }

  /**
   * When to look at the queue again: when the next retry is due; at once if an event is due and
   * an environment is free (a timer may fire a millisecond before `Date.now()` reaches the due
   * time, so "due" is decided here again, never assumed); and if due events are throttled, when
   * the oldest of them passes the maximum event age (the end of a running invocation pumps too,
   * but with a concurrency of 0 nothing ever ends).
   */
  private armTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.dispatching) return;
    const waiting = this.queue.values().filter((e) => !this.running.has(e.requestId));
    if (waiting.length === 0) return;
    const now = Date.now();
    const due = waiting.filter((e) => e.notBefore <= now);
    let at: number;
    if (due.length === 0) at = Math.min(...waiting.map((e) => e.notBefore));
    else if (this.pool.hasCapacity()) at = now;
    else at = Math.min(...due.map((e) => e.enqueuedAt + this.policy.maxEventAgeSeconds * 1000)) + 1;
    this.timer = setTimeout(() => this.pump(), Math.max(1, at - now));
  }

  private async run(e: QueuedEvent): Promise<void> {
    const attempt = e.attempts + 1;
    let record: InvocationRecord;
    try {
      record = await this.pool.invoke(e.requestId, e.payload, this.functionArn);
    } catch (err) {
      // The environment could not even be created: a platform error, retried like a function error.
      record = {
        requestId: e.requestId,
        logStream: "",
        coldStart: true,
        durationMs: 0,
        billedDurationMs: 0,
        maxMemoryUsedMb: 0,
        outcome: {
          ok: false,
          kind: "init",
          error: { errorType: "ServiceException", errorMessage: (err as Error).message, trace: [] },
        },
      };
    }
    this.emit("invoked", { ...record, attempt });
    if (record.outcome.ok) {
      this.queue.delete(e.requestId);
      return;
    }
    if (record.outcome.kind === "interrupted") {
      // The local cloud stopped under it: not the function's failure, so no retry is used up.
      this.queue.put(e.requestId, { ...e, notBefore: Date.now() });
      return;
    }
    const next: QueuedEvent = { ...e, attempts: attempt, lastError: record.outcome.error };
    if (attempt > this.policy.maxRetries) {
      this.discard(next, "RetriesExhausted");
      return;
    }
    const delayMs = Math.round(
      RETRY_DELAYS_MS[Math.min(attempt - 1, RETRY_DELAYS_MS.length - 1)]! / this.policy.retryDelayDivisor,
    );
    next.notBefore = Date.now() + delayMs;
    this.queue.put(e.requestId, next);
    this.emit("retryScheduled", { requestId: e.requestId, attempt: attempt + 1, delayMs });
  }

  private discard(e: QueuedEvent, condition: FailureCondition): void {
    this.failures.put(
      this.failureQueue,
      destinationRecord({
        requestId: e.requestId,
        functionArn: this.functionArn,
        condition,
        invokeCount: e.attempts,
        payload: e.payload,
        lastError: e.lastError,
      }),
    );
    this.queue.delete(e.requestId);
    this.emit("failed", { requestId: e.requestId, condition, attempts: e.attempts });
  }
}
