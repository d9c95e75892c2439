/** cdktf app: resolves the configuration and builds the stack from it, nothing else. */
import { App } from "cdktf";
import { resolveConfig } from "./core/config.ts";
import { resourceNames } from "./core/names.ts";
import { AlignerStack } from "./infra/stack.ts";

const app = new App();
try {
  const config = resolveConfig({ env: process.env, context: (key) => app.node.tryGetContext(key) });
  new AlignerStack(app, resourceNames(config).stack, config);
  app.synth();
} catch (err) {
  // Configuration and missing-layer errors are sentences meant for the user, not stack traces.
  console.error(`synth failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
