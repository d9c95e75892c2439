/**
 * What the live view reads through — the target's clients, the jobs reader, the activity feed —
 * and how it follows a target that moves. A local cloud that restarts listens on new ports and
 * says so in its endpoints file (.aligner/local.json); when a read fails, the connection asks
 * `locate()` where the target is now, and if that names another cloud it makes new clients
 * (destroying the old), carries the activity feed on from its cursor (the table's data is kept
 * across a restart), tries the read once more there, and the next successful read brings a
 * one-line notice (LiveRead.notice) for the status line or stderr.
 *
 *   const conn = new WatchConnection(target, { settleMs, locate: () => whereTheCloudIsNow() });
 *   const live = new LiveJobs(conn.source(describeError), { ..., now: () => conn.now() });
 */
import { JobsReader } from "../aws/dynamo/jobs-reader.ts";
import { ActivityFeed } from "../aws/dynamo/activity-feed.ts";
import { serverClock, type Clock } from "../aws/dynamo/server-clock.ts";
import { clientsFor, type TargetClients } from "../aws/target-clients.ts";
import { requireResource, type Target } from "../core/target.ts";
import type { LiveRead, LiveSource } from "./live-jobs.ts";

interface Connection {
  target: Target;
  clients: TargetClients;
  reader: JobsReader;
  feed: ActivityFeed;
  clock: Clock;
}

export interface WatchConnectionOptions {
  settleMs: number;
  /** Where the target is now (undefined: nowhere that answers); without it the target never moves. */
  locate?: () => Target | undefined;
}

export class WatchConnection {
  private conn: Connection;
  private notice: string | undefined;

  constructor(
    target: Target,
    private readonly opts: WatchConnectionOptions,
  ) {
    this.conn = this.open(target);
  }

  get target(): Target {
    return this.conn.target;
  }

  /** The current clients (new ones after a move: take them at each use, do not keep them). */
  get clients(): TargetClients {
    return this.conn.clients;
  }

  /** The server's clock as the current table's responses tell it. */
  now(): number {
    return this.conn.clock.now();
  }

  /** The live view's data source over this connection. */
  source(describeError: (err: unknown) => string): LiveSource {
    return {
      load: async (sinceMs, maxJobs) => this.withNotice(await this.attempt((c) => c.feed.load(sinceMs, maxJobs))),
      changes: async () => this.withNotice(await this.attempt((c) => c.feed.changes())),
      reread: (ids) => this.attempt((c) => c.reader.getJobs(ids)),
      describeError,
    };
  }

  /**
   * Asks where the target is; when it is somewhere else that answers, moves there. True when it
   * moved. Cheap (a file read for a local cloud): called on every failed read and while retrying.
   */
  follow(): boolean {
    const now = this.opts.locate?.();
    if (now === undefined || sameEndpoints(now, this.conn.target)) return false;
    const old = this.conn;
    this.conn = this.open(now, old.feed.cursor);
    old.clients.destroy();
    this.notice = `${describeMove(old.target, now)}; reading from it again`;
    return true;
  }

  destroy(): void {
    this.conn.clients.destroy();
  }

  private open(target: Target, resumeFrom?: number): Connection {
    const clients = clientsFor(target);
    const dynamo = clients.dynamo();
    const clock = serverClock(dynamo);
    const reader = new JobsReader(dynamo, requireResource(target, "jobsTable"));
    const feed = new ActivityFeed(reader, {
      settleMs: this.opts.settleMs,
      clock,
      ...(resumeFrom !== undefined ? { resumeFrom } : {}),
    });
    return { target, clients, reader, feed, clock };
  }

  /** Runs a read; if it fails and the target has moved (now, or meanwhile), runs it once more there. */
  private async attempt<T>(read: (c: Connection) => Promise<T>): Promise<T> {
    const used = this.conn;
    try {
      return await read(used);
    } catch (err) {
      if (used === this.conn && !this.follow()) throw err;
      return await read(this.conn);
    }
  }

  private withNotice(read: LiveRead): LiveRead {
    const notice = this.notice;
    if (notice === undefined) return read;
    this.notice = undefined;
    return { ...read, notice };
  }
}

/** Same process and endpoints: nothing to move to. */
function sameEndpoints(a: Target, b: Target): boolean {
  if (a.kind !== b.kind || a.region !== b.region) return false;
  if (!a.local || !b.local) return a.local === b.local;
  const ea = a.local.endpoints;
  const eb = b.local.endpoints;
  return a.local.pid === b.local.pid && ea.dynamodb === eb.dynamodb && ea.logs === eb.logs && ea.s3 === eb.s3;
}

function describeMove(from: Target, to: Target): string {
  if (to.local)
    return `the local cloud ${from.local?.pid === to.local.pid ? "moved" : "restarted"} (pid ${to.local.pid}, DynamoDB at ${to.local.endpoints.dynamodb})`;
  return `reading ${to.source} now`;
}
