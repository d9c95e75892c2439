/**
 * A raw HTTP POST to a local endpoint, for what the SDK never sends (bad JSON, foreign targets,
 * oversized bodies). A connection the server closed before answering gives status 0.
 */
import { request } from "node:http";

export interface RawResponse {
  status: number;
  headers: Record<string, unknown>;
  body: string;
}

export function rawPost(
  url: string,
  body: string | Buffer,
  headers: Record<string, string>,
  contentType = "application/x-amz-json-1.0",
): Promise<RawResponse> {
  return new Promise((resolve) => {
    const req = request(
      url,
      { method: "POST", headers: { "content-type": contentType, ...headers }, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res
          .on("data", (c: Buffer) => chunks.push(c))
          .on("end", () =>
            resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }),
          );
      },
    );
    req.on("error", () => resolve({ status: 0, headers: {}, body: "" }));
    req.end(body);
  });
}
