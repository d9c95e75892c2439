/** The CLI's pure parts: time specs, stack outputs in every shape, upload keys, and when a job has ended for good. */
import { describe, expect, it } from "vitest";
import { formatSpan, parseSpan, parseTimeRange, parseTimeSpec, TimeSpecError } from "../../core/time-spec.ts";
import { awsTarget, checkRegion, readStackOutputs, requireResource, TargetError } from "../../core/target.ts";
import { ConfigError, resolveConfig } from "../../core/config.ts";
import { inputKeyFor, isJobOf, jobProgress, whyNoJob } from "../../core/submission.ts";
import type { JobRecord } from "../../core/jobs-table.ts";
import { describeAwsError } from "../../aws/errors.ts";

const NOW = Date.parse("2026-11-24T12:00:00Z");

describe("time specs", () => {
  it("reads spans and ISO times, and refuses anything else in one sentence", () => {
    expect(parseSpan("90s")).toBe(90_000);
    expect(parseSpan("1.5h")).toBe(5_400_000);
    expect(parseTimeSpec("7d", NOW)).toBe(NOW - 7 * 86_400_000);
    expect(parseTimeSpec("2w", NOW)).toBe(NOW - 14 * 86_400_000);
    expect(parseTimeSpec("2026-11-24", NOW)).toBe(Date.parse("2026-11-24T00:00:00Z"));
    expect(parseTimeSpec("2026-11-24T10:30:00+02:00", NOW)).toBe(Date.parse("2026-11-24T08:30:00Z"));
    for (const bad of ["yesterday", "7", "-1h", "2026/11/24", "24 hours"])
      expect(() => parseTimeSpec(bad, NOW, "--since")).toThrow(TimeSpecError);
    expect(() => parseTimeRange("1h", "2h", NOW)).toThrow(/--until .* must be later than --since/);
    expect(parseTimeRange("2h", "1h", NOW)).toEqual({ sinceMs: NOW - 7_200_000, untilMs: NOW - 3_600_000 });
    expect([
      formatSpan(42_000),
      formatSpan(3_600_000),
      formatSpan(90 * 60_000),
      formatSpan(3 * 86_400_000 + 4 * 3_600_000),
    ]).toEqual(["42s", "1h", "1h 30m", "3d 4h"]);
  });

  it("refuses a day the calendar does not have, and a span reaching back beyond any date, instead of rolling over or failing later", () => {
    expect(() => parseTimeSpec("2026-02-30", NOW, "--since")).toThrow(
      new TimeSpecError('--since names a day that does not exist, got "2026-02-30"'),
    );
    expect(() => parseTimeSpec("2026-13-01T00:00:00Z", NOW, "--until")).toThrow(
      /--until names a day that does not exist/,
    );
    expect(parseTimeSpec("2028-02-29", NOW)).toBe(Date.parse("2028-02-29T00:00:00Z"));
    expect(() => parseTimeSpec("300000000d", NOW, "--since")).toThrow(
      new TimeSpecError('--since reaches back further than any date, got "300000000d"'),
    );
    expect(parseSpan("99999999999d")).toBeUndefined();
    // The furthest back a span may reach is still a time the key ranges can be written with.
    expect(() => new Date(parseTimeSpec("100000000d", NOW)).toISOString()).not.toThrow();
  });
});

