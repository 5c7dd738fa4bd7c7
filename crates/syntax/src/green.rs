//! A lean green-tree builder. rowan's `GreenNodeBuilder` interns every token and small node in a
//! hash map; for one-shot parses that hashing costs more than it saves. Here nodes are built
//! directly and only short tokens (blanks, newlines, keywords, punctuation) are shared, through a
//! small direct-mapped cache.

use rowan::{GreenNode, GreenToken, NodeOrToken};

use crate::SyntaxKind;

const CACHE_SLOTS: usize = 1024;
const CACHED_MAX_LEN: usize = 16;

pub(crate) struct Builder {
    stack: Vec<(SyntaxKind, usize)>,
    /// Finished children not yet in a node (the top-level ones after an incremental parse).
    pub(crate) children: Vec<NodeOrToken<GreenNode, GreenToken>>,
    cache: Vec<Option<(SyntaxKind, GreenToken)>>,
}

impl Builder {
    pub(crate) fn new() -> Builder {
        Builder { stack: Vec::with_capacity(16), children: Vec::with_capacity(256), cache: vec![None; CACHE_SLOTS] }
    }

    pub(crate) fn start_node(&mut self, kind: SyntaxKind) {
        self.stack.push((kind, self.children.len()));
    }

    pub(crate) fn finish_node(&mut self) {
        let Some((kind, start)) = self.stack.pop() else { return };
        let node = GreenNode::new(kind.into(), self.children.drain(start..));
        self.children.push(NodeOrToken::Node(node));
    }

    pub(crate) fn token(&mut self, kind: SyntaxKind, text: &str) {
        let token = if text.len() <= CACHED_MAX_LEN {
            let slot = slot(kind, text);
            match &self.cache[slot] {
                Some((k, t)) if *k == kind && t.text() == text => t.clone(),
                _ => {
                    let t = GreenToken::new(kind.into(), text);
                    self.cache[slot] = Some((kind, t.clone()));
                    t
                }
            }
        } else {
            GreenToken::new(kind.into(), text)
        };
        self.children.push(NodeOrToken::Token(token));
    }

    /// The finished root. Unbalanced starts are closed.
    pub(crate) fn finish(mut self) -> GreenNode {
        while !self.stack.is_empty() {
            self.finish_node();
        }
        match self.children.pop() {
            Some(NodeOrToken::Node(n)) if self.children.is_empty() => n,
            other => {
                // Not a single root: wrap whatever is there (cannot happen for our parser).
                let mut all = std::mem::take(&mut self.children);
                all.extend(other);
                GreenNode::new(SyntaxKind::SOURCE_FILE.into(), all)
            }
        }
    }
}

/// A cheap hash of kind and text (FNV-1a over at most 16 bytes).
fn slot(kind: SyntaxKind, text: &str) -> usize {
    let mut h: u32 = 0x811c_9dc5 ^ (kind as u32);
    for &b in text.as_bytes() {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    (h as usize) & (CACHE_SLOTS - 1)
}
