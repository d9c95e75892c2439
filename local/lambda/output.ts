/**
 * Raw stdout/stderr of an execution environment cut into log events the way Lambda cuts them:
 * one event per line (the newline kept), a final partial line emitted when the invocation ends.
 * The runtime's flush marker (see protocol.ts) is recognised and removed: text before it on the
 * same line is a partial line of its own.
 */
import { StringDecoder } from "node:string_decoder";

export interface OutputLine {
  text: string;
  at: number;
}

export class LineSplitter {
  private readonly decoder = new StringDecoder("utf8");
  private partial = "";

  constructor(
    private readonly markerPrefix: string,
    private readonly onLine: (line: OutputLine) => void,
    private readonly onMarker: (requestId: string) => void,
  ) {}

  push(chunk: Buffer): void {
    this.consume(this.decoder.write(chunk));
  }

  /** Emits whatever is left without a newline (the invocation or the process ended). */
  flush(): void {
    this.consume(this.decoder.end());
    if (this.partial !== "") {
      this.onLine({ text: this.partial, at: Date.now() });
      this.partial = "";
    }
  }

  private consume(text: string): void {
    if (text === "") return;
    let buf = this.partial + text;
    const at = Date.now();
    for (;;) {
      const nl = buf.indexOf("\n");
      if (nl < 0) break;
      const line = buf.slice(0, nl + 1);
      buf = buf.slice(nl + 1);
      const m = line.indexOf(this.markerPrefix);
      if (m >= 0) {
        const before = line.slice(0, m);
        if (before !== "") this.onLine({ text: before, at });
        // marker: "\0<token>:<requestId>\0\n"
        this.onMarker(line.slice(m + this.markerPrefix.length, line.length - 2));
        continue;
      }
      this.onLine({ text: line, at });
    }
    this.partial = buf;
  }
}

/** JSON lines of a level below the application log level are dropped in the JSON log format, as Lambda does. */
const LEVEL_ORDER: Record<string, number> = {
  TRACE: 1,
  DEBUG: 2,
  INFO: 3,
  WARN: 4,
  WARNING: 4,
  ERROR: 5,
  CRITICAL: 6,
  FATAL: 6,
};

export function belowLevel(line: string, minLevel: number): boolean {
  if (line.charCodeAt(0) !== 123 /* { */) return false;
  try {
    const level = (JSON.parse(line) as { level?: unknown }).level;
    if (typeof level !== "string") return false;
    const n = LEVEL_ORDER[level.toUpperCase()];
    return n !== undefined && n < minLevel;
  } catch {
    return false;
  }
}

export const levelNumber = (name: string | undefined): number => LEVEL_ORDER[(name ?? "").toUpperCase()] ?? 1;
