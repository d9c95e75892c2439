/** Rules of choosing a deployment's names (core/target.ts): which source wins, queue URLs, the region, what is said when a name is missing. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { resourceNames, STACK_OUTPUTS } from "../../core/names.ts";
import {
  awsTarget,
  describeTarget,
  FAILURE_QUEUE_RESOURCE,
  readStackOutputs,
  requireResolved,
  requireResource,
  RESOURCE_LABELS,
  TARGET_ENV,
  TargetError,
  targetFromLocalEndpoints,
  type ResourceKey,
} from "../../core/target.ts";
import type { LocalEndpoints } from "../../core/local-endpoints.ts";

const config = { prefix: "lambda-aligner", region: "us-east-1" };
const KEYS = Object.keys(RESOURCE_LABELS) as ResourceKey[];
const OUTPUT_NAME: Record<ResourceKey, string> = {
  jobsTable: STACK_OUTPUTS.jobsTable,
  inputBucket: STACK_OUTPUTS.inputBucket,
  outputBucket: STACK_OUTPUTS.outputBucket,
  alignerLogGroup: STACK_OUTPUTS.alignerLogGroup,
  alignerFailureQueue: STACK_OUTPUTS.alignerFailureQueueUrl,
  logProcessorFailureQueue: STACK_OUTPUTS.logProcessorFailureQueueUrl,
};
const isQueue = (k: ResourceKey) => Object.values(FAILURE_QUEUE_RESOURCE).includes(k);
const value = (k: ResourceKey, source: string) =>
  isQueue(k) ? `https://sqs.eu-west-1.amazonaws.com/123456789012/${source}-${k}` : `${source}-${k}`;
const nameOf = (k: ResourceKey, source: string) => (isQueue(k) ? `${source}-${k}` : `${source}-${k}`);

/** For each resource, which of the three sources give it. */
const presence = fc.record(
  Object.fromEntries(
    KEYS.map((k) => [k, fc.record({ explicit: fc.boolean(), env: fc.boolean(), discovered: fc.boolean() })]),
  ) as Record<ResourceKey, fc.Arbitrary<{ explicit: boolean; env: boolean; discovered: boolean }>>,
);

