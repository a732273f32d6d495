//! The caches weigh entries by what they really hold: a counting allocator
//! measures the bytes a parsed document and a cached answer keep alive, and
//! the weights the caches bound memory by must cover them (and not
//! overstate them so much that the caches keep far less than configured).
//!
//! One test in its own binary: the allocator counts every thread's
//! allocations, so nothing else may run meanwhile.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on fails here

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use api::http::documents::{Prepared, sha256_hex};
use api::store::cache::{Cached, Coding};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: defers to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as isize - layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The README's queries: what clients really send.
fn readme_documents() -> Vec<String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    let blocks: Vec<String> = readme
        .split("```graphql\n")
        .skip(1)
        .filter_map(|b| b.split("```").next().map(str::to_owned))
        .collect();
    let fragments: String = blocks
        .iter()
        .filter(|b| b.starts_with("fragment"))
        .cloned()
        .collect::<Vec<_>>()
        .join("\n");
    blocks
        .iter()
        .filter(|b| b.starts_with("query") || b.starts_with('{'))
        .map(|b| {
            let mut text = b.clone();
            for name in ["Blocks", "Section"] {
                if text.contains(&format!("...{name}")) && !text.contains(&format!("fragment {name} ")) {
                    text.push('\n');
                    text.push_str(&fragments);
                    break;
                }
            }
            text
        })
        .collect()
}

#[test]
fn cache_weights_cover_what_entries_really_hold() {
    let shapes = api::delivery::ordered::Shapes::from_sdl(&api::graphql::sdl());
    let limits = api::delivery::limits::Limits::default();
    let mut documents = readme_documents();
    assert!(documents.len() >= 4, "{documents:?}");
    // A document near the limits, as a flood might send.
    let wide: String = (0..30)
        .map(|i| format!("a{i}: article(slug: \"s{i}\") {{ title lead slug locale isFallback availableLocales sections {{ anchor heading level }} }}\n"))
        .collect();
    documents.push(format!("{{ {wide} }}"));

    let mut measured: Vec<(String, isize, i64)> = Vec::new();
    for text in documents {
        let hash = sha256_hex(&text);
        let owned = text.clone();
        let before = LIVE.load(Ordering::SeqCst);
        let prepared = std::sync::Arc::new(Prepared::parse(owned, hash, limits, &shapes).expect("parses"));
        let held = LIVE.load(Ordering::SeqCst) - before;
        let weight = i64::from(prepared.weight());
        measured.push((
            format!("a document of {} bytes ({} tokens)", text.len(), tokens(&text)),
            held,
            weight,
        ));
        drop(prepared);
    }

    // An answer with both encodings made, as a hit for each client keeps it:
    // JSON of the sample content, which compresses as answers do.
    let page = serde_json::to_string(&api::content::sample::bundle().expect("the sample")).expect("JSON");
    for size in [2_000, 40_000, 200_000] {
        let before = LIVE.load(Ordering::SeqCst);
        let mut body = Vec::with_capacity(size);
        body.extend(page.bytes().cycle().take(size));
        let keys: Vec<String> = (0..40).map(|i| format!("section:{i:032x}")).collect();
        let cached = Cached::new(body, keys);
        let weight = i64::from(cached.weight());
        cached.encoded(Coding::Brotli);
        cached.encoded(Coding::Gzip);
        let held = LIVE.load(Ordering::SeqCst) - before;
        measured.push((format!("an answer of {size} bytes"), held, weight));
        drop(cached);
    }
    for (what, held, weight) in &measured {
        println!("{what}: holds {held} bytes, weighs {weight}");
    }
    for (what, held, weight) in measured {
        assert!(
            weight as isize >= held,
            "{what} holds {held} bytes but weighs only {weight}"
        );
        assert!(
            weight as isize <= held * 2,
            "{what} holds {held} bytes but weighs {weight}, twice too much"
        );
    }
}

/// Tokens as the limits count them.
fn tokens(text: &str) -> usize {
    api::delivery::limits::Limits::default()
        .scan(text)
        .map_or(0, |m| m.tokens)
}
