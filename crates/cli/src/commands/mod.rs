//! One module per subcommand.

pub(crate) mod analyze;
pub(crate) mod check;
pub(crate) mod dump;
pub(crate) mod graph;
pub(crate) mod plan;
pub(crate) mod rename;
pub(crate) mod targets;

use std::path::Path;

use stagecraft_analysis::{analyze, Analysis, Options};

use crate::{input, Failure};

/// Reads FILE and analyses it.
pub(crate) fn read_and_analyze(path: &Path, options: &Options) -> Result<Analysis, Failure> {
    Ok(analyze(&input::read(path)?, options))
}

/// The stage `--target` names, or the default target; a usage error says which names exist.
pub(crate) fn target_stage(an: &Analysis, path: &Path, target: Option<&str>) -> Result<usize, Failure> {
    match target {
        Some(t) => an.resolve_stage(t).map_err(|e| Failure::Usage(format!("{}: {e}", path.display()))),
        None => {
            an.default_target().ok_or_else(|| Failure::Usage(format!("{}: the file has no stages", path.display())))
        }
    }
}

/// The plural ending for `n` things: `""` for one, else `"s"`.
pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
