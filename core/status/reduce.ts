/**
 * One subscription payload (events of one log stream) → the facts it adds to each request, plus
 * what it leaves to the stream index: id-less events with no anchor inside the payload
 * (`pending`) and the payload's first event naming a request (`firstAnchor`).
 *
 * Attribution rule for events without a request id (INIT_START, INIT_REPORT, an `undefined`-id
 * error): they belong to the request of the next event in the stream that names one. Before a
 * START that is the request being initialised; inside a START..REPORT window it is the request
 * open there. Inside the payload that next event is at hand; across payloads the stream index
 * (apply.ts) finds it.
 */
import { parseLogEvent } from "../logs/parse.ts";
import { recordRequestId, type LogRecord } from "../logs/records.ts";
import type { LogEvent, SubscriptionMessage } from "../logs/payload.ts";
import { claimKey, factBodyOf, factKey, idlessEffectOf, type Fact, type IdlessEffect } from "./facts.ts";
import { positionOf, type Position } from "./position.ts";

export interface PendingLine {
  pos: Position;
  ts: number;
  effect: IdlessEffect;
}

export interface StreamAnchor {
  pos: Position;
  requestId: string;
}

export interface PayloadReduction {
  logGroup: string;
  logStream: string;
  /** Distinct events in the payload. */
  events: number;
  /** requestId → fact key → fact. */
  facts: Map<string, Map<string, Fact>>;
  pending: PendingLine[];
  firstAnchor?: StreamAnchor;
}

export interface PositionedRecord {
  event: LogEvent;
  pos: Position;
  record: LogRecord;
}

/** Deduplicated (by event id), parsed and in stream order. */
export function parseEvents(events: readonly LogEvent[]): PositionedRecord[] {
  const seen = new Set<string>();
  const out: PositionedRecord[] = [];
  for (const event of events) {
    if (seen.has(event.id)) continue;
    seen.add(event.id);
    out.push({ event, pos: positionOf(event.timestamp, event.id), record: parseLogEvent(event.message) });
  }
  out.sort((a, b) => (a.pos < b.pos ? -1 : a.pos > b.pos ? 1 : 0));
  return out;
}

export function reducePayload(message: Pick<SubscriptionMessage, "logGroup" | "logStream" | "logEvents">): PayloadReduction {
  const stream = message.logStream;
  const parsed = parseEvents(message.logEvents);
  const facts = new Map<string, Map<string, Fact>>();
  const add = (requestId: string, key: string, fact: Fact) => {
    let m = facts.get(requestId);
    if (!m) facts.set(requestId, (m = new Map()));
    m.set(key, fact);
  };
  const pending: PendingLine[] = [];
  let next: StreamAnchor | undefined;
  // Backwards, so that "the next event naming a request" is known at each step.
  for (let i = parsed.length - 1; i >= 0; i--) {
    const { event, pos, record } = parsed[i]!;
    const requestId = recordRequestId(record);
    if (requestId !== undefined) {
      const body = factBodyOf(record);
      if (body) add(requestId, factKey(pos), { s: stream, t: event.timestamp, p: pos, b: body });
      next = { pos, requestId };
      continue;
    }
    const effect = idlessEffectOf(record);
    if (!effect) continue;
    if (next) add(next.requestId, claimKey(pos, next.pos), { s: stream, t: event.timestamp, p: pos, b: { k: "claim", a: next.pos, what: effect } });
    else pending.push({ pos, ts: event.timestamp, effect });
  }
  pending.reverse();
  const out: PayloadReduction = { logGroup: message.logGroup, logStream: stream, events: parsed.length, facts, pending };
  if (next) out.firstAnchor = next;
  return out;
}
