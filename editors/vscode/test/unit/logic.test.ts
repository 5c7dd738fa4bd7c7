// Unit tests of the plain helpers (no VS Code): `npm run test:unit`.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import {
  aboutDockerignore,
  dockerBuildCommand,
  dockerBuildPaths,
  findServer,
  fromLineForNode,
  graphRenderer,
  isDockerignore,
  missingServerMessage,
  pickPlaceholder,
  serverPathSettingsTab,
  serverSettings,
  serverStatusText,
  shellQuote,
  stageAtLine,
  targetDescription,
  targetDetail,
  targetLabel,
  targetsMissingFrom,
  targetsStatusText,
} from "../../src/logic";
import type { GraphNode, TargetInfo } from "../../src/protocol";

const build: TargetInfo = {
  name: "build",
  stage: 1,
  description: "build compiles the server binary",
  isDefault: false,
  line: 16,
  builds: 2,
  legacyBuilds: 2,
  buildkit: { stages: ["base", "build"], waves: [["base"], ["build"]], images: ["golang:1.22-alpine"] },
  legacy: ["base", "build"],
};

const release: TargetInfo = {
  name: "release",
  stage: 5,
  description: null,
  isDefault: true,
  line: 40,
  builds: 4,
  legacyBuilds: 6,
  buildkit: { stages: ["base", "build", "certs", "release"], waves: [["base", "certs"], ["build"], ["release"]], images: ["golang:1.22-alpine", "alpine:3.20"] },
  legacy: ["base", "build", "test", "docs", "certs", "release"],
};

test("docker build command: target, build args, file, context", () => {
  assert.equal(dockerBuildCommand(build, "Dockerfile"), "docker build --target build -f Dockerfile .");
  assert.equal(
    dockerBuildCommand(build, "docker/app.Dockerfile", { VERSION: "1.2", MSG: "two words" }),
    "docker build --target build --build-arg 'MSG=two words' --build-arg VERSION=1.2 -f docker/app.Dockerfile .",
  );
  // an unnamed default stage has no name for --target: docker builds the last stage without it
  assert.equal(dockerBuildCommand({ name: null }, "Containerfile"), "docker build -f Containerfile .");
  // The build context the settings name (the one CopyIgnoredFile read) is the command's.
  assert.equal(dockerBuildCommand(build, "app/Dockerfile", {}, ".."), "docker build --target build -f app/Dockerfile ..");
});

test("docker build command: the target platform after the target", () => {
  assert.equal(
    dockerBuildCommand(build, "Dockerfile", { V: "1" }, ".", {}, "linux/arm64"),
    "docker build --target build --platform linux/arm64 --build-arg V=1 -f Dockerfile .",
  );
  assert.equal(dockerBuildCommand(build, "Dockerfile", {}, ".", {}, ""), "docker build --target build -f Dockerfile .");
});

test("docker build command: build args sorted by key, as Neovim's, whatever the settings' order", () => {
  const want = "docker build --target build --build-arg 'MSG=two words' --build-arg VERSION=1.2 --build-arg a=x -f Dockerfile .";
  assert.equal(dockerBuildCommand(build, "Dockerfile", { VERSION: "1.2", MSG: "two words", a: "x" }), want);
  assert.equal(dockerBuildCommand(build, "Dockerfile", { a: "x", VERSION: "1.2", MSG: "two words" }), want);
  // byte order, as Lua compares strings: upper case before lower case, "_" between them
  assert.equal(
    dockerBuildCommand({ name: null }, "Dockerfile", { b: "1", B_2: "2", B: "3", _X: "4" }),
    "docker build --build-arg B=3 --build-arg B_2=2 --build-arg _X=4 --build-arg b=1 -f Dockerfile .",
  );
});

