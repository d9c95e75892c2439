/**
 * The local CloudWatch Logs: log groups, their streams and events, kept in memory and appended
 * to one JSON-lines file per group, so history survives a restart.
 *
 * Event ids are what CloudWatch's look like and what the log processor relies on: 56-digit
 * numeric strings, unique in the group, that grow with ingestion order within a stream. Each is
 * the event's timestamp followed by the group's ingestion sequence number (43 digits), and a
 * stream's timestamps never go backwards (an event stamped earlier than the one before it in its
 * stream is stamped like that one), so (timestamp, id) order is ingestion order.
 *
 * Retention works as in CloudWatch: `expire()` deletes the events of a group older than its
 * retention period (streams stay, empty), so a long-lived `.aligner/` does not grow without bound.
 */
import { EventEmitter } from "node:events";
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { appendJsonLines, endTornLine, readJsonLines } from "../journal.ts";

export interface StoredEvent {
  id: string;
  /** The group's ingestion sequence number (ids are derived from it). */
  seq: number;
  timestamp: number;
  ingestionTime: number;
  message: string;
  logStream: string;
}

export interface StreamInfo {
  name: string;
  creationTime: number;
  events: StoredEvent[];
  storedBytes: number;
}

export interface GroupInfo {
  name: string;
  creationTime: number;
  retentionInDays?: number;
  streams: Map<string, StreamInfo>;
  nextSeq: number;
}

type Line =
  /** `next`: the next sequence number, kept when expiry removed the events that implied it. */
  | { k: "group"; name: string; t: number; retention?: number; next?: number }
  | { k: "stream"; name: string; t: number }
  | { k: "ev"; s: string; q: number; t: number; i: number; m: string };

const ID_SEQ_DIGITS = 43n;
const DAY_MS = 86_400_000;

export function eventId(timestamp: number, seq: number): string {
  return (BigInt(Math.max(0, Math.trunc(timestamp))) * 10n ** ID_SEQ_DIGITS + BigInt(seq)).toString();
}

export class LogStore extends EventEmitter<{ append: [group: string, stream: string, events: StoredEvent[]] }> {
  private readonly groups = new Map<string, GroupInfo>();
  private lastIngestion = 0;

  /** `dir` undefined: memory only. */
  constructor(private readonly dir: string | undefined) {
    super();
    this.setMaxListeners(50);
    if (dir) {
      mkdirSync(dir, { recursive: true });
      // A rewrite a crash interrupted: the group's file it was to replace is still whole.
      for (const f of readdirSync(dir).filter((f) => f.endsWith(".tmp"))) rmSync(path.join(dir, f), { force: true });
      for (const f of readdirSync(dir)
        .filter((f) => f.endsWith(".jsonl"))
        .sort()) {
        endTornLine(path.join(dir, f));
        this.load(path.join(dir, f));
      }
    }
  }

  private fileOf(group: string): string | undefined {
    return this.dir ? path.join(this.dir, `${encodeURIComponent(group)}.jsonl`) : undefined;
  }

  private persist(group: string, lines: Line[]): void {
    const file = this.fileOf(group);
    if (file) appendJsonLines(file, lines);
  }

  private load(file: string): void {
    let g: GroupInfo | undefined;
    for (const line of readJsonLines<Line>(file)) {
      if (line.k === "group") {
        g = {
          name: line.name,
          creationTime: line.t,
          ...(line.retention !== undefined ? { retentionInDays: line.retention } : {}),
          streams: new Map(),
          nextSeq: line.next ?? 1,
        };
        this.groups.set(line.name, g);
      } else if (!g) {
        return; // not a group file
      } else if (line.k === "stream") {
        if (!g.streams.has(line.name))
          g.streams.set(line.name, { name: line.name, creationTime: line.t, events: [], storedBytes: 0 });
      } else {
        const s = g.streams.get(line.s);
        if (!s) continue;
        s.events.push({
          id: eventId(line.t, line.q),
          seq: line.q,
          timestamp: line.t,
          ingestionTime: line.i,
          message: line.m,
          logStream: line.s,
        });
        s.storedBytes += Buffer.byteLength(line.m);
        g.nextSeq = Math.max(g.nextSeq, line.q + 1);
        this.lastIngestion = Math.max(this.lastIngestion, line.i);
      }
    }
  }

