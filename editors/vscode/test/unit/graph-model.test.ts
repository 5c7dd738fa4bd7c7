// Unit tests of the graph webview's logic (media/graph-model.js), against the real wasm build
// that build.sh copies into media/wasm/ (skipped, saying so, when it is not there).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, test } from "node:test";
import { pathToFileURL } from "node:url";
import {
  effectiveRenderer,
  effectiveTarget,
  errorMessage,
  fitScale,
  graphModel,
  missingExports,
  scrollForZoom,
  serverReasonText,
  stageUnder,
  statusText,
  targetOptions,
  targetsInFile,
  withoutUrls,
  ZOOM_MAX,
  ZOOM_MIN,
  zoomBy,
  zoomByWheel,
} from "../../media/graph-model.js";

// out/unit/*.cjs -> editors/vscode/media/wasm
const WASM_DIR = path.resolve(__dirname, "../../media/wasm");
const haveWasm = fs.existsSync(path.join(WASM_DIR, "stagecraft_wasm.js")) && fs.existsSync(path.join(WASM_DIR, "stagecraft_wasm_bg.wasm"));
const noWasm = haveWasm ? false : `no wasm build in ${WASM_DIR} (build.sh copies it from web/pkg)`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
let sc: any;
before(async () => {
  if (!haveWasm) return;
  // A runtime import of the ES module (not bundled): the same file the webview loads.
  const url = pathToFileURL(path.join(WASM_DIR, "stagecraft_wasm.js")).href;
  sc = await (new Function("u", "return import(u)") as (u: string) => Promise<unknown>)(url);
  await sc.default({ module_or_path: fs.readFileSync(path.join(WASM_DIR, "stagecraft_wasm_bg.wasm")) });
});

const DOCKERFILE = [
  "# syntax=docker/dockerfile:1",
  "ARG ALPINE_VERSION=3.20",
  "",
  "# deps fetches what the app needs",
  "FROM alpine:${ALPINE_VERSION} AS deps",
  "RUN echo deps > /deps.txt",
  "",
  "FROM deps AS builder",
  "RUN echo app > /app",
  "",
  "FROM alpine AS lint",
  "RUN echo lint",
  "",
  "FROM alpine AS runtime",
  "COPY --from=builder /app /app",
  'CMD ["/app"]',
  "",
].join("\n");

const analysis = {
  stages: [{}, {}, {}],
  targets: [
    { stage: 0, name: "deps", description: "deps fetches", isDefault: false, plan: { stages: [0] } },
    { stage: 1, name: null, description: null, isDefault: false, plan: { stages: [0, 1] } },
    { stage: 2, name: "runtime", description: null, isDefault: true, plan: { stages: [0, 2] } },
  ],
};

test("the picker lists the named targets, the default marked", () => {
  assert.deepEqual(targetOptions(analysis), [
    { value: "deps", label: "deps", title: "deps fetches · builds 1 stage" },
    { value: "runtime", label: "runtime (default)", title: "builds 2 stages" },
  ]);
  assert.deepEqual(targetOptions({ stages: [], targets: [] }), []);
});

test("a chosen target the file no longer has falls back to the default", () => {
  assert.equal(effectiveTarget("deps", analysis), "deps");
  assert.equal(effectiveTarget("builder", analysis), null);
  assert.equal(effectiveTarget(null, analysis), null);
  assert.equal(effectiveTarget("", analysis), null);
  assert.equal(effectiveTarget("#2", analysis), "#2");
  assert.equal(effectiveTarget("#3", analysis), null);
});

test("targets in play the file lacks are left out (the wasm build would fail on them)", () => {
  const a = { stages: [{ name: "deps" }, { name: null }, { name: "runtime" }] };
  assert.deepEqual(targetsInFile(["deps", "gone", "RUNTIME", "#1", "#3", "", "stage-1"], a), ["deps", "RUNTIME", "#1", ""]);
  assert.deepEqual(targetsInFile([], a), []);
  assert.deepEqual(targetsInFile(["x"], { stages: [] }), []);
  assert.match(
    statusText({ renderer: "wasm", stages: 3, ignoredTargets: ["gone", "old"] }),
    /· stagecraft\.targets: no stage "gone", "old" in this file, left out$/,
  );
  assert.doesNotMatch(statusText({ renderer: "wasm", stages: 3, ignoredTargets: [] }), /left out/);
});

