//! Updating a TOML checklist in place: the vendor's comments, blank lines,
//! key order and quoting survive; only values that changed are rewritten
//! and new entries are added next to their neighbours.

use toml_edit::{DocumentMut, Item, Table, Value};

use crate::error::ChecklistError;
use crate::format::Format;
use crate::model::Checklist;

/// `old` (the file as the vendor keeps it) with the values of `new`.
pub(crate) fn update(old: &str, new: &Checklist) -> Result<String, ChecklistError> {
    let mut doc: DocumentMut = old.parse().map_err(|e: toml_edit::TomlError| {
        let (line, column) = match e.span() {
            Some(span) => crate::format::line_col(old.as_bytes(), span.start),
            None => (1, 1),
        };
        ChecklistError::Parse {
            file: "checklist".into(),
            line,
            column,
            message: e.message().trim().to_string(),
        }
    })?;
    let fresh_text = new.to_string_with_format(Format::Toml)?;
    let fresh: DocumentMut =
        fresh_text
            .parse()
            .map_err(|e: toml_edit::TomlError| ChecklistError::Serialize {
                format: "toml",
                message: e.to_string(),
            })?;
    sync_table(doc.as_table_mut(), fresh.as_table());
    let out = doc.to_string();
    // The edit must mean exactly the new checklist; if the vendor's layout
    // defeats it (e.g. a dotted-key form this merge does not handle), fall
    // back to the plain serialisation rather than write something else.
    match Checklist::from_str_with_format(&out, Format::Toml, "edit") {
        Ok(back) if back == *new => Ok(out),
        _ => Ok(fresh_text),
    }
}

fn sync_table(old: &mut Table, new: &Table) {
    let stale: Vec<String> = old
        .iter()
        .map(|(k, _)| k.to_string())
        .filter(|k| !new.contains_key(k))
        .collect();
    for k in stale {
        old.remove(&k);
    }
    for (k, nv) in new.iter() {
        match old.get_mut(k) {
            Some(ov) => sync_item(ov, nv),
            None => {
                old.insert(k, unpositioned(nv));
            }
        }
    }
}

fn sync_item(old: &mut Item, new: &Item) {
    if item_eq(old, new) {
        return;
    }
    match (&mut *old, new) {
        (Item::Table(o), Item::Table(n)) => sync_table(o, n),
        (Item::ArrayOfTables(o), Item::ArrayOfTables(n)) => {
            for (i, nt) in n.iter().enumerate() {
                match o.get_mut(i) {
                    Some(ot) => sync_table(ot, nt),
                    None => {
                        let mut t = nt.clone();
                        clear_positions(&mut t);
                        o.push(t);
                    }
                }
            }
            while o.len() > n.len() {
                o.remove(o.len() - 1);
            }
        }
        (Item::Value(o), Item::Value(n)) => {
            let decor = o.decor().clone();
            *o = n.clone();
            *o.decor_mut() = decor;
        }
        (Item::Value(o), Item::Table(n)) => {
            // The vendor wrote an inline table; keep it inline.
            let decor = o.decor().clone();
            let mut v = Value::InlineTable(n.clone().into_inline_table());
            *v.decor_mut() = decor;
            *o = v;
        }
        (o, n) => *o = unpositioned(n),
    }
}

fn unpositioned(item: &Item) -> Item {
    let mut item = item.clone();
    match &mut item {
        Item::Table(t) => clear_positions(t),
        Item::ArrayOfTables(a) => a.iter_mut().for_each(clear_positions),
        _ => {}
    }
    item
}

/// Tables without a position are printed after the table before them, so
/// an added entry lands next to its siblings instead of at the end (where
/// `[[answers.evidence]]` would belong to another answer).
fn clear_positions(t: &mut Table) {
    t.set_position(None);
    for (_, item) in t.iter_mut() {
        match item {
            Item::Table(t) => clear_positions(t),
            Item::ArrayOfTables(a) => a.iter_mut().for_each(clear_positions),
            _ => {}
        }
    }
}

fn item_eq(a: &Item, b: &Item) -> bool {
    match (as_value(a), as_value(b)) {
        (Some(x), Some(y)) => value_eq(&x, &y),
        (None, None) => true,
        _ => false,
    }
}

fn as_value(i: &Item) -> Option<Value> {
    match i {
        Item::None => None,
        Item::Value(v) => Some(v.clone()),
        Item::Table(t) => Some(Value::InlineTable(t.clone().into_inline_table())),
        Item::ArrayOfTables(a) => Some(Value::Array(a.clone().into_array())),
    }
}

fn value_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.value() == y.value(),
        (Value::Integer(x), Value::Integer(y)) => x.value() == y.value(),
        (Value::Float(x), Value::Float(y)) => x.value().to_bits() == y.value().to_bits(),
        (Value::Boolean(x), Value::Boolean(y)) => x.value() == y.value(),
        (Value::Datetime(x), Value::Datetime(y)) => x.value() == y.value(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| value_eq(p, q))
        }
        (Value::InlineTable(x), Value::InlineTable(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| value_eq(v, w)))
        }
        _ => false,
    }
}

/// `text` (a serialised checklist) with each answer headed by a comment
/// naming its criterion in both languages, so a vendor editing the file
/// sees what each `[[answers]]` is about.
pub(crate) fn with_titles(
    text: &str,
    catalog: &jcstar_criteria::Catalog,
) -> Result<String, ChecklistError> {
    let mut doc: DocumentMut =
        text.parse()
            .map_err(|e: toml_edit::TomlError| ChecklistError::Serialize {
                format: "toml",
                message: e.to_string(),
            })?;
    if let Some(Item::ArrayOfTables(answers)) = doc.get_mut("answers") {
        for t in answers.iter_mut() {
            let id = t
                .get("criterion")
                .and_then(Item::as_str)
                .map(str::to_string);
            if let Some(cr) = id.as_deref().and_then(|id| catalog.criterion(id)) {
                t.decor_mut().set_prefix(format!(
                    "\n# {} {}\n# {}\n",
                    cr.id, cr.title.ja, cr.title.en
                ));
            }
        }
    }
    Ok(doc.to_string())
}
