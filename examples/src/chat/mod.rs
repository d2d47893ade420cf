//! The pieces of `chat-server`: each owns one kind of IO for the XMPP
//! machines, which decide everything protocol.

pub mod sqlite;
pub mod store;
