//! Diagnostics: codes, severities, documentation links and the Unnecessary tag.

use stagecraft_analysis::{Analysis, Severity};
use tower_lsp_server::lsp_types::{self as lsp, CodeDescription, DiagnosticTag, NumberOrString, Uri};

use crate::convert::Encoding;

pub(crate) fn convert(a: &Analysis, encoding: Encoding) -> Vec<lsp::Diagnostic> {
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
            message: a.message_with_note(d),
            related_information: None,
            tags: d.unnecessary.then(|| vec![DiagnosticTag::UNNECESSARY]),
            data: None,
        })
        .collect()
}
