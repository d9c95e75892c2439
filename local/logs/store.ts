/**
 * The local CloudWatch Logs: log groups, their streams and events, kept in memory and appended
 * to one JSON-lines file per group, so history survives a restart.
 *
 * Event ids are what CloudWatch's look like and what the log processor relies on: 56-digit
 * numeric strings, unique in the group, that grow with ingestion order within a stream. Each is
 * the event's timestamp followed by the group's ingestion sequence number (43 digits), and a
 * stream's timestamps never go backwards (an event stamped earlier than the one before it in its
 * stream is stamped like that one), so (timestamp, id) order is ingestion order.
 */
import { EventEmitter } from "node:events";
import { mkdirSync, readdirSync } from "node:fs";
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
  | { k: "group"; name: string; t: number; retention?: number }
  | { k: "stream"; name: string; t: number }
  | { k: "ev"; s: string; q: number; t: number; i: number; m: string };

const ID_SEQ_DIGITS = 43n;

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
      for (const f of readdirSync(dir).filter((f) => f.endsWith(".jsonl")).sort()) {
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
        g = { name: line.name, creationTime: line.t, ...(line.retention !== undefined ? { retentionInDays: line.retention } : {}), streams: new Map(), nextSeq: 1 };
        this.groups.set(line.name, g);
      } else if (!g) {
        return; // not a group file
      } else if (line.k === "stream") {
        if (!g.streams.has(line.name)) g.streams.set(line.name, { name: line.name, creationTime: line.t, events: [], storedBytes: 0 });
      } else {
        const s = g.streams.get(line.s);
        if (!s) continue;
        s.events.push({ id: eventId(line.t, line.q), seq: line.q, timestamp: line.t, ingestionTime: line.i, message: line.m, logStream: line.s });
        s.storedBytes += Buffer.byteLength(line.m);
        g.nextSeq = Math.max(g.nextSeq, line.q + 1);
        this.lastIngestion = Math.max(this.lastIngestion, line.i);
      }
    }
  }

  /** Creates the group if it does not exist (CreateLogGroup, idempotent here). */
  ensureGroup(name: string, opts: { retentionInDays?: number } = {}): GroupInfo {
    let g = this.groups.get(name);
    if (!g) {
      g = { name, creationTime: Date.now(), ...(opts.retentionInDays !== undefined ? { retentionInDays: opts.retentionInDays } : {}), streams: new Map(), nextSeq: 1 };
      this.groups.set(name, g);
      this.persist(name, [{ k: "group", name, t: g.creationTime, ...(opts.retentionInDays !== undefined ? { retention: opts.retentionInDays } : {}) }]);
    }
    return g;
  }

  group(name: string): GroupInfo | undefined {
    return this.groups.get(name);
  }

  allGroups(): GroupInfo[] {
    return [...this.groups.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
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
      const ev: StoredEvent = { id: eventId(timestamp, seq), seq, timestamp, ingestionTime: ingestion, message: e.message, logStream: streamName };
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
