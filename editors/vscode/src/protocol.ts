// The stagecraft server's protocol extensions (docs/interfaces.md, section 2).

import { RequestType } from "vscode-languageclient/node";

/** `{textDocument: {uri}}`, the params of both custom requests. */
export interface DocumentParams {
  textDocument: { uri: string };
}

/** One build target: a named stage, or the default (last) stage. */
export interface TargetInfo {
  name: string | null;
  stage: number;
  description: string | null;
  isDefault: boolean;
  /** 0-based line of the FROM. */
  line: number;
  /** How many stages BuildKit builds for `--target` = this stage. */
  builds: number;
  /** How many the legacy builder builds (every stage up to the target). */
  legacyBuilds: number;
  /** BuildKit's error when the build is known to fail (`line`: 0-based); absent from older servers. */
  fails?: { message: string; line: number | null } | null;
  /**
   * Where the legacy builder fails of its own accord building this target (a `RUN --mount`, a
   * heredoc source, an automatic platform ARG...) while BuildKit does otherwise (`line`: 0-based);
   * null where BuildKit fails there too (`fails` says it) and where the lists are not given (not
   * `detailed`: ask for the one target); absent from older servers.
   */
  legacyFails?: { message: string; line: number } | null;
  /** The lists; absent when the result is not `detailed` (ask for the one target). */
  buildkit?: { stages: string[]; waves: string[][]; inCycle?: string[]; images: string[]; contexts?: string[]; dispatchedNotBuilt?: string[] };
  /** What the legacy builder builds: every stage up to the target. */
  legacy?: string[];
}

export interface TargetsResult {
  defaultTarget: number | null;
  /** False when a document's lists would be too big (thousands of stages): counts only. */
  detailed: boolean;
  targets: TargetInfo[];
}

/** `target`: one target (a stage name or `#index`), always with its lists. */
export interface TargetsParams extends DocumentParams {
  target?: string;
}

export const TargetsRequest = new RequestType<TargetsParams, TargetsResult, void>("stagecraft/targets");

export interface GraphNode {
  id: number;
  kind: "stage" | "image" | "scratch" | "context";
  label: string;
  stage: number | null;
  line: number | null;
}

export interface GraphEdge {
  source: number;
  stage: number;
  kind: "from" | "copy" | "mount" | "onbuild";
}

export interface StageGraphParams extends DocumentParams {
  target?: string;
}

export interface StageGraphResult {
  /** Rendered by the server. */
  /** null when the graph is too large to draw (`svgError` says so). */
  svg: string | null;
  svgError?: string;
  dot: string;
  mermaid: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export const StageGraphRequest = new RequestType<StageGraphParams, StageGraphResult, void>("stagecraft/stageGraph");

/** The server's options, as initializationOptions and `settings.stagecraft`. */
export interface ServerSettings {
  targets: string[];
  buildArgs: Record<string, string>;
  severities: Record<string, "error" | "warning" | "info" | "hint">;
  /** The build context for `.dockerignore`: absolute, or relative to the Dockerfile's folder; "" for that folder. */
  buildContext: string;
  /**
   * Named build contexts (`docker buildx build --build-context NAME=VALUE`), by name; the server
   * reads the names, the docker build command takes the pairs ("" for a name given alone).
   */
  namedContexts: Record<string, string>;
  /** The target platform (`docker build --platform`), "" for linux/amd64. */
  platform: string;
}
