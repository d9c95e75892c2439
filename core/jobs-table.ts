/**
 * The jobs table: keys, indexes, TTL and the shape of a job record. The stack creates the table
 * from this, the local cloud creates its dynalite table from this, the log processor writes
 * records in this shape and the CLI/TUI query through these indexes.
 *
 * One table, two kinds of item:
 * - a job record per Lambda request id:       pk = "JOB#<requestId>",      sk = "JOB"
 * - the log-processor's per-stream index:      pk = "STREAM#<group>|<stream>", sk = position
 *   (see core/status/ for what it holds and why).
 *
 * Both GSIs are sparse (only job records carry their keys) and spread writes over
 * `INDEX_SHARDS` partitions by a hash of the request id, so no index partition runs hot.
 */

export const JOB_STATUSES = ["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const TERMINAL_STATUSES: readonly JobStatus[] = ["SUCCEEDED", "FAILED", "TIMED_OUT"];

/** Partitions each index is spread over. Changing it re-keys every record: treat as fixed. */
export const INDEX_SHARDS = 4;

export const JOBS_TABLE = {
  partitionKey: "pk",
  sortKey: "sk",
  ttlAttribute: "expiresAt",
  indexes: {
    /** Jobs of one status, newest start first: `history --status`, `stats`. */
    byStatus: { name: "byStatus", partitionKey: "statusShard", sortKey: "startedKey" },
    /** Every job by its last write time: the live view reads only what changed. */
    byActivity: { name: "byActivity", partitionKey: "activityShard", sortKey: "updatedKey" },
  },
} as const;

export type IndexName = keyof typeof JOBS_TABLE.indexes;

/**
 * The CreateTable request for the jobs table (the local cloud and tests create it with this; the
 * stack declares the same keys and indexes through Terraform).
 */
export function createJobsTableInput(tableName: string) {
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST" as const,
    AttributeDefinitions: keyAttributes().map((name) => ({ AttributeName: name, AttributeType: "S" as const })),
    KeySchema: [
      { AttributeName: JOBS_TABLE.partitionKey, KeyType: "HASH" as const },
      { AttributeName: JOBS_TABLE.sortKey, KeyType: "RANGE" as const },
    ],
    GlobalSecondaryIndexes: Object.values(JOBS_TABLE.indexes).map((ix) => ({
      IndexName: ix.name,
      KeySchema: [
        { AttributeName: ix.partitionKey, KeyType: "HASH" as const },
        { AttributeName: ix.sortKey, KeyType: "RANGE" as const },
      ],
      Projection: { ProjectionType: "INCLUDE" as const, NonKeyAttributes: indexProjection().nonKeyAttributes },
    })),
  };
}

/**
 * What both indexes carry besides the keys: the record's fields (JOB_RECORD_FIELDS), not its
 * facts. The facts are most of an item (about 1.9 of 2.7 KB for a sample job) and only the log
 * processor reads them, from the table itself; leaving them out of the indexes makes each index
 * write 1 WCU instead of 3 and each item the CLI and the live view read a third of the size
 * (README, "Live cost"). A new record field must join JOB_RECORD_FIELDS to be seen through them.
 */
export function indexProjection(): { type: "INCLUDE"; nonKeyAttributes: string[] } {
  return { type: "INCLUDE", nonKeyAttributes: [...JOB_RECORD_FIELDS] };
}

/** Attributes that appear in a key of the table or an index (all strings). */
export function keyAttributes(): string[] {
  const names = new Set<string>([JOBS_TABLE.partitionKey, JOBS_TABLE.sortKey]);
  for (const ix of Object.values(JOBS_TABLE.indexes)) {
    names.add(ix.partitionKey);
    names.add(ix.sortKey);
  }
  return [...names];
}

export const JOB_PK_PREFIX = "JOB#";
export const JOB_SK = "JOB";
export const STREAM_PK_PREFIX = "STREAM#";

export function jobKey(requestId: string): { pk: string; sk: string } {
  return { pk: `${JOB_PK_PREFIX}${requestId}`, sk: JOB_SK };
}

export function streamPartition(logGroup: string, logStream: string): string {
  return `${STREAM_PK_PREFIX}${logGroup}|${logStream}`;
}

/** FNV-1a: a stable, cheap spread of request ids over the index shards. */
export function shardOf(requestId: string, shards: number = INDEX_SHARDS): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < requestId.length; i++) {
    h ^= requestId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shards;
}

export const statusShardKey = (status: JobStatus, shard: number): string => `${status}#${shard}`;
export const activityShardKey = (shard: number): string => `ACT#${shard}`;
/** ISO time then request id: sorts by time, unique per job. */
export const timeKey = (isoTime: string, requestId: string): string => `${isoTime}#${requestId}`;

/** The GSI key attributes of a job record item, derived from the record (never stored apart). */
export interface JobIndexKeys {
  statusShard: string;
  startedKey: string;
  activityShard: string;
  updatedKey: string;
}

/**
 * `sortTime` is the record's startedAt, or when that is still unknown (START not delivered yet)
 * the earliest time seen for the request, so every record is findable by time.
 */
export function jobIndexKeys(r: {
  requestId: string;
  status: JobStatus;
  sortTime: string;
  updatedAt: string;
}): JobIndexKeys {
  const shard = shardOf(r.requestId);
  return {
    statusShard: statusShardKey(r.status, shard),
    startedKey: timeKey(r.sortTime, r.requestId),
    activityShard: activityShardKey(shard),
    updatedKey: timeKey(r.updatedAt, r.requestId),
  };
}

/**
 * A job record as users see it: `aligner parse --json`, `history --json`, the live view.
 * Optional fields are absent when unknown.
 */
export interface JobRecord {
  requestId: string;
  status: JobStatus;
  coldStart?: boolean;
  initDurationMs?: number;
  durationMs?: number;
  billedDurationMs?: number;
  memorySizeMb?: number;
  maxMemoryUsedMb?: number;
  errorType?: string;
  errorMessage?: string;
  /** START..REPORT attempts seen for this request id (async retries reuse the id). */
  attempts: number;
  logStream?: string;
  startedAt?: string;
  endedAt?: string;
  /** From the aligner's own job events. */
  logGroup?: string;
  inputBucket?: string;
  inputKey?: string;
  inputBytes?: number;
  sequences?: number;
  outputBucket?: string;
  outputKey?: string;
  mafftDurationMs?: number;
  mafftArgs?: string;
  /** When the record was last written (bookkeeping of the write, not of the request). */
  updatedAt?: string;
}

/** The fields `aligner parse --json` prints, in this order. */
export const PARSE_OUTPUT_FIELDS = [
  "requestId",
  "status",
  "coldStart",
  "initDurationMs",
  "durationMs",
  "billedDurationMs",
  "memorySizeMb",
  "maxMemoryUsedMb",
  "errorType",
  "errorMessage",
  "attempts",
  "logStream",
  "startedAt",
  "endedAt",
] as const satisfies readonly (keyof JobRecord)[];

/** Every JobRecord field, for readers that pick attributes off an item. */
export const JOB_RECORD_FIELDS = [
  ...PARSE_OUTPUT_FIELDS,
  "logGroup",
  "inputBucket",
  "inputKey",
  "inputBytes",
  "sequences",
  "outputBucket",
  "outputKey",
  "mafftDurationMs",
  "mafftArgs",
  "updatedAt",
] as const satisfies readonly (keyof JobRecord)[];
