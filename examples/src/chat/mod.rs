//! The pieces of `chat-server`: each owns one kind of IO for the XMPP
//! machines, which decide everything protocol.

pub mod client;
pub mod conn;
pub mod http;
pub mod hub;
pub mod idle;
pub mod limits;
pub mod listen;
pub mod metrics;
pub mod offline;
pub mod receipt;
pub mod sqlite;
pub mod store;
