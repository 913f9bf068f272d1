//! Where a command may write a file the user named: never over the file it
//! is reading (whatever the spelling of the two paths), and over an existing
//! file only when asked to. One rule for every writer (checklist template,
//! export and import, the catalog's OSCAL export), so they refuse alike.

use std::path::{Path, PathBuf};

use jcstar_criteria::Lang;

/// Why a write was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputRefused {
    /// The output is the input file.
    SameAsInput(PathBuf),
    /// The output exists and overwriting was not asked for.
    Exists(PathBuf),
}

impl OutputRefused {
    /// What to tell the user, and what would be accepted.
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (OutputRefused::SameAsInput(p), Lang::Ja) => format!(
                "出力先 {} は入力ファイルと同じです。別のファイル名を指定してください",
                p.display()
            ),
            (OutputRefused::SameAsInput(p), Lang::En) => {
                format!(
                    "output {} is the input file; choose another name",
                    p.display()
                )
            }
            (OutputRefused::Exists(p), Lang::Ja) => format!(
                "{} は既に存在します。上書きするには --force を付けてください",
                p.display()
            ),
            (OutputRefused::Exists(p), Lang::En) => {
                format!(
                    "{} already exists; pass --force to overwrite it",
                    p.display()
                )
            }
        }
    }
}

impl std::fmt::Display for OutputRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

impl std::error::Error for OutputRefused {}

/// Refuses to write `out` when it is `input` or, without `force`, when it
/// already exists.
pub fn check_output(input: Option<&Path>, out: &Path, force: bool) -> Result<(), OutputRefused> {
    if let Some(input) = input
        && same_file(input, out)
    {
        return Err(OutputRefused::SameAsInput(out.to_path_buf()));
    }
    if out.exists() && !force {
        return Err(OutputRefused::Exists(out.to_path_buf()));
    }
    Ok(())
}

/// Whether two paths name one file, also when the second does not exist
/// yet (its folder is resolved and its name kept) or is spelt through
/// `..`, `.` or a symbolic link.
pub fn same_file(a: &Path, b: &Path) -> bool {
    let canon = |p: &Path| -> Option<PathBuf> {
        if let Ok(c) = p.canonicalize() {
            return Some(c);
        }
        let parent = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.canonicalize().ok()?,
            _ => std::env::current_dir().ok()?,
        };
        Some(parent.join(p.file_name()?))
    };
    match (canon(a), canon(b)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_input_is_never_overwritten_and_existing_files_only_with_force() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("checklist.toml");
        std::fs::write(&input, "x").unwrap();
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        let other_spelling = sub.join("..").join("checklist.toml");
        for force in [false, true] {
            assert_eq!(
                check_output(Some(&input), &other_spelling, force),
                Err(OutputRefused::SameAsInput(other_spelling.clone()))
            );
        }
        let existing = dir.path().join("out.xlsx");
        std::fs::write(&existing, "y").unwrap();
        assert_eq!(
            check_output(Some(&input), &existing, false),
            Err(OutputRefused::Exists(existing.clone()))
        );
        assert_eq!(check_output(Some(&input), &existing, true), Ok(()));
        let new = sub.join("new.json");
        assert_eq!(check_output(Some(&input), &new, false), Ok(()));
        assert!(!same_file(&input, &new));
        let refused = check_output(None, &existing, false).unwrap_err();
        assert!(refused.message(Lang::Ja).contains("--force"));
        assert!(refused.message(Lang::En).contains("--force"));
    }

    #[cfg(unix)]
    #[test]
    fn a_link_to_the_input_is_the_input() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("catalog.json");
        std::fs::write(&input, "{}").unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&input, &link).unwrap();
        assert!(same_file(&input, &link));
    }
}