describe("where a name comes from", () => {
  it("--outputs beats the environment, which beats a found outputs.json, which beats the prefix (for the names the stack does not randomise)", () => {
    const defaults = resourceNames(config);
    const fromPrefix: Partial<Record<ResourceKey, string>> = {
      jobsTable: defaults.jobsTable,
      alignerLogGroup: defaults.logGroups.aligner,
      alignerFailureQueue: defaults.failureQueues.aligner,
      logProcessorFailureQueue: defaults.failureQueues.logProcessor,
    };
    fc.assert(
      fc.property(presence, fc.constantFrom("flat", "stack", "terraform"), (has, shape) => {
        const file = (source: "explicit" | "discovered") => {
          const flat = Object.fromEntries(
            KEYS.filter((k) => has[k][source]).map((k) => [OUTPUT_NAME[k], value(k, source)]),
          );
          if (shape === "flat") return flat;
          if (shape === "stack") return { [config.prefix]: { ...flat, region: "eu-west-1" } };
          return Object.fromEntries(
            Object.entries(flat).map(([n, v]) => [n, { value: v, type: "string", sensitive: false }]),
          );
        };
        const env = Object.fromEntries(KEYS.filter((k) => has[k].env).map((k) => [TARGET_ENV[k], value(k, "env")]));
        const anyExplicit = KEYS.some((k) => has[k].explicit);
        const anyDiscovered = KEYS.some((k) => has[k].discovered);
        const t = awsTarget({
          config,
          env,
          ...(anyExplicit ? { explicitOutputs: { path: "mine.json", content: file("explicit") } } : {}),
          ...(anyDiscovered ? { discoveredOutputs: { path: "outputs.json", content: file("discovered") } } : {}),
        });
        for (const k of KEYS) {
          const r = t.resources[k];
          const winner = has[k].explicit
            ? "explicit"
            : has[k].env
              ? "env"
              : has[k].discovered
                ? "discovered"
                : undefined;
          if (winner === undefined) {
            if (fromPrefix[k] === undefined) expect(r, k).toBeUndefined();
            else expect(r, k).toEqual({ name: fromPrefix[k], from: `prefix ${config.prefix}` });
            continue;
          }
          const from = winner === "explicit" ? "mine.json" : winner === "env" ? TARGET_ENV[k] : "outputs.json";
          expect(r, k).toEqual({ name: nameOf(k, winner), from, ...(isQueue(k) ? { url: value(k, winner) } : {}) });
        }
      }),
      { numRuns: 200 },
    );
  });

  it("a queue given as anything but an SQS queue URL is refused, naming where it came from", () => {
    for (const bad of [
      "lambda-aligner-aligner-failures",
      "https://sqs.us-east-1.amazonaws.com/q",
      "https://h/a/b/c",
      "::",
    ])
      expect(() => awsTarget({ config, env: { [TARGET_ENV.alignerFailureQueue]: bad } })).toThrow(
        new TargetError(
          `${TARGET_ENV.alignerFailureQueue} does not hold an SQS queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME): ${JSON.stringify(bad)}`,
        ),
      );
  });

  it("a damaged outputs file is refused with its path first", () => {
    expect(() => awsTarget({ config, env: {}, explicitOutputs: { path: "x.json", content: [] } })).toThrow(
      new TargetError("x.json is not a JSON object of stack outputs"),
    );
    expect(() =>
      awsTarget({ config, env: {}, discoveredOutputs: { path: "outputs.json", content: { other: 1 } } }),
    ).toThrow(/^outputs\.json holds none of the stack's outputs \(/);
  });
});

describe("stack outputs files", () => {
  it("a file of several stacks is read for the one named after the prefix; with none of that name it says which it holds", () => {
    const stack = (bucket: string) => ({ [STACK_OUTPUTS.inputBucket]: bucket });
    expect(readStackOutputs({ a: stack("x"), "lambda-aligner": stack("y") }, "lambda-aligner")).toEqual({
      inputBucket: "y",
    });
    expect(readStackOutputs({ only: stack("z") }, "lambda-aligner")).toEqual({ inputBucket: "z" });
    expect(() => readStackOutputs({ a: stack("x"), b: stack("y") }, "lambda-aligner")).toThrow(
      new TargetError(
        "holds several stacks (a, b) and none is named lambda-aligner; set ALIGNER_PREFIX to the one you mean",
      ),
    );
    expect(() => readStackOutputs({ a: 1, b: null }, "s")).toThrow(/^holds none of the stack's outputs/);
    for (const bad of [null, "x", 1, []]) expect(() => readStackOutputs(bad, "s")).toThrow(TargetError);
  });

  it("empty and non-string values are no value", () => {
    expect(
      readStackOutputs(
        {
          [STACK_OUTPUTS.inputBucket]: "",
          [STACK_OUTPUTS.jobsTable]: 7,
          [STACK_OUTPUTS.region]: { value: "eu-west-1" },
          [STACK_OUTPUTS.outputBucket]: { value: null },
        },
        "s",
      ),
    ).toEqual({ region: "eu-west-1" });
  });
});

describe("the region", () => {
  it("--region, then --outputs' region, then the environment, then a found outputs.json, then the configured default", () => {
    const outputs = (region: string) => ({
      path: `${region}.json`,
      content: { [STACK_OUTPUTS.region]: region, [STACK_OUTPUTS.jobsTable]: "t" },
    });
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom(undefined, "ALIGNER_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"),
        fc.boolean(),
        (flag, explicit, envName, discovered) => {
          const t = awsTarget({
            config: { ...config, region: envName ? "env-region" : config.region },
            env: envName ? { [envName]: "env-region" } : {},
            ...(flag ? { explicitRegion: "flag-region" } : {}),
            ...(explicit ? { explicitOutputs: outputs("explicit-region") } : {}),
            ...(discovered ? { discoveredOutputs: outputs("found-region") } : {}),
          });
          const expected = flag
            ? "flag-region"
            : explicit
              ? "explicit-region"
              : envName
                ? "env-region"
                : discovered
                  ? "found-region"
                  : "us-east-1";
          expect(t.region).toBe(expected);
          expect(t.source.startsWith(`AWS ${expected}`)).toBe(true);
        },
      ),
    );
  });

  it("the target says the profile and the file the names came from", () => {
    expect(awsTarget({ config, env: { AWS_PROFILE: "lab" } }).source).toBe("AWS us-east-1, profile lab");
    expect(
      awsTarget({
        config,
        env: {},
        discoveredOutputs: { path: "outputs.json", content: { [STACK_OUTPUTS.jobsTable]: "t" } },
      }).source,
    ).toBe("AWS us-east-1, names from outputs.json");
    expect(awsTarget({ config, env: {} }).source).toBe("AWS us-east-1");
  });
});

