//! "Did you mean ...?": BuildKit's `util/suggest` (Levenshtein distance below 3, first closest
//! option wins, an exact match means no suggestion).

/// The closest option to `value` (distance 1 or 2), BuildKit's `suggest.Search`.
pub fn search<'a>(value: &str, options: impl IntoIterator<Item = &'a str>, case_sensitive: bool) -> Option<String> {
    // One body for every kind of option list (a dozen callers): the browser build carries one
    // copy instead of one per caller.
    search_in(value, &mut options.into_iter(), case_sensitive)
}

fn search_in(value: &str, options: &mut dyn Iterator<Item = &str>, case_sensitive: bool) -> Option<String> {
    let folded = if case_sensitive { std::borrow::Cow::Borrowed(value) } else { value.to_lowercase().into() };
    let len = folded.chars().count();
    let mut best: Option<String> = None;
    let mut min = 3;
    for option in options {
        let opt = if case_sensitive { std::borrow::Cow::Borrowed(option) } else { option.to_lowercase().into() };
        // The distance is at least the difference in length: an option that cannot be equal
        // or closer is skipped without computing it (this keeps a search over thousands of
        // stage names cheap).
        if opt.chars().count().abs_diff(len) >= min {
            continue;
        }
        if folded == opt {
            return None;
        }
        let d = levenshtein(&folded, &opt);
        if d < min {
            best = Some(if case_sensitive { opt.into_owned() } else { match_case(&opt, value) });
            min = d;
        }
    }
    best
}

fn match_case(option: &str, original: &str) -> String {
    if original == original.to_lowercase() {
        option.to_lowercase()
    } else if original == original.to_uppercase() {
        option.to_uppercase()
    } else {
        option.to_string()
    }
}

/// Edit distance over code points (insert, delete and substitute cost 1).
pub fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(search("biuld", ["build", "test"], true), Some("build".into()));
        assert_eq!(search("build", ["build", "biuld"], true), None);
        assert_eq!(search("xyz", ["build"], true), None);
        assert_eq!(search("FNTRYPOINT", ["ENTRYPOINT", "RUN"], false), Some("ENTRYPOINT".into()));
        assert_eq!(search("%sONBUILD", ["onbuild"], false), Some("onbuild".into()));
        assert_eq!(levenshtein("kitten", "sitting"), 3);
    }
}
