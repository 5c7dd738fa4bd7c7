// The language status items of Dockerfiles (the `{}` beside "Dockerfile" in the status bar): the
// server's state (starting, running with its version, not running and why) with Restart, and the
// targets in play (`stagecraft.targets`) with "Build a target…" (the target picker: it builds
// one, and changes no setting), as a warning naming those the active Dockerfile lacks.

import * as vscode from "vscode";
import { debounce, serverStatusText, targetsMissingFrom, targetsStatusText } from "./logic";
import { TargetsRequest } from "./protocol";
import { type Server, settings } from "./server";

/** How long edits to the active Dockerfile must pause before its targets are asked for again. */
const TARGETS_DELAY_MS = 500;

const SELECTOR: vscode.DocumentSelector = [
  { scheme: "file", language: "dockerfile" },
  { scheme: "untitled", language: "dockerfile" },
];

export class StatusItems implements vscode.Disposable {
  private readonly server: vscode.LanguageStatusItem;
  private readonly targets: vscode.LanguageStatusItem;
  private readonly disposables: vscode.Disposable[] = [];
  /** Increases with each check, so a slow old answer never replaces a newer one. */
  private seq = 0;
  private readonly checkSoon = debounce(TARGETS_DELAY_MS, () => void this.showTargets());

  constructor(private readonly srv: Server) {
    this.server = vscode.languages.createLanguageStatusItem("stagecraft.server", SELECTOR);
    this.server.name = "stagecraft language server";
    this.targets = vscode.languages.createLanguageStatusItem("stagecraft.targets", SELECTOR);
    this.targets.name = "stagecraft targets in play";
    this.disposables.push(
      this.server,
      this.targets,
      srv.onDidChangeStatus((st) => {
        this.showServer();
        if (st.state === "running") void this.showTargets();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration("stagecraft.targets")) void this.showTargets();
      }),
      vscode.window.onDidChangeActiveTextEditor(() => void this.showTargets()),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document === vscode.window.activeTextEditor?.document && e.contentChanges.length > 0) this.checkSoon();
      }),
      { dispose: () => this.checkSoon.cancel() },
    );
    this.showServer();
    void this.showTargets();
  }

  private showServer(): void {
    const s = serverStatusText(this.srv.status);
    this.server.text = s.text;
    this.server.detail = s.detail;
    this.server.busy = s.busy;
    this.server.severity = s.error ? vscode.LanguageStatusSeverity.Error : vscode.LanguageStatusSeverity.Information;
    this.server.command = {
      title: "Restart",
      command: "stagecraft.restartServer",
      tooltip: s.error ? "Look for the stagecraft binary and start the language server again" : "Restart the language server",
    };
  }

  /**
   * The targets in play; a warning when the active Dockerfile lacks some of them (the server's
   * `stagecraft/targets` says which targets it has; without a server, none is flagged).
   */
  private async showTargets(): Promise<void> {
    const seq = ++this.seq;
    const targets = settings().targets;
    let missing: string[] = [];
    const doc = vscode.window.activeTextEditor?.document;
    if (targets.some((t) => t !== "") && doc?.languageId === "dockerfile" && this.srv.status.state === "running") {
      try {
        const client = await this.srv.ready(true);
        if (client) {
          const file = await client.sendRequest(TargetsRequest, { textDocument: { uri: client.code2ProtocolConverter.asUri(doc.uri) } });
          missing = targetsMissingFrom(targets, file);
        }
      } catch {
        // (A document the server does not have, a server stopping: nothing flagged.)
      }
    }
    if (seq !== this.seq) return;
    const t = targetsStatusText(targets, missing);
    this.targets.text = t.text;
    this.targets.detail = t.detail;
    this.targets.severity = t.warning ? vscode.LanguageStatusSeverity.Warning : vscode.LanguageStatusSeverity.Information;
    // (The picker builds a target, or copies its docker build command; it changes no setting.)
    this.targets.command = { title: "Build a target…", command: "stagecraft.pickTarget", tooltip: "Build one of this file's targets: pick it, then run or copy its docker build command" };
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
