/** A loopback HTTP server for the local cloud's own endpoints (CloudWatch Logs, SQS, the fault proxy). */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export class LoopbackServer {
  private server: Server | undefined;

  constructor(private readonly handle: (req: IncomingMessage, res: ServerResponse) => void) {}

  /** Starts listening (port 0 = any free port) and returns the endpoint URL. */
  async listen(port = 0, host = "127.0.0.1", opts: { keepAliveTimeoutMs?: number } = {}): Promise<string> {
    const server = createServer(this.handle);
    if (opts.keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = opts.keepAliveTimeoutMs;
    this.server = server;
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, host, () => resolve()));
    return `http://${host}:${(server.address() as AddressInfo).port}`;
  }

  /** Stops listening and drops open connections (SDK clients keep them alive). */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** The largest request body the local API endpoints read: far above any real request of theirs. */
export const MAX_REQUEST_BYTES = 1024 * 1024;

/** The body's chunks, or undefined (and the request left unread) once it grows past `max` bytes. */
export function readBody(req: IncomingMessage, max: number = MAX_REQUEST_BYTES): Promise<Buffer[] | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size <= max) return void chunks.push(c);
      req.off("data", onData).off("end", onEnd).pause();
      resolve(undefined);
    };
    const onEnd = () => resolve(chunks);
    req.on("data", onData).on("end", onEnd).on("error", reject);
  });
}

/** What can be wrong with a request before any operation sees it. */
export type EnvelopeProblem = "tooLarge" | "notThisService" | "badJson" | "notAnObject";

/** One local service over the AWS JSON protocol (`X-Amz-Target: <prefix><Operation>`, a JSON object body). */
export interface JsonProtocolService {
  targetPrefix: string;
  contentType: string;
  /** The operation's answer; throws the service's own errors. */
  call(operation: string, input: Record<string, unknown>): unknown;
  /** The service's error for a bad request envelope (thrown, then answered by `errorReply`). */
  envelopeError(problem: EnvelopeProblem): Error;
  /** The reply for anything `call` or `envelopeError` threw: status, body and extra headers. */
  errorReply(err: unknown): { status: number; body: unknown; headers?: Record<string, string> };
}

/**
 * The request handler of a JSON-protocol service: reads the body (refusing one over
 * MAX_REQUEST_BYTES unread, and closing that connection), checks the target header and the JSON,
 * calls the operation and answers with the request id every AWS answer carries.
 */
export function jsonProtocolHandler(
  service: JsonProtocolService,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const requestId = randomUUID();
    let tooLarge = false;
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      if (res.destroyed) return;
      const text = JSON.stringify(body);
      res.writeHead(status, {
        "content-type": service.contentType,
        "x-amzn-requestid": requestId,
        "content-length": Buffer.byteLength(text),
        ...headers,
        // The rest of an oversized body is never read: the connection cannot carry another request.
        ...(tooLarge ? { connection: "close" } : {}),
      });
      res.end(text);
    };
    try {
      const chunks = await readBody(req);
      if (chunks === undefined) {
        tooLarge = true;
        throw service.envelopeError("tooLarge");
      }
      const target = String(req.headers["x-amz-target"] ?? "");
      if (req.method !== "POST" || !target.startsWith(service.targetPrefix))
        throw service.envelopeError("notThisService");
      let input: unknown;
      try {
        input = chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : {};
      } catch {
        throw service.envelopeError("badJson");
      }
      if (typeof input !== "object" || input === null || Array.isArray(input))
        throw service.envelopeError("notAnObject");
      reply(200, await service.call(target.slice(service.targetPrefix.length), input as Record<string, unknown>));
    } catch (err) {
      const r = service.errorReply(err);
      reply(r.status, r.body, r.headers);
    }
  };
}
