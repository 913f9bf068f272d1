//! Reading SBOMs: CycloneDX 1.4–1.6 JSON and SPDX 2.3 JSON. Components
//! become [`Component`]s with their purl and CPE; what cannot be matched
//! (no version, an absurd one, a dependency cycle, a reference to nothing)
//! is a named [`SbomProblem`], and the rest is still matched.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;
use serde_json::Value;

use crate::feed::split_cpe;
use crate::matcher::{Component, Origin};
use crate::purl::Purl;
use crate::version::{self, Scheme};

/// Nesting deeper than this is not a real SBOM.
const MAX_DEPTH: usize = 32;

/// An SBOM that cannot be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SbomError {
    /// The file is not valid JSON.
    #[error("{file}: not valid JSON at line {line} column {column}: {message}")]
    Json {
        /// The SBOM file, as the caller named it.
        file: String,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// The JSON parser's message.
        message: String,
    },
    /// The JSON is neither CycloneDX nor SPDX.
    #[error(
        "{file}: not an SBOM: expected CycloneDX JSON (\"bomFormat\": \"CycloneDX\") or SPDX JSON (\"spdxVersion\")"
    )]
    UnknownFormat {
        /// The SBOM file.
        file: String,
    },
    /// A CycloneDX or SPDX version this crate does not read.
    #[error(
        "{file}: field {path}: version {found:?} is not supported (CycloneDX 1.4, 1.5, 1.6; SPDX 2.3)"
    )]
    UnsupportedVersion {
        /// The SBOM file.
        file: String,
        /// JSON path of the version field.
        path: String,
        /// The version the file declares.
        found: String,
    },
    /// A field the format requires is missing or has the wrong type.
    #[error("{file}: field {path}: {message}")]
    Field {
        /// The SBOM file.
        file: String,
        /// JSON path of the field.
        path: String,
        /// What is wrong and what was expected.
        message: String,
    },
}

/// Something in an SBOM that was not matched, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SbomProblem {
    /// A component without a version; it is not matched.
    MissingVersion {
        /// The component's name (or reference).
        component: String,
        /// JSON path of the component.
        path: String,
    },
    /// A component whose version is not plausible; it is not matched.
    AbsurdVersion {
        /// The component's name (or reference).
        component: String,
        /// JSON path of the version.
        path: String,
        /// Why the version was refused.
        message: String,
    },
    /// A `purl` that is not a package URL; it is not used.
    BadPurl {
        /// The component's name (or reference).
        component: String,
        /// JSON path of the component.
        path: String,
        /// The text given as purl.
        purl: String,
    },
    /// A CPE that is not a CPE 2.3 name; it is not used.
    BadCpe {
        /// The component's name (or reference).
        component: String,
        /// JSON path of the component.
        path: String,
        /// The text given as CPE.
        cpe: String,
    },
    /// Dependencies that lead back to where they started.
    DependencyCycle {
        /// The references along the cycle, in order.
        cycle: Vec<String>,
    },
    /// A dependency names a reference no component has.
    UnknownReference {
        /// JSON path of the dependency entry.
        path: String,
        /// The reference that names nothing.
        reference: String,
    },
    /// Two components share one reference.
    DuplicateReference {
        /// JSON path of the second component.
        path: String,
        /// The shared reference.
        reference: String,
    },
    /// Components nested too deep to be read.
    TooDeep {
        /// JSON path where reading stopped.
        path: String,
    },
}

