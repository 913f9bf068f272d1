//! Japanese `--help`. The English texts are the doc comments of the clap
//! declarations; the Japanese ones are one data table (`help_ja.toml`),
//! keyed by command path (`jcstar registry apply`) and argument id. For
//! Japanese the command tree is rewritten before parsing: descriptions from
//! the table, then clap's own words (headings, the help and version flags,
//! the `help` command, default values, environment variables, possible
//! values) in Japanese.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::sync::OnceLock;

use clap::Command;
use clap::builder::{Resettable, StyledStr};
use jcstar_criteria::Lang;

const TABLE: &str = include_str!("help_ja.toml");

/// The Japanese texts of one command.
#[derive(Default)]
pub struct Entry {
    pub about: Option<String>,
    pub long_about: Option<String>,
    /// Argument id → short help.
    pub args: BTreeMap<String, String>,
    /// Argument id → long help (`--help`), where it says more than `args`.
    pub long: BTreeMap<String, String>,
}

/// The table, parsed once. A malformed table is a build mistake that the
/// tests catch, so it panics.
pub fn table() -> &'static BTreeMap<String, Entry> {
    static T: OnceLock<BTreeMap<String, Entry>> = OnceLock::new();
    #[allow(clippy::expect_used)] // the table is part of the binary; a test parses it
    T.get_or_init(|| parse(TABLE).expect("help_ja.toml"))
}

fn parse(text: &str) -> Result<BTreeMap<String, Entry>, String> {
    let doc: toml::Table = text.parse().map_err(|e| format!("{e}"))?;
    let mut out = BTreeMap::new();
    for (path, v) in doc {
        let t = v
            .as_table()
            .ok_or_else(|| format!("[{path}] is not a table"))?;
        let mut e = Entry::default();
        for (k, v) in t {
            match (k.as_str(), v) {
                ("about", toml::Value::String(s)) => e.about = Some(s.trim_end().to_string()),
                ("long_about", toml::Value::String(s)) => {
                    e.long_about = Some(s.trim_end().to_string())
                }
                ("args" | "long", toml::Value::Table(m)) => {
                    for (id, h) in m {
                        let h = h
                            .as_str()
                            .ok_or_else(|| format!("[{path}] {k}.{id} is not text"))?;
                        let map = if k == "args" {
                            &mut e.args
                        } else {
                            &mut e.long
                        };
                        map.insert(id.clone(), h.trim_end().to_string());
                    }
                }
                _ => return Err(format!("[{path}] unexpected key {k}")),
            }
        }
        out.insert(path, e);
    }
    Ok(out)
}

/// The language asked for on the command line (`--lang en`, `--lang=en`),
/// else by `JCSTAR_LANG`, else Japanese. Read before clap parses, so that
/// `--help` is already in that language.
pub fn lang_from_args(args: &[OsString]) -> Lang {
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        let Some(a) = a.to_str() else { continue };
        if a == "--" {
            break;
        }
        if a == "--lang" {
            return it
                .next()
                .and_then(|v| v.to_str())
                .and_then(|v| v.parse().ok())
                .unwrap_or(Lang::Ja);
        }
        if let Some(v) = a.strip_prefix("--lang=") {
            return v.parse().unwrap_or(Lang::Ja);
        }
    }
    std::env::var("JCSTAR_LANG")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(Lang::Ja)
}

static LANG: OnceLock<Lang> = OnceLock::new();

/// The language of this run, for the few places that have no `Ctx` (value
/// parsers); Japanese until `main` has read the command line.
pub fn lang() -> Lang {
    LANG.get().copied().unwrap_or(Lang::Ja)
}

/// Records the language of this run (see [`lang`]).
pub fn set_lang(lang: Lang) {
    let _ = LANG.set(lang);
}

/// The command tree with Japanese help, built (ready to parse).
pub fn localise(cmd: Command) -> Command {
    let root = cmd.get_name().to_string();
    let mut cmd = translate(cmd, &root, table());
    cmd.build();
    clap_words(cmd)
}

