/** Synthesizes the real stack for tests, with a stand-in layer zip (the real one is built by the aligner issue's tooling). */
import { Testing } from "cdktf";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { resolveConfig, type AlignerConfig } from "../../core/config.ts";
import { AlignerStack } from "../../infra/stack.ts";
import type { SynthesizedStack } from "../../infra/posture.ts";

let layerZip: string | undefined;

/** A file that exists; synth only hashes and copies it. */
export function standInLayerZip(): string {
  if (layerZip === undefined) {
    const dir = mkdtempSync(path.join(tmpdir(), "aligner-layer-"));
    layerZip = path.join(dir, "mafft-layer.zip");
    writeFileSync(layerZip, "stand-in layer for synth tests");
  }
  return layerZip;
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
  const app = Testing.app();
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
