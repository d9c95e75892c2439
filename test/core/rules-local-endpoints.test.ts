/** Rules of `.aligner/local.json` (core/local-endpoints.ts): a damaged file is refused at the door. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import {
  isLocalEndpoints,
  LOCAL_ENDPOINTS_FILE,
  LOCAL_STATE_DIR,
  type LocalEndpoints,
} from "../../core/local-endpoints.ts";
import { targetFromLocalEndpoints } from "../../core/target.ts";

const whole: LocalEndpoints = {
  version: 1,
  pid: 4242,
  startedAt: "2026-11-24T10:00:00.000Z",
  region: "us-east-1",
  credentials: { accessKeyId: "local", secretAccessKey: "local" },
  endpoints: {
    s3: "http://127.0.0.1:4569",
    dynamodb: "http://127.0.0.1:4567",
    logs: "http://127.0.0.1:4570",
    sqs: "http://127.0.0.1:4571",
  },
  resources: {
    inputBucket: "lambda-aligner-input",
    outputBucket: "lambda-aligner-output",
    jobsTable: "lambda-aligner-jobs",
    alignerFunction: "lambda-aligner-aligner",
    logProcessorFunction: "lambda-aligner-log-processor",
    alignerLogGroup: "/aws/lambda/lambda-aligner-aligner",
    logProcessorLogGroup: "/aws/lambda/lambda-aligner-log-processor",
  },
  failureStore: ".aligner/failures",
  failureQueues: { aligner: "lambda-aligner-aligner-failures", logProcessor: "lambda-aligner-log-processor-failures" },
};

/** Every leaf of the file as a path of keys. */
function leaves(value: unknown, at: string[] = []): string[][] {
  if (typeof value !== "object" || value === null) return [at];
  return Object.entries(value).flatMap(([k, v]) => leaves(v, [...at, k]));
}

function withLeaf(path: string[], replace: (old: unknown) => unknown | typeof REMOVE): unknown {
  const copy = structuredClone(whole) as unknown as Record<string, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = path.at(-1)!;
  const next = replace(node[last]);
  if (next === REMOVE) delete node[last];
  else node[last] = next;
  return copy;
}
const REMOVE = Symbol("remove");

const LEAVES = leaves(whole);
/** A value of another JSON type than `old`. */
const otherType = (old: unknown) =>
  fc.constantFrom<unknown>(null, 7, "7", true, [], {}).filter((v) => typeof v !== typeof old || v === null);

describe("the local cloud's endpoints file", () => {
  it("a file with every field the commands use is accepted", () => {
    expect(isLocalEndpoints(whole)).toBe(true);
    expect(isLocalEndpoints(JSON.parse(JSON.stringify(whole)))).toBe(true);
    expect(LEAVES.length).toBe(20);
  });

  it("a file missing any one field is refused", () => {
    for (const path of LEAVES) expect(isLocalEndpoints(withLeaf(path, () => REMOVE)), path.join(".")).toBe(false);
    for (const group of ["credentials", "endpoints", "resources", "failureQueues"])
      expect(isLocalEndpoints(withLeaf([group], () => REMOVE)), group).toBe(false);
  });

  it("a file with any one field of the wrong type is refused", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...LEAVES).chain((path) => fc.tuple(fc.constant(path), otherType(valueAt(path)))),
        ([path, value]) => {
          expect(isLocalEndpoints(withLeaf(path, () => value))).toBe(false);
        },
      ),
    );
    for (const group of ["credentials", "endpoints", "resources", "failureQueues"])
      for (const value of ["text", null, 7, []])
        expect(isLocalEndpoints(withLeaf([group], () => value)), group).toBe(false);
  });

  it("a file of another version, or no object at all, is refused", () => {
    for (const version of [0, 2, "1", undefined])
      expect(isLocalEndpoints(withLeaf(["version"], () => version ?? REMOVE))).toBe(false);
    for (const value of [null, undefined, "local.json", 1, [], [whole]]) expect(isLocalEndpoints(value)).toBe(false);
  });
});

function valueAt(path: string[]): unknown {
  let node: unknown = whole;
  for (const key of path) node = (node as Record<string, unknown>)[key];
  return node;
}

describe("where the file is", () => {
  it("the local cloud's state folder is one git ignores, and a local target names the file it came from", () => {
    const ignored = readFileSync(new URL("../../.gitignore", import.meta.url), "utf8").split("\n");
    expect(ignored).toContain(`${LOCAL_STATE_DIR}/`);
    expect(LOCAL_ENDPOINTS_FILE).toMatch(/^[\w.-]+\.json$/);
    expect(targetFromLocalEndpoints(whole).source).toBe(
      `local cloud (${LOCAL_STATE_DIR}/${LOCAL_ENDPOINTS_FILE}, pid 4242)`,
    );
  });
});
