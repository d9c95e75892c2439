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
import { Relevance, relevanceOf } from "../logs/relevance.ts";
import { recordRequestId, type LogRecord } from "../logs/records.ts";
import type { LogEvent, SubscriptionMessage } from "../logs/payload.ts";
import { claimKey, factBodyOf, factKey, idlessEffectOf, type Fact, type IdlessEffect } from "./facts.ts";
import { compareEventOrder, positionOf, type Position } from "./position.ts";

export interface PendingLine {
  pos: Position;
  id: string;
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
  /** Id-less events resolved inside the payload, with the event that anchors them. */
  resolved: { pos: Position; anchor: StreamAnchor }[];
  firstAnchor?: StreamAnchor;
}

/** An event in stream order, parsed fully only if it may matter (see relevance.ts). */
export interface PositionedRecord {
  event: LogEvent;
  /** Undefined for app lines not parsed yet (they carry no fact; only a possible request id). */
  record: LogRecord | undefined;
}

/** Deduplicated (by event id), in stream order; quiet app lines are left unparsed. */
export function parseEvents(events: readonly LogEvent[], lazy = true): PositionedRecord[] {
  let ordered = true;
  for (let i = 1; i < events.length && ordered; i++) ordered = compareEventOrder(events[i - 1]!, events[i]!) < 0;
  const list = ordered ? events : [...events].sort(compareEventOrder);
  const out: PositionedRecord[] = [];
  let previousId: string | undefined;
  for (const event of list) {
    // Sorted, so a repeated id sits right after its twin.
    if (event.id === previousId) continue;
    previousId = event.id;
    const record = lazy && relevanceOf(event.message) === Relevance.App ? undefined : parseLogEvent(event.message);
    out.push({ event, record });
  }
  return out;
}

/** The request id an event names, parsing it now if it was left lazy. */
function requestIdAt(parsed: PositionedRecord[], i: number): string | undefined {
  const entry = parsed[i]!;
  entry.record ??= parseLogEvent(entry.event.message);
  return recordRequestId(entry.record);
}

/** The first event at or after `from` that names a request, with its index (parsed.length if none). */
function anchorFrom(parsed: PositionedRecord[], from: number): { index: number; anchor: StreamAnchor | undefined } {
  for (let i = from; i < parsed.length; i++) {
    const requestId = requestIdAt(parsed, i);
    if (requestId !== undefined) return { index: i, anchor: { pos: positionOf(parsed[i]!.event.timestamp, parsed[i]!.event.id), requestId } };
  }
  return { index: parsed.length, anchor: undefined };
}

/** `lazy: false` parses every event up front (for tests proving laziness changes nothing). */
export function reducePayload(message: Pick<SubscriptionMessage, "logGroup" | "logStream" | "logEvents">, opts: { lazy?: boolean } = {}): PayloadReduction {
  const stream = message.logStream;
  const parsed = parseEvents(message.logEvents, opts.lazy ?? true);
  const facts = new Map<string, Map<string, Fact>>();
  const pending: PendingLine[] = [];
  const resolved: PayloadReduction["resolved"] = [];
  // The last anchor found and where the search for it started: reused while still ahead, so
  // the searches stay linear in the payload however many id-less lines there are.
  let anchor: { index: number; anchor: StreamAnchor | undefined } | undefined;
  for (let i = 0; i < parsed.length; i++) {
    const { event, record } = parsed[i]!;
    if (record === undefined) continue;
    const requestId = recordRequestId(record);
    if (requestId !== undefined) {
      const body = factBodyOf(record);
      if (body) addFact(facts, requestId, factKey(event.id), { s: stream, t: event.timestamp, i: event.id, b: body });
      continue;
    }
    const effect = idlessEffectOf(record);
    if (!effect) continue;
    // An id-less event belongs to the request of the next event naming one (rare: init lines).
    const pos = positionOf(event.timestamp, event.id);
    if (!anchor || anchor.index <= i) anchor = anchorFrom(parsed, i + 1);
    const next = anchor.anchor;
    if (next) {
      addFact(facts, next.requestId, claimKey(pos, next.pos), { s: stream, t: event.timestamp, i: event.id, b: { k: "claim", a: next.pos, what: effect } });
      resolved.push({ pos, anchor: next });
    } else pending.push({ pos, id: event.id, ts: event.timestamp, effect });
  }
  const out: PayloadReduction = { logGroup: message.logGroup, logStream: stream, events: parsed.length, facts, pending, resolved };
  const first = anchorFrom(parsed, 0).anchor;
  if (first) out.firstAnchor = first;
  return out;
}

function addFact(facts: Map<string, Map<string, Fact>>, requestId: string, key: string, fact: Fact): void {
  let m = facts.get(requestId);
  if (!m) facts.set(requestId, (m = new Map()));
  m.set(key, fact);
}
