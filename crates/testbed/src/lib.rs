//! Simulated IoT devices with switchable weaknesses, described in TOML and run
//! in-process on loopback, plus launchers for the real Debian daemons the
//! probe is tested against.
//!
//! It listens only on loopback addresses and is never a dependency of the
//! probe itself, only of its tests and of `jcstar testbed`.

// Nested `if let` reads better here than let-chains, which need Rust 1.88.

pub mod auth;
pub mod daemons;
pub mod device;

pub use device::{Device, DeviceSpec, Kind, RunningDevice, ServiceSpec, TestbedError, Weakness};

/// One built-in device, as `jcstar testbed list` shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BuiltinDevice {
    /// What `jcstar testbed run` takes.
    pub name: String,
    /// `device` (services with switchable weaknesses) or `login-device`
    /// (brute-force defences and a power-cut control port).
    pub kind: &'static str,
    /// One line on what the device shows or is for.
    pub description: String,
    /// The services it runs, by kind (`http`, `telnet`, …).
    pub services: Vec<String>,
}

/// Every built-in device description, devices first, each group by name.
pub fn builtin_list() -> Vec<BuiltinDevice> {
    fn kebab<T: serde::Serialize>(v: &T) -> String {
        serde_json::to_value(v)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }
    let mut out = Vec::new();
    for (name, text) in device::builtin_devices() {
        let spec = DeviceSpec::parse(text, name).ok();
        out.push(BuiltinDevice {
            name: name.trim_end_matches(".toml").to_string(),
            kind: "device",
            description: spec
                .as_ref()
                .map(|d| d.description.clone())
                .unwrap_or_default(),
            services: spec
                .map(|d| d.services.iter().map(|s| kebab(&s.kind)).collect())
                .unwrap_or_default(),
        });
    }
    for (name, text) in auth::builtin_auth_devices() {
        let spec = auth::AuthDeviceSpec::parse(text, name).ok();
        out.push(BuiltinDevice {
            name: name.to_string(),
            kind: "login-device",
            description: spec
                .as_ref()
                .map(|d| d.description.clone())
                .unwrap_or_default(),
            services: spec
                .map(|d| d.services.iter().map(kebab).collect())
                .unwrap_or_default(),
        });
    }
    out
}

#[cfg(test)]
mod list_tests {
    #[test]
    fn every_builtin_description_parses_and_is_listed() {
        let list = super::builtin_list();
        assert!(
            list.iter()
                .any(|d| d.name == "camera" && d.kind == "device")
        );
        assert!(
            list.iter()
                .any(|d| d.name == "auth-lockout" && d.kind == "login-device")
        );
        for d in &list {
            assert!(!d.description.is_empty(), "{} has no description", d.name);
            assert!(!d.services.is_empty(), "{} lists no services", d.name);
            assert!(d.services.iter().all(|s| !s.is_empty()), "{}", d.name);
        }
    }
}
