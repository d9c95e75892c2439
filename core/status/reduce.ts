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
  /**
   * requestId → its facts as [fact key, fact]. Keys are unique within a payload by construction
   * (one fact per distinct event), so a list is enough; hashing every key here would cost more
   * than everything else the reducer does per event.
   */
  facts: Map<string, KeyedFact[]>;
  pending: PendingLine[];
  /** Id-less events resolved inside the payload, with the event that anchors them. */
  resolved: { pos: Position; anchor: StreamAnchor }[];
  firstAnchor?: StreamAnchor;
}

/**
 * The payload's events in stream order without duplicates (by event id). Subscription payloads
 * are almost always in order already: then the array is used as is, with no copy.
 */
export function orderedUnique(events: readonly LogEvent[]): readonly LogEvent[] {
  let ordered = true;
  for (let i = 1; i < events.length && ordered; i++) ordered = compareEventOrder(events[i - 1]!, events[i]!) < 0;
  if (ordered) return events;
  const sorted = [...events].sort(compareEventOrder);
  const out: LogEvent[] = [];
  // Sorted, so a repeated id sits right after its twin.
  for (const e of sorted) if (out.length === 0 || out[out.length - 1]!.id !== e.id) out.push(e);
  return out;
}

/**
 * Records of the payload's events, parsed on demand. Quiet app lines (relevance.ts) are parsed
 * only if one is needed as an anchor; parallel arrays rather than an object per event, because
 * payloads hold up to 10,000 events and this runs for each.
 */
class LazyRecords {
  private readonly records: (LogRecord | undefined)[];
  constructor(readonly events: readonly LogEvent[]) {
    this.records = new Array<LogRecord | undefined>(events.length);
  }
  /** The record, parsed now if needed. */
  at(i: number): LogRecord {
    return (this.records[i] ??= parseLogEvent(this.events[i]!.message));
  }
  /** The record if it may carry a fact or an id-less effect; undefined for a quiet app line. */
  relevant(i: number, lazy: boolean): LogRecord | undefined {
    const known = this.records[i];
    if (known !== undefined) return known;
    if (lazy && relevanceOf(this.events[i]!.message) === Relevance.App) return undefined;
    return this.at(i);
  }
  /** The first event at or after `from` that names a request, with its index (length if none). */
  anchorFrom(from: number): { index: number; anchor: StreamAnchor | undefined } {
    for (let i = from; i < this.events.length; i++) {
      const requestId = recordRequestId(this.at(i));
      if (requestId !== undefined)
        return { index: i, anchor: { pos: positionOf(this.events[i]!.timestamp, this.events[i]!.id), requestId } };
    }
    return { index: this.events.length, anchor: undefined };
  }
}

/** `lazy: false` parses every event up front (for tests proving laziness changes nothing). */
export function reducePayload(
  message: Pick<SubscriptionMessage, "logGroup" | "logStream" | "logEvents">,
  opts: { lazy?: boolean } = {},
): PayloadReduction {
  const stream = message.logStream;
  const lazy = opts.lazy ?? true;
  const events = orderedUnique(message.logEvents);
  const records = new LazyRecords(events);
  const facts = new FactsByRequest();
  const pending: PendingLine[] = [];
  const resolved: PayloadReduction["resolved"] = [];
  // The last anchor found and where the search for it started: reused while still ahead, so
  // the searches stay linear in the payload however many id-less lines there are.
  let anchor: { index: number; anchor: StreamAnchor | undefined } | undefined;
  for (let i = 0; i < events.length; i++) {
    const record = records.relevant(i, lazy);
    if (record === undefined) continue;
    const event = events[i]!;
    const requestId = recordRequestId(record);
    if (requestId !== undefined) {
      const body = factBodyOf(record);
      if (body) facts.add(requestId, factKey(event.id), { s: stream, t: event.timestamp, i: event.id, b: body });
      continue;
    }
    const effect = idlessEffectOf(record);
    if (!effect) continue;
    // An id-less event belongs to the request of the next event naming one (rare: init lines).
    const pos = positionOf(event.timestamp, event.id);
    if (!anchor || anchor.index <= i) anchor = records.anchorFrom(i + 1);
    const next = anchor.anchor;
    if (next) {
      facts.add(next.requestId, claimKey(pos, next.pos), {
        s: stream,
        t: event.timestamp,
        i: event.id,
        b: { k: "claim", a: next.pos, what: effect },
      });
      resolved.push({ pos, anchor: next });
    } else pending.push({ pos, id: event.id, ts: event.timestamp, effect });
  }
  const out: PayloadReduction = {
    logGroup: message.logGroup,
    logStream: stream,
    events: events.length,
    facts: facts.map,
    pending,
    resolved,
  };
  const first = records.anchorFrom(0).anchor;
  if (first) out.firstAnchor = first;
  return out;
}

export type KeyedFact = [key: string, fact: Fact];

/**
 * Facts grouped by request. A request's events mostly come one after another (START, its lines,
 * END, REPORT), so the last request's list is kept at hand: comparing two ids is cheaper than
 * hashing a freshly sliced one.
 */
class FactsByRequest {
  readonly map = new Map<string, KeyedFact[]>();
  private lastId: string | undefined;
  private last: KeyedFact[] | undefined;
  add(requestId: string, key: string, fact: Fact): void {
    let list = requestId === this.lastId ? this.last : this.map.get(requestId);
    if (!list) this.map.set(requestId, (list = []));
    this.lastId = requestId;
    this.last = list;
    list.push([key, fact]);
  }
}
