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