  /**
   * Creates the group if it does not exist (CreateLogGroup, idempotent here); a retention given
   * for an existing group replaces its own (PutRetentionPolicy), as a redeploy of the stack would.
   */
  ensureGroup(name: string, opts: { retentionInDays?: number } = {}): GroupInfo {
    let g = this.groups.get(name);
    if (g && opts.retentionInDays !== undefined && g.retentionInDays !== opts.retentionInDays) {
      g.retentionInDays = opts.retentionInDays;
      this.rewrite(g);
    }
    if (!g) {
      g = {
        name,
        creationTime: Date.now(),
        ...(opts.retentionInDays !== undefined ? { retentionInDays: opts.retentionInDays } : {}),
        streams: new Map(),
        nextSeq: 1,
      };
      this.groups.set(name, g);
      this.persist(name, [
        {
          k: "group",
          name,
          t: g.creationTime,
          ...(opts.retentionInDays !== undefined ? { retention: opts.retentionInDays } : {}),
        },
      ]);
    }
    return g;
  }

  group(name: string): GroupInfo | undefined {
    return this.groups.get(name);
  }

  allGroups(): GroupInfo[] {
    return [...this.groups.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Deletes the events older than their group's retention period and rewrites the files of the
   * groups that lost any (atomically: a crash leaves the old file or the new one). Returns how
   * many events were deleted. Sequence numbers go on from where they were, so ids stay unique.
   */
  expire(now: number = Date.now()): number {
    let deleted = 0;
    for (const g of this.groups.values()) {
      if (g.retentionInDays === undefined) continue;
      const cutoff = now - g.retentionInDays * DAY_MS;
      let dropped = 0;
      for (const s of g.streams.values()) {
        // A stream's timestamps never go backwards (see above), so the expired events lead.
        let n = 0;
        while (n < s.events.length && s.events[n]!.timestamp < cutoff)
          s.storedBytes -= Buffer.byteLength(s.events[n++]!.message);
        if (n > 0) s.events.splice(0, n);
        dropped += n;
      }
      if (dropped > 0) this.rewrite(g);
      deleted += dropped;
    }
    return deleted;
  }

  private rewrite(g: GroupInfo): void {
    const file = this.fileOf(g.name);
    if (!file) return;
    const lines: Line[] = [
      {
        k: "group",
        name: g.name,
        t: g.creationTime,
        ...(g.retentionInDays !== undefined ? { retention: g.retentionInDays } : {}),
        next: g.nextSeq,
      },
    ];
    for (const s of g.streams.values()) {
      lines.push({ k: "stream", name: s.name, t: s.creationTime });
      for (const e of s.events)
        lines.push({ k: "ev", s: s.name, q: e.seq, t: e.timestamp, i: e.ingestionTime, m: e.message });
    }
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, lines.map((l) => `${JSON.stringify(l)}\n`).join(""));
    renameSync(tmp, file);
  }

  /** Stores events in a stream (created on first use, like Lambda's CreateLogStream + PutLogEvents). */
  append(groupName: string, streamName: string, events: { timestamp: number; message: string }[]): StoredEvent[] {
    if (events.length === 0) return [];
    const g = this.ensureGroup(groupName);
    const lines: Line[] = [];
    let s = g.streams.get(streamName);
    if (!s) {
      s = { name: streamName, creationTime: Date.now(), events: [], storedBytes: 0 };
      g.streams.set(streamName, s);
      lines.push({ k: "stream", name: streamName, t: s.creationTime });
    }
    // Ingestion time never goes backwards either, even if the clock does.
    const ingestion = (this.lastIngestion = Math.max(this.lastIngestion, Date.now()));
    const stored: StoredEvent[] = [];
    let floor = s.events.at(-1)?.timestamp ?? 0;
    for (const e of events) {
      const timestamp = Math.max(Math.trunc(e.timestamp), floor);
      floor = timestamp;
      const seq = g.nextSeq++;
      const ev: StoredEvent = {
        id: eventId(timestamp, seq),
        seq,
        timestamp,
        ingestionTime: ingestion,
        message: e.message,
        logStream: streamName,
      };
      s.events.push(ev);
      s.storedBytes += Buffer.byteLength(e.message);
      stored.push(ev);
      lines.push({ k: "ev", s: streamName, q: seq, t: timestamp, i: ingestion, m: e.message });
    }
    this.persist(groupName, lines);
    this.emit("append", groupName, streamName, stored);
    return stored;
  }
}