describe("stack outputs and targets", () => {
  const values = {
    input_bucket: "lambda-aligner-input-x1",
    jobs_table: "lambda-aligner-jobs",
    aligner_log_group: "/aws/lambda/lambda-aligner-aligner",
    region: "eu-central-1",
  };
  it("reads cdktf's per-stack file, a flat file and terraform output -json alike", () => {
    const expected = {
      inputBucket: "lambda-aligner-input-x1",
      jobsTable: "lambda-aligner-jobs",
      alignerLogGroup: "/aws/lambda/lambda-aligner-aligner",
      region: "eu-central-1",
    };
    expect(readStackOutputs({ "lambda-aligner": values }, "lambda-aligner")).toEqual(expected);
    expect(readStackOutputs(values, "anything")).toEqual(expected);
    const tf = Object.fromEntries(
      Object.entries(values).map(([k, v]) => [k, { sensitive: false, type: "string", value: v }]),
    );
    expect(readStackOutputs(tf, "lambda-aligner")).toEqual(expected);
    expect(() => readStackOutputs([], "x")).toThrow(TargetError);
    expect(() => readStackOutputs({ other: { nothing: 1 } }, "x")).toThrow(/holds none of the stack's outputs/);
  });

  it("prefers --region and --outputs over the environment, the environment over a found outputs.json, and says what is missing", () => {
    const config = { prefix: "lambda-aligner", region: "us-east-1" };
    const t = awsTarget({
      config,
      env: { AWS_REGION: "us-west-2", ALIGNER_INPUT_BUCKET: "from-env", ALIGNER_JOBS_TABLE: "env-jobs" },
      explicitOutputs: { path: "prod.json", content: { "lambda-aligner": { jobs_table: "prod-jobs" } } },
      discoveredOutputs: { path: "outputs.json", content: values },
      explicitRegion: "ap-south-1",
    });
    expect(t.region).toBe("ap-south-1");
    expect(t.resources.jobsTable).toEqual({ name: "prod-jobs", from: "prod.json" });
    expect(t.resources.inputBucket).toEqual({ name: "from-env", from: "ALIGNER_INPUT_BUCKET" });
    expect(t.resources.alignerLogGroup).toEqual({ name: "/aws/lambda/lambda-aligner-aligner", from: "outputs.json" });
    expect(() => requireResource(t, "outputBucket")).toThrow(
      "the output bucket is not known: pass --outputs FILE (written by cdktf deploy --outputs-file FILE) or set ALIGNER_OUTPUT_BUCKET, or use --local for the local cloud",
    );
    const bare = awsTarget({ config, env: {} });
    expect(bare.region).toBe("us-east-1");
    expect(bare.resources.jobsTable).toEqual({ name: "lambda-aligner-jobs", from: "prefix lambda-aligner" });
  });

  it("takes the region from the environment as the deploy does (ALIGNER_REGION before AWS_REGION), else from a found outputs.json", () => {
    const regionOf = (env: Record<string, string>) =>
      awsTarget({ config: resolveConfig({ env }), env, discoveredOutputs: { path: "outputs.json", content: values } })
        .region;
    expect(regionOf({ ALIGNER_REGION: "eu-west-1", AWS_REGION: "us-west-2" })).toBe(
      resolveConfig({ env: { ALIGNER_REGION: "eu-west-1", AWS_REGION: "us-west-2" } }).region,
    );
    expect(regionOf({ ALIGNER_REGION: "eu-west-1", AWS_REGION: "us-west-2" })).toBe("eu-west-1");
    expect(regionOf({ AWS_DEFAULT_REGION: "ap-south-1" })).toBe("ap-south-1");
    expect(regionOf({ AWS_REGION: "" })).toBe("eu-central-1");
    expect(checkRegion("eu-north-1")).toBe("eu-north-1");
    expect(() => checkRegion("nowhere")).toThrow(
      new ConfigError('--region must be an AWS region such as us-east-1, got "nowhere"'),
    );
  });
});

describe("submissions", () => {
  it("derives the key from the input prefix, a folder and the file name, and knows which keys start no job", () => {
    expect(inputKeyFor("/data/runs/opsins.fasta", { inputPrefix: "" })).toBe("opsins.fasta");
    expect(inputKeyFor("opsins.fasta", { inputPrefix: "in/", folder: "/batch-1" })).toBe("in/batch-1/opsins.fasta");
    expect(inputKeyFor("a b.fa", { inputPrefix: "", folder: "x/" })).toBe("x/a b.fa");
    expect(whyNoJob("opsins.fasta", { prefix: "", suffix: "" })).toBeUndefined();
    expect(whyNoJob("opsins.fa", { prefix: "", suffix: ".fasta" })).toMatch(
      /only keys ending with '.fasta' start a job/,
    );
    expect(whyNoJob("x.fasta", { prefix: "in/", suffix: "" })).toMatch(/only keys starting with 'in\/'/);
  });

  const rec = (r: Partial<JobRecord>): JobRecord => ({ requestId: "r", status: "RUNNING", attempts: 1, ...r });
  it("matches a job to its upload by key and time", () => {
    const sub = { file: "x.fasta", key: "x.fasta", uploadedAtMs: NOW };
    expect(isJobOf(rec({ inputKey: "x.fasta", startedAt: new Date(NOW + 500).toISOString() }), sub)).toBe(true);
    expect(isJobOf(rec({ inputKey: "x.fasta", startedAt: new Date(NOW - 3_600_000).toISOString() }), sub)).toBe(false);
    expect(isJobOf(rec({ inputKey: "y.fasta", startedAt: new Date(NOW).toISOString() }), sub)).toBe(false);
  });

  it("waits through the failures Lambda retries, and not through the aligner's verdicts", () => {
    const policy = { maxRetries: 2, delayDivisor: 1 };
    const ended = new Date(NOW).toISOString();
    expect(jobProgress(rec({}), policy)).toEqual({ state: "running" });
    expect(jobProgress(rec({ status: "SUCCEEDED" }), policy)).toEqual({ state: "ended" });
    expect(jobProgress(rec({ status: "FAILED", errorType: "InvalidInput", endedAt: ended }), policy)).toEqual({
      state: "ended",
    });
    expect(jobProgress(rec({ status: "FAILED", errorType: "MafftTimeout", endedAt: ended }), policy)).toEqual({
      state: "ended",
    });
    // A timeout: Lambda retries after about a minute, then two.
    expect(jobProgress(rec({ status: "TIMED_OUT", endedAt: ended }), policy)).toEqual({
      state: "awaiting-retry",
      untilMs: NOW + 60_000 + 30_000,
    });
    expect(
      jobProgress(rec({ status: "FAILED", errorType: "Runtime.OutOfMemory", attempts: 2, endedAt: ended }), policy),
    ).toEqual({ state: "awaiting-retry", untilMs: NOW + 120_000 + 30_000 });
    expect(jobProgress(rec({ status: "TIMED_OUT", attempts: 3, endedAt: ended }), policy)).toEqual({ state: "ended" });
    expect(jobProgress(rec({ status: "TIMED_OUT", endedAt: ended }), { maxRetries: 2, delayDivisor: 60 })).toEqual({
      state: "awaiting-retry",
      untilMs: NOW + 1000 + 5000,
    });
  });
});

describe("AWS errors as one sentence", () => {
  const doing = "reading the jobs table t";
  it("names a network failure however deep the SDK wraps it, and what to check", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" });
    // Node's happy-eyeballs connect throws an AggregateError of one error per address.
    const wrapped = Object.assign(new Error("socket hang up"), {
      cause: new AggregateError([new Error("x"), refused]),
    });
    expect(describeAwsError(wrapped, { doing, endpoint: "the local cloud" })).toBe(
      `${doing}: cannot reach the local cloud (ECONNREFUSED) (is the local cloud still running? start it with aligner dev)`,
    );
    expect(
      describeAwsError(
        Object.assign(new Error("getaddrinfo ENOTFOUND dynamodb.xx-1.amazonaws.com"), { code: "ENOTFOUND" }),
        { doing },
      ),
    ).toBe(`${doing}: cannot reach AWS (ENOTFOUND) (check the network and AWS_REGION)`);
  });

  it("tells missing credentials, a missing resource, a refusal and an expired session apart", () => {
    const err = (name: string, message: string, status?: number) =>
      Object.assign(new Error(message), { name, ...(status ? { $metadata: { httpStatusCode: status } } : {}) });
    expect(
      describeAwsError(err("CredentialsProviderError", "Could not load credentials from any providers"), { doing }),
    ).toBe(
      `${doing}: no AWS credentials found; set AWS_PROFILE or run aws configure (or use --local for the local cloud)`,
    );
    expect(describeAwsError(err("ProviderError", "Could not load credentials from any providers"), { doing })).toMatch(
      /: no AWS credentials found;/,
    );
    expect(describeAwsError(err("ResourceNotFoundException", "Requested resource not found."), { doing })).toBe(
      `${doing}: Requested resource not found (is the stack deployed in this region, and the name right?)`,
    );
    expect(
      describeAwsError(err("AccessDeniedException", "User: x is not authorized to perform: dynamodb:Query.", 400), {
        doing,
      }),
    ).toBe(`${doing}: access denied (User: x is not authorized to perform: dynamodb:Query)`);
    expect(
      describeAwsError(err("ExpiredTokenException", "The security token included in the request is expired"), {
        doing,
      }),
    ).toBe(`${doing}: the AWS session has expired; log in again (aws sso login)`);
    expect(describeAwsError(err("ThrottlingException", "Rate exceeded\n"), { doing })).toBe(
      `${doing}: Rate exceeded (ThrottlingException)`,
    );
  });
});
