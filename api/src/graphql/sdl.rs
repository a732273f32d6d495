//! The schema as SDL, printed the way GraphQL tools print it (graphql-js's
//! `printSchema`): two-space indents, descriptions as block strings, and
//! arguments on one line when none has a description, else one per line.
//!
//! async-graphql's own printer runs an argument without a description onto
//! the line of the one before it; `schema.graphql` is read by people and
//! diffed in review, so Kiji re-prints async-graphql's output from its
//! parsed form.

use std::fmt::Write as _;

use async_graphql::Positioned;
use async_graphql::parser::types::{
    ConstDirective, DirectiveDefinition, FieldDefinition, InputValueDefinition, SchemaDefinition, ServiceDocument,
    TypeDefinition, TypeKind, TypeSystemDefinition,
};

/// Re-prints `sdl`; returns it unchanged if it does not parse.
pub fn print(sdl: &str) -> String {
    match async_graphql::parser::parse_schema(sdl) {
        Ok(doc) => print_document(&doc, sdl),
        Err(_) => sdl.to_owned(),
    }
}

fn print_document(doc: &ServiceDocument, source: &str) -> String {
    let blocks: Vec<String> = doc
        .definitions
        .iter()
        .map(|definition| match definition {
            TypeSystemDefinition::Schema(schema) => print_schema(&schema.node),
            TypeSystemDefinition::Type(ty) => print_type(&ty.node),
            TypeSystemDefinition::Directive(directive) => print_directive(&directive.node, source),
        })
        .collect();
    let mut out = blocks.join("\n\n");
    out.push('\n');
    out
}

fn description(out: &mut String, text: Option<&Positioned<String>>, indent: &str) {
    let Some(text) = text else { return };
    let text = text.node.replace("\"\"\"", "\\\"\"\"");
    let _ = writeln!(out, "{indent}\"\"\"");
    for line in text.lines() {
        if line.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "{indent}{line}");
        }
    }
    let _ = writeln!(out, "{indent}\"\"\"");
}

fn directives(list: &[Positioned<ConstDirective>]) -> String {
    let mut out = String::new();
    for directive in list {
        let _ = write!(out, " @{}", directive.node.name.node);
        if !directive.node.arguments.is_empty() {
            let args: Vec<String> = directive
                .node
                .arguments
                .iter()
                .map(|(name, value)| format!("{}: {}", name.node, value.node))
                .collect();
            let _ = write!(out, "({})", args.join(", "));
        }
    }
    out
}

fn input_value(value: &InputValueDefinition) -> String {
    let mut out = format!("{}: {}", value.name.node, value.ty.node);
    if let Some(default) = &value.default_value {
        let _ = write!(out, " = {}", default.node);
    }
    out.push_str(&directives(&value.directives));
    out
}

fn arguments(out: &mut String, args: &[Positioned<InputValueDefinition>], indent: &str) {
    if args.is_empty() {
        return;
    }
    if args.iter().all(|a| a.node.description.is_none()) {
        let list: Vec<String> = args.iter().map(|a| input_value(&a.node)).collect();
        let _ = write!(out, "({})", list.join(", "));
        return;
    }
    out.push_str("(\n");
    let inner = format!("{indent}  ");
    for arg in args {
        description(out, arg.node.description.as_ref(), &inner);
        let _ = writeln!(out, "{inner}{}", input_value(&arg.node));
    }
    out.push_str(indent);
    out.push(')');
}

fn fields(out: &mut String, fields: &[Positioned<FieldDefinition>]) {
    out.push_str(" {\n");
    for field in fields {
        let field = &field.node;
        description(out, field.description.as_ref(), "  ");
        let _ = write!(out, "  {}", field.name.node);
        arguments(out, &field.arguments, "  ");
        let _ = writeln!(out, ": {}{}", field.ty.node, directives(&field.directives));
    }
    out.push('}');
}

fn implements(list: &[Positioned<async_graphql::Name>]) -> String {
    if list.is_empty() {
        return String::new();
    }
    let names: Vec<&str> = list.iter().map(|n| n.node.as_str()).collect();
    format!(" implements {}", names.join(" & "))
}

