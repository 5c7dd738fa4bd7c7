//! Messages with large payloads, handled beside the framework.
//!
//! tower-lsp-server turns every result into a `serde_json::Value` tree before it writes it out.
//! For the outline of the 10,021-line benchmark file (10,500 symbols) that tree took the server
//! from 19 to 86 MiB. The transport hands these requests to [`answer`] instead, which serialises
//! the same typed result straight to bytes; the handlers are the ones the framework path uses.
//! `didOpen` comes here too: the framework decodes a message into a `Value` tree first and then
//! into its params, which for a 360 KB file took 1.8 ms before the analysis could start; here
//! the params are decoded once, straight from the bytes, and the diagnostics are published from
//! here.
//!
//! Order is kept with a counter: the transport counts the messages it forwards that change
//! documents or settings ([`changes_state`]), [`Tracked`] counts the ones the server has
//! finished handling, and a direct request waits until the two agree. Anything the fast path
//! cannot answer exactly as the framework would (an unknown document, bad params, a request
//! without an id, after `shutdown`) goes through the framework instead.
//!
//! While a direct message waits, the transport reads no input. So a state-changing handler must
//! never wait for the client (the answer to a server-to-client request would never be read);
//! none does: they change state and publish notifications.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use serde::{Deserialize, Serialize};
use tower_lsp_server::jsonrpc::{Id, Request};
use tower_lsp_server::lsp_types::{
    DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams, DocumentSymbolParams,
    PublishDiagnosticsParams, SemanticTokensDeltaParams, SemanticTokensParams, SemanticTokensResult,
};
use tower_service::Service;

use crate::transport::Out;
use crate::{handlers, Shared};

/// The methods answered here.
pub(crate) fn is_direct(method: &str) -> bool {
    matches!(
        method,
        "textDocument/documentSymbol"
            | "textDocument/semanticTokens/full"
            | "textDocument/semanticTokens/full/delta"
            | "textDocument/didOpen"
    )
}

/// Messages that change what a later request sees: documents, settings, the shutdown state.
pub(crate) fn changes_state(method: &str) -> bool {
    matches!(
        method,
        "initialize"
            | "textDocument/didOpen"
            | "textDocument/didChange"
            | "textDocument/didClose"
            | "workspace/didChangeConfiguration"
            | "workspace/didChangeWatchedFiles"
            | "shutdown"
    )
}

#[derive(Deserialize)]
struct Incoming<P> {
    id: Id,
    params: P,
}

/// A notification's params (with an `id`, the framework answers it as a request).
#[derive(Deserialize)]
struct IncomingNotification<P> {
    params: P,
}

#[derive(Serialize)]
struct OutgoingNotification<'a, P> {
    jsonrpc: &'static str,
    method: &'static str,
    params: &'a P,
}

#[derive(Serialize)]
struct Outgoing<'a, R> {
    jsonrpc: &'static str,
    id: &'a Id,
    result: &'a R,
}

