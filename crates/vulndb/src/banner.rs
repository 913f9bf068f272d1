//! From a banner to a product, a version and the CPE names NVD files it
//! under. The rules are data (`data/banners.toml`, embedded) so that a new
//! daemon is a data change with a test.

use std::sync::OnceLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::version::{self, Scheme};

const RULES: &str = include_str!("../data/banners.toml");

/// Banners longer than this are cut before matching: real identification
/// lines are short, and a hostile device should not make matching slow.
pub const MAX_BANNER: usize = 2048;

#[derive(Deserialize)]
struct RuleFile {
    product: Vec<RuleDef>,
}

#[derive(Deserialize)]
struct RuleDef {
    id: String,
    name: String,
    cpe: Vec<String>,
    patterns: Vec<String>,
}

struct Rule {
    id: String,
    name: String,
    cpe: Vec<(String, String)>,
    patterns: Vec<Regex>,
}

/// What a banner revealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identified {
    /// Short id of the rule (`dropbear`, `openssh`, ...).
    pub product_id: String,
    /// Product name for people, e.g. `OpenSSH`.
    pub product: String,
    /// `None` when the banner names the product but not its version.
    pub version: Option<String>,
    /// CPE vendor and product pairs.
    pub cpe: Vec<(String, String)>,
    /// Distribution text (`Debian-2+deb12u3`, `Debian`) when the banner
    /// says the binary is a distribution package.
    pub distro: Option<String>,
    /// The text that matched.
    pub evidence: String,
}

fn rules() -> Result<&'static [Rule], String> {
    static CELL: OnceLock<Result<Vec<Rule>, String>> = OnceLock::new();
    CELL.get_or_init(|| {
        let file: RuleFile = toml::from_str(RULES).map_err(|e| format!("banner rules: {e}"))?;
        file.product
            .into_iter()
            .map(|d| {
                let cpe = d
                    .cpe
                    .iter()
                    .map(|c| {
                        c.split_once(':')
                            .map(|(v, p)| (v.to_string(), p.to_string()))
                            .ok_or_else(|| {
                                format!("banner rule {}: cpe {c:?} is not vendor:product", d.id)
                            })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let patterns = d
                    .patterns
                    .iter()
                    .map(|p| Regex::new(p).map_err(|e| format!("banner rule {}: {e}", d.id)))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Rule {
                    id: d.id,
                    name: d.name,
                    cpe,
                    patterns,
                })
            })
            .collect()
    })
    .as_ref()
    .map(Vec::as_slice)
    .map_err(Clone::clone)
}

/// Check the embedded rules load; a test calls this so a bad data change
/// fails the build's tests rather than a user's run.
pub fn check_rules() -> Result<usize, String> {
    rules().map(<[Rule]>::len)
}

