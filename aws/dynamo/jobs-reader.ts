/**
 * Reads job records from the jobs table: Query on an index partition (a page, or many merged
 * newest first), GetItem and BatchGetItem — never a Scan. Counts the items each read costs
 * (DynamoDB charges Query by the items it evaluates, `ScannedCount`, filtered or not), so the
 * CLI, the live view and the benchmarks can report read cost.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { jobKey, type JobStatus } from "../../core/jobs-table.ts";
import {
  historyFilter,
  pageLimit,
  startedRange,
  statusPartitions,
  type HistoryFilters,
  type ItemFilter,
  type KeyRange,
  type Partition,
} from "../../core/job-queries.ts";
import { readJobItem, type JobRow } from "../../core/job-item.ts";

export type PageKey = Record<string, unknown>;

export interface PageOptions {
  /** Ascending sort key (oldest first) when true. */
  forward: boolean;
  limit?: number;
  start?: PageKey;
  filter?: ItemFilter;
}

export interface Page {
  rows: JobRow[];
  /** Items the read evaluated (and is billed for), including those a filter dropped. */
  read: number;
  next?: PageKey;
}

export interface ReadCounts {
  items: number;
  requests: number;
}

const BATCH_GET_MAX = 100;
const UNPROCESSED_RETRIES = 8;

export class JobsReader {
  private readonly doc: DynamoDBDocumentClient;
  /** Running totals since construction. */
  readonly counts: ReadCounts = { items: 0, requests: 0 };

  constructor(
    client: DynamoDBClient,
    readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  async queryPage(p: Partition, range: KeyRange, opts: PageOptions): Promise<Page> {
    const names: Record<string, string> = { "#pk": p.keyName, "#sk": p.sortName, ...(opts.filter?.names ?? {}) };
    const values: Record<string, unknown> = {
      ":pk": p.key,
      ":lo": range.lo,
      ":hi": range.hi,
      ...(opts.filter?.values ?? {}),
    };
    const res = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: p.index,
        KeyConditionExpression: "#pk = :pk AND #sk BETWEEN :lo AND :hi",
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ScanIndexForward: opts.forward,
        ...(opts.filter ? { FilterExpression: opts.filter.expression } : {}),
        ...(opts.limit !== undefined ? { Limit: opts.limit } : {}),
        ...(opts.start ? { ExclusiveStartKey: opts.start } : {}),
      }),
    );
    const items = (res.Items ?? []) as Record<string, unknown>[];
    const read = res.ScannedCount ?? items.length;
    this.counts.items += read;
    this.counts.requests++;
    const rows: JobRow[] = [];
    for (const item of items) {
      const row = readJobItem(item);
      if (row) rows.push(row);
    }
    return { rows, read, ...(res.LastEvaluatedKey ? { next: res.LastEvaluatedKey as PageKey } : {}) };
  }

  /** Every row of a partition's range, page by page (oldest first unless `forward` is false). */
  async *partitionRows(
    p: Partition,
    range: KeyRange,
    opts: { forward?: boolean; filter?: ItemFilter; pageSize?: number } = {},
  ): AsyncGenerator<JobRow[]> {
    let start: PageKey | undefined;
    do {
      const page = await this.queryPage(p, range, {
        forward: opts.forward ?? true,
        ...(opts.pageSize !== undefined ? { limit: opts.pageSize } : {}),
        ...(opts.filter ? { filter: opts.filter } : {}),
        ...(start ? { start } : {}),
      });
      yield page.rows;
      start = page.next;
    } while (start);
  }

  /**
   * Rows of several partitions merged newest first by the partitions' sort key, fetched lazily:
   * a partition is read only when the merge needs its next row, and each page asks for that
   * partition's share of what is still wanted, so a `limit` costs little more than it returns.
   */
  async *newestFirst(
    partitions: Partition[],
    range: KeyRange,
    opts: { limit?: number; filter?: ItemFilter } = {},
  ): AsyncGenerator<JobRow> {
    interface Cursor {
      p: Partition;
      buf: JobRow[];
      at: number;
      next?: PageKey;
      done: boolean;
    }
    const cursors: Cursor[] = partitions.map((p) => ({ p, buf: [], at: 0, done: false }));
    const keyOf = (c: Cursor, row: JobRow) => (c.p.index === "byActivity" ? row.updatedKey : row.sortKey);
    let emitted = 0;
    let firstRound = true;
    while (opts.limit === undefined || emitted < opts.limit) {
      const empty = cursors.filter((c) => c.at >= c.buf.length && !c.done);
      if (empty.length > 0) {
        const remaining = opts.limit === undefined ? undefined : opts.limit - emitted;
        const active = cursors.filter((c) => !c.done).length;
        await Promise.all(
          empty.map(async (c) => {
            const page = await this.queryPage(c.p, range, {
              forward: false,
              limit: pageLimit(remaining, active, firstRound),
              ...(opts.filter ? { filter: opts.filter } : {}),
              ...(c.next ? { start: c.next } : {}),
            });
            c.buf = page.rows;
            c.at = 0;
            if (page.next) c.next = page.next;
            else {
              delete c.next;
              c.done = true;
            }
          }),
        );
        firstRound = false;
        continue;
      }
      let best: Cursor | undefined;
      for (const c of cursors) {
        if (c.at < c.buf.length && (!best || keyOf(c, c.buf[c.at]!) > keyOf(best, best.buf[best.at]!))) best = c;
      }
      if (!best) return;
      yield best.buf[best.at++]!;
      emitted++;
    }
  }

  /** One job, strongly consistent (what the record says right now). */
  async getJob(requestId: string): Promise<JobRow | undefined> {
    const res = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: jobKey(requestId), ConsistentRead: true }),
    );
    this.counts.requests++;
    if (!res.Item) return undefined;
    this.counts.items++;
    return readJobItem(res.Item as Record<string, unknown>);
  }

  /** Several jobs by id (missing ones are left out). */
  async getJobs(requestIds: string[]): Promise<JobRow[]> {
    const out: JobRow[] = [];
    const unique = [...new Set(requestIds)];
    for (let i = 0; i < unique.length; i += BATCH_GET_MAX) {
      let keys: Record<string, unknown>[] = unique.slice(i, i + BATCH_GET_MAX).map((id) => jobKey(id));
      for (let attempt = 0; keys.length > 0; attempt++) {
        if (attempt > UNPROCESSED_RETRIES)
          throw new Error(`DynamoDB left ${keys.length} keys unprocessed after ${UNPROCESSED_RETRIES} retries`);
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt) * Math.random()));
        const res = await this.doc.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys } } }));
        this.counts.requests++;
        for (const item of res.Responses?.[this.tableName] ?? []) {
          this.counts.items++;
          const row = readJobItem(item as Record<string, unknown>);
          if (row) out.push(row);
        }
        keys = (res.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<string, unknown>[];
      }
    }
    return out;
  }
}

export interface HistoryQuery {
  statuses?: readonly JobStatus[];
  sinceMs: number;
  untilMs: number;
  filters?: HistoryFilters;
  /** Undefined = every match. */
  limit?: number;
}

/** `aligner history`: jobs started in [since, until), newest first, from the byStatus index. */
export function queryHistory(reader: JobsReader, q: HistoryQuery): AsyncGenerator<JobRow> {
  const filter = historyFilter(q.filters ?? {});
  return reader.newestFirst(statusPartitions(q.statuses), startedRange(q.sinceMs, q.untilMs), {
    ...(q.limit !== undefined ? { limit: q.limit } : {}),
    ...(filter ? { filter } : {}),
  });
}
