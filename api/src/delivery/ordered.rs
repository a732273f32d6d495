//! Answers in the order of the query, written straight to bytes.
//!
//! The specification asks that a response map keep the order of the
//! selection set. async-graphql resolves an object's fields concurrently
//! and collects them in the order they finish, so a field that waits on the
//! database lands after its later siblings. Resolving serially would fix
//! the order but not the cost: items of a list reach their loaders at
//! different moments, and batches split (the list page went from 8 to 9
//! statements). So execution stays concurrent, and the response is written
//! here in the order the document asks for: for each object, the fields of
//! its selection set are collected as the specification's CollectFields
//! does — fragments expanded, `@skip`/`@include` applied, type conditions
//! matched against the object's runtime type.
//!
//! The runtime type of an object is known from the schema, except under an
//! interface or a union. There, [`Shapes::mark_abstract`] adds a hidden
//! `__typename` under a reserved key to the document before it runs, which
//! the writer reads and leaves out.

use std::collections::{HashMap, HashSet};
use std::io::Write;

use async_graphql::parser::types::{
    BaseType, Directive, DocumentOperations, ExecutableDocument, Field, OperationDefinition, OperationType, Selection,
    SelectionSet, TypeKind, TypeSystemDefinition,
};
use async_graphql::{Name, Pos, Positioned, Value};

/// Response key of the hidden `__typename` added under abstract types.
pub(crate) const TYPE_KEY: &str = "__kijiType";

/// Position of fields Kiji adds to a document: no real position is line 0.
const ADDED: Pos = Pos { line: 0, column: 0 };

/// What the writer needs of the schema: the type of each field, and which
/// types are abstract and what they may be at run time.
#[derive(Debug, Default)]
pub struct Shapes {
    types: foldhash::HashMap<Name, Shape>,
}

#[derive(Debug, Default)]
struct Shape {
    is_abstract: bool,
    /// Concrete types an abstract type may be (for an object: itself).
    possible: HashSet<Name>,
    /// Field name → named type of the field.
    fields: foldhash::HashMap<Name, Name>,
}

impl Shapes {
    /// Reads the shapes from the schema's SDL; an SDL that does not parse
    /// gives no shapes, and answers keep async-graphql's order.
    pub fn from_sdl(sdl: &str) -> Self {
        let Ok(doc) = async_graphql::parser::parse_schema(sdl) else {
            return Self::default();
        };
        let mut types: foldhash::HashMap<Name, Shape> = foldhash::HashMap::default();
        let mut implements: Vec<(Name, Name)> = Vec::new();
        for definition in doc.definitions {
            let TypeSystemDefinition::Type(ty) = definition else {
                continue;
            };
            let name = ty.node.name.node.clone();
            let fields = |defs: &[Positioned<async_graphql::parser::types::FieldDefinition>]| {
                defs.iter()
                    .map(|f| (f.node.name.node.clone(), named(&f.node.ty.node.base)))
                    .collect()
            };
            let shape = match ty.node.kind {
                TypeKind::Object(object) => {
                    implements.extend(object.implements.iter().map(|i| (i.node.clone(), name.clone())));
                    Shape {
                        is_abstract: false,
                        possible: HashSet::from([name.clone()]),
                        fields: fields(&object.fields),
                    }
                }
                TypeKind::Interface(interface) => Shape {
                    is_abstract: true,
                    possible: HashSet::new(),
                    fields: fields(&interface.fields),
                },
                TypeKind::Union(union) => Shape {
                    is_abstract: true,
                    possible: union.members.iter().map(|m| m.node.clone()).collect(),
                    fields: foldhash::HashMap::default(),
                },
                _ => continue,
            };
            types.insert(name, shape);
        }
        for (interface, object) in implements {
            if let Some(shape) = types.get_mut(&interface) {
                shape.possible.insert(object);
            }
        }
        Self { types }
    }

    /// The schema's own copy of a type name: one address per type, which
    /// the writer's memo keys on.
    fn intern(&self, ty: &str) -> Option<&Name> {
        self.types.get_key_value(ty).map(|(name, _)| name)
    }

    fn is_abstract(&self, ty: &str) -> bool {
        self.types.get(ty).is_some_and(|s| s.is_abstract)
    }

    fn field_type(&self, ty: &str, field: &str) -> Option<&Name> {
        self.types.get(ty)?.fields.get(field)
    }

