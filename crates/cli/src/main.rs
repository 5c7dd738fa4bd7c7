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

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(command) = args.next() else {
        crate::output::errln!("{USAGE}");
        return ExitCode::from(2);
    };
    let rest: Vec<std::ffi::OsString> = args.collect();
    let result = match command.to_str() {
        Some("analyze") => commands::analyze::run(rest),
        Some("check") => commands::check::run(rest),
        Some("targets") => commands::targets::run(rest),
        Some("plan") => commands::plan::run(rest),
        Some("rename") => commands::rename::run(rest),
        Some("fmt") => commands::fmt::run(rest),
        Some("graph") => commands::graph::run(rest),
        Some("dump") => commands::dump::run(rest),
        Some("lsp") => {
            alloc::keep_freed_pages_mapped();
            // stdout belongs to the protocol from here on. Exit code 1 when the client did not
            // ask for `shutdown` before `exit` (or went away), as the protocol says.
            if !stagecraft_lsp::run_stdio() {
                return ExitCode::from(1);
            }
            Ok(Outcome::Ok)
        }
        Some("-h" | "--help" | "help") => {
            output::outln!("{USAGE}");
            Ok(Outcome::Ok)
        }
        Some("-V" | "--version") => {
            output::outln!("stagecraft {}", env!("CARGO_PKG_VERSION"));
            Ok(Outcome::Ok)
        }
        _ => Err(Failure::Usage(format!("unknown command {command:?}\n\n{USAGE}"))),
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
