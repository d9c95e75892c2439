/** A loopback HTTP server for the local cloud's own endpoints (CloudWatch Logs, SQS, the fault proxy). */
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
