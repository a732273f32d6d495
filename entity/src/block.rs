//! The structured body of a section: blocks stored as a JSON array in
//! `section_translation.blocks` (and `article_translation.intro`), and served
//! as the GraphQL union `Block`.
//!
//! One type serves storage and content files, and its text blocks serve
//! GraphQL, so they cannot drift apart. Inline text is plain text; HTML is
//! a rendering, never stored. An image block names an uploaded image: its
//! alt text and caption belong to the image, per locale, so GraphQL
//! resolves it through the API's loaders.

use async_graphql::{ComplexObject, Enum, SimpleObject};
use sea_orm::FromJsonQueryResult;
use serde::{Deserialize, Serialize};

/// Kind of a block; the `type` tag of the stored JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Enum, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    /// A paragraph of text.
    Paragraph,
    /// An ordered or unordered list, possibly nested.
    List,
    /// A question and its answer.
    QuestionAnswer,
    /// A note or callout set apart from the text.
    Note,
    /// An uploaded image, with its alt text and caption.
    Image,
}

/// A list of blocks as stored in one JSON column. Rows decode straight
/// from the stored JSON into blocks, with no `serde_json::Value` between:
/// on the article page that tree was most of the cost of reading a row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, FromJsonQueryResult)]
#[serde(transparent)]
pub struct Blocks(pub Vec<Block>);

/// One block of a section body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Block {
    /// A paragraph.
    Paragraph(ParagraphBlock),
    /// A list.
    List(ListBlock),
    /// A question and answer.
    QuestionAnswer(QuestionAnswerBlock),
    /// A note.
    Note(NoteBlock),
    /// An image.
    Image(ImageBlock),
}

impl Block {
    /// The kind of this block.
    pub fn kind(&self) -> BlockKind {
        match self {
            Self::Paragraph(_) => BlockKind::Paragraph,
            Self::List(_) => BlockKind::List,
            Self::QuestionAnswer(_) => BlockKind::QuestionAnswer,
            Self::Note(_) => BlockKind::Note,
            Self::Image(_) => BlockKind::Image,
        }
    }

    /// The image this block shows, if it is an image block.
    pub fn image(&self) -> Option<uuid::Uuid> {
        match self {
            Self::Image(image) => Some(image.image),
            _ => None,
        }
    }

    /// Every piece of text in the block, in reading order.
    pub fn texts(&self) -> Vec<&str> {
        match self {
            Self::Paragraph(p) => vec![p.text.as_str()],
            Self::List(list) => {
                let mut out = Vec::new();
                list.collect_texts(&mut out);
                out
            }
            Self::QuestionAnswer(qa) => vec![qa.question.as_str(), qa.answer.as_str()],
            Self::Note(note) => note
                .title
                .iter()
                .map(String::as_str)
                .chain([note.text.as_str()])
                .collect(),
            // Its alt text and caption are the image's, per locale.
            Self::Image(_) => Vec::new(),
        }
    }
}

/// A paragraph of plain text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, SimpleObject)]
#[graphql(complex)]
#[serde(deny_unknown_fields)]
pub struct ParagraphBlock {
    /// The text.
    pub text: String,
}

/// A list whose items may carry nested lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, SimpleObject)]
#[graphql(complex)]
#[serde(deny_unknown_fields)]
pub struct ListBlock {
    /// Numbered (true) or bulleted (false).
    #[serde(default)]
    pub ordered: bool,
    /// The items, in order.
    pub items: Vec<ListItem>,
}

impl ListBlock {
    /// How deeply lists nest inside this one (1 for a flat list).
    pub fn depth(&self) -> usize {
        1 + self
            .items
            .iter()
            .filter_map(|item| item.list.as_ref().map(ListBlock::depth))
            .max()
            .unwrap_or(0)
    }

    fn collect_texts<'a>(&'a self, out: &mut Vec<&'a str>) {
        for item in &self.items {
            out.push(&item.text);
            if let Some(list) = &item.list {
                list.collect_texts(out);
            }
        }
    }
}

