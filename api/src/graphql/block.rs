//! The `Block` union: a section's or intro's blocks as clients read them.
//! Text blocks are served straight from the stored rows; an image block
//! is resolved through the request's loader, with the alt text and caption
//! of the locale the text is in.

use async_graphql::{Context, Object, Union};
use entity::block::{self as stored, BlockKind};
use uuid::Uuid;

use super::image::Image;
use crate::error::Result;

// Borrowed, so serving a page copies no text; named, since the union's
// derive takes only type paths.
type Paragraph<'a> = &'a stored::ParagraphBlock;
type List<'a> = &'a stored::ListBlock;
type QuestionAnswer<'a> = &'a stored::QuestionAnswerBlock;
type Note<'a> = &'a stored::NoteBlock;

/// One block of a section body.
#[derive(Union)]
#[graphql(name = "Block")]
pub enum Block<'a> {
    /// A paragraph.
    Paragraph(Paragraph<'a>),
    /// A list.
    List(List<'a>),
    /// A question and answer.
    QuestionAnswer(QuestionAnswer<'a>),
    /// A note.
    Note(Note<'a>),
    /// An image.
    Image(ImageBlock<'a>),
}

impl<'a> Block<'a> {
    /// `block` as served in `locale` (the locale of the text it is in).
    pub fn new(block: &'a stored::Block, locale: &'a str) -> Self {
        match block {
            stored::Block::Paragraph(b) => Self::Paragraph(b),
            stored::Block::List(b) => Self::List(b),
            stored::Block::QuestionAnswer(b) => Self::QuestionAnswer(b),
            stored::Block::Note(b) => Self::Note(b),
            stored::Block::Image(b) => Self::Image(ImageBlock { image: b.image, locale }),
        }
    }
}

/// Keeps only blocks of the given kinds (all when `kinds` is `None`), as
/// served in `locale`.
pub(crate) fn filter_blocks<'a>(
    blocks: &'a [stored::Block],
    kinds: Option<&[BlockKind]>,
    locale: &'a str,
) -> Vec<Block<'a>> {
    blocks
        .iter()
        .filter(|b| kinds.is_none_or(|kinds| kinds.contains(&b.kind())))
        .map(|b| Block::new(b, locale))
        .collect()
}

/// An uploaded image among the blocks, with its alt text and caption in
/// the locale of the text around it.
pub struct ImageBlock<'a> {
    image: Uuid,
    locale: &'a str,
}

/// An uploaded image among the blocks, with its alt text and caption in
/// the locale of the text around it.
#[Object]
impl ImageBlock<'_> {
    /// Always `IMAGE`.
    async fn kind(&self) -> BlockKind {
        BlockKind::Image
    }

    /// The image, its `alt` and `caption` in the locale of the text: render
    /// it as a `<figure>` with `srcset`, `width` and `height`.
    async fn image(&self, ctx: &Context<'_>) -> Result<Image> {
        Image::by_id(ctx, self.image, self.locale).await
    }
}