test("status line: who drew the graph, and why not wasm", () => {
  assert.equal(statusText({ renderer: "wasm", stages: 4 }), "4 stages · rendered by the wasm build · click a stage to go to its FROM");
  assert.equal(
    statusText({ renderer: "wasm", stages: 1, target: null, dropped: "builder" }),
    '1 stage · rendered by the wasm build · click a stage to go to its FROM · no target "builder" any more: showing the default target',
  );
  assert.equal(
    statusText({ renderer: "server", stages: 2, target: "deps", wasmError: "boom" }),
    "The wasm build failed to load (boom); the language server drew this graph instead. 2 stages · target deps · rendered by the language server · click a stage to go to its FROM",
  );
});

test("who draws in the webview: the extension's choice, unless the wasm build failed", () => {
  assert.equal(effectiveRenderer("wasm", "loading"), "loading");
  assert.equal(effectiveRenderer("wasm", "loaded"), "wasm");
  assert.equal(effectiveRenderer("wasm", "failed"), "server");
  // Named build contexts: the server draws, whether the wasm build loads or not.
  assert.equal(effectiveRenderer("server", "loading"), "server");
  assert.equal(effectiveRenderer("server", "loaded"), "server");
  assert.equal(effectiveRenderer("server", "failed"), "server");
});

test("status line: the server draws because named build contexts are set", () => {
  assert.equal(serverReasonText("namedContexts"), "named build contexts are set (stagecraft.namedContexts)");
  assert.equal(serverReasonText("localPlatform"), "the target platform is this machine's (stagecraft.platform: local)");
  assert.equal(serverReasonText("wasmFailed"), null);
  assert.equal(serverReasonText(null), null);
  assert.equal(
    statusText({ renderer: "server", stages: 2, reason: "namedContexts" }),
    "2 stages · rendered by the language server: named build contexts are set (stagecraft.namedContexts) · click a stage to go to its FROM",
  );
  assert.equal(
    statusText({ renderer: "server", stages: 1, target: "deps", wasmError: "boom", reason: "namedContexts" }),
    "The wasm build failed to load (boom); the language server drew this graph instead. 1 stage · target deps · rendered by the language server: named build contexts are set (stagecraft.namedContexts) · click a stage to go to its FROM",
  );
  // The wasm build never says it.
  assert.equal(statusText({ renderer: "wasm", stages: 1, reason: "namedContexts" }), "1 stage · rendered by the wasm build · click a stage to go to its FROM");
  assert.equal(statusText({ renderer: "server", stages: 1, reason: "wasmFailed" }), "1 stage · rendered by the language server · click a stage to go to its FROM");
});

test("errors and the package's exports", () => {
  assert.equal(errorMessage(new Error("x")), "x");
  assert.equal(errorMessage("bare"), "bare");
  assert.equal(
    withoutUrls("Failed to fetch dynamically imported module: https://x.vscode-resource.vscode-cdn.net/tmp/ext/media/wasm/stagecraft_wasm.js"),
    "Failed to fetch dynamically imported module",
  );
  assert.equal(withoutUrls("CompileError: WebAssembly.instantiate(): expected magic word"), "CompileError: WebAssembly.instantiate(): expected magic word");
  assert.equal(withoutUrls("at vscode-webview://abc/x.js and file:///a/b"), "at and");
  assert.deepEqual(missingExports({ default() {}, analyze() {}, renderSvg() {} }), ["stageAt"]);
  assert.deepEqual(missingExports(undefined), ["default", "analyze", "renderSvg", "stageAt"]);
});

