//! One module per subcommand.

pub(crate) mod analyze;
pub(crate) mod check;
pub(crate) mod dump;
pub(crate) mod graph;
pub(crate) mod plan;
pub(crate) mod rename;
pub(crate) mod targets;
