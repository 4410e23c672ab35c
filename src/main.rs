//! The `graphseed` binary: parse, run, exit with a documented code
//! (`graphseed::exit_codes`). Everything else lives in the library.

// mimalloc instead of glibc malloc: planning a 100k-file group makes and drops
// millions of small strings, where glibc spent a fifth of a no-op reseed in
// malloc/free bookkeeping (`malloc_consolidate`, `unlink_chunk`) and kept
// freed memory in its arenas (higher peak RSS). Measured in bench/.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(graphseed::cli::main_exit_code());
}
