//! `stagecraft dump`: BuildKit's parser dump or the syntax tree.

use std::ffi::OsString;
use std::path::PathBuf;

use stagecraft_syntax::{dump, parse, LineIndex};

use crate::{input, Failure, Outcome};

const HELP: &str = "\
usage: stagecraft dump (--buildkit | --tree) FILE

  --buildkit   BuildKit's AST.Dump() format (exit 1 when BuildKit's parser rejects FILE)
  --tree       the lossless syntax tree, for debugging the parser";

enum Format {
    Buildkit,
    Tree,
}

pub(crate) fn run(args: Vec<OsString>) -> Result<Outcome, Failure> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_args(args);
    let mut format = None;
    let mut file: Option<PathBuf> = None;
    while let Some(arg) = parser.next().map_err(|e| crate::args::usage_error(&e.to_string(), HELP))? {
        match arg {
            Long("buildkit") | Long("tree") if format.is_some() => {
                return Err(crate::args::usage_error("give one of --buildkit and --tree, once", HELP));
            }
            Long("buildkit") => format = Some(Format::Buildkit),
            Long("tree") => format = Some(Format::Tree),
            Short('h') | Long("help") => {
                crate::output::outln!("{HELP}");
                return Ok(Outcome::Ok);
            }
            Value(v) if file.is_none() => file = Some(v.into()),
            other => return Err(crate::args::usage_error(&other.unexpected().to_string(), HELP)),
        }
    }
    let format = format.ok_or_else(|| crate::args::usage_error("choose --buildkit or --tree", HELP))?;
    let path = file.ok_or_else(|| crate::args::usage_error("missing FILE", HELP))?;
    let (text, _) = input::read_lossy(&path)?;
    let parse = parse(&text);
    match format {
        Format::Tree => {
            crate::output::out!("{}", dump::tree(&parse.syntax_node()));
            for e in parse.errors() {
                crate::output::outln!("error@{:?}: {}", e.range(), e.message());
            }
            Ok(Outcome::Ok)
        }
        Format::Buildkit => {
            if parse.errors().is_empty() {
                crate::output::out!("{}", dump::buildkit(&parse.tree()));
                return Ok(Outcome::Ok);
            }
            let index = LineIndex::new(&text);
            for e in parse.errors() {
                // In characters, as every other command's `file:line:col`.
                let (line, col) = crate::output::position_in(&index, &text, e.range().start());
                crate::output::errln!("{}:{line}:{col}: error: {}", input::shown(&path), e.message());
            }
            Ok(Outcome::Findings)
        }
    }
}
