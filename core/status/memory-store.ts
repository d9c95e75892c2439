/** A StatusStore in memory: `aligner parse` runs the deployed write path offline with it. */
import type { JobRecord } from "../jobs-table.ts";
import { effectiveFacts } from "./facts.ts";
import type { Position } from "./position.ts";
import type { JobWrite, MarkerItem, PendingItem, StatusStore, StoredJob } from "./store.ts";

export class MemoryStatusStore implements StatusStore {
  private readonly jobs = new Map<string, JobWrite>();
  private readonly markers = new Map<string, Map<Position, MarkerItem>>();
  private readonly pendings = new Map<string, Map<Position, PendingItem>>();
  /** Calls that would be DynamoDB writes, for the benchmark and tests. */
  readonly writes = { jobs: 0, index: 0 };

  async getJobs(requestIds: string[]): Promise<Map<string, StoredJob>> {
    const out = new Map<string, StoredJob>();
    for (const id of requestIds) {
      const job = this.jobs.get(id);
      if (job) out.set(id, { facts: { ...job.facts }, rev: job.rev });
    }
    return out;
  }

  async putJob(requestId: string, write: JobWrite, expectedRev: number | undefined): Promise<boolean> {
    const current = this.jobs.get(requestId);
    if ((current?.rev ?? undefined) !== expectedRev) return false;
    this.jobs.set(requestId, structuredClone(write));
    this.writes.jobs++;
    return true;
  }

  async putPending(stream: string, item: Omit<PendingItem, "claimants">): Promise<void> {
    const m = mapFor(this.pendings, stream);
    if (!m.has(item.pos)) m.set(item.pos, { ...item, claimants: [] });
    this.writes.index++;
  }

  async putMarker(stream: string, marker: MarkerItem): Promise<void> {
    mapFor(this.markers, stream).set(marker.pos, { ...marker });
    this.writes.index++;
  }

  async firstMarkerAfter(stream: string, pos: Position): Promise<MarkerItem | undefined> {
    return sorted(this.markers.get(stream)).find((m) => m.pos > pos);
  }

  async lastMarkerBefore(stream: string, pos: Position): Promise<MarkerItem | undefined> {
    return sorted(this.markers.get(stream))
      .reverse()
      .find((m) => m.pos < pos);
  }

  async pendingBetween(stream: string, from: Position | undefined, to: Position): Promise<PendingItem[]> {
    return sorted(this.pendings.get(stream))
      .filter((p) => (from === undefined || p.pos > from) && p.pos < to)
      .map((p) => ({ ...p, claimants: [...p.claimants] }));
  }

  async getPending(stream: string, pos: Position): Promise<PendingItem | undefined> {
    const item = this.pendings.get(stream)?.get(pos);
    return item ? { ...item, claimants: [...item.claimants] } : undefined;
  }

  async addClaimant(stream: string, pos: Position, claimant: string): Promise<PendingItem | undefined> {
    const item = this.pendings.get(stream)?.get(pos);
    if (!item) return undefined;
    if (!item.claimants.includes(claimant)) item.claimants.push(claimant);
    this.writes.index++;
    return { ...item, claimants: [...item.claimants] };
  }

  /** Every job record. */
  records(): JobRecord[] {
    return [...this.jobs.values()].map((j) => structuredClone(j.record));
  }

  /** The state of each job, without how it was reached (write times, withdrawn claims), for convergence checks. */
  snapshot(): Record<string, JobState> {
    const out: Record<string, JobState> = {};
    for (const [id, job] of [...this.jobs].sort(([a], [b]) => (a < b ? -1 : 1))) out[id] = jobState(job);
    return out;
  }
}

function mapFor<V>(maps: Map<string, Map<Position, V>>, stream: string): Map<Position, V> {
  let m = maps.get(stream);
  if (!m) maps.set(stream, (m = new Map()));
  return m;
}

function sorted<V extends { pos: Position }>(m: Map<Position, V> | undefined): V[] {
  return m ? [...m.values()].sort((a, b) => (a.pos < b.pos ? -1 : a.pos > b.pos ? 1 : 0)) : [];
}

export interface JobState {
  record: JobRecord;
  indexKeys: Omit<JobWrite["indexKeys"], "updatedKey">;
  expiresAt: number;
  facts: Record<string, string>;
}

export function jobState(job: JobWrite): JobState {
  const { updatedKey: _k, ...indexKeys } = job.indexKeys;
  return { record: structuredClone(job.record), indexKeys, expiresAt: job.expiresAt, facts: effectiveFacts(job.facts) };
}
