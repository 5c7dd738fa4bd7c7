// The language status items of Dockerfiles (the `{}` beside "Dockerfile" in the status bar): the
// server's state (starting, running with its version, not running and why) with Restart, and the
// targets in play (`stagecraft.targets`) with Pick build target.

import * as vscode from "vscode";
import { serverStatusText, targetsStatusText } from "./logic";
import { type Server, settings } from "./server";

const SELECTOR: vscode.DocumentSelector = [
  { scheme: "file", language: "dockerfile" },
  { scheme: "untitled", language: "dockerfile" },
];

export class StatusItems implements vscode.Disposable {
  private readonly server: vscode.LanguageStatusItem;
  private readonly targets: vscode.LanguageStatusItem;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly srv: Server) {
    this.server = vscode.languages.createLanguageStatusItem("stagecraft.server", SELECTOR);
    this.server.name = "stagecraft language server";
    this.targets = vscode.languages.createLanguageStatusItem("stagecraft.targets", SELECTOR);
    this.targets.name = "stagecraft targets in play";
    this.disposables.push(
      this.server,
      this.targets,
      srv.onDidChangeStatus(() => this.showServer()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration("stagecraft.targets")) this.showTargets();
      }),
    );
    this.showServer();
    this.showTargets();
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

  private showTargets(): void {
    const t = targetsStatusText(settings().targets);
    this.targets.text = t.text;
    this.targets.detail = t.detail;
    this.targets.command = { title: "Pick build target", command: "stagecraft.pickTarget", tooltip: "Build one of this file's targets" };
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