/// Every product `banner` reveals (a Server header may name several:
/// `Apache/2.4.57 (Debian) OpenSSL/3.0.11`). Versions that are not
/// plausible are dropped, so the product is still reported.
pub fn identify(banner: &str) -> Vec<Identified> {
    let Ok(rules) = rules() else {
        return Vec::new();
    };
    let mut cut = banner;
    if cut.len() > MAX_BANNER {
        let mut end = MAX_BANNER;
        while !cut.is_char_boundary(end) {
            end -= 1;
        }
        cut = cut.get(..end).unwrap_or("");
    }
    let mut out = Vec::new();
    for line in cut.lines() {
        let line = line.trim();
        for rule in rules {
            if out.iter().any(|i: &Identified| i.product_id == rule.id) {
                continue;
            }
            for re in &rule.patterns {
                let Some(caps) = re.captures(line) else {
                    continue;
                };
                let version = caps
                    .name("version")
                    .map(|m| m.as_str().trim_end_matches('.').to_string())
                    .filter(|v| version::validate(Scheme::Generic, v).is_ok());
                out.push(Identified {
                    product_id: rule.id.clone(),
                    product: rule.name.clone(),
                    version,
                    cpe: rule.cpe.clone(),
                    distro: caps.name("distro").map(|m| m.as_str().to_string()),
                    evidence: caps
                        .get(0)
                        .map(|m| m.as_str().to_string())
                        .unwrap_or_default(),
                });
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(b: &str) -> Identified {
        let mut v = identify(b);
        assert_eq!(v.len(), 1, "{b}: {v:?}");
        v.remove(0)
    }

    #[test]
    fn rules_load() {
        assert!(check_rules().unwrap() >= 15);
    }

    #[test]
    fn real_banners() {
        let d = one("SSH-2.0-dropbear_2022.83");
        assert_eq!(d.product_id, "dropbear");
        assert_eq!(d.version.as_deref(), Some("2022.83"));
        assert_eq!(
            d.cpe,
            vec![("dropbear_ssh_project".into(), "dropbear_ssh".into())]
        );
        assert_eq!(d.distro, None);

        let o = one("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3");
        assert_eq!(o.version.as_deref(), Some("9.2p1"));
        assert_eq!(o.distro.as_deref(), Some("Debian-2+deb12u3"));
        let o = one("SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6\r\n");
        assert_eq!(o.distro.as_deref(), Some("Ubuntu-3ubuntu0.6"));
        assert_eq!(one("SSH-2.0-OpenSSH_9.6").distro, None);

        let l = one("Server: lighttpd/1.4.69");
        assert_eq!(
            (l.product_id.as_str(), l.version.as_deref()),
            ("lighttpd", Some("1.4.69"))
        );
        assert_eq!(one("lighttpd/1.4.59").version.as_deref(), Some("1.4.59"));

        let n = one("Server: nginx/1.22.1");
        assert_eq!(n.cpe.len(), 2);
        let a = identify("Server: Apache/2.4.57 (Debian) OpenSSL/3.0.11");
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].distro.as_deref(), Some("Debian"));
        assert_eq!(a[1].version.as_deref(), Some("3.0.11"));

        assert_eq!(
            one("BusyBox v1.36.1 (2023-06-07 20:33:21 UTC) built-in shell (ash)")
                .version
                .as_deref(),
            Some("1.36.1")
        );
        assert_eq!(
            one("mosquitto version 2.0.11").version.as_deref(),
            Some("2.0.11")
        );
        assert_eq!(
            one("Server: GoAhead-Webs/2.5.0 PeerSec-MatrixSSL/3.4.2-OPEN")
                .version
                .as_deref(),
            Some("2.5.0")
        );
        assert_eq!(one("Server: GoAhead-Webs").version, None);
        assert_eq!(
            one("Server: Boa/0.94.14rc21").version.as_deref(),
            Some("0.94.14rc21")
        );
        assert_eq!(one("dnsmasq-2.89").version.as_deref(), Some("2.89"));
        assert_eq!(
            one("SERVER: Linux/3.4.0 UPnP/1.0 MiniUPnPd/1.9")
                .version
                .as_deref(),
            Some("1.9")
        );
        assert_eq!(
            one("NET-SNMP version 5.9.3").version.as_deref(),
            Some("5.9.3")
        );
        assert_eq!(one("220 (vsFTPd 3.0.3)").version.as_deref(), Some("3.0.3"));
        let p = one("220 ProFTPD 1.3.8 Server (Debian) [::ffff:127.0.0.1]");
        assert_eq!(p.distro.as_deref(), Some("Debian"));
        assert_eq!(one("Server: uhttpd").product_id, "uhttpd");
        assert_eq!(
            one("Server: RomPager/4.07 UPnP/1.0").version.as_deref(),
            Some("4.07")
        );
        assert_eq!(
            one("Server: thttpd/2.25b 29dec2003").version.as_deref(),
            Some("2.25b")
        );
    }

    #[test]
    fn hostile_banners() {
        assert!(identify("").is_empty());
        assert!(identify("\u{0}\u{1}garbage\u{ff}").is_empty());
        let long = format!("SSH-2.0-dropbear_{}", "9".repeat(5000));
        let d = identify(&long);
        // The version is cut at MAX_BANNER and then too long to be one.
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].version, None);
        let multi = "あ".repeat(3000);
        assert!(identify(&multi).is_empty());
    }
}
