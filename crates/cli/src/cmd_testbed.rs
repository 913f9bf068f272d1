//! `jcstar testbed`: run simulated IoT devices described in TOML on loopback.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use jcstar_testbed::auth::{self, AuthDeviceSpec, AuthService};
use jcstar_testbed::{Device, DeviceSpec};

use crate::Ctx;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    sub: Sub,
}

#[derive(clap::Subcommand)]
enum Sub {
    /// Start the device's services and print their ports; runs until Ctrl-C.
    Run {
        /// Device description (TOML), or the name of a built-in one (see
        /// `jcstar testbed list`). A description with an `[auth]` table
        /// starts a login device (brute-force defences, power-cut control).
        file: String,
        /// Loopback address to listen on: any 127.0.0.N or ::1. Give each
        /// device an address of its own (e.g. 127.0.0.2) and scan that
        /// address; services of this machine bound to every address still
        /// answer there too, so scan inside a network namespace
        /// (`unshare --net`) to see the device alone.
        #[arg(long, default_value = "127.0.0.1")]
        bind: IpAddr,
        /// Print the listening services as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the built-in device descriptions.
    List {
        /// Print the list as JSON (name, kind, description, services).
        #[arg(long)]
        json: bool,
    },
}

pub fn run(_ctx: &Ctx, args: Args) -> anyhow::Result<ExitCode> {
    match args.sub {
        Sub::List { json } => {
            let list = jcstar_testbed::builtin_list();
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for d in &list {
                    println!("{:<22} {}", d.name, d.description);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Sub::Run { file, bind, json } => {
            if !bind.is_loopback() {
                anyhow::bail!(
                    "--bind {bind}: the testbed listens only on loopback (any 127.0.0.N, or ::1)"
                );
            }
            let auth_text = match auth::builtin_auth_devices()
                .into_iter()
                .find(|(n, _)| *n == file)
            {
                Some((_, text)) if !PathBuf::from(&file).exists() => Some(text.to_string()),
                _ => match std::fs::read_to_string(&file) {
                    Ok(t) if AuthDeviceSpec::is_auth_description(&t) => Some(t),
                    _ => None,
                },
            };
            if let Some(text) = auth_text {
                let spec = AuthDeviceSpec::parse(&text, &file)?;
                return run_auth(&spec, bind, json);
            }
            let builtin = jcstar_testbed::device::builtin_devices();
            let spec = match builtin.get(format!("{file}.toml").as_str()) {
                Some(text) if !PathBuf::from(&file).exists() => DeviceSpec::parse(text, &file)?,
                _ => DeviceSpec::load(&PathBuf::from(&file))?,
            };
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("starting the async runtime")?;
            rt.block_on(async {
                let dev = Device::start_on(&spec, bind).await?;
                if json {
                    println!(
                        "{}",
                        serde_json::json!({"name": dev.name, "services": dev.services})
                    );
                } else {
                    println!("device {} listening:", dev.name);
                    for s in &dev.services {
                        let w: Vec<String> = s
                            .weaknesses
                            .iter()
                            .filter_map(|w| serde_json::to_value(w).ok())
                            .filter_map(|v| v.as_str().map(str::to_owned))
                            .collect();
                        println!(
                            "  {:<22} {:<4} {:<9} {}",
                            s.addr.to_string(),
                            if s.udp { "udp" } else { "tcp" },
                            serde_json::to_value(s.kind)
                                .ok()
                                .and_then(|v| v.as_str().map(str::to_owned))
                                .unwrap_or_default(),
                            w.join(",")
                        );
                    }
                    println!("Ctrl-C to stop");
                }
                use std::io::Write as _;
                let _ = std::io::stdout().flush();
                tokio::signal::ctrl_c()
                    .await
                    .context("waiting for Ctrl-C")?;
                drop(dev);
                anyhow::Ok(())
            })?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn service_name(s: AuthService) -> &'static str {
    match s {
        AuthService::Http => "http",
        AuthService::Form => "form",
        AuthService::Telnet => "telnet",
        AuthService::Ftp => "ftp",
        AuthService::Mqtt => "mqtt",
    }
}

/// What each login service offers, for the tester choosing `--service`.
fn service_hint(s: AuthService) -> &'static str {
    match s {
        AuthService::Http => "http-basic on /, http-digest on /digest, status on /status",
        AuthService::Form => "http-form on /login (failures answer 200 with an error text)",
        AuthService::Telnet => "telnet login prompt",
        AuthService::Ftp => "ftp USER/PASS",
        AuthService::Mqtt => "mqtt 3.1.1 and 5 CONNECT",
    }
}

fn run_auth(spec: &AuthDeviceSpec, bind: IpAddr, json: bool) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async {
        let dev = spec
            .start(bind)
            .await
            .with_context(|| format!("starting the login device on {bind}"))?;
        let control = dev.control_addr();
        if json {
            let services: Vec<serde_json::Value> = dev
                .services()
                .iter()
                .map(|(k, a)| serde_json::json!({"kind": service_name(*k), "addr": a.to_string()}))
                .collect();
            println!(
                "{}",
                serde_json::json!({
                    "name": spec.auth.model,
                    "policy": spec.auth.policy,
                    "services": services,
                    "control": control.to_string(),
                })
            );
        } else {
            println!(
                "login device {} (firmware {}) listening:",
                spec.auth.model, spec.auth.firmware
            );
            for (k, a) in dev.services() {
                println!("  {:<22} {:<7} {}", a.to_string(), service_name(*k), service_hint(*k));
            }
            println!("  {:<22} control POST /power-cut, /delete-data, /firmware?version=V, /password?new=P; GET /status", control.to_string());
            println!("  power cut: curl -X POST http://{control}/power-cut   (or send SIGUSR1 to this process)");
            println!("Ctrl-C to stop");
        }
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
        wait_auth(&dev).await?;
        drop(dev);
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Runs until Ctrl-C or SIGTERM; SIGUSR1 cuts the power, as the control
/// endpoint's `POST /power-cut` does.
#[cfg(unix)]
async fn wait_auth(dev: &auth::AuthDevice) -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut usr1 = signal(SignalKind::user_defined1()).context("installing SIGUSR1")?;
    let mut term = signal(SignalKind::terminate()).context("installing SIGTERM")?;
    loop {
        tokio::select! {
            _ = usr1.recv() => {
                dev.power_cut();
                eprintln!("power cut (SIGUSR1)");
            }
            _ = term.recv() => return Ok(()),
            r = tokio::signal::ctrl_c() => return r.context("waiting for Ctrl-C"),
        }
    }
}

#[cfg(not(unix))]
async fn wait_auth(_dev: &auth::AuthDevice) -> anyhow::Result<()> {
    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")
}
