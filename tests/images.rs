//! Images: uploads checked by their content and cleaned of metadata,
//! variants at fixed widths with immutable caching, alt text required
//! wherever the article is published.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on fails here

mod common;

use std::io::Cursor;

use api::content::Bundle;
use api::editorial::auth;
use common::{Backend, TestApp};
use entity::enums::Role;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

const UPLOAD: &str = r#"mutation($file: Upload!, $alt: [LocalizedTextInput!]!) {
  uploadImage(file: $file, alt: $alt) { id width height placeholder alt widths srcset(format: WEBP) jpeg: url(width: 500, format: JPEG) }
}"#;

/// A photo-like JPEG, `width`×`height`.
fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 255 / width) as u8, (y * 255 / height) as u8, ((x + y) % 256) as u8])
    });
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(image)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .unwrap();
    out.into_inner()
}

/// `jpeg` with an EXIF segment holding GPS coordinates, as a phone writes.
fn jpeg_with_gps(width: u32, height: u32) -> Vec<u8> {
    let plain = jpeg(width, height);
    // APP1 "Exif": a big-endian TIFF header, an empty IFD, and the text a
    // leak would carry.
    let mut payload = b"Exif\0\0MM\0*\0\0\0\x08\0\0\0\0\0\0".to_vec();
    payload.extend_from_slice(b"GPSLatitude 35.6812N GPSLongitude 139.7671E");
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&plain[2..]);
    out
}

/// A PNG whose header claims 30,000 × 30,000 pixels (900 megapixels,
/// 2.7 GB decoded) in a few dozen bytes: a decompression bomb.
fn png_bomb() -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = Vec::new();
    header.extend_from_slice(&30_000u32.to_be_bytes());
    header.extend_from_slice(&30_000u32.to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &header);
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut z, &vec![0u8; 1 << 20]).unwrap();
    chunk(&mut out, b"IDAT", &z.finish().unwrap());
    chunk(&mut out, b"IEND", &[]);
    out
}

/// Sends `query` as a GraphQL multipart request with `file` as `$file`.
async fn upload(app: &TestApp, token: &str, query: &str, variables: Value, name: &str, file: Vec<u8>) -> Value {
    let operations = json!({ "query": query, "variables": variables });
    let form = reqwest::multipart::Form::new()
        .text("operations", operations.to_string())
        .text("map", json!({ "0": ["variables.file"] }).to_string())
        .part(
            "0",
            reqwest::multipart::Part::bytes(file)
                .file_name(name.to_owned())
                .mime_str("image/png")
                .unwrap(),
        );
    let response = reqwest::Client::new()
        .post(format!("{}/graphql", app.base))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    response.json().await.unwrap()
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or("<none>")
}

