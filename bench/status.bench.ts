/**
 * Log-processor throughput: decode + parse + reduce of realistic subscription payloads (10,000
 * requests, text and JSON formats, warm streams, retries, errors, child-process lines), as a
 * ratio to the bare decode (base64 + gunzip + JSON.parse) of the same payloads in the same run.
 * Target: ≤ 1.5×. Three line mixes: "aligner" (the shape of what the aligner really writes: job
 * events and 40–70 MAFFT stderr lines forwarded through Powertools Logger), "chatty" (20–40 app
 * and raw child-process lines in the Node runtime's formats) and "platform-heavy" (few app lines
 * per request, so almost every line carries a status fact — the worst case, reported as such).
 * Then writes per request per payload through the real apply path (target ≤ 1.0).
 */
import { rng } from "../test/helpers/random.ts";
import { gunzipSync } from "node:zlib";
import { decodeAwslogsData, encodeAwslogsData } from "../core/logs/payload.ts";
import { reducePayload } from "../core/status/reduce.ts";
import { applyReduction } from "../core/status/apply.ts";
import { MemoryStatusStore } from "../core/status/memory-store.ts";
import {
  generateGroup,
  type AttemptSpec,
  type GroupSpec,
  type Outcome,
  type RequestSpec,
} from "../test/helpers/lambda-logs.ts";
import { payload } from "../test/helpers/delivery.ts";

const REQUESTS = 10_000;
const GROUPS = 10;
const STREAMS_PER_GROUP = 8;
/** CloudWatch batches subscription deliveries; a few hundred events per payload is typical for one busy stream. */
const EVENTS_PER_PAYLOAD = 400;
const ROUNDS = 15;

const random = rng(20261124);
const pick = <T>(weighted: [T, number][]): T => {
  let r = random() * weighted.reduce((s, [, w]) => s + w, 0);
  for (const [v, w] of weighted) if ((r -= w) < 0) return v;
  return weighted[0]![0];
};
const outcome = (): Outcome =>
  pick<Outcome>([
    ["success", 20],
    ["rejected", 2],
    ["handlerError", 1],
    ["timeoutNew", 1],
    ["timeoutOld", 1],
    ["oomNew", 1],
    ["oomOld", 1],
    ["initFailure", 0.3],
  ]);
interface Mix {
  name: string;
  appLines: () => number;
  rawLines: () => number;
  appLineStyle?: GroupSpec["appLineStyle"];
}
const MIXES: Mix[] = [
  { name: "platform-heavy", appLines: () => Math.floor(random() * 4), rawLines: () => Math.floor(random() * 6) },
  { name: "chatty", appLines: () => 10 + Math.floor(random() * 10), rawLines: () => 10 + Math.floor(random() * 10) },
  // What the aligner really writes per job (functions/aligner): its job events and MAFFT's stderr
  // forwarded through Powertools Logger — 52 to 54 `mafft:` lines per job on local/demo's inputs.
  { name: "aligner", appLines: () => 40 + Math.floor(random() * 31), rawLines: () => 0, appLineStyle: "powertools" },
];

function workload(mix: Mix): { payloads: string[]; events: number } {
  const attempt = (failed: boolean): AttemptSpec => ({
    outcome: failed ? "handlerError" : outcome(),
    stream: Math.floor(random() * STREAMS_PER_GROUP),
    appLines: mix.appLines(),
    rawLines: mix.rawLines(),
  });
  const request = (): RequestSpec => {
    const attempts = random() < 0.05 ? 2 : 1;
    return { attempts: Array.from({ length: attempts }, (_, i) => attempt(i < attempts - 1)) };
  };
  const payloads: string[] = [];
  let events = 0;
  for (let g = 0; g < GROUPS; g++) {
    const spec: GroupSpec = {
      format: g % 2 === 0 ? "Text" : "JSON",
      omitInitDuration: g % 4 === 1,
      appLineStyle: mix.appLineStyle,
      requests: Array.from({ length: REQUESTS / GROUPS }, request),
    };
    const group = generateGroup(spec, `/aws/lambda/bench-${g}`);
    for (const s of group.streams) {
      events += s.events.length;
      for (let i = 0; i < s.events.length; i += EVENTS_PER_PAYLOAD)
        payloads.push(encodeAwslogsData(payload(group, s.name, s.events.slice(i, i + EVENTS_PER_PAYLOAD))));
    }
  }
  return { payloads, events };
}

let payloads: string[] = [];

function bareDecode(): number {
  let n = 0;
  for (const p of payloads)
    n += (JSON.parse(gunzipSync(Buffer.from(p, "base64")).toString("utf8")) as { logEvents: unknown[] }).logEvents
      .length;
  return n;
}
function decodeParseReduce(): number {
  let n = 0;
  for (const p of payloads) n += reducePayload(decodeAwslogsData(p)).events;
  return n;
}

function time(fn: () => number): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}
/** Noise on a shared machine only ever adds time, so the fastest round is the best estimate. */
const fastest = (xs: number[]) => Math.min(...xs);

for (const mix of MIXES) {
  const w = workload(mix);
  payloads = w.payloads;
  const bytes = payloads.reduce((sum, p) => sum + p.length, 0);
  // Warm up both paths, then alternate so machine noise hits both alike.
  bareDecode();
  decodeParseReduce();
  const base: number[] = [];
  const full: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    base.push(time(bareDecode));
    full.push(time(decodeParseReduce));
  }
  const b = fastest(base);
  const f = fastest(full);
  console.log(
    `\n[${mix.name}] ${REQUESTS} requests, ${w.events} events (${(w.events / REQUESTS).toFixed(1)} per request), ${payloads.length} payloads, ${(bytes / 1e6).toFixed(1)} MB base64, text and JSON formats`,
  );
  console.log(
    `  bare decode (base64 + gunzip + JSON.parse): ${b.toFixed(0)} ms  (${((w.events / b) * 1000).toFixed(0)} events/s)`,
  );
  console.log(
    `  decode + parse + reduce:                    ${f.toFixed(0)} ms  (${((w.events / f) * 1000).toFixed(0)} events/s)`,
  );
  console.log(`  ratio to bare decode: ${(f / b).toFixed(2)}x  (target <= 1.5x)`);
}
console.log("");

// Writes (platform-heavy mix): every payload through the real apply path, in delivery order.
payloads = workload(MIXES[0]!).payloads;
const store = new MemoryStatusStore();
let pairs = 0;
let jobWrites = 0;
let indexWrites = 0;
for (const p of payloads) {
  const red = reducePayload(decodeAwslogsData(p));
  pairs += red.facts.size;
  const stats = await applyReduction(store, red, { recordTtlDays: 90, writeConcurrency: 8 });
  jobWrites += stats.jobWrites;
  indexWrites += stats.indexWrites;
}
console.log(
  `job-record writes per request per payload: ${(jobWrites / pairs).toFixed(3)}  (target <= 1.0; ${jobWrites} writes for ${pairs} request-payload pairs)`,
);
console.log(
  `stream-index writes per payload: ${(indexWrites / payloads.length).toFixed(2)}  (a marker per payload and per environment start inside it, pending init lines at payload edges, claims)`,
);
console.log(`all writes per request per payload: ${((jobWrites + indexWrites) / pairs).toFixed(3)}`);