test("docker build command: named contexts with a value, sorted by name, after the build args and before -f", () => {
  const contexts = { build: "local:out", alpine: "docker-image://alpine:3.20", deps: "", notes: "two words" };
  assert.equal(
    dockerBuildCommand(build, "app/Dockerfile", { VERSION: "1.2" }, "..", contexts),
    "docker build --target build --build-arg VERSION=1.2 --build-context alpine=docker-image://alpine:3.20 " +
      "--build-context build=local:out --build-context 'notes=two words' -f app/Dockerfile ..",
  );
  // the same whatever order the settings object has; byte order, as Lua compares strings
  assert.equal(
    dockerBuildCommand({ name: null }, "Dockerfile", {}, ".", { b: "1", B_2: "2", B: "3", _X: "4" }),
    "docker build --build-context B=3 --build-context B_2=2 --build-context _X=4 --build-context b=1 -f Dockerfile .",
  );
  // names alone (no value, for the analysis) and an empty name have nothing to pass
  assert.equal(dockerBuildCommand(build, "Dockerfile", {}, ".", { deps: "", "": "x" }), "docker build --target build -f Dockerfile .");
});

test("shell quoting", () => {
  assert.equal(shellQuote("plain-word_1.2/x"), "plain-word_1.2/x");
  assert.equal(shellQuote("it's"), "'it'\\''s'");
  assert.equal(shellQuote(""), "''");
  assert.equal(shellQuote("$HOME"), "'$HOME'");
});

test("quick pick texts say what a target builds", () => {
  assert.equal(targetLabel(build), "build");
  // A stage without a name is `stage-N`, as the server, the CLI, Neovim and the web explorer say.
  assert.equal(targetLabel({ ...release, name: null }), "stage-5");
  assert.equal(targetDescription(build), "build compiles the server binary");
  assert.equal(targetDescription(release), "default target");
  assert.equal(targetDescription({ ...release, name: null }), "default target · no AS name: built without --target");
  assert.equal(
    targetDescription({ ...release, name: null, description: "the image" }),
    "default target · no AS name: built without --target · the image",
  );
  assert.equal(targetDetail(build), "builds 2 stages: base → build · images: golang:1.22-alpine");
  assert.equal(
    targetDetail(release),
    "builds 4 stages: {base, certs} → build → release · images: golang:1.22-alpine, alpine:3.20 · the legacy builder also builds test, docs",
  );
  assert.equal(
    targetDetail({ ...build, buildkit: { ...build.buildkit!, images: [], contexts: ["golang:1.22-alpine"] } }),
    "builds 2 stages: base → build · named contexts: golang:1.22-alpine",
  );
  // What the steps of a stage a named context replaces use is dispatched, not built.
  assert.equal(
    targetDetail({ ...build, buildkit: { ...build.buildkit!, images: [], contexts: ["base"], dispatchedNotBuilt: ["tools", "dep"] } }),
    "builds 2 stages: base → build · named contexts: base · dispatched, not built: tools, dep",
  );
  // Stages on or after a cycle of references are in no wave.
  assert.equal(
    targetDetail({ ...build, buildkit: { stages: ["x", "a", "b"], waves: [["x"]], inCycle: ["a", "b"], images: [] }, legacy: ["x", "a", "b"] }),
    "builds 3 stages: x · in no wave, on or after a cycle of references: a, b",
  );
  // Without the lists (a document with thousands of stages), the counts.
  const { buildkit: _b, legacy: _l, ...counts } = release;
  assert.equal(targetDetail(counts), "builds 4 stages · the legacy builder builds 6");
  assert.equal(targetDetail({ ...counts, legacyBuilds: 4 }), "builds 4 stages");
  // A build the server knows fails says where first.
  assert.equal(
    targetDetail({ ...counts, legacyBuilds: 4, fails: { message: 'invalid port: "80/bogus"', line: 2 } }),
    'build fails on line 3: invalid port: "80/bogus" · builds 4 stages',
  );
  // (A failure with no place in the file: no line.)
  assert.equal(
    targetDetail({ ...counts, legacyBuilds: 4, fails: { message: 'failed to parse stage name "Bad"', line: null } }),
    'build fails: failed to parse stage name "Bad" · builds 4 stages',
  );
  assert.equal(targetDetail({ ...counts, legacyBuilds: 4, fails: null }), "builds 4 stages");
  // Where the legacy builder fails of its own accord, that instead of what it builds.
  const mount = { message: "the --mount option requires BuildKit", line: 7 };
  assert.equal(
    targetDetail({ ...release, legacyFails: mount }),
    "builds 4 stages: {base, certs} → build → release · images: golang:1.22-alpine, alpine:3.20 · the legacy builder fails on line 8: the --mount option requires BuildKit",
  );
});

