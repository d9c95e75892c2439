/**
 * Where an event sits in its log stream: its timestamp, then its event id (CloudWatch ids grow
 * with ingestion order, and events in one millisecond are common). Encoded as a fixed-width
 * string so that string order is stream order and it can be a DynamoDB sort key.
 */
const TS_WIDTH = 15;
const ID_WIDTH = 64;

export type Position = string;

export function positionOf(timestamp: number, eventId: string): Position {
  const ts = Math.max(0, Math.trunc(timestamp));
  // Numeric ids are left-padded so they compare by value; anything else is kept as is.
  const id = /^\d+$/.test(eventId) ? eventId.padStart(ID_WIDTH, "0") : eventId;
  return `${String(ts).padStart(TS_WIDTH, "0")}~${id}`;
}

export function timestampOf(position: Position): number {
  return Number(position.slice(0, TS_WIDTH));
}

/** A string greater than `p` and than any position with `p` as a prefix, smaller than any greater position. */
export const justAfter = (p: Position): string => `${p}~`;

/** Stream order of two events without building positions: timestamp, then event id (numeric ids by value). */
export function compareEventOrder(a: { timestamp: number; id: string }, b: { timestamp: number; id: string }): number {
  if (a.timestamp !== b.timestamp) return a.timestamp - b.timestamp;
  const x = a.id;
  const y = b.id;
  if (x.length !== y.length && /^\d+$/.test(x) && /^\d+$/.test(y)) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}