/// One item of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, SimpleObject)]
#[serde(deny_unknown_fields)]
pub struct ListItem {
    /// The item's text.
    pub text: String,
    /// A list nested under this item, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list: Option<ListBlock>,
}

/// A question and its answer, as in an FAQ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, SimpleObject)]
#[graphql(complex)]
#[serde(deny_unknown_fields)]
pub struct QuestionAnswerBlock {
    /// The question, without a "Q1." label.
    pub question: String,
    /// The answer, without an "A1." label.
    pub answer: String,
}

/// Tone of a note, for styling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Enum, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NoteTone {
    /// Additional information.
    Info,
    /// Something the reader should take care about.
    Caution,
    /// A medical or legal disclaimer.
    Disclaimer,
}

/// A note or callout set apart from the running text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, SimpleObject)]
#[graphql(complex)]
#[serde(deny_unknown_fields)]
pub struct NoteBlock {
    /// How the note should be styled.
    pub tone: NoteTone,
    /// Optional short title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The note's text.
    pub text: String,
}

/// An uploaded image in the text. Its alt text and caption are the
/// image's own, in each locale, so every translation that shows it says
/// the same about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageBlock {
    /// The image's id (`Image.id`).
    pub image: uuid::Uuid,
}

#[ComplexObject]
impl ParagraphBlock {
    /// Always `PARAGRAPH`.
    async fn kind(&self) -> BlockKind {
        BlockKind::Paragraph
    }
}

#[ComplexObject]
impl ListBlock {
    /// Always `LIST`.
    async fn kind(&self) -> BlockKind {
        BlockKind::List
    }
}

#[ComplexObject]
impl QuestionAnswerBlock {
    /// Always `QUESTION_ANSWER`.
    async fn kind(&self) -> BlockKind {
        BlockKind::QuestionAnswer
    }
}

#[ComplexObject]
impl NoteBlock {
    /// Always `NOTE`.
    async fn kind(&self) -> BlockKind {
        BlockKind::Note
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_round_trip_through_their_stored_json() {
        let json = r#"[
            {"type":"paragraph","text":"a"},
            {"type":"list","ordered":true,"items":[{"text":"b","list":{"ordered":false,"items":[{"text":"c"}]}}]},
            {"type":"question_answer","question":"q?","answer":"a."},
            {"type":"note","tone":"CAUTION","text":"n"},
            {"type":"image","image":"0193a4b2-7c1d-7e00-8000-000000000001"}
        ]"#;
        let blocks: Vec<Block> = serde_json::from_str(json).unwrap();
        assert_eq!(blocks.len(), 5);
        assert_eq!(blocks[4].kind(), BlockKind::Image);
        assert!(blocks[4].texts().is_empty());
        assert_eq!(
            blocks[4].image().map(|id| id.to_string()).as_deref(),
            Some("0193a4b2-7c1d-7e00-8000-000000000001")
        );
        assert_eq!(blocks[1].kind(), BlockKind::List);
        let Block::List(list) = &blocks[1] else {
            panic!("not a list")
        };
        assert_eq!(list.depth(), 2);
        let again: Vec<Block> = serde_json::from_value(serde_json::to_value(&blocks).unwrap()).unwrap();
        assert_eq!(again, blocks);
    }

    #[test]
    fn unknown_block_types_and_fields_are_rejected() {
        assert!(serde_json::from_str::<Block>(r#"{"type":"video","url":"x"}"#).is_err());
        assert!(serde_json::from_str::<Block>(r#"{"type":"paragraph","text":"a","html":"<b>"}"#).is_err());
        assert!(serde_json::from_str::<Block>(r#"{"type":"image","image":"not-an-id"}"#).is_err());
        assert!(
            serde_json::from_str::<Block>(
                r#"{"type":"image","image":"0193a4b2-7c1d-7e00-8000-000000000001","src":"x"}"#
            )
            .is_err()
        );
    }
}
