//! Version comparison per ecosystem.
//!
//! Three schemes cover what feeds and devices carry: Semantic Versioning
//! (OSV `SEMVER` ranges, npm, crates.io, Go), Debian package versions (dpkg's
//! own algorithm, so epochs, `~` pre-releases, revisions and backport
//! suffixes such as `2022.83-1+deb12u1` order as apt orders them) and a
//! generic dotted scheme for upstream releases with letters (`1.0.2k`,
//! `2024.84`, `9.6p1`), which is what NVD ranges and banners hold.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

/// How versions of one ecosystem are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// Semantic Versioning 2.0 (npm, crates.io, Go, ...).
    Semver,
    /// Debian package versions, ordered as dpkg orders them (Debian, Ubuntu).
    Debian,
    /// Dotted releases with letters (`1.0.2k`, `9.6p1`), as NVD ranges and banners hold them.
    Generic,
}

impl Scheme {
    /// The scheme OSV `ECOSYSTEM` ranges of `ecosystem` use. Ecosystems
    /// without a dedicated rule fall back to the generic scheme, which
    /// orders PEP 440, Maven and Alpine releases correctly in the common
    /// cases (numbers, then letters).
    pub fn for_ecosystem(ecosystem: &str) -> Scheme {
        let base = ecosystem.split(':').next().unwrap_or(ecosystem);
        match base.to_ascii_lowercase().as_str() {
            "debian" | "ubuntu" => Scheme::Debian,
            "npm" | "crates.io" | "go" | "hex" | "pub" | "nuget" => Scheme::Semver,
            _ => Scheme::Generic,
        }
    }

    /// The lower-case name stored and shown (`semver`, `debian`, `generic`).
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Semver => "semver",
            Scheme::Debian => "debian",
            Scheme::Generic => "generic",
        }
    }
}

/// Why a version string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// The version string is empty.
    #[error("empty version")]
    Empty,
    /// The version is longer than [`MAX_LEN`] characters (the length is given).
    #[error("version of {0} characters (at most {MAX_LEN} are accepted)")]
    TooLong(usize),
    /// The version holds whitespace or control characters.
    #[error(
        "version {0:?} contains whitespace or control characters (expected letters, digits and . - + ~ : _)"
    )]
    BadCharacter(String),
    /// The version has no digit at all.
    #[error("version {0:?} has no digit")]
    NoDigit(String),
    /// Not a valid Debian version.
    #[error(
        "{0:?} is not a Debian version ([epoch:]upstream[-revision], upstream starting with a digit)"
    )]
    Debian(String),
    /// Not a valid semantic version.
    #[error("{0:?} is not a semantic version (MAJOR.MINOR.PATCH[-pre][+build])")]
    Semver(String),
}

/// Longer strings are not versions but data errors (or attacks on the
/// comparison); the longest real release strings are well below this.
pub const MAX_LEN: usize = 128;

/// Accept a version string as plausible for `scheme`, or say why not.
pub fn validate(scheme: Scheme, v: &str) -> Result<(), VersionError> {
    if v.is_empty() {
        return Err(VersionError::Empty);
    }
    if v.len() > MAX_LEN {
        return Err(VersionError::TooLong(v.chars().count()));
    }
    if v.chars()
        .any(|c| c.is_whitespace() || c.is_control() || !c.is_ascii())
    {
        return Err(VersionError::BadCharacter(v.to_string()));
    }
    if !v.bytes().any(|b| b.is_ascii_digit()) {
        return Err(VersionError::NoDigit(v.to_string()));
    }
    match scheme {
        Scheme::Generic => Ok(()),
        Scheme::Debian => DebVersion::parse(v).map(|_| ()),
        Scheme::Semver => parse_semver(v).map(|_| ()),
    }
}

/// Compare two versions under `scheme`. Both are validated first.
pub fn compare(scheme: Scheme, a: &str, b: &str) -> Result<Ordering, VersionError> {
    validate(scheme, a)?;
    validate(scheme, b)?;
    Ok(match scheme {
        Scheme::Generic => generic_cmp(a, b),
        Scheme::Debian => DebVersion::parse(a)?.cmp_to(&DebVersion::parse(b)?),
        Scheme::Semver => parse_semver(a)?.cmp_precedence(&parse_semver(b)?),
    })
}

