//! Command-line errors in Japanese. clap writes its own errors in English
//! only; this reads the error's kind and context and says the same thing in
//! Japanese, with the same exit code.

use jcstar_criteria::Lang;

/// Print a command-line error in `lang` and exit, as `clap::Error::exit`
/// does. Help and version requests, English, and the rare kinds not
/// translated here are left to clap.
pub fn exit_on_error(e: clap::Error, lang: Lang) -> ! {
    use clap::error::{ContextKind as C, ContextValue as V, ErrorKind as K};
    if lang == Lang::En
        || matches!(
            e.kind(),
            K::DisplayHelp | K::DisplayVersion | K::DisplayHelpOnMissingArgumentOrSubcommand
        )
    {
        e.exit()
    }
    let list = |k: C| -> Vec<String> {
        match e.get(k) {
            Some(V::String(s)) => vec![s.clone()],
            Some(V::Strings(v)) => v.clone(),
            Some(V::StyledStr(s)) => vec![s.to_string()],
            Some(V::Number(n)) => vec![n.to_string()],
            _ => Vec::new(),
        }
    };
    let one = |k: C| list(k).join(", ");
    let (arg, value) = (one(C::InvalidArg), one(C::InvalidValue));
    let mut msg = match e.kind() {
        K::InvalidValue if value.is_empty() => format!("{arg} に値を指定してください"),
        K::InvalidValue => format!("'{value}' は {arg} に指定できる値ではありません"),
        K::ValueValidation => {
            let why = std::error::Error::source(&e)
                .map(|s| format!(": {s}"))
                .unwrap_or_default();
            format!("'{value}' は {arg} の値として正しくありません{why}")
        }
        K::UnknownArgument => format!("{arg} という引数はありません"),
        K::InvalidSubcommand => {
            format!("'{}' というコマンドはありません", one(C::InvalidSubcommand))
        }
        K::MissingRequiredArgument => format!(
            "必須の引数が指定されていません:\n  {}",
            list(C::InvalidArg).join("\n  ")
        ),
        K::MissingSubcommand => format!(
            "'{}' にはコマンドの指定が必要です",
            one(C::InvalidSubcommand)
        ),
        K::ArgumentConflict => match one(C::PriorArg) {
            prior if prior.is_empty() => {
                format!("{arg} は、指定された他の引数と一緒には使えません")
            }
            prior => format!("{arg} は {prior} と一緒には使えません"),
        },
        K::NoEquals => format!("{arg} の値は '=' に続けて指定してください"),
        K::TooManyValues => format!("'{value}' は余分です: {arg} にはこれ以上の値を指定できません"),
        K::TooFewValues | K::WrongNumberOfValues => format!(
            "{arg} の値の数が正しくありません（指定された数: {}）",
            one(C::ActualNumValues)
        ),
        _ => e.exit(),
    };
    let valid = list(C::ValidValue);
    if e.kind() == K::InvalidValue && !valid.is_empty() {
        msg.push_str(&format!("\n  指定できる値: {}", valid.join(", ")));
    }
    for k in [C::SuggestedSubcommand, C::SuggestedArg, C::SuggestedValue] {
        let s = one(k);
        if !s.is_empty() {
            msg.push_str(&format!("\n\n  もしかして: '{s}'"));
        }
    }
    if let Some(V::StyledStr(usage)) = e.get(C::Usage) {
        let usage = usage.to_string();
        let usage = usage.strip_prefix("Usage:").unwrap_or(&usage).trim();
        msg.push_str(&format!("\n\n使い方: {usage}"));
    }
    eprintln!("エラー: {msg}\n\n詳しくは '--help' を参照してください。");
    std::process::exit(e.exit_code())
}
