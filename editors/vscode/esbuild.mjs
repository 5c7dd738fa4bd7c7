// Bundles the extension into dist/extension.js (one file, so the .vsix needs no node_modules).
// `--unit` instead bundles test/unit/*.test.ts into out/unit/ for `node --test`.
import { build } from "esbuild";
import { readdirSync } from "node:fs";

const unit = process.argv.includes("--unit");
const common = { bundle: true, platform: "node", target: "node18", format: "cjs", logLevel: "warning" };

if (unit) {
  const tests = readdirSync("test/unit").filter((f) => f.endsWith(".test.ts")).map((f) => `test/unit/${f}`);
  await build({ ...common, entryPoints: tests, outdir: "out/unit", outExtension: { ".js": ".cjs" } });
} else {
  await build({
    ...common,
    entryPoints: ["src/extension.ts"],
    outfile: "dist/extension.js",
    external: ["vscode"],
    minify: true,
    sourcemap: false,
    legalComments: "linked",
  });
}