/// OSV allows a leading `v` in practice although the spec forbids it, and
/// Go modules always carry one; two-part versions are padded.
fn parse_semver(v: &str) -> Result<semver::Version, VersionError> {
    let s = v.strip_prefix('v').unwrap_or(v);
    if let Ok(x) = semver::Version::parse(s) {
        return Ok(x);
    }
    let (core, rest) = match s.find(['-', '+']) {
        Some(i) => s.split_at(i),
        None => (s, ""),
    };
    let dots = core.matches('.').count();
    let padded = match dots {
        0 => format!("{core}.0.0{rest}"),
        1 => format!("{core}.0{rest}"),
        _ => return Err(VersionError::Semver(v.to_string())),
    };
    semver::Version::parse(&padded).map_err(|_| VersionError::Semver(v.to_string()))
}

// ---------------------------------------------------------------- generic

#[derive(Debug, PartialEq, Eq)]
enum Tok<'a> {
    Num(&'a str),
    Alpha(&'a str),
}

fn tokens(v: &str) -> Vec<Tok<'_>> {
    let b = v.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let c = b.get(i).copied().unwrap_or(b'.');
        if c.is_ascii_digit() {
            while b.get(i).is_some_and(|c| c.is_ascii_digit()) {
                i += 1;
            }
            let digits = v.get(start..i).unwrap_or("0").trim_start_matches('0');
            out.push(Tok::Num(digits));
        } else if c.is_ascii_alphabetic() {
            while b.get(i).is_some_and(|c| c.is_ascii_alphabetic()) {
                i += 1;
            }
            out.push(Tok::Alpha(v.get(start..i).unwrap_or("")));
        } else {
            i += 1;
        }
    }
    out
}

/// Words that mark a release *before* the version they follow
/// (`2.0rc1` < `2.0`); any other trailing letters mark a later one
/// (`9.6p1` > `9.6`, `1.0.2k` > `1.0.2`).
fn is_prerelease_word(s: &str) -> bool {
    matches!(
        s.to_ascii_lowercase().as_str(),
        "alpha" | "beta" | "rc" | "pre" | "preview" | "dev" | "snapshot" | "test"
    )
}

fn num_cmp(a: &str, b: &str) -> Ordering {
    // Leading zeros are already gone, so length first orders numbers of
    // any size without overflow.
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Zero components that only pad (`1.0` = `1.0.0`, `2.0rc1` = `2rc1`)
/// are dropped: a run of zeros followed by the end or by a pre-release
/// word. Comparing the normalised sequences lexicographically over a total
/// order of tokens (pre-release word < end of version < other letters <
/// number) keeps the comparison transitive.
fn normalise<'a>(t: Vec<Tok<'a>>) -> Vec<Tok<'a>> {
    let mut out = Vec::with_capacity(t.len());
    let mut i = 0;
    while let Some(tok) = t.get(i) {
        if *tok == Tok::Num("") {
            let mut j = i;
            while t.get(j) == Some(&Tok::Num("")) {
                j += 1;
            }
            let pads = match t.get(j) {
                None => true,
                Some(Tok::Alpha(a)) => is_prerelease_word(a),
                Some(Tok::Num(_)) => false,
            };
            if pads {
                i = j;
                continue;
            }
        }
        out.push(match tok {
            Tok::Num(n) => Tok::Num(n),
            Tok::Alpha(a) => Tok::Alpha(a),
        });
        i += 1;
    }
    out
}

fn rank(t: Option<&Tok<'_>>) -> u8 {
    match t {
        Some(Tok::Alpha(a)) if is_prerelease_word(a) => 0,
        None => 1,
        Some(Tok::Alpha(_)) => 2,
        Some(Tok::Num(_)) => 3,
    }
}

