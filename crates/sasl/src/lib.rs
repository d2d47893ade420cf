//! Sans-IO SASL for XMPP: client and server state machines for PLAIN, SCRAM-SHA-1/256/512 and
//! their -PLUS variants, EXTERNAL and ANONYMOUS.
//!
//! Covered:
//! - RFC 4422 (SASL): s3 exchange model, s3.1 mechanism names, Appendix A EXTERNAL.
//! - RFC 4616 (PLAIN) s2 message format.
//! - RFC 4505 (ANONYMOUS) s3 trace token.
//! - RFC 5802 (SCRAM) s3 key derivation, s5 exchange, s5.1 attributes (username escaping,
//!   empty prepared user names refused, reserved `m=` refused, optional attributes ignored),
//!   s6 channel binding and the `y` downgrade rule, s7 grammar and `server-error` values.
//! - RFC 7677 (SCRAM-SHA-256), and SCRAM-SHA-512 with the same construction.
//! - RFC 4013 (SASLprep) on user names and passwords, prepared as queries (unassigned code
//!   points allowed, RFC 5802 s5.1). Authorization identities are passed on as sent.
//! - RFC 5929 / RFC 9266 channel-binding types, supplied by the caller; XEP-0440 type choice;
//!   XEP-0474 downgrade protection (`h=`), which a client can require.
//! - RFC 6120 s6.5 failure conditions, via [`Error::failure`].
//!
//! The crate does no IO and draws no randomness: nonces and salts are arguments (see
//! [`nonce`]), so every exchange can be replayed from fixed vectors. Payloads are raw bytes;
//! XMPP's base64 layer is the caller's, with [`encode_payload`], [`encode_initial_response`]
//! and [`decode_payload`] as helpers.
//!
//! A client negotiates from the server's stream features with [`Client::negotiate`]. A server
//! keeps one [`StoredCredentials`] per account (one salt and iteration count for every hash,
//! under an [`AccountPolicy`]) and is asked for it by user name mid-exchange; an unknown user is
//! shown a stand-in that follows the same policy, down to the work done, with a salt as stable
//! as a real one under every name the store takes for it ([`Server::credentials_for`]).
//!
//! # Driving both roles
//! ```
//! use chatwire_sasl::{AccountPolicy, Client, ClientConfig, ClientStep, Secret, Server,
//!     ServerConfig, ServerOffer, ServerStep};
//!
//! # fn main() -> Result<(), chatwire_sasl::Error> {
//! // Stream features, as the client read them.
//! let offer = ServerOffer::new(["PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256"]).with_tls(true);
//! let mut client =
//!     Client::negotiate(&offer, &ClientConfig::new("user", "pencil"), "clientnonce123")?;
//! let config = ServerConfig::new(Secret::new(*b"a server secret of 32 bytes, ok!")?);
//! let mut server = Server::new(client.mechanism(), config, "a-fresh-server-nonce")?;
//! // The user store: one row per account, derived once at registration.
//! let stored = AccountPolicy::default().derive("pencil", b"16 random bytes!")?;
//!
//! let mut to_server = client.start()?.to_vec();          // <auth mechanism='SCRAM-SHA-256'>
//! let mut step = server.start(Some(&to_server))?;
//! loop {
//!     match step {
//!         ServerStep::NeedCredentials { username, .. } => {
//!             assert_eq!(username, "user");
//!             step = server.credentials(Some(&stored))?;  // or None: unknown user
//!         }
//!         ServerStep::Challenge(challenge) => {           // <challenge>
//!             match client.step(&challenge)? {
//!                 ClientStep::Response(r) => to_server = r,
//!                 ClientStep::Verified => to_server = Vec::new(),
//!             }
//!             step = server.step(&to_server)?;            // <response>
//!         }
//!         ServerStep::Success { additional_data, outcome } => {
//!             client.success(additional_data.as_deref())?;  // <success>
//!             assert_eq!(outcome.authcid.as_deref(), Some("user"));
//!             break;
//!         }
//!     }
//! }
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod account;
mod anonymous;
mod channel_binding;
mod client;
mod credentials;
mod error;
mod external;
mod hash;
mod mechanism;
mod negotiate;
mod payload;
mod plain;
mod saslprep;
mod scram;
mod server;
mod sha;

pub use account::{AccountPolicy, Secret};
pub use channel_binding::{ChannelBinding, DowngradeProtection};
pub use client::{Client, ClientConfig, ClientStep};
pub use credentials::{Password, ScramKeys, StoredCredentials};
pub use error::{Error, Failure, ScramServerError};
pub use hash::ScramHash;
pub use mechanism::Mechanism;
pub use negotiate::ServerOffer;
pub use payload::{decode_payload, encode_initial_response, encode_payload};
pub(crate) use saslprep::prepare_username;
pub use saslprep::saslprep;
pub use server::{Outcome, Server, ServerConfig, ServerStep};

/// Bytes of randomness in a nonce from [`nonce`] (RFC 5802 asks for a fresh, unpredictable value).
pub const NONCE_RANDOM_BYTES: usize = 18;

/// Makes a SCRAM nonce from caller-supplied randomness: [`NONCE_RANDOM_BYTES`] bytes,
/// base64-encoded (printable and free of `,`).
pub fn nonce(fill_random: &mut dyn FnMut(&mut [u8])) -> String {
    use base64::Engine;
    let mut bytes = [0u8; NONCE_RANDOM_BYTES];
    fill_random(&mut bytes);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
