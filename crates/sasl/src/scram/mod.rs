//! SCRAM (RFC 5802, RFC 7677): message grammar and the two state machines.

pub(crate) mod client;
pub(crate) mod message;
pub(crate) mod server;