impl std::fmt::Display for SbomProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SbomProblem::MissingVersion { component, path } => {
                write!(
                    f,
                    "{path}: component {component} has no version; not matched"
                )
            }
            SbomProblem::AbsurdVersion {
                component,
                path,
                message,
            } => write!(f, "{path}: component {component}: {message}; not matched"),
            SbomProblem::BadPurl {
                component,
                path,
                purl,
            } => write!(
                f,
                "{path}: component {component}: {purl:?} is not a package URL (pkg:type/name@version)"
            ),
            SbomProblem::BadCpe {
                component,
                path,
                cpe,
            } => write!(
                f,
                "{path}: component {component}: {cpe:?} is not a CPE 2.3 name"
            ),
            SbomProblem::DependencyCycle { cycle } => {
                write!(f, "dependency cycle: {}", cycle.join(" → "))
            }
            SbomProblem::UnknownReference { path, reference } => {
                write!(f, "{path}: reference {reference:?} names no component")
            }
            SbomProblem::DuplicateReference { path, reference } => {
                write!(
                    f,
                    "{path}: reference {reference:?} is used by two components"
                )
            }
            SbomProblem::TooDeep { path } => {
                write!(
                    f,
                    "{path}: components nested deeper than {MAX_DEPTH} levels are not read"
                )
            }
        }
    }
}

/// The SBOM standard a file follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SbomFormat {
    /// CycloneDX JSON 1.4–1.6.
    CycloneDx,
    /// SPDX JSON 2.3.
    Spdx,
}

/// A read SBOM: its components ready for matching and what was not usable.
#[derive(Debug, Clone, Serialize)]
pub struct Sbom {
    /// The standard the file follows.
    pub format: SbomFormat,
    /// The standard's version the file declares, e.g. `1.5` or `SPDX-2.3`.
    pub spec_version: String,
    /// The components, in file order.
    pub components: Vec<Component>,
    /// What could not be used, with where it is.
    pub problems: Vec<SbomProblem>,
}

/// Read an SBOM. `file` is how errors name it.
pub fn parse(file: &str, bytes: &[u8]) -> Result<Sbom, SbomError> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| SbomError::Json {
        file: file.into(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    if v.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        cyclonedx(file, &v)
    } else if v.get("spdxVersion").is_some() {
        spdx(file, &v)
    } else {
        Err(SbomError::UnknownFormat { file: file.into() })
    }
}

struct Builder<'f> {
    file: &'f str,
    components: Vec<Component>,
    problems: Vec<SbomProblem>,
    refs: HashSet<String>,
}

impl Builder<'_> {
    fn add(
        &mut self,
        path: &str,
        bom_ref: Option<&str>,
        name: &str,
        version: Option<&str>,
        purl: Option<&str>,
        cpes: &[&str],
    ) {
        let bom_ref = bom_ref
            .map(str::to_string)
            .unwrap_or_else(|| path.to_string());
        if !self.refs.insert(bom_ref.clone()) {
            self.problems.push(SbomProblem::DuplicateReference {
                path: path.into(),
                reference: bom_ref.clone(),
            });
        }
        let label = if name.is_empty() {
            bom_ref.clone()
        } else {
            name.to_string()
        };
        let mut parsed_purl = None;
        if let Some(p) = purl {
            match Purl::parse(p) {
                Some(x) => parsed_purl = Some(x),
                None => self.problems.push(SbomProblem::BadPurl {
                    component: label.clone(),
                    path: path.into(),
                    purl: p.into(),
                }),
            }
        }
        let mut cpe = Vec::new();
        let mut cpe_version = None;
        for c in cpes {
            match split_cpe(c) {
                Some(parts) => {
                    let f = |i: usize| parts.get(i).cloned().unwrap_or_default();
                    cpe.push((f(1), f(2)));
                    let v = f(3);
                    if v != "*" && v != "-" && !v.is_empty() {
                        cpe_version = Some(v);
                    }
                }
                None => self.problems.push(SbomProblem::BadCpe {
                    component: label.clone(),
                    path: path.into(),
                    cpe: c.to_string(),
                }),
            }
        }
        let version = version
            .map(str::to_string)
            .or_else(|| parsed_purl.as_ref().and_then(|p| p.version.clone()))
            .or(cpe_version);
        let version = match version {
            None => {
                self.problems.push(SbomProblem::MissingVersion {
                    component: label.clone(),
                    path: path.into(),
                });
                None
            }
            Some(v) => match version::validate(Scheme::Generic, &v) {
                Ok(()) => Some(v),
                Err(e) => {
                    self.problems.push(SbomProblem::AbsurdVersion {
                        component: label.clone(),
                        path: format!("{path}.version"),
                        message: e.to_string(),
                    });
                    None
                }
            },
        };
        self.components.push(Component {
            name: label,
            version,
            cpe,
            purl: parsed_purl.and(purl.map(str::to_string)),
            origin: Origin::Sbom {
                file: self.file.into(),
                bom_ref,
                path: path.into(),
            },
        });
    }
}

