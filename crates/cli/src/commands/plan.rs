//! `stagecraft plan`: what building a target takes, in parallel waves, and what the legacy
//! builder would build instead.

use std::ffi::OsString;

use serde_json::json;

use stagecraft_analysis::LegacyNote;

use crate::args::{self, Format, Spec};
use crate::{output, Failure, Outcome};

const HELP: &str = "\
usage: stagecraft plan FILE [--target T] [--legacy] [--format text|json] [--build-arg K=V]...
                       [--build-context NAME=...]... [--platform P] [--context DIR]

Shows the stages BuildKit builds for the target (the default target without --target), in
waves that can build in parallel, and the images it pulls. --legacy shows what the legacy
builder builds instead: every stage up to the target, where it fails first, and the RUNs it
runs without their heredocs' bodies (it runs a RUN's first line only). T is a stage name, or
#N for the stage at index N (#0 is the first; a stage without a name has no other).
--build-context NAME=... replaces the stage NAME, or else the images BuildKit looks up as NAME
(`alpine` for `alpine:latest`), as `docker buildx build --build-context` does; those are
listed apart.
--context DIR is the build context (the Dockerfile's directory without it): an ignore file
BuildKit rejects there (`FILE.dockerignore` beside the Dockerfile, else `.dockerignore`) fails
the build before any stage is built.

Exit status: 0; 1 when BuildKit fails the build, or `docker build` does on a stage name that is
no image name, since it looks stage names up as named contexts (the error goes to stderr; the
plan is still shown, as the build would be once the error is mended, except for stages on or
after a cycle of references, which no order builds: they are listed apart, `in_cycle` in JSON);
with --legacy, 1 also when the legacy builder fails where BuildKit builds (said with its
error); 2 on usage or read errors.";

pub(crate) fn run(raw: Vec<OsString>) -> Result<Outcome, Failure> {
    let Some(a) = args::parse(
        raw,
        &Spec { target: true, legacy: true, context: true, ..Spec::new(&[Format::Text, Format::Json]) },
        HELP,
    )?
    else {
        return Ok(Outcome::Ok);
    };
    let path = &a.files[0];
    super::one_target(&a, "plan shows one target's build", HELP)?;
    // As `docker build` runs: only the stages the target needs are dispatched (a lint without
    // --target dispatches all), so a step failing in a stage it does not build is no failure.
    let options = stagecraft_analysis::Options { only_needed_stages: true, ..a.options.clone() };
    // `docker build` reads the context's ignore file before it builds any stage: one BuildKit
    // rejects fails the build there (the analysis makes it the build's error where it comes).
    let (options, _) = super::with_ignore_rules(path, &options, a.context.as_deref());
    let an = super::read_and_analyze(path, &options)?;
    super::warn_unused_options(&an, path, &options);
    let target = super::target_stage(&an, path, a.options.target.as_deref())?;
    let plan = an.plan(target);
    let name = |s: usize| an.stages()[s].display_name();
    // The target in a heading: an unnamed stage has no name `--target` takes, so it is not said
    // as one (the code lens says it alike): the default target, or `#N` as it was asked for.
    let target_name = |s: usize| match an.stages()[s].name {
        None if Some(s) == an.default_target() => format!("the default target (unnamed stage {s})"),
        None => format!("unnamed stage {s} (#{s})"),
        Some(_) => name(s),
    };
    // The legacy builder builds every stage without --target, and with one, every stage up to
    // the first of its name; it fails at a stage whose name an earlier one has.
    let legacy: Vec<usize> = match a.options.target {
        None => (0..an.stages().len()).collect(),
        Some(_) => plan.legacy_stages.clone(),
    };
    // Its failure of its own, the first in build order, on the file as it reads it (its own
    // view where that differs: no named contexts, FROM names found in any case), with what
    // BuildKit does there.
    // (Read only where it is shown: with --legacy, and in the JSON; it may analyse the file
    // twice more.)
    let legacy_count = legacy.len();
    let shown = a.legacy || a.format == Some(Format::Json);
    // (Read from an analysis that dispatches every stage, as the language server's: the legacy
    // builder runs the stages BuildKit skips too, and meets their steps' errors first.)
    let every = shown.then(|| {
        let all = stagecraft_analysis::Options { only_needed_stages: false, target: None, ..options.clone() };
        stagecraft_analysis::analyze(an.text(), &all)
    });
    let base = every.as_ref().unwrap_or(&an);
    let view = shown.then(|| base.legacy_view()).flatten();
    let lan = view.as_ref().unwrap_or(base);
    let builds = |what: &'static str| {
        if an.build_error().is_some() {
            "BuildKit fails this build too: `stagecraft plan` without --legacy says where"
        } else {
            what
        }
    };
    let failure = shown.then(|| lan.legacy_failure(legacy.len(), &plan.stages)).flatten();
    // The RUNs it runs without their heredocs' bodies, before it fails (each at BuildKit's line).
    let unrun: Vec<(usize, u32)> = match shown {
        true => lan.legacy_unrun_heredocs(legacy_count, failure.as_ref()),
        false => Vec::new(),
    }
    .into_iter()
    .map(|(s, r)| (s, lan.line_of(r.start())))
    .collect();
    let clash = failure.map(|f| {
        let note = match f.note {
            LegacyNote::Builds => builds("BuildKit builds it"),
            LegacyNote::Warns => "BuildKit warns of it, as DuplicateStageName, and builds",
            LegacyNote::SetsPlatformArgs => builds("BuildKit sets them, and builds"),
            LegacyNote::CopiesFromBase => builds("BuildKit copies from the stage as its base left it"),
            LegacyNote::FailsThere => "BuildKit fails there too",
            LegacyNote::SkipsStage => builds("BuildKit skips the stage"),
        };
        (f.line, f.offset, f.message, note)
    });
    // BuildKit's failure, and with --legacy the legacy builder's, each said on stderr.
    let outcome = |legacy: bool| {
        match clash.as_ref().filter(|_| legacy) {
            Some((_, offset, message, note)) => {
                crate::output::errln!(
                    "stagecraft: {}{}: the legacy builder fails: {message} ({note})",
                    crate::input::shown(path),
                    super::line_column(lan, *offset)
                );
                Outcome::Findings
            }
            // (Else where BuildKit fails, reading the file as the legacy builder does.)
            None if legacy => super::build_outcome(lan, path, |e| lan.legacy_meets(e, legacy_count)),
            // BuildKit's own packages build it, but `docker build` (buildx's client) looks every
            // stage name up as a named context first, and fails on one that is no image name.
            // It does so in its loop over the stages, once the stage's FROM is expanded: after
            // the parse and the global ARGs, before the next stage and before what follows the
            // loop (the references, the images, the steps).
            None => match an.diagnostics().iter().find(|d| d.code == "stage-name-not-a-reference") {
                Some(d)
                    if an.build_error().is_none_or(|e| match e.phase {
                        "parse" | "instructions" | "meta-args" => false,
                        "dispatch-states" => e.range.is_some_and(|r| d.range.start() < r.start()),
                        _ => true,
                    }) =>
                {
                    crate::output::errln!(
                        "stagecraft: {}{}: {} (the plan is what it would build once that is mended)",
                        crate::input::shown(path),
                        super::line_column(&an, d.range.start()),
                        d.message
                    );
                    Outcome::Findings
                }
                _ => super::build_outcome(&an, path, |_| true),
            },
        }
    };
    // What a replaced stage's steps use: dispatched, not built.
    let dispatched = an.dispatched_not_built(target);
    if a.format == Some(Format::Json) {
        output::print_json(&json!({
            "target": target,
            "target_name": name(target),
            "stages": plan.stages.iter().map(|&s| name(s)).collect::<Vec<_>>(),
            "waves": plan.waves.iter().map(|w| w.iter().map(|&s| name(s)).collect::<Vec<_>>()).collect::<Vec<_>>(),
            "in_cycle": plan.in_cycle.iter().map(|&s| name(s)).collect::<Vec<_>>(),
            "images": plan.images,
            "contexts": plan.contexts,
            "dispatched_not_built": dispatched.iter().map(|&s| name(s)).collect::<Vec<_>>(),
            "legacy_stages": legacy.iter().map(|&s| name(s)).collect::<Vec<_>>(),
            "legacy_only": legacy.iter().filter(|s| !plan.stages.contains(s)).map(|&s| name(s)).collect::<Vec<_>>(),
            "legacy_error": clash.as_ref().map(|(line, _, message, _)| json!({"message": message, "line": line})),
            "legacy_unrun_heredocs": unrun.iter().map(|&(s, line)| json!({"stage": name(s), "line": line})).collect::<Vec<_>>(),
            "build_error": an.build_error().map(|e| super::build_error_json(&an, e)),
        }));
        return Ok(outcome(a.legacy));
    }
    if a.legacy {
        // A name two stages share says which stage it is.
        let name_with_line = |s: usize| match an.shares_name(s) {
            true => format!("{} (line {})", name(s), an.stages()[s].line),
            false => name(s),
        };
        let extra: Vec<String> =
            legacy.iter().filter(|s| !plan.stages.contains(s)).map(|&s| name_with_line(s)).collect();
        let last = legacy.last().map_or(target, |&s| s);
        crate::output::textln!(
            "The legacy builder builds {} stage{} for {}, in order:",
            legacy.len(),
            super::plural(legacy.len()),
            match an.stages()[last].name {
                None => target_name(last),
                Some(_) => name_with_line(last),
            }
        );
        crate::output::textln!("  {}", legacy.iter().map(|&s| name_with_line(s)).collect::<Vec<_>>().join(", "));
        if !extra.is_empty() {
            crate::output::textln!("{} of them BuildKit skips: {}", extra.len(), extra.join(", "));
        }
        if !unrun.is_empty() {
            let (n, plural) = (unrun.len(), super::plural(unrun.len()));
            let at: Vec<String> =
                unrun.iter().map(|&(s, line)| format!("line {line} ({})", name_with_line(s))).collect();
            crate::output::textln!(
                "It runs {n} RUN{plural} with a heredoc without the heredoc's body, only the RUN's first line (`RUN <<EOF` runs `sh -c '<<EOF'`, which does nothing and succeeds): {}",
                at.join(", ")
            );
        }
        return Ok(outcome(true));
    }
    // A stage a named build context replaces is not built: BuildKit loads the context.
    let replaced = |s: usize| an.stages()[s].is_replaced();
    let built = an.target_build_counts()[target];
    crate::output::textln!("BuildKit builds {built} stage{} for {}:", super::plural(built), target_name(target));
    let shown = |s: usize| match replaced(s) {
        true => format!("{} (a named context: loaded, not built)", name(s)),
        false => name(s),
    };
    for (i, w) in plan.waves.iter().enumerate() {
        crate::output::textln!("  wave {}: {}", i + 1, w.iter().map(|&s| shown(s)).collect::<Vec<_>>().join(", "));
    }
    if !plan.in_cycle.is_empty() {
        crate::output::textln!(
            "  in no wave, on or after a cycle of references: {}",
            plan.in_cycle.iter().map(|&s| shown(s)).collect::<Vec<_>>().join(", ")
        );
    }
    if !plan.images.is_empty() {
        // (An image name a build arg left blank is shown, quoted.)
        let image = |i: &String| {
            if i.trim().is_empty() || i.contains(char::is_whitespace) {
                format!("{i:?}")
            } else {
                i.clone()
            }
        };
        crate::output::textln!("images: {}", plan.images.iter().map(image).collect::<Vec<_>>().join(", "));
    }
    if !plan.contexts.is_empty() {
        crate::output::textln!("named contexts: {}", plan.contexts.join(", "));
    }
    if !dispatched.is_empty() {
        crate::output::textln!(
            "dispatched, not built: {} (what a replaced stage's steps use: BuildKit resolves their \
             bases and reads their steps, a failure there failing the build, and builds none of it)",
            dispatched.iter().map(|&s| name(s)).collect::<Vec<_>>().join(", ")
        );
    }
    Ok(outcome(false))
}
