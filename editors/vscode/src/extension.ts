// Entry point: starts the stagecraft language server and registers the client-side commands.

import * as vscode from "vscode";
import { GraphPanels } from "./graph";
import { Server } from "./server";
import { StatusItems } from "./status";
import { showReferences } from "./references";
import { pickTarget } from "./targets";

let server: Server | undefined;

export function activate(context: vscode.ExtensionContext): void {
  server = new Server();
  const graphs = new GraphPanels(server, context.extensionUri);
  const s = server;
  context.subscriptions.push(
    s,
    graphs,
    new StatusItems(s),
    // A graph panel open when the window closed (or reloaded) comes back for its Dockerfile.
    vscode.window.registerWebviewPanelSerializer(GraphPanels.viewType, graphs),
    // Code lenses from the server call these, with [uri, stageIndex] and [uri, position].
    vscode.commands.registerCommand("stagecraft.pickTarget", (uri?: unknown, stageIndex?: unknown) => pickTarget(s, uri, stageIndex)),
    vscode.commands.registerCommand("stagecraft.showReferences", (uri?: unknown, position?: unknown) => showReferences(s, uri, position)),
    vscode.commands.registerCommand("stagecraft.showGraph", (uri?: unknown) => graphs.show(uri)),
    vscode.commands.registerCommand("stagecraft.restartServer", () => s.restart()),
  );
  // Activated for a Dockerfile shown in an editor: a server that cannot start says so. Activated
  // by a graph panel that a window reload brings back (which opens its Dockerfile, unseen), with
  // no Dockerfile shown: not yet, but once one is (ready() tells why there is no server, once,
  // and starts one installed since).
  const shown = () => vscode.window.visibleTextEditors.some((e) => e.document.languageId === "dockerfile");
  if (shown()) {
    void s.start();
  } else {
    void s.start(false);
    const watch = vscode.window.onDidChangeVisibleTextEditors(() => {
      if (!shown()) return;
      watch.dispose();
      void s.ready();
    });
    context.subscriptions.push(watch);
  }
}
