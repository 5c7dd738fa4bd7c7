// Entry point: starts the stagecraft language server and registers the client-side commands.

import * as vscode from "vscode";
import { GraphPanels } from "./graph";
import { Server } from "./server";
import { StatusItems } from "./status";
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
    // Code lenses from the server call this with [uri, stageIndex].
    vscode.commands.registerCommand("stagecraft.pickTarget", (uri?: unknown, stageIndex?: unknown) => pickTarget(s, uri, stageIndex)),
    vscode.commands.registerCommand("stagecraft.showGraph", (uri?: unknown) => graphs.show(uri)),
    vscode.commands.registerCommand("stagecraft.restartServer", () => s.restart()),
  );
  void s.start();
}

export async function deactivate(): Promise<void> {
  await server?.stop();
}