test("wasm: the model of a Dockerfile (stages, SVG nodes with 1-based data-line, targets)", { skip: noWasm }, () => {
  assert.deepEqual(missingExports(sc), []);
  const m = graphModel(sc, DOCKERFILE, null, null);
  assert.equal(m.stages, 4);
  assert.equal(m.target, null);
  assert.equal(m.selected, null);
  assert.deepEqual(m.targets.map((t: { label: string }) => t.label), ["deps", "builder", "lint", "runtime (default)"]);
  assert.match(m.svg, /^<svg[^>]*class="stagecraft-graph"/);
  const nodes = [...m.svg.matchAll(/<g class="node stage[^"]*" data-stage="(\d+)"[^>]*data-line="(\d+)"/g)].map((x: RegExpMatchArray) => [Number(x[1]), Number(x[2])]);
  assert.deepEqual(nodes, [[0, 5], [1, 8], [2, 11], [3, 14]]);
  const lines = DOCKERFILE.split("\n");
  for (const [, line] of nodes) assert.match(lines[line - 1], /^FROM /);
});

test("wasm: the chosen target, and one that went away", { skip: noWasm }, () => {
  const m = graphModel(sc, DOCKERFILE, "builder", null);
  assert.equal(m.target, "builder");
  assert.equal(m.dropped, null);
  assert.match(m.svg, /class="node stage[^"]*\btarget\b[^"]*" data-stage="1"/);
  const renamed = graphModel(sc, DOCKERFILE.replaceAll("builder", "compile"), "builder", null);
  assert.equal(renamed.target, null);
  assert.equal(renamed.dropped, "builder");
});

test("wasm: the picked target is the build's: never marked unused, and what it skips marked alike", { skip: noWasm }, () => {
  const classes = (svg: string) =>
    new Map([...svg.matchAll(/<g class="node stage([^"]*)" data-stage="(\d+)"/g)].map((x: RegExpMatchArray) => [Number(x[2]), x[1].trim().split(/\s+/)]));
  // Every target of the file, with and without targets in play: the picked one is drawn as
  // `stagecraft graph --target` draws it (what it does not build is unused, not it).
  for (const options of [undefined, { buildArgs: {}, targets: [] as string[] }, { buildArgs: {}, targets: ["runtime"] }]) {
    for (const target of ["deps", "builder", "lint", "runtime"]) {
      const m = graphModel(sc, DOCKERFILE, target, null, options);
      assert.equal(m.target, target);
      const nodes = classes(m.svg);
      const picked = [...nodes.entries()].find(([, c]) => c.includes("target"));
      assert.ok(picked, `${target}: a node is the target`);
      assert.ok(!picked[1].includes("unused"), `${target}: the picked target is not unused: ${picked[1].join(" ")}`);
      // The stages it does not build are each dimmed and unused, with no exception.
      for (const [stage, c] of nodes) {
        if (c.includes("dimmed") && !c.includes("legacy-only")) assert.ok(c.includes("unused") || options?.targets?.length, `${target}: stage ${stage} is dimmed, so unused: ${c.join(" ")}`);
      }
    }
  }
  // The same as the wasm build's own renderSvg with the target in play.
  const direct = sc.renderSvg(DOCKERFILE, "lint", { target: "lint" });
  assert.equal(graphModel(sc, DOCKERFILE, "lint", null).svg, direct);
});

test("wasm: the stage under the cursor (UTF-16 offsets)", { skip: noWasm }, () => {
  const at = (needle: string) => DOCKERFILE.indexOf(needle);
  assert.equal(stageUnder(sc, DOCKERFILE, 0), null); // the syntax line: before any stage
  assert.equal(stageUnder(sc, DOCKERFILE, null), null);
  assert.equal(stageUnder(sc, DOCKERFILE, at("RUN echo app")), 1);
  assert.equal(stageUnder(sc, DOCKERFILE, at("FROM alpine AS lint") + 5), 2);
  assert.equal(graphModel(sc, DOCKERFILE, null, at("COPY --from")).selected, 3);
  // a non-ASCII comment before: offsets are UTF-16 code units, as JS strings count them
  const text = "# ünïcødé 🐳\n" + DOCKERFILE;
  assert.equal(stageUnder(sc, text, text.indexOf("RUN echo lint")), 2);
});

test("wasm: the server's settings (targets in play, build args, platform) reach the graph", { skip: noWasm }, () => {
  const unused = (svg: string) =>
    [...svg.matchAll(/<g class="([^"]*)"/g)].filter((x: RegExpMatchArray) => x[1].split(" ").includes("unused")).length;
  assert.equal(unused(graphModel(sc, DOCKERFILE, null, null).svg), 1, "lint is unused by default");
  const m = graphModel(sc, DOCKERFILE, null, null, { targets: ["lint"], buildArgs: {} });
  assert.equal(unused(m.svg), 0, "lint is a target in play");
  assert.equal(m.analysis.unusedStages.length, 0);
  const args = graphModel(sc, "ARG V=1\nFROM alpine:${V}\n", null, null, { buildArgs: { V: "2" } });
  assert.equal(args.analysis.stages[0].baseExpanded, "alpine:2");
  const arm = graphModel(sc, "FROM alpine:${TARGETARCH}\n", null, null, { platform: "linux/arm64" });
  assert.equal(arm.analysis.stages[0].baseExpanded, "alpine:arm64");
  assert.equal(arm.platformError, null);
  // One the wasm build cannot read is left out, as the server leaves it out, and said.
  const bad = graphModel(sc, "FROM alpine:${TARGETARCH}\n", null, null, { platform: "lin" });
  assert.equal(bad.analysis.stages[0].baseExpanded, "alpine:amd64");
  assert.match(bad.platformError ?? "", /write os\/arch/);
});

test("wasm: a target in play that no stage has is left out, not a failed graph", { skip: noWasm }, () => {
  const unused = (svg: string) =>
    [...svg.matchAll(/<g class="([^"]*)"/g)].filter((x: RegExpMatchArray) => x[1].split(" ").includes("unused")).length;
  // The wasm build alone fails, as BuildKit's --target does.
  assert.throws(() => sc.analyze(DOCKERFILE, { targets: ["gone"], buildArgs: {} }), /could not be found/);
  const m = graphModel(sc, DOCKERFILE, null, null, { targets: ["gone"], buildArgs: {} });
  assert.deepEqual(m.ignoredTargets, ["gone"]);
  assert.equal(unused(m.svg), 1, "lint is unused, as without targets");
  // The ones the file has still count.
  const kept = graphModel(sc, DOCKERFILE, "builder", null, { targets: ["gone", "LINT", "#9"], buildArgs: {} });
  assert.deepEqual(kept.ignoredTargets, ["gone", "#9"]);
  // builder (picked) and lint are in play; runtime, the default target, is not (builder
  // is built instead of it, as with --target).
  assert.equal(unused(kept.svg), 1, "only runtime is unused");
  assert.match(kept.svg, /<g class="node stage[^"]*\bunused\b[^"]*" data-stage="3"/);
  assert.equal(kept.target, "builder");
  // With a platform it cannot read too.
  const both = graphModel(sc, DOCKERFILE, null, null, { targets: ["gone"], buildArgs: {}, platform: "lin" });
  assert.deepEqual(both.ignoredTargets, ["gone"]);
  assert.match(both.platformError ?? "", /write os\/arch/);
  assert.deepEqual(graphModel(sc, DOCKERFILE, null, null, { targets: ["lint"], buildArgs: {} }).ignoredTargets, []);
});

test("wasm: a file with no stages draws an empty graph", { skip: noWasm }, () => {
  const m = graphModel(sc, "# nothing here\n", null, 3);
  assert.equal(m.stages, 0);
  assert.deepEqual(m.targets, []);
  assert.match(m.svg, /<svg/);
});

test("zoom: steps stop at 100% and the bounds; fit; the point under the pointer stays", () => {
  assert.equal(zoomBy(1, 1), 1.25);
  assert.equal(zoomBy(1.25, -1), 1);
  // from a fit of 6% up to 100% in steps, stopping at 100% exactly
  let z = 0.063;
  for (let i = 0; i < 20 && z < 1; i++) z = zoomBy(z, 1);
  assert.equal(z, 1);
  assert.equal(zoomBy(0.9, 1), 1);
  assert.equal(zoomBy(ZOOM_MAX, 1), ZOOM_MAX);
  assert.equal(zoomBy(ZOOM_MIN, -3), ZOOM_MIN);
  assert.equal(fitScale(9482, 597), 597 / 9482);
  assert.equal(fitScale(300, 600), 1);
  assert.equal(fitScale(0, 600), 1);
  // at scale 1, the point 100 px into the viewport, scrolled by 50, is at 150; at 2 it is at 300
  assert.equal(scrollForZoom(50, 100, 1, 2), 200);
  assert.equal(scrollForZoom(0, 10, 2, 1), 0);
});

test("zoom: Ctrl+wheel and pinches scale continuously, stop at 100% when crossing it, stay in bounds", () => {
  // A trackpad pinch: many events of a few pixels each, each a small change.
  let scale = 1;
  for (let i = 0; i < 10; i++) scale = zoomByWheel(scale, -3);
  assert.ok(scale > 1.08 && scale < 1.12, `ten 3 px pinch events: ${scale}`);
  assert.ok(zoomByWheel(1, -1) < 1.01, "one small event is no 25% step");
  // A mouse wheel notch (100 px): about a step.
  assert.equal(zoomByWheel(1, 100), 0.717);
  assert.equal(zoomByWheel(1, -100), 1.396);
  // Crossing 100% stops there.
  assert.equal(zoomByWheel(0.9, -100), 1);
  assert.equal(zoomByWheel(1.1, 100), 1);
  // Bounds.
  assert.equal(zoomByWheel(ZOOM_MAX, -1000), ZOOM_MAX);
  assert.equal(zoomByWheel(ZOOM_MIN, 1000), ZOOM_MIN);
  assert.equal(zoomByWheel(2, 0), 2);
});