/// Descriptions from the table. Before `build`, so that global arguments
/// are copied to the subcommands already translated.
fn translate(mut cmd: Command, path: &str, t: &BTreeMap<String, Entry>) -> Command {
    if let Some(e) = t.get(path) {
        if let Some(a) = &e.about {
            cmd = cmd.about(a.clone());
        }
        cmd = match &e.long_about {
            Some(l) => cmd.long_about(l.clone()),
            None => cmd.long_about(Resettable::<StyledStr>::Reset),
        };
        let ids: Vec<String> = cmd
            .get_arguments()
            .map(|a| a.get_id().to_string())
            .collect();
        for id in ids {
            if let Some(h) = e.args.get(&id) {
                let long = e.long.get(&id).cloned();
                cmd = cmd.mut_arg(&id, |a| {
                    let a = a.help(h.clone());
                    match long {
                        Some(l) => a.long_help(l),
                        None => a.long_help(Resettable::<StyledStr>::Reset),
                    }
                });
            }
        }
    }
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in names {
        let sub_path = format!("{path} {name}");
        cmd = cmd.mut_subcommand(&name, |s| translate(s, &sub_path, t));
    }
    cmd
}

/// clap's own words, after `build` (which adds the help and version flags
/// and the `help` command).
fn clap_words(mut cmd: Command) -> Command {
    let ids: Vec<String> = cmd
        .get_arguments()
        .map(|a| a.get_id().to_string())
        .collect();
    let long_help_exists = cmd.get_arguments().any(|a| a.get_long_help().is_some())
        || cmd.get_long_about().is_some()
        || cmd.get_subcommands().any(|s| s.get_long_about().is_some());
    let is_help_cmd = cmd.get_name() == "help";
    for id in ids {
        cmd = cmd.mut_arg(&id, |a| {
            let a = match id.as_str() {
                "help" if long_help_exists => a
                    .help("ヘルプを表示します（--help でさらに詳しく）")
                    .long_help("ヘルプを表示します（-h で要約）"),
                "help" => a.help("ヘルプを表示します"),
                "version" => a.help("バージョンを表示します"),
                "subcommand" if is_help_cmd => a.help("ヘルプを表示するコマンド"),
                _ => a,
            };
            annotate(a)
        });
    }
    if is_help_cmd {
        cmd = cmd.about("このヘルプ、または指定したコマンドのヘルプを表示します");
    }
    let t = template(&cmd);
    cmd = cmd.help_template(t);
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in names {
        cmd = cmd.mut_subcommand(&name, clap_words);
    }
    cmd
}

/// Default value, environment variable and possible values, which clap
/// would append in English, appended in Japanese instead.
fn annotate(mut a: clap::Arg) -> clap::Arg {
    if !a.get_action().takes_values() {
        return a;
    }
    let mut notes = Vec::new();
    if !a.is_hide_possible_values_set() {
        let values: Vec<String> = a
            .get_possible_values()
            .iter()
            .filter(|v| !v.is_hide_set())
            .map(|v| v.get_name().to_string())
            .collect();
        if !values.is_empty() {
            notes.push(format!("指定できる値: {}", values.join(", ")));
        }
        a = a.hide_possible_values(true);
    }
    if !a.is_hide_default_value_set() {
        let defaults: Vec<String> = a
            .get_default_values()
            .iter()
            .map(|v| v.to_string_lossy().into_owned())
            .filter(|v| !v.is_empty())
            .collect();
        if !defaults.is_empty() {
            notes.push(format!("既定値: {}", defaults.join(" ")));
        }
        a = a.hide_default_value(true);
    }
    if !a.is_hide_env_set()
        && let Some(env) = a.get_env()
    {
        notes.push(format!("環境変数: {}", env.to_string_lossy()));
        a = a.hide_env(true);
    }
    if notes.is_empty() {
        return a;
    }
    let notes: String = notes
        .iter()
        .map(|n| format!("[{n}]"))
        .collect::<Vec<_>>()
        .join(" ");
    let help = a.get_help().map(|h| h.to_string()).unwrap_or_default();
    let long = a.get_long_help().map(|h| h.to_string());
    let sep = if help.ends_with('。') { "" } else { " " };
    a = a.help(join(&help, &notes, sep));
    if let Some(l) = long {
        a = a.long_help(join(&l, &notes, "\n\n"));
    }
    a
}

