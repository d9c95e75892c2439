/**
 * The StatusStore on DynamoDB: job records and the per-stream index in the jobs table. Used by
 * the log processor and by `aligner reconcile`. Only GetItem/BatchGetItem, Query and UpdateItem
 * — the actions the processor's role grants.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { JOB_RECORD_FIELDS, JOBS_TABLE, jobKey, type JobRecord } from "../../core/jobs-table.ts";
import { justAfter, type Position } from "../../core/status/position.ts";
import type { JobWrite, MarkerItem, PendingItem, StatusStore, StoredJob } from "../../core/status/store.ts";

const MARKER = "A#";
const PENDING = "P#";
/** BatchGetItem takes at most 100 keys. */
const BATCH_GET_MAX = 100;
const UNPROCESSED_RETRIES = 8;

export interface DynamoStatusStoreOptions {
  /** Counts calls, for the summary line and the benchmark. */
  onWrite?: (kind: "job" | "index") => void;
}

export class DynamoStatusStore implements StatusStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly options: DynamoStatusStoreOptions = {},
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async getJobs(requestIds: string[]): Promise<Map<string, StoredJob>> {
    const out = new Map<string, StoredJob>();
    const unique = [...new Set(requestIds)];
    for (let i = 0; i < unique.length; i += BATCH_GET_MAX) {
      let keys: Record<string, unknown>[] = unique.slice(i, i + BATCH_GET_MAX).map((id) => jobKey(id));
      for (let attempt = 0; keys.length > 0; attempt++) {
        if (attempt > UNPROCESSED_RETRIES)
          throw new Error(`DynamoDB left ${keys.length} keys unprocessed after ${UNPROCESSED_RETRIES} retries`);
        if (attempt > 0) await sleep(Math.min(1000, 25 * 2 ** attempt) * Math.random());
        const res = await this.doc.send(
          new BatchGetCommand({
            RequestItems: {
              [this.tableName]: {
                Keys: keys,
                ConsistentRead: true,
                ProjectionExpression: "#id, #facts, #rev",
                ExpressionAttributeNames: { "#id": "requestId", "#facts": "facts", "#rev": "rev" },
              },
            },
          }),
        );
        for (const item of res.Responses?.[this.tableName] ?? []) {
          if (typeof item["requestId"] === "string") {
            out.set(item["requestId"], {
              facts: (item["facts"] ?? {}) as Record<string, string>,
              rev: Number(item["rev"] ?? 0),
            });
          }
        }
        keys = (res.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<string, unknown>[];
      }
    }
    return out;
  }

  async putJob(requestId: string, write: JobWrite, expectedRev: number | undefined): Promise<boolean> {
    const attributes: Record<string, unknown> = {
      ...write.record,
      ...write.indexKeys,
      [JOBS_TABLE.ttlAttribute]: write.expiresAt,
      updatedAt: write.updatedAt,
      facts: write.facts,
      rev: write.rev,
    };
    const names: Record<string, string> = { "#rev": "rev" };
    const values: Record<string, unknown> = {};
    const sets: string[] = [];
    let n = 0;
    for (const [name, value] of Object.entries(attributes)) {
      if (value === undefined) continue;
      names[`#a${n}`] = name;
      values[`:v${n}`] = value;
      sets.push(`#a${n} = :v${n}`);
      n++;
    }
    // A field the new derivation no longer has (say errorType, after a retry succeeded) is removed.
    const removes = (JOB_RECORD_FIELDS as readonly (keyof JobRecord)[])
      .filter((f) => f !== "updatedAt" && write.record[f] === undefined)
      .map((f, i) => {
        names[`#r${i}`] = f;
        return `#r${i}`;
      });
    let condition = "attribute_not_exists(#rev)";
    if (expectedRev !== undefined) {
      condition = "#rev = :expectedRev";
      values[":expectedRev"] = expectedRev;
    }
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: jobKey(requestId),
          UpdateExpression: `SET ${sets.join(", ")}${removes.length ? ` REMOVE ${removes.join(", ")}` : ""}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      this.options.onWrite?.("job");
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException || (err as Error).name === "ConditionalCheckFailedException")
        return false;
      throw err;
    }
  }

  async putPending(stream: string, item: Omit<PendingItem, "claimants">, expiresAt: number): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: indexKey(stream, PENDING, item.pos),
        UpdateExpression: "SET #effect = if_not_exists(#effect, :effect), #id = :id, #ts = :ts, #exp = :exp",
        ExpressionAttributeNames: {
          "#effect": "effect",
          "#id": "eventId",
          "#ts": "ts",
          "#exp": JOBS_TABLE.ttlAttribute,
        },
        ExpressionAttributeValues: { ":effect": item.effect, ":id": item.id, ":ts": item.ts, ":exp": expiresAt },
      }),
    );
    this.options.onWrite?.("index");
  }

  async putMarker(stream: string, marker: MarkerItem, expiresAt: number): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: indexKey(stream, MARKER, marker.pos),
        UpdateExpression: "SET #rid = :rid, #exp = :exp",
        ExpressionAttributeNames: { "#rid": "requestId", "#exp": JOBS_TABLE.ttlAttribute },
        ExpressionAttributeValues: { ":rid": marker.requestId, ":exp": expiresAt },
      }),
    );
    this.options.onWrite?.("index");
  }

  async firstMarkerAfter(stream: string, pos: Position): Promise<MarkerItem | undefined> {
    const [item] = await this.query(stream, `${MARKER}${justAfter(pos)}`, `${MARKER}~`, true, 1);
    return item ? toMarker(item) : undefined;
  }

  async lastMarkerBefore(stream: string, pos: Position): Promise<MarkerItem | undefined> {
    const items = await this.query(stream, MARKER, `${MARKER}${pos}`, false, 2);
    const found = items.map(toMarker).find((m) => m.pos < pos);
    return found;
  }

  async pendingBetween(stream: string, from: Position | undefined, to: Position): Promise<PendingItem[]> {
    const items = await this.query(
      stream,
      from === undefined ? PENDING : `${PENDING}${justAfter(from)}`,
      `${PENDING}${to}`,
      true,
    );
    return items.map(toPending).filter((p) => p.pos < to);
  }

  async getPending(stream: string, pos: Position): Promise<PendingItem | undefined> {
    const res = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: indexKey(stream, PENDING, pos), ConsistentRead: true }),
    );
    return res.Item ? toPending(res.Item) : undefined;
  }

  async addClaimant(stream: string, pos: Position, claimant: string): Promise<PendingItem | undefined> {
    try {
      const res = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: indexKey(stream, PENDING, pos),
          UpdateExpression: "ADD #claimants :c",
          ConditionExpression: "attribute_exists(#effect)",
          ExpressionAttributeNames: { "#claimants": "claimants", "#effect": "effect" },
          ExpressionAttributeValues: { ":c": new Set([claimant]) },
          ReturnValues: "ALL_NEW",
        }),
      );
      this.options.onWrite?.("index");
      return res.Attributes ? toPending(res.Attributes) : undefined;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException || (err as Error).name === "ConditionalCheckFailedException")
        return undefined;
      throw err;
    }
  }

  private async query(
    pk: string,
    lo: string,
    hi: string,
    forward: boolean,
    limit?: number,
  ): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const res = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: "#pk = :pk AND #sk BETWEEN :lo AND :hi",
          ExpressionAttributeNames: { "#pk": JOBS_TABLE.partitionKey, "#sk": JOBS_TABLE.sortKey },
          ExpressionAttributeValues: { ":pk": pk, ":lo": lo, ":hi": hi },
          ScanIndexForward: forward,
          ConsistentRead: true,
          ...(limit !== undefined ? { Limit: limit } : {}),
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      out.push(...((res.Items ?? []) as Record<string, unknown>[]));
      start = res.LastEvaluatedKey as Record<string, unknown> | undefined;
    } while (start && (limit === undefined || out.length < limit));
    return limit === undefined ? out : out.slice(0, limit);
  }
}

/** The key of a stream-index item: the stream's partition, then its kind and position. */
function indexKey(stream: string, kind: typeof MARKER | typeof PENDING, pos: Position): Record<string, string> {
  return { [JOBS_TABLE.partitionKey]: stream, [JOBS_TABLE.sortKey]: `${kind}${pos}` };
}

function toMarker(item: Record<string, unknown>): MarkerItem {
  return { pos: String(item[JOBS_TABLE.sortKey]).slice(MARKER.length), requestId: String(item["requestId"]) };
}

function toPending(item: Record<string, unknown>): PendingItem {
  const claimants = item["claimants"];
  return {
    pos: String(item[JOBS_TABLE.sortKey]).slice(PENDING.length),
    id: String(item["eventId"]),
    effect: String(item["effect"]),
    ts: Number(item["ts"]),
    claimants:
      claimants instanceof Set
        ? [...(claimants as Set<string>)]
        : Array.isArray(claimants)
          ? (claimants as string[])
          : [],
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reads a job item back as the record users see (for tests and the CLI). */
export function recordFromItem(item: Record<string, unknown>): JobRecord {
  const out: Record<string, unknown> = {};
  for (const f of JOB_RECORD_FIELDS) if (item[f] !== undefined) out[f] = item[f];
  return out as unknown as JobRecord;
}