fn s<'v>(v: &'v Value, k: &str) -> Option<&'v str> {
    v.get(k).and_then(Value::as_str)
}

fn arr<'v>(v: &'v Value, k: &str) -> &'v [Value] {
    v.get(k)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn cyclonedx(file: &str, v: &Value) -> Result<Sbom, SbomError> {
    let spec = s(v, "specVersion").unwrap_or("");
    if !matches!(spec, "1.4" | "1.5" | "1.6") {
        return Err(SbomError::UnsupportedVersion {
            file: file.into(),
            path: "$.specVersion".into(),
            found: spec.into(),
        });
    }
    let mut b = Builder {
        file,
        components: Vec::new(),
        problems: Vec::new(),
        refs: HashSet::new(),
    };
    fn walk(b: &mut Builder<'_>, list: &[Value], path: &str, depth: usize) {
        if depth > MAX_DEPTH {
            b.problems.push(SbomProblem::TooDeep { path: path.into() });
            return;
        }
        for (i, c) in list.iter().enumerate() {
            let p = format!("{path}[{i}]");
            let cpes: Vec<&str> = s(c, "cpe").into_iter().collect();
            b.add(
                &p,
                s(c, "bom-ref"),
                s(c, "name").unwrap_or(""),
                s(c, "version"),
                s(c, "purl"),
                &cpes,
            );
            let nested = arr(c, "components");
            if !nested.is_empty() {
                walk(b, nested, &format!("{p}.components"), depth + 1);
            }
        }
    }
    walk(&mut b, arr(v, "components"), "$.components", 0);
    // The product itself (metadata.component) is a node of the graph but
    // not a component to match.
    let mut known = b.refs.clone();
    if let Some(r) = v
        .get("metadata")
        .and_then(|m| m.get("component"))
        .and_then(|c| s(c, "bom-ref"))
    {
        known.insert(r.to_string());
    }
    let mut graph: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (i, d) in arr(v, "dependencies").iter().enumerate() {
        let p = format!("$.dependencies[{i}]");
        let Some(from) = s(d, "ref") else {
            return Err(SbomError::Field {
                file: file.into(),
                path: format!("{p}.ref"),
                message: "missing or not a string".into(),
            });
        };
        if !known.contains(from) {
            b.problems.push(SbomProblem::UnknownReference {
                path: format!("{p}.ref"),
                reference: from.into(),
            });
        }
        for (j, t) in arr(d, "dependsOn").iter().enumerate() {
            let Some(to) = t.as_str() else { continue };
            if !known.contains(to) {
                b.problems.push(SbomProblem::UnknownReference {
                    path: format!("{p}.dependsOn[{j}]"),
                    reference: to.into(),
                });
            }
            graph
                .entry(from.to_string())
                .or_default()
                .push(to.to_string());
        }
    }
    b.problems.extend(cycles(&graph));
    Ok(Sbom {
        format: SbomFormat::CycloneDx,
        spec_version: spec.into(),
        components: b.components,
        problems: b.problems,
    })
}

