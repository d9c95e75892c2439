/** A file's digest, streamed (layer zips and packages are tens of MiB). Hex. */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

export async function digestFile(file: string, algorithm: "sha256" | "sha512" = "sha256"): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
