//! The one kind enum for tokens and nodes of the Dockerfile tree.

/// Every token and node kind of the tree. Tokens come first, then nodes.
#[allow(non_camel_case_types, missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u16)]
pub enum SyntaxKind {
    // ---- trivia tokens ----
    /// Spaces, tabs and other non-newline whitespace.
    WHITESPACE = 0,
    /// A line ending: `\n`, `\r\n`, or any run of `\r` before it.
    NEWLINE,
    /// A whole comment line, from `#` to the end of the line.
    COMMENT,
    /// The UTF-8 byte-order mark at the start of the file.
    BOM,
    /// The escape character that continues a line, plus the blanks after it.
    LINE_CONTINUATION,
    /// An escape character at the very end of an argument, which BuildKit drops.
    TRAILING_ESCAPE,
    /// Whitespace on a line that a continuation skips (a blank line, or before a comment line).
    CONTINUATION_WHITESPACE,

    // ---- tokens ----
    /// An instruction keyword (`FROM`, `run`, ...), in any case.
    KEYWORD,
    /// The `AS` of `FROM image AS name`, in any case.
    AS_KW,
    /// `#` opening a parser directive.
    HASH,
    /// The key of a parser directive (`syntax`, `escape`, `check`).
    DIRECTIVE_NAME,
    /// The value of a parser directive.
    DIRECTIVE_VALUE,
    /// `=`
    EQ,
    /// `,`
    COMMA,
    /// The `--name` part of a flag.
    FLAG_NAME,
    /// A bare `--` that ends the flags.
    DOUBLE_DASH,
    /// Literal text inside a word, a command or a value.
    TEXT,
    /// `$` starting a variable reference.
    DOLLAR,
    /// `{`
    L_CURLY,
    /// `}`
    R_CURLY,
    /// The name in `$NAME` / `${NAME}`.
    VAR_NAME,
    /// A modifier operator in `${NAME<op>word}` (`:-`, `+`, `#`, `%%`, `/`, ...).
    VAR_OP,
    /// `[`
    L_BRACK,
    /// `]`
    R_BRACK,
    /// A JSON string literal (with its quotes).
    JSON_STRING,
    /// Any other JSON value (number, literal, object, nested array).
    JSON_OTHER,
    /// The `<<EOF` word that opens a heredoc.
    HEREDOC_MARKER,
    /// The body lines of a heredoc, with their line endings.
    HEREDOC_CONTENT,
    /// The line that ends a heredoc (without its line ending).
    HEREDOC_END,

    // ---- nodes ----
    /// The whole file.
    SOURCE_FILE,
    /// A parser directive line (`# syntax=...`).
    DIRECTIVE,
    FROM_INSTR,
    RUN_INSTR,
    CMD_INSTR,
    LABEL_INSTR,
    MAINTAINER_INSTR,
    EXPOSE_INSTR,
    ENV_INSTR,
    ADD_INSTR,
    COPY_INSTR,
    ENTRYPOINT_INSTR,
    VOLUME_INSTR,
    USER_INSTR,
    WORKDIR_INSTR,
    ARG_INSTR,
    ONBUILD_INSTR,
    STOPSIGNAL_INSTR,
    HEALTHCHECK_INSTR,
    SHELL_INSTR,
    /// An instruction with an unknown keyword; its text is kept.
    ERROR,
    /// `--name=value` before the arguments.
    FLAG,
    /// The value of a flag.
    FLAG_VALUE,
    /// One `key=value` option of a `--mount` value.
    MOUNT_OPTION,
    /// One argument word.
    WORD,
    /// The stage name after `AS`.
    STAGE_NAME,
    /// `key=value` (ENV, LABEL, ARG) or the legacy `key value`.
    KEY_VALUE,
    /// The key of a key/value pair or mount option.
    KEY,
    /// The value of a key/value pair or mount option.
    VALUE,
    /// `$NAME` or `${NAME...}`.
    VARIABLE,
    /// The word after a `${NAME<op>` modifier.
    VAR_ARG,
    /// An exec-form JSON array.
    JSON_ARRAY,
    /// A shell-form command.
    SHELL_COMMAND,
    /// A heredoc body with its terminator.
    HEREDOC,
}