async fn uploads_are_checked_cleaned_and_served_at_fixed_widths(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (_, editor) = auth::create_key(&app.db, Role::Editor, "desk").await.expect("key");
    let alt = json!([{ "locale": "ja", "text": "点滴の様子" }, { "locale": "en", "text": "An infusion" }]);
    let body = upload(
        &app,
        &editor,
        UPLOAD,
        json!({ "file": null, "alt": alt }),
        "infusion.jpg",
        jpeg_with_gps(1000, 600),
    )
    .await;
    let image = &body["data"]["uploadImage"];
    assert_eq!(
        (image["width"].as_i64(), image["height"].as_i64()),
        (Some(1000), Some(600)),
        "{body:#}"
    );
    assert_eq!(image["widths"], json!([320, 480, 640, 960]));
    assert!(!image["placeholder"].as_str().unwrap().is_empty());

    // EXIF is gone from what is stored, and so from every variant.
    let stored = entity::media::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(stored.len(), 1);
    let contains = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
    assert!(!contains(&stored[0].bytes, b"Exif") && !contains(&stored[0].bytes, b"GPSLatitude"));

    // Each srcset URL is a WebP of the width it names; JPEG on request.
    let client = reqwest::Client::new();
    let srcset = image["srcset"].as_str().unwrap();
    let mut etag = String::new();
    for candidate in srcset.split(", ") {
        let (url, descriptor) = candidate.split_once(' ').unwrap();
        let width: u32 = descriptor.trim_end_matches('w').parse().unwrap();
        let response = client.get(format!("{}{url}", app.base)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{url}");
        assert_eq!(response.headers()["content-type"], "image/webp");
        assert_eq!(
            response.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        etag = response.headers()["etag"].to_str().unwrap().to_owned();
        let bytes = response.bytes().await.unwrap();
        assert!(!contains(&bytes, b"GPSLatitude"));
        let decoded = image::load_from_memory_with_format(&bytes, image::ImageFormat::WebP).unwrap();
        assert_eq!(
            (decoded.width(), decoded.height()),
            (width, width * 600 / 1000),
            "{url}"
        );
    }
    let last = srcset.split(", ").last().unwrap().split(' ').next().unwrap();
    let again = client
        .get(format!("{}{last}", app.base))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    let jpeg_url = image["jpeg"].as_str().unwrap();
    assert!(jpeg_url.ends_with("/640.jpeg"), "500 px asked: the next fixed width");
    let response = client.get(format!("{}{jpeg_url}", app.base)).send().await.unwrap();
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    let decoded = image::load_from_memory(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(decoded.width(), 640);
    // No other width is made: a client cannot make the server render any size.
    let id = image["id"].as_str().unwrap();
    for path in [
        format!("/media/{id}/333.webp"),
        format!("/media/{id}/1280.webp"),
        format!("/media/{id}/320.gif"),
    ] {
        let response = client.get(format!("{}{path}", app.base)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }

    // Refused by content, not name, with clear errors.
    let fake = upload(
        &app,
        &editor,
        UPLOAD,
        json!({ "file": null, "alt": alt }),
        "photo.png",
        b"<html>not a picture</html>".to_vec(),
    )
    .await;
    assert_eq!(code(&fake), "BAD_USER_INPUT", "{fake:#}");
    assert!(
        fake["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not a PNG, JPEG, WebP or GIF"),
        "{fake:#}"
    );
    let bomb = upload(
        &app,
        &editor,
        UPLOAD,
        json!({ "file": null, "alt": alt }),
        "bomb.png",
        png_bomb(),
    )
    .await;
    assert_eq!(code(&bomb), "BAD_USER_INPUT", "{bomb:#}");
    assert!(
        bomb["errors"][0]["message"].as_str().unwrap().contains("30000×30000"),
        "{bomb:#}"
    );
    assert_eq!(
        entity::media::Entity::find().all(&app.db).await.unwrap().len(),
        1,
        "nothing refused was stored"
    );

    // A reader cannot upload; a forged file reference is refused.
    let (_, preview) = auth::create_key(&app.db, Role::Preview, "app").await.expect("key");
    let refused = upload(
        &app,
        &preview,
        UPLOAD,
        json!({ "file": null, "alt": alt }),
        "a.jpg",
        jpeg(10, 10),
    )
    .await;
    assert_eq!(code(&refused), "FORBIDDEN");
    let forged = app
        .as_key(
            Some(&editor),
            UPLOAD,
            json!({ "file": "#__graphql_file__:x", "alt": alt }),
        )
        .await;
    assert_eq!(code(&forged), "BAD_REQUEST", "{forged:#}");
    let written = app
        .as_key(
            Some(&editor),
            r##"mutation { uploadImage(file: "#__graphql_file__:0", alt: []) { id } }"##,
            json!({}),
        )
        .await;
    assert_eq!(code(&written), "BAD_REQUEST", "{written:#}");
    // However it is spelled: the document is read parsed.
    let escaped = app
        .as_key(
            None,
            r##"mutation { uploadImage(file: "\u0023__graphql_file__:x", alt: []) { id } }"##,
            json!({}),
        )
        .await;
    assert_eq!(code(&escaped), "BAD_REQUEST", "{escaped:#}");
}

const NEWS: &str = r#"
categories:
  - { slug: image-news, source_locale: ja, medical: false, name: { ja: お知らせ } }
articles:
  - slug: with-hero
    category: image-news
    source_locale: ja
    status: PUBLISHED
    published_at: 2025-01-01T00:00:00Z
    translations:
      ja: { title: 画像つき, lead: リード, status: PUBLISHED }
      en: { title: With a picture, lead: Lead, status: DRAFT }
"#;

async fn alt_text_is_required_in_every_published_locale(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    app.import(&Bundle::from_yaml(NEWS).expect("parses"))
        .await
        .expect("imports");
    let (_, admin) = auth::create_key(&app.db, Role::Admin, "ops").await.expect("key");
    let only_en = json!([{ "locale": "en", "text": "A consultation room" }]);
    let photo = jpeg(800, 500);
    let body = upload(
        &app,
        &admin,
        UPLOAD,
        json!({ "file": null, "alt": only_en }),
        "room.jpg",
        photo.clone(),
    )
    .await;
    let id = body["data"]["uploadImage"]["id"].as_str().unwrap().to_owned();
    let set = |image: Value| {
        let app = &app;
        let admin = admin.clone();
        async move {
            app.as_key(
                Some(&admin),
                "mutation($s: String!, $i: ID) { setHeroImage(slug: $s, image: $i) }",
                json!({ "s": "with-hero", "i": image }),
            )
            .await
        }
    };
    // The live page changes at once: an EDITOR may not do it, as it may
    // not publish.
    let (_, editor) = auth::create_key(&app.db, Role::Editor, "desk").await.expect("key");
    let by_editor = app
        .as_key(
            Some(&editor),
            "mutation($s: String!, $i: ID) { setHeroImage(slug: $s, image: $i) }",
            json!({ "s": "with-hero", "i": id }),
        )
        .await;
    assert_eq!(code(&by_editor), "FORBIDDEN", "{by_editor:#}");
    // Published in ja; the image has no ja alt text: refused.
    let refused = set(json!(id)).await;
    assert_eq!(code(&refused), "BAD_USER_INPUT", "{refused:#}");
    assert!(refused["errors"][0]["message"].as_str().unwrap().contains("ja"));
    // The same file again, with ja alt text: the same image, now usable.
    let ja = json!([{ "locale": "ja", "text": "診察室" }]);
    let again = upload(
        &app,
        &admin,
        UPLOAD,
        json!({ "file": null, "alt": ja }),
        "room.jpg",
        photo.clone(),
    )
    .await;
    assert_eq!(
        again["data"]["uploadImage"]["id"],
        id.as_str(),
        "stored once per content"
    );
    assert_eq!(set(json!(id)).await["data"]["setHeroImage"], true);
    // Now readers see it: an EDITOR may not rewrite its alt text.
    let rewritten = upload(
        &app,
        &editor,
        UPLOAD,
        json!({ "file": null, "alt": [{ "locale": "ja", "text": "別の説明" }] }),
        "room.jpg",
        photo.clone(),
    )
    .await;
    assert_eq!(code(&rewritten), "FORBIDDEN", "{rewritten:#}");
    let read = app
        .gql(
            r#"{ article(slug: "with-hero", locale: "ja") { heroImage { alt width height srcset } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(read.data()["article"]["heroImage"]["alt"], "診察室");
    assert!(
        read.data()["article"]["heroImage"]["srcset"]
            .as_str()
            .unwrap()
            .contains(" 640w")
    );

    // A new image with ja alt only: publishing the English translation is
    // refused until the image has English alt text.
    let other = jpeg(640, 640);
    let body = upload(
        &app,
        &admin,
        UPLOAD,
        json!({ "file": null, "alt": ja }),
        "b.jpg",
        other.clone(),
    )
    .await;
    let second = body["data"]["uploadImage"]["id"].as_str().unwrap().to_owned();
    assert_eq!(set(json!(second)).await["data"]["setHeroImage"], true);
    let publish_en = || async {
        app.as_key(
            Some(&admin),
            "mutation($i: TranslationStepInput!) { publishTranslation(input: $i) { status } }",
            json!({ "i": { "slug": "with-hero", "revision": 1, "locale": "en" } }),
        )
        .await
    };
    let refused = publish_en().await;
    assert_eq!(code(&refused), "BAD_USER_INPUT", "{refused:#}");
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("alt text in en"),
        "{refused:#}"
    );
    let en_alt = json!([{ "locale": "en", "text": "A waiting room" }]);
    upload(
        &app,
        &admin,
        UPLOAD,
        json!({ "file": null, "alt": en_alt }),
        "b.jpg",
        other,
    )
    .await;
    let published = publish_en().await;
    assert!(published.get("errors").is_none(), "{published:#}");
    let read = app
        .gql(
            r#"{ article(slug: "with-hero", locale: "en") { heroImage { alt } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(read.data()["article"]["heroImage"]["alt"], "A waiting room");
}

/// The sample's fictional physician (never a real one's name on a test).
const PHYSICIAN: &str = "hanako-mihon";

async fn a_portrait_is_an_image_with_alt_text_in_every_profile_locale(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (_, editor) = auth::create_key(&app.db, Role::Editor, "desk").await.expect("key");
    let (_, admin) = auth::create_key(&app.db, Role::Admin, "ops").await.expect("key");
    let portrait = jpeg(600, 800);
    let ja = json!([{ "locale": "ja", "text": "見本花子の写真（架空）" }]);
    let body = upload(
        &app,
        &editor,
        UPLOAD,
        json!({ "file": null, "alt": ja }),
        "p.jpg",
        portrait.clone(),
    )
    .await;
    let id = body["data"]["uploadImage"]["id"].as_str().unwrap().to_owned();
    let set_as = |token: String| {
        let app = &app;
        let id = id.clone();
        async move {
            app.as_key(
                Some(&token),
                "mutation($s: String!, $i: ID) { setSupervisorPhoto(slug: $s, image: $i) }",
                json!({ "s": PHYSICIAN, "i": id }),
            )
            .await
        }
    };
    let set = || set_as(admin.clone());
    // Who a physician is, is an ADMIN's to change.
    assert_eq!(code(&set_as(editor.clone()).await), "FORBIDDEN");
    // Her profile is written in ja and en: English alt text is missing.
    let refused = set().await;
    assert_eq!(code(&refused), "BAD_USER_INPUT", "{refused:#}");
    assert!(
        refused["errors"][0]["message"].as_str().unwrap().contains("en"),
        "{refused:#}"
    );
    let en = json!([{ "locale": "en", "text": "Portrait of Hanako Mihon (fictional)" }]);
    upload(
        &app,
        &editor,
        UPLOAD,
        json!({ "file": null, "alt": en }),
        "p.jpg",
        portrait,
    )
    .await;
    assert_eq!(set().await["data"]["setSupervisorPhoto"], true);
    let read = |locale: &'static str| {
        let app = &app;
        let editor = editor.clone();
        async move {
            app.as_key(
                Some(&editor),
                "query($s: String!, $l: Locale) { supervisor(slug: $s, locale: $l) { profileConfirmed photo { alt width height srcset } } }",
                json!({ "s": PHYSICIAN, "l": locale }),
            )
            .await
        }
    };
    let ja = read("ja").await;
    assert_eq!(
        ja["data"]["supervisor"]["photo"]["alt"], "見本花子の写真（架空）",
        "{ja:#}"
    );
    assert_eq!(ja["data"]["supervisor"]["photo"]["width"], 600);
    // A new face is a new profile revision: she confirms it before her
    // sign-offs cover text again.
    assert_eq!(ja["data"]["supervisor"]["profileConfirmed"], false, "{ja:#}");
    let en = read("en").await;
    assert_eq!(
        en["data"]["supervisor"]["photo"]["alt"],
        "Portrait of Hanako Mihon (fictional)"
    );
    assert!(
        en["data"]["supervisor"]["photo"]["srcset"]
            .as_str()
            .unwrap()
            .contains(" 480w")
    );
}

/// An article whose ja text shows image `{id}` in its intro and in a
/// section; the English text shows it in the section.
fn with_blocks(id: &str, en_status: &str) -> String {
    format!(
        r#"
categories:
  - {{ slug: image-news, source_locale: ja, medical: false, name: {{ ja: お知らせ }} }}
articles:
  - slug: with-figure
    category: image-news
    source_locale: ja
    status: PUBLISHED
    published_at: 2025-01-01T00:00:00Z
    translations:
      ja:
        title: 院内のご案内
        lead: リード
        status: PUBLISHED
        intro: [{{ type: image, image: "{id}" }}]
      en: {{ title: Our clinic, lead: Lead, status: {en_status} }}
    sections:
      - anchor: rooms
        heading: {{ ja: 部屋, en: Rooms }}
        blocks:
          ja:
            - {{ type: paragraph, text: 広い部屋です。 }}
            - {{ type: image, image: "{id}" }}
          en:
            - {{ type: paragraph, text: A wide room. }}
            - {{ type: image, image: "{id}" }}
"#
    )
}

async fn image_blocks_show_the_images_alt_text_in_each_locale(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let (_, admin) = auth::create_key(&app.db, Role::Admin, "ops").await.expect("key");
    let photo = jpeg(900, 600);
    let ja = json!([{ "locale": "ja", "text": "診察室の写真" }]);
    let body = upload(
        &app,
        &admin,
        UPLOAD,
        json!({ "file": null, "alt": ja }),
        "room.jpg",
        photo.clone(),
    )
    .await;
    let id = body["data"]["uploadImage"]["id"].as_str().unwrap().to_owned();

    // A text may only show an uploaded image, and a published text only
    // one described in its language.
    let never = with_blocks("0193a4b2-7c1d-7e00-8000-0000000000ff", "DRAFT");
    let refused = app
        .import(&Bundle::from_yaml(&never).unwrap())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("no image `0193a4b27c1d7e0080000000000000ff` is stored"),
        "{refused}"
    );
    let undescribed = with_blocks(&id, "PUBLISHED");
    let refused = app
        .import(&Bundle::from_yaml(&undescribed).unwrap())
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains("has no alt text in `en`"), "{refused}");
    assert!(
        refused.contains("sections[0]") || refused.contains("rooms"),
        "{refused}"
    );
    app.import(&Bundle::from_yaml(&with_blocks(&id, "DRAFT")).unwrap())
        .await
        .expect("imports");

    let query = r#"query($l: String!) { article(slug: "with-figure", locale: $l) {
        intro { __typename }
        sections { blocks { __typename ... on ImageBlock { kind image { id alt caption width height srcset locale } } }
                   images: blocks(kinds: [IMAGE]) { __typename } } } }"#;
    let read = app.gql(query, json!({ "l": "ja" })).await;
    let article = &read.data()["article"];
    assert_eq!(article["intro"][0]["__typename"], "ImageBlock");
    let blocks = &article["sections"][0]["blocks"];
    assert_eq!(blocks[0]["__typename"], "ParagraphBlock");
    let image = &blocks[1]["image"];
    assert_eq!(blocks[1]["kind"], "IMAGE");
    assert_eq!(image["id"], id.as_str());
    assert_eq!(image["alt"], "診察室の写真");
    assert_eq!(
        (image["width"].as_i64(), image["height"].as_i64()),
        (Some(900), Some(600))
    );
    assert!(image["srcset"].as_str().unwrap().contains(" 640w"), "{image:#}");
    assert_eq!(article["sections"][0]["images"].as_array().map(Vec::len), Some(1));

    // Found by what the image shows, in the section that shows it.
    let found = app
        .gql(
            r#"{ search(query: "診察室", locale: "ja") { totalCount edges { node { slug } snippet { sectionAnchor } } } }"#,
            json!({}),
        )
        .await;
    let edges = &found.data()["search"]["edges"];
    assert_eq!(edges[0]["node"]["slug"], "with-figure", "{:#}", found.data());

    // The HTML rendition draws it as a sized figure with its alt text.
    let page = reqwest::get(format!("{}/articles/with-figure/embed?locale=ja", app.base))
        .await
        .unwrap();
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("img-src 'self'"), "{csp}");
    let html = page.text().await.unwrap();
    assert!(
        html.contains(r#"alt="診察室の写真" width="900" height="600""#),
        "{html}"
    );
    assert!(
        html.contains("<figure class=\"kiji-image\"><img src=\"/media/"),
        "{html}"
    );

    // Readers see it now: an EDITOR may not rewrite what it says.
    let (_, editor) = auth::create_key(&app.db, Role::Editor, "desk").await.expect("key");
    let rewritten = upload(
        &app,
        &editor,
        UPLOAD,
        json!({ "file": null, "alt": [{ "locale": "ja", "text": "別の説明" }] }),
        "room.jpg",
        photo.clone(),
    )
    .await;
    assert_eq!(code(&rewritten), "FORBIDDEN", "{rewritten:#}");

    // The English text cannot go live until the image says what it shows
    // in English; then English readers get the English alt text.
    let publish_en = || async {
        app.as_key(
            Some(&admin),
            "mutation($i: TranslationStepInput!) { publishTranslation(input: $i) { status } }",
            json!({ "i": { "slug": "with-figure", "revision": 1, "locale": "en" } }),
        )
        .await
    };
    let refused = publish_en().await;
    assert_eq!(code(&refused), "BAD_USER_INPUT", "{refused:#}");
    let message = refused["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("image `{id}` among the blocks has no alt text in en")),
        "{message}"
    );
    let en = json!([{ "locale": "en", "text": "The consultation room" }]);
    let caption = json!([{ "locale": "en", "text": "Seen from the waiting room" }]);
    let described = upload(
        &app,
        &admin,
        r#"mutation($file: Upload!, $alt: [LocalizedTextInput!]!, $caption: [LocalizedTextInput!]) {
          uploadImage(file: $file, alt: $alt, caption: $caption) { id } }"#,
        json!({ "file": null, "alt": en, "caption": caption }),
        "room.jpg",
        photo,
    )
    .await;
    assert_eq!(described["data"]["uploadImage"]["id"], id.as_str(), "{described:#}");
    let published = publish_en().await;
    assert!(published.get("errors").is_none(), "{published:#}");
    let read = app.gql(query, json!({ "l": "en" })).await;
    let image = &read.data()["article"]["sections"][0]["blocks"][1]["image"];
    assert_eq!(image["alt"], "The consultation room");
    assert_eq!(image["caption"], "Seen from the waiting room");
    assert_eq!(image["locale"], "en");

    // Readers read a caption beside the text: the medical-advertising lint
    // reads it there too.
    let promise = json!([{ "locale": "ja", "text": "必ず治る施術の部屋" }]);
    let body = upload(
        &app,
        &admin,
        r#"mutation($file: Upload!, $alt: [LocalizedTextInput!]!, $caption: [LocalizedTextInput!]) {
          uploadImage(file: $file, alt: $alt, caption: $caption) { id } }"#,
        json!({ "file": null, "alt": ja, "caption": promise }),
        "room.jpg",
        jpeg(900, 600),
    )
    .await;
    assert_eq!(body["data"]["uploadImage"]["id"], id.as_str(), "{body:#}");
    let lint = app
        .as_key(
            Some(&admin),
            r#"{ lint(slug: "with-figure") { findings { rule locale anchor field } } }"#,
            json!({}),
        )
        .await;
    let findings = lint["data"]["lint"]["findings"].as_array().unwrap();
    assert!(
        findings.iter().any(|f| f["rule"] == "AD-FALSE"
            && f["locale"] == "ja"
            && f["anchor"] == "rooms"
            && f["field"] == "blocks[1].caption"),
        "{lint:#}"
    );
}

