//! The `graphseed` binary: parse, run, exit with a documented code
//! (`graphseed::exit_codes`). Everything else lives in the library.

fn main() {
    std::process::exit(graphseed::cli::main_exit_code());
}
