/**
 * A log line as people read it. Structured lines (the aligner's Powertools logger, Lambda's JSON
 * log format) repeat a dozen fields on every line — function name, ARN, memory, trace id — that
 * the request already tells; they are shown as `LEVEL message` plus whatever else the line says
 * (a job event's fields). Anything that is not such a JSON object is shown as it is.
 */
import { parseJsonObject } from "../core/logs/json-fields.ts";

/** Fields every structured line of a request carries: left out of the compact form. */
const BOILERPLATE = new Set([
  "level",
  "message",
  "msg",
  "timestamp",
  "time",
  "service",
  "cold_start",
  "function_arn",
  "function_memory_size",
  "function_name",
  "function_request_id",
  "sampling_rate",
  "xray_trace_id",
  "requestId",
]);

export function compactLogMessage(message: string): string {
  const text = message.replace(/\n+$/, "");
  if (!text.startsWith("{") || !text.endsWith("}")) return text;
  const o = parseJsonObject(text);
  if (!o) return text;
  const msg = o["message"] ?? o["msg"];
  if (typeof o["level"] !== "string" || msg === undefined) return text;
  const extra = Object.entries(o).filter(([k]) => !BOILERPLATE.has(k));
  const rest = extra.length
    ? `  ${extra.map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(" ")}`
    : "";
  return `${o["level"].padEnd(5)} ${typeof msg === "string" ? msg : JSON.stringify(msg)}${rest}`;
}
