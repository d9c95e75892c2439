import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { encodeAwslogsData } from "../../core/logs/payload.ts";
import { PARSE_OUTPUT_FIELDS } from "../../core/jobs-table.ts";
import { generateGroup } from "../helpers/lambda-logs.ts";
import { payload } from "../helpers/delivery.ts";

const run = promisify(execFile);
const BIN = path.resolve(import.meta.dirname, "../../bin/aligner.js");
let dir: string;

async function aligner(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: "1" } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const file = (name: string, content: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
};

// Two streams: a warm stream with a retry landing in the other stream, mixed outcomes.
const group = generateGroup({
  format: "Text",
  omitInitDuration: false,
  requests: [
    { attempts: [{ outcome: "success", stream: 0, appLines: 1, rawLines: 2 }] },
    {
      attempts: [
        { outcome: "timeoutOld", stream: 0, appLines: 0, rawLines: 1 },
        { outcome: "success", stream: 1, appLines: 0, rawLines: 0 },
      ],
    },
    { attempts: [{ outcome: "rejected", stream: 1, appLines: 0, rawLines: 0 }] },
  ],
});

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "aligner-parse-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lines = (stdout: string) =>
  stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe("aligner parse", () => {
  it("reads every supported shape to the same records, sorted by start then id, with exactly the documented fields", async () => {
    const [s0, s1] = group.streams;
    const data0 = encodeAwslogsData(payload(group, s0!.name, s0!.events));
    const data1 = encodeAwslogsData(payload(group, s1!.name, s1!.events));
    const shapes: string[][] = [
      [file("p0.b64", data0), file("p1.b64", `${data1}\n`)],
      [
        file("decoded.json", JSON.stringify(payload(group, s0!.name, s0!.events))),
        file("event.json", JSON.stringify({ awslogs: { data: data1 } })),
      ],
      [
        file(
          "filter.json",
          JSON.stringify({
            events: group.streams.flatMap((s) =>
              s.events.map((e) => ({
                logStreamName: s.name,
                timestamp: e.timestamp,
                message: e.message,
                ingestionTime: e.timestamp + 5,
                eventId: e.id,
              })),
            ),
            searchedLogStreams: [],
          }),
        ),
      ],
    ];
    const outputs = [];
    for (const files of shapes) {
      const r = await aligner("parse", ...files, "--json");
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      outputs.push(lines(r.stdout));
    }
    expect(outputs[1]).toEqual(outputs[0]);
    expect(outputs[2]).toEqual(outputs[0]);
    const records = outputs[0]!;
    expect(records).toHaveLength(3);
    for (const r of records) {
      expect(Object.keys(r).every((k) => (PARSE_OUTPUT_FIELDS as readonly string[]).includes(k))).toBe(true);
      const order = Object.keys(r).map((k) => (PARSE_OUTPUT_FIELDS as readonly string[]).indexOf(k));
      expect(order).toEqual([...order].sort((a, b) => a - b));
      expect(r).toMatchObject(
        Object.fromEntries(
          Object.entries(group.truth.get(String(r["requestId"]))!).filter(([k]) =>
            (PARSE_OUTPUT_FIELDS as readonly string[]).includes(k),
          ),
        ),
      );
    }
    const starts = records.map((r) => String(r["startedAt"]));
    expect(starts).toEqual([...starts].sort());
  });

  it("reads plain text and GetLogEvents responses of one stream (the file names the stream)", async () => {
    const s0 = group.streams[0]!;
    const text = file("stream0.log", s0.events.map((e) => e.message.replace(/\n/g, " ")).join("\n"));
    const get = file(
      "get.json",
      JSON.stringify({
        events: s0.events.map((e) => ({ timestamp: e.timestamp, message: e.message, ingestionTime: e.timestamp })),
        nextForwardToken: "f/1",
      }),
    );
    const fromGet = lines((await aligner("parse", get, "--json")).stdout);
    expect(fromGet.find((r) => r["requestId"] === "00000000-0000-4000-8000-000000000001")).toMatchObject({
      status: "SUCCEEDED",
      coldStart: true,
      logStream: get,
    });
    const fromText = lines((await aligner("parse", text, "--json")).stdout);
    expect(fromText.map((r) => [r["requestId"], r["status"], r["coldStart"], r["durationMs"]])).toEqual(
      fromGet.map((r) => [r["requestId"], r["status"], r["coldStart"], r["durationMs"]]),
    );
  });

  it("applies files in the order given: a retry's stream read first still yields the latest attempt", async () => {
    const [s0, s1] = group.streams;
    const a = file("s0.json", JSON.stringify(payload(group, s0!.name, s0!.events)));
    const b = file("s1.json", JSON.stringify(payload(group, s1!.name, s1!.events)));
    const forward = lines((await aligner("parse", a, b, "--json")).stdout);
    const backward = lines((await aligner("parse", b, a, "--json")).stdout);
    expect(backward).toEqual(forward);
    expect(forward.find((r) => r["requestId"] === "00000000-0000-4000-8000-000000000002")).toMatchObject({
      attempts: 2,
      status: "SUCCEEDED",
      logStream: s1!.name,
    });
  });

  it("names each bad file, still reports the good ones, and exits with 2", async () => {
    const good = file("good.json", JSON.stringify(payload(group, group.streams[0]!.name, group.streams[0]!.events)));
    const r = await aligner(
      "parse",
      file("empty.log", ""),
      file("weird.json", '{"hello":"world"}'),
      path.join(dir, "missing.b64"),
      file("broken.b64", "H4sIAAAAAAAAA+3BMQEAAAjA"),
      good,
      "--json",
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("empty.log: is empty");
    expect(r.stderr).toContain("weird.json: holds JSON that is neither");
    expect(r.stderr).toContain("missing.b64: does not exist");
    expect(r.stderr).toMatch(/broken\.b64: looks like a subscription payload but/);
    expect(lines(r.stdout).length).toBeGreaterThan(0);
  });

  it("prints a readable table without --json, and --help", async () => {
    const r = await aligner(
      "parse",
      file("t.json", JSON.stringify(payload(group, group.streams[0]!.name, group.streams[0]!.events))),
    );
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toMatch(/^REQUEST ID\s+STATUS\s+START/);
    expect(r.stdout).toContain("TIMED_OUT");
    const help = await aligner("parse", "--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("FilterLogEvents");
  });
});