    /// Whether a fragment on `condition` applies to an object of `runtime`
    /// type; when either is unknown, it is taken to apply.
    fn applies(&self, condition: &str, runtime: Option<&str>) -> bool {
        let Some(runtime) = runtime else { return true };
        condition == runtime || self.types.get(condition).is_none_or(|s| s.possible.contains(runtime))
    }

    /// Adds a hidden `__typename` to every selection set on an interface or
    /// union, so that the writer knows each object's runtime type.
    pub fn mark_abstract(&self, doc: &mut ExecutableDocument) {
        match &mut doc.operations {
            DocumentOperations::Single(op) => self.mark_operation(&mut op.node),
            DocumentOperations::Multiple(ops) => {
                for op in ops.values_mut() {
                    self.mark_operation(&mut op.node);
                }
            }
        }
        for fragment in doc.fragments.values_mut() {
            let ty = fragment.node.type_condition.node.on.node.clone();
            self.mark(&mut fragment.node.selection_set.node, &ty, 0);
        }
    }

    fn mark_operation(&self, op: &mut OperationDefinition) {
        self.mark(&mut op.selection_set.node, root_type(op.ty), 0);
    }

    /// Recursion is bounded by the depth limit the document already passed
    /// ([`super::limits`]); the extra bound only guards against misuse.
    fn mark(&self, set: &mut SelectionSet, ty: &str, depth: usize) {
        if depth > 64 {
            return;
        }
        // Not into an empty set: a field of abstract type without a
        // selection must still fail validation.
        if self.is_abstract(ty) && !set.items.is_empty() && !set.items.iter().any(|item| is_type_key(&item.node)) {
            set.items.push(Positioned::new(
                Selection::Field(Positioned::new(typename_field(), ADDED)),
                ADDED,
            ));
        }
        for item in &mut set.items {
            match &mut item.node {
                Selection::Field(field) => {
                    if let Some(inner) = self.field_type(ty, &field.node.name.node).cloned() {
                        self.mark(&mut field.node.selection_set.node, &inner, depth + 1);
                    }
                }
                Selection::InlineFragment(inline) => {
                    let inner = inline
                        .node
                        .type_condition
                        .as_ref()
                        .map_or_else(|| Name::new(ty), |c| c.node.on.node.clone());
                    self.mark(&mut inline.node.selection_set.node, &inner, depth + 1);
                }
                Selection::FragmentSpread(_) => {}
            }
        }
    }
}

fn named(ty: &BaseType) -> Name {
    match ty {
        BaseType::Named(name) => name.clone(),
        BaseType::List(inner) => named(&inner.base),
    }
}

fn root_type(ty: OperationType) -> &'static str {
    match ty {
        OperationType::Query => "Query",
        OperationType::Mutation => "Mutation",
        OperationType::Subscription => "Subscription",
    }
}

fn is_type_key(selection: &Selection) -> bool {
    matches!(selection, Selection::Field(f) if f.node.response_key().node == TYPE_KEY)
}

fn typename_field() -> Field {
    Field {
        alias: Some(Positioned::new(Name::new(TYPE_KEY), ADDED)),
        name: Positioned::new(Name::new("__typename"), ADDED),
        arguments: Vec::new(),
        directives: Vec::new(),
        selection_set: Positioned::new(SelectionSet::default(), ADDED),
    }
}

/// Fills in the defaults of the operation's variables that the request left
/// out. async-graphql applies defaults to arguments but not when it decides
/// `@skip` and `@include`, so without this `query($all: Boolean = true)
/// { x @include(if: $all) }` would leave `x` out.
pub fn with_defaults(doc: &ExecutableDocument, operation_name: Option<&str>, variables: &mut serde_json::Value) {
    let (Some(operation), serde_json::Value::Object(map)) = (operation(doc, operation_name), variables) else {
        return;
    };
    for definition in &operation.variable_definitions {
        let name = definition.node.name.node.as_str();
        if let Some(default) = &definition.node.default_value
            && !map.contains_key(name)
            && let Ok(value) = serde_json::to_value(&default.node)
        {
            map.insert(name.to_owned(), value);
        }
    }
}

/// The operation a request runs, as async-graphql chooses it.
pub fn operation<'a>(doc: &'a ExecutableDocument, name: Option<&str>) -> Option<&'a OperationDefinition> {
    match (&doc.operations, name) {
        (DocumentOperations::Single(op), _) => Some(&op.node),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| &op.node),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next().map(|op| &op.node),
        (DocumentOperations::Multiple(_), None) => None,
    }
}

