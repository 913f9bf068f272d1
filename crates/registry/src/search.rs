//! Label search: one normalisation for what is indexed and what is asked,
//! and an in-memory index of every label, kept in step with the event log.
//!
//! - **Normalisation.** Texts are compared as [`search_key`] gives them
//!   (Unicode NFKC, so full-width letters, digits and signs and half-width
//!   katakana become their usual forms; lower case; runs of white space as
//!   one space). Model numbers are also compared as
//!   [`crate::verify::model_key`] gives them (hyphens, spaces and dots
//!   removed), so `ＮＣ－２００`, `nc200` and `NC-200` are one model, as in
//!   bulk verification.
//! - **Index.** Every label's searchable text, split by field, with posting
//!   lists of its two- and three-character sequences. A text of two or more
//!   characters narrows the candidates through those lists; every candidate
//!   is then checked against the query exactly, so the lists only ever
//!   save work, never decide. Results come in registration order with an
//!   exact hit count, so pages are stable.
//! - **Keeping in step.** The labels table changes only with events. Before
//!   answering, the index compares itself with the chain head (at most once
//!   a second unless this process wrote since) and reloads the labels named
//!   by the events it has not seen; several server processes on one
//!   database each keep their own index this way. `rebuild` starts over.
//!
//! Why not the databases' own indexes: SQLite's FTS5 trigram table and
//! PostgreSQL's pg_trgm could not count hits, or answer a filter that keeps
//! none of a common text's matches, within the figures the search must
//! reach on both backends (docs/benchmarks.md); one index in the process
//! also gives both backends the same answers by construction.
//!
//! This module never writes to the store.

// The index's hot loops address its own posting lists and bitmaps with
// positions computed from their lengths in the same function; checked
// access there cost measurable search throughput. Query text is only
// touched through iterators.
#![allow(clippy::indexing_slicing)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use unicode_normalization::UnicodeNormalization;

use crate::Registry;
use crate::error::{Error, Result};
use crate::model::{Label, LabelStatus, LabelSummary, Level, ModelMatch, SearchPage, SearchQuery};
use crate::number::parse_registration_number;
use crate::verify::model_key;

/// How long the index trusts itself without asking the database for the
/// chain head, when this process has not written since.
const HEAD_CHECK: Duration = Duration::from_secs(1);

/// More labels touched since the index was built than this: build anew.
const INCREMENTAL_MAX: i64 = 2000;

/// Result lists kept for repeated queries: most entries, most ids in all.
const CACHE_ENTRIES: usize = 512;
const CACHE_IDS: usize = 4_000_000;

