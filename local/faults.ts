/**
 * Fault injection on the functions' paths to storage: the Lambda environments of the local cloud
 * reach dynalite and s3rver through these HTTP proxies (the CLI and other clients talk to the
 * servers directly). A proxy passes every request through unless a fault is armed:
 *
 * - `inject` (DynamoDB): answers as DynamoDB does when it throttles or fails —
 *   `ProvisionedThroughputExceededException` or `ThrottlingException` (HTTP 400) or
 *   `InternalServerError` (HTTP 500), in the JSON protocol's error shape — so the SDK inside the
 *   function retries exactly as it would in AWS.
 * - `stall` (any): holds matching requests for a while before passing them on, the way a request
 *   hangs on a bad network path (a function waiting on it runs into its timeout).
 *
 * Tests also watch requests go by (to kill a function in the middle of its writes).
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { LoopbackServer } from "./http-server.ts";
import { randomUUID } from "node:crypto";

export type DynamoFaultType = "ProvisionedThroughputExceededException" | "ThrottlingException" | "InternalServerError";

export interface DynamoFault {
  /** Operation to fail (`UpdateItem`, `BatchGetItem`, ...); all when absent. */
  operation?: string;
  /** How many matching requests fail before the fault disarms itself. */
  count: number;
  error: DynamoFaultType;
}

export interface Stall {
  /** HTTP method to match (`GET`, `PUT`, ...); all when absent. */
  method?: string;
  /** Request path prefix to match (for s3rver: `/<bucket>/<key>`, URL-encoded as sent); all when absent. */
  pathPrefix?: string;
  /** How many matching requests stall before the rule disarms itself (default: unlimited). */
  count?: number;
  ms: number;
}

interface ArmedStall extends Stall {
  /** Releases each request this stall holds now. */
  held: Set<() => void>;
}

export interface RequestInfo {
  method: string;
  path: string;
  /** DynamoDB operation (`UpdateItem`, ...) from X-Amz-Target; "" for S3. */
  operation: string;
  /** True when an armed fault answered instead of the server. */
  failed: boolean;
}

const MESSAGES: Record<DynamoFaultType, string> = {
  ProvisionedThroughputExceededException:
    "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.",
  ThrottlingException: "Rate of requests exceeds the allowed throughput.",
  InternalServerError: "Internal server error",
};

export class FaultProxy {
  private readonly http = new LoopbackServer((req, res) => void this.handle(req, res));
  private readonly faults: DynamoFault[] = [];
  private readonly stalls: ArmedStall[] = [];
  private readonly watchers = new Set<(r: RequestInfo) => void>();
  /** Requests answered with an injected fault so far. */
  injected = 0;
  /** Requests held by a stall so far. */
  stalled = 0;

  constructor(private readonly target: string) {}

  /** Arms a DynamoDB error; returns a function that disarms it. */
  inject(fault: DynamoFault): () => void {
    const f = { ...fault };
    this.faults.push(f);
    return () => remove(this.faults, f);
  }

  /** Arms a stall; returns a function that disarms it and lets the requests it holds go on at once. */
  stall(rule: Stall): () => void {
    const s: ArmedStall = { ...rule, held: new Set() };
    this.stalls.push(s);
    return () => {
      remove(this.stalls, s);
      for (const release of s.held) release();
    };
  }

  /** Calls `watch` for every request, after deciding its fate and before answering it. */
  onRequest(watch: (r: RequestInfo) => void): () => void {
    this.watchers.add(watch);
    return () => this.watchers.delete(watch);
  }

  listen(port = 0, host = "127.0.0.1"): Promise<string> {
    return this.http.listen(port, host);
  }

  close(): Promise<void> {
    return this.http.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    const reqPath = req.url ?? "/";
    const operation =
      String(req.headers["x-amz-target"] ?? "")
        .split(".")
        .pop() ?? "";
    const chunks: Buffer[] = [];
    try {
      for await (const c of req) chunks.push(c as Buffer);
    } catch {
      return; // the caller went away
    }
    const body = Buffer.concat(chunks);
    const fault = this.faults.find((f) => f.count > 0 && (f.operation === undefined || f.operation === operation));
    for (const w of this.watchers) w({ method, path: reqPath, operation, failed: !!fault });
    if (fault) {
      if (--fault.count <= 0) remove(this.faults, fault);
      this.injected++;
      const text = JSON.stringify({
        __type: `com.amazonaws.dynamodb.v20120810#${fault.error}`,
        message: MESSAGES[fault.error],
      });
      res.writeHead(fault.error === "InternalServerError" ? 500 : 400, {
        "content-type": "application/x-amz-json-1.0",
        "x-amzn-requestid": randomUUID(),
        "content-length": Buffer.byteLength(text),
      });
      res.end(text);
      return;
    }
    const stall = this.stalls.find(
      (s) =>
        (s.method === undefined || s.method === method) &&
        (s.pathPrefix === undefined || reqPath.startsWith(s.pathPrefix)),
    );
    if (stall) {
      if (stall.count !== undefined && --stall.count <= 0) remove(this.stalls, stall);
      this.stalled++;
      const gone = await new Promise<boolean>((resolve) => {
        const release = () => {
          clearTimeout(t);
          stall.held.delete(release);
          resolve(false);
        };
        const t = setTimeout(release, stall.ms);
        stall.held.add(release);
        res.once("close", () => {
          clearTimeout(t);
          stall.held.delete(release);
          resolve(true);
        });
      });
      if (gone) return;
    }
    const upstream = httpRequest(new URL(reqPath, this.target), { method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on("error", (err) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end(`upstream unreachable: ${err.message}`);
    });
    upstream.end(body);
  }
}

function remove<T>(list: T[], item: T): void {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
}