const BUCKET_KEY: &str = "kiji-test";
const BUCKET_SECRET: &str = "kiji-test-secret";

/// An S3-compatible server in this process (s3s-fs, which checks SigV4
/// signatures) with the bucket `kiji-media`: its root directory and URL.
async fn s3_server() -> (std::path::PathBuf, String) {
    let root = std::env::temp_dir().join(format!("kiji-s3-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(root.join("kiji-media")).unwrap();
    let mut builder = s3s::service::S3ServiceBuilder::new(s3s_fs::FileSystem::new(&root).unwrap());
    builder.set_auth(s3s::auth::SimpleAuth::from_single(BUCKET_KEY, BUCKET_SECRET));
    let service = builder.build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let service = service.clone();
            tokio::spawn(async move {
                let http = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
                let _ = http
                    .serve_connection(hyper_util::rt::TokioIo::new(socket), service)
                    .await;
            });
        }
    });
    (root, format!("http://{addr}"))
}

async fn originals_and_variants_can_live_in_an_s3_compatible_bucket(backend: Backend) {
    let (root, endpoint) = s3_server().await;
    let in_bucket = |secret: &str| {
        let endpoint = endpoint.clone();
        let secret = secret.to_owned();
        move |c: &mut api::Config| {
            c.media_store = "s3://kiji-media/clinic".to_owned();
            c.media_store_endpoint = Some(endpoint);
            c.media_store_key_id = Some(BUCKET_KEY.to_owned());
            c.media_store_secret = Some(api::config::Secret(secret));
        }
    };
    let Some(app) = TestApp::spawn_with(backend, in_bucket(BUCKET_SECRET)).await else {
        return;
    };
    let (_, admin) = auth::create_key(&app.db, Role::Admin, "ops").await.expect("key");
    let ja = json!([{ "locale": "ja", "text": "受付" }]);
    let body = upload(
        &app,
        &admin,
        UPLOAD,
        json!({ "file": null, "alt": ja }),
        "desk.jpg",
        jpeg(1000, 700),
    )
    .await;
    let id = body["data"]["uploadImage"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body:#}"))
        .to_owned();

    // The row is in the database, the bytes in the bucket.
    let row = entity::media::Entity::find_by_id(uuid::Uuid::parse_str(&id).unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(row.bytes.is_empty(), "the original went to the bucket");
    let original = root.join("kiji-media/clinic/originals").join(&row.sha256);
    let kept = image::load_from_memory(&std::fs::read(&original).expect("the bucket holds the original")).unwrap();
    assert_eq!((kept.width(), kept.height()), (1000, 700));

    // A variant is made from the bucket's original and kept beside it.
    let url = format!("{}/media/{id}/640.webp", app.base);
    let first = reqwest::get(&url).await.unwrap();
    assert_eq!(first.status(), 200);
    let bytes = first.bytes().await.unwrap();
    assert_eq!(image::load_from_memory(&bytes).unwrap().width(), 640);
    assert!(root.join(format!("kiji-media/clinic/variants/{id}/640.webp")).exists());

    // Another instance on the same database and bucket serves the same bytes.
    let other = TestApp::spawn_on(&app.database_url(), in_bucket(BUCKET_SECRET)).await;
    let again = reqwest::get(format!("{}/media/{id}/640.webp", other.base))
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(again.bytes().await.unwrap(), bytes);

    // A bucket that refuses: a bare INTERNAL error, nothing of the bucket's
    // answer, and no row naming bytes that are not kept.
    let refused_by = TestApp::spawn_on(&app.database_url(), in_bucket("not-the-secret")).await;
    let body = upload(
        &refused_by,
        &admin,
        UPLOAD,
        json!({ "file": null, "alt": ja }),
        "b.jpg",
        jpeg(300, 200),
    )
    .await;
    assert_eq!(code(&body), "INTERNAL", "{body:#}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(
        !message.contains("kiji-media") && !message.contains("Signature"),
        "{message}"
    );
    let rows = entity::media::Entity::find().count(&app.db).await.unwrap();
    assert_eq!(rows, 1);
    std::fs::remove_dir_all(&root).ok();
}

db_tests!(
    uploads_are_checked_cleaned_and_served_at_fixed_widths,
    originals_and_variants_can_live_in_an_s3_compatible_bucket,
    image_blocks_show_the_images_alt_text_in_each_locale,
    alt_text_is_required_in_every_published_locale,
    a_portrait_is_an_image_with_alt_text_in_every_profile_locale,
);
