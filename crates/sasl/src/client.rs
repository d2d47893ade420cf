//! The client role: one type for every mechanism, driven by the server's challenges.

use zeroize::Zeroizing;

use crate::channel_binding::DowngradeProtection;
use crate::scram::client::ScramClient;
use crate::{ChannelBinding, Error, Mechanism, Password, anonymous, plain};

/// Everything a client may need; unused fields are ignored by mechanisms that do not use them.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ClientConfig {
    /// Authentication identity (the user name). SASLprep is applied for SCRAM.
    pub authcid: String,
    /// Authorization identity to act as, if different from the authcid.
    pub authzid: Option<String>,
    /// The password (PLAIN, SCRAM).
    pub password: Password,
    /// Channel-binding data from the TLS layer. Required for -PLUS; with a non-PLUS SCRAM
    /// mechanism the client sends the `y` flag (RFC 5802 s6) unless `server_offers_plus`.
    pub channel_binding: Option<ChannelBinding>,
    /// Whether the server offered any SCRAM -PLUS mechanism. When it did and a non-PLUS SCRAM
    /// mechanism is used anyway (say, no common binding type, XEP-0440), the client sends `n`:
    /// `y` would claim the server offers no -PLUS and a correct server would then refuse it as
    /// a downgrade. Default `false`, which keeps `y` and with it the downgrade detection; set it
    /// with [`ClientConfig::with_server_offers_plus`].
    pub server_offers_plus: bool,
    /// Lowest iteration count accepted from a server (default 4096, RFC 7677 s4).
    pub min_iterations: u32,
    /// Highest iteration count accepted, to bound the work a server can demand (default 10^6).
    pub max_iterations: u32,
    /// What the server advertised, to check a XEP-0474 `h=` attribute against.
    pub downgrade_protection: Option<DowngradeProtection>,
    /// Trace token sent with ANONYMOUS.
    pub anonymous_trace: Option<String>,
    /// Longest challenge accepted, in bytes.
    pub max_message_len: usize,
}

impl ClientConfig {
    /// A configuration for `authcid` with `password` and default bounds.
    #[must_use]
    pub fn new(authcid: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            authcid: authcid.into(),
            authzid: None,
            password: Password::new(password),
            channel_binding: None,
            server_offers_plus: false,
            min_iterations: 4096,
            max_iterations: 1_000_000,
            downgrade_protection: None,
            anonymous_trace: None,
            max_message_len: 8192,
        }
    }

    /// Records whether the server's mechanism list held a SCRAM -PLUS variant, for example
    /// `offered.iter().any(|m| m.ends_with("-PLUS"))`.
    #[must_use]
    pub fn with_server_offers_plus(mut self, offered: bool) -> Self {
        self.server_offers_plus = offered;
        self
    }
}

/// What the client does after a challenge.
#[derive(Debug, PartialEq, Eq)]
pub enum ClientStep {
    /// Send this as the `<response/>` payload.
    Response(Vec<u8>),
    /// The server is verified; send an empty `<response/>` and expect `<success/>`.
    Verified,
}

enum Inner {
    Plain(Option<Zeroizing<Vec<u8>>>),
    Scram(ScramClient),
    External(Option<Vec<u8>>),
    Anonymous(Option<Vec<u8>>),
}

/// A client exchange for one mechanism.
pub struct Client {
    mechanism: Mechanism,
    max_message_len: usize,
    inner: Inner,
}