/// One response key of an object, as CollectFields gathers it, with what
/// writing its value needs: worked out once per selection and runtime type,
/// then shared by every object written with them.
struct Entry<'a> {
    key: &'a Name,
    /// Only fields Kiji added (the hidden type key): never written.
    hidden: bool,
    /// The named type of the field, when the runtime type is known.
    ty: Option<&'a Name>,
    /// The non-empty selection sets of the fields sharing the key.
    sets: Vec<&'a SelectionSet>,
}

/// Collected fields of one object, in response order.
type Collected<'a> = std::rc::Rc<[Entry<'a>]>;

/// Writes values in the order of a document.
pub struct Writer<'a> {
    shapes: &'a Shapes,
    doc: &'a ExecutableDocument,
    /// The request's variables, with the operation's defaults filled in.
    variables: HashMap<Name, Value>,
    /// Keyed by the runtime type (the address of its name in `shapes`, or
    /// 0) followed by the addresses of the selection sets.
    memo: foldhash::HashMap<Vec<usize>, Collected<'a>>,
}

impl<'a> Writer<'a> {
    /// A writer for answers to `operation` of `doc` run with `variables`.
    pub fn new(
        shapes: &'a Shapes,
        doc: &'a ExecutableDocument,
        operation: &OperationDefinition,
        variables: &serde_json::Value,
    ) -> Self {
        let mut effective = HashMap::new();
        for definition in &operation.variable_definitions {
            let name = &definition.node.name.node;
            let given = variables
                .get(name.as_str())
                .and_then(|v| Value::from_json(v.clone()).ok());
            let value = given.or_else(|| definition.node.default_value.as_ref().map(|d| d.node.clone()));
            if let Some(value) = value {
                effective.insert(name.clone(), value);
            }
        }
        Self {
            shapes,
            doc,
            variables: effective,
            memo: foldhash::HashMap::default(),
        }
    }

    /// Writes the `data` of an answer to `operation`.
    pub fn data(&mut self, out: &mut Vec<u8>, data: &Value, operation: &'a OperationDefinition) -> std::io::Result<()> {
        let root = self.shapes.intern(root_type(operation.ty));
        self.value(out, data, &[&operation.selection_set.node], root)
    }