const local: LocalEndpoints = {
  version: 1,
  pid: 7,
  startedAt: "2026-11-24T10:00:00.000Z",
  region: "us-east-1",
  credentials: { accessKeyId: "a", secretAccessKey: "s" },
  endpoints: { s3: "http://s3", dynamodb: "http://ddb", logs: "http://logs", sqs: "http://sqs" },
  resources: {
    inputBucket: "in",
    outputBucket: "out",
    jobsTable: "jobs",
    alignerFunction: "fn",
    logProcessorFunction: "lp",
    alignerLogGroup: "/aws/lambda/fn",
    logProcessorLogGroup: "/aws/lambda/lp",
  },
  failureStore: ".aligner/failures",
  failureQueues: { aligner: "fn-failures", logProcessor: "lp-failures" },
};

describe("missing names and what the target shows", () => {
  it("a missing name says how to give it: for AWS the flag or variable, for the local cloud a restart", () => {
    for (const k of KEYS) {
      const t = awsTarget({ config: { prefix: "p-x", region: "us-east-1" }, env: {} });
      if (t.resources[k]) continue;
      expect(() => requireResource(t, k)).toThrow(
        new TargetError(
          `the ${RESOURCE_LABELS[k]} is not known: pass --outputs FILE (written by cdktf deploy --outputs-file FILE) or set ${TARGET_ENV[k]}, or use --local for the local cloud`,
        ),
      );
    }
    const l = targetFromLocalEndpoints(local, "f.json");
    delete l.resources.inputBucket;
    expect(() => requireResolved(l, "inputBucket")).toThrow(
      new TargetError(
        "the local cloud's input bucket is not named in local cloud (f.json, pid 7); restart it with aligner dev",
      ),
    );
    expect(requireResolved(l, "jobsTable")).toEqual({ name: "jobs", from: "f.json" });
  });

  it("the local target names every resource from the file, and shows the endpoints", () => {
    const t = targetFromLocalEndpoints(local, "f.json");
    expect(t).toMatchObject({
      kind: "local",
      region: "us-east-1",
      local: { pid: 7, endpoints: local.endpoints, credentials: local.credentials },
    });
    expect(Object.fromEntries(KEYS.map((k) => [k, requireResource(t, k)]))).toEqual({
      jobsTable: "jobs",
      inputBucket: "in",
      outputBucket: "out",
      alignerLogGroup: "/aws/lambda/fn",
      alignerFailureQueue: "fn-failures",
      logProcessorFailureQueue: "lp-failures",
    });
    const shown = describeTarget(t);
    expect(shown.summary).toBe("local cloud (f.json, pid 7) · table jobs");
    expect(shown.rows.map((r) => r.resource)).toEqual([
      ...KEYS.map((k) => RESOURCE_LABELS[k]),
      "DynamoDB endpoint",
      "S3 endpoint",
      "CloudWatch Logs endpoint",
      "SQS endpoint",
    ]);
    expect(shown.rows.slice(-4).map((r) => r.name)).toEqual(["http://ddb", "http://s3", "http://logs", "http://sqs"]);
  });

  it("an AWS target shows unknown names as such, with the variable that would give them", () => {
    const shown = describeTarget(awsTarget({ config, env: {} }));
    expect(shown.rows).toHaveLength(KEYS.length);
    const bucket = shown.rows.find((r) => r.resource === RESOURCE_LABELS.inputBucket)!;
    expect(bucket).toEqual({
      resource: "input bucket",
      name: "(unknown)",
      from: `missing: set ${TARGET_ENV.inputBucket} or pass --outputs`,
    });
    expect(shown.summary).toBe(`AWS us-east-1 · table ${resourceNames(config).jobsTable}`);
  });
});
