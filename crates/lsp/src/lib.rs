//! The stagecraft language server: `stagecraft lsp` over stdio.
//!
//! Only this crate knows LSP types; it translates what `stagecraft-analysis` computes. One
//! module per feature under `handlers/`, position conversion in `convert`.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod convert;
mod direct;
mod handlers;
mod state;
#[cfg(test)]
mod sweep_tests;
mod transport;
mod workspace;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use stagecraft_analysis::Analysis;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::lsp_types::*;
use tower_lsp_server::{LanguageServer, LspService, Server, UriExt};

use convert::Encoding;
use state::{Document, Settings, State};

/// Serves LSP over stdin/stdout until the client says `exit` (or closes stdin). Returns whether
/// the session ended as the protocol asks, with `shutdown` before that: the process should
/// exit with 0 then and with 1 otherwise.
pub fn run_stdio() -> bool {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(_) => return false,
    };
    let clean = runtime.block_on(async {
        let (frames_tx, frames_rx) = tokio::sync::mpsc::unbounded_channel();
        let shared = Arc::new(Shared::new(frames_tx.clone()));
        let backend_shared = shared.clone();
        let (service, socket) = LspService::build(move |client| Backend { shared: backend_shared, client })
            .custom_method("stagecraft/targets", Backend::targets)
            .custom_method("stagecraft/stageGraph", Backend::stage_graph)
            .finish();
        let service = direct::Tracked { inner: service, shared: shared.clone() };
        let (to_server, server_in) = tokio::io::duplex(1 << 20);
        let (server_out, from_server) = tokio::io::duplex(1 << 20);
        tokio::spawn(transport::read_client(to_server, frames_tx, shared.clone()));
        let writer = tokio::spawn(transport::write_client(from_server, frames_rx));
        Server::new(server_in, server_out, socket).serve(service).await;
        // The server has answered `exit` (or the client went away): flush what is left.
        let _ = writer.await;
        shared.shut_down.load(Ordering::Acquire)
    });
    // Do not wait for the stdin reader: a client may keep stdin open after `exit`.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    clean
}

/// What the server and the transport's fast path (`direct`) share.
#[derive(Debug)]
pub(crate) struct Shared {
    state: Mutex<State>,
    encoding: Mutex<Encoding>,
    /// How many state-changing messages (`direct::changes_state`) the server has handled.
    handled: tokio::sync::watch::Sender<u64>,
    /// How many the transport has passed to the server so far.
    forwarded: std::sync::atomic::AtomicU64,
    /// Documents changed while more changes were on their way, whose diagnostics wait until the
    /// server has handled them all ([`Shared::changed`]).
    dirty: Mutex<Vec<Uri>>,
    /// Set once `initialize` is answered (the framework drops notifications before that).
    initialized: AtomicBool,
    /// Set once `shutdown` is answered.
    shut_down: AtomicBool,
    /// The client can watch files for the server (`workspace/didChangeWatchedFiles` registered
    /// at run time).
    watches_files: AtomicBool,
    /// The `initialized` notification came (a client that sends it again must not have the
    /// watcher registered twice under one id, nor a second poller started).
    initialized_notified: AtomicBool,
    /// What the client can be asked to ask again for when settings change what it shows:
    /// semantic tokens, code lenses, inlay hints (`workspace/*/refresh`).
    refreshes: Mutex<[bool; 3]>,
    /// Each refresh's state: 0 none unanswered, 1 one sent and unanswered, 2 one more to send
    /// once it is answered (see [`Backend::refresh`]).
    refreshing: [std::sync::atomic::AtomicU8; 3],
    /// Message bodies for the client that bypass the framework (see `transport::write_client`).
    out: tokio::sync::mpsc::UnboundedSender<transport::Out>,
    /// The workspace folders `initialize` named, as paths (for workspace symbols).
    roots: Mutex<Vec<std::path::PathBuf>>,
    /// The Dockerfiles of the workspace folders read from disk (see `workspace`).
    disk: Arc<Mutex<workspace::DiskCache>>,
}