fn generic_cmp(a: &str, b: &str) -> Ordering {
    let ta = normalise(tokens(a));
    let tb = normalise(tokens(b));
    let n = ta.len().max(tb.len());
    for i in 0..n {
        let (x, y) = (ta.get(i), tb.get(i));
        let o = rank(x).cmp(&rank(y)).then_with(|| match (x, y) {
            (Some(Tok::Num(p)), Some(Tok::Num(q))) => num_cmp(p, q),
            (Some(Tok::Alpha(p)), Some(Tok::Alpha(q))) => {
                p.to_ascii_lowercase().cmp(&q.to_ascii_lowercase())
            }
            _ => Ordering::Equal,
        });
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

// ----------------------------------------------------------------- Debian

/// A parsed Debian version (Debian Policy 5.6.12).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebVersion<'a> {
    /// Epoch before `:`, leading zeros removed; empty when absent.
    pub epoch: &'a str,
    /// Upstream version.
    pub upstream: &'a str,
    /// Debian revision after the last `-`; empty when absent.
    pub revision: &'a str,
}

impl<'a> DebVersion<'a> {
    /// Splits a Debian version into its parts, refusing one Debian Policy does not allow.
    pub fn parse(v: &'a str) -> Result<DebVersion<'a>, VersionError> {
        let bad = || VersionError::Debian(v.to_string());
        let (epoch, rest) = match v.split_once(':') {
            Some((e, r)) => {
                if e.is_empty() || !e.bytes().all(|b| b.is_ascii_digit()) || e.len() > 9 {
                    return Err(bad());
                }
                (e.trim_start_matches('0'), r)
            }
            None => ("", v),
        };
        let (upstream, revision) = match rest.rsplit_once('-') {
            Some((u, r)) => (u, r),
            None => (rest, ""),
        };
        if !upstream.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let ok_up = |b: u8| b.is_ascii_alphanumeric() || b"+.~-:".contains(&b);
        let ok_rev = |b: u8| b.is_ascii_alphanumeric() || b"+.~".contains(&b);
        if !upstream.bytes().all(ok_up) || !revision.bytes().all(ok_rev) {
            return Err(bad());
        }
        if rest.ends_with('-') {
            return Err(bad());
        }
        Ok(DebVersion {
            epoch,
            upstream,
            revision,
        })
    }

    /// Orders two Debian versions as dpkg does: epoch, then upstream, then revision.
    pub fn cmp_to(&self, other: &DebVersion<'_>) -> Ordering {
        num_cmp(self.epoch, other.epoch)
            .then_with(|| verrevcmp(self.upstream, other.upstream))
            .then_with(|| verrevcmp(self.revision, other.revision))
    }
}

/// dpkg's character weight: `~` sorts before everything, even the end of
/// the string; letters before other punctuation.
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp`, with numbers compared as digit strings so that no
/// length overflows.
fn verrevcmp(a: &str, b: &str) -> Ordering {
    let a = a.as_bytes();
    let b = b.as_bytes();
    let (mut i, mut j) = (0usize, 0usize);
    while i < a.len() || j < b.len() {
        while a.get(i).is_some_and(|c| !c.is_ascii_digit())
            || b.get(j).is_some_and(|c| !c.is_ascii_digit())
        {
            let ac = order(a.get(i).copied().filter(|c| !c.is_ascii_digit()));
            let bc = order(b.get(j).copied().filter(|c| !c.is_ascii_digit()));
            if ac != bc {
                return ac.cmp(&bc);
            }
            if a.get(i).is_some_and(|c| !c.is_ascii_digit()) {
                i += 1;
            }
            if b.get(j).is_some_and(|c| !c.is_ascii_digit()) {
                j += 1;
            }
        }
        let si = i;
        while a.get(i).is_some_and(|c| c.is_ascii_digit()) {
            i += 1;
        }
        let sj = j;
        while b.get(j).is_some_and(|c| c.is_ascii_digit()) {
            j += 1;
        }
        let na = std::str::from_utf8(a.get(si..i).unwrap_or(b"")).unwrap_or("");
        let nb = std::str::from_utf8(b.get(sj..j).unwrap_or(b"")).unwrap_or("");
        let o = num_cmp(na.trim_start_matches('0'), nb.trim_start_matches('0'));
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// The upstream part of a distribution package version: `2022.83` of
/// `2022.83-1+deb12u1`, `9.2p1` of `1:9.2p1-2+deb12u3`. Used to compare a
/// package against upstream (NVD) ranges, which is only a hint: the
/// distribution may have backported the fix.
pub fn debian_upstream(v: &str) -> &str {
    let rest = v.split_once(':').map_or(v, |(_, r)| r);
    rest.rsplit_once('-').map_or(rest, |(u, _)| u)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(a: &str, b: &str) -> Ordering {
        compare(Scheme::Generic, a, b).unwrap()
    }
    fn d(a: &str, b: &str) -> Ordering {
        compare(Scheme::Debian, a, b).unwrap()
    }
    fn s(a: &str, b: &str) -> Ordering {
        compare(Scheme::Semver, a, b).unwrap()
    }

    #[test]
    fn generic_orders_real_releases() {
        use Ordering::*;
        assert_eq!(g("2022.83", "2024.84"), Less);
        assert_eq!(g("2024.84", "2024.84"), Equal);
        assert_eq!(g("2024.85", "2024.84"), Greater);
        assert_eq!(g("9.2p1", "9.6"), Less);
        assert_eq!(g("9.6p1", "9.6"), Greater);
        assert_eq!(g("9.5p2", "9.6"), Less);
        assert_eq!(g("1.0.2k", "1.0.2"), Greater);
        assert_eq!(g("1.0.2k", "1.0.2l"), Less);
        assert_eq!(g("1.0.2za", "1.0.2zb"), Less);
        assert_eq!(g("1.1.0", "1.0.2zz"), Greater);
        assert_eq!(g("2.0rc1", "2.0"), Less);
        assert_eq!(g("2.0-beta", "2.0"), Less);
        assert_eq!(g("1.4.69", "1.4.7"), Greater);
        assert_eq!(g("1.0", "1.0.0"), Equal);
        assert_eq!(g("2.0.0rc1", "2.0rc1"), Equal);
        assert_eq!(g("1.0a", "1"), Greater);
        assert_eq!(g("0.52", "2011.54"), Less);
        assert_eq!(g("1.36.1", "1.36.0"), Greater);
        assert_eq!(g("99999999999999999999999999", "1"), Greater);
    }

    #[test]
    fn debian_orders_as_dpkg() {
        use Ordering::*;
        assert_eq!(d("2022.83-1+deb12u1", "2022.83-1"), Greater);
        assert_eq!(d("2022.83-1+deb12u1", "2022.83-1+deb12u2"), Less);
        assert_eq!(d("1:9.2p1-2+deb12u3", "9.9p1-1"), Greater);
        assert_eq!(d("1:9.2p1-2+deb12u3", "1:9.2p1-2+deb12u2"), Greater);
        assert_eq!(d("1.0~rc1-1", "1.0-1"), Less);
        assert_eq!(d("1.0~~", "1.0~"), Less);
        assert_eq!(d("1.0~", "1.0"), Less);
        assert_eq!(d("1.0", "1.0+b1"), Less);
        assert_eq!(d("1.0-1", "1.0-1"), Equal);
        assert_eq!(d("0:1.0-1", "1.0-1"), Equal);
        assert_eq!(d("1.2.3-1ubuntu0.1", "1.2.3-1"), Greater);
        assert_eq!(d("2.30-1", "2.4-1"), Greater);
        assert_eq!(d("1.0a", "1.0+"), Less);
    }

    #[test]
    fn semver_orders_by_precedence() {
        use Ordering::*;
        assert_eq!(s("1.0.0-alpha", "1.0.0"), Less);
        assert_eq!(s("1.0.0-alpha.1", "1.0.0-alpha.beta"), Less);
        assert_eq!(s("1.0.0+build1", "1.0.0+build2"), Equal);
        assert_eq!(s("v1.2", "1.2.0"), Equal);
        assert_eq!(s("1.10.0", "1.9.9"), Greater);
    }

    #[test]
    fn absurd_versions_are_named() {
        assert_eq!(validate(Scheme::Generic, ""), Err(VersionError::Empty));
        assert!(matches!(
            validate(Scheme::Generic, &"1".repeat(500)),
            Err(VersionError::TooLong(500))
        ));
        assert!(matches!(
            validate(Scheme::Generic, "1.0\n"),
            Err(VersionError::BadCharacter(_))
        ));
        assert!(matches!(
            validate(Scheme::Generic, "latest"),
            Err(VersionError::NoDigit(_))
        ));
        assert!(matches!(
            validate(Scheme::Debian, "x:1.0"),
            Err(VersionError::Debian(_))
        ));
        assert!(matches!(
            validate(Scheme::Debian, "abc1"),
            Err(VersionError::Debian(_))
        ));
        assert!(matches!(
            validate(Scheme::Semver, "1.2.3.4"),
            Err(VersionError::Semver(_))
        ));
    }

    /// Ordering properties over a corpus of real version strings: every
    /// pair is antisymmetric and every triple transitive.
    fn check_total_order(scheme: Scheme, corpus: &[&str]) {
        let cmp = |a: &str, b: &str| compare(scheme, a, b).unwrap();
        for a in corpus {
            assert_eq!(cmp(a, a), Ordering::Equal, "{a} reflexive");
            for b in corpus {
                assert_eq!(cmp(a, b), cmp(b, a).reverse(), "{a} vs {b} antisymmetric");
                for c in corpus {
                    let (ab, bc, ac) = (cmp(a, b), cmp(b, c), cmp(a, c));
                    if ab != Ordering::Greater && bc != Ordering::Greater {
                        assert_ne!(ac, Ordering::Greater, "{a} <= {b} <= {c} but {a} > {c}");
                    }
                    if ab == Ordering::Equal && bc == Ordering::Equal {
                        assert_eq!(ac, Ordering::Equal, "{a} = {b} = {c}");
                    }
                }
            }
        }
        // Sorting then checking neighbours catches a comparator that is
        // consistent pairwise but not with the sort it produces.
        let mut sorted: Vec<&str> = corpus.to_vec();
        sorted.sort_by(|a, b| cmp(a, b));
        for w in sorted.windows(2) {
            if let [a, b] = w {
                assert_ne!(cmp(a, b), Ordering::Greater);
            }
        }
    }

    #[test]
    fn generic_is_a_total_order() {
        check_total_order(
            Scheme::Generic,
            &[
                "0.52",
                "2011.54",
                "2019.78",
                "2020.81",
                "2022.83",
                "2024.84",
                "2024.85",
                "7.4p1",
                "8.4p1",
                "9.2p1",
                "9.3",
                "9.6",
                "9.6p1",
                "9.7p1",
                "1.0.2",
                "1.0.2k",
                "1.0.2l",
                "1.0.2za",
                "1.1.0",
                "1.1.1w",
                "3.0.0",
                "2.0rc1",
                "2.0beta2",
                "2.0",
                "2.0.1",
                "1.4.69",
                "1.4.7",
                "1.4.71",
                "1.36.1",
                "1.35.0",
                "2.89",
                "2.90",
                "1.0",
                "1.0.0",
                "10",
                "1.2a",
                "1.2.a",
                "1.2.1",
                "1.2-dev",
                "1.2snapshot",
                "2.0.0rc1",
                "1.0a",
                "1a",
                "1.0rc",
                "1",
                "1.0.0.0",
                "0.94.14rc21",
                "4.07",
            ],
        );
    }

    #[test]
    fn debian_is_a_total_order() {
        check_total_order(
            Scheme::Debian,
            &[
                "2022.83-1",
                "2022.83-1+deb12u1",
                "2022.83-1+deb12u2",
                "2022.83-2",
                "2020.81-3+deb11u1",
                "1:9.2p1-2+deb12u3",
                "1:9.2p1-2",
                "1:9.6p1-1",
                "9.9p1-1",
                "1.0~rc1-1",
                "1.0-1",
                "1.0",
                "1.0+b1",
                "1.0~",
                "1.0~~",
                "1.0a",
                "1.0+",
                "2:0.1",
                "1.36.1-9",
                "1.36.1-9+deb12u1",
                "1.4.69-1",
                "1.2.3-1ubuntu0.1",
                "1.2.3-1",
                "2.30-1",
                "2.4-1",
                "0:1.0-1",
            ],
        );
    }

    #[test]
    fn semver_is_a_total_order() {
        check_total_order(
            Scheme::Semver,
            &[
                "1.0.0-alpha",
                "1.0.0-alpha.1",
                "1.0.0-alpha.beta",
                "1.0.0-beta",
                "1.0.0-beta.2",
                "1.0.0-beta.11",
                "1.0.0-rc.1",
                "1.0.0",
                "1.0.1",
                "1.9.9",
                "1.10.0",
                "2.0.0",
                "v2.0.1",
                "0.0.1",
                "1.2",
            ],
        );
    }

    #[test]
    fn upstream_of_a_package_version() {
        assert_eq!(debian_upstream("2022.83-1+deb12u1"), "2022.83");
        assert_eq!(debian_upstream("1:9.2p1-2+deb12u3"), "9.2p1");
        assert_eq!(debian_upstream("1.4.69"), "1.4.69");
    }
}