use SyntaxKind::*;

impl SyntaxKind {
    const LAST: u16 = HEREDOC as u16;

    /// Checked conversion from the raw value.
    pub fn from_raw(raw: u16) -> Option<SyntaxKind> {
        if raw <= Self::LAST {
            // Every value up to LAST is a declared variant (the enum is dense).
            Some(ALL[raw as usize])
        } else {
            None
        }
    }

    /// Whitespace, newlines, comments, continuations: text that carries no argument value.
    pub fn is_trivia(self) -> bool {
        matches!(self, WHITESPACE | TRAILING_ESCAPE) || self.is_joined_away()
    }

    /// Text that BuildKit removes when it joins a continued instruction into one line: the
    /// continuation markers and the blank and comment lines they skip. Everything else in an
    /// instruction (including WHITESPACE between words, and a TRAILING_ESCAPE, which only the
    /// word splitting drops) is part of the joined line.
    pub fn is_joined_away(self) -> bool {
        matches!(self, NEWLINE | COMMENT | BOM | LINE_CONTINUATION | CONTINUATION_WHITESPACE)
    }

    /// True for node kinds.
    pub fn is_node(self) -> bool {
        self as u16 >= SOURCE_FILE as u16
    }

    /// True for the instruction node kinds (including unknown instructions).
    pub fn is_instruction(self) -> bool {
        (FROM_INSTR as u16..=ERROR as u16).contains(&(self as u16))
    }

    /// The node kind of an instruction keyword (case-insensitive); `ERROR` if unknown.
    pub fn from_keyword(keyword: &str) -> SyntaxKind {
        let kind = match keyword.len() {
            3 => [("run", RUN_INSTR), ("cmd", CMD_INSTR), ("env", ENV_INSTR), ("add", ADD_INSTR), ("arg", ARG_INSTR)]
                .iter()
                .find(|(k, _)| keyword.eq_ignore_ascii_case(k)),
            4 => [("from", FROM_INSTR), ("copy", COPY_INSTR), ("user", USER_INSTR)]
                .iter()
                .find(|(k, _)| keyword.eq_ignore_ascii_case(k)),
            5 => [("label", LABEL_INSTR), ("shell", SHELL_INSTR)].iter().find(|(k, _)| keyword.eq_ignore_ascii_case(k)),
            6 => [("expose", EXPOSE_INSTR), ("volume", VOLUME_INSTR)]
                .iter()
                .find(|(k, _)| keyword.eq_ignore_ascii_case(k)),
            7 => [("workdir", WORKDIR_INSTR), ("onbuild", ONBUILD_INSTR)]
                .iter()
                .find(|(k, _)| keyword.eq_ignore_ascii_case(k)),
            10 => {
                [("maintainer", MAINTAINER_INSTR), ("entrypoint", ENTRYPOINT_INSTR), ("stopsignal", STOPSIGNAL_INSTR)]
                    .iter()
                    .find(|(k, _)| keyword.eq_ignore_ascii_case(k))
            }
            11 => [("healthcheck", HEALTHCHECK_INSTR)].iter().find(|(k, _)| keyword.eq_ignore_ascii_case(k)),
            _ => None,
        };
        kind.map_or(ERROR, |(_, kind)| *kind)
    }

    /// The upper-case keyword of an instruction kind.
    pub fn keyword(self) -> Option<&'static str> {
        Some(match self {
            FROM_INSTR => "FROM",
            RUN_INSTR => "RUN",
            CMD_INSTR => "CMD",
            LABEL_INSTR => "LABEL",
            MAINTAINER_INSTR => "MAINTAINER",
            EXPOSE_INSTR => "EXPOSE",
            ENV_INSTR => "ENV",
            ADD_INSTR => "ADD",
            COPY_INSTR => "COPY",
            ENTRYPOINT_INSTR => "ENTRYPOINT",
            VOLUME_INSTR => "VOLUME",
            USER_INSTR => "USER",
            WORKDIR_INSTR => "WORKDIR",
            ARG_INSTR => "ARG",
            ONBUILD_INSTR => "ONBUILD",
            STOPSIGNAL_INSTR => "STOPSIGNAL",
            HEALTHCHECK_INSTR => "HEALTHCHECK",
            SHELL_INSTR => "SHELL",
            _ => return None,
        })
    }
}

