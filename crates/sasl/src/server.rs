//! The server role: one type for every mechanism; credentials are looked up by the caller
//! between steps, so the state machine never touches a database.

use core::fmt;

use zeroize::Zeroizing;

use crate::account::ExchangeAccount;
use crate::channel_binding::DowngradeProtection;
use crate::credentials::verify_plain;
use crate::scram::server::ScramServer;
use crate::{
    AccountPolicy, ChannelBinding, Error, Mechanism, Secret, StoredCredentials, anonymous,
    external, plain, prepare_username,
};

/// Server settings shared by every exchange.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Channel-binding data this connection can produce, one entry per type.
    pub channel_bindings: Vec<ChannelBinding>,
    /// Whether the server advertised -PLUS mechanisms. A `y` flag means a downgrade when this
    /// is set or [`ServerConfig::channel_bindings`] is not empty (RFC 5802 s6: a server that
    /// supports channel binding fails `y`).
    pub plus_advertised: bool,
    /// When set, the server-first-message carries the XEP-0474 `h=` attribute.
    pub downgrade_protection: Option<DowngradeProtection>,
    /// Key for the salts shown to unknown users.
    pub secret: Secret,
    /// How real accounts are stored; unknown users are shown a stand-in that follows it.
    pub account_policy: AccountPolicy,
    /// Highest iteration count the server works with (default 10^6): the policy's must not be
    /// above it, and stored credentials above it are refused rather than run by PLAIN.
    pub max_iterations: u32,
    /// Identity established by the TLS layer, for EXTERNAL. Without it EXTERNAL fails.
    pub external_identity: Option<String>,
    /// Longest client message accepted, in bytes.
    pub max_message_len: usize,
}

impl ServerConfig {
    /// Defaults: no channel binding, the default [`AccountPolicy`], at most 10^6 iterations,
    /// 8 KiB messages.
    #[must_use]
    pub fn new(secret: Secret) -> Self {
        Self {
            channel_bindings: Vec::new(),
            plus_advertised: false,
            downgrade_protection: None,
            secret,
            account_policy: AccountPolicy::default(),
            max_iterations: 1_000_000,
            external_identity: None,
            max_message_len: 8192,
        }
    }

    /// Sets the account policy.
    #[must_use]
    pub fn with_account_policy(mut self, policy: AccountPolicy) -> Self {
        self.account_policy = policy;
        self
    }

    /// Whether a `y` flag is a downgrade: -PLUS was advertised, or could be.
    pub(crate) fn supports_channel_binding(&self) -> bool {
        self.plus_advertised || !self.channel_bindings.is_empty()
    }

    /// Checks the settings against each other, so that a misconfiguration fails every exchange
    /// at [`Server::new`] rather than showing for some users only.
    fn check(&self) -> Result<(), Error> {
        if self.account_policy.iterations() > self.max_iterations {
            return Err(Error::InvalidArgument(
                "account policy iterations above max_iterations",
            ));
        }
        if self.max_message_len == 0 {
            return Err(Error::InvalidArgument("max_message_len is zero"));
        }
        Ok(())
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
    /// Requested authorization identity, if any, as sent: every mechanism passes it on raw and
    /// the caller checks it as what it is (a JID, for XMPP).
    pub authzid: Option<String>,
    /// ANONYMOUS trace token, if any.
    pub trace: Option<String>,
}

/// What the server does next.
#[derive(Debug, PartialEq, Eq)]
pub enum ServerStep {
    /// Send this as the `<challenge/>` payload.
    Challenge(Vec<u8>),
    /// Look up `username`'s credentials and call [`Server::credentials`] with them, or with
    /// `None` when there is no such account ([`Server::credentials_for`] when the store maps
    /// several names to one account).
    NeedCredentials {
        /// User name after SASLprep, never empty.
        username: String,
        /// Requested authorization identity, as sent (no SASLprep); informational here.
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
    /// [`Error::InvalidArgument`] for an unusable SCRAM nonce or settings that contradict each
    /// other (see [`ServerConfig::max_iterations`]).
    pub fn new(mechanism: Mechanism, config: ServerConfig, nonce: &str) -> Result<Self, Error> {
        config.check()?;
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
    /// the same exchange as a real one (salt, iteration count, work done) until the final check
    /// fails. An account without keys for the mechanism's hash fails the same way.
    ///
    /// # Errors
    /// [`Error::InvalidState`] when no credentials were asked for, [`Error::InvalidArgument`] for
    /// credentials above [`ServerConfig::max_iterations`] (the exchange can be resumed with other
    /// credentials), [`Error::NotAuthorized`] for a wrong PLAIN password or unknown user.
    pub fn credentials(
        &mut self,
        credentials: Option<&StoredCredentials>,
    ) -> Result<ServerStep, Error> {
        self.resume(None, credentials)
    }

    /// As [`Server::credentials`], for a store that looked the user name up under `account`,
    /// its own key for it (a case-folded or otherwise normalized name). An unknown user's
    /// stand-in salt is derived from that key, so every name the store takes for one account
    /// shows one salt, whether the account exists or not. [`Server::credentials`] derives it
    /// from the user name itself, which suits a store that compares names exactly.
    ///
    /// # Errors
    /// As [`Server::credentials`].
    pub fn credentials_for(
        &mut self,
        account: &str,
        credentials: Option<&StoredCredentials>,
    ) -> Result<ServerStep, Error> {
        self.resume(Some(account), credentials)
    }

    fn resume(
        &mut self,
        account: Option<&str>,
        credentials: Option<&StoredCredentials>,
    ) -> Result<ServerStep, Error> {
        let result = match &mut self.inner {
            Inner::Scram(scram) => scram.credentials(&self.config, account, credentials),
            Inner::Plain(state) => {
                plain_verify(self.mechanism, &self.config, state, account, credentials)
            }
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
    let authcid = prepare_username(msg.authcid)?;
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
    account: Option<&str>,
    credentials: Option<&StoredCredentials>,
) -> Result<ServerStep, Error> {
    let PlainState::AwaitCredentials {
        authcid, password, ..
    } = &*state
    else {
        return Err(Error::InvalidState);
    };
    // An unknown user costs the same as a known one: the same PBKDF2 under the policy. An error
    // here is misuse, and the caller may retry with other credentials.
    let key = account.unwrap_or(authcid);
    let account = ExchangeAccount::resolve(config, key, None, credentials)?;
    let matches = verify_plain(
        account.hash,
        &account.salt,
        account.iterations,
        &account.stored_key,
        password,
    );
    let PlainState::AwaitCredentials {
        authcid, authzid, ..
    } = core::mem::replace(state, PlainState::Done)
    else {
        return Err(Error::InvalidState);
    };
    if !matches? || !account.known {
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
