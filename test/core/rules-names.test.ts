/** Rules of resource names (core/names.ts): derived from the prefix, valid for the service that holds them, one per resource. */
import { existsSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  FUNCTION_SOURCES,
  LAMBDA_ARCHITECTURE,
  LAMBDA_RUNTIME,
  resourceNames,
  STACK_OUTPUTS,
  type FunctionId,
} from "../../core/names.ts";

/** Every prefix ALIGNER_PREFIX accepts (core/config.ts: 3-25 lowercase letters, digits or dashes, starting with a letter). */
const prefixes = fc.stringMatching(/^[a-z][a-z0-9-]{2,24}$/);
const FUNCTIONS: FunctionId[] = ["aligner", "logProcessor"];

describe("resource names", () => {
  it("every name belongs to the prefix and no two resources share one", () => {
    fc.assert(
      fc.property(prefixes, (prefix) => {
        const n = resourceNames({ prefix });
        const all = [
          n.inputBucket,
          n.outputBucket,
          n.jobsTable,
          ...Object.values(n.functions),
          ...Object.values(n.failureQueues),
          n.mafftLayer,
          n.subscriptionFilter,
        ];
        expect(n.stack).toBe(prefix);
        for (const name of all) expect(name.startsWith(`${prefix}-`), name).toBe(true);
        expect(new Set(all).size).toBe(all.length);
        expect(new Set(Object.values(n.logGroups)).size).toBe(FUNCTIONS.length);
      }),
    );
  });

  it("two prefixes never name the same resource (two stacks side by side do not collide)", () => {
    fc.assert(
      fc.property(prefixes, prefixes, (a, b) => {
        fc.pre(a !== b);
        const [x, y] = [resourceNames({ prefix: a }), resourceNames({ prefix: b })];
        expect(x.jobsTable).not.toBe(y.jobsTable);
        expect(x.inputBucket).not.toBe(y.inputBucket);
        expect(x.functions.aligner).not.toBe(y.functions.aligner);
      }),
    );
  });

  it("a function's log group is Lambda's own: /aws/lambda/<function name>", () => {
    fc.assert(
      fc.property(prefixes, (prefix) => {
        const n = resourceNames({ prefix });
        for (const id of FUNCTIONS) expect(n.logGroups[id]).toBe(`/aws/lambda/${n.functions[id]}`);
      }),
    );
  });

  it("each function's failure queue is named after the function, and the function after its source", () => {
    fc.assert(
      fc.property(prefixes, (prefix) => {
        const n = resourceNames({ prefix });
        for (const id of FUNCTIONS) {
          expect(n.functions[id]).toBe(`${prefix}-${FUNCTION_SOURCES[id].suffix}`);
          expect(n.failureQueues[id].startsWith(n.functions[id])).toBe(true);
          expect(n.failureQueues[id]).toMatch(/failures$/);
        }
      }),
    );
  });

  it("the names fit their services: S3 buckets (and bucket prefixes, ≤ 37), DynamoDB tables, Lambda functions, SQS queues", () => {
    fc.assert(
      fc.property(prefixes, (prefix) => {
        const n = resourceNames({ prefix });
        for (const bucket of [n.inputBucket, n.outputBucket])
          expect(bucket).toMatch(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/);
        // Terraform's bucket_prefix: S3 appends a unique suffix to it; the local cloud uses the plain name.
        expect(n.inputBucketPrefix).toBe(`${n.inputBucket}-`);
        expect(n.outputBucketPrefix).toBe(`${n.outputBucket}-`);
        for (const p of [n.inputBucketPrefix, n.outputBucketPrefix]) expect(p.length).toBeLessThanOrEqual(37);
        expect(n.jobsTable).toMatch(/^[A-Za-z0-9_.-]{3,255}$/);
        for (const id of FUNCTIONS) {
          expect(n.functions[id]).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
          expect(n.failureQueues[id]).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
        }
        expect(n.inputBucket).not.toBe(n.outputBucket);
      }),
    );
  });
});

describe("function sources and runtime", () => {
  it("each function is bundled from a source file that exists, as index.mjs exporting handler", () => {
    for (const id of FUNCTIONS) {
      const { entry, handler } = FUNCTION_SOURCES[id];
      expect(existsSync(new URL(`../../${entry}`, import.meta.url)), entry).toBe(true);
      expect(readFileSync(new URL(`../../${entry}`, import.meta.url), "utf8")).toMatch(
        /export (async )?(function|const) handler\b/,
      );
      expect(handler).toBe("index.handler");
    }
    expect(new Set(FUNCTIONS.map((id) => FUNCTION_SOURCES[id].suffix)).size).toBe(FUNCTIONS.length);
    expect(FUNCTION_SOURCES.aligner.entry).toMatch(/aligner/);
    expect(FUNCTION_SOURCES.logProcessor.entry).toMatch(/log-processor/);
  });

  it("the Lambda runtime is a Node.js runtime no older than the Node the package supports", () => {
    const engines = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).engines.node;
    const floor = Number(/(\d+)/.exec(engines)![1]);
    const m = /^nodejs(\d+)\.x$/.exec(LAMBDA_RUNTIME);
    expect(m, LAMBDA_RUNTIME).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(floor);
  });

  it("the functions run on the architecture the MAFFT layer's Debian binaries are downloaded for (the building machine's)", () => {
    const lambdaArch: Record<string, string> = { x64: "x86_64", arm64: "arm64" };
    expect(LAMBDA_ARCHITECTURE).toBe(lambdaArch[process.arch]);
  });
});

describe("stack outputs", () => {
  it("each output is named as Terraform outputs are, the snake_case of its key, and no two share a name", () => {
    for (const [key, name] of Object.entries(STACK_OUTPUTS))
      expect(name).toBe(key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));
    expect(new Set(Object.values(STACK_OUTPUTS)).size).toBe(Object.keys(STACK_OUTPUTS).length);
  });
});
