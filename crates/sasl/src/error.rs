//! One error type for the crate, and its mapping onto the RFC 6120 SASL failure elements.

use core::fmt;

/// The `<failure/>` condition of RFC 6120 section 6.5 that a server sends for an [`Error`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Failure {
    /// `<aborted/>`: the initiating entity gave up (RFC 6120 s6.5.1).
    Aborted,
    /// `<account-disabled/>` (s6.5.2).
    AccountDisabled,
    /// `<credentials-expired/>` (s6.5.3).
    CredentialsExpired,
    /// `<encryption-required/>` (s6.5.4).
    EncryptionRequired,
    /// `<incorrect-encoding/>`: bad base64 (s6.5.5).
    IncorrectEncoding,
    /// `<invalid-authzid/>` (s6.5.6).
    InvalidAuthzid,
    /// `<invalid-mechanism/>` (s6.5.7).
    InvalidMechanism,
    /// `<malformed-request/>` (s6.5.8).
    MalformedRequest,
    /// `<mechanism-too-weak/>` (s6.5.9).
    MechanismTooWeak,
    /// `<not-authorized/>`: wrong credentials, unknown user, failed channel binding (s6.5.10).
    NotAuthorized,
    /// `<temporary-auth-failure/>` (s6.5.11).
    TemporaryAuthFailure,
}