impl Shared {
    /// A warning in the client's log (`window/logMessage`).
    fn log_warning(&self, message: String) {
        if let Some(body) = direct::log_warning(message) {
            let _ = self.out.send(body.into());
        }
    }

    /// The warnings `state` holds (settings, targets a document lacks), to the client's log.
    fn log_warnings(&self, state: &mut State) {
        for warning in state.warnings.drain(..) {
            self.log_warning(warning);
        }
    }

    fn new(out: tokio::sync::mpsc::UnboundedSender<transport::Out>) -> Shared {
        Shared {
            state: Mutex::default(),
            encoding: Mutex::new(Encoding(stagecraft_syntax::WideEncoding::Utf16)),
            handled: tokio::sync::watch::Sender::new(0),
            forwarded: std::sync::atomic::AtomicU64::new(0),
            dirty: Mutex::default(),
            initialized: AtomicBool::new(false),
            shut_down: AtomicBool::new(false),
            watches_files: AtomicBool::new(false),
            initialized_notified: AtomicBool::new(false),
            refreshes: Mutex::default(),
            refreshing: Default::default(),
            out,
            roots: Mutex::default(),
            disk: Arc::default(),
        }
    }

    fn encoding(&self) -> Encoding {
        *self.encoding.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// All the semantic tokens of a document's current version, with a new result id, kept as
    /// what the next `semanticTokens/full/delta` request's edits are made against; none for a
    /// document it does not have.
    fn semantic_tokens(&self, uri: &Uri) -> Option<SemanticTokens> {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let a = self.lock().analysis(uri)?;
        let mut tokens = handlers::semantic::tokens(&a, self.encoding());
        let id = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed).to_string();
        if let Some(d) = self.lock().documents.get_mut(uri) {
            d.semantic_tokens = Some((id.clone(), tokens.data.clone()));
        }
        tokens.result_id = Some(id);
        Some(tokens)
    }

