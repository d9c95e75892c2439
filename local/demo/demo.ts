/**
 * The demo of `npm start` (`aligner dev --demo`): the bundled inputs of local/demo/inputs (valid
 * ones of different sizes, an invalid one, and one that cannot finish within the demo's short
 * function timeout), uploaded through the SDK like any client would, under `demo/<time>/`.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import type { AlignerConfig } from "../../core/config.ts";
import { s3Client } from "../../shared/aws-clients.ts";
import type { ConfigOverrides, LocalCloud } from "../cloud.ts";

export const DEMO_INPUTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "inputs");

/** The function timeout of the demo (unless ALIGNER_TIMEOUT_SECONDS says otherwise): long enough for every input but one. */
export const DEMO_TIMEOUT_SECONDS = 30;

export interface DemoUpload {
  file: string;
  key: string;
  bytes: number;
  expected: string;
}

const EXPECTED: Record<string, string> = {
  "not-a-fasta.txt": "FAILED (InvalidInput)",
  "slow-times-out.fasta": `FAILED (MafftTimeout) after about ${DEMO_TIMEOUT_SECONDS} s`,
};

/** The demo's configuration changes: a short aligner timeout, unless the user chose one. */
export function demoOverrides(env: Record<string, string | undefined>): ConfigOverrides {
  return env["ALIGNER_TIMEOUT_SECONDS"] ? {} : { aligner: { timeoutSeconds: DEMO_TIMEOUT_SECONDS } };
}

export function demoFiles(): string[] {
  return readdirSync(DEMO_INPUTS_DIR).filter((f) => !f.startsWith(".")).sort((a, b) => sizeOf(a) - sizeOf(b));
}

function sizeOf(file: string): number {
  return readFileSync(path.join(DEMO_INPUTS_DIR, file)).length;
}

/** The key a demo file is uploaded under, inside the configured notification filter. */
export function demoKey(config: Pick<AlignerConfig, "input">, run: string, file: string): string {
  const { prefix, suffix } = config.input;
  return `${prefix}demo/${run}/${file}${suffix !== "" && !file.endsWith(suffix) ? suffix : ""}`;
}

export async function uploadDemoInputs(cloud: Pick<LocalCloud, "config" | "names" | "clientOptions">, at: Date = new Date()): Promise<DemoUpload[]> {
  const run = at.toISOString().slice(0, 19).replace(/:/g, "-");
  const s3 = s3Client(cloud.clientOptions("s3"));
  const uploads: DemoUpload[] = [];
  try {
    for (const file of demoFiles()) {
      const body = readFileSync(path.join(DEMO_INPUTS_DIR, file));
      const key = demoKey(cloud.config, run, file);
      await s3.send(new PutObjectCommand({ Bucket: cloud.names.inputBucket, Key: key, Body: body, ContentType: "text/plain" }));
      uploads.push({ file, key, bytes: body.length, expected: EXPECTED[file] ?? "SUCCEEDED" });
    }
  } finally {
    s3.destroy();
  }
  return uploads;
}
