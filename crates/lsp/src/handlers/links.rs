//! Document links: the images a Dockerfile names, to their registries' pages.

use stagecraft_analysis::Analysis;
use tower_lsp_server::lsp_types::{DocumentLink, Uri};

use crate::convert::Encoding;

pub(crate) fn links(a: &Analysis, encoding: Encoding) -> Vec<DocumentLink> {
    a.links()
        .into_iter()
        .filter_map(|l| {
            Some(DocumentLink {
                range: encoding.lsp_range(a, l.range),
                target: Some(l.url.parse::<Uri>().ok()?),
                tooltip: Some(l.tooltip),
                data: None,
            })
        })
        .collect()
}