fn join(text: &str, notes: &str, sep: &str) -> String {
    if text.is_empty() {
        notes.to_string()
    } else {
        format!("{text}{sep}{notes}")
    }
}

/// clap's layout with Japanese headings.
fn template(cmd: &Command) -> StyledStr {
    let styles = cmd.get_styles();
    let (h, u) = (styles.get_header(), styles.get_usage());
    let heading = |s: &str| format!("{}{s}:{}", h.render(), h.render_reset());
    let mut parts = Vec::new();
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        parts.push(format!("{}\n{{subcommands}}", heading("コマンド")));
    }
    if cmd.get_positionals().any(|a| !a.is_hide_set()) {
        parts.push(format!("{}\n{{positionals}}", heading("引数")));
    }
    if cmd
        .get_arguments()
        .any(|a| !a.is_positional() && !a.is_hide_set())
    {
        parts.push(format!("{}\n{{options}}", heading("オプション")));
    }
    StyledStr::from(format!(
        "{{before-help}}{{about-with-newline}}\n{}使い方:{} {{usage}}\n\n{}{{after-help}}",
        u.render(),
        u.render_reset(),
        parts.join("\n\n")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn os(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    #[test]
    fn lang_on_the_command_line() {
        assert_eq!(
            lang_from_args(&os(&["jcstar", "--lang", "en", "registry"])),
            Lang::En
        );
        assert_eq!(lang_from_args(&os(&["jcstar", "x", "--lang=en"])), Lang::En);
        assert_eq!(lang_from_args(&os(&["jcstar", "--lang", "ja"])), Lang::Ja);
        assert_eq!(
            lang_from_args(&os(&["jcstar", "--", "--lang", "en"])),
            lang_from_args(&os(&["jcstar"]))
        );
    }

    /// Every command and every argument of the tree has its Japanese text,
    /// and the table names nothing that does not exist.
    #[test]
    fn every_command_and_argument_has_japanese_help() {
        let t = table();
        let mut missing = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        fn walk(
            cmd: &Command,
            path: &str,
            t: &BTreeMap<String, Entry>,
            missing: &mut Vec<String>,
            seen: &mut std::collections::BTreeSet<String>,
        ) {
            seen.insert(path.to_string());
            let e = t.get(path);
            if e.and_then(|e| e.about.as_ref()).is_none() {
                missing.push(format!("[{path}] about"));
            }
            if cmd.get_long_about().is_some() && e.and_then(|e| e.long_about.as_ref()).is_none() {
                missing.push(format!("[{path}] long_about"));
            }
            for a in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
                let id = a.get_id().as_str();
                if !e.is_some_and(|e| e.args.contains_key(id)) {
                    missing.push(format!("[{path}] args.{id}"));
                }
            }
            if let Some(e) = e {
                for id in e.args.keys().chain(e.long.keys()) {
                    if !cmd.get_arguments().any(|a| a.get_id().as_str() == id) {
                        missing.push(format!("[{path}] {id}: no such argument"));
                    }
                }
            }
            for s in cmd.get_subcommands() {
                walk(s, &format!("{path} {}", s.get_name()), t, missing, seen);
            }
        }
        let cmd = crate::Cli::command();
        walk(&cmd, cmd.get_name(), t, &mut missing, &mut seen);
        for path in t.keys() {
            if !seen.contains(path) {
                missing.push(format!("[{path}]: no such command"));
            }
        }
        assert!(missing.is_empty(), "help_ja.toml:\n{}", missing.join("\n"));
    }

    #[test]
    fn the_localised_tree_is_valid() {
        let mut cmd = localise(crate::Cli::command());
        cmd.clone().debug_assert();
        let help = cmd.render_help().to_string();
        assert!(help.contains("使い方:"), "{help}");
        assert!(help.contains("コマンド:"), "{help}");
        assert!(!help.contains("Usage:"), "{help}");
    }
}