impl Failure {
    /// The element name, as written inside `<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Aborted => "aborted",
            Self::AccountDisabled => "account-disabled",
            Self::CredentialsExpired => "credentials-expired",
            Self::EncryptionRequired => "encryption-required",
            Self::IncorrectEncoding => "incorrect-encoding",
            Self::InvalidAuthzid => "invalid-authzid",
            Self::InvalidMechanism => "invalid-mechanism",
            Self::MalformedRequest => "malformed-request",
            Self::MechanismTooWeak => "mechanism-too-weak",
            Self::NotAuthorized => "not-authorized",
            Self::TemporaryAuthFailure => "temporary-auth-failure",
        }
    }

    /// Parses an element name received in a `<failure/>`.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "aborted" => Self::Aborted,
            "account-disabled" => Self::AccountDisabled,
            "credentials-expired" => Self::CredentialsExpired,
            "encryption-required" => Self::EncryptionRequired,
            "incorrect-encoding" => Self::IncorrectEncoding,
            "invalid-authzid" => Self::InvalidAuthzid,
            "invalid-mechanism" => Self::InvalidMechanism,
            "malformed-request" => Self::MalformedRequest,
            "mechanism-too-weak" => Self::MechanismTooWeak,
            "not-authorized" => Self::NotAuthorized,
            "temporary-auth-failure" => Self::TemporaryAuthFailure,
            _ => return None,
        })
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `server-error` value of RFC 5802 section 7, received in a server-final-message (`e=`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScramServerError {
    /// `invalid-encoding`
    InvalidEncoding,
    /// `extensions-not-supported`
    ExtensionsNotSupported,
    /// `invalid-proof`
    InvalidProof,
    /// `channel-bindings-dont-match`
    ChannelBindingsDontMatch,
    /// `server-does-support-channel-binding`
    ServerDoesSupportChannelBinding,
    /// `channel-binding-not-supported`
    ChannelBindingNotSupported,
    /// `unsupported-channel-binding-type`
    UnsupportedChannelBindingType,
    /// `unknown-user`
    UnknownUser,
    /// `invalid-username-encoding`
    InvalidUsernameEncoding,
    /// `no-resources`
    NoResources,
    /// `other-error`
    OtherError,
    /// Any value not named by RFC 5802 (the grammar allows extensions).
    Other(String),
}

impl ScramServerError {
    /// Parses the value after `e=`.
    #[must_use]
    pub fn parse(value: &str) -> Self {
        match value {
            "invalid-encoding" => Self::InvalidEncoding,
            "extensions-not-supported" => Self::ExtensionsNotSupported,
            "invalid-proof" => Self::InvalidProof,
            "channel-bindings-dont-match" => Self::ChannelBindingsDontMatch,
            "server-does-support-channel-binding" => Self::ServerDoesSupportChannelBinding,
            "channel-binding-not-supported" => Self::ChannelBindingNotSupported,
            "unsupported-channel-binding-type" => Self::UnsupportedChannelBindingType,
            "unknown-user" => Self::UnknownUser,
            "invalid-username-encoding" => Self::InvalidUsernameEncoding,
            "no-resources" => Self::NoResources,
            "other-error" => Self::OtherError,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The wire value.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::InvalidEncoding => "invalid-encoding",
            Self::ExtensionsNotSupported => "extensions-not-supported",
            Self::InvalidProof => "invalid-proof",
            Self::ChannelBindingsDontMatch => "channel-bindings-dont-match",
            Self::ServerDoesSupportChannelBinding => "server-does-support-channel-binding",
            Self::ChannelBindingNotSupported => "channel-binding-not-supported",
            Self::UnsupportedChannelBindingType => "unsupported-channel-binding-type",
            Self::UnknownUser => "unknown-user",
            Self::InvalidUsernameEncoding => "invalid-username-encoding",
            Self::NoResources => "no-resources",
            Self::OtherError => "other-error",
            Self::Other(s) => s,
        }
    }
}

impl fmt::Display for ScramServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything that can end an exchange. Peer violations and API misuse are separate variants;
/// [`Error::failure`] gives the RFC 6120 condition a server sends for each.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A message does not follow the mechanism's grammar.
    #[error("malformed message: {0}")]
    Malformed(&'static str),
    /// A base64 field inside a SCRAM message does not decode.
    #[error("invalid base64 in {0}")]
    Base64(&'static str),
    /// A message is longer than the configured limit.
    #[error("message of {len} bytes exceeds the limit of {limit}")]
    TooLong {
        /// Length received.
        len: usize,
        /// Configured limit.
        limit: usize,
    },
    /// A string failed SASLprep (RFC 4013): prohibited character or bidi rule, or a user name
    /// that prepares to nothing (RFC 5802 s5.1).
    #[error("string rejected by SASLprep")]
    Saslprep,
    /// A SCRAM user name has `=` not starting `=2C` or `=3D` (RFC 5802 s5.1).
    #[error("invalid user name encoding")]
    InvalidUsernameEncoding,
    /// The peer used the reserved `m=` attribute (RFC 5802 s5.1), which must be refused.
    #[error("mandatory extension (m=) not supported")]
    ExtensionNotSupported,
    /// The server nonce does not start with the client nonce, or adds fewer characters to it
    /// than [`crate::ClientConfig::min_server_nonce_len`].
    #[error("server nonce does not extend the client nonce")]
    NonceMismatch,
    /// The server asks for an iteration count outside the client's bounds.
    #[error("iteration count {got} outside {min}..={max}")]
    IterationCount {
        /// Iteration count sent by the server.
        got: u32,
        /// Lowest accepted.
        min: u32,
        /// Highest accepted.
        max: u32,
    },
    /// Wrong password or unknown user (deliberately not told apart).
    #[error("authentication failed")]
    NotAuthorized,
    /// The server's signature (`v=`) does not match: the server does not know the credentials.
    #[error("server signature does not verify")]
    ServerSignature,
    /// The server answered with `e=`.
    #[error("server error: {0}")]
    ServerError(ScramServerError),
    /// The channel-binding data or gs2 header repeated in `c=` do not match.
    #[error("channel binding does not match")]
    ChannelBindingMismatch,
    /// The client asked for a channel-binding type the server cannot provide, or (client side)
    /// the server offers -PLUS but none of the client's channel-binding types.
    #[error("unsupported channel-binding type")]
    UnsupportedChannelBinding,
    /// The client sent `p=` with a mechanism that has no channel binding (not -PLUS).
    #[error("channel binding requested with a mechanism that has none")]
    ChannelBindingNotSupported,
    /// None of the offered mechanisms is acceptable under the client's policy.
    #[error("no acceptable mechanism offered")]
    NoAcceptableMechanism,
    /// Downgrade detected: `y` flag while the server offers -PLUS, a gs2 flag that does not fit the
    /// mechanism, or a XEP-0474 hash that does not match what was advertised.
    #[error("channel-binding or mechanism downgrade detected")]
    Downgrade,
    /// The authorization identity is not acceptable.
    #[error("invalid authorization identity")]
    InvalidAuthzid,
    /// Mechanism name not known to this crate.
    #[error("unknown mechanism")]
    UnknownMechanism,
    /// The peer sent a message when none was expected.
    #[error("unexpected message")]
    UnexpectedMessage,
    /// The server reported success before the client could verify it (SCRAM without `v=`).
    #[error("success without server verification")]
    MissingVerifier,
    /// API misuse: a method was called in a state where it does not apply.
    #[error("method called in the wrong state")]
    InvalidState,
    /// API misuse: an argument is unusable (empty nonce, nonce with `,`, missing channel binding
    /// for -PLUS, a bound that contradicts another, a server secret that is too short).
    #[error("invalid argument: {0}")]
    InvalidArgument(&'static str),
}

impl Error {
    /// The RFC 6120 s6.5 failure condition a server sends for this error.
    #[must_use]
    pub const fn failure(&self) -> Failure {
        match self {
            Self::Base64(_) => Failure::IncorrectEncoding,
            Self::Malformed(_)
            | Self::TooLong { .. }
            | Self::Saslprep
            | Self::InvalidUsernameEncoding
            | Self::ChannelBindingNotSupported
            | Self::ExtensionNotSupported
            | Self::UnexpectedMessage => Failure::MalformedRequest,
            Self::InvalidAuthzid => Failure::InvalidAuthzid,
            Self::UnknownMechanism | Self::NoAcceptableMechanism => Failure::InvalidMechanism,
            Self::NotAuthorized
            | Self::NonceMismatch
            | Self::IterationCount { .. }
            | Self::ServerSignature
            | Self::ServerError(_)
            | Self::ChannelBindingMismatch
            | Self::UnsupportedChannelBinding
            | Self::Downgrade
            | Self::MissingVerifier => Failure::NotAuthorized,
            Self::InvalidState | Self::InvalidArgument(_) => Failure::TemporaryAuthFailure,
        }
    }

    /// The RFC 5802 `server-error` value a SCRAM server may put in `e=` for this error.
    #[must_use]
    pub const fn scram_server_error(&self) -> ScramServerError {
        match self {
            Self::Base64(_) => ScramServerError::InvalidEncoding,
            Self::ExtensionNotSupported => ScramServerError::ExtensionsNotSupported,
            Self::Saslprep | Self::InvalidUsernameEncoding => {
                ScramServerError::InvalidUsernameEncoding
            }
            Self::ChannelBindingNotSupported => ScramServerError::ChannelBindingNotSupported,
            Self::NotAuthorized => ScramServerError::InvalidProof,
            Self::ChannelBindingMismatch => ScramServerError::ChannelBindingsDontMatch,
            Self::UnsupportedChannelBinding => ScramServerError::UnsupportedChannelBindingType,
            Self::Downgrade => ScramServerError::ServerDoesSupportChannelBinding,
            _ => ScramServerError::OtherError,
        }
    }

    /// True when the error is the caller's mistake rather than the peer's.
    #[must_use]
    pub const fn is_api_misuse(&self) -> bool {
        matches!(self, Self::InvalidState | Self::InvalidArgument(_))
    }
}
