//! Diagnostics: codes, severities, documentation links and the Unnecessary tag.

use stagecraft_analysis::{Analysis, Severity};
use tower_lsp_server::lsp_types::{
    self as lsp, CodeDescription, DiagnosticRelatedInformation, DiagnosticTag, Location, NumberOrString, Uri,
};

use crate::convert::Encoding;

/// The document's diagnostics for the client; `uri` is the document's, for the related
/// locations (the ONBUILD trigger a finding comes from).
pub(crate) fn convert(a: &Analysis, uri: &Uri, encoding: Encoding) -> Vec<lsp::Diagnostic> {
    a.diagnostics()
        .iter()
        .map(|d| lsp::Diagnostic {
            range: encoding.lsp_range(a, d.range),
            severity: Some(match d.severity {
                Severity::Error => lsp::DiagnosticSeverity::ERROR,
                Severity::Warning => lsp::DiagnosticSeverity::WARNING,
                Severity::Info => lsp::DiagnosticSeverity::INFORMATION,
                Severity::Hint => lsp::DiagnosticSeverity::HINT,
            }),
            code: Some(NumberOrString::String(d.code.clone())),
            code_description: d.url.as_ref().and_then(|u| u.parse::<Uri>().ok()).map(|href| CodeDescription { href }),
            source: Some("stagecraft".into()),
            // What stagecraft cannot see goes on a second line: editors show the first alone
            // where space is short.
            message: shown(a.message_with_note(d)),
            // A trigger's finding is at the FROM of the stage that runs it; the trigger itself
            // is a click away.
            related_information: d.trigger.map(|t| {
                vec![DiagnosticRelatedInformation {
                    location: Location { uri: uri.clone(), range: encoding.lsp_range(a, t) },
                    message: "the ONBUILD trigger".into(),
                }]
            }),
            tags: d.unnecessary.then(|| vec![DiagnosticTag::UNNECESSARY]),
            data: None,
        })
        .collect()
}

/// A message as a popup shows it: one quoting a megabyte-long value is cut where it quotes it.
fn shown(message: String) -> String {
    match stagecraft_analysis::queries::shortened(&message) {
        std::borrow::Cow::Borrowed(_) => message,
        std::borrow::Cow::Owned(cut) => cut,
    }
}
