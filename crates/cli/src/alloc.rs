//! The allocator: mimalloc, and how a long-running process should give memory back.
//!
//! Analysis allocates many small strings and tree nodes; mimalloc makes a full analysis of a
//! large file about a quarter faster than the system allocator (see the README's figures).
//!
//! By default mimalloc *decommits* pages it has not reused for 10 ms (`madvise(MADV_DONTNEED)`):
//! the next analysis then faults every one of them in again. In the language server each
//! keystroke in the 10,021-line benchmark file frees one analysis and builds the next, so with
//! a pause of more than 10 ms between keystrokes (any human typing) every edit paid ≈830 page
//! faults, ≈3 ms here. [`keep_freed_pages_mapped`] makes mimalloc *reset* them instead
//! (`MADV_FREE`): the kernel still takes them back when it needs memory, but until then reusing
//! them costs no fault. The price is that RSS counts them until then.
//!
//! This is the one use of `unsafe` in the project: mimalloc's safe crate has no option setter.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_decommits` in the mimalloc v2 sources that `libmimalloc-sys` vends (its Rust
/// bindings name only some options; the index is checked by a test below).
const PURGE_DECOMMITS: libmimalloc_sys::mi_option_t = 5;

/// Purge freed pages with `MADV_FREE` instead of decommitting them (see the module comment),
/// unless `MIMALLOC_PURGE_DECOMMITS` is set: then mimalloc has read the user's choice.
#[allow(unsafe_code)]
pub(crate) fn keep_freed_pages_mapped() {
    if std::env::var_os("MIMALLOC_PURGE_DECOMMITS").is_some() {
        return;
    }
    // SAFETY: `mi_option_set` stores an integer in mimalloc's option table; it takes no
    // pointers and may be called at any time from any thread.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DECOMMITS, 0) }
}

#[cfg(test)]
#[allow(unsafe_code)]
mod tests {
    use super::*;

    /// The option index is the one the vendored mimalloc gives `purge_decommits`: its default is
    /// on and its neighbours have their documented defaults (so a renumbering shows up here).
    #[test]
    fn the_option_is_purge_decommits() {
        // SAFETY: reading options only takes the index.
        let get = |o| unsafe { libmimalloc_sys::mi_option_get(o) };
        const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
        const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
        assert_eq!(get(ARENA_EAGER_COMMIT), 2, "arena_eager_commit defaults to 2");
        assert_eq!(get(PURGE_DELAY), 10, "purge_delay defaults to 10 ms");
        assert_eq!(get(PURGE_DECOMMITS), 1, "purge_decommits defaults to on");
        keep_freed_pages_mapped();
        assert_eq!(get(PURGE_DECOMMITS), 0);
    }
}
