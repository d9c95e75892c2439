/**
 * Fault injection on the functions' DynamoDB path: the functions of the local cloud reach dynalite
 * through this HTTP proxy, which passes every request through unless a fault is armed. An armed
 * fault answers the way DynamoDB does when it throttles or fails
 * (`ProvisionedThroughputExceededException`, `ThrottlingException` — HTTP 400 — or
 * `InternalServerError` — HTTP 500 — in the JSON protocol's error shape), so the SDK inside the
 * function retries exactly as it would in AWS. Tests also watch requests go by (to kill a
 * function in the middle of its writes). The CLI and other clients talk to dynalite directly.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";

export type DynamoFaultType = "ProvisionedThroughputExceededException" | "ThrottlingException" | "InternalServerError";

export interface DynamoFault {
  /** Operation to fail (`UpdateItem`, `BatchGetItem`, ...); all when absent. */
  operation?: string;
  /** How many matching requests fail before the fault disarms itself. */
  count: number;
  error: DynamoFaultType;
}

export interface DynamoRequestInfo {
  operation: string;
  /** True when an armed fault answered instead of dynalite. */
  failed: boolean;
}

const MESSAGES: Record<DynamoFaultType, string> = {
  ProvisionedThroughputExceededException: "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.",
  ThrottlingException: "Rate of requests exceeds the allowed throughput.",
  InternalServerError: "Internal server error",
};

export class DynamoFaultProxy {
  private server: Server | undefined;
  private readonly faults: DynamoFault[] = [];
  private readonly watchers = new Set<(r: DynamoRequestInfo) => void>();
  /** Requests answered with an injected fault so far. */
  injected = 0;

  constructor(private readonly target: string) {}

  /** Arms a fault; returns a function that disarms it. */
  inject(fault: DynamoFault): () => void {
    const f = { ...fault };
    this.faults.push(f);
    return () => {
      const i = this.faults.indexOf(f);
      if (i >= 0) this.faults.splice(i, 1);
    };
  }

  /** Calls `watch` for every request, after deciding its fate and before answering it. */
  onRequest(watch: (r: DynamoRequestInfo) => void): () => void {
    this.watchers.add(watch);
    return () => this.watchers.delete(watch);
  }

  async listen(port = 0, host = "127.0.0.1"): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, host, () => resolve()));
    return `http://${host}:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const operation = String(req.headers["x-amz-target"] ?? "").split(".").pop() ?? "";
    const fault = this.faults.find((f) => f.count > 0 && (f.operation === undefined || f.operation === operation));
    for (const w of this.watchers) w({ operation, failed: !!fault });
    if (fault) {
      fault.count--;
      if (fault.count <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
      this.injected++;
      const text = JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${fault.error}`, message: MESSAGES[fault.error] });
      res.writeHead(fault.error === "InternalServerError" ? 500 : 400, {
        "content-type": "application/x-amz-json-1.0",
        "x-amzn-requestid": randomUUID(),
        "content-length": Buffer.byteLength(text),
      });
      res.end(text);
      return;
    }
    const url = new URL(req.url ?? "/", this.target);
    const upstream = httpRequest(url, { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on("error", (err) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end(`dynalite unreachable: ${err.message}`);
    });
    upstream.end(body);
  }
}
