//! `jcstar registry keys …`, `jcstar registry sign` and
//! `jcstar verify-signature`: the operator's signing keys and the offline
//! check a buyer runs on a file the registry signed. The format and the
//! rules are in `jcstar_registry::signing`; this file only parses, prints
//! and sets exit codes (0 good, 1 the signature does not hold, 2 unusable
//! input).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::Utc;
use clap::Subcommand;
use jcstar_criteria::Lang;
use jcstar_registry::signing::{self, Claims, KeyDir, KeySet, SigningError};

use crate::Ctx;

/// The default key directory, beside the default database.
pub const DEFAULT_KEY_DIR: &str = "./jcstar-data/keys";

#[derive(Subcommand)]
pub enum KeysCmd {
    /// Create a key directory with a first signing key.
    Create(DirArg),
    /// Replace the signing key; the old public key stays published as retired.
    Rotate(DirArg),
    /// List the public keys (the active one first).
    List(DirArg),
}

#[derive(clap::Args)]
pub struct DirArg {
    /// Key directory: signing-key.pem (private, mode 0600) and keys.json (public).
    #[arg(long = "keys", value_name = "DIR", default_value = DEFAULT_KEY_DIR, env = "JCSTAR_KEYS")]
    pub dir: PathBuf,
}

#[derive(clap::Args)]
pub struct SignArgs {
    /// The file to sign; the signature is written beside it as FILE.jws.
    pub file: PathBuf,
    /// What the file is, recorded in the signature (e.g. labels-snapshot).
    #[arg(long, default_value = "document")]
    pub subject: String,
    #[command(flatten)]
    pub dir: DirArg,
}