    fn value(
        &mut self,
        out: &mut Vec<u8>,
        value: &Value,
        sets: &[&'a SelectionSet],
        ty: Option<&'a Name>,
    ) -> std::io::Result<()> {
        match value {
            Value::Object(map) if !sets.is_empty() => {
                let runtime = match ty {
                    Some(ty) if self.shapes.is_abstract(ty) => match map.get(TYPE_KEY) {
                        Some(Value::String(name)) => self.shapes.intern(name),
                        _ => None,
                    },
                    other => other,
                };
                let fields = self.collect(sets, runtime);
                out.push(b'{');
                let mut first = true;
                // How many of the map's entries are accounted for, and where
                // the next one probably is: async-graphql's order mostly
                // matches the document's, and a hit spares a hash lookup.
                let mut accounted = 0;
                let mut guess = 0;
                for entry in fields.iter() {
                    let found = match map.get_index(guess) {
                        Some((key, inner)) if key == entry.key => Some((guess, inner)),
                        _ => map.get_full(entry.key.as_str()).map(|(at, _, inner)| (at, inner)),
                    };
                    let Some((at, inner)) = found else { continue };
                    guess = at + 1;
                    accounted += 1;
                    if entry.hidden {
                        continue;
                    }
                    comma(out, &mut first);
                    // A response key is a GraphQL name: nothing to escape.
                    out.push(b'"');
                    out.extend_from_slice(entry.key.as_bytes());
                    out.extend_from_slice(b"\":");
                    self.value(out, inner, &entry.sets, entry.ty)?;
                }
                // Whatever the collection did not foresee is still written,
                // in async-graphql's order: no answer ever loses a field.
                if accounted < map.len() {
                    self.rest(out, map, |key| fields.iter().any(|e| e.key.as_str() == key), first)?;
                }
                out.push(b'}');
                Ok(())
            }
            Value::Object(map) => {
                // No selection to follow: async-graphql's order.
                out.push(b'{');
                self.rest(out, map, |_| false, true)?;
                out.push(b'}');
                Ok(())
            }
            Value::List(items) => {
                out.push(b'[');
                let mut first = true;
                for item in items {
                    comma(out, &mut first);
                    self.value(out, item, sets, ty)?;
                }
                out.push(b']');
                Ok(())
            }
            other => serde_json::to_writer(&mut *out, other).map_err(std::io::Error::from),
        }
    }

    /// Writes the entries of `map` that `done` has not written, never the
    /// hidden type key.
    fn rest(
        &mut self,
        out: &mut Vec<u8>,
        map: &async_graphql::indexmap::IndexMap<Name, Value>,
        done: impl Fn(&str) -> bool,
        mut first: bool,
    ) -> std::io::Result<()> {
        for (key, inner) in map {
            if !done(key.as_str()) && key.as_str() != TYPE_KEY {
                comma(out, &mut first);
                serde_json::to_writer(&mut *out, key.as_str())?;
                out.push(b':');
                self.value(out, inner, &[], None)?;
            }
        }
        Ok(())
    }

    /// CollectFields for `sets` and an object of `runtime` type, memoized:
    /// the items of a list share their collection.
    fn collect(&mut self, sets: &[&'a SelectionSet], runtime: Option<&'a Name>) -> Collected<'a> {
        let mut key = Vec::with_capacity(sets.len() + 1);
        key.push(runtime.map_or(0, |r| std::ptr::from_ref(r) as usize));
        key.extend(sets.iter().map(|s| std::ptr::from_ref(*s) as usize));
        if let Some(found) = self.memo.get(&key) {
            return found.clone();
        }
        let mut out: Vec<(&'a Name, Vec<&'a Field>)> = Vec::new();
        let mut seen: HashSet<&'a Name> = HashSet::new();
        for set in sets {
            self.collect_into(set, runtime.map(Name::as_str), &mut seen, &mut out);
        }
        let collected: Collected<'a> = out
            .into_iter()
            .map(|(key, group)| Entry {
                key,
                hidden: group.iter().all(|f| f.name.pos == ADDED),
                ty: runtime.and_then(|r| self.shapes.field_type(r, &group[0].name.node)),
                sets: group
                    .iter()
                    .map(|f| &f.selection_set.node)
                    .filter(|s| !s.items.is_empty())
                    .collect(),
            })
            .collect();
        self.memo.insert(key, collected.clone());
        collected
    }

    fn collect_into(
        &self,
        set: &'a SelectionSet,
        runtime: Option<&str>,
        seen: &mut HashSet<&'a Name>,
        out: &mut Vec<(&'a Name, Vec<&'a Field>)>,
    ) {
        for item in &set.items {
            if self.skipped(item.node.directives()) {
                continue;
            }
            match &item.node {
                Selection::Field(field) => {
                    let key = &field.node.response_key().node;
                    match out.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, group)) => group.push(&field.node),
                        None => out.push((key, vec![&field.node])),
                    }
                }
                Selection::InlineFragment(inline) => {
                    let applies = inline
                        .node
                        .type_condition
                        .as_ref()
                        .is_none_or(|c| self.shapes.applies(&c.node.on.node, runtime));
                    if applies {
                        self.collect_into(&inline.node.selection_set.node, runtime, seen, out);
                    }
                }
                Selection::FragmentSpread(spread) => {
                    let Some((name, fragment)) = self.doc.fragments.get_key_value(&spread.node.fragment_name.node)
                    else {
                        continue;
                    };
                    // Each fragment once per object, as CollectFields does.
                    if self.shapes.applies(&fragment.node.type_condition.node.on.node, runtime) && seen.insert(name) {
                        self.collect_into(&fragment.node.selection_set.node, runtime, seen, out);
                    }
                }
            }
        }
    }

    /// Whether `@skip` or `@include` leave the selection out.
    fn skipped(&self, directives: &[Positioned<Directive>]) -> bool {
        directives.iter().any(|d| {
            let wanted = match d.node.name.node.as_str() {
                "skip" => true,
                "include" => false,
                _ => return false,
            };
            let condition = d.node.get_argument("if").is_some_and(|v| {
                let value = v
                    .node
                    .clone()
                    .into_const_with(|name| Ok::<_, ()>(self.variables.get(&name).cloned().unwrap_or_default()));
                matches!(value, Ok(Value::Boolean(true)))
            });
            condition == wanted
        })
    }
}

fn comma(out: &mut Vec<u8>, first: &mut bool) {
    if !std::mem::take(first) {
        out.push(b',');
    }
}

