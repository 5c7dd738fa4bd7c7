// Starts `stagecraft lsp` and keeps one language client for it; says clearly why there is none.

import { spawn, type ChildProcess } from "node:child_process";
import * as vscode from "vscode";
import {
  CloseAction,
  DidChangeConfigurationNotification,
  ErrorAction,
  LanguageClient,
  type LanguageClientOptions,
  LSPErrorCodes,
  ResponseError,
  RevealOutputChannelOn,
  State,
} from "vscode-languageclient/node";
import {
  aboutDockerignore,
  findServer,
  INSTALL_COMMAND,
  missingServerMessage,
  serverPathSettingsTab,
  type ServerStatus,
  serverSettings,
} from "./logic";
import type { ServerSettings } from "./protocol";

const MAX_RESTARTS = 3;
const RESTART_WINDOW_MS = 3 * 60 * 1000;
/** How long the server may take to answer `initialize` (stagecraft answers at once). */
const INITIALIZE_TIMEOUT_MS = 20_000;

export function settings(): ServerSettings {
  const cfg = vscode.workspace.getConfiguration("stagecraft");
  return serverSettings((key, dflt) => cfg.get(key, dflt));
}

/**
 * The language client, with its own notifications kept to the output channel: the extension
 * says what failed and what to do, once (`Server.showProblem`), and the status item shows the
 * state. vscode-languageclient 9 "forces" some of them past `revealOutputChannelOn`: "couldn't
 * create connection to server" when a binary that is no stagecraft server exits at once, and
 * "Restarting server failed".
 */
class StagecraftClient extends LanguageClient {
  override error(message: string, data?: unknown, _showNotification?: boolean | "force"): void {
    super.error(message, data, false);
  }

  override info(message: string, data?: unknown, showNotification?: boolean): void {
    // After a crash the client logs "Server will restart." with the handler's `!handled` in the
    // place of `data`, which the output channel then shows as a bare `false` line.
    if (typeof data === "boolean") super.info(message, undefined, false);
    else super.info(message, data, showNotification);
  }
}

