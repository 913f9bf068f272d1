//! Bytes ↔ typed values for the protocols the device tests speak: HTTP
//! heads, Telnet negotiation, FTP replies, MQTT CONNECT/CONNACK, SNMP
//! (BER) and the TLS record and handshake headers.
//!
//! # What this crate owns
//! - Parsing bytes a device sent into typed values, and encoding the bytes
//!   the probe (or the testbed, playing a device) sends.
//! - One behaviour per protocol detail: the probe and the testbed call the
//!   same function, so they cannot drift apart.
//!
//! # What it must not do
//! - No IO, no sockets, no clocks, no async: callers read and write; these
//!   functions only look at the bytes they are given. An incomplete input is
//!   reported as such (an `Incomplete` error or bytes left over), so the
//!   caller decides whether to read more.
//! - Never panic, on any input: no `unwrap`, `expect` or slice indexing on
//!   input bytes, every length checked before use, every loop bounded by
//!   the input. Each parser has a fuzz target in `fuzz/`.
//! - No policy: whether a reply means "login accepted" or "locked out" is
//!   the caller's judgement; this crate only says what the bytes are.
//! - Errors are typed enums, never strings.

#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

pub mod ftp;
pub mod http;
pub mod mqtt;
pub mod snmp;
pub mod telnet;
pub mod tls;
