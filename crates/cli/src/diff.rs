//! Unified diffs of a text and edits to it, for the commands that change files (`rename`,
//! `fmt`) and print what they would change unless told to write it.

use std::ops::Range;

use stagecraft_analysis::{TextEdit, TextSize};

/// Lines of context around each change.
const CONTEXT: usize = 3;

/// A unified diff of `text` and `text` with `edits` (sorted, disjoint) applied; empty when
/// there are none. Lines an edit touches are shown whole, removed then added.
pub(crate) fn unified(name: &str, text: &str, edits: &[TextEdit]) -> String {
    if edits.is_empty() {
        return String::new();
    }
    let name = name.trim_start_matches('/');
    if text.is_empty() {
        let added = TextEdit::apply_all(text, edits);
        let mut out = format!("--- a/{name}\n+++ b/{name}\n@@ -0,0 +1,{} @@\n", added.split_inclusive('\n').count());
        for line in added.split_inclusive('\n') {
            push_line(&mut out, '+', line);
        }
        return out;
    }
    let starts: Vec<usize> =
        std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).filter(|&s| s < text.len()).collect();
    let line_of = |o: usize| starts.partition_point(|&s| s <= o).saturating_sub(1);
    let line_end = |l: usize| starts.get(l + 1).copied().unwrap_or(text.len());
    // Runs of lines the edits touch (edits on the same or adjacent lines are one run: its old
    // lines are shown, then its new ones), with the range of their edits in `edits` and, once
    // settled, their new text.
    let mut runs: Vec<(usize, usize, Range<usize>, String)> = Vec::new();
    for (k, e) in edits.iter().enumerate() {
        let (s, t) = (usize::from(e.range.start()), usize::from(e.range.end()));
        debug_assert!(k == 0 || edits[k - 1].range.end() <= e.range.start());
        let first = line_of(s);
        let last = if t > s { line_of(t - 1) } else { first };
        match runs.last_mut() {
            Some((_, end, list, _)) if first <= *end + 1 => {
                *end = (*end).max(last);
                list.end = k + 1;
            }
            _ => runs.push((first, last, k..k + 1, String::new())),
        }
    }
    // A run whose new text does not end its last line (an edit that joins it to the next)
    // takes the next line in too, and the runs that then touch it. (No text at all: whole
    // lines removed.)
    let mut k = 0;
    while k < runs.len() {
        let to = line_end(runs[k].1);
        let new = new_text(text, starts[runs[k].0], to, &edits[runs[k].2.clone()]);
        if to < text.len() && !new.is_empty() && !new.ends_with('\n') {
            runs[k].1 += 1;
            while k + 1 < runs.len() && runs[k + 1].0 <= runs[k].1 + 1 {
                let (_, end, list, _) = runs.remove(k + 1);
                runs[k].1 = runs[k].1.max(end);
                runs[k].2.end = list.end;
            }
            continue;
        }
        runs[k].3 = new;
        k += 1;
    }
    // `a/` and `b/` go before a path relative to the root (`a//tmp/x` reads as a typo, and
    // `git apply` or `patch -p1` take the path after the first slash).
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
        for (first, end, _, new_text) in &runs[r..=last] {
            for l in at..*first {
                push_line(&mut body, ' ', old_line(l));
            }
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

/// `text[from..to]` with `edits` (inside it, in order) applied.
fn new_text(text: &str, from: usize, to: usize, edits: &[TextEdit]) -> String {
    let at = TextSize::new(from as u32);
    let shifted: Vec<TextEdit> =
        edits.iter().map(|e| TextEdit { range: e.range - at, new_text: e.new_text.clone() }).collect();
    TextEdit::apply_all(&text[from..to], &shifted)
}

fn push_line(out: &mut String, mark: char, line: &str) {
    out.push(mark);
    out.push_str(line);
    if !line.ends_with('\n') {
        out.push_str("\n\\ No newline at end of file\n");
    }
}

#[cfg(test)]
mod tests {
    use stagecraft_analysis::{TextEdit, TextRange, TextSize};

    fn edit(start: u32, end: u32, new_text: &str) -> TextEdit {
        TextEdit { range: TextRange::new(TextSize::new(start), TextSize::new(end)), new_text: new_text.into() }
    }

    #[test]
    fn an_edit_that_joins_two_lines_shows_both() {
        // `b\n` loses its line ending: `b` and `c` become one line.
        let diff = super::unified("f", "a\nb\nc\n", &[edit(3, 4, " ")]);
        assert_eq!(diff, "--- a/f\n+++ b/f\n@@ -1,3 +1,2 @@\n a\n-b\n-c\n+b c\n");
    }

    #[test]
    fn lines_added_to_an_empty_text() {
        let diff = super::unified("f", "", &[edit(0, 0, "x\ny")]);
        assert_eq!(diff, "--- a/f\n+++ b/f\n@@ -0,0 +1,2 @@\n+x\n+y\n\\ No newline at end of file\n");
    }

    #[test]
    fn changes_far_apart_are_two_hunks_with_shifted_lines() {
        let text: String = (1..=20).map(|i| format!("{i}\n")).collect();
        // Line 2 removed, line 18 changed.
        let at = |line: usize| text.match_indices('\n').nth(line - 2).map_or(0, |(i, _)| i + 1) as u32;
        let diff = super::unified("f", &text, &[edit(at(2), at(3), ""), edit(at(18), at(18) + 2, "x")]);
        assert!(diff.contains("@@ -1,5 +1,4 @@\n 1\n-2\n 3\n 4\n 5\n"), "{diff}");
        assert!(diff.contains("@@ -15,6 +14,6 @@\n 15\n 16\n 17\n-18\n+x\n 19\n 20\n"), "{diff}");
    }
}