const text = ["ARG X=1", "", "FROM alpine AS a", "RUN true", "FROM a AS b", "COPY --from=a / /"];
const nodes: GraphNode[] = [
  { id: 0, kind: "image", label: "alpine", stage: null, line: null },
  { id: 1, kind: "stage", label: "a", stage: 0, line: 2 },
  { id: 2, kind: "stage", label: "b", stage: 1, line: 4 },
];

test("a clicked node reveals its FROM line whatever the line convention", () => {
  assert.equal(fromLineForNode(text, 1, 5, nodes), 4); // nodes: 0-based
  assert.equal(fromLineForNode(text, 1, 5, []), 4); // data-line: 1-based
  assert.equal(fromLineForNode(text, 1, 4, []), 4); // data-line that turned out 0-based
  assert.equal(fromLineForNode(text, null, null, nodes), null);
});

test("the stage under the cursor", () => {
  assert.equal(stageAtLine(0, nodes), null);
  assert.equal(stageAtLine(2, nodes), 0);
  assert.equal(stageAtLine(3, nodes), 0);
  assert.equal(stageAtLine(5, nodes), 1);
});

test("finding the server binary, and the message when it is missing", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stagecraft-find-"));
  try {
    const bin = path.join(dir, "bin");
    const home = path.join(dir, "home");
    fs.mkdirSync(bin);
    fs.mkdirSync(path.join(home, ".cargo", "bin"), { recursive: true });

    let r = findServer("", dir, bin, home, "");
    assert.equal(r.path, null);
    assert.deepEqual(r.tried, [path.join(bin, "stagecraft"), path.join(home, ".cargo", "bin", "stagecraft")]);
    assert.match(missingServerMessage("", r), /not on PATH.*cargo install --path crates\/cli.*stagecraft\.serverPath/);

    const cargoBin = path.join(home, ".cargo", "bin", "stagecraft");
    fs.writeFileSync(cargoBin, "#!/bin/sh\n", { mode: 0o755 });
    assert.equal(findServer("", dir, bin, home, "").path, cargoBin);

    const onPath = path.join(bin, "stagecraft");
    fs.writeFileSync(onPath, "#!/bin/sh\n", { mode: 0o755 });
    assert.equal(findServer("", dir, bin, home, "").path, onPath);

    // a configured path wins, relative to the workspace folder, ~ expanded
    assert.equal(findServer("bin/stagecraft", dir, "", home).path, onPath);
    assert.equal(findServer("~/.cargo/bin/stagecraft", dir, "", home).path, cargoBin);
    r = findServer("/nonexistent/stagecraft", dir, bin, home);
    assert.equal(r.path, null);
    assert.match(missingServerMessage("/nonexistent/stagecraft", r), /"stagecraft\.serverPath" is "\/nonexistent\/stagecraft"/);

    // not executable: not found
    fs.chmodSync(onPath, 0o644);
    assert.equal(findServer("", dir, bin, home, "").path, cargoBin);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("settings of the wrong type are normalised as the server reads them", () => {
  const from = (values: Record<string, unknown>) =>
    serverSettings(<T>(key: string, dflt: T) => (key in values ? (values[key] as T) : dflt));
  assert.deepEqual(from({}), { targets: [], buildArgs: {}, severities: {}, buildContext: "", namedContexts: {}, platform: "" });
  assert.deepEqual(
    from({
      targets: ["test", 3, null, "#2"],
      buildArgs: { GO_VERSION: 1.23, DEBUG: true, NOTE: "hi", BAD: { x: 1 } },
      severities: { "unused-stage": "Error", x: 3, y: "loud" },
      buildContext: "..",
      namedContexts: { alpine: "docker-image://alpine:3.20", build: "local:out", n: 5, BAD: null },
      platform: " linux/arm64 ",
    }),
    {
      targets: ["test", "3", "#2"],
      buildArgs: { GO_VERSION: "1.23", DEBUG: "true", NOTE: "hi" },
      severities: { "unused-stage": "error" },
      buildContext: "..",
      namedContexts: { alpine: "docker-image://alpine:3.20", build: "local:out", n: "5" },
      platform: "linux/arm64",
    },
  );
  assert.deepEqual(from({ targets: "test", buildArgs: ["X=1"], severities: "error", buildContext: ["x"], namedContexts: 3, platform: ["x"] }), {
    targets: ["test"],
    buildArgs: {},
    severities: {},
    buildContext: "",
    namedContexts: {},
    platform: "",
  });
  // names alone (a list, or one name), as the server takes them: no value for the build command
  assert.deepEqual(from({ namedContexts: ["deps", 5, null] }).namedContexts, { deps: "", "5": "" });
  assert.deepEqual(from({ namedContexts: "deps" }).namedContexts, { deps: "" });
});

test("the picker's prompt says when a code lens's stage is no target", () => {
  const targets = [build, release];
  const ask = "Pick the stage to build (docker build --target)";
  assert.equal(pickPlaceholder(undefined, targets), ask);
  assert.equal(pickPlaceholder(5, targets), ask);
  assert.equal(pickPlaceholder(2, targets), `Stage #2 is not a build target (--target cannot name it). ${ask}`);
});

test("the graph is drawn by the server while named build contexts are set, or the wasm build failed", () => {
  assert.deepEqual(graphRenderer({}, false), { renderer: "wasm", reason: null });
  assert.deepEqual(graphRenderer({}, true), { renderer: "server", reason: "wasmFailed" });
  const alpine = { alpine: "docker-image://alpine:3.20" };
  assert.deepEqual(graphRenderer(alpine, false), { renderer: "server", reason: "namedContexts" });
  // Both: the named contexts are why, whatever the wasm build does.
  assert.deepEqual(graphRenderer(alpine, true), { renderer: "server", reason: "namedContexts" });
  // A name without a value is a context for the analysis: the server reads it.
  assert.deepEqual(graphRenderer({ deps: "" }, false), { renderer: "server", reason: "namedContexts" });
  // An empty name is none (the server skips it).
  assert.deepEqual(graphRenderer({ "": "x" }, false), { renderer: "wasm", reason: null });
  // The platform `local` (any case) is the machine's, which only the server can tell.
  assert.deepEqual(graphRenderer({}, false, " Local "), { renderer: "server", reason: "localPlatform" });
  assert.deepEqual(graphRenderer({}, true, "local"), { renderer: "server", reason: "localPlatform" });
  assert.deepEqual(graphRenderer({}, false, "linux/arm64"), { renderer: "wasm", reason: null });
  assert.deepEqual(graphRenderer(alpine, false, "local"), { renderer: "server", reason: "namedContexts" });
  // As the settings come to it: a list of names, or a wrong type, through serverSettings.
  const contexts = (v: unknown) => serverSettings(<T>(key: string, dflt: T) => (key === "namedContexts" ? (v as T) : dflt)).namedContexts;
  assert.equal(graphRenderer(contexts(["deps"]), false).renderer, "server");
  assert.equal(graphRenderer(contexts("deps"), false).renderer, "server");
  assert.equal(graphRenderer(contexts({}), false).renderer, "wasm");
  assert.equal(graphRenderer(contexts([]), false).renderer, "wasm");
  assert.equal(graphRenderer(contexts(null), false).renderer, "wasm");
  assert.equal(graphRenderer(contexts(42), false).renderer, "wasm");
});

test("the server binary in $CARGO_HOME/bin when CARGO_HOME is set, as cargo install puts it there", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stagecraft-cargo-"));
  try {
    const home = path.join(dir, "home");
    const cargoHome = path.join(dir, "cargo");
    fs.mkdirSync(path.join(home, ".cargo", "bin"), { recursive: true });
    fs.mkdirSync(path.join(cargoHome, "bin"), { recursive: true });
    const inCargoHome = path.join(cargoHome, "bin", "stagecraft");
    let r = findServer("", dir, "", home, cargoHome);
    assert.equal(r.path, null);
    assert.deepEqual(r.tried, [inCargoHome]);
    assert.ok(missingServerMessage("", r).includes(`not on PATH nor in ${path.join(cargoHome, "bin")}`), missingServerMessage("", r));
    fs.writeFileSync(inCargoHome, "#!/bin/sh\n", { mode: 0o755 });
    assert.equal(findServer("", dir, "", home, cargoHome).path, inCargoHome);
    // ~/.cargo/bin is not where cargo installs then
    fs.rmSync(inCargoHome);
    fs.writeFileSync(path.join(home, ".cargo", "bin", "stagecraft"), "#!/bin/sh\n", { mode: 0o755 });
    assert.equal(findServer("", dir, "", home, cargoHome).path, null);
    // unset or empty: ~/.cargo
    assert.equal(findServer("", dir, "", home, undefined).path, path.join(home, ".cargo", "bin", "stagecraft"));
    r = findServer("", dir, "", home, "");
    assert.match(missingServerMessage("", r), /not on PATH nor in /);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("docker build paths: the context is the Dockerfile's folder unless stagecraft.buildContext names one", () => {
  const root = path.join(path.sep, "work", "repo");
  const file = path.join(root, "app", "Dockerfile");
  // The server reads .dockerignore from the Dockerfile's folder: the command builds that folder.
  assert.deepEqual(dockerBuildPaths(root, file), { file: path.join("app", "Dockerfile"), context: "app" });
  assert.deepEqual(dockerBuildPaths(root, file, ""), { file: path.join("app", "Dockerfile"), context: "app" });
  assert.deepEqual(dockerBuildPaths(root, path.join(root, "Dockerfile")), { file: "Dockerfile", context: "." });
  // Relative to the Dockerfile's folder, as the server reads it.
  assert.deepEqual(dockerBuildPaths(root, file, ".."), { file: path.join("app", "Dockerfile"), context: "." });
  assert.deepEqual(dockerBuildPaths(root, file, "."), { file: path.join("app", "Dockerfile"), context: "app" });
  assert.deepEqual(dockerBuildPaths(root, file, path.join(root, "ctx")), { file: path.join("app", "Dockerfile"), context: "ctx" });
  // Run from the Dockerfile's own folder (no workspace folder).
  assert.deepEqual(dockerBuildPaths(path.join(root, "app"), file), { file: "Dockerfile", context: "." });
  assert.equal(
    dockerBuildCommand(build, dockerBuildPaths(root, file).file, {}, dockerBuildPaths(root, file).context),
    `docker build --target build -f ${path.join("app", "Dockerfile")} app`,
  );
});

test("an ignore file beside a Dockerfile (Dockerfile.dockerignore) is never the server's", () => {
  for (const p of ["file:///w/Dockerfile.dockerignore", "/w/app/Dockerfile.dev.dockerignore", "Containerfile.dockerignore", "file:///w/.dockerignore", "x.DockerIgnore"]) {
    assert.equal(isDockerignore(p), true, p);
  }
  for (const p of ["file:///w/Dockerfile", "file:///w/Dockerfile.dev", "/w/dockerignore.Dockerfile", "file:///w/Dockerfile.dockerignore.bak", "file:///w/Dockerfile.dockerignored"]) {
    assert.equal(isDockerignore(p), false, p);
  }
  assert.equal(isDockerignore("untitled:Dockerfile.dockerignore?x=1"), true);
  assert.equal(aboutDockerignore({ textDocument: { uri: "file:///w/Dockerfile.dockerignore", languageId: "dockerfile", version: 1, text: "" } }), true);
  assert.equal(aboutDockerignore({ textDocument: { uri: "file:///w/Dockerfile" }, position: { line: 0, character: 0 } }), false);
  assert.equal(aboutDockerignore({ settings: {} }), false);
  assert.equal(aboutDockerignore(undefined), false);
  assert.equal(aboutDockerignore(null), false);
});

test("the manifest maps *.dockerignore to the ignore language, off VS Code's Dockerfile.* pattern", () => {
  // out/unit/*.cjs -> editors/vscode/package.json
  const manifest = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../package.json"), "utf8"));
  assert.equal(manifest.contributes.configurationDefaults["files.associations"]["*.dockerignore"], "ignore");
});

test("the lookup lists each place it looked at once", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stagecraft-lookup-"));
  try {
    const home = path.join(dir, "home");
    const cargoBin = path.join(home, ".cargo", "bin");
    // PATH names the cargo folder twice, and the fallback is that folder again.
    const r = findServer("", dir, [cargoBin, "/nonexistent-a", cargoBin].join(path.delimiter), home, "");
    assert.equal(r.path, null);
    assert.deepEqual(r.tried, [path.join(cargoBin, "stagecraft"), path.join("/nonexistent-a", "stagecraft")]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("in a remote window, the missing-server message says where stagecraft.serverPath takes effect", () => {
  const lookup = { path: null, tried: ["/usr/bin/stagecraft", "/root/.cargo/bin/stagecraft"] };
  const seen = missingServerMessage("", lookup, { name: "ssh-remote", userValue: "/opt/stagecraft" });
  assert.match(seen, /Your User setting "stagecraft\.serverPath" \("\/opt\/stagecraft"\) is ignored in this remote window \(ssh-remote\)/);
  assert.match(seen, /Remote settings and the workspace settings/);
  assert.match(seen, /cargo install --path crates\/cli/);
  // VS Code does not show the extension the dropped value: the same advice, without it.
  const unseen = missingServerMessage("", lookup, { name: "ssh-remote" });
  assert.match(unseen, /A "stagecraft\.serverPath" in the User settings is ignored in this remote window \(ssh-remote\)/);
  // A path in effect (Remote or workspace settings) that is wrong: about that path.
  assert.doesNotMatch(missingServerMessage("/x/stagecraft", { path: null, tried: ["/x/stagecraft"] }, { name: "wsl" }), /User settings/);
  // A local window: as before.
  assert.match(missingServerMessage("", lookup), /or set "stagecraft\.serverPath" to the binary\.$/);

  assert.equal(serverPathSettingsTab(undefined, { globalValue: "/a" }), "user");
  assert.equal(serverPathSettingsTab("wsl", { globalValue: "/a" }), "remote");
  assert.equal(serverPathSettingsTab("wsl", {}), "remote");
  assert.equal(serverPathSettingsTab("wsl", { workspaceValue: "bin/stagecraft" }), "workspace");
  assert.equal(serverPathSettingsTab(undefined, { workspaceFolderValue: "/b" }), "workspace");
});

test("the language status items say the server's state and the targets in play", () => {
  assert.deepEqual(serverStatusText({ state: "running", version: "0.3.0", path: "/bin/stagecraft" }), {
    text: "stagecraft 0.3.0",
    detail: "/bin/stagecraft lsp",
    error: false,
    busy: false,
  });
  assert.equal(serverStatusText({ state: "running", version: null, path: "/s" }).text, "stagecraft: running");
  assert.equal(serverStatusText({ state: "starting", path: null }).busy, true);
  const stopped = serverStatusText({ state: "stopped", why: "stagecraft: the language server binary was not found (x)." });
  assert.equal(stopped.text, "stagecraft: not running");
  assert.equal(stopped.detail, "the language server binary was not found (x).");
  assert.equal(stopped.error, true);
  assert.equal(targetsStatusText([]).text, "target: default");
  assert.equal(targetsStatusText(["release", "test"]).text, "targets: release, test");
  assert.equal(targetsStatusText(["release", "test"]).warning, false);
  const warn = targetsStatusText(["release", "test", "gone"], ["gone"]);
  assert.equal(warn.text, "targets: release, test, gone");
  assert.equal(warn.warning, true);
  assert.equal(warn.detail, 'this file has no stage "gone": left out for it (stagecraft.targets)');
});

test("the targets in play a file lacks: names ignoring case, #N past the last stage, never the default", () => {
  const file = { defaultTarget: 3, targets: [{ name: "base" }, { name: "Build" }, { name: null }, { name: "release" }] };
  assert.deepEqual(targetsMissingFrom(["base", "BUILD", "", "#0", "#3"], file), []);
  assert.deepEqual(targetsMissingFrom(["gone", "#4", "releases", "release"], file), ["gone", "#4", "releases"]);
  assert.deepEqual(targetsMissingFrom(["#0", "x", ""], { defaultTarget: null, targets: [] }), ["#0", "x"]);
});
