//! The public schema reads as written for its clients: every type, field,
//! argument, input field and enum value in `schema.graphql` has a
//! description (graphql-schema-linter's description rules), and none
//! describes itself by a Rust type name.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on fails here

use async_graphql::parser::types::{InputValueDefinition, TypeKind, TypeSystemDefinition};
use async_graphql::parser::{Positioned, parse_schema};

/// What is wrong with one description, if anything.
fn fault(description: Option<&Positioned<String>>) -> Option<&'static str> {
    let Some(text) = description.map(|d| d.node.trim()) else {
        return Some("no description");
    };
    if text.is_empty() {
        return Some("an empty description");
    }
    // A Rust path or generic (`DateTime<Utc>`, `chrono::NaiveDate`) means
    // nothing to a client of the API.
    if text.contains("::") || text.contains("<Utc>") || text.contains("<T>") {
        return Some("a Rust type name");
    }
    None
}

fn check_inputs(owner: &str, inputs: &[Positioned<InputValueDefinition>], faults: &mut Vec<String>) {
    for input in inputs {
        if let Some(why) = fault(input.node.description.as_ref()) {
            faults.push(format!("{owner}({}:) has {why}", input.node.name.node));
        }
    }
}

#[test]
fn every_type_field_and_argument_is_described() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let sdl = std::fs::read_to_string(path).expect("schema.graphql exists");
    let document = parse_schema(&sdl).expect("schema.graphql parses");
    let mut faults = Vec::new();
    let mut checked = 0;
    for definition in &document.definitions {
        let TypeSystemDefinition::Type(ty) = definition else {
            continue;
        };
        let ty = &ty.node;
        let name = ty.name.node.as_str();
        checked += 1;
        if let Some(why) = fault(ty.description.as_ref()) {
            faults.push(format!("type {name} has {why}"));
        }
        let fields = match &ty.kind {
            TypeKind::Object(object) => &object.fields,
            TypeKind::Interface(interface) => &interface.fields,
            TypeKind::InputObject(input) => {
                checked += input.fields.len();
                check_inputs(name, &input.fields, &mut faults);
                continue;
            }
            TypeKind::Enum(values) => {
                for value in &values.values {
                    checked += 1;
                    if let Some(why) = fault(value.node.description.as_ref()) {
                        faults.push(format!("{name}.{} has {why}", value.node.value.node));
                    }
                }
                continue;
            }
            TypeKind::Scalar | TypeKind::Union(_) => continue,
        };
        for field in fields {
            let field = &field.node;
            checked += 1 + field.arguments.len();
            if let Some(why) = fault(field.description.as_ref()) {
                faults.push(format!("{name}.{} has {why}", field.name.node));
            }
            check_inputs(&format!("{name}.{}", field.name.node), &field.arguments, &mut faults);
        }
    }
    // The walk reached the schema: an empty or unparsed file cannot pass.
    assert!(checked > 500, "only {checked} definitions found in schema.graphql");
    assert!(
        faults.is_empty(),
        "{} undescribed in schema.graphql:\n{}",
        faults.len(),
        faults.join("\n")
    );
}
