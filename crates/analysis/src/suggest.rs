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
        let d = levenshtein_below(&folded, &opt, min);
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

/// Whether `value`, which [`search`] found fewer than three edits from `option`, is likely a
/// typo of it where `value` is a valid name of its own (an image a stage reference would pull):
/// one edit for a name of four or five characters, or a swap of two neighbours (`biuld` of
/// `build`), any for a longer one, none for a shorter one (`rust` is not a typo of `test`), and
/// none for the name of one of Docker's official images of four or five characters
/// (`--from=bash` beside a stage `base` is the image). BuildKit's own "did you mean" takes any
/// option fewer than three edits away, but only where the build fails anyway.
pub fn likely_typo(value: &str, option: &str) -> bool {
    let n = value.chars().count();
    n > 5
        || n > 3
            && !SHORT_OFFICIAL_IMAGES.split(' ').any(|n| n == value)
            && (one_swap(value, option) || levenshtein_below(value, option, 2) < 2)
}

/// Docker Hub's official images whose names have four or five characters, sorted: a short name
/// one edit from a stage's is taken for a typo unless it is one of these. (One string: a list of
/// `&str` was 270 B more of the browser build's module.)
const SHORT_OFFICIAL_IMAGES: &str = "bash caddy crate dart emqx flink ghost haxe httpd irssi jetty jruby julia kong maven mongo mono mysql nats neo4j nginx node odoo perl plone pypy redis ruby rust solr spark storm swift tomee unit";

/// Whether `b` is `a` with two neighbouring bytes swapped (`biuld` and `build`).
pub fn one_swap(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let differ: Vec<usize> = (0..a.len()).filter(|&i| a.get(i) != b.get(i)).collect();
    a.len() == b.len() && matches!(differ[..], [i, j] if j == i + 1 && a[i] == b[j] && a[j] == b[i])
}

/// The edit distance over code points (insert, delete and substitute cost 1) of `a` and `b`
/// when it is below `limit`, else `limit`. Only the cells of the table within `limit` of its
/// diagonal are computed, and it stops at a row with none below `limit`: the whole table of
/// two 30,000-character names took 2 s, and every suggestion asks for a distance below 3.
///
/// (The browser build computes the whole table, for its size: its files are small.)
pub fn levenshtein_below(a: &str, b: &str, limit: usize) -> usize {
    if !cfg!(feature = "large-files") {
        return levenshtein(a, b).min(limit);
    }
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if limit == 0 || a.len().abs_diff(b.len()) >= limit {
        return limit;
    }
    // Cells out of the band hold `limit`, as any distance that high does.
    let mut prev: Vec<usize> = (0..=b.len()).map(|j| j.min(limit)).collect();
    let mut cur = vec![limit; b.len() + 1];
    for i in 1..=a.len() {
        let lo = i.saturating_sub(limit).max(1);
        let hi = (i + limit).min(b.len());
        cur[lo - 1] = if lo == 1 { i.min(limit) } else { limit };
        let mut least = cur[lo - 1];
        for j in lo..=hi {
            let sub = prev[j - 1] + usize::from(a[i - 1] != b[j - 1]);
            cur[j] = sub.min(prev[j] + 1).min(cur[j - 1] + 1).min(limit);
            least = least.min(cur[j]);
        }
        if hi < b.len() {
            cur[hi + 1] = limit;
        }
        if least >= limit {
            return limit;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The edit distance over code points, from the whole table.
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
    /// The banded distance is the whole table's, capped, on random words of a small alphabet.
    #[test]
    fn banded_distance_is_the_tables() {
        let mut rng = stagecraft_testkit::Rng(0x1234_5678_9abc_def1);
        for _ in 0..20_000 {
            let word = |rng: &mut stagecraft_testkit::Rng| -> String {
                let n = rng.below(9);
                (0..n).map(|_| ['a', 'b', 'c', 'é'][rng.below(4)]).collect()
            };
            let (a, b) = (word(&mut rng), word(&mut rng));
            let limit = rng.below(5);
            assert_eq!(levenshtein_below(&a, &b, limit), levenshtein(&a, &b).min(limit), "{a} {b} {limit}");
        }
        let long = "v".repeat(30_000);
        assert_eq!(levenshtein_below(&format!("{long}a"), &format!("{long}b"), 3), 1);
        assert_eq!(levenshtein_below(&format!("a{long}"), &format!("{long}b"), 3), 2);
    }

    #[test]
    fn official_images_are_no_typos() {
        let names: Vec<&str> = SHORT_OFFICIAL_IMAGES.split(' ').collect();
        assert!(names.windows(2).all(|w| w[0] < w[1]), "sorted, once each");
        assert!(names.iter().all(|n| (4..=5).contains(&n.len())));
        assert!(!likely_typo("bash", "base"));
        assert!(!likely_typo("node", "code"));
        assert!(likely_typo("baes", "base"));
        assert!(likely_typo("buld", "build"));
    }

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

    #[test]
    fn typos_of_names_that_are_images_too() {
        // A swap is one edit: a typo of a five-letter name.
        assert!(likely_typo("biuld", "build") && likely_typo("buidl", "build"));
        assert!(likely_typo("biulder", "builder") && likely_typo("buildre", "builder"));
        // Two edits from a four-letter name is another word (an official image).
        assert!(!likely_typo("rust", "test") && !likely_typo("node", "code2"));
        // Short names are never taken for typos.
        assert!(!likely_typo("set", "sex") && !likely_typo("0", "a") && !likely_typo("", "a"));
        // Two swaps are two edits; one is one, wherever it is.
        assert!(!likely_typo("ubidl", "build"));
        assert!(likely_typo("tset", "test") && likely_typo("tets", "test") && likely_typo("etst", "test"));
    }
}
