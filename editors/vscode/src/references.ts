// The code lens "N refs": the stage's references in VS Code's references view.

import * as vscode from "vscode";
import { ReferencesRequest } from "vscode-languageclient/node";
import type { Server } from "./server";

interface Position {
  line: number;
  character: number;
}

const isPosition = (p: unknown): p is Position =>
  typeof p === "object" && p !== null && Number.isInteger((p as Position).line) && Number.isInteger((p as Position).character);

/**
 * The command `stagecraft.showReferences`; code lenses pass `[uri, position]`, where position is
 * the stage's name (an unnamed stage's FROM). The server's references there, its definition
 * aside (what the lens counts), open in the references peek ("No results" for none).
 */
export async function showReferences(server: Server, uriArg?: unknown, positionArg?: unknown): Promise<void> {
  if (typeof uriArg !== "string" || !isPosition(positionArg)) {
    void vscode.window.showErrorMessage("stagecraft.showReferences needs a document URI and a position (the code lens passes them).");
    return;
  }
  const client = await server.ready();
  if (!client) return;
  let found;
  try {
    found = await client.sendRequest(ReferencesRequest.type, {
      textDocument: { uri: uriArg },
      position: positionArg,
      context: { includeDeclaration: false },
    });
  } catch (e) {
    void vscode.window.showErrorMessage(`stagecraft: could not find the references: ${e instanceof Error ? e.message : String(e)}`);
    return;
  }
  const p2c = client.protocol2CodeConverter;
  const locations = (found ?? []).map((l) => p2c.asLocation(l));
  await vscode.commands.executeCommand("editor.action.showReferences", p2c.asUri(uriArg), p2c.asPosition(positionArg), locations);
}
