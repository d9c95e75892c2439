/**
 * What the status writer needs from storage. Two implementations: DynamoDB
 * (aws/dynamo/status-store.ts, used by the log processor and `aligner reconcile`) and memory
 * (memory-store.ts, used by `aligner parse` and tests) — both driven by the same apply.ts, so
 * offline parsing and the deployed pipeline cannot disagree.
 *
 * Every method is idempotent; `putJob` is a compare-and-set on the record's fact count.
 */
import type { JobIndexKeys, JobRecord } from "../jobs-table.ts";
import type { Position } from "./position.ts";

export interface StoredJob {
  /** Encoded facts by key (facts.ts). */
  facts: Record<string, string>;
  /** Number of facts: grows with every effective write, so it doubles as a version. */
  rev: number;
}

export interface JobWrite extends StoredJob {
  record: JobRecord;
  indexKeys: JobIndexKeys;
  expiresAt: number;
  updatedAt: string;
}

export interface PendingItem {
  pos: Position;
  /** Event id of the pending event. */
  id: string;
  /** Encoded IdlessEffect. */
  effect: string;
  ts: number;
  /** `<anchor position>|<request id>` of every request that claimed it so far. */
  claimants: string[];
}

export interface MarkerItem {
  pos: Position;
  requestId: string;
}

export interface StatusStore {
  getJobs(requestIds: string[]): Promise<Map<string, StoredJob>>;
  /** Writes the job if its stored rev still equals `expectedRev` (undefined = must not exist). Returns false on conflict. */
  putJob(requestId: string, write: JobWrite, expectedRev: number | undefined): Promise<boolean>;

  /** Records an id-less event of `stream` waiting for the request it belongs to. */
  putPending(stream: string, item: Omit<PendingItem, "claimants">, expiresAt: number): Promise<void>;
  /** Records the first event naming a request in one payload of `stream`. */
  putMarker(stream: string, marker: MarkerItem, expiresAt: number): Promise<void>;
  /** The first marker after `pos` (strongly consistent). */
  firstMarkerAfter(stream: string, pos: Position): Promise<MarkerItem | undefined>;
  /** The last marker before `pos` (strongly consistent). */
  lastMarkerBefore(stream: string, pos: Position): Promise<MarkerItem | undefined>;
  /** Pending events strictly between two positions (`from` undefined = stream start). */
  pendingBetween(stream: string, from: Position | undefined, to: Position): Promise<PendingItem[]>;
  /** The pending event at `pos`, if one was recorded (strongly consistent). */
  getPending(stream: string, pos: Position): Promise<PendingItem | undefined>;
  /** Adds a claimant to a pending event and returns the item with all claimants so far. */
  addClaimant(stream: string, pos: Position, claimant: string): Promise<PendingItem | undefined>;
}
