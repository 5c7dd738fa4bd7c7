//! `stagecraft graph`: the stage graph as SVG, DOT, Mermaid or JSON.

use std::ffi::OsString;

use serde_json::json;
use stagecraft_analysis::{GraphNode, SvgOptions};

use crate::args::{self, Format, Spec};
use crate::{output, Failure, Outcome};

const HELP: &str = "\
usage: stagecraft graph FILE [--format svg|dot|mermaid|json] [--target T] [--build-arg K=V]...
                        [--build-context NAME=...]... [--platform P]

Prints the stage graph: stages, the images they use, and edges for FROM, COPY --from,
RUN --mount from= and inherited ONBUILD triggers. DOT is the default.

--format svg draws it (a self-contained SVG document): the target's build plan (the default
target without --target) is highlighted and what it does not build is dimmed. T is a stage name,
or #N for the stage at index N.

Exit status: 0 when the graph is drawn, also for a file BuildKit fails on (the graph is what it
reads of it; `stagecraft check` says what fails); 1 for --format svg when the graph is too large
to draw (DOT, Mermaid and JSON still print it); 2 on usage or read errors and for a file with no
stages.";

pub(crate) fn run(raw: Vec<OsString>) -> Result<Outcome, Failure> {
    let Some(a) = args::parse(
        raw,
        &Spec { target: true, ..Spec::new(&[Format::Svg, Format::Dot, Format::Mermaid, Format::Json]) },
        HELP,
    )?
    else {
        return Ok(Outcome::Ok);
    };
    super::one_target(&a, "graph draws one target's build", HELP)?;
    let an = super::read_and_analyze(&a.files[0], &a.options)?;
    // No graph of a file without stages, as `plan` and `targets` have no target there.
    super::target_stage(&an, &a.files[0], None)?;
    match a.format.unwrap_or(Format::Dot) {
        Format::Svg => {
            let target = match &a.options.target {
                Some(t) => Some(super::target_stage(&an, &a.files[0], Some(t))?),
                None => None,
            };
            // `data-from` in UTF-16 code units, as the browser's and the server's SVG have it
            // (a page's script counts them so).
            let offset = |o: stagecraft_analysis::TextSize| an.line_index().utf16_offset(o);
            let svg = an.to_svg(&SvgOptions { target, offset: Some(&offset) }).map_err(|e| {
                Failure::Refused(format!(
                    "{}: {e} (--format dot or mermaid; json for its stages and edges)",
                    crate::input::shown(&a.files[0])
                ))
            })?;
            crate::output::outln!("{svg}");
        }
        Format::Mermaid => crate::output::out!("{}", an.to_mermaid()),
        Format::Json => {
            let g = an.graph();
            let nodes: Vec<_> = g
                .nodes
                .iter()
                .enumerate()
                .map(|(id, n)| match n {
                    GraphNode::Stage(s) => json!({"id": id, "kind": "stage", "stage": s, "label": an.stages()[*s].display_name(), "line": an.stages()[*s].line, "unused": an.is_unused(*s), "default_target": Some(*s) == an.default_target()}),
                    GraphNode::Image(i) => json!({"id": id, "kind": "image", "label": i}),
                    GraphNode::Scratch => json!({"id": id, "kind": "scratch", "label": "scratch"}),
                    GraphNode::NamedContext(k) => json!({"id": id, "kind": "context", "label": k}),
                })
                .collect();
            let edges: Vec<_> = g
                .edges
                .iter()
                .map(|e| json!({"source": e.source, "stage": e.stage, "kind": e.kind.as_str(), "line": an.line_of(e.range.start())}))
                .collect();
            output::print_json(&json!({"nodes": nodes, "edges": edges}));
        }
        _ => crate::output::out!("{}", an.to_dot()),
    }
    Ok(Outcome::Ok)
}