impl Client {
    /// Prepares an exchange. `nonce` is the SCRAM client nonce (printable ASCII without `,`,
    /// at least 18 random bytes' worth, see [`crate::nonce`]); other mechanisms ignore it.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a bad nonce, missing password or missing channel binding
    /// for -PLUS; [`Error::Saslprep`] for a refused user name or password.
    pub fn new(mechanism: Mechanism, config: &ClientConfig, nonce: &str) -> Result<Self, Error> {
        let inner = match mechanism {
            Mechanism::Plain => Inner::Plain(Some(plain::encode(
                config.authzid.as_deref().filter(|a| !a.is_empty()),
                &config.authcid,
                config.password.expose(),
            )?)),
            Mechanism::External => Inner::External(Some(
                config.authzid.clone().unwrap_or_default().into_bytes(),
            )),
            Mechanism::Anonymous => {
                let trace = config.anonymous_trace.clone().unwrap_or_default();
                anonymous::check(&trace).map_err(|_| Error::InvalidArgument("trace token"))?;
                Inner::Anonymous(Some(trace.into_bytes()))
            }
            _ => {
                let hash = mechanism.scram_hash().ok_or(Error::UnknownMechanism)?;
                Inner::Scram(ScramClient::new(hash, mechanism.is_plus(), config, nonce)?)
            }
        };
        Ok(Self {
            mechanism,
            max_message_len: config.max_message_len,
            inner,
        })
    }

    /// The mechanism of this exchange.
    #[must_use]
    pub const fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    /// The initial response, sent inside `<auth mechanism='...'>` (every mechanism here is
    /// client-first). May be empty; XMPP writes an empty response as `=`.
    ///
    /// # Errors
    /// [`Error::InvalidState`] when called twice.
    pub fn start(&mut self) -> Result<Vec<u8>, Error> {
        match &mut self.inner {
            Inner::Plain(msg) => msg.take().map(|m| m.to_vec()).ok_or(Error::InvalidState),
            Inner::External(msg) | Inner::Anonymous(msg) => msg.take().ok_or(Error::InvalidState),
            Inner::Scram(scram) => scram.start(),
        }
    }

    /// Handles a `<challenge/>` payload.
    ///
    /// # Errors
    /// Any peer violation: nonce not extended, iterations out of bounds, bad server signature,
    /// `e=` from the server, or a challenge where the mechanism has none.
    pub fn step(&mut self, challenge: &[u8]) -> Result<ClientStep, Error> {
        if challenge.len() > self.max_message_len {
            return Err(Error::TooLong {
                len: challenge.len(),
                limit: self.max_message_len,
            });
        }
        match &mut self.inner {
            Inner::Scram(scram) => Ok(match scram.step(challenge)? {
                Some(response) => ClientStep::Response(response),
                None => ClientStep::Verified,
            }),
            _ => Err(Error::UnexpectedMessage),
        }
    }

    /// Handles `<success/>` with its optional additional data. For SCRAM the server must have
    /// proven itself, either in an earlier challenge or in this data.
    ///
    /// # Errors
    /// [`Error::MissingVerifier`] when a SCRAM server never sent `v=`, [`Error::ServerSignature`]
    /// when it is wrong, [`Error::UnexpectedMessage`] for data a mechanism does not expect.
    pub fn success(&mut self, additional_data: Option<&[u8]>) -> Result<(), Error> {
        let data = additional_data.filter(|d| !d.is_empty());
        match &mut self.inner {
            Inner::Scram(scram) => match data {
                _ if scram.is_verified() && data.is_none() => Ok(()),
                Some(d) if !scram.is_verified() => {
                    if d.len() > self.max_message_len {
                        return Err(Error::TooLong {
                            len: d.len(),
                            limit: self.max_message_len,
                        });
                    }
                    scram.finish(d)
                }
                Some(_) => Err(Error::UnexpectedMessage),
                None => Err(Error::MissingVerifier),
            },
            Inner::Plain(msg) => finish_simple(msg.is_none(), data),
            Inner::External(msg) | Inner::Anonymous(msg) => finish_simple(msg.is_none(), data),
        }
    }
}

/// Mechanisms without a server message succeed once the initial response went out.
fn finish_simple(started: bool, data: Option<&[u8]>) -> Result<(), Error> {
    if started && data.is_none() {
        Ok(())
    } else {
        Err(Error::UnexpectedMessage)
    }
}

impl core::fmt::Debug for Client {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Client")
            .field("mechanism", &self.mechanism)
            .finish_non_exhaustive()
    }
}
