//! `stagecraft`: Dockerfile multi-stage builds, as BuildKit sees them, in a terminal.

// Output goes through `output::{out, outln, errln}`, which never panic on a closed pipe.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod alloc;
mod args;
mod commands;
mod diff;
mod input;
mod output;

use std::process::ExitCode;

/// What a command ends with.
pub(crate) enum Outcome {
    /// Done, nothing to report.
    Ok,
    /// Done, and the input has errors (exit 1).
    Findings,
    /// Done with what could be read; some input could not be, as stderr says (exit 2).
    Unread,
}

/// A failure that ends the program with a message.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Bad command line (exit 2).
    Usage(String),
    /// A file could not be read or written (exit 2).
    Io(String),
    /// The request cannot be done as asked, e.g. a refused rename (exit 1).
    Refused(String),
}

const USAGE: &str = "\
usage: stagecraft <command> [options]

commands:
  analyze FILE        the stage model: stages, references, targets, unused stages, diagnostics
  check FILE...       diagnostics as text, JSON, SARIF or GitHub annotations (exit 1 on errors)
  targets FILE        build targets with descriptions
  plan FILE           what a target builds (--target T), in parallel waves (--legacy: the legacy builder)
  rename FILE OLD NEW rename a stage everywhere (a diff, or --write)
  fmt FILE...         format Dockerfiles (a diff, --write or --check)
  graph FILE          the stage graph as SVG, DOT, Mermaid or JSON
  dump FILE           BuildKit's parser dump (--buildkit) or the syntax tree (--tree)
  lsp                 the language server, over stdio

Every command that analyses a file takes, as `docker build` does: --build-arg K=V (K alone:
the environment's value), --build-context NAME=VALUE, and --platform OS/ARCH (the target
platform: the TARGET* ARGs and the OS of stages without a --platform of their own; linux/amd64
by default; `local` is the one stagecraft was built for, as buildx reads it).

A FILE of `-` is the standard input. Run `stagecraft <command> --help` for a command's options.";

const LSP_HELP: &str = "\
usage: stagecraft lsp [--stdio]

Runs the language server over the standard input and output (`--stdio`, which editors' clients
pass, is the only transport and may be left out). An editor starts it; see the README's
\"Editors\" section for VS Code and Neovim. It exits when the client asks it to (exit status 0),
or 1 when the client sends `exit` before `shutdown` or closes the input.";

/// The commands, for `help COMMAND` and a "did you mean" on a command there is not.
const COMMANDS: [&str; 9] = ["analyze", "check", "targets", "plan", "rename", "fmt", "graph", "dump", "lsp"];

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(mut command) = args.next() else {
        crate::output::errln!("{USAGE}");
        return ExitCode::from(2);
    };
    let mut rest: Vec<std::ffi::OsString> = args.collect();
    // `stagecraft help check` is `stagecraft check --help` (and `help chek` an unknown command).
    if command == "help" && !rest.is_empty() {
        command = rest.remove(0);
        rest = vec!["--help".into()];
    }
    let result = match command.to_str() {
        Some("analyze") => commands::analyze::run(rest),
        Some("check") => commands::check::run(rest),
        Some("targets") => commands::targets::run(rest),
        Some("plan") => commands::plan::run(rest),
        Some("rename") => commands::rename::run(rest),
        Some("fmt") => commands::fmt::run(rest),
        Some("graph") => commands::graph::run(rest),
        Some("dump") => commands::dump::run(rest),
        Some("lsp") => match lsp_args(rest) {
            Err(e) => Err(e),
            Ok(false) => Ok(Outcome::Ok),
            Ok(true) => {
                alloc::keep_freed_pages_mapped();
                // stdout belongs to the protocol from here on. Exit code 1 when the client did not
                // ask for `shutdown` before `exit` (or went away), as the protocol says.
                if !stagecraft_lsp::run_stdio() {
                    return ExitCode::from(1);
                }
                Ok(Outcome::Ok)
            }
        },
        Some("-h" | "--help" | "help") => {
            output::outln!("{USAGE}");
            Ok(Outcome::Ok)
        }
        Some("-V" | "--version") => {
            output::outln!("stagecraft {}", env!("CARGO_PKG_VERSION"));
            Ok(Outcome::Ok)
        }
        _ => {
            let name = command.to_string_lossy();
            let meant = stagecraft_analysis::suggest::search(&name, COMMANDS, true)
                .map_or(String::new(), |c| format!("; did you mean `{c}`?"));
            Err(Failure::Usage(format!("unknown command {name:?}{meant}\n\n{USAGE}")))
        }
    };
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Findings) => ExitCode::from(1),
        Ok(Outcome::Unread) => ExitCode::from(2),
        Err(Failure::Usage(msg)) | Err(Failure::Io(msg)) => {
            crate::output::errln!("stagecraft: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Refused(msg)) => {
            crate::output::errln!("stagecraft: {msg}");
            ExitCode::from(1)
        }
    }
}

/// `lsp`'s arguments: whether to run the server (not when `--help` was asked for and printed).
fn lsp_args(args: Vec<std::ffi::OsString>) -> Result<bool, Failure> {
    use lexopt::prelude::*;
    let mut p = lexopt::Parser::from_args(args);
    let mut help = false;
    while let Some(arg) = p.next().map_err(|e| args::usage_error(&e.to_string(), LSP_HELP))? {
        match arg {
            Short('h') | Long("help") => help = true,
            Long("stdio") => {}
            other => return Err(args::usage_error(&other.unexpected().to_string(), LSP_HELP)),
        }
    }
    if help {
        output::outln!("{LSP_HELP}");
    }
    Ok(!help)
}
