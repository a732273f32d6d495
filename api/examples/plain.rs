//! The floor for benchmarks: a plain axum server that answers every
//! request to `/graphql` with the same bytes, read from a file — what
//! serving a stored answer costs on this machine, with nothing else.
//!
//! ```sh
//! cargo run --release -p api --example plain -- answer.json 127.0.0.1:8090
//! ```

use axum::Router;
use axum::http::header;
use axum::routing::any;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let file = args.next().ok_or("usage: plain FILE [ADDRESS]")?;
    let address = args.next().unwrap_or_else(|| "127.0.0.1:8090".to_owned());
    let body = axum::body::Bytes::from(std::fs::read(&file)?);
    let app = Router::new().route(
        "/graphql",
        any(move || {
            let body = body.clone();
            async move { ([(header::CONTENT_TYPE, "application/json")], body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind(&address).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
