// "Show stage graph": a webview that draws the graph itself with the wasm build of stagecraft
// (media/wasm/, copied from web/pkg by build.sh). The extension posts the document's text as it
// changes and the cursor as it moves; a click on a stage comes back and reveals its FROM line.
// When the wasm build does not load in the webview, or while `stagecraft.namedContexts` names a
// context (the wasm build has none), the graph comes from the server's `stagecraft/stageGraph`
// instead; the extension tells the webview which ({type: "renderer"}).

import * as crypto from "node:crypto";
import * as path from "node:path";
import * as vscode from "vscode";
import { debounce, fromLineForNode, graphHtml, graphRenderer, type ServerReason, stageAtLine } from "./logic";
import { ErrorCodes, ResponseError } from "vscode-languageclient/node";
import { type GraphNode, StageGraphRequest, TargetsRequest } from "./protocol";
import { type Server, settings } from "./server";
import { dockerfileFor } from "./targets";

/** How long edits must pause before the webview gets the new text. */
const REFRESH_DELAY_MS = 150;
/** How long after a click on a node a focus report from the webview counts as that click's (`refocusAfterReveal`). */
const REFOCUS_WINDOW_MS = 1500;

/** Messages from the webview (media/graph.js). */
type FromWebview =
  | { type: "ready" }
  | { type: "wasmFailed"; message: string }
  | { type: "reveal"; stage: number | null; line: number | null }
  | { type: "target"; target: string | null };

/** What the webview keeps with `setState` (media/graph.js), which a restored panel gets back. */
interface GraphState {
  uri?: unknown;
  target?: unknown;
}

/**
 * One graph panel per Dockerfile. Also the panels' serializer: a panel open when the window
 * closed or reloaded comes back, for the Dockerfile its state names.
 */
export class GraphPanels implements vscode.Disposable, vscode.WebviewPanelSerializer<GraphState> {
  static readonly viewType = "stagecraft.graph";
  private readonly panels = new Map<string, GraphPanel>();

  constructor(
    private readonly server: Server,
    private readonly extensionUri: vscode.Uri,
  ) {}

  /** The command `stagecraft.showGraph`, with an optional uri argument. */
  async show(uriArg?: unknown): Promise<void> {
    const doc = await dockerfileFor(uriArg);
    if (!doc) {
      void vscode.window.showInformationMessage("stagecraft: open a Dockerfile to see its stage graph.");
      return;
    }
    const key = doc.uri.toString();
    const existing = this.panels.get(key);
    if (existing) {
      existing.panel.reveal(undefined, true);
      // Drawn again: reveal() redraws only a hidden panel, and one shown beside the editor may
      // say that its file could not be opened.
      existing.redraw();
      return;
    }
    const panel = new GraphPanel(this.server, this.extensionUri, doc.uri, undefined, null, () => this.panels.delete(key));
    this.panels.set(key, panel);
  }

  /** A panel VS Code restores (after a reload): drawn again for its Dockerfile. */
  async deserializeWebviewPanel(webviewPanel: vscode.WebviewPanel, state: GraphState | undefined): Promise<void> {
    let uri: vscode.Uri | undefined;
    try {
      uri = typeof state?.uri === "string" && state.uri !== "" ? vscode.Uri.parse(state.uri, true) : undefined;
    } catch {
      uri = undefined;
    }
    const key = uri?.toString();
    // Saved before the webview knew its document (or by an older version): nothing to draw.
    if (!uri || !key || this.panels.has(key)) {
      webviewPanel.dispose();
      return;
    }
    const target = typeof state?.target === "string" ? state.target : null;
    this.panels.set(key, new GraphPanel(this.server, this.extensionUri, uri, webviewPanel, target, () => this.panels.delete(key)));
  }

  dispose(): void {
    for (const p of [...this.panels.values()]) p.panel.dispose();
  }
}

