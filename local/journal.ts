/**
 * Small durable files for the local cloud's state: an append-only journal of a keyed map (async
 * queues), JSON-lines logs (log groups, failure destinations) and atomically replaced JSON files
 * (delivery cursors). Writes are synchronous so that what a caller was told is stored survives
 * a crash of the process right after; a torn last line (crash mid-write) is ignored on load.
 */
import {
  appendFileSync,
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import path from "node:path";

export function appendJsonLines(file: string, values: unknown[]): void {
  if (values.length === 0) return;
  appendFileSync(file, values.map((v) => `${JSON.stringify(v)}\n`).join(""));
}

/**
 * Ends a last line torn by a crash with a newline, so that the next append starts a line of its
 * own: appended to the fragment, it would be unreadable too, and lost on the next load. Call it
 * on a JSON-lines file before appending to it after a restart.
 */
export function endTornLine(file: string): void {
  let fd: number;
  try {
    fd = openSync(file, "r+");
  } catch {
    return; // no file yet
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return;
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    if (last[0] !== 0x0a) writeSync(fd, "\n", size);
  } finally {
    closeSync(fd);
  }
}

/** Every complete JSON line of a file (none when it does not exist). */
export function readJsonLines<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  const out: T[] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line === "") continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      // a line torn by a crash: everything before it stands
    }
  }
  return out;
}

export function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value));
  renameSync(tmp, file);
}

export function readJson<T>(file: string): T | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as T;
  } catch {
    return undefined;
  }
}

type Op<V> = { op: "put"; key: string; value: V } | { op: "del"; key: string };

/**
 * A map whose every change is appended to a file before the call returns. The file is compacted
 * (rewritten with the live entries, then renamed over) on open and whenever it holds more than
 * 1000 lines and four times as many lines as entries, so a long session does not grow it without bound.
 */
export class Journal<V> {
  private readonly map = new Map<string, V>();
  /** Lines the file holds: the live entries at the last compaction plus every change since. */
  private lines = 0;

  constructor(private readonly file: string) {
    mkdirSync(path.dirname(file), { recursive: true });
    for (const op of readJsonLines<Op<V>>(file)) {
      if (op.op === "put") this.map.set(op.key, op.value);
      else this.map.delete(op.key);
    }
    this.compact();
  }

  put(key: string, value: V): void {
    appendJsonLines(this.file, [{ op: "put", key, value }]);
    this.map.set(key, value);
    this.changed();
  }

  delete(key: string): void {
    if (!this.map.has(key)) return;
    appendJsonLines(this.file, [{ op: "del", key }]);
    this.map.delete(key);
    this.changed();
  }

  /** Keeps the file within max(1000, 4 × entries) lines, however the changes came. */
  private changed(): void {
    if (++this.lines > 1000 && this.lines > 4 * this.map.size) this.compact();
  }

  private compact(): void {
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, [...this.map].map(([key, value]) => `${JSON.stringify({ op: "put", key, value })}\n`).join(""));
    renameSync(tmp, this.file);
    this.lines = this.map.size;
  }

  values(): V[] {
    return [...this.map.values()];
  }

  get size(): number {
    return this.map.size;
  }
}
