/** A loopback HTTP server for the local cloud's own endpoints (CloudWatch Logs, the fault proxy). */
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
