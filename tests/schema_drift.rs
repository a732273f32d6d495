//! `schema.graphql` is exactly the SDL the server serves.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on fails here

#[test]
fn committed_schema_matches_the_served_schema() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let committed = std::fs::read_to_string(path).expect("schema.graphql exists");
    let served = api::graphql::sdl();
    assert!(
        committed == served,
        "schema.graphql is out of date; regenerate it with `cargo run -- print-schema > schema.graphql`"
    );
}
