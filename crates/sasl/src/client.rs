//! The client role: one type for every mechanism, driven by the server's challenges.

use zeroize::Zeroizing;

use crate::channel_binding::DowngradeProtection;
use crate::negotiate::{self, ServerOffer};
use crate::scram::client::{ChannelBindingUse, ScramClient};
use crate::{ChannelBinding, Error, Mechanism, Password, anonymous, plain};

/// The client's credentials and policy; unused fields are ignored by mechanisms that do not
/// use them. [`Client::negotiate`] picks a mechanism under this policy.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ClientConfig {
    /// Authentication identity (the user name). SASLprep is applied for SCRAM.
    pub authcid: String,
    /// Authorization identity to act as, if different from the authcid. Sent as given.
    pub authzid: Option<String>,
    /// The password (PLAIN, SCRAM).
    pub password: Password,
    /// Channel-binding data the TLS layer can produce, preferred type first. A client with any
    /// is binding-capable: it uses -PLUS whenever the server offers it, and otherwise sends the
    /// `y` flag (RFC 5802 s6), never `n`, so a stripped -PLUS is caught by the server.
    pub channel_bindings: Vec<ChannelBinding>,
    /// Mechanisms [`Client::negotiate`] may pick, most preferred first
    /// (default [`Mechanism::DEFAULT_PREFERENCE`]).
    pub preference: Vec<Mechanism>,
    /// Whether PLAIN may be picked on a connection without TLS, sending the password in clear
    /// (default `false`).
    pub allow_plain_without_tls: bool,
    /// Whether a binding-capable client may pick PLAIN (default `false`). PLAIN cannot notice a
    /// man in the middle who rewrote the mechanism list, so by default such a client binds or
    /// fails.
    pub allow_plain_with_channel_binding: bool,
    /// Whether the server-first-message must carry a XEP-0474 `h=` attribute (default `false`);
    /// when it is present it is always checked. Rules out PLAIN, EXTERNAL and ANONYMOUS.
    pub require_downgrade_protection: bool,
    /// What the server advertised, to check a XEP-0474 `h=` against. [`Client::negotiate`] sets
    /// it from the offer; set it by hand only with [`Client::new`].
    pub downgrade_protection: Option<DowngradeProtection>,
    /// Lowest iteration count accepted from a server (default 4096, RFC 7677 s4).
    pub min_iterations: u32,
    /// Highest iteration count accepted, to bound the work a server can demand (default 10^6).
    pub max_iterations: u32,
    /// Fewest characters the server must add to the client nonce (default 16).
    pub min_server_nonce_len: usize,
    /// Trace token sent with ANONYMOUS.
    pub anonymous_trace: Option<String>,
    /// Longest challenge accepted, in bytes.
    pub max_message_len: usize,
}

impl ClientConfig {
    /// A configuration for `authcid` with `password` and the default policy.
    #[must_use]
    pub fn new(authcid: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            authcid: authcid.into(),
            authzid: None,
            password: Password::new(password),
            channel_bindings: Vec::new(),
            preference: Mechanism::DEFAULT_PREFERENCE.to_vec(),
            allow_plain_without_tls: false,
            allow_plain_with_channel_binding: false,
            require_downgrade_protection: false,
            downgrade_protection: None,
            min_iterations: 4096,
            max_iterations: 1_000_000,
            min_server_nonce_len: 16,
            anonymous_trace: None,
            max_message_len: 8192,
        }
    }

    /// Adds channel-binding data the TLS layer can produce (call once per type, preferred first).
    #[must_use]
    pub fn with_channel_binding(mut self, binding: ChannelBinding) -> Self {
        self.channel_bindings.push(binding);
        self
    }

    /// Checks the bounds against each other.
    fn check(&self) -> Result<(), Error> {
        if self.min_iterations == 0 || self.min_iterations > self.max_iterations {
            return Err(Error::InvalidArgument(
                "min_iterations must be in 1..=max_iterations",
            ));
        }
        Ok(())
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
    /// Picks the mechanism for what the server offered, under the client's policy, and prepares
    /// the exchange: the one entry point for a client that reads stream features.
    ///
    /// A binding-capable client (one with [`ClientConfig::channel_bindings`]) uses -PLUS when
    /// offered, with the first of its types the server lists (XEP-0440; its first type when the
    /// server lists none), and fails rather than fall back when no type is shared; whatever
    /// a man in the middle does to the lists, it binds or fails. PLAIN is picked only over TLS
    /// unless [`ClientConfig::allow_plain_without_tls`]. The XEP-0474 `h=` attribute is checked
    /// against the offer.
    ///
    /// # Errors
    /// [`Error::NoAcceptableMechanism`] when nothing offered fits the policy,
    /// [`Error::UnsupportedChannelBinding`] when the server offers -PLUS without any of the
    /// client's channel-binding types; as [`Client::new`].
    pub fn negotiate(
        offer: &ServerOffer,
        config: &ClientConfig,
        nonce: &str,
    ) -> Result<Self, Error> {
        let choice = negotiate::choose(offer, config)?;
        let downgrade = offer.downgrade_protection();
        Self::build(
            choice.mechanism,
            config,
            choice.channel_binding,
            Some(downgrade),
            nonce,
        )
    }

    /// Prepares an exchange for a mechanism chosen by other means, applying no mechanism
    /// policy (prefer [`Client::negotiate`]). `nonce` is the SCRAM client nonce (printable ASCII
    /// without `,`, at least 18 random bytes' worth, see [`crate::nonce`]); other mechanisms
    /// ignore it. -PLUS uses the first of [`ClientConfig::channel_bindings`].
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a bad nonce, a missing password, a user name refused by
    /// SASLprep or empty once prepared, missing channel binding for -PLUS, or bounds that
    /// contradict each other; [`Error::Saslprep`] for a password refused by SASLprep.
    pub fn new(mechanism: Mechanism, config: &ClientConfig, nonce: &str) -> Result<Self, Error> {
        let binding = if mechanism.is_plus() {
            config.channel_bindings.first()
        } else {
            None
        };
        let downgrade = config.downgrade_protection.clone();
        Self::build(mechanism, config, binding, downgrade, nonce)
    }

    fn build(
        mechanism: Mechanism,
        config: &ClientConfig,
        binding: Option<&ChannelBinding>,
        downgrade: Option<DowngradeProtection>,
        nonce: &str,
    ) -> Result<Self, Error> {
        config.check()?;
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
                let gs2 = ChannelBindingUse::for_mechanism(mechanism, binding, config)?;
                Inner::Scram(ScramClient::new(hash, gs2, config, downgrade, nonce)?)
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
    /// client-first). May be empty; XMPP writes an empty response as `=`. It is wiped when
    /// dropped: PLAIN's holds the password.
    ///
    /// # Errors
    /// [`Error::InvalidState`] when called twice.
    pub fn start(&mut self) -> Result<Zeroizing<Vec<u8>>, Error> {
        match &mut self.inner {
            Inner::Plain(msg) => msg.take().ok_or(Error::InvalidState),
            Inner::External(msg) | Inner::Anonymous(msg) => {
                msg.take().map(Zeroizing::new).ok_or(Error::InvalidState)
            }
            Inner::Scram(scram) => scram.start().map(Zeroizing::new),
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