/// The whole body to send back for a direct message (a response, or the diagnostics a `didOpen`
/// publishes), or `None` when the framework should handle the message. Call it only once the
/// server has handled every earlier state change (see [`Shared::settled`]). `request`: the
/// message has an `id` other than `null` (as the transport's envelope read it).
pub(crate) fn answer(shared: &Shared, method: &str, body: &[u8], request: bool) -> Option<Out> {
    if shared.shut_down.load(Ordering::Acquire) {
        return None;
    }
    let encoding = shared.encoding();
    match method {
        "textDocument/didOpen" => {
            // Before `initialize` the framework drops notifications; let it. A request of that
            // name is the framework's to answer.
            if !shared.initialized.load(Ordering::Acquire) || request {
                return None;
            }
            // (The framework would drop it without a word.)
            let n: IncomingNotification<DidOpenTextDocumentParams> = match serde_json::from_slice(body) {
                Ok(n) => n,
                Err(e) => return log_warning(unreadable(method, &e.to_string())).map(Out::from),
            };
            let uri = shared.open(n.params.text_document);
            published(&shared.diagnostics(&uri)?)
        }
        "textDocument/documentSymbol" => {
            let req: Incoming<DocumentSymbolParams> = serde_json::from_slice(body).ok()?;
            let a = shared.lock().analysis(&req.params.text_document.uri)?;
            respond(&req.id, &Some(handlers::symbols::symbols(&a, encoding))).map(Out::from)
        }
        "textDocument/semanticTokens/full" => {
            let req: Incoming<SemanticTokensParams> = serde_json::from_slice(body).ok()?;
            let tokens = shared.semantic_tokens(&req.params.text_document.uri)?;
            respond(&req.id, &Some(SemanticTokensResult::Tokens(tokens))).map(Out::from)
        }
        "textDocument/semanticTokens/full/delta" => {
            let req: Incoming<SemanticTokensDeltaParams> = serde_json::from_slice(body).ok()?;
            let p = &req.params;
            respond(&req.id, &Some(shared.semantic_tokens_delta(&p.text_document.uri, &p.previous_result_id)?))
                .map(Out::from)
        }
        _ => None,
    }
}

/// What the client's log says of a document notification whose params cannot be read.
pub(crate) fn unreadable(method: &str, why: &str) -> String {
    format!(
        "stagecraft: ignored a `{method}` whose params it cannot read ({why}): the server's copy of the document may now differ from the editor's; close and reopen it"
    )
}

/// A `didChange` or `didClose` whose params the server's handler cannot read (the framework
/// drops those without a word), and why.
pub(crate) fn unreadable_change(method: &str, body: &[u8]) -> Option<String> {
    let read = match method {
        "textDocument/didChange" => {
            serde_json::from_slice::<IncomingNotification<DidChangeTextDocumentParams>>(body).map(drop)
        }
        "textDocument/didClose" => {
            serde_json::from_slice::<IncomingNotification<DidCloseTextDocumentParams>>(body).map(drop)
        }
        _ => Ok(()),
    };
    read.err().map(|e| unreadable(method, &e.to_string()))
}

/// The body of a notification to the client.
pub(crate) fn notification<P: Serialize>(method: &'static str, params: &P) -> Option<Vec<u8>> {
    serde_json::to_vec(&OutgoingNotification { jsonrpc: "2.0", method, params }).ok()
}

/// A `textDocument/publishDiagnostics` notification, marked as its document's (see
/// `transport::Outbox`).
pub(crate) fn published(params: &PublishDiagnosticsParams) -> Option<Out> {
    let body = notification("textDocument/publishDiagnostics", params)?;
    Some(Out { body, diagnostics_of: Some(params.uri.as_str().to_string()) })
}

/// The body of a `window/logMessage` warning: what the server did beside what was asked.
pub(crate) fn log_warning(message: String) -> Option<Vec<u8>> {
    use tower_lsp_server::lsp_types::{LogMessageParams, MessageType};
    notification("window/logMessage", &LogMessageParams { typ: MessageType::WARNING, message })
}

fn respond<R: Serialize>(id: &Id, result: &R) -> Option<Vec<u8>> {
    serde_json::to_vec(&Outgoing { jsonrpc: "2.0", id, result }).ok()
}

/// The framework's service, counting the state changes it has finished handling.
pub(crate) struct Tracked<S> {
    pub(crate) inner: S,
    pub(crate) shared: std::sync::Arc<Shared>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S> Service<Request> for Tracked<S>
where
    S: Service<Request>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let counts = changes_state(req.method());
        let fut = self.inner.call(req);
        let shared = self.shared.clone();
        Box::pin(async move {
            let out = fut.await;
            if counts {
                shared.handled.send_modify(|n| *n += 1);
                // The last change of a burst handled: the documents it changed are published.
                if shared.forwarded.load(std::sync::atomic::Ordering::Acquire) == *shared.handled.borrow() {
                    shared.flush();
                }
            }
            out
        })
    }
}
