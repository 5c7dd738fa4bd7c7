//! One module per subcommand.

pub(crate) mod analyze;
pub(crate) mod check;
pub(crate) mod dump;
pub(crate) mod graph;
pub(crate) mod plan;
pub(crate) mod rename;
pub(crate) mod targets;

use std::path::Path;

use stagecraft_analysis::{analyze, suggest, Analysis, Options};

use crate::{input, Failure};

/// Reads FILE and analyses it.
pub(crate) fn read_and_analyze(path: &Path, options: &Options) -> Result<Analysis, Failure> {
    Ok(analyze(&input::read(path)?, options))
}

/// The stage `--target` names, or the default target; a usage error says which names exist.
pub(crate) fn target_stage(an: &Analysis, path: &Path, target: Option<&str>) -> Result<usize, Failure> {
    match target {
        Some(t) => an.find_target(t).ok_or_else(|| {
            let names: Vec<String> = an.stages().iter().filter_map(|s| s.name.clone()).collect();
            let hint = suggest::search(t, names.iter().map(String::as_str), true)
                .map(|s| format!(" (did you mean {s}?)"))
                .unwrap_or_else(|| format!("; targets: {}", names.join(", ")));
            Failure::Usage(format!("{}: target stage \"{t}\" could not be found{hint}", path.display()))
        }),
        None => {
            an.default_target().ok_or_else(|| Failure::Usage(format!("{}: the file has no stages", path.display())))
        }
    }
}
