/**
 * A proxy in front of the local S3 that answers chosen requests with an S3 error as S3 writes it
 * (status, XML body with Code and Message), and passes every other request through. For the
 * answers s3rver cannot give: a deleted object version (NoSuchVersion), or the AccessDenied that
 * S3 gives for a missing key when the caller may not list where it was.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";

export interface S3ErrorAnswer {
  status: number;
  code: string;
  message: string;
}

/** Decides, per request, whether to answer with an error (undefined = pass it on). */
export type S3ErrorRule = (req: { method: string; url: URL }) => S3ErrorAnswer | undefined;

export const NO_SUCH_VERSION: S3ErrorAnswer = {
  status: 404,
  code: "NoSuchVersion",
  message: "The specified version does not exist.",
};
export const ACCESS_DENIED: S3ErrorAnswer = { status: 403, code: "AccessDenied", message: "Access Denied" };

export interface S3ErrorProxy {
  endpoint: string;
  /** Requests answered with an error so far. */
  answered: { method: string; path: string; code: string }[];
  close(): Promise<void>;
}

export async function startS3ErrorProxy(target: string, rule: S3ErrorRule): Promise<S3ErrorProxy> {
  const answered: S3ErrorProxy["answered"] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? "GET";
    const url = new URL(req.url ?? "/", "http://proxy");
    const answer = rule({ method, url });
    if (answer !== undefined) {
      req.resume();
      answered.push({ method, path: url.pathname, code: answer.code });
      const requestId = randomUUID();
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${answer.code}</Code><Message>${answer.message}</Message><RequestId>${requestId}</RequestId><HostId>local</HostId></Error>`;
      res.writeHead(answer.status, {
        "content-type": "application/xml",
        "x-amz-request-id": requestId,
        "content-length": method === "HEAD" ? 0 : Buffer.byteLength(body),
      });
      res.end(method === "HEAD" ? undefined : body);
      return;
    }
    const upstream = httpRequest(new URL(req.url ?? "/", target), { method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    answered,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
