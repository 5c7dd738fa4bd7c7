//! Stable sorting that is small in the browser build.
//!
//! The standard library's sorts are 2–4 KB of WebAssembly for every element type and
//! comparison they are instantiated with, and the analysis sorts a dozen kinds of things (errors,
//! diagnostics, occurrences, edits, ...) and the graph layout three more off its hot path (edge
//! segments, a node's targets, a chain's positions): 37 KB of the module's 345 KB were sort
//! code. The syntax crate re-exports this as
//! `stagecraft_syntax::sort`. In the
//! browser build, [`sort_by`] orders indices with one sort that every call shares (an insertion
//! sort into a buffer on the stack for short slices, a merge sort for the others; the
//! comparison goes through a `dyn` call) and then moves the elements into place, by swaps
//! through another; elsewhere it is the standard library's sort. Both are stable, so both give
//! the same order.

use std::cmp::Ordering;

/// Sorts `v` stably by `cmp` (see the module's description).
pub fn sort_by<T>(v: &mut [T], cmp: impl FnMut(&T, &T) -> Ordering) {
    #[cfg(target_arch = "wasm32")]
    compact_sort_by(v, cmp);
    #[cfg(not(target_arch = "wasm32"))]
    v.sort_by(cmp);
}

/// Sorts `v` by `cmp` where equal elements cannot be told apart, so that their order does not
/// matter: natively the standard library's unstable sort (no buffer), in the browser build the
/// shared stable one.
pub fn sort_unstable_by<T>(v: &mut [T], cmp: impl FnMut(&T, &T) -> Ordering) {
    #[cfg(target_arch = "wasm32")]
    compact_sort_by(v, cmp);
    #[cfg(not(target_arch = "wasm32"))]
    v.sort_unstable_by(cmp);
}

/// Sorts `v` stably by the key `key` gives (see the module's description).
pub fn sort_by_key<T, K: Ord>(v: &mut [T], mut key: impl FnMut(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// Up to this length the browser build's sort orders indices by insertion, in a buffer on the
/// stack.
const SHORT: usize = 16;

/// The browser build's stable sort: the order of the indices found (an insertion sort for short
/// slices, a merge sort for the others), then the elements moved along. Only the closures are
/// made for each element type: the sorting and the moving are shared, through `dyn` calls.
#[doc(hidden)]
pub fn compact_sort_by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    let n = v.len();
    if n < 2 {
        return;
    }
    // Short slices (most of the layout's, a node's targets in every crossing count) order their
    // indices in a buffer on the stack, without the index vectors' allocations.
    let mut short = [0u32; SHORT];
    let mut long: Vec<u32>;
    let order: &mut [u32] = {
        let v = &*v;
        let mut after = |i: u32, j: u32| cmp(&v[i as usize], &v[j as usize]) == Ordering::Greater;
        if n <= SHORT {
            insertion_order(&mut short[..n], &mut after);
            &mut short[..n]
        } else {
            long = stable_order(n, &mut after);
            &mut long
        }
    };
    permute(order, &mut |i, j| v.swap(i, j));
}

/// Fills `order` with the indices `0..order.len()` in the order a stable sort puts their
/// elements (`after(i, j)`: element `i` goes after element `j`), by insertion: stable, since an
/// index only passes ones whose elements go strictly after its own.
fn insertion_order(order: &mut [u32], after: &mut dyn FnMut(u32, u32) -> bool) {
    for (i, slot) in order.iter_mut().enumerate() {
        *slot = i as u32;
    }
    for i in 1..order.len() {
        let mut j = i;
        while j > 0 && after(order[j - 1], order[j]) {
            order.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// The indices `0..n` in the order a stable sort puts their elements, where `after(i, j)` says
/// element `i` goes after element `j`. A bottom-up merge sort: from the runs of one, each pass
/// merges neighbouring runs, taking from the right run only when its head goes strictly first.
fn stable_order(n: usize, after: &mut dyn FnMut(u32, u32) -> bool) -> Vec<u32> {
    let mut from: Vec<u32> = (0..n as u32).collect();
    let mut to = from.clone();
    let mut width = 1;
    while width < n {
        let mut start = 0;
        while start < n {
            let mid = (start + width).min(n);
            let end = (start + 2 * width).min(n);
            let (mut i, mut j) = (start, mid);
            for slot in &mut to[start..end] {
                if j < end && (i >= mid || after(from[i], from[j])) {
                    *slot = from[j];
                    j += 1;
                } else {
                    *slot = from[i];
                    i += 1;
                }
            }
            start = end;
        }
        std::mem::swap(&mut from, &mut to);
        width *= 2;
    }
    from
}

/// Rearranges elements so that position `k` holds what was at `order[k]` (`order` is a
/// permutation, left as the identity), by swaps (`swap(i, j)`) along the permutation's cycles.
fn permute(order: &mut [u32], swap: &mut dyn FnMut(usize, usize)) {
    for i in 0..order.len() {
        let mut j = i;
        loop {
            let k = order[j] as usize;
            // Done: this position holds its element.
            order[j] = j as u32;
            if k == i || k == j {
                break;
            }
            swap(j, k);
            j = k;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::compact_sort_by;

    /// The browser build's sort puts elements exactly where the standard library's stable sort
    /// does: many equal keys, carried payloads to tell equal keys apart, every length to 70.
    #[test]
    fn the_compact_sort_is_the_standard_stable_sort() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for len in 0..70 {
            for keys in [1, 3, 1000] {
                let v: Vec<(u64, usize)> = (0..len).map(|i| (next() % keys, i)).collect();
                let mut ours = v.clone();
                compact_sort_by(&mut ours, |a, b| a.0.cmp(&b.0));
                let mut std = v.clone();
                std.sort_by_key(|a| a.0);
                assert_eq!(ours, std, "{v:?}");
            }
        }
        let mut words = vec!["b".to_string(), "a".into(), "c".into(), "a".into()];
        compact_sort_by(&mut words, |a, b| a.cmp(b));
        assert_eq!(words, ["a", "a", "b", "c"]);
    }
}