fn spdx(file: &str, v: &Value) -> Result<Sbom, SbomError> {
    let spec = s(v, "spdxVersion").unwrap_or("");
    if spec != "SPDX-2.3" {
        return Err(SbomError::UnsupportedVersion {
            file: file.into(),
            path: "$.spdxVersion".into(),
            found: spec.into(),
        });
    }
    let mut b = Builder {
        file,
        components: Vec::new(),
        problems: Vec::new(),
        refs: HashSet::new(),
    };
    for (i, p) in arr(v, "packages").iter().enumerate() {
        let path = format!("$.packages[{i}]");
        let mut purl = None;
        let mut cpes = Vec::new();
        for r in arr(p, "externalRefs") {
            let cat = s(r, "referenceCategory").unwrap_or("").replace('_', "-");
            let ty = s(r, "referenceType").unwrap_or("");
            let loc = s(r, "referenceLocator");
            match (cat.as_str(), ty) {
                ("PACKAGE-MANAGER", "purl") => purl = purl.or(loc),
                ("SECURITY", "cpe23Type") => cpes.extend(loc),
                _ => {}
            }
        }
        let version = s(p, "versionInfo").filter(|v| *v != "NOASSERTION");
        b.add(
            &path,
            s(p, "SPDXID"),
            s(p, "name").unwrap_or(""),
            version,
            purl,
            &cpes,
        );
    }
    let mut known = b.refs.clone();
    known.insert(s(v, "SPDXID").unwrap_or("SPDXRef-DOCUMENT").to_string());
    let mut graph: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (i, r) in arr(v, "relationships").iter().enumerate() {
        let p = format!("$.relationships[{i}]");
        let (Some(a), Some(ty), Some(z)) = (
            s(r, "spdxElementId"),
            s(r, "relationshipType"),
            s(r, "relatedSpdxElement"),
        ) else {
            continue;
        };
        for (x, field) in [(a, "spdxElementId"), (z, "relatedSpdxElement")] {
            if !known.contains(x)
                && !x.starts_with("DocumentRef-")
                && x != "NOASSERTION"
                && x != "NONE"
            {
                b.problems.push(SbomProblem::UnknownReference {
                    path: format!("{p}.{field}"),
                    reference: x.into(),
                });
            }
        }
        match ty {
            "DEPENDS_ON" | "CONTAINS" => graph.entry(a.into()).or_default().push(z.into()),
            "DEPENDENCY_OF" | "CONTAINED_BY" => graph.entry(z.into()).or_default().push(a.into()),
            _ => {}
        }
    }
    b.problems.extend(cycles(&graph));
    Ok(Sbom {
        format: SbomFormat::Spdx,
        spec_version: spec.into(),
        components: b.components,
        problems: b.problems,
    })
}

/// One problem per cycle found by a depth-first search (iterative, so a
/// long chain cannot overflow the stack).
fn cycles(graph: &BTreeMap<String, Vec<String>>) -> Vec<SbomProblem> {
    #[derive(Clone, Copy, PartialEq)]
    enum St {
        Open,
        Done,
    }
    let mut state: HashMap<&str, St> = HashMap::new();
    let mut out = Vec::new();
    for start in graph.keys() {
        if state.contains_key(start.as_str()) {
            continue;
        }
        let mut stack: Vec<(&str, usize)> = vec![(start.as_str(), 0)];
        state.insert(start, St::Open);
        while let Some((node, idx)) = stack.last().copied() {
            let next = graph.get(node).and_then(|n| n.get(idx));
            match next {
                Some(to) => {
                    if let Some(top) = stack.last_mut() {
                        top.1 += 1;
                    }
                    match state.get(to.as_str()) {
                        None => {
                            state.insert(to, St::Open);
                            stack.push((to, 0));
                        }
                        Some(St::Open) => {
                            let pos = stack.iter().position(|(n, _)| *n == to).unwrap_or(0);
                            let mut cycle: Vec<String> = stack
                                .get(pos..)
                                .unwrap_or(&[])
                                .iter()
                                .map(|(n, _)| n.to_string())
                                .collect();
                            cycle.push(to.clone());
                            out.push(SbomProblem::DependencyCycle { cycle });
                        }
                        Some(St::Done) => {}
                    }
                }
                None => {
                    state.insert(node, St::Done);
                    stack.pop();
                }
            }
        }
    }
    out
}
