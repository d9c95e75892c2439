/**
 * Reads a jobs-table item into the record users see, defensively: the CLI and the live view must
 * never crash on an item written by an older version, edited by hand or half-written. Fields of
 * the wrong type are dropped, an unknown status is shown as it is, and an item that is not a job
 * record at all (the log processor's stream index) yields undefined.
 */
import { JOB_PK_PREFIX, JOB_STATUSES, JOBS_TABLE, type JobRecord, type JobStatus } from "./jobs-table.ts";

/** A job as the readers hold it: the record plus the index sort keys it was found by. */
export interface JobRow {
  record: JobRecord;
  /** `byStatus` sort key: `<start time>#<id>`; newest first sorts by it. */
  sortKey: string;
  /** `byActivity` sort key: `<last write time>#<id>`. */
  updatedKey: string;
}

const NUMBER_FIELDS = [
  "initDurationMs",
  "durationMs",
  "billedDurationMs",
  "memorySizeMb",
  "maxMemoryUsedMb",
  "inputBytes",
  "sequences",
  "mafftDurationMs",
] as const;
const STRING_FIELDS = [
  "errorType",
  "errorMessage",
  "logStream",
  "startedAt",
  "endedAt",
  "logGroup",
  "inputBucket",
  "inputKey",
  "outputBucket",
  "outputKey",
  "mafftArgs",
  "updatedAt",
] as const;

/** Every JobRecord field is read here: one added to the record (core/jobs-table.ts) but not to these lists fails to compile. */
type UnreadField = Exclude<
  keyof JobRecord,
  "requestId" | "status" | "attempts" | "coldStart" | (typeof NUMBER_FIELDS)[number] | (typeof STRING_FIELDS)[number]
>;
const everyFieldRead: [UnreadField] extends [never] ? true : UnreadField = true;
void everyFieldRead;

export function isJobStatus(s: unknown): s is JobStatus {
  return typeof s === "string" && (JOB_STATUSES as readonly string[]).includes(s);
}

function num(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  // The document client gives numbers; a hand-written item may hold numeric strings.
  if (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  return undefined;
}

export function readJobItem(item: Record<string, unknown>): JobRow | undefined {
  const pk = item[JOBS_TABLE.partitionKey];
  if (typeof pk === "string" && !pk.startsWith(JOB_PK_PREFIX)) return undefined;
  const requestId =
    typeof item["requestId"] === "string" && item["requestId"] !== ""
      ? item["requestId"]
      : typeof pk === "string"
        ? pk.slice(JOB_PK_PREFIX.length)
        : "";
  if (requestId === "") return undefined;
  const status = item["status"];
  const record: JobRecord = {
    requestId,
    // Shown as it is (a status this version does not know is still worth seeing).
    status: (typeof status === "string" && status !== "" ? status : "RUNNING") as JobStatus,
    attempts: num(item["attempts"]) ?? 0,
  };
  if (typeof item["coldStart"] === "boolean") record.coldStart = item["coldStart"];
  for (const f of NUMBER_FIELDS) {
    const v = num(item[f]);
    if (v !== undefined) record[f] = v;
  }
  for (const f of STRING_FIELDS) {
    const v = item[f];
    if (typeof v === "string") record[f] = v;
  }
  const startedKey = item[JOBS_TABLE.indexes.byStatus.sortKey];
  const updatedKey = item[JOBS_TABLE.indexes.byActivity.sortKey];
  const time = record.startedAt ?? record.updatedAt ?? "";
  return {
    record,
    sortKey: typeof startedKey === "string" ? startedKey : `${time}#${requestId}`,
    updatedKey: typeof updatedKey === "string" ? updatedKey : `${record.updatedAt ?? ""}#${requestId}`,
  };
}

/** The time part of a `<time>#<id>` index key. */
export function keyTime(key: string): string {
  const hash = key.indexOf("#");
  return hash < 0 ? key : key.slice(0, hash);
}
