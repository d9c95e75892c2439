#!/usr/bin/env node
// The `aligner` command. Runs the TypeScript sources through tsx so `npm install` is all it needs.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  console.error(`aligner needs Node.js 22.12 or newer; this is ${process.version}. See README.md ("Requirements").`);
  process.exit(2);
}
// React (the live view) checks and warns in development mode, several times slower per frame.
process.env.NODE_ENV ??= "production";
const { register } = await import("tsx/esm/api");
// The project's own tsconfig (JSX settings for the live view), whatever the working directory.
register({ tsconfig: new URL("../tsconfig.json", import.meta.url).pathname });
await import("../cli/main.ts");
