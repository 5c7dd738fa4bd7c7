//! Unified diffs of a text and edits to it, for the commands that change files (`rename`,
//! `fmt`) and print what they would change unless told to write it.

use stagecraft_analysis::TextEdit;

/// Lines of context around each change.
const CONTEXT: usize = 3;

/// A unified diff of `text` and `text` with `edits` (sorted, disjoint) applied; empty when
/// there are none. Lines an edit touches are shown whole, removed then added.
pub(crate) fn unified(name: &str, text: &str, edits: &[TextEdit]) -> String {
    if edits.is_empty() {
        return String::new();
    }
    let mut starts: Vec<usize> =
        std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).filter(|&s| s < text.len()).collect();
    if starts.is_empty() {
        starts.push(0);
    }
    let line_of = |o: usize| starts.partition_point(|&s| s <= o).saturating_sub(1);
    let line_end = |l: usize| starts.get(l + 1).copied().unwrap_or(text.len());
    // Runs of lines the edits touch (edits on the same or adjacent lines are one run: its old
    // lines are shown, then its new ones), with their edits.
    let mut runs: Vec<(usize, usize, Vec<&TextEdit>)> = Vec::new();
    for e in edits {
        let (s, t) = (usize::from(e.range.start()), usize::from(e.range.end()));
        let first = line_of(s);
        let last = if t > s { line_of(t - 1) } else { first };
        match runs.last_mut() {
            Some((_, end, list)) if first <= *end + 1 => {
                *end = (*end).max(last);
                list.push(e);
            }
            _ => runs.push((first, last, vec![e])),
        }
    }
    // `a/` and `b/` go before a path relative to the root (`a//tmp/x` reads as a typo, and
    // `git apply` or `patch -p1` take the path after the first slash).
    let name = name.trim_start_matches('/');
    let mut out = format!("--- a/{name}\n+++ b/{name}\n");
    let lines = starts.len();
    let old_line = |l: usize| &text[starts[l]..line_end(l)];
    let mut delta: isize = 0;
    let mut r = 0;
    while r < runs.len() {
        // The runs whose context touches: one hunk.
        let mut last = r;
        while last + 1 < runs.len() && runs[last + 1].0 <= runs[last].1 + 2 * CONTEXT + 1 {
            last += 1;
        }
        let start = runs[r].0.saturating_sub(CONTEXT);
        let stop = (runs[last].1 + CONTEXT + 1).min(lines);
        let mut body = String::new();
        let (mut old_count, mut new_count) = (0, 0);
        let mut at = start;
        for (first, end, list) in &runs[r..=last] {
            for l in at..*first {
                push_line(&mut body, ' ', old_line(l));
            }
            let (from, to) = (starts[*first], line_end(*end));
            let mut new_text = String::new();
            let mut k = from;
            for e in list {
                new_text.push_str(&text[k..usize::from(e.range.start())]);
                new_text.push_str(&e.new_text);
                k = usize::from(e.range.end());
            }
            new_text.push_str(&text[k..to]);
            for l in *first..=*end {
                push_line(&mut body, '-', old_line(l));
            }
            for line in new_text.split_inclusive('\n') {
                push_line(&mut body, '+', line);
                new_count += 1;
            }
            old_count += end - first + 1;
            at = end + 1;
        }
        for l in at..stop {
            push_line(&mut body, ' ', old_line(l));
        }
        let context = (stop - start) - old_count;
        let (old_n, new_n) = (old_count + context, new_count + context);
        let new_start = (start as isize + delta) as usize;
        out.push_str(&format!(
            "@@ -{},{old_n} +{},{new_n} @@\n",
            if old_n == 0 { start } else { start + 1 },
            if new_n == 0 { new_start } else { new_start + 1 }
        ));
        out.push_str(&body);
        delta += new_n as isize - old_n as isize;
        r = last + 1;
    }
    out
}

fn push_line(out: &mut String, mark: char, line: &str) {
    out.push(mark);
    out.push_str(line);
    if !line.ends_with('\n') {
        out.push_str("\n\\ No newline at end of file\n");
    }
}