#[derive(clap::Args)]
pub struct VerifyArgs {
    /// The file as received (CSV, JSON, xlsx…); not changed in any way.
    pub file: PathBuf,
    /// Its detached signature (default: FILE.jws).
    #[arg(long, value_name = "SIG")]
    pub signature: Option<PathBuf>,
    /// The registry's public keys, as downloaded from its
    /// /.well-known/jcstar-keys.json (the check runs offline).
    #[arg(long = "keys", value_name = "KEYS.json")]
    pub keys: PathBuf,
    /// Print machine-readable JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

fn fail(ctx: &Ctx, json: bool, err: &SigningError) -> ExitCode {
    let refused = matches!(
        err,
        SigningError::Mismatch
            | SigningError::UnknownKey { .. }
            | SigningError::AfterRetirement { .. }
    );
    if json {
        println!(
            "{}",
            serde_json::json!({ "valid": false, "error": err.message(ctx.lang) })
        );
    }
    let prefix = match ctx.lang {
        Lang::Ja => "jcstar: エラー",
        Lang::En => "jcstar: error",
    };
    eprintln!("{prefix}: {}", err.message(ctx.lang));
    ExitCode::from(if refused { 1 } else { 2 })
}

/// `json` is `jcstar registry --json`.
pub fn run_keys(ctx: &Ctx, cmd: KeysCmd, json: bool) -> ExitCode {
    let en = ctx.lang == Lang::En;
    let (dir, result) = match &cmd {
        KeysCmd::Create(a) => (a, KeyDir::create(&a.dir, Utc::now()).map(Some)),
        KeysCmd::Rotate(a) => (a, KeyDir::rotate(&a.dir, Utc::now()).map(Some)),
        KeysCmd::List(a) => (a, Ok(None)),
    };
    let set = match result {
        Ok(Some(keys)) => keys.key_set().clone(),
        Ok(None) => match KeySet::read(&dir.dir.join(signing::PUBLIC_KEYS_FILE)) {
            Ok(set) => set,
            Err(e) => return fail(ctx, json, &e),
        },
        Err(e) => return fail(ctx, json, &e),
    };
    if json {
        println!("{}", String::from_utf8_lossy(&set.to_json()).trim_end());
        return ExitCode::SUCCESS;
    }
    match (&cmd, en) {
        (KeysCmd::Create(_), false) => println!(
            "署名鍵を作りました: {}\n公開鍵 {} を {} で公開してください (jcstar serve --keys が配信します)。",
            dir.dir.display(),
            signing::PUBLIC_KEYS_FILE,
            signing::WELL_KNOWN_PATH
        ),
        (KeysCmd::Create(_), true) => println!(
            "Signing key created in {}\nPublish {} at {} (jcstar serve --keys does).",
            dir.dir.display(),
            signing::PUBLIC_KEYS_FILE,
            signing::WELL_KNOWN_PATH
        ),
        (KeysCmd::Rotate(_), false) => println!(
            "署名鍵を交換しました。以前の公開鍵は失効日付きで keys.json に残り、以前の署名は引き続き検証できます。"
        ),
        (KeysCmd::Rotate(_), true) => println!(
            "Signing key replaced. The old public key stays in keys.json, marked retired, so earlier signatures still verify."
        ),
        (KeysCmd::List(_), _) => {}
    }
    for key in &set.keys {
        let state = match (key.retired, en) {
            (None, false) => "使用中".to_string(),
            (None, true) => "active".to_string(),
            (Some(t), false) => format!("{} に失効", signing::format_time(t)),
            (Some(t), true) => format!("retired {}", signing::format_time(t)),
        };
        println!(
            "{}  {}  {}",
            key.kid,
            signing::format_time(key.created),
            state
        );
    }
    ExitCode::SUCCESS
}

pub fn run_sign(ctx: &Ctx, args: SignArgs, json: bool) -> ExitCode {
    let keys = match KeyDir::open(&args.dir.dir) {
        Ok(k) => k,
        Err(e) => return fail(ctx, json, &e),
    };
    let bytes = match std::fs::read(&args.file) {
        Ok(b) => b,
        Err(source) => {
            let e = SigningError::Io {
                path: args.file.clone(),
                source,
            };
            return fail(ctx, json, &e);
        }
    };
    let claims = Claims {
        subject: args.subject.clone(),
        signed_at: Utc::now(),
        registry: None,
    };
    let jws = keys.sign(&bytes, claims);
    let out = signature_path(&args.file);
    if let Err(source) = std::fs::write(&out, format!("{jws}\n")) {
        let e = SigningError::Io { path: out, source };
        return fail(ctx, json, &e);
    }
    if json {
        println!(
            "{}",
            serde_json::json!({ "file": args.file, "signature": out, "kid": keys.kid() })
        );
    } else if ctx.lang == Lang::En {
        println!("Signed with key {}: {}", keys.kid(), out.display());
    } else {
        println!("鍵 {} で署名しました: {}", keys.kid(), out.display());
    }
    ExitCode::SUCCESS
}

pub fn run_verify(ctx: &Ctx, args: VerifyArgs) -> ExitCode {
    let sig_path = args
        .signature
        .clone()
        .unwrap_or_else(|| signature_path(&args.file));
    let keys = match KeySet::read(&args.keys) {
        Ok(k) => k,
        Err(e) => return fail(ctx, args.json, &e),
    };
    let read = |p: &Path, limit: Option<usize>| -> Result<Vec<u8>, SigningError> {
        let bytes = std::fs::read(p).map_err(|source| SigningError::Io {
            path: p.to_path_buf(),
            source,
        })?;
        match limit {
            Some(n) if bytes.len() > n => Err(SigningError::Malformed(match ctx.lang {
                Lang::Ja => format!("{} が {n} バイトを超えています", p.display()),
                Lang::En => format!("{} is larger than {n} bytes", p.display()),
            })),
            _ => Ok(bytes),
        }
    };
    let result = read(&sig_path, Some(signing::MAX_SIGNATURE_BYTES)).and_then(|sig| {
        let payload = read(&args.file, None)?;
        let sig = String::from_utf8(sig).map_err(|_| {
            SigningError::Malformed(match ctx.lang {
                Lang::Ja => format!("{} はテキストではありません", sig_path.display()),
                Lang::En => format!("{} is not text", sig_path.display()),
            })
        })?;
        signing::verify(&payload, &sig, &keys)
    });
    let ok = match result {
        Ok(v) => v,
        Err(e) => return fail(ctx, args.json, &e),
    };
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "valid": true,
                "file": args.file,
                "kid": ok.kid,
                "subject": ok.claims.subject,
                "signed_at": ok.claims.signed_at,
                "registry": ok.claims.registry,
                "key_retired": ok.key_retired,
            })
        );
        return ExitCode::SUCCESS;
    }
    let at = signing::format_time(ok.claims.signed_at);
    if ctx.lang == Lang::En {
        println!(
            "Valid signature: {} is unchanged since {at} ({}), signed with key {}.",
            args.file.display(),
            ok.claims.subject,
            ok.kid
        );
        if let Some(r) = ok.key_retired {
            println!(
                "The key was retired at {}; the signature is from while it was in use.",
                signing::format_time(r)
            );
        }
    } else {
        println!(
            "署名は有効です: {} は {at} の署名 ({}) 以降変更されていません。鍵 {}。",
            args.file.display(),
            ok.claims.subject,
            ok.kid
        );
        if let Some(r) = ok.key_retired {
            println!(
                "この鍵は {} に失効しています (署名はそれ以前の使用中のものです)。",
                signing::format_time(r)
            );
        }
    }
    ExitCode::SUCCESS
}

/// `report.csv` → `report.csv.jws`.
pub fn signature_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".jws");
    PathBuf::from(name)
}