/// The form texts are compared in: NFKC, lower case, white space runs as
/// one space, trimmed.
pub fn search_key(s: &str) -> String {
    let folded: String = if s.is_ascii() {
        s.to_ascii_lowercase()
    } else {
        s.nfkc().collect::<String>().to_lowercase()
    };
    let mut out = String::with_capacity(folded.len());
    for w in folded.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// One label as the index holds it.
struct Doc {
    seq: i64,
    number_upper: String,
    company: String,
    products: Vec<String>,
    models: Vec<String>,
    model_keys: Vec<String>,
    types: Vec<String>,
    /// Every searchable part (the fields above and the lower-cased number),
    /// one a line: what `text` is matched against.
    all: String,
    /// What a result shows; also the level, the stored status and the
    /// dates the criteria compare.
    summary: LabelSummary,
}

impl Doc {
    fn new(l: &Label) -> Result<Doc> {
        let seq = parse_registration_number(&l.number)?.sequence() as i64;
        let company = search_key(&l.applicant.company);
        let products: Vec<String> = l.products.iter().map(|p| search_key(&p.name)).collect();
        let models: Vec<String> = l
            .products
            .iter()
            .flat_map(|p| p.model_numbers.iter().map(|m| search_key(m)))
            .collect();
        let model_keys: Vec<String> = l
            .products
            .iter()
            .flat_map(|p| p.model_numbers.iter().map(|m| model_key(m)))
            .collect();
        let mut types: Vec<String> = l
            .products
            .iter()
            .map(|p| search_key(&p.product_type))
            .filter(|t| !t.is_empty())
            .collect();
        types.dedup();
        let mut all = l.number.to_lowercase();
        for part in std::iter::once(&company)
            .chain(&products)
            .chain(&models)
            .chain(&model_keys)
            .chain(&types)
        {
            all.push('\n');
            all.push_str(part);
        }
        Ok(Doc {
            seq,
            number_upper: l.number.to_ascii_uppercase(),
            company,
            products,
            models,
            model_keys,
            types,
            all,
            summary: crate::queries::summary(l),
        })
    }

    fn status(&self, today: NaiveDate) -> LabelStatus {
        if matches!(
            self.summary.status,
            LabelStatus::Active | LabelStatus::UnderSurveillance
        ) && today > self.summary.valid_until
        {
            LabelStatus::Expired
        } else {
            self.summary.status
        }
    }

    /// The two- and three-character sequences of every part, sorted and
    /// without repeats. Sequences never span two parts.
    fn grams(&self) -> Vec<u64> {
        let mut out = Vec::new();
        for part in self.all.split('\n') {
            grams_of(part, &mut out);
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

fn gram(a: char, b: char, c: Option<char>) -> u64 {
    // 21 bits a character (Unicode ends below 0x110000), shifted by one so
    // that a two-character sequence differs from any three-character one.
    let v = |c: char| u64::from(c) + 1;
    (v(a) << 42) | (v(b) << 21) | c.map_or(0, v)
}

fn grams_of(s: &str, out: &mut Vec<u64>) {
    let chars: Vec<char> = s.chars().collect();
    for i in 0..chars.len() {
        if i + 1 < chars.len() {
            out.push(gram(chars[i], chars[i + 1], None));
        }
        if i + 2 < chars.len() {
            out.push(gram(chars[i], chars[i + 1], Some(chars[i + 2])));
        }
    }
}

/// The grams a needle's every occurrence must contain: its one bigram when
/// it has two characters, else its trigrams. None when it has fewer than
/// two characters (nothing narrows it).
fn needle_grams(needle: &str) -> Option<Vec<u64>> {
    let chars: Vec<char> = needle.chars().collect();
    match chars.len() {
        0 | 1 => None,
        2 => Some(vec![gram(chars[0], chars[1], None)]),
        n => {
            let mut g: Vec<u64> = (0..n - 2)
                .map(|i| gram(chars[i], chars[i + 1], Some(chars[i + 2])))
                .collect();
            g.sort_unstable();
            g.dedup();
            Some(g)
        }
    }
}

/// A text criterion after normalisation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Needle {
    key: String,
    /// The model-number form (no hyphens, spaces, dots), where it applies
    /// and differs from `key`.
    compact: Option<String>,
}

impl Needle {
    fn plain(text: &str) -> Option<Needle> {
        let key = search_key(text);
        (!key.is_empty()).then_some(Needle { key, compact: None })
    }

    fn model(text: &str) -> Option<Needle> {
        let key = search_key(text);
        if key.is_empty() {
            return None;
        }
        let compact = model_key(text);
        let compact = (!compact.is_empty() && compact != key).then_some(compact);
        Some(Needle { key, compact })
    }
}

/// A query in normalised form: what the result cache is keyed by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Prepared {
    text: Option<Needle>,
    company: Option<Needle>,
    product: Option<Needle>,
    model: Option<Needle>,
    model_match: ModelMatch,
    product_type: Option<Needle>,
    number: Option<NumberCriterion>,
    level: Option<Level>,
    status: Option<LabelStatus>,
    issued: (Option<NaiveDate>, Option<NaiveDate>),
    valid_until: (Option<NaiveDate>, Option<NaiveDate>),
    /// Statuses depend on the date.
    today: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum NumberCriterion {
    Exact(String),
    Prefix(String),
}

fn contains_any(parts: &[String], needle: &str) -> bool {
    parts.iter().any(|p| p.contains(needle))
}

impl Prepared {
    fn new(q: &SearchQuery, today: NaiveDate) -> Prepared {
        let number = q
            .number
            .as_deref()
            .map(|n| n.nfkc().collect::<String>())
            .map(|n| n.trim().to_ascii_uppercase())
            .filter(|n| !n.is_empty())
            .map(|n| match parse_registration_number(&n) {
                Ok(full) => NumberCriterion::Exact(full.to_string()),
                Err(_) => NumberCriterion::Prefix(n),
            });
        Prepared {
            text: q.text.as_deref().and_then(Needle::model),
            company: q.company.as_deref().and_then(Needle::plain),
            product: q.product.as_deref().and_then(Needle::plain),
            model: q.model.as_deref().and_then(Needle::model),
            model_match: q.model_match,
            product_type: q.product_type.as_deref().and_then(Needle::plain),
            number,
            level: q.level,
            status: q.status,
            issued: (q.issued_from, q.issued_to),
            valid_until: (q.valid_until_from, q.valid_until_to),
            today,
        }
    }

    fn model_matches(&self, d: &Doc, n: &Needle) -> bool {
        let test = |hay: &str, needle: &str| match self.model_match {
            ModelMatch::Contains => hay.contains(needle),
            ModelMatch::Prefix => hay.starts_with(needle),
            ModelMatch::Exact => hay == needle,
        };
        d.models.iter().any(|m| test(m, &n.key))
            || d.model_keys
                .iter()
                .any(|m| test(m, n.compact.as_deref().unwrap_or(&n.key)))
    }

    /// The whole truth for one label.
    fn matches(&self, d: &Doc) -> bool {
        if self.level.is_some_and(|l| l != d.summary.level) {
            return false;
        }
        if self.status.is_some_and(|s| s != d.status(self.today)) {
            return false;
        }
        let within = |v: NaiveDate, (from, to): (Option<NaiveDate>, Option<NaiveDate>)| {
            from.is_none_or(|f| v >= f) && to.is_none_or(|t| v <= t)
        };
        if !within(d.summary.issued_on, self.issued)
            || !within(d.summary.valid_until, self.valid_until)
        {
            return false;
        }
        match &self.number {
            Some(NumberCriterion::Exact(n)) if &d.number_upper != n => return false,
            Some(NumberCriterion::Prefix(p)) if !d.number_upper.starts_with(p.as_str()) => {
                return false;
            }
            _ => {}
        }
        if let Some(n) = &self.company
            && !d.company.contains(&n.key)
        {
            return false;
        }
        if let Some(n) = &self.product
            && !contains_any(&d.products, &n.key)
        {
            return false;
        }
        if let Some(n) = &self.product_type
            && !contains_any(&d.types, &n.key)
        {
            return false;
        }
        if let Some(n) = &self.model
            && !self.model_matches(d, n)
        {
            return false;
        }
        if let Some(n) = &self.text {
            let hit = d.all.split('\n').any(|p| p.contains(&n.key))
                || n.compact
                    .as_deref()
                    .is_some_and(|c| contains_any(&d.model_keys, c));
            if !hit {
                return false;
            }
        }
        true
    }

    /// Every needle the candidates must be narrowed by, each as the
    /// alternatives one of which a match contains.
    fn narrowing(&self) -> Vec<Vec<&str>> {
        let mut out = Vec::new();
        for n in [
            &self.text,
            &self.company,
            &self.product,
            &self.model,
            &self.product_type,
        ]
        .into_iter()
        .flatten()
        {
            let mut alts = vec![n.key.as_str()];
            if let Some(c) = &n.compact {
                alts.push(c);
            }
            out.push(alts);
        }
        out
    }
}

/// Sorted intersection.
fn intersect(a: &[u32], b: &[u32]) -> Vec<u32> {
    let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let mut out = Vec::with_capacity(small.len());
    if small.len() * 16 < large.len() {
        // Very different sizes: look the few up in the many.
        let mut rest = large;
        for &x in small {
            match rest.binary_search(&x) {
                Ok(i) => {
                    out.push(x);
                    rest = &rest[i + 1..];
                }
                Err(i) => rest = &rest[i..],
            }
        }
        return out;
    }
    let (mut i, mut j) = (0, 0);
    while i < small.len() && j < large.len() {
        match small[i].cmp(&large[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(small[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

/// Sorted union without repeats.
fn union(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let x = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) if x < y => {
                i += 1;
                x
            }
            (Some(&x), Some(&y)) if x > y => {
                j += 1;
                y
            }
            (Some(&x), Some(_)) => {
                i += 1;
                j += 1;
                x
            }
            (Some(&x), None) => {
                i += 1;
                x
            }
            (None, Some(&y)) => {
                j += 1;
                y
            }
            (None, None) => break,
        };
        out.push(x);
    }
    out
}

/// The labels as of one chain head.
struct Index {
    head: i64,
    /// In registration order: a doc's position is its id in the postings.
    docs: Vec<Doc>,
    by_number: HashMap<String, u32>,
    postings: HashMap<u64, Vec<u32>>,
    cache: Mutex<ResultCache>,
}

#[derive(Default)]
struct ResultCache {
    entries: HashMap<Prepared, (u64, Arc<Vec<u32>>)>,
    ids: usize,
    tick: u64,
}

impl ResultCache {
    fn get(&mut self, p: &Prepared) -> Option<Arc<Vec<u32>>> {
        self.tick += 1;
        let tick = self.tick;
        self.entries.get_mut(p).map(|e| {
            e.0 = tick;
            e.1.clone()
        })
    }

    fn put(&mut self, p: Prepared, ids: Arc<Vec<u32>>) {
        if ids.len() > CACHE_IDS / 4 {
            return;
        }
        self.tick += 1;
        self.ids += ids.len();
        if let Some(old) = self.entries.insert(p, (self.tick, ids)) {
            self.ids -= old.1.len();
        }
        while self.entries.len() > CACHE_ENTRIES || self.ids > CACHE_IDS {
            let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, (t, _))| *t)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some((_, v)) = self.entries.remove(&oldest) {
                self.ids -= v.len();
            }
        }
    }
}

impl Index {
    fn build(head: i64, labels: Vec<Label>) -> Result<Index> {
        let mut docs = labels.iter().map(Doc::new).collect::<Result<Vec<_>>>()?;
        docs.sort_by_key(|d| d.seq);
        let mut ix = Index {
            head,
            docs: Vec::new(),
            by_number: HashMap::with_capacity(docs.len()),
            postings: HashMap::new(),
            cache: Mutex::default(),
        };
        for d in docs {
            ix.push(d);
        }
        Ok(ix)
    }

    fn push(&mut self, d: Doc) {
        let id = self.docs.len() as u32;
        for g in d.grams() {
            self.postings.entry(g).or_default().push(id);
        }
        self.by_number.insert(d.number_upper.clone(), id);
        self.docs.push(d);
    }

    /// Put a changed or new label in. False when it cannot be done in place
    /// (a new label that is not the newest): the caller builds anew.
    fn upsert(&mut self, d: Doc) -> bool {
        if let Some(&id) = self.by_number.get(&d.number_upper) {
            let old = self.docs[id as usize].grams();
            let new = d.grams();
            for g in old.iter().filter(|g| new.binary_search(g).is_err()) {
                if let Some(list) = self.postings.get_mut(g)
                    && let Ok(i) = list.binary_search(&id)
                {
                    list.remove(i);
                }
            }
            for g in new.iter().filter(|g| old.binary_search(g).is_err()) {
                let list = self.postings.entry(*g).or_default();
                if let Err(i) = list.binary_search(&id) {
                    list.insert(i, id);
                }
            }
            self.docs[id as usize] = d;
            return true;
        }
        if self.docs.last().is_some_and(|last| last.seq >= d.seq) {
            return false;
        }
        self.push(d);
        true
    }

    /// Candidates for one needle's alternatives (None: cannot narrow).
    fn candidates(&self, alts: &[&str]) -> Option<Vec<u32>> {
        let mut acc: Option<Vec<u32>> = None;
        for alt in alts {
            let grams = needle_grams(alt)?;
            let mut lists: Vec<&[u32]> = Vec::with_capacity(grams.len());
            for g in &grams {
                match self.postings.get(g) {
                    Some(l) => lists.push(l),
                    None => {
                        lists.clear();
                        lists.push(&[]);
                        break;
                    }
                }
            }
            lists.sort_by_key(|l| l.len());
            let mut found = lists[0].to_vec();
            for l in &lists[1..] {
                if found.is_empty() {
                    break;
                }
                found = intersect(&found, l);
            }
            acc = Some(match acc {
                None => found,
                Some(prev) => union(&prev, &found),
            });
        }
        acc
    }

    fn run(&self, p: &Prepared) -> Arc<Vec<u32>> {
        if let Some(hit) = self.cache.lock().ok().and_then(|mut c| c.get(p)) {
            return hit;
        }
        let ids: Vec<u32> = if let Some(NumberCriterion::Exact(n)) = &p.number {
            self.by_number
                .get(n)
                .copied()
                .filter(|&id| p.matches(&self.docs[id as usize]))
                .into_iter()
                .collect()
        } else {
            let mut cand: Option<Vec<u32>> = None;
            for alts in p.narrowing() {
                if let Some(c) = self.candidates(&alts) {
                    cand = Some(match cand {
                        None => c,
                        Some(prev) => intersect(&prev, &c),
                    });
                }
            }
            match cand {
                Some(c) => c
                    .into_iter()
                    .filter(|&id| p.matches(&self.docs[id as usize]))
                    .collect(),
                None => (0..self.docs.len() as u32)
                    .filter(|&id| p.matches(&self.docs[id as usize]))
                    .collect(),
            }
        };
        let ids = Arc::new(ids);
        if let Ok(mut c) = self.cache.lock() {
            c.put(p.clone(), ids.clone());
        }
        ids
    }
}

/// The search side of a [`Registry`]: its index and when it was last
/// compared with the database.
#[derive(Default)]
pub(crate) struct SearchState {
    index: RwLock<Option<Index>>,
    /// One task at a time brings the index up to date.
    updating: tokio::sync::Mutex<()>,
    /// (store generation, when) of the last comparison with the chain head.
    checked: Mutex<Option<(u64, Instant)>>,
    /// Set by `rebuild`: the labels table was rewritten under the same head.
    stale: std::sync::atomic::AtomicBool,
}

impl SearchState {
    pub(crate) fn invalidate(&self) {
        self.stale.store(true, std::sync::atomic::Ordering::Release);
    }

    fn fresh(&self, generation: u64) -> bool {
        if self.stale.load(std::sync::atomic::Ordering::Acquire) {
            return false;
        }
        matches!(
            *self.checked.lock().unwrap_or_else(|e| e.into_inner()),
            Some((g, at)) if g == generation && at.elapsed() < HEAD_CHECK
        )
    }
}

async fn all_labels(reg: &Registry) -> Result<Vec<Label>> {
    let mut out = Vec::new();
    let mut after = 0i64;
    loop {
        let page = reg.inner.store.labels_after(after, 2000).await?;
        let Some(last) = page.last() else { break };
        after = parse_registration_number(&last.number)?.sequence() as i64;
        out.extend(page);
    }
    Ok(out)
}

/// Bring the index up to the database's chain head.
async fn refresh(reg: &Registry) -> Result<()> {
    let st = &reg.inner.search;
    let generation = reg.inner.store.generation();
    if st.fresh(generation) {
        return Ok(());
    }
    let _one = st.updating.lock().await;
    if st.fresh(generation) {
        return Ok(());
    }
    let stale = st.stale.swap(false, std::sync::atomic::Ordering::AcqRel);
    let head = reg.inner.store.head().await?.0;
    let known = st
        .index
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .map(|ix| ix.head);
    let mut rebuild = stale || known.is_none_or(|k| k > head);
    if let Some(k) = known.filter(|&k| !rebuild && k < head) {
        let numbers = reg
            .inner
            .store
            .labels_touched_since(k, INCREMENTAL_MAX + 1)
            .await?;
        if numbers.len() as i64 > INCREMENTAL_MAX {
            rebuild = true;
        } else {
            let mut docs = Vec::with_capacity(numbers.len());
            for n in &numbers {
                match reg.inner.store.load_label(n).await? {
                    Some(l) => docs.push(Doc::new(&l)?),
                    None => rebuild = true,
                }
            }
            docs.sort_by_key(|d| d.seq);
            if !rebuild {
                let mut guard = st.index.write().unwrap_or_else(|e| e.into_inner());
                if let Some(ix) = guard.as_mut() {
                    for d in docs {
                        if !ix.upsert(d) {
                            rebuild = true;
                            break;
                        }
                    }
                    ix.head = head;
                    ix.cache = Mutex::default();
                }
            }
        }
    }
    if rebuild {
        let labels = all_labels(reg).await?;
        // Building is a second of CPU at 100,000 labels: off the async
        // workers, so other requests keep being served meanwhile.
        let ix = tokio::task::spawn_blocking(move || Index::build(head, labels))
            .await
            .map_err(|e| {
                Error::Io(std::io::Error::other(format!(
                    "building the search index: {e}"
                )))
            })??;
        *st.index.write().unwrap_or_else(|e| e.into_inner()) = Some(ix);
    }
    *st.checked.lock().unwrap_or_else(|e| e.into_inner()) = Some((generation, Instant::now()));
    Ok(())
}

/// For each label number, whether the label's company and product types
/// contain these texts (absent texts match everything; unknown labels do
/// not match). The feeds filter by company and product type through this,
/// so they compare texts exactly as search does.
pub(crate) async fn labels_match(
    reg: &Registry,
    numbers: &[&str],
    company: Option<&str>,
    product_type: Option<&str>,
) -> Result<Vec<bool>> {
    refresh(reg).await?;
    let company = company.and_then(Needle::plain);
    let product_type = product_type.and_then(Needle::plain);
    let guard = reg
        .inner
        .search
        .index
        .read()
        .unwrap_or_else(|e| e.into_inner());
    Ok(numbers
        .iter()
        .map(|n| {
            let Some(ix) = guard.as_ref() else {
                return false;
            };
            let Some(&id) = ix.by_number.get(&n.to_ascii_uppercase()) else {
                return false;
            };
            let d = &ix.docs[id as usize];
            company.as_ref().is_none_or(|c| d.company.contains(&c.key))
                && product_type
                    .as_ref()
                    .is_none_or(|t| contains_any(&d.types, &t.key))
        })
        .collect())
}

/// For each model-number key ([`model_key`] form), the labels carrying a
/// model number of exactly that key, by registration number (sorted).
/// Bulk verification looks its model rows up here.
pub(crate) async fn numbers_by_model_key(
    reg: &Registry,
    keys: &[&str],
) -> Result<HashMap<String, Vec<String>>> {
    refresh(reg).await?;
    let guard = reg
        .inner
        .search
        .index
        .read()
        .unwrap_or_else(|e| e.into_inner());
    let mut out = HashMap::new();
    let Some(ix) = guard.as_ref() else {
        return Ok(out);
    };
    for &key in keys {
        let has = |id: &u32| ix.docs[*id as usize].model_keys.iter().any(|m| m == key);
        let mut numbers: Vec<String> = match ix.candidates(&[key]) {
            Some(c) => c
                .iter()
                .filter(|id| has(id))
                .map(|&id| ix.docs[id as usize].summary.number.clone())
                .collect(),
            None => (0..ix.docs.len() as u32)
                .filter(has)
                .map(|id| ix.docs[id as usize].summary.number.clone())
                .collect(),
        };
        if !numbers.is_empty() {
            numbers.sort();
            out.insert(key.to_string(), numbers);
        }
    }
    Ok(out)
}

/// Build the index now (a server does this at start, so the first search
/// does not wait for it).
pub(crate) async fn warm(reg: &Registry) -> Result<()> {
    refresh(reg).await
}

/// One page of matches in registration order, with the number of matches
/// over all pages.
pub(crate) async fn search(reg: &Registry, q: &SearchQuery) -> Result<SearchPage> {
    let limit = if q.limit == 0 { 20 } else { q.limit.min(200) };
    let offset = q.offset.min(1_000_000);
    for (field, value, max) in [
        ("search", &q.text, 200),
        ("company", &q.company, 200),
        ("product", &q.product, 200),
        ("model", &q.model, 200),
        ("product_type", &q.product_type, 200),
        ("number", &q.number, 64),
    ] {
        if let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            crate::store::check_text(field, v, max)?;
        }
    }
    for (field, from, to) in [
        ("issued_from", q.issued_from, q.issued_to),
        ("valid_until_from", q.valid_until_from, q.valid_until_to),
    ] {
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(Error::invalid(
                field,
                crate::error::t(
                    format!("{f} が {t} より後です: 範囲が空になります"),
                    format!("{f} is after {t}: the range is empty"),
                ),
            ));
        }
    }
    refresh(reg).await?;
    let today = reg.today();
    let p = Prepared::new(q, today);
    let guard = reg
        .inner
        .search
        .index
        .read()
        .unwrap_or_else(|e| e.into_inner());
    let ids = guard.as_ref().map(|ix| (ix, ix.run(&p)));
    let total = ids.as_ref().map_or(0, |(_, ids)| ids.len() as u64);
    let items = ids
        .iter()
        .flat_map(|(ix, ids)| {
            ids.iter()
                .skip(offset as usize)
                .take(limit as usize)
                .map(|&id| {
                    let d = &ix.docs[id as usize];
                    LabelSummary {
                        status: d.status(today),
                        ..d.summary.clone()
                    }
                })
        })
        .collect();
    Ok(SearchPage {
        items,
        total,
        offset,
        limit,
        next_offset: (offset + limit < total).then_some(offset + limit),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_fold_width_case_and_spaces() {
        assert_eq!(search_key("  ＡＢＣ　Ｃａｍｅｒａ  "), "abc camera");
        assert_eq!(search_key("ＮＣ－２００"), "nc-200");
        assert_eq!(search_key("ｶﾒﾗ"), "カメラ");
        assert_eq!(search_key("Gamma\tK.K."), "gamma k.k.");
    }

    #[test]
    fn grams_narrow_without_deciding() {
        assert_eq!(needle_grams("a"), None);
        assert_eq!(needle_grams("ab").unwrap().len(), 1);
        // "aaaa" has one distinct trigram.
        assert_eq!(needle_grams("aaaa").unwrap().len(), 1);
        let mut g = Vec::new();
        grams_of("abc", &mut g);
        assert_eq!(g.len(), 3);
        assert_ne!(gram('a', 'b', None), gram('a', 'b', Some('\0')));
    }

    #[test]
    fn set_operations() {
        assert_eq!(intersect(&[1, 3, 5, 7], &[3, 4, 5]), vec![3, 5]);
        let many: Vec<u32> = (0..1000).collect();
        assert_eq!(intersect(&[5, 999, 2000], &many), vec![5, 999]);
        assert_eq!(union(&[1, 4], &[2, 4, 9]), vec![1, 2, 4, 9]);
        assert_eq!(union(&[], &[2]), vec![2]);
    }
}
