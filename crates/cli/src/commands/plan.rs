//! `stagecraft plan`: what building a target takes, in parallel waves, and what the legacy
//! builder would build instead.

use std::ffi::OsString;

use serde_json::json;

use crate::args::{self, Format, Spec};
use crate::{output, Failure, Outcome};

const HELP: &str = "\
usage: stagecraft plan FILE [--target T] [--legacy] [--format text|json] [--build-arg K=V]...
                       [--build-context NAME=...]... [--platform P] [--context DIR]

Shows the stages BuildKit builds for the target (the default target without --target), in
waves that can build in parallel, and the images it pulls. --legacy shows what the legacy
builder builds instead: every stage up to the target. T is a stage name, or #N for the stage
at index N (#0 is the first; a stage without a name has no other). --build-context NAME=...
replaces the stage NAME, or else the images BuildKit looks up as NAME (`alpine` for
`alpine:latest`), as `docker buildx build --build-context` does; those are listed apart.
--context DIR is the build context (the Dockerfile's directory without it): an ignore file
BuildKit rejects there (`FILE.dockerignore` beside the Dockerfile, else `.dockerignore`) fails
the build before any stage is built.

Exit status: 0; 1 when BuildKit fails the build, or `docker build` does on a stage name that is
no image name, since it looks stage names up as named contexts (the error goes to stderr; the
plan is still shown, as the build would be once the error is mended, except for stages on or
after a cycle of references, which no order builds: they are listed apart, `in_cycle` in JSON);
2 on usage or read errors.";

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
    // The legacy builder builds every stage without --target, and with one, every stage up to
    // the first of its name; it fails at a stage whose name an earlier one has.
    let legacy: Vec<usize> = match a.options.target {
        None => (0..an.stages().len()).collect(),
        Some(_) => plan.legacy_stages.clone(),
    };
    // Its failure, the first in build order: a stage's name is checked at its start (a name an
    // earlier stage has), then its FROM (a `--platform`, then a base name, that it reads
    // otherwise: with no automatic platform ARG, a stage built before in any case), then the
    // triggers it runs of its base stage, at the FROM (an option only BuildKit has, a `--from`
    // it cannot look up), then its own instructions (the same, and a COPY of heredocs only).
    // Each with what BuildKit does.
    // (Not where the file does not parse: both builders read it with BuildKit's parser and
    // instructions package, and fail alike, an unknown flag too.)
    let parses = !an.build_error().is_some_and(|e| matches!(e.phase, "parse" | "instructions"));
    let builds = |what: &'static str| {
        if an.build_error().is_some() {
            "BuildKit fails this build too: `stagecraft plan` without --legacy says where"
        } else {
            what
        }
    };
    let from_line = |s: usize| an.stages()[s].line;
    // (Each with its stage, its step there, and where it is written, for the order.)
    let zero = stagecraft_analysis::TextSize::new(0);
    let clash = an.legacy_name_clash(legacy.len()).map(|s| {
        let message = format!("{} stage name already used", name(s));
        (s, 0, zero, from_line(s), message, "BuildKit warns of it, as DuplicateStageName, and builds")
    });
    let from = an.legacy_from_failure(legacy.len()).filter(|_| parses).map(|(s, message, automatic, base)| {
        let (message, note) = if automatic {
            let why = "the legacy builder sets no automatic platform ARG, such as BUILDPLATFORM or TARGETPLATFORM";
            (format!("{message} ({why})"), builds("BuildKit sets them, and builds"))
        } else {
            (message, builds("BuildKit builds it"))
        };
        // (The platform is read before the base.)
        (s, 1, if base { an.stages()[s].from_range.end() } else { zero }, from_line(s), message, note)
    });
    let option = an.legacy_buildkit_option(legacy.len()).filter(|_| parses).map(|(s, range, message, at, buildkit)| {
        let rank = if range == an.stages()[s].from_range { 2 } else { 3 };
        let note = if buildkit { "BuildKit fails there too" } else { builds("BuildKit builds it") };
        (s, rank, at, an.line_of(range.start()), message, note)
    });
    // A `COPY --from` it cannot look up: it looks the value up as written, among the stages
    // built before, and runs a stage's inherited triggers at its FROM.
    let own = an.legacy_copy_from_failure(legacy.len()).filter(|_| parses).map(|f| {
        let trigger = if f.trigger {
            " (in the stage's inherited ONBUILD trigger, which the legacy builder runs at the FROM)"
        } else {
            ""
        };
        let message = format!("invalid from flag value {}: {}{trigger}", f.value, f.why);
        let note = if f.trigger && an.references().iter().any(|r| r.range == f.range && r.stage() == Some(f.stage)) {
            builds("BuildKit copies from the stage as its base left it")
        } else {
            builds("BuildKit builds it")
        };
        let (rank, line) = if f.trigger { (2, from_line(f.stage)) } else { (3, an.line_of(f.range.start())) };
        (f.stage, rank, f.at, line, message, note)
    });
    // A step that fails in a stage BuildKit skips, which the legacy builder builds: a word that
    // does not expand (it expands each instruction's words as BuildKit does, with the
    // instructions package they share). Found as the first failure of the lint that dispatches
    // every stage. (Its other steps' failures are BuildKit's own checks, or not read here.)
    let skipped = legacy.iter().any(|s| !plan.stages.contains(s));
    let all = skipped.then(|| {
        let every = stagecraft_analysis::Options { only_needed_stages: false, target: None, ..options.clone() };
        stagecraft_analysis::analyze(an.text(), &every)
    });
    let step = all.as_ref().and_then(|all| {
        let e = all.build_error().filter(|e| e.phase == "dispatch")?;
        let range = e.range?;
        let s = all.stage_at(range.start()).filter(|&s| s < legacy.len() && !plan.stages.contains(&s))?;
        let expands = all.diagnostics().iter().any(|d| d.code == "invalid-expansion" && d.range == range);
        expands.then(|| {
            let note = builds("BuildKit skips the stage");
            (s, 3, range.start(), all.line_of(range.start()), e.message_without_line().to_string(), note)
        })
    });
    let clash = [clash, from, option, own, step]
        .into_iter()
        .flatten()
        .min_by_key(|c| (c.0, c.1, c.2))
        .map(|(_, _, _, line, message, note)| (line, message, note));
    // BuildKit's failure, and with --legacy the legacy builder's, each said on stderr.
    let legacy_count = legacy.len();
    let outcome = |legacy: bool| {
        match clash.as_ref().filter(|_| legacy) {
            Some((line, message, note)) => {
                crate::output::errln!(
                    "stagecraft: {}:{line}: the legacy builder fails: {message} ({note})",
                    crate::input::shown(path)
                );
                Outcome::Findings
            }
            // (Not BuildKit's failure at a base image the legacy builder reads: its own FROM
            // is modelled above, and finds `FROM BASE` as stage `base`.)
            None if legacy => super::build_outcome(&an, path, |e| {
                let at_base = |s: &stagecraft_analysis::Stage| s.base_range.is_some() && e.range == s.base_range;
                !(e.phase == "resolve-stages" && an.stages().iter().take(legacy_count).any(at_base))
            }),
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
                        "stagecraft: {}:{}: {} (the plan is what it would build once that is mended)",
                        crate::input::shown(path),
                        an.line_of(d.range.start()),
                        d.message
                    );
                    Outcome::Findings
                }
                _ => super::build_outcome(&an, path, |_| true),
            },
        }
    };
    if a.format == Some(Format::Json) {
        output::print_json(&json!({
            "target": target,
            "target_name": name(target),
            "stages": plan.stages.iter().map(|&s| name(s)).collect::<Vec<_>>(),
            "waves": plan.waves.iter().map(|w| w.iter().map(|&s| name(s)).collect::<Vec<_>>()).collect::<Vec<_>>(),
            "in_cycle": plan.in_cycle.iter().map(|&s| name(s)).collect::<Vec<_>>(),
            "images": plan.images,
            "contexts": plan.contexts,
            "legacy_stages": legacy.iter().map(|&s| name(s)).collect::<Vec<_>>(),
            "legacy_only": legacy.iter().filter(|s| !plan.stages.contains(s)).map(|&s| name(s)).collect::<Vec<_>>(),
            "legacy_error": clash.as_ref().map(|(line, message, _)| json!({"message": message, "line": line})),
            "build_error": an.build_error().map(|e| super::build_error_json(&an, e)),
        }));
        return Ok(outcome(a.legacy));
    }
    if a.legacy {
        // A name two stages share says which stage it is.
        let name = |s: usize| match an.shares_name(s) {
            true => format!("{} (line {})", name(s), an.stages()[s].line),
            false => name(s),
        };
        let extra: Vec<String> = legacy.iter().filter(|s| !plan.stages.contains(s)).map(|&s| name(s)).collect();
        let last = legacy.last().map_or(target, |&s| s);
        crate::output::textln!(
            "The legacy builder builds {} stage{} for {}, in order:",
            legacy.len(),
            super::plural(legacy.len()),
            name(last)
        );
        crate::output::textln!("  {}", legacy.iter().map(|&s| name(s)).collect::<Vec<_>>().join(", "));
        if !extra.is_empty() {
            crate::output::textln!("{} of them BuildKit skips: {}", extra.len(), extra.join(", "));
        }
        return Ok(outcome(true));
    }
    // A stage a named build context replaces is not built: BuildKit loads the context.
    let replaced = |s: usize| an.stages()[s].is_replaced();
    let built = an.target_build_counts()[target];
    crate::output::textln!("BuildKit builds {built} stage{} for {}:", super::plural(built), name(target));
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
    Ok(outcome(false))
}
