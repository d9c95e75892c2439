/**
 * One request's lines out of a log stream, for `aligner logs REQUEST_ID`: a warm environment
 * writes many invocations into one stream, so the request's lines are those naming it, the
 * unprefixed lines written while it was open (between its START and its REPORT: MAFFT's stderr,
 * say), and the id-less init lines that belong to it (the same rule the status uses: an id-less
 * event belongs to the next event naming a request).
 */
import type { LogEvent } from "./payload.ts";
import { parseLogEvent } from "./parse.ts";
import { recordRequestId } from "./records.ts";
import { compareEventOrder } from "../status/position.ts";

export interface ExtractedLine {
  event: LogEvent;
  /** Why the line is included: it names the request, it was written while it was open, or it is its init. */
  reason: "named" | "open" | "init";
}

export function extractRequestLines(events: readonly LogEvent[], requestId: string): ExtractedLine[] {
  const ordered = [...events].sort(compareEventOrder);
  const records = ordered.map((e) => parseLogEvent(e.message));
  const ids = records.map(recordRequestId);
  const out: ExtractedLine[] = [];
  let open: string | undefined;
  // The next event naming a request, scanning from the end (for id-less init lines).
  const nextNamed: (string | undefined)[] = new Array(ordered.length);
  let next: string | undefined;
  for (let i = ordered.length - 1; i >= 0; i--) {
    nextNamed[i] = next;
    if (ids[i] !== undefined) next = ids[i];
  }
  for (let i = 0; i < ordered.length; i++) {
    const record = records[i]!;
    const id = ids[i];
    if (record.kind === "start") open = record.requestId;
    if (id === requestId) out.push({ event: ordered[i]!, reason: "named" });
    else if (id === undefined) {
      const init =
        record.kind === "initStart" ||
        record.kind === "initReport" ||
        (record.kind === "app" && record.error !== undefined);
      if (open === requestId) out.push({ event: ordered[i]!, reason: "open" });
      else if (init && nextNamed[i] === requestId) out.push({ event: ordered[i]!, reason: "init" });
    }
    if (record.kind === "report") open = undefined;
  }
  return out;
}
