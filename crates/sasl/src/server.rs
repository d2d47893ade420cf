//! The server role: one type for every mechanism; credentials are looked up by the caller
//! between steps, so the state machine never touches a database.

use core::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::channel_binding::DowngradeProtection;
use crate::scram::server::ScramServer;
use crate::{
    ChannelBinding, Error, Mechanism, ScramHash, StoredCredentials, anonymous, external, plain,
    saslprep,
};

/// A server secret (for unknown-user salts), wiped on drop and never printed.
///
/// It must be at least 16 random bytes (32 recommended) from a CSPRNG: anyone who can guess it
/// can compute the fake salts and so tell unknown users from real ones. Keep it stable across
/// restarts so an unknown user keeps the same fake salt.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Wraps secret bytes: at least 16 random bytes, see [`Secret`].
    #[must_use]
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into())
    }

    pub(crate) fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// Server settings shared by every exchange.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Channel-binding data this connection can produce, one entry per type.
    pub channel_bindings: Vec<ChannelBinding>,
    /// Whether the server advertised -PLUS mechanisms; a `y` flag then means a downgrade.
    pub plus_advertised: bool,
    /// When set, the server-first-message carries the XEP-0474 `h=` attribute.
    pub downgrade_protection: Option<DowngradeProtection>,
    /// Key for the fake salts of unknown users.
    pub secret: Secret,
    /// Iteration count shown for unknown users; match what real accounts use.
    pub fake_iterations: u32,
    /// Salt length in bytes shown for unknown users (default 16, at most
    /// [`ServerConfig::MAX_FAKE_SALT_LEN`]); match what real accounts use.
    pub fake_salt_len: usize,
    /// Identity established by the TLS layer, for EXTERNAL. Without it EXTERNAL fails.
    pub external_identity: Option<String>,
    /// Longest client message accepted, in bytes.
    pub max_message_len: usize,
}

impl ServerConfig {
    /// Longest accepted [`ServerConfig::fake_salt_len`].
    pub const MAX_FAKE_SALT_LEN: usize = 256;

    /// Defaults: no channel binding, 4096 fake iterations, 16-byte fake salts, 8 KiB messages.
    #[must_use]
    pub fn new(secret: Secret) -> Self {
        Self {
            channel_bindings: Vec::new(),
            plus_advertised: false,
            downgrade_protection: None,
            secret,
            fake_iterations: 4096,
            fake_salt_len: 16,
            external_identity: None,
            max_message_len: 8192,
        }
    }
}

/// Who authenticated, once the exchange succeeds. Whether `authcid` may act as `authzid` is
/// the caller's decision (RFC 6120 s6.4.6); refuse with [`crate::Failure::InvalidAuthzid`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Outcome {
    /// The mechanism used.
    pub mechanism: Mechanism,
    /// Authentication identity after SASLprep (`None` for ANONYMOUS).
    pub authcid: Option<String>,
    /// Requested authorization identity, if any.
    pub authzid: Option<String>,
    /// ANONYMOUS trace token, if any.
    pub trace: Option<String>,
}

/// What the server does next.
#[derive(Debug, PartialEq, Eq)]
pub enum ServerStep {
    /// Send this as the `<challenge/>` payload.
    Challenge(Vec<u8>),
    /// Look up `username`'s credentials and call [`Server::credentials`].
    NeedCredentials {
        /// User name after SASLprep.
        username: String,
        /// Requested authorization identity (informational at this point).
        authzid: Option<String>,
    },
    /// Send `<success/>` with `additional_data` (SCRAM's server-final-message).
    Success {
        /// Payload of `<success/>`.
        additional_data: Option<Vec<u8>>,
        /// Who authenticated.
        outcome: Outcome,
    },
}

enum Inner {
    Plain(PlainState),
    Scram(ScramServer),
    External,
    Anonymous,
}

enum PlainState {
    AwaitMessage,
    AwaitCredentials {
        authcid: String,
        authzid: Option<String>,
        password: Zeroizing<String>,
    },
    Done,
}

/// A server exchange for one mechanism.
pub struct Server {
    mechanism: Mechanism,
    config: ServerConfig,
    inner: Inner,
    started: bool,
    finished: bool,
}

impl Server {
    /// Prepares an exchange. `nonce` is the SCRAM server nonce part (printable ASCII without
    /// `,`, see [`crate::nonce`]); other mechanisms ignore it.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an unusable SCRAM nonce.
    pub fn new(mechanism: Mechanism, config: ServerConfig, nonce: &str) -> Result<Self, Error> {
        let inner = match mechanism {
            Mechanism::Plain => Inner::Plain(PlainState::AwaitMessage),
            Mechanism::External => Inner::External,
            Mechanism::Anonymous => Inner::Anonymous,
            _ => {
                let hash = mechanism.scram_hash().ok_or(Error::UnknownMechanism)?;
                Inner::Scram(ScramServer::new(mechanism, hash, nonce)?)
            }
        };
        Ok(Self {
            mechanism,
            config,
            inner,
            started: false,
            finished: false,
        })
    }