export class Server implements vscode.Disposable {
  readonly output = vscode.window.createOutputChannel("stagecraft");
  private client: LanguageClient | undefined;
  private _status: ServerStatus = { state: "stopped", why: "the language server has not been started" };
  private readonly statusEmitter = new vscode.EventEmitter<ServerStatus>();
  /** Fires when the server starts, runs, or stops (with why). */
  readonly onDidChangeStatus = this.statusEmitter.event;
  private starting: Promise<void> | undefined;
  /** Why there is no running server, for people; undefined while one runs or starts. */
  private problem: string | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor() {
    this.disposables.push(
      this.output,
      this.statusEmitter,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration("stagecraft.serverPath")) {
          void this.restart();
        } else if (e.affectsConfiguration("stagecraft") && this.client?.state === State.Running) {
          // (A client that is not running gets them when it is again: see doStart.)
          this.pushSettings(this.client);
        }
      }),
    );
  }

  /** Starts the server unless it runs or is starting; `announce`: tell people when it fails. */
  start(announce = true): Promise<void> {
    if (this.starting) return this.starting;
    // A client that runs, or restarts itself after a crash, is left alone.
    if (this.client && this.client.state !== State.Stopped) return Promise.resolve();
    this.starting = this.doStart(announce).finally(() => (this.starting = undefined));
    return this.starting;
  }

  async restart(): Promise<void> {
    await this.starting;
    await this.stop();
    await this.start();
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        await client.dispose(2000);
      } catch (e) {
        this.output.appendLine(`stopping the server: ${String(e)}`);
      }
    }
  }

  /**
   * The running client for a command. When there is none, tells why (unless `quiet`) and
   * returns undefined.
   */
  async ready(quiet = false): Promise<LanguageClient | undefined> {
    // Tried again for a command, so a binary installed since is picked up (the failure is told
    // once, below); not for quiet background refreshes, which would retry on every edit.
    if (!quiet || this.problem === undefined) await this.start(false);
    if (this.client?.state === State.Running) return this.client;
    if (!quiet) this.showProblem();
    return undefined;
  }

  /** The server's state, for the status item. */
  get status(): ServerStatus {
    return this._status;
  }

  private setStatus(status: ServerStatus): void {
    this._status = status;
    this.statusEmitter.fire(status);
  }

  /** Why there is no server, or undefined. */
  get whyNotRunning(): string | undefined {
    return this.client?.state === State.Running ? undefined : (this.problem ?? "the language server is not running");
  }

  /** Sends the current settings to a running server. */
  private pushSettings(client: LanguageClient): void {
    client.sendNotification(DidChangeConfigurationNotification.type, { settings: { stagecraft: settings() } }).then(
      undefined,
      (e) => this.output.appendLine(`sending the settings: ${String(e)}`),
    );
  }

  showProblem(): void {
    const msg = this.problem ?? "stagecraft: the language server is not running.";
    // In a remote window the User tab cannot set stagecraft.serverPath (see serverPathSettingsTab).
    const tab = serverPathSettingsTab(vscode.env.remoteName, vscode.workspace.getConfiguration("stagecraft").inspect<string>("serverPath"));
    const open = tab === "remote" ? "Open Remote Settings" : tab === "workspace" ? "Open Workspace Settings" : "Open Settings";
    const buttons = [open, "Copy Install Command", "Show Log"];
    void vscode.window.showErrorMessage(msg, ...buttons).then((b) => {
      if (b === open) void this.openServerPathSettings(tab);
      else if (b === "Copy Install Command") void vscode.env.clipboard.writeText(INSTALL_COMMAND);
      else if (b === "Show Log") this.output.show(true);
    });
  }

  /** Opens the settings tab where `stagecraft.serverPath` takes effect, searching for it. */
  private async openServerPathSettings(tab: ReturnType<typeof serverPathSettingsTab>): Promise<void> {
    const args = { query: "stagecraft.serverPath" };
    const command =
      tab === "remote" ? "workbench.action.openRemoteSettings" : tab === "workspace" ? "workbench.action.openWorkspaceSettings" : "workbench.action.openSettings";
    try {
      await vscode.commands.executeCommand(command, args);
    } catch (e) {
      // (An editor without the remote command: the settings editor, at least.)
      this.output.appendLine(`${command}: ${e instanceof Error ? e.message : String(e)}`);
      await vscode.commands.executeCommand("workbench.action.openSettings", "stagecraft.serverPath");
    }
  }

  private async doStart(announce: boolean): Promise<void> {
    await this.stop();
    this.setStatus({ state: "starting", path: null });
    const cfg = vscode.workspace.getConfiguration("stagecraft");
    const configured = cfg.get<string>("serverPath", "");
    const lookup = findServer(configured, vscode.workspace.workspaceFolders?.[0]?.uri.fsPath);
    if (!lookup.path) {
      // In a remote window a path in the User settings is dropped (the setting is
      // machine-overridable): say so, and where it takes effect.
      const remoteName = vscode.env.remoteName;
      const remote = remoteName ? { name: remoteName, userValue: cfg.inspect<string>("serverPath")?.globalValue } : undefined;
      this.problem = missingServerMessage(configured, lookup, remote);
      this.output.appendLine(`${this.problem}\nlooked at: ${lookup.tried.join(", ")}`);
      this.setStatus({ state: "stopped", why: this.problem });
      if (announce) this.showProblem();
      return;
    }
    const bin = lookup.path;
    this.problem = undefined;
    this.setStatus({ state: "starting", path: bin });

    let stderrTail = "";
    let proc: ChildProcess | undefined;
    let initialized = false;
    const restarts: number[] = [];
    const serverOptions = (): Promise<ChildProcess> =>
      new Promise((resolve, reject) => {
        const cp = spawn(bin, ["lsp"], { stdio: "pipe", env: process.env });
        proc = cp;
        cp.stderr.on("data", (d: Buffer) => (stderrTail = (stderrTail + d.toString("utf8")).slice(-2000)));
        cp.once("error", reject);
        cp.once("spawn", () => resolve(cp));
      });

    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { scheme: "file", language: "dockerfile" },
        { scheme: "untitled", language: "dockerfile" },
      ],
      // A function: a restart after a crash starts with the settings of then, not of the first start.
      initializationOptions: () => settings(),
      // An ignore file BuildKit reads beside a Dockerfile (`Dockerfile.dockerignore`) is no
      // Dockerfile, though VS Code's `Dockerfile.*` pattern makes it one unless files.associations
      // says otherwise (package.json's configurationDefaults do): the server never sees it.
      middleware: {
        sendNotification: (type, next, params) => (aboutDockerignore(params) ? Promise.resolve() : next(type, params)),
        sendRequest: (type, param, token, next) =>
          aboutDockerignore(param)
            ? Promise.reject(new ResponseError(LSPErrorCodes.RequestCancelled, "stagecraft: not a Dockerfile (an ignore file)"))
            : next(type, param, token),
      },
      outputChannel: this.output,
      // start() below tells people what failed and what to do, once; the client's own
      // notifications would only repeat it less helpfully (those it forces past this handler and
      // revealOutputChannelOn go to the output channel only: StagecraftClient; its connection
      // errors are `handled` below).
      initializationFailedHandler: () => false,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      errorHandler: {
        // Handled: the client logs them to the output channel, without a notification of its own.
        // (A binary that is no stagecraft server exits at once: writing `initialize` fails with
        // EPIPE here, then start() below says why.)
        error: (_error, _message, count) => ({
          action: (count ?? 0) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown,
          handled: true,
        }),
        closed: () => {
          // A server that never initialized would fail again: say why once, from start().
          if (!initialized) return { action: CloseAction.DoNotRestart, handled: true };
          const now = Date.now();
          restarts.push(now);
          while (restarts.length > 0 && now - restarts[0] > RESTART_WINDOW_MS) restarts.shift();
          if (restarts.length <= MAX_RESTARTS) return { action: CloseAction.Restart, handled: true };
          this.problem = `stagecraft: the language server stopped ${restarts.length} times in 3 minutes and is not restarted. ${lastLines(stderrTail)}`;
          this.showProblem();
          return { action: CloseAction.DoNotRestart, handled: true };
        },
      },
    };

    const client = new StagecraftClient("stagecraft", "stagecraft", serverOptions, clientOptions);
    this.client = client;
    let lastStop: ReturnType<typeof setTimeout> | undefined;
    client.onDidChangeState((e) => {
      if (this.client !== client) return;
      clearTimeout(lastStop);
      if (e.newState === State.Running) {
        this.setStatus({ state: "running", version: client.initializeResult?.serverInfo?.version ?? null, path: bin });
        // Settings changed while the client was not running (starting, or restarting after a
        // crash) were not sent: send the current ones each time it runs again.
        if (e.oldState !== State.Running) this.pushSettings(client);
      } else if (e.newState === State.Starting) {
        this.setStatus({ state: "starting", path: bin });
      } else if (initialized) {
        // Stopped after it ran: a restart after a crash passes through here too, and is
        // starting again at once. One that stays stopped is told (unless the close handler did).
        lastStop = setTimeout(() => {
          if (this.client !== client || client.state !== State.Stopped) return;
          const told = this.problem !== undefined;
          this.problem ??= `stagecraft: the language server stopped and could not be started again. ${lastLines(stderrTail)}`.trim();
          this.output.appendLine(this.problem);
          this.setStatus({ state: "stopped", why: this.problem });
          if (!told) this.showProblem();
        }, 1000);
      }
    });
    this.output.appendLine(`starting ${bin} lsp`);
    let timer: ReturnType<typeof setTimeout> | undefined;
    // A program that never answers `initialize` (one that waits for other input) would keep the
    // start, and every command and restart behind it, waiting for good.
    const silent = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`it did not answer \`initialize\` in ${INITIALIZE_TIMEOUT_MS / 1000} s (is it the stagecraft binary?)`)),
        INITIALIZE_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([client.start(), silent]);
      // vscode-languageclient 9 resolves start() when the server closed the connection before
      // answering `initialize` (its close handler forgets the start it would reject).
      if (client.state !== State.Running) throw new Error("the server closed the connection before initializing");
      initialized = true;
      if (this.client === client) {
        this.setStatus({ state: "running", version: client.initializeResult?.serverInfo?.version ?? null, path: bin });
      }
    } catch (e) {
      // Stopped meanwhile (a restart): the next start says how it goes.
      if (this.client !== client) return;
      if (proc && proc.exitCode === null && proc.signalCode === null && !client.isRunning()) proc.kill();
      // Let the exiting process flush its stderr before quoting it.
      await waitForExit(proc, 1000);
      this.client = undefined;
      try {
        await client.dispose(1000);
      } catch {
        // it never ran
      }
      const said = lastLines(stderrTail) || (e instanceof Error ? e.message : String(e));
      this.problem =
        `stagecraft: \`${bin} lsp\` did not start the language server: ${said}. ` +
        `If this build predates the \`lsp\` command, update it (\`${INSTALL_COMMAND}\`) or set "stagecraft.serverPath".`;
      this.output.appendLine(this.problem);
      this.setStatus({ state: "stopped", why: this.problem });
      // Not when the path changed meanwhile: the restart that follows says how that one went.
      if (announce && vscode.workspace.getConfiguration("stagecraft").get<string>("serverPath", "") === configured) this.showProblem();
    } finally {
      clearTimeout(timer);
    }
  }

  dispose(): void {
    void this.stop();
    for (const d of this.disposables) d.dispose();
  }
}

function lastLines(text: string): string {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .slice(-3)
    .join(" / ");
}

function waitForExit(proc: ChildProcess | undefined, ms: number): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    proc.once("exit", () => {
      clearTimeout(t);
      // stderr's last chunk can arrive just after "exit"
      setTimeout(resolve, 50);
    });
  });
}
