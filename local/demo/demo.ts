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
import { s3Client } from "../../aws/clients.ts";
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

/** What each demo input ends as (SUCCEEDED unless named); the slow one when the aligner stops MAFFT, its kill margin before the timeout. */
export function expectedOutcome(config: Pick<AlignerConfig, "aligner" | "mafft">, file: string): string {
  if (file === "not-a-fasta.txt") return "FAILED (InvalidInput)";
  if (file === "slow-times-out.fasta")
    return `FAILED (MafftTimeout) after about ${Math.max(0, Math.round(config.aligner.timeoutSeconds - config.mafft.killMarginMs / 1000))} s`;
  return "SUCCEEDED";
}

/** The demo's configuration changes: a short aligner timeout, unless the user chose one. */
export function demoOverrides(env: Record<string, string | undefined>): ConfigOverrides {
  return env["ALIGNER_TIMEOUT_SECONDS"] ? {} : { aligner: { timeoutSeconds: DEMO_TIMEOUT_SECONDS } };
}

export function demoFiles(): string[] {
  return readdirSync(DEMO_INPUTS_DIR)
    .filter((f) => !f.startsWith("."))
    .sort((a, b) => sizeOf(a) - sizeOf(b));
}

function sizeOf(file: string): number {
  return readFileSync(path.join(DEMO_INPUTS_DIR, file)).length;
}

/** The key a demo file is uploaded under, inside the configured notification filter. */
export function demoKey(config: Pick<AlignerConfig, "input">, run: string, file: string): string {
  const { prefix, suffix } = config.input;
  return `${prefix}demo/${run}/${file}${suffix !== "" && !file.endsWith(suffix) ? suffix : ""}`;
}

export async function uploadDemoInputs(
  cloud: Pick<LocalCloud, "config" | "names" | "clientOptions">,
  at: Date = new Date(),
): Promise<DemoUpload[]> {
  const run = at.toISOString().slice(0, 19).replace(/:/g, "-");
  const s3 = s3Client(cloud.clientOptions("s3"));
  const uploads: DemoUpload[] = [];
  try {
    for (const file of demoFiles()) {
      const body = readFileSync(path.join(DEMO_INPUTS_DIR, file));
      const key = demoKey(cloud.config, run, file);
      await s3.send(
        new PutObjectCommand({ Bucket: cloud.names.inputBucket, Key: key, Body: body, ContentType: "text/plain" }),
      );
      uploads.push({ file, key, bytes: body.length, expected: expectedOutcome(cloud.config, file) });
    }
  } finally {
    s3.destroy();
  }
  return uploads;
}
