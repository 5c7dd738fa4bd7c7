// "Pick build target": the targets from `stagecraft/targets`, then run or copy `docker build`.

import * as path from "node:path";
import * as vscode from "vscode";
import { dockerBuildCommand, dockerBuildPaths, isDockerignore, pickPlaceholder, targetDescription, targetDetail, targetLabel } from "./logic";
import { type TargetInfo, TargetsRequest } from "./protocol";
import { type Server, settings } from "./server";

/** The Dockerfile a command is about: its `uri` argument (a string from a code lens), else the active editor's. */
export async function dockerfileFor(uriArg: unknown): Promise<vscode.TextDocument | undefined> {
  let uri: vscode.Uri | undefined;
  if (uriArg instanceof vscode.Uri) uri = uriArg;
  else if (typeof uriArg === "string" && uriArg !== "") uri = vscode.Uri.parse(uriArg);
  if (uri) {
    const key = uri.toString();
    return vscode.workspace.textDocuments.find((d) => d.uri.toString() === key) ?? vscode.workspace.openTextDocument(uri);
  }
  // (An ignore file such as `Dockerfile.dockerignore` may still be in the dockerfile language.)
  const isDockerfile = (d: vscode.TextDocument | undefined) => d?.languageId === "dockerfile" && !isDockerignore(d.uri.path);
  const active = vscode.window.activeTextEditor?.document;
  if (isDockerfile(active)) return active;
  // A webview or the panel may have focus: take the Dockerfile that is visible.
  return vscode.window.visibleTextEditors.find((e) => isDockerfile(e.document))?.document;
}

/**
 * Where `docker build` runs, the `-f` path and the build context for a Dockerfile: from its
 * workspace folder (else its own folder), with the context the `stagecraft.buildContext` setting
 * names (relative to the Dockerfile's folder, as the server reads it for `CopyIgnoredFile`), else
 * the Dockerfile's folder itself (as a path from the workspace folder), where the server reads
 * `.dockerignore` then.
 */
function buildContext(uri: vscode.Uri, configured: string): { cwd: string; file: string; context: string } {
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  const cwd = folder && uri.scheme === "file" ? folder.uri.fsPath : path.dirname(uri.fsPath);
  return { cwd, ...dockerBuildPaths(cwd, uri.fsPath, configured) };
}

interface TargetItem extends vscode.QuickPickItem {
  target: TargetInfo;
}

/** The command `stagecraft.pickTarget`; code lenses pass `[uri, stageIndex]`. */
export async function pickTarget(server: Server, uriArg?: unknown, stageIndex?: unknown): Promise<void> {
  const doc = await dockerfileFor(uriArg);
  if (!doc) {
    void vscode.window.showInformationMessage("stagecraft: open a Dockerfile to pick one of its build targets.");
    return;
  }
  const client = await server.ready();
  if (!client) return;
  let targets: TargetInfo[];
  try {
    const result = await client.sendRequest(TargetsRequest, { textDocument: { uri: client.code2ProtocolConverter.asUri(doc.uri) } });
    targets = result.targets;
  } catch (e) {
    void vscode.window.showErrorMessage(`stagecraft: could not list the targets: ${e instanceof Error ? e.message : String(e)}`);
    return;
  }
  const fileName = path.basename(doc.uri.fsPath || doc.uri.path);
  if (targets.length === 0) {
    void vscode.window.showInformationMessage(`stagecraft: ${fileName} has no stage to build.`);
    return;
  }

  // A code lens names its stage: no need to ask which.
  let target = typeof stageIndex === "number" ? targets.find((t) => t.stage === stageIndex) : undefined;
  if (!target) {
    const items: TargetItem[] = targets.map((t) => ({
      label: targetLabel(t),
      description: targetDescription(t),
      detail: targetDetail(t),
      target: t,
    }));
    const picked = await vscode.window.showQuickPick(items, {
      title: `Build target of ${fileName}`,
      placeHolder: pickPlaceholder(stageIndex, targets),
      matchOnDescription: true,
      matchOnDetail: true,
    });
    if (!picked) return;
    target = picked.target;
  }

  // docker build reads the Dockerfile from disk: an untitled (or otherwise virtual) document
  // has no command to run yet.
  if (doc.uri.scheme !== "file") {
    void vscode.window.showInformationMessage(
      `stagecraft: ${targetLabel(target)} ${targetDetail(target)}. Save ${fileName} to a file to build it: docker build reads the Dockerfile from disk.`,
    );
    return;
  }
  const { cwd, file, context } = buildContext(doc.uri, settings().buildContext);
  const command = dockerBuildCommand(target, file, settings().buildArgs, context, settings().namedContexts, settings().platform);
  const actions: (vscode.QuickPickItem & { run: boolean })[] = [
    { label: "$(terminal) Run in a terminal", detail: `${command}   (in ${cwd})`, run: true },
    { label: "$(copy) Copy the command", detail: command, run: false },
  ];
  const action = await vscode.window.showQuickPick(actions, {
    title: command,
    placeHolder: `Target ${targetLabel(target)}: run or copy the docker build command`,
  });
  if (!action) return;
  if (action.run) {
    const terminal = vscode.window.createTerminal({ name: `docker build ${targetLabel(target)}`, cwd });
    terminal.show();
    terminal.sendText(command);
  } else {
    await vscode.env.clipboard.writeText(command);
    void vscode.window.showInformationMessage(`Copied: ${command}`);
  }
}
