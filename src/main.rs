//! The `kiji` binary: parses the command line and hands over to `api`.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = api::Cli::parse();
    match api::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("kiji: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
