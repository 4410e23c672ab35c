//! The `graphseed` binary: parse, run, exit with a documented code
//! (`graphseed::cli::exit_codes`). Everything else lives in the library.

// mimalloc instead of glibc malloc: planning a 100k-file group makes and drops
// millions of small strings, where glibc spent a fifth of a no-op reseed in
// malloc/free bookkeeping (`malloc_consolidate`, `unlink_chunk`) and kept
// freed memory in its arenas (higher peak RSS). Measured in bench/.
//
// Built with `no_thp`: mimalloc otherwise asks for transparent huge pages, so
// a half-used 2 MiB page counts whole in the RSS.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc v3's `mi_option_t` (`mimalloc.h`);
/// the Rust bindings name no constant for it. A unit test below checks the
/// index still holds the documented default.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() {
    // Return freed pages to the OS at once instead of after a second. Planning
    // builds the plan while the stored state and the file list are still
    // alive, then drops them; without this, the pages they held still count
    // when the batches are built. Peak RSS at 100k files drops by about a
    // quarter (no-op reseed: 150 MB to 113 MB) for no measurable time.
    // MIMALLOC_PURGE_DELAY in the environment still wins.
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // Safety: a plain option store, made before any thread starts.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    }
    std::process::exit(graphseed::cli::main_exit_code());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purge_delay_index_is_the_purge_delay_option() {
        // v3 documents a default purge delay of 1000 ms, and the next option
        // (`use_numa_nodes`, named by the bindings) follows it directly.
        // Fails if a mimalloc upgrade renumbers the options.
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            assert_eq!(
                unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) },
                1000
            );
        }
        assert_eq!(
            libmimalloc_sys::mi_option_use_numa_nodes,
            MI_OPTION_PURGE_DELAY + 1
        );
    }
}