class GraphPanel {
  readonly panel: vscode.WebviewPanel;
  private readonly uri: vscode.Uri;
  private target: string | null = null;
  /**
   * Who draws: the webview's wasm build, or the server (the wasm build failed to load, or named
   * build contexts are set: `reason`). The webview is told on each change (`chooseRenderer`).
   */
  private renderer: "wasm" | "server" = "wasm";
  private reason: ServerReason | null = null;
  /** The wasm build failed to load in the webview (since its last "ready"). */
  private wasmFailed = false;
  /** The Dockerfile could not be opened (a restored panel's, deleted or moved): drawn when it is opened. */
  private missing = false;
  /** The server's graph nodes (server renderer only). */
  private nodes: GraphNode[] = [];
  /** Increases with each request, so a slow old answer never replaces a newer one. */
  private seq = 0;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly output: vscode.OutputChannel;
  private readonly refreshSoon = debounce(REFRESH_DELAY_MS, () => void this.update());
  /**
   * A reveal asked for while the graph's group was not active, so that the webview's report of
   * the click's focus may still come after it: when it was asked for, and the editor it shows
   * (see `refocusAfterReveal`).
   */
  private armed: { at: number; editor: Promise<vscode.TextEditor | undefined> } | null = null;

  /** `restored`: a panel VS Code brought back after a reload (with the target it had), else a new one. */
  constructor(
    private readonly server: Server,
    extensionUri: vscode.Uri,
    uri: vscode.Uri,
    restored: vscode.WebviewPanel | undefined,
    target: string | null,
    onDispose: () => void,
  ) {
    this.uri = uri;
    this.target = target;
    const media = vscode.Uri.joinPath(extensionUri, "media");
    const fileName = path.basename(uri.fsPath || uri.path);
    const options = { enableScripts: true, localResourceRoots: [media] };
    if (restored) {
      this.panel = restored;
      this.panel.webview.options = options;
      this.panel.title = `Stage graph: ${fileName}`;
    } else {
      this.panel = vscode.window.createWebviewPanel(
        GraphPanels.viewType,
        `Stage graph: ${fileName}`,
        { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
        options,
      );
    }
    this.panel.webview.html = this.html(media);
    this.output = server.output;
    this.disposables.push(
      this.panel.webview.onDidReceiveMessage((m: FromWebview) => this.onMessage(m)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (
          e.affectsConfiguration("stagecraft.buildArgs") ||
          e.affectsConfiguration("stagecraft.targets") ||
          e.affectsConfiguration("stagecraft.namedContexts") ||
          e.affectsConfiguration("stagecraft.platform")
        ) {
          this.refreshSoon();
        }
      }),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.toString() === this.uri.toString() && e.contentChanges.length > 0) this.refreshSoon();
      }),
      // The panel says "open it to see its graph again" while its file cannot be opened: opened
      // (created again, found again), it is drawn.
      vscode.workspace.onDidOpenTextDocument((d) => {
        if (this.missing && d.uri.toString() === this.uri.toString()) {
          this.missing = false;
          void this.update();
        }
      }),
      vscode.window.onDidChangeTextEditorSelection((e) => {
        if (e.textEditor.document.uri.toString() !== this.uri.toString()) return;
        const active = e.selections[0].active;
        if (this.renderer === "wasm") {
          const doc = e.textEditor.document;
          void this.panel.webview.postMessage({ type: "cursor", version: doc.version, offset: doc.offsetAt(active) });
        } else this.postSelection(active.line);
      }),
    );
    this.disposables.push(this.panel.onDidChangeViewState(() => this.refocusAfterReveal()));
    this.panel.onDidDispose(() => {
      this.refreshSoon.cancel();
      for (const d of this.disposables) d.dispose();
      onDispose();
    });
  }

  /** Draws the graph again (the command run for a panel that is open already). */
  redraw(): void {
    void this.update(true);
  }

  private onMessage(m: FromWebview): void {
    switch (m.type) {
      case "ready":
        // Sent on load, and again whenever the webview is shown after being hidden (it reloads,
        // and tries the wasm build again): it must be told again who draws.
        this.wasmFailed = false;
        void this.update(true);
        break;
      case "wasmFailed":
        this.output.appendLine(`stage graph: the wasm build failed to load in the webview (${m.message}); using the server's stagecraft/stageGraph`);
        this.wasmFailed = true;
        void this.update();
        break;
      case "target":
        // The user is working in the webview: its focus is theirs.
        this.armed = null;
        // The webview redraws by itself with wasm; remember the choice for when it reloads.
        this.target = m.target;
        if (this.renderer === "server") void this.update();
        break;
      case "reveal": {
        // The panel active already: the click's focus report came first, and nothing is to
        // come. Not active: the report may still come, after the reveal.
        const late = !this.panel.active;
        const editor = this.reveal(m.stage, m.line);
        this.armed = late ? { at: Date.now(), editor } : null;
        editor.then(undefined, (e) => this.output.appendLine(`stage graph: revealing the stage failed: ${e instanceof Error ? e.message : String(e)}`));
        break;
      }
    }
  }

  /**
   * Sends the webview what it draws from: the text (wasm), or the server's graph; first who
   * draws, when that changed (or `announce`: the webview reloaded).
   */
  private async update(announce = false): Promise<void> {
    this.chooseRenderer(announce);
    if (this.renderer === "wasm") await this.postDocument();
    else await this.refresh();
  }

  /** Decides who draws from the settings and the wasm build's state; tells the webview. */
  private chooseRenderer(announce: boolean): void {
    const s = settings();
    const next = graphRenderer(s.namedContexts, this.wasmFailed, s.platform);
    if (!announce && next.renderer === this.renderer && next.reason === this.reason) return;
    if (next.renderer !== this.renderer) {
      // An answer to a request made for the other renderer is dropped.
      this.seq++;
      if (next.reason === "namedContexts") {
        this.output.appendLine("stage graph: stagecraft.namedContexts names build contexts, which the wasm build does not read; using the server's stagecraft/stageGraph");
      } else if (next.reason === "localPlatform") {
        this.output.appendLine("stage graph: stagecraft.platform is local, the machine's platform, which the wasm build cannot tell; using the server's stagecraft/stageGraph");
      } else if (next.renderer === "wasm") {
        this.output.appendLine("stage graph: drawn by the wasm build again");
      }
    }
    this.renderer = next.renderer;
    this.reason = next.reason;
    // (`uri`: the webview keeps it in its state, for restoring the panel after a reload.)
    void this.panel.webview.postMessage({ type: "renderer", renderer: next.renderer, reason: next.reason, uri: this.uri.toString() });
  }

  /** Posts the document's text, version and cursor (a UTF-16 offset, as the wasm API takes). */
  private async postDocument(): Promise<void> {
    let doc: vscode.TextDocument;
    try {
      doc =
        vscode.workspace.textDocuments.find((d) => d.uri.toString() === this.uri.toString()) ??
        (await vscode.workspace.openTextDocument(this.uri));
    } catch (e) {
      // (A restored panel whose Dockerfile was deleted or moved since.)
      this.showMissing(e);
      return;
    }
    this.missing = false;
    const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === this.uri.toString());
    const s = settings();
    void this.panel.webview.postMessage({
      type: "document",
      text: doc.getText(),
      version: doc.version,
      target: this.target,
      cursor: editor ? doc.offsetAt(editor.selection.active) : null,
      // The wasm analysis takes the server's build args, targets in play and platform, so the
      // graph resolves FROM lines and marks unused stages as the diagnostics do.
      options: { buildArgs: s.buildArgs, targets: s.targets, ...(s.platform !== "" ? { platform: s.platform } : {}) },
    });
  }

  /** Says that the panel's Dockerfile could not be opened (`e`), and redraws once it is. */
  private showMissing(e: unknown): void {
    this.missing = true;
    const name = path.basename(this.uri.fsPath || this.uri.path);
    void this.panel.webview.postMessage({
      type: "error",
      message: `stagecraft: ${name} could not be opened (${e instanceof Error ? e.message : String(e)}); open it to see its graph again.`,
    });
  }

  /** The server renderer: asks `stagecraft/stageGraph` for the SVG. */
  private async refresh(): Promise<void> {
    const seq = ++this.seq;
    const client = await this.server.ready(true);
    if (seq !== this.seq) return;
    if (!client) {
      void this.panel.webview.postMessage({ type: "error", message: this.server.whyNotRunning });
      return;
    }
    const textDocument = { uri: client.code2ProtocolConverter.asUri(this.uri) };
    try {
      // The server knows the documents open in VS Code only: one closed since the panel opened
      // is opened again (the language client then sends it), else the request would fail.
      if (!vscode.workspace.textDocuments.some((d) => d.uri.toString() === this.uri.toString())) {
        try {
          await vscode.workspace.openTextDocument(this.uri);
        } catch (e) {
          if (seq !== this.seq) return;
          this.showMissing(e);
          return;
        }
        if (seq !== this.seq) return;
      }
      const graphOf = (target: string | null) =>
        client.sendRequest(StageGraphRequest, target === null ? { textDocument } : { textDocument, target });
      const chosen = this.target;
      let dropped: string | null = null;
      const [graph, targets] = await Promise.all([
        graphOf(chosen).catch((e: unknown) => {
          // A target the file no longer has (renamed or deleted): the default target, as the
          // wasm path draws it. The choice is kept, so it is drawn again when the stage is back.
          if (chosen === null || !(e instanceof ResponseError) || e.code !== ErrorCodes.InvalidParams) throw e;
          dropped = chosen;
          return graphOf(null);
        }),
        client.sendRequest(TargetsRequest, { textDocument }),
      ]);
      if (seq !== this.seq) return;
      if (graph.svg === null) {
        void this.panel.webview.postMessage({ type: "error", message: graph.svgError ?? "the server drew no graph" });
        return;
      }
      this.nodes = graph.nodes;
      this.missing = false;
      const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === this.uri.toString());
      void this.panel.webview.postMessage({
        type: "graph",
        svg: graph.svg,
        seq,
        target: dropped === null ? chosen : null,
        dropped,
        targets: targets.targets
          .filter((t) => t.name !== null)
          .map((t) => ({ name: t.name, isDefault: t.isDefault, description: t.description })),
        selected: editor ? stageAtLine(editor.selection.active.line, this.nodes) : null,
      });
    } catch (e) {
      if (seq !== this.seq) return;
      void this.panel.webview.postMessage({ type: "error", message: `stagecraft/stageGraph failed: ${e instanceof Error ? e.message : String(e)}` });
    }
  }

  private postSelection(line: number): void {
    void this.panel.webview.postMessage({ type: "select", stage: stageAtLine(line, this.nodes) });
  }

  /** Shows the Dockerfile with the stage's FROM line selected. */
  private async reveal(stage: number | null, dataLine: number | null): Promise<vscode.TextEditor | undefined> {
    const doc = await vscode.workspace.openTextDocument(this.uri);
    const lines = doc.getText().split(/\r?\n/);
    const line = fromLineForNode(lines, stage, dataLine, this.nodes);
    if (line === null) return undefined;
    const visible = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === this.uri.toString());
    const column = visible?.viewColumn ?? (this.panel.viewColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One);
    const editor = await vscode.window.showTextDocument(doc, { viewColumn: column, preserveFocus: false });
    const text = doc.lineAt(line);
    const range = new vscode.Range(line, text.firstNonWhitespaceCharacterIndex, line, text.range.end.character);
    editor.selection = new vscode.Selection(range.start, range.start);
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    return editor;
  }

  /**
   * The workbench learns that a webview has focus by polling it (every 50–250 ms, depending on
   * the version), so the report of the focus a click on a node gave the webview can come after
   * `reveal` has moved the focus to the editor, and the webview's group then takes it back: the
   * cursor is on the stage's FROM line but the keys go to the graph. When the panel becomes
   * active shortly after a reveal that was asked for while it was not, the focus goes back to
   * the revealed editor, once, if it is still shown.
   */
  private refocusAfterReveal(): void {
    const armed = this.armed;
    if (!armed || !this.panel.active) return;
    this.armed = null;
    if (Date.now() - armed.at > REFOCUS_WINDOW_MS) return;
    armed.editor
      .then(async (editor) => {
        const shown = editor && vscode.window.visibleTextEditors.find((e) => e.document === editor.document && e.viewColumn === editor.viewColumn);
        if (shown) await vscode.window.showTextDocument(shown.document, { viewColumn: shown.viewColumn, preserveFocus: false, selection: shown.selection });
      })
      .then(undefined, () => undefined);
  }

  private html(media: vscode.Uri): string {
    const webview = this.panel.webview;
    const nonce = crypto.randomBytes(16).toString("base64");
    const css = webview.asWebviewUri(vscode.Uri.joinPath(media, "graph.css"));
    const theme = webview.asWebviewUri(vscode.Uri.joinPath(media, "graph-theme.css"));
    const js = webview.asWebviewUri(vscode.Uri.joinPath(media, "graph.js"));
    const wasmJs = webview.asWebviewUri(vscode.Uri.joinPath(media, "wasm", "stagecraft_wasm.js"));
    const wasmBin = webview.asWebviewUri(vscode.Uri.joinPath(media, "wasm", "stagecraft_wasm_bg.wasm"));
    return graphHtml({
      cspSource: webview.cspSource,
      nonce,
      css: css.toString(),
      theme: theme.toString(),
      js: js.toString(),
      wasmJs: wasmJs.toString(),
      wasmBin: wasmBin.toString(),
    });
  }
}
