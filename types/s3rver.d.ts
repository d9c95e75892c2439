// s3rver ships no types; this is the part of its API the project uses (tests, benchmarks, local cloud).
declare module "s3rver" {
  import type { EventEmitter } from "node:events";
  import type { AddressInfo } from "node:net";
  interface S3rverOptions {
    address?: string;
    /** 0 picks a free port. */
    port?: number;
    silent?: boolean;
    /** Data directory (default: <tmpdir>/s3rver). */
    directory?: string;
    resetOnClose?: boolean;
    allowMismatchedSignatures?: boolean;
    vhostBuckets?: boolean;
    serviceEndpoint?: string;
    configureBuckets?: { name: string; configs?: (string | Buffer)[] }[];
  }
  /** The S3 notification-shaped event s3rver emits for each write (its key is NOT URL-encoded). */
  interface S3rverEvent {
    Records: {
      eventName: string;
      eventSource?: string;
      s3: { bucket: { name: string }; object: { key: string; size?: number; eTag?: string; versionId?: string } };
    }[];
  }
  class S3rver extends EventEmitter {
    constructor(options?: S3rverOptions);
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
    reset(): void;
    on(event: "event", listener: (event: S3rverEvent) => void): this;
    /** The Koa request handler `run()` serves (the local cloud wraps it). */
    callback(): (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => unknown;
    /** The file-system store: where each object and its MD5 live. */
    store: { getResourcePath(bucket: string, key: string, resource: string): string };
  }
  export default S3rver;
}
