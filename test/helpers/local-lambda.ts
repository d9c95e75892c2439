/**
 * Local Lambda execution environments without the rest of the local cloud: the real runtime
 * (bundled once per test file), an in-memory CloudWatch Logs store, and functions from
 * test/local/fixtures. For tests of local/lambda/.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { LogFormat } from "../../core/config.ts";
import { parseLogEvent } from "../../core/logs/parse.ts";
import type { LogRecord } from "../../core/logs/records.ts";
import type { EnvironmentHost, FunctionDefinition } from "../../local/lambda/environment.ts";
import { ProcessTreeSampler } from "../../local/lambda/memory.ts";
import { bundleRuntime, localRuntimeVersion } from "../../local/lambda/runtime-bundle.ts";
import { LogStore, type StoredEvent } from "../../local/logs/store.ts";

export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "local", "fixtures");

export interface LambdaBench {
  host: EnvironmentHost;
  logs: LogStore;
  dir: string;
  fn(
    handler: string,
    opts?: Partial<FunctionDefinition> & { code?: "functions" | "broken" | "hanging-init" },
  ): FunctionDefinition;
  /** Events of one stream, in stream order. */
  events(stream: string, group?: string): StoredEvent[];
  close(): void;
}

export function lambdaBench(opts: { sampleMs?: number } = {}): LambdaBench {
  const dir = mkdtempSync(path.join(tmpdir(), "local-lambda-"));
  const logs = new LogStore(undefined);
  const sampler = new ProcessTreeSampler(opts.sampleMs ?? 25);
  const host: EnvironmentHost = {
    runtimeEntry: bundleRuntime(path.join(dir, "runtime")),
    logs,
    sampler,
    scratchRoot: path.join(dir, "scratch"),
    runtimeVersion: localRuntimeVersion("us-east-1"),
    baseEnvironment: { PATH: process.env["PATH"] ?? "/usr/bin:/bin" },
  };
  return {
    host,
    logs,
    dir,
    fn(handler, o = {}) {
      const { code, ...rest } = o;
      return {
        functionName: "fixture",
        logGroup: "/aws/lambda/fixture",
        codeDir: path.join(FIXTURES, code ?? "functions"),
        handler: `index.${handler}`,
        memoryMb: 512,
        timeoutSeconds: 10,
        logFormat: "Text" as LogFormat,
        environment: {},
        region: "us-east-1",
        accountId: "000000000000",
        runtime: "nodejs22.x",
        ...rest,
      };
    },
    events(stream, group = "/aws/lambda/fixture") {
      return logs.group(group)?.streams.get(stream)?.events ?? [];
    },
    close() {
      sampler.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const parsed = (events: StoredEvent[]): LogRecord[] => events.map((e) => parseLogEvent(e.message));