    /// The mechanism of this exchange.
    #[must_use]
    pub const fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    /// Handles `<auth/>`: `Some(payload)` when it carried an initial response. Without one the
    /// server asks for it with an empty challenge (RFC 6120 s6.4.2).
    ///
    /// # Errors
    /// As [`Server::step`].
    pub fn start(&mut self, initial_response: Option<&[u8]>) -> Result<ServerStep, Error> {
        if self.started {
            return Err(Error::InvalidState);
        }
        self.started = true;
        match initial_response {
            Some(data) => self.handle(data),
            None => Ok(ServerStep::Challenge(Vec::new())),
        }
    }

    /// Handles a `<response/>` payload.
    ///
    /// # Errors
    /// Peer violations (map them with [`Error::failure`]); after an error the exchange is over.
    pub fn step(&mut self, response: &[u8]) -> Result<ServerStep, Error> {
        if !self.started {
            return Err(Error::InvalidState);
        }
        self.handle(response)
    }

    /// Resumes after [`ServerStep::NeedCredentials`]: `None` for an unknown user, who then sees
    /// the same exchange as a real one until the final check fails.
    ///
    /// # Errors
    /// [`Error::InvalidState`] when no credentials were asked for, [`Error::InvalidArgument`] for
    /// credentials of another hash (SCRAM), [`Error::NotAuthorized`] for a wrong PLAIN password.
    pub fn credentials(
        &mut self,
        credentials: Option<&StoredCredentials>,
    ) -> Result<ServerStep, Error> {
        let result = match &mut self.inner {
            Inner::Scram(scram) => scram.credentials(&self.config, credentials),
            Inner::Plain(state) => plain_verify(self.mechanism, &self.config, state, credentials),
            Inner::External | Inner::Anonymous => Err(Error::InvalidState),
        };
        self.track(result)
    }

    fn handle(&mut self, data: &[u8]) -> Result<ServerStep, Error> {
        if self.finished {
            return Err(Error::UnexpectedMessage);
        }
        if data.len() > self.config.max_message_len {
            self.finished = true;
            return Err(Error::TooLong {
                len: data.len(),
                limit: self.config.max_message_len,
            });
        }
        let result = match &mut self.inner {
            Inner::Scram(scram) => scram.step(&self.config, data),
            Inner::Plain(state) => plain_message(state, data),
            Inner::External => external_message(&self.config, data),
            Inner::Anonymous => anonymous::decode(data).map(|trace| ServerStep::Success {
                additional_data: None,
                outcome: Outcome {
                    mechanism: Mechanism::Anonymous,
                    authcid: None,
                    authzid: None,
                    trace: trace.map(str::to_owned),
                },
            }),
        };
        self.track(result)
    }

    /// Ends the exchange on success or on a peer error.
    fn track(&mut self, result: Result<ServerStep, Error>) -> Result<ServerStep, Error> {
        match &result {
            Ok(ServerStep::Success { .. }) => self.finished = true,
            Err(e) if !e.is_api_misuse() => self.finished = true,
            _ => {}
        }
        result
    }
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("mechanism", &self.mechanism)
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

fn plain_message(state: &mut PlainState, data: &[u8]) -> Result<ServerStep, Error> {
    match state {
        PlainState::AwaitMessage => {}
        PlainState::AwaitCredentials { .. } => return Err(Error::InvalidState),
        PlainState::Done => return Err(Error::UnexpectedMessage),
    }
    let msg = plain::decode(data)?;
    let authcid = saslprep(msg.authcid)?.into_owned();
    let authzid = msg.authzid.map(str::to_owned);
    *state = PlainState::AwaitCredentials {
        authcid: authcid.clone(),
        authzid: authzid.clone(),
        password: Zeroizing::new(msg.password.to_owned()),
    };
    Ok(ServerStep::NeedCredentials {
        username: authcid,
        authzid,
    })
}

fn plain_verify(
    mechanism: Mechanism,
    config: &ServerConfig,
    state: &mut PlainState,
    credentials: Option<&StoredCredentials>,
) -> Result<ServerStep, Error> {
    let PlainState::AwaitCredentials {
        authcid,
        authzid,
        password,
    } = core::mem::replace(state, PlainState::Done)
    else {
        return Err(Error::InvalidState);
    };
    // An unknown user costs the same PBKDF2 as a known one.
    let fake;
    let (credentials, known) = match credentials {
        Some(c) => (c, true),
        None => {
            fake = StoredCredentials::fake(
                ScramHash::Sha256,
                config.secret.expose(),
                &authcid,
                config.fake_iterations,
                config.fake_salt_len,
            )?;
            (&fake, false)
        }
    };
    if !credentials.verify_password(&password)? || !known {
        return Err(Error::NotAuthorized);
    }
    Ok(ServerStep::Success {
        additional_data: None,
        outcome: Outcome {
            mechanism,
            authcid: Some(authcid),
            authzid,
            trace: None,
        },
    })
}

fn external_message(config: &ServerConfig, data: &[u8]) -> Result<ServerStep, Error> {
    let authzid = external::decode(data)?;
    let identity = config
        .external_identity
        .clone()
        .ok_or(Error::NotAuthorized)?;
    Ok(ServerStep::Success {
        additional_data: None,
        outcome: Outcome {
            mechanism: Mechanism::External,
            authcid: Some(identity),
            authzid: authzid.map(str::to_owned),
            trace: None,
        },
    })
}
