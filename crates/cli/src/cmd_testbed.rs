//! `jcstar testbed`: run simulated IoT devices described in TOML on loopback.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
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
        /// Device description (TOML), or the name of a built-in one:
        /// camera, hub, hostile.
        file: String,
        /// Loopback address to listen on (127.0.0.1 or ::1).
        #[arg(long, default_value = "127.0.0.1")]
        bind: IpAddr,
        /// Print the listening services as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the built-in device descriptions.
    List,
}

pub fn run(_ctx: &Ctx, args: Args) -> anyhow::Result<ExitCode> {
    match args.sub {
        Sub::List => {
            for (name, text) in jcstar_testbed::device::builtin_devices() {
                let desc = DeviceSpec::parse(text, name)
                    .map(|d| d.description)
                    .unwrap_or_default();
                println!("{:<14} {desc}", name.trim_end_matches(".toml"));
            }
            Ok(ExitCode::SUCCESS)
        }
        Sub::Run { file, bind, json } => {
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
