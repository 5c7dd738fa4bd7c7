//! `stagecraft`: Dockerfile multi-stage builds, as BuildKit sees them, in a terminal.

mod commands;
mod input;

use std::io::Write;
use std::process::ExitCode;

/// What a command ends with.
pub(crate) enum Outcome {
    /// Done, nothing to report.
    Ok,
    /// Done, and the input has errors (exit 1).
    Findings,
}

/// A failure that ends the program with a message.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Bad command line (exit 2).
    Usage(String),
    /// A file could not be read (exit 2).
    Io(String),
}

const USAGE: &str = "\
usage: stagecraft <command> [options]

commands:
  dump --buildkit FILE   print BuildKit's parser dump (AST.Dump) of FILE
  dump --tree FILE       print the syntax tree of FILE

Run `stagecraft <command> --help` for a command's options.";

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(command) = args.next() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let rest: Vec<std::ffi::OsString> = args.collect();
    let result = match command.to_str() {
        Some("dump") => commands::dump::run(rest),
        Some("-h" | "--help" | "help") => {
            let _ = writeln!(std::io::stdout(), "{USAGE}");
            Ok(Outcome::Ok)
        }
        Some("-V" | "--version") => {
            let _ = writeln!(std::io::stdout(), "stagecraft {}", env!("CARGO_PKG_VERSION"));
            Ok(Outcome::Ok)
        }
        _ => Err(Failure::Usage(format!("unknown command {:?}\n\n{USAGE}", command))),
    };
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Findings) => ExitCode::from(1),
        Err(Failure::Usage(msg)) => {
            eprintln!("stagecraft: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Io(msg)) => {
            eprintln!("stagecraft: {msg}");
            ExitCode::from(2)
        }
    }
}
