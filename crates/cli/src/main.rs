//! The `jcstar` binary. It parses arguments, calls the library crates and turns
//! their results into text, JSON and exit codes; the work itself lives in the
//! libraries, so this crate stays thin.

#![allow(clippy::print_stdout, clippy::print_stderr)] // the binary is where output is printed

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use jcstar_criteria::Lang;

mod bar;
mod checklist_report;
mod clap_error_ja;
mod cmd_assess;
mod cmd_attach;
mod cmd_checklist;
mod cmd_counterfeit;
mod cmd_criteria;
mod cmd_keys;
mod cmd_persistence;
mod cmd_probe;
mod cmd_registry;
mod cmd_serve;
mod cmd_testbed;
mod cmd_verify;
mod cmd_vulndb;
mod help_ja;
mod text;

/// jcstar: the JC-STAR IoT security labeling scheme, end to end.
///
/// Read the ★1 criteria, fill and check a self-assessment checklist, test a
/// device, and run the label registry with its public product pages.
#[derive(Parser)]
#[command(name = "jcstar", version, propagate_version = true)]
struct Cli {
    /// Language of messages and catalog text: `ja` (default) or `en`.
    #[arg(long, global = true, default_value = "ja", env = "JCSTAR_LANG")]
    lang: Lang,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read the criteria catalog and look up cross-scheme references.
    Criteria(cmd_criteria::Args),
    /// Create, check and convert a ★1 self-assessment checklist.
    Checklist(cmd_checklist::Args),
    /// Run the label registry: public pages, search, open data and the API.
    Serve(cmd_serve::Args),
    /// Operator tasks on the registry from the shell.
    Registry(cmd_registry::Args),
    /// Fill an empty registry with realistic sample products.
    Demo(cmd_registry::DemoArgs),
    /// Test a device on the network: ports, services, TLS, plaintext logins.
    Probe(Box<cmd_probe::Args>),
    /// Run every automatable ★1 device test against one device.
    Assess(cmd_assess::Args),
    /// Run simulated IoT devices described in a TOML file.
    Testbed(cmd_testbed::Args),
    /// Offline vulnerability data (NVD, OSV, CISA KEV): import, look up, match.
    Vulndb(cmd_vulndb::Args),
    /// Check offline that a file is exactly what the registry signed.
    VerifySignature(cmd_keys::VerifyArgs),
    /// Check a list of model numbers or registration numbers (CSV, xlsx or
    /// one per line) against a registry server.
    VerifyList(cmd_verify::Args),
}

/// Settings every command sees. A command returns the exit code it wants;
/// an error that escapes it is unreadable input or an I/O failure (exit 2).
pub struct Ctx {
    /// The language of everything the command prints (`--lang`, Japanese by default).
    pub lang: Lang,
}

/// mimalloc instead of the system allocator: the server allocates and frees
/// small buffers on every request, and glibc's malloc was a sixth of its CPU
/// time on product pages (see docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    restore_sigpipe();
    raise_open_file_limit();
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // The language is known before parsing, so that `--help` speaks it.
    let lang = help_ja::lang_from_args(&argv);
    help_ja::set_lang(lang);
    let cmd = match lang {
        Lang::Ja => help_ja::localise(Cli::command()),
        Lang::En => Cli::command(),
    };
    let matches = cmd
        .try_get_matches_from(argv)
        .unwrap_or_else(|e| clap_error_ja::exit_on_error(e, lang));
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let ctx = Ctx { lang: cli.lang };
    let result = match cli.command {
        Command::Criteria(args) => cmd_criteria::run(&ctx, args),
        Command::Checklist(args) => cmd_checklist::run(&ctx, args),
        Command::Serve(args) => cmd_serve::run(&ctx, args),
        Command::Registry(args) => cmd_registry::run(&ctx, args),
        Command::Demo(args) => cmd_registry::run_demo(&ctx, args),
        Command::Probe(args) => cmd_probe::run(&ctx, *args),
        Command::Assess(args) => cmd_assess::run(&ctx, args),
        Command::Testbed(args) => cmd_testbed::run(&ctx, args),
        Command::Vulndb(args) => cmd_vulndb::run(&ctx, args),
        Command::VerifySignature(args) => Ok(cmd_keys::run_verify(&ctx, args)),
        Command::VerifyList(args) => cmd_verify::run(&ctx, args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            let prefix = match ctx.lang {
                Lang::Ja => "jcstar: エラー",
                Lang::En => "jcstar: error",
            };
            // The libraries' own errors know both languages; anything else
            // is printed with its context chain.
            let text = if let Some(e) = err.downcast_ref::<jcstar_probe::assess::AssessError>() {
                e.text(ctx.lang)
            } else if let Some(e) = err.downcast_ref::<jcstar_probe::ProbeError>() {
                e.text(ctx.lang)
            } else {
                format!("{err:#}")
            };
            eprintln!("{prefix}: {text}");
            ExitCode::from(2)
        }
    }
}

/// Rust ignores SIGPIPE, so `jcstar criteria list | head` would end in a
/// "failed printing to stdout" panic; a command-line tool should simply stop
/// when its reader goes away, as the shell's own tools do.
/// A full TCP scan holds thousands of sockets at once and the server one per
/// connection; the soft limit on open files (often 1,024) is raised to the
/// hard limit the administrator allows. Libraries only read the limit.
fn raise_open_file_limit() {
    #[cfg(unix)]
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 && lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread exists; it only
    // resets one signal's disposition to the system default.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