fn print_type(ty: &TypeDefinition) -> String {
    let mut out = String::new();
    description(&mut out, ty.description.as_ref(), "");
    let name = &ty.name.node;
    let own = directives(&ty.directives);
    match &ty.kind {
        TypeKind::Scalar => {
            let _ = write!(out, "scalar {name}{own}");
        }
        TypeKind::Object(object) => {
            let _ = write!(out, "type {name}{}{own}", implements(&object.implements));
            fields(&mut out, &object.fields);
        }
        TypeKind::Interface(interface) => {
            let _ = write!(out, "interface {name}{}{own}", implements(&interface.implements));
            fields(&mut out, &interface.fields);
        }
        TypeKind::Union(union) => {
            let members: Vec<&str> = union.members.iter().map(|m| m.node.as_str()).collect();
            let _ = write!(out, "union {name}{own} = {}", members.join(" | "));
        }
        TypeKind::Enum(enumeration) => {
            let _ = writeln!(out, "enum {name}{own} {{");
            for value in &enumeration.values {
                description(&mut out, value.node.description.as_ref(), "  ");
                let _ = writeln!(out, "  {}{}", value.node.value.node, directives(&value.node.directives));
            }
            out.push('}');
        }
        TypeKind::InputObject(input) => {
            let _ = writeln!(out, "input {name}{own} {{");
            for field in &input.fields {
                description(&mut out, field.node.description.as_ref(), "  ");
                let _ = writeln!(out, "  {}", input_value(&field.node));
            }
            out.push('}');
        }
    }
    out
}

fn print_directive(directive: &DirectiveDefinition, source: &str) -> String {
    let mut out = String::new();
    description(&mut out, directive.description.as_ref(), "");
    let _ = write!(out, "directive @{}", directive.name.node);
    arguments(&mut out, &directive.arguments, "");
    // The parser's grammar makes `repeatable` optional inside its own rule
    // (`repeatable = { "repeatable"? }`), so `is_repeatable` is always true;
    // the source text tells.
    let declared = format!("directive @{}", directive.name.node);
    let repeatable = source.lines().any(|line| {
        line.trim_start().starts_with(&declared) && line.split_whitespace().any(|word| word == "repeatable")
    });
    if repeatable {
        out.push_str(" repeatable");
    }
    let locations: Vec<String> = directive.locations.iter().map(|l| location(&l.node)).collect();
    let _ = write!(out, " on {}", locations.join(" | "));
    out
}

/// A directive location as the specification spells it (`FRAGMENT_SPREAD`).
fn location(location: &async_graphql::parser::types::DirectiveLocation) -> String {
    let debug = format!("{location:?}");
    let mut out = String::with_capacity(debug.len() + 4);
    for (i, c) in debug.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

fn print_schema(schema: &SchemaDefinition) -> String {
    let mut out = format!("schema{} {{\n", directives(&schema.directives));
    for (kind, root) in [
        ("query", &schema.query),
        ("mutation", &schema.mutation),
        ("subscription", &schema.subscription),
    ] {
        if let Some(root) = root {
            let _ = writeln!(out, "  {kind}: {}", root.node);
        }
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = "\"\"\"\nA thing.\n\"\"\"\ntype Query {\n\tthings(\n\t\t\"\"\"\n\t\tPage size.\n\t\t\"\"\"\n\t\tfirst: Int = 20,\t\tafter: String,\t\torder: Order = NEWEST\n\t): [String!]! @deprecated(reason: \"use more\")\n\tone(id: ID!, locale: String): String\n}\nenum Order {\n\tNEWEST\n\t\"\"\"\n\tOldest first.\n\t\"\"\"\n\tOLDEST\n}\ndirective @skip(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT\nschema {\n\tquery: Query\n}\n";

    #[test]
    fn arguments_go_one_per_line_once_any_has_a_description() {
        let printed = print(SOURCE);
        assert_eq!(
            printed,
            "\"\"\"\nA thing.\n\"\"\"\ntype Query {\n  things(\n    \"\"\"\n    Page size.\n    \"\"\"\n    first: Int = 20\n    after: String\n    order: Order = NEWEST\n  ): [String!]! @deprecated(reason: \"use more\")\n  one(id: ID!, locale: String): String\n}\n\nenum Order {\n  NEWEST\n  \"\"\"\n  Oldest first.\n  \"\"\"\n  OLDEST\n}\n\ndirective @skip(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT\n\nschema {\n  query: Query\n}\n"
        );
    }

    #[test]
    fn printing_keeps_the_schema_it_prints() {
        let printed = print(&super::super::builder().finish().sdl());
        assert_eq!(print(&printed), printed, "printing is stable");
        let reparsed = async_graphql::parser::parse_schema(&printed).expect("printed SDL parses");
        let original = async_graphql::parser::parse_schema(super::super::builder().finish().sdl()).expect("parses");
        assert_eq!(reparsed.definitions.len(), original.definitions.len());
        assert!(!printed.contains('\t'));
    }
}