/// All instruction keywords BuildKit knows, upper-case.
pub const KEYWORDS: [&str; 18] = [
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

const ALL: [SyntaxKind; SyntaxKind::LAST as usize + 1] = [
    WHITESPACE,
    NEWLINE,
    COMMENT,
    BOM,
    LINE_CONTINUATION,
    TRAILING_ESCAPE,
    CONTINUATION_WHITESPACE,
    KEYWORD,
    AS_KW,
    HASH,
    DIRECTIVE_NAME,
    DIRECTIVE_VALUE,
    EQ,
    COMMA,
    FLAG_NAME,
    DOUBLE_DASH,
    TEXT,
    DOLLAR,
    L_CURLY,
    R_CURLY,
    VAR_NAME,
    VAR_OP,
    L_BRACK,
    R_BRACK,
    JSON_STRING,
    JSON_OTHER,
    HEREDOC_MARKER,
    HEREDOC_CONTENT,
    HEREDOC_END,
    SOURCE_FILE,
    DIRECTIVE,
    FROM_INSTR,
    RUN_INSTR,
    CMD_INSTR,
    LABEL_INSTR,
    MAINTAINER_INSTR,
    EXPOSE_INSTR,
    ENV_INSTR,
    ADD_INSTR,
    COPY_INSTR,
    ENTRYPOINT_INSTR,
    VOLUME_INSTR,
    USER_INSTR,
    WORKDIR_INSTR,
    ARG_INSTR,
    ONBUILD_INSTR,
    STOPSIGNAL_INSTR,
    HEALTHCHECK_INSTR,
    SHELL_INSTR,
    ERROR,
    FLAG,
    FLAG_VALUE,
    MOUNT_OPTION,
    WORD,
    STAGE_NAME,
    KEY_VALUE,
    KEY,
    VALUE,
    VARIABLE,
    VAR_ARG,
    JSON_ARRAY,
    SHELL_COMMAND,
    HEREDOC,
];

impl From<SyntaxKind> for rowan::SyntaxKind {
    fn from(kind: SyntaxKind) -> Self {
        rowan::SyntaxKind(kind as u16)
    }
}

/// The rowan language tag for Dockerfiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dockerfile {}

impl rowan::Language for Dockerfile {
    type Kind = SyntaxKind;

    fn kind_from_raw(raw: rowan::SyntaxKind) -> SyntaxKind {
        // Only this crate builds trees, so an unknown raw kind is a bug here; map it to ERROR
        // rather than panic in a consumer.
        SyntaxKind::from_raw(raw.0).unwrap_or(ERROR)
    }

    fn kind_to_raw(kind: SyntaxKind) -> rowan::SyntaxKind {
        kind.into()
    }
}

/// A node of the Dockerfile tree.
pub type SyntaxNode = rowan::SyntaxNode<Dockerfile>;
/// A token of the Dockerfile tree.
pub type SyntaxToken = rowan::SyntaxToken<Dockerfile>;
/// A node or a token.
pub type SyntaxElement = rowan::SyntaxElement<Dockerfile>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_round_trip_covers_every_kind() {
        for raw in 0..=SyntaxKind::LAST {
            let kind = SyntaxKind::from_raw(raw).unwrap();
            assert_eq!(kind as u16, raw);
        }
        assert_eq!(SyntaxKind::from_raw(SyntaxKind::LAST + 1), None);
    }

    #[test]
    fn keywords_map_to_instruction_kinds() {
        for kw in KEYWORDS {
            let kind = SyntaxKind::from_keyword(kw);
            assert!(kind.is_instruction() && kind != ERROR, "{kw}");
            assert_eq!(kind.keyword(), Some(kw));
            assert_eq!(SyntaxKind::from_keyword(&kw.to_lowercase()), kind);
        }
        assert_eq!(SyntaxKind::from_keyword("FRM"), ERROR);
    }
}