    /// The tokens as an edit of those sent before (`previous`), when they are the ones kept for
    /// the document; else all of them. In a big file an edit changes a few tokens, and the
    /// client reads a few bytes instead of all of them again.
    fn semantic_tokens_delta(&self, uri: &Uri, previous: &str) -> Option<SemanticTokensFullDeltaResult> {
        // (Taken: the tokens made next replace them either way.)
        let kept = self.lock().documents.get_mut(uri).and_then(|d| d.semantic_tokens.take());
        let tokens = self.semantic_tokens(uri)?;
        Some(match kept.filter(|(id, _)| id == previous) {
            Some((_, old)) => SemanticTokensFullDeltaResult::TokensDelta(SemanticTokensDelta {
                result_id: tokens.result_id,
                edits: handlers::semantic::delta(&old, &tokens.data),
            }),
            None => SemanticTokensFullDeltaResult::Tokens(tokens),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores an opened document (its analysis waits for the first question).
    fn open(&self, doc: TextDocumentItem) -> Uri {
        self.lock().documents.insert(doc.uri.clone(), Document::new(doc.version, doc.text));
        doc.uri
    }

    /// The diagnostics to publish for the current version of `uri` (analysing it if needed).
    fn diagnostics(&self, uri: &Uri) -> Option<PublishDiagnosticsParams> {
        let (version, analysis) = {
            let mut state = self.lock();
            let a = state.analysis(uri)?;
            state.warn_unknown_targets(uri, &a);
            self.log_warnings(&mut state);
            (state.documents.get(uri)?.version, a)
        };
        let diagnostics = handlers::diagnostics::convert(&analysis, uri, self.encoding());
        Some(PublishDiagnosticsParams { uri: uri.clone(), diagnostics, version: Some(version) })
    }

    /// Publishes the diagnostics of the current version of `uri` (none if it is closed).
    fn publish(&self, uri: &Uri) {
        let Some(p) = self.diagnostics(uri) else { return };
        // Skip it if the document changed meanwhile: the newer version publishes its own.
        let current = self.lock().documents.get(uri).map(|d| d.version);
        if current == p.version {
            self.publish_diagnostics(&p);
        }
    }

    /// Publishes diagnostics. They go to the client beside the framework, serialised straight
    /// to bytes: the framework's `publish_diagnostics` builds a `Value` tree first, 0.35 ms more
    /// for the benchmark file's 306 diagnostics on every edit. All publishing goes this way, so
    /// publications keep their order (and a newer one replaces an older one for the same
    /// document that still waits to be written: `transport::Outbox`).
    fn publish_diagnostics(&self, params: &PublishDiagnosticsParams) {
        if let Some(out) = direct::published(params) {
            let _ = self.out.send(out);
        }
    }

    /// A document changed: its diagnostics are published now, or, when more state changes are
    /// already on their way (an editor's burst of keystrokes), once the last of them is handled
    /// ([`Shared::flush`]). Each change was analysed and published: 400 quick edits of a
    /// 200 KB file kept the client waiting 26 s for the next answer.
    fn changed(&self, uri: Uri) {
        let pending = self.forwarded.load(Ordering::Acquire) > *self.handled.borrow() + 1;
        let mut dirty = self.dirty.lock().unwrap_or_else(|e| e.into_inner());
        if !dirty.contains(&uri) {
            dirty.push(uri);
        }
        drop(dirty);
        if !pending {
            self.flush();
        }
    }

    /// Publishes the diagnostics of the documents whose changes waited.
    fn flush(&self) {
        let uris = std::mem::take(&mut *self.dirty.lock().unwrap_or_else(|e| e.into_inner()));
        for uri in uris {
            self.publish(&uri);
        }
    }

    /// Waits until the server has handled `forwarded` state-changing messages.
    async fn settled(&self, forwarded: u64) {
        let mut handled = self.handled.subscribe();
        let _ = handled.wait_for(|&n| n >= forwarded).await;
    }
}

/// The server.
pub(crate) struct Backend {
    shared: Arc<Shared>,
    /// For requests to the client (registering the file watcher).
    client: tower_lsp_server::Client,
}

impl Backend {
    fn encoding(&self) -> Encoding {
        self.shared.encoding()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.shared.lock()
    }

    /// The analysis of the current version of a document; an error for unknown documents.
    fn analysis(&self, uri: &Uri) -> Result<Arc<Analysis>> {
        self.lock().analysis(uri).ok_or_else(|| unknown_document(uri))
    }

    /// Document or range formatting: the edits, or none and a line in the client's log saying
    /// why.
    fn format(&self, uri: &Uri, options: &FormattingOptions, range: Option<Range>) -> Result<Option<Vec<TextEdit>>> {
        let a = self.analysis(uri)?;
        match handlers::format::format(&a, self.encoding(), options, range)? {
            Ok(edits) => Ok(Some(edits)),
            Err(why) => {
                self.shared.log_warning(format!("stagecraft: {} {why}", uri.as_str()));
                Ok(None)
            }
        }
    }

    /// Publishes diagnostics for the current version of `uri`.
    async fn publish(&self, uri: Uri) {
        self.shared.publish(&uri);
    }

    async fn publish_all(&self) {
        let uris: Vec<Uri> = self.lock().documents.keys().cloned().collect();
        for uri in uris {
            self.publish(uri).await;
        }
    }

    async fn targets(&self, params: handlers::targets::TargetsParams) -> Result<Value> {
        let a = self.analysis(&params.text_document.uri)?;
        handlers::targets::targets(&a, params.target.as_deref())
    }

    async fn stage_graph(&self, params: handlers::graph::GraphParams) -> Result<Value> {
        let uri = &params.text_document.uri;
        let a = self.analysis(uri)?;
        // A target asked for is the build's `--target`, as the wasm `renderSvg`'s
        // `options.target` is: the stages it does not use are the ones drawn unused (not those
        // of the targets in play), and never the target itself. (An analysis of its own.)
        let Some(t) = params.target.as_deref() else {
            return handlers::graph::graph(&a, None);
        };
        a.resolve_stage(t).map_err(Error::invalid_params)?;
        let options = self.lock().documents.get(uri).map(|d| d.options.clone()).unwrap_or_default();
        let built = stagecraft_analysis::analyze(
            a.text(),
            &stagecraft_analysis::Options { target: Some(t.to_string()), ..options },
        );
        handlers::graph::graph(&built, Some(t))
    }

    /// Asks the client to ask again for what refresh `kind` (0: semantic tokens, 1: code
    /// lenses, 2: inlay hints) stands for, unless such a request is still unanswered: then one
    /// more is sent once it is answered. Each kind on its own, so a client that does not answer
    /// one still gets the others; and one that answers none keeps one request of each waiting,
    /// not one per settings change (20,000 changes kept 60,000, 51 MiB: QA).
    fn refresh(&self, kind: usize) {
        use std::sync::atomic::Ordering::{AcqRel, Acquire};
        let state = &self.shared.refreshing[kind];
        if state.fetch_update(AcqRel, Acquire, |s| Some(if s == 0 { 1 } else { 2 })) != Ok(0) {
            return;
        }
        let (client, shared) = (self.client.clone(), self.shared.clone());
        tokio::spawn(async move {
            loop {
                let _ = match kind {
                    0 => client.semantic_tokens_refresh().await,
                    1 => client.code_lens_refresh().await,
                    _ => client.inlay_hint_refresh().await,
                };
                // Answered: done, or one more was asked for meanwhile.
                if shared.refreshing[kind].fetch_sub(1, AcqRel) == 1 {
                    return;
                }
            }
        });
    }
}

/// How often a server whose client cannot watch files looks at the open documents' ignore
/// files (a `stat` or two per document).
const IGNORE_POLL: std::time::Duration = std::time::Duration::from_secs(1);

/// Republishes the diagnostics of open documents whose ignore file changed on disk, until
/// `shutdown`.
async fn poll_ignore_files(shared: Arc<Shared>) {
    loop {
        tokio::time::sleep(IGNORE_POLL).await;
        if shared.shut_down.load(Ordering::Acquire) {
            return;
        }
        let stale = shared.lock().stale_ignore_files();
        for uri in stale {
            shared.publish(&uri);
        }
    }
}

/// The workspace folders as paths: `workspaceFolders`, else the older `rootUri`.
fn workspace_roots(params: &InitializeParams) -> Vec<std::path::PathBuf> {
    #[allow(deprecated)]
    let root = params.root_uri.iter().cloned().map(|uri| WorkspaceFolder { uri, name: String::new() });
    let folders: Vec<WorkspaceFolder> = match &params.workspace_folders {
        Some(f) if !f.is_empty() => f.clone(),
        _ => root.collect(),
    };
    folder_paths(&folders)
}

/// The local paths of workspace folders (others, such as `untitled:` or remote ones, have none).
fn folder_paths(folders: &[WorkspaceFolder]) -> Vec<std::path::PathBuf> {
    folders.iter().filter_map(|f| f.uri.to_file_path().map(|p| p.into_owned())).collect()
}

/// How many handlers' works run at once on tokio's blocking pool: one per core of the machine
/// this was written for. A cancelled request's work, once started, runs to its end (a thread
/// cannot be stopped): 300 hovers cancelled at once ran on 300 threads and took 570 MiB.
/// Waiting here instead, a cancelled request is dropped before its work starts.
static WORKERS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Runs a handler's work on tokio's blocking pool, [`WORKERS`] at a time (a panic there is an
/// internal error).
async fn off_thread<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    let Ok(permit) = WORKERS.acquire().await else { return Err(Error::internal_error()) };
    let work = move || {
        let _permit = permit;
        f()
    };
    tokio::task::spawn_blocking(work).await.unwrap_or_else(|_| Err(Error::internal_error()))
}

fn unknown_document(uri: &Uri) -> Error {
    Error::invalid_params(format!("unknown document {}: open it with textDocument/didOpen first", uri.as_str()))
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let offered = params.capabilities.general.as_ref().and_then(|g| g.position_encodings.as_deref());
        let encoding = Encoding::negotiate(offered);
        *self.shared.encoding.lock().unwrap_or_else(|e| e.into_inner()) = encoding;
        if let Some(options) = &params.initialization_options {
            let _ = self.lock().set_settings(Settings::from_json(options));
        }
        *self.shared.roots.lock().unwrap_or_else(|e| e.into_inner()) = workspace_roots(&params);
        let watches = params.capabilities.workspace.as_ref().and_then(|w| w.did_change_watched_files.as_ref());
        let watches = watches.and_then(|w| w.dynamic_registration).unwrap_or(false);
        self.shared.watches_files.store(watches, Ordering::Release);
        let workspace = params.capabilities.workspace.as_ref();
        *self.shared.refreshes.lock().unwrap_or_else(|e| e.into_inner()) = [
            workspace.and_then(|w| w.semantic_tokens.as_ref()?.refresh_support).unwrap_or(false),
            workspace.and_then(|w| w.code_lens.as_ref()?.refresh_support).unwrap_or(false),
            workspace.and_then(|w| w.inlay_hint.as_ref()?.refresh_support).unwrap_or(false),
        ];
        self.shared.initialized.store(true, Ordering::Release);
        Ok(InitializeResult {
            capabilities: handlers::capabilities(encoding),
            server_info: Some(ServerInfo {
                name: "stagecraft".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
        })
    }

    /// Asks the client to report changes to ignore files, which `CopyIgnoredFile` reads: the
    /// diagnostics of open documents then follow an edited `.dockerignore` without waiting for
    /// the next edit of the Dockerfile. A client that cannot watch files (Neovim 0.7 among
    /// them), or refuses to, gets the same from the server, which looks at the ignore files
    /// itself.
    async fn initialized(&self, _: InitializedParams) {
        if self.shared.initialized_notified.swap(true, Ordering::AcqRel) {
            self.client.log_message(MessageType::WARNING, "`initialized` came again: ignored").await;
            return;
        }
        if !self.shared.watches_files.load(Ordering::Acquire) {
            tokio::spawn(poll_ignore_files(self.shared.clone()));
            return;
        }
        let watchers: Vec<FileSystemWatcher> = ["**/.dockerignore", "**/*.dockerignore"]
            .into_iter()
            .map(|glob| FileSystemWatcher { glob_pattern: GlobPattern::String(glob.into()), kind: None })
            .collect();
        let options = DidChangeWatchedFilesRegistrationOptions { watchers };
        let registration = Registration {
            id: "stagecraft-ignore-files".into(),
            method: "workspace/didChangeWatchedFiles".into(),
            register_options: serde_json::to_value(options).ok(),
        };
        // Not awaited here: the framework finishes a handler before it stops, so a client that
        // exits before it answers (or never does) would leave the server running.
        let (client, shared) = (self.client.clone(), self.shared.clone());
        tokio::spawn(async move {
            // A client that refuses the registration watches nothing for the server: it looks
            // at the ignore files itself, as for a client that cannot watch.
            if client.register_capability(vec![registration]).await.is_err() {
                poll_ignore_files(shared).await;
            }
        });
    }

    /// An ignore file changed: every open document is analysed again (those whose ignore file
    /// did not change keep their rules, read only when a file's time or size moved).
    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        if !params.changes.iter().any(|c| c.uri.path().as_str().ends_with(".dockerignore")) {
            return;
        }
        for doc in self.lock().documents.values_mut() {
            doc.invalidate();
        }
        self.publish_all().await;
    }

    async fn shutdown(&self) -> Result<()> {
        self.shared.shut_down.store(true, Ordering::Release);
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let uri = self.shared.open(params.text_document);
        self.publish(uri).await;
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let uri = params.text_document.uri;
        let encoding = self.encoding();
        let failed = {
            let mut state = self.lock();
            let Some(doc) = state.documents.get_mut(&uri) else {
                drop(state);
                self.shared.log_warning(format!(
                    "stagecraft: a change to {} was ignored: the document is not open (send textDocument/didOpen first)",
                    uri.as_str()
                ));
                return;
            };
            // Out-of-order or repeated versions are stale: ignored, and said (versions must
            // increase; a client that sends an older one has lost track of the file).
            if params.text_document.version <= doc.version {
                let message = format!(
                    "stagecraft: a change to {} was ignored: its version {} is not after the server's {}; if the editor's text differs from the server's, close and reopen the file",
                    uri.as_str(),
                    params.text_document.version,
                    doc.version
                );
                drop(state);
                self.shared.log_warning(message);
                return;
            }
            doc.invalidate();
            doc.version = params.text_document.version;
            match handlers::sync::apply(&mut doc.text, &mut doc.parse, encoding, params.content_changes) {
                Ok(()) => None,
                Err(e) => {
                    // Out of sync: the changes before the bad one are applied, and the next
                    // analysis parses the whole text.
                    doc.parse = None;
                    Some(e.message)
                }
            }
        };
        if let Some(reason) = failed {
            // The diagnostics below are for the server's copy; say why it may differ.
            let message = format!(
                "stagecraft: a change to {} could not be applied ({reason}); the server's copy of the file now differs from the editor's: close and reopen the file",
                uri.as_str()
            );
            self.shared.log_warning(message);
        }
        self.shared.changed(uri);
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        {
            let mut state = self.lock();
            state.documents.remove(&uri);
            state.warned_targets.retain(|(u, _)| *u != uri);
        }
        self.shared.publish_diagnostics(&PublishDiagnosticsParams { uri, diagnostics: Vec::new(), version: None });
    }

    /// Folders added to or removed from the workspace: `workspace/symbol` searches the new set.
    async fn did_change_workspace_folders(&self, params: DidChangeWorkspaceFoldersParams) {
        let removed = folder_paths(&params.event.removed);
        let mut roots = self.shared.roots.lock().unwrap_or_else(|e| e.into_inner());
        roots.retain(|r| !removed.contains(r));
        for added in folder_paths(&params.event.added) {
            if !roots.contains(&added) {
                roots.push(added);
            }
        }
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        {
            let mut state = self.lock();
            if !state.set_settings(Settings::from_json(&params.settings)) {
                // (Another tool's settings: nothing to analyse again; the log says so.)
                self.shared.log_warnings(&mut state);
                return;
            }
            for doc in state.documents.values_mut() {
                doc.invalidate();
            }
        }
        self.publish_all().await;
        // What else the settings change (the unused stages' tokens, the lenses' targets, the
        // build args' inlay hints): the client asks again, where it can be told to. Not awaited
        // (a handler that changes state must not wait for the client).
        let supported = *self.shared.refreshes.lock().unwrap_or_else(|e| e.into_inner());
        for (kind, _) in supported.iter().enumerate().filter(|(_, &s)| s) {
            self.refresh(kind);
        }
    }

    async fn goto_definition(&self, params: GotoDefinitionParams) -> Result<Option<GotoDefinitionResponse>> {
        let p = params.text_document_position_params;
        let a = self.analysis(&p.text_document.uri)?;
        let encoding = self.encoding();
        if let Some(stage) = handlers::definition::stage(&a, encoding, &p.text_document.uri, p.position)? {
            return Ok(Some(stage));
        }
        off_thread(move || handlers::definition::variable(&a, encoding, &p.text_document.uri, p.position)).await
    }

    async fn goto_declaration(&self, params: GotoDefinitionParams) -> Result<Option<GotoDefinitionResponse>> {
        self.goto_definition(params).await
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        use handlers::references::{references, STAGE, VARIABLE};
        let p = params.text_document_position;
        let a = self.analysis(&p.text_document.uri)?;
        let (encoding, declaration) = (self.encoding(), params.context.include_declaration);
        if let Some(found) = references(&a, encoding, &p.text_document.uri, p.position, declaration, STAGE)? {
            return Ok(Some(found));
        }
        off_thread(move || references(&a, encoding, &p.text_document.uri, p.position, declaration, VARIABLE)).await
    }

    async fn document_highlight(&self, params: DocumentHighlightParams) -> Result<Option<Vec<DocumentHighlight>>> {
        use handlers::references::{highlight, STAGE, VARIABLE};
        let p = params.text_document_position_params;
        let a = self.analysis(&p.text_document.uri)?;
        let encoding = self.encoding();
        if let Some(found) = highlight(&a, encoding, p.position, STAGE)? {
            return Ok(Some(found));
        }
        off_thread(move || highlight(&a, encoding, p.position, VARIABLE)).await
    }

    async fn linked_editing_range(&self, params: LinkedEditingRangeParams) -> Result<Option<LinkedEditingRanges>> {
        let p = params.text_document_position_params;
        let a = self.analysis(&p.text_document.uri)?;
        handlers::references::linked_editing(&a, self.encoding(), p.position)
    }

    async fn prepare_rename(&self, params: TextDocumentPositionParams) -> Result<Option<PrepareRenameResponse>> {
        let a = self.analysis(&params.text_document.uri)?;
        handlers::rename::prepare(&a, self.encoding(), params.position)
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        let p = params.text_document_position;
        let a = self.analysis(&p.text_document.uri)?;
        handlers::rename::rename(&a, self.encoding(), &p.text_document.uri, p.position, &params.new_name)
    }

    async fn prepare_call_hierarchy(
        &self,
        params: CallHierarchyPrepareParams,
    ) -> Result<Option<Vec<CallHierarchyItem>>> {
        let p = params.text_document_position_params;
        let a = self.analysis(&p.text_document.uri)?;
        handlers::hierarchy::prepare(&a, self.encoding(), &p.text_document.uri, p.position)
    }

    async fn incoming_calls(
        &self,
        params: CallHierarchyIncomingCallsParams,
    ) -> Result<Option<Vec<CallHierarchyIncomingCall>>> {
        // An item of a document closed since has no calls (editors keep their trees).
        let Some(a) = self.lock().analysis(&params.item.uri) else { return Ok(None) };
        handlers::hierarchy::incoming(&a, self.encoding(), &params.item)
    }

    async fn outgoing_calls(
        &self,
        params: CallHierarchyOutgoingCallsParams,
    ) -> Result<Option<Vec<CallHierarchyOutgoingCall>>> {
        let Some(a) = self.lock().analysis(&params.item.uri) else { return Ok(None) };
        handlers::hierarchy::outgoing(&a, self.encoding(), &params.item)
    }

    /// The named stages of every Dockerfile in the workspace matching the query (see
    /// `workspace`): open documents as they are in the editor, the others read from disk on a
    /// blocking thread.
    async fn symbol(
        &self,
        params: WorkspaceSymbolParams,
    ) -> Result<Option<OneOf<Vec<SymbolInformation>, Vec<WorkspaceSymbol>>>> {
        let encoding = self.encoding();
        let mut files = Vec::new();
        {
            let mut state = self.lock();
            let uris: Vec<Uri> = state.documents.keys().cloned().collect();
            for uri in uris {
                if let Some(a) = state.analysis(&uri) {
                    files.push((uri, workspace::stage_names(&a, encoding)));
                }
            }
        }
        let roots = self.shared.roots.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let open = files.iter().filter_map(|(u, _)| u.to_file_path().map(|p| p.into_owned())).collect();
        let disk = self.shared.disk.clone();
        let walk_roots = roots.clone();
        let on_disk = tokio::task::spawn_blocking(move || {
            disk.lock().unwrap_or_else(|e| e.into_inner()).stages(&walk_roots, &open, encoding)
        })
        .await
        .unwrap_or_default();
        files.extend(on_disk.into_iter().filter_map(|(path, stages)| Some((Uri::from_file_path(path)?, stages))));
        Ok(Some(OneOf::Right(workspace::symbols(files, &roots, &params.query))))
    }

    /// On a variable the analysis runs again, up to the variable's stage (a few milliseconds on
    /// a 10,000-line file): on a blocking thread, so that the messages after it are read.
    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let p = params.text_document_position_params;
        let a = self.analysis(&p.text_document.uri)?;
        let encoding = self.encoding();
        off_thread(move || handlers::hover::hover(&a, encoding, p.position)).await
    }

    /// After `$` the analysis runs again, as for a hover on a variable.
    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let p = params.text_document_position;
        let a = self.analysis(&p.text_document.uri)?;
        let encoding = self.encoding();
        off_thread(move || handlers::completion::completion(&a, encoding, p.position)).await
    }

    async fn document_symbol(&self, params: DocumentSymbolParams) -> Result<Option<DocumentSymbolResponse>> {
        let a = self.analysis(&params.text_document.uri)?;
        Ok(Some(handlers::symbols::symbols(&a, self.encoding())))
    }

    async fn formatting(&self, params: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        self.format(&params.text_document.uri, &params.options, None)
    }

    async fn range_formatting(&self, params: DocumentRangeFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        self.format(&params.text_document.uri, &params.options, Some(params.range))
    }

    async fn folding_range(&self, params: FoldingRangeParams) -> Result<Option<Vec<FoldingRange>>> {
        let a = self.analysis(&params.text_document.uri)?;
        Ok(Some(handlers::folding::folding(&a)))
    }

    async fn document_link(&self, params: DocumentLinkParams) -> Result<Option<Vec<DocumentLink>>> {
        let a = self.analysis(&params.text_document.uri)?;
        Ok(Some(handlers::links::links(&a, self.encoding())))
    }

    async fn selection_range(&self, params: SelectionRangeParams) -> Result<Option<Vec<SelectionRange>>> {
        let a = self.analysis(&params.text_document.uri)?;
        handlers::selection::selection_ranges(&a, self.encoding(), &params.positions).map(Some)
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        let a = self.analysis(&params.text_document.uri)?;
        handlers::inlay::inlay_hints(&a, self.encoding(), params.range)
    }

    async fn semantic_tokens_full(&self, params: SemanticTokensParams) -> Result<Option<SemanticTokensResult>> {
        let uri = &params.text_document.uri;
        let tokens = self.shared.semantic_tokens(uri).ok_or_else(|| unknown_document(uri))?;
        Ok(Some(SemanticTokensResult::Tokens(tokens)))
    }

    async fn semantic_tokens_full_delta(
        &self,
        params: SemanticTokensDeltaParams,
    ) -> Result<Option<SemanticTokensFullDeltaResult>> {
        let uri = &params.text_document.uri;
        let delta = self.shared.semantic_tokens_delta(uri, &params.previous_result_id);
        delta.map(Some).ok_or_else(|| unknown_document(uri))
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let a = self.analysis(&params.text_document.uri)?;
        let options =
            self.lock().documents.get(&params.text_document.uri).map(|d| d.options.clone()).unwrap_or_default();
        handlers::code_action::code_actions(
            &a,
            &options,
            self.encoding(),
            &params.text_document.uri,
            params.range,
            &params.context.diagnostics,
            params.context.only.as_deref(),
        )
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        let a = self.analysis(&params.text_document.uri)?;
        Ok(Some(handlers::code_lens::lenses(&a, self.encoding(), &params.text_document.uri)))
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<LSPAny>> {
        match params.command.as_str() {
            "stagecraft.targets" => {
                let uri =
                    params.arguments.first().and_then(|v| v.as_str()).and_then(|s| s.parse::<Uri>().ok()).ok_or_else(
                        || Error::invalid_params("stagecraft.targets needs the document URI as its argument"),
                    )?;
                let a = self.analysis(&uri)?;
                Ok(Some(handlers::targets::targets(&a, None)?))
            }
            other => Err(Error::invalid_params(format!("unknown command `{other}`"))),
        }
    }
}
