/** Synthesizes the real stack for tests, with a stand-in layer zip (the real one is built by the aligner issue's tooling). */
import { Testing, type App } from "cdktf";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { resolveConfig, type AlignerConfig } from "../../core/config.ts";
import { AlignerStack } from "../../infra/stack.ts";
import { TEST_SCRATCH_ENV } from "../global-setup.ts";
import type { SynthesizedStack } from "../../infra/posture.ts";

let scratch: string | undefined;
let apps = 0;

/** A temporary folder for synth output: inside the test run's scratch folder (test/global-setup.ts). */
function scratchDir(): string {
  if (scratch === undefined) {
    const root = process.env[TEST_SCRATCH_ENV];
    const dir = mkdtempSync(path.join(root ?? tmpdir(), "synth-"));
    if (root === undefined) process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    scratch = dir;
  }
  return scratch;
}

/** `Testing.app()` writing into the scratch folder (by default cdktf leaves a temp folder per app). */
export function testApp(): App {
  return Testing.app({ outdir: path.join(scratchDir(), `app-${++apps}`) });
}

/** A file that exists; synth only hashes and copies it. */
export function standInLayerZip(): string {
  const zip = path.join(scratchDir(), "mafft-layer.zip");
  if (!existsSync(zip)) writeFileSync(zip, "stand-in layer for synth tests");
  return zip;
}

export function testConfig(env: Record<string, string> = {}): AlignerConfig {
  return resolveConfig({ env: { ALIGNER_MAFFT_LAYER_ZIP: standInLayerZip(), ...env } });
}

export interface Synthesized extends SynthesizedStack {
  resource: Record<string, Record<string, Record<string, unknown>>>;
  data: Record<string, Record<string, Record<string, unknown>>>;
  output: Record<string, { value: unknown }>;
}

export function synthStack(env: Record<string, string> = {}): Synthesized {
  const app = testApp();
  const stack = new AlignerStack(app, "test", testConfig(env));
  return JSON.parse(Testing.synth(stack)) as Synthesized;
}

/** The only resource of a type (fails loudly when there are several or none). */
export function only(stack: Synthesized, type: string, nameContains = ""): [string, Record<string, unknown>] {
  const matches = Object.entries(stack.resource[type] ?? {}).filter(([name]) => name.includes(nameContains));
  if (matches.length !== 1) throw new Error(`expected one ${type} matching "${nameContains}", found ${matches.length}`);
  const [name, body] = matches[0]!;
  return [`${type}.${name}`, body];
}

/** `${type.name.attr}` reference string for a resource id like "aws_s3_bucket.x". */
export const ref = (id: string, attr: string) => `\${${id}.${attr}}`;
