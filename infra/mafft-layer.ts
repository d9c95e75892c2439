/**
 * The MAFFT Lambda layer, from the zip that `npm run build:layer` produces. Synth stops with a
 * clear message when the zip is missing rather than deploying an aligner that cannot align.
 */
import { Construct } from "constructs";
import { AssetType, TerraformAsset } from "cdktf";
import { existsSync } from "node:fs";
import path from "node:path";
import { LambdaLayerVersion } from "@cdktf/provider-aws/lib/lambda-layer-version/index.js";
import { LAMBDA_ARCHITECTURE, LAMBDA_RUNTIME } from "../core/names.ts";
import { REPO_ROOT } from "./paths.ts";

export class MafftLayerMissingError extends Error {
  override name = "MafftLayerMissingError";
}

export interface MafftLayerProps {
  layerName: string;
  /** Zip path, absolute or relative to the repository root. */
  zipPath: string;
}

export class MafftLayer extends Construct {
  readonly layer: LambdaLayerVersion;

  constructor(scope: Construct, id: string, props: MafftLayerProps) {
    super(scope, id);
    const zip = path.resolve(REPO_ROOT, props.zipPath);
    if (!existsSync(zip)) {
      throw new MafftLayerMissingError(
        `The MAFFT layer zip is missing (${path.relative(process.cwd(), zip) || zip}). Build it with \`npm run build:layer\`, or point ALIGNER_MAFFT_LAYER_ZIP at a built layer.`,
      );
    }
    const asset = new TerraformAsset(this, "zip", { path: zip, type: AssetType.FILE });
    this.layer = new LambdaLayerVersion(this, "layer", {
      layerName: props.layerName,
      filename: asset.path,
      sourceCodeHash: asset.assetHash,
      compatibleRuntimes: [LAMBDA_RUNTIME],
      compatibleArchitectures: [LAMBDA_ARCHITECTURE],
      description: "MAFFT with the tools its driver script needs (built by layers/mafft)",
      // A new zip replaces the version: create the new one, point the function at it, and only
      // then delete the old one, so the function never names a deleted version.
      lifecycle: { createBeforeDestroy: true },
    });
  }
}