/// Writes a whole answer: `data` in the order of the document, then
/// `errors` and `extensions` when there are any.
pub fn write_response(
    shapes: &Shapes,
    doc: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &serde_json::Value,
    response: &async_graphql::Response,
) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(4096);
    out.extend_from_slice(b"{\"data\":");
    match operation(doc, operation_name) {
        Some(op) => Writer::new(shapes, doc, op, variables).data(&mut out, &response.data, op)?,
        None => serde_json::to_writer(&mut out, &response.data)?,
    }
    if !response.errors.is_empty() {
        out.extend_from_slice(b",\"errors\":");
        serde_json::to_writer(&mut out, &response.errors)?;
    }
    if !response.extensions.is_empty() {
        out.extend_from_slice(b",\"extensions\":");
        serde_json::to_writer(&mut out, &response.extensions)?;
    }
    out.push(b'}');
    out.flush()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SDL: &str = r#"
        type Query { a: A u: [U!]! node: Node }
        interface Node { id: ID! }
        type A implements Node { id: ID! x: Int y: Int b: B }
        type B implements Node { id: ID! y: Int x: Int }
        union U = A | B
    "#;

    fn answer(query: &str, data: serde_json::Value) -> String {
        let shapes = Shapes::from_sdl(SDL);
        let mut doc = async_graphql::parser::parse_query(query).unwrap();
        shapes.mark_abstract(&mut doc);
        let response = async_graphql::Response::new(Value::from_json(data).unwrap());
        let body = write_response(&shapes, &doc, None, &serde_json::json!({}), &response).unwrap();
        String::from_utf8(body).unwrap()
    }

    #[test]
    fn objects_follow_the_selection_set_whatever_order_they_were_resolved_in() {
        let got = answer(
            "{ a { y b { x y } x } }",
            serde_json::json!({ "a": { "x": 1, "b": { "y": 2, "x": 3 }, "y": 4 } }),
        );
        assert_eq!(got, r#"{"data":{"a":{"y":4,"b":{"x":3,"y":2},"x":1}}}"#);
    }

    #[test]
    fn type_conditions_follow_the_runtime_type() {
        let query = "{ u { ... on A { x y } ... on B { y x } } }";
        let data = serde_json::json!({ "u": [
            { "x": 1, "y": 2, "__kijiType": "B" },
            { "y": 3, "x": 4, "__kijiType": "A" },
        ] });
        assert_eq!(
            answer(query, data),
            r#"{"data":{"u":[{"y":2,"x":1},{"x":4,"y":3}]}}"#,
            "the hidden type key is used and left out"
        );
    }

    #[test]
    fn fragments_aliases_and_skipped_fields_are_collected_in_document_order() {
        let query = "query { ...F z: a { id } a { ...G @skip(if: true) id ...G } } fragment F on Query { node { id } } fragment G on A { x }";
        let data = serde_json::json!({ "a": { "x": 1, "id": "1" }, "z": { "id": "2" }, "node": { "id": "3", "__kijiType": "A" } });
        assert_eq!(
            answer(query, data),
            r#"{"data":{"node":{"id":"3"},"z":{"id":"2"},"a":{"id":"1","x":1}}}"#
        );
    }

    #[test]
    fn directives_see_variable_defaults_and_unforeseen_keys_hide_the_type_key() {
        let query = "query($full: Boolean = true) { a @include(if: $full) { x y } }";
        let data = serde_json::json!({ "a": { "y": 1, "x": 2 } });
        assert_eq!(answer(query, data), r#"{"data":{"a":{"x":2,"y":1}}}"#);
        // A key the document does not explain is kept, without the hidden key inside.
        let data = serde_json::json!({ "a": { "y": 1, "x": 2 }, "extra": { "__kijiType": "A", "id": "1" } });
        assert_eq!(
            answer("{ a { x y } }", data),
            r#"{"data":{"a":{"x":2,"y":1},"extra":{"id":"1"}}}"#
        );
    }

    #[test]
    fn marking_adds_the_type_key_only_under_abstract_types() {
        let shapes = Shapes::from_sdl(SDL);
        let mut doc = async_graphql::parser::parse_query("{ a { x } u { ... on A { x } } }").unwrap();
        shapes.mark_abstract(&mut doc);
        let op = operation(&doc, None).unwrap();
        let fields: Vec<(String, usize)> = op
            .selection_set
            .node
            .items
            .iter()
            .filter_map(|i| match &i.node {
                Selection::Field(f) => Some((f.node.name.node.to_string(), f.node.selection_set.node.items.len())),
                _ => None,
            })
            .collect();
        assert_eq!(fields, [("a".to_owned(), 1), ("u".to_owned(), 2)]);
    }
}
