//! Credential lists: the curated default pairs embedded in the binary, and
//! lists the user supplies.

use serde::{Deserialize, Serialize};

use super::LoginKind;

const BUILTIN: &str = include_str!("../../data/default-credentials.toml");

/// One username/password pair to try.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credential {
    /// User name.
    pub username: String,
    /// Password (for SNMP, the community string).
    pub password: String,
    /// Where the pair is documented (e.g. a vendor manual), or `user-supplied`.
    #[serde(default = "user_supplied")]
    pub source: String,
    /// Service kinds this pair applies to; empty = every service but SNMP.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<String>,
}

fn user_supplied() -> String {
    "user-supplied".to_string()
}

impl Credential {
    /// Whether the pair is to be tried on a service of `kind`.
    pub fn applies_to(&self, kind: LoginKind) -> bool {
        if self.services.is_empty() {
            kind != LoginKind::Snmp
        } else {
            self.services.iter().any(|s| {
                s == kind.name()
                    || (s == "http"
                        && matches!(
                            kind,
                            LoginKind::HttpBasic | LoginKind::HttpDigest | LoginKind::HttpForm
                        ))
                    || (s == "ssh"
                        && matches!(
                            kind,
                            LoginKind::SshPassword | LoginKind::SshKeyboardInteractive
                        ))
            })
        }
    }
}

/// Why a credential list cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CredError {
    /// A TOML list cannot be parsed.
    #[error("{file}: {reason}")]
    Toml {
        /// The list's path.
        file: String,
        /// The parser's error.
        reason: String,
    },
    /// A line of a plain list is not `username:password`.
    #[error(
        "{file}:{line}: expected `username:password` (or a TOML file of [[credential]] tables with username, password, source)"
    )]
    Line {
        /// The list's path.
        file: String,
        /// The line number, from 1.
        line: usize,
    },
    /// An entry names a service that does not exist.
    #[error("{file}: entry {index}: unknown service {service:?}; accepted: {accepted}")]
    Service {
        /// The list's path.
        file: String,
        /// Position of the entry in the list, from 1.
        index: usize,
        /// The unknown service name.
        service: String,
        /// The service names accepted, comma-separated.
        accepted: String,
    },
}

#[derive(Deserialize)]
struct CredFile {
    #[serde(default)]
    credential: Vec<Credential>,
}

/// The curated list shipped with jcstar, in priority order.
pub fn builtin() -> Result<Vec<Credential>, CredError> {
    parse_toml("default-credentials.toml (built in)", BUILTIN)
}

fn parse_toml(file: &str, text: &str) -> Result<Vec<Credential>, CredError> {
    let parsed: CredFile = toml::from_str(text).map_err(|e| CredError::Toml {
        file: file.to_string(),
        reason: e.to_string(),
    })?;
    for (index, c) in parsed.credential.iter().enumerate() {
        for s in &c.services {
            if LoginKind::parse(s).is_none() && s != "http" && s != "ssh" {
                return Err(CredError::Service {
                    file: file.to_string(),
                    index: index + 1,
                    service: s.clone(),
                    accepted: LoginKind::ALL
                        .iter()
                        .map(|k| k.name())
                        .chain(["http", "ssh"])
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        }
    }
    Ok(parsed.credential)
}

/// A user's list: a TOML file like the built-in one, or one
/// `username:password` per line (`#` comments and blank lines ignored).
pub fn parse_user_file(file: &str, text: &str) -> Result<Vec<Credential>, CredError> {
    if text.contains("[[credential]]") {
        return parse_toml(file, text);
    }
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let l = line.trim_end_matches('\r');
        if l.trim().is_empty() || l.trim_start().starts_with('#') {
            continue;
        }
        let (u, p) = l.split_once(':').ok_or(CredError::Line {
            file: file.to_string(),
            line: i + 1,
        })?;
        out.push(Credential {
            username: u.to_string(),
            password: p.to_string(),
            source: format!("user-supplied ({file})"),
            services: Vec::new(),
        });
    }
    Ok(out)
}

/// The pairs to try against one service: the user's first (they know the
/// device), then the built-in list, without duplicates, at most `limit`.
pub fn plan(
    user: &[Credential],
    builtin: &[Credential],
    kind: LoginKind,
    limit: usize,
) -> Vec<Credential> {
    let mut out: Vec<Credential> = Vec::new();
    for c in user.iter().chain(builtin.iter()) {
        if out.len() >= limit {
            break;
        }
        let applies = if user.iter().any(|u| std::ptr::eq(u, c)) {
            c.services.is_empty() || c.applies_to(kind)
        } else {
            c.applies_to(kind)
        };
        if !applies {
            continue;
        }
        let key_user = if kind.uses_username() {
            c.username.as_str()
        } else {
            ""
        };
        if out.iter().any(|o| {
            let ou = if kind.uses_username() {
                o.username.as_str()
            } else {
                ""
            };
            ou == key_user && o.password == c.password
        }) {
            continue;
        }
        out.push(c.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_list_loads_and_is_ordered() {
        let list = builtin().expect("built-in list parses");
        assert!(list.len() >= 100 && list.len() <= 200, "{}", list.len());
        assert!(list.iter().all(|c| !c.source.trim().is_empty()));
        let first = list.first().expect("non-empty");
        assert_eq!(
            (first.username.as_str(), first.password.as_str()),
            ("admin", "admin")
        );
        // The Mirai pairs are all there.
        for (u, p) in [
            ("root", "xc3511"),
            ("root", "vizxv"),
            ("admin", "7ujMko0admin"),
        ] {
            assert!(
                list.iter().any(|c| c.username == u && c.password == p),
                "{u}:{p}"
            );
        }
        let snmp = plan(&[], &list, LoginKind::Snmp, 3);
        assert_eq!(snmp.first().map(|c| c.password.as_str()), Some("public"));
        assert_eq!(plan(&[], &list, LoginKind::Telnet, 10).len(), 10);
    }

    #[test]
    fn user_file_lines_and_errors() {
        let l = parse_user_file("f.txt", "# c\nadmin:s3:cret\n\nroot:\n").expect("parses");
        assert_eq!(l.len(), 2);
        assert_eq!(l.first().map(|c| c.password.as_str()), Some("s3:cret"));
        let e = parse_user_file("f.txt", "ok:1\nnocolon\n").expect_err("line 2 is bad");
        assert!(e.to_string().contains("f.txt:2"), "{e}");
        let e = parse_user_file(
            "f.toml",
            "[[credential]]\nusername='a'\npassword='b'\nservices=['gopher']\n",
        )
        .expect_err("bad service");
        assert!(e.to_string().contains("gopher"), "{e}");
    }
}
