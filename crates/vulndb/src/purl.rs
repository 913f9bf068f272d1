//! Package URLs (`pkg:type/namespace/name@version?qualifiers#subpath`) and
//! their OSV ecosystem.

use serde::Serialize;

/// A parsed package URL; names are percent-decoded, the subpath dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Purl {
    /// Package type, lower case (`deb`, `npm`, `pypi`, ...).
    pub ty: String,
    /// Namespace (e.g. `debian`, an npm scope, a Maven group), when given.
    pub namespace: Option<String>,
    /// Package name.
    pub name: String,
    /// Version, when given.
    pub version: Option<String>,
    /// Qualifiers (`distro=debian-12`, ...) in order, keys lower case.
    pub qualifiers: Vec<(String, String)>,
}

fn decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(c);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

impl Purl {
    /// Parse a purl; `None` when it is not one.
    pub fn parse(s: &str) -> Option<Purl> {
        let rest = s.strip_prefix("pkg:")?.trim_start_matches('/');
        let rest = rest.split_once('#').map_or(rest, |(r, _)| r);
        let (rest, quals) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let (rest, version) = match rest.rsplit_once('@') {
            // An npm scope starts with an encoded or literal `@` after a
            // slash; a version `@` comes after the last slash.
            Some((r, v)) if !v.contains('/') && !r.is_empty() && !r.ends_with('/') => {
                (r, Some(decode(v)?))
            }
            _ => (rest, None),
        };
        let (ty, path) = rest.split_once('/')?;
        let ty = ty.to_ascii_lowercase();
        if ty.is_empty()
            || !ty
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+.-".contains(&b))
        {
            return None;
        }
        let path = path.trim_matches('/');
        let (namespace, name) = match path.rsplit_once('/') {
            Some((ns, n)) => (Some(decode(ns)?), decode(n)?),
            None => (None, decode(path)?),
        };
        if name.is_empty() {
            return None;
        }
        let mut qualifiers = Vec::new();
        if let Some(q) = quals {
            for pair in q.split('&').filter(|p| !p.is_empty()) {
                let (k, v) = pair.split_once('=')?;
                qualifiers.push((k.to_ascii_lowercase(), decode(v)?));
            }
        }
        Some(Purl {
            ty,
            namespace,
            name,
            version: version.filter(|v| !v.is_empty()),
            qualifiers,
        })
    }

    /// The value of qualifier `k`, if present.
    pub fn qualifier(&self, k: &str) -> Option<&str> {
        self.qualifiers
            .iter()
            .find(|(q, _)| q == k)
            .map(|(_, v)| v.as_str())
    }

    /// The OSV ecosystem of this package, with the distribution release
    /// when the purl says it (`Debian:12` from `distro=debian-12` or
    /// `distro=bookworm`).
    pub fn ecosystem(&self) -> Option<String> {
        let ns = self.namespace.as_deref().unwrap_or("").to_ascii_lowercase();
        Some(match self.ty.as_str() {
            "deb" => {
                let base = match ns.as_str() {
                    "ubuntu" => "Ubuntu",
                    "debian" | "" => "Debian",
                    _ => return None,
                };
                match self.qualifier("distro").and_then(debian_release) {
                    Some(r) if base == "Debian" => format!("Debian:{r}"),
                    _ => base.to_string(),
                }
            }
            "apk" => "Alpine".into(),
            "npm" => "npm".into(),
            "pypi" => "PyPI".into(),
            "cargo" => "crates.io".into(),
            "golang" => "Go".into(),
            "maven" => "Maven".into(),
            "gem" => "RubyGems".into(),
            "nuget" => "NuGet".into(),
            "composer" => "Packagist".into(),
            "hex" => "Hex".into(),
            "pub" => "Pub".into(),
            _ => return None,
        })
    }

    /// The package name as OSV spells it in that ecosystem.
    pub fn osv_name(&self) -> String {
        match (self.ty.as_str(), &self.namespace) {
            ("maven", Some(ns)) => format!("{ns}:{}", self.name),
            ("npm" | "golang" | "composer", Some(ns)) => format!("{ns}/{}", self.name),
            _ => self.name.clone(),
        }
    }
}

/// `debian-12`, `debian-12.5`, `bookworm` → `12`.
fn debian_release(distro: &str) -> Option<&'static str> {
    let d = distro.to_ascii_lowercase();
    let d = d.strip_prefix("debian-").unwrap_or(&d).to_string();
    let major = d.split('.').next().unwrap_or("");
    Some(match major {
        "9" | "stretch" => "9",
        "10" | "buster" => "10",
        "11" | "bullseye" => "11",
        "12" | "bookworm" => "12",
        "13" | "trixie" => "13",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_purls() {
        let p =
            Purl::parse("pkg:deb/debian/dropbear@2022.83-1%2Bdeb12u1?arch=amd64&distro=debian-12")
                .unwrap();
        assert_eq!(p.name, "dropbear");
        assert_eq!(p.version.as_deref(), Some("2022.83-1+deb12u1"));
        assert_eq!(p.ecosystem().as_deref(), Some("Debian:12"));
        let p = Purl::parse("pkg:npm/%40babel/core@7.22.5").unwrap();
        assert_eq!(p.osv_name(), "@babel/core");
        assert_eq!(p.ecosystem().as_deref(), Some("npm"));
        let p = Purl::parse("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1").unwrap();
        assert_eq!(p.osv_name(), "org.apache.logging.log4j:log4j-core");
        let p = Purl::parse("pkg:golang/github.com/gorilla/websocket@v1.5.0").unwrap();
        assert_eq!(p.osv_name(), "github.com/gorilla/websocket");
        let p = Purl::parse("pkg:generic/busybox@1.36.1").unwrap();
        assert_eq!(p.ecosystem(), None);
        assert!(Purl::parse("busybox").is_none());
        assert!(Purl::parse("pkg:").is_none());
        assert!(Purl::parse("pkg:npm/%ZZ@1").is_none());
    }
}
