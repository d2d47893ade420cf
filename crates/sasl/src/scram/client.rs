//! The client side of SCRAM (RFC 5802 s5, s6): client-first, client-final, verifying `v=`.

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::message::{self, ServerFinal};
use crate::channel_binding::DowngradeProtection;
use crate::credentials::{Keys, prepare_password};
use crate::hash::Key;
use crate::{
    ChannelBinding, ClientConfig, Error, Mechanism, ScramHash, ScramServerError, prepare_username,
};

/// Where a SCRAM client is in the exchange.
enum State {
    Initial,
    SentFirst,
    SentFinal { server_signature: Key },
    Verified,
    Failed,
}

/// The gs2-cbind-flag a client sends (RFC 5802 s6).
pub(crate) enum ChannelBindingUse<'a> {
    /// `n`: the client cannot bind.
    Unable,
    /// `y`: the client could bind but the server offered no -PLUS; a server that did offer it
    /// refuses the exchange, which is how a stripped mechanism list is caught.
    CapableNotOffered,
    /// `p=`: the client binds with this data.
    Bound(&'a ChannelBinding),
}

impl<'a> ChannelBindingUse<'a> {
    /// A binding-capable client (one with any channel-binding data) never sends `n`.
    pub(crate) fn for_mechanism(
        mechanism: Mechanism,
        binding: Option<&'a ChannelBinding>,
        config: &ClientConfig,
    ) -> Result<Self, Error> {
        match (mechanism.is_plus(), binding) {
            (true, Some(binding)) => Ok(Self::Bound(binding)),
            (true, None) => Err(Error::InvalidArgument("-PLUS needs channel-binding data")),
            (false, _) if !config.channel_bindings.is_empty() => Ok(Self::CapableNotOffered),
            (false, _) => Ok(Self::Unable),
        }
    }
}

pub(crate) struct ScramClient {
    hash: ScramHash,
    gs2_header: String,
    /// Channel-binding data appended after the gs2 header in `c=` (only for `p=`).
    cb_data: Option<Vec<u8>>,
    client_first_bare: String,
    password: Zeroizing<String>,
    nonce: String,
    min_iterations: u32,
    max_iterations: u32,
    min_server_nonce_len: usize,
    downgrade: Option<DowngradeProtection>,
    require_downgrade_protection: bool,
    state: State,
}

impl ScramClient {
    pub(crate) fn new(
        hash: ScramHash,
        channel_binding: ChannelBindingUse<'_>,
        config: &ClientConfig,
        downgrade: Option<DowngradeProtection>,
        nonce: &str,
    ) -> Result<Self, Error> {
        if !message::is_printable(nonce) {
            return Err(Error::InvalidArgument(
                "nonce must be printable ASCII without ','",
            ));
        }
        if config.require_downgrade_protection && downgrade.is_none() {
            return Err(Error::InvalidArgument(
                "XEP-0474 required but no advertisement to check it against",
            ));
        }
        let username = prepare_username(&config.authcid)
            .map_err(|_| Error::InvalidArgument("user name refused by SASLprep or empty"))?;
        let password = prepare_password(config.password.expose())?;
        let (flag, cb_data) = match channel_binding {
            ChannelBindingUse::Bound(cb) => (format!("p={}", cb.kind()), Some(cb.data().to_vec())),
            ChannelBindingUse::CapableNotOffered => ("y".to_owned(), None),
            ChannelBindingUse::Unable => ("n".to_owned(), None),
        };
        let authzid = match config.authzid.as_deref() {
            None | Some("") => String::new(),
            Some(a) => format!("a={}", message::escape_saslname(a)),
        };
        Ok(Self {
            hash,
            gs2_header: format!("{flag},{authzid},"),
            cb_data,
            client_first_bare: format!("n={},r={nonce}", message::escape_saslname(&username)),
            password,
            nonce: nonce.to_owned(),
            min_iterations: config.min_iterations,
            max_iterations: config.max_iterations,
            min_server_nonce_len: config.min_server_nonce_len,
            downgrade,
            require_downgrade_protection: config.require_downgrade_protection,
            state: State::Initial,
        })
    }

    pub(crate) fn start(&mut self) -> Result<Vec<u8>, Error> {
        if !matches!(self.state, State::Initial) {
            return Err(Error::InvalidState);
        }
        self.state = State::SentFirst;
        Ok(format!("{}{}", self.gs2_header, self.client_first_bare).into_bytes())
    }

    /// Handles the server-first or server-final message. `Ok(Some(_))` is the next response.
    pub(crate) fn step(&mut self, input: &[u8]) -> Result<Option<Vec<u8>>, Error> {
        let state = core::mem::replace(&mut self.state, State::Failed);
        match state {
            State::SentFirst => {
                let (reply, server_signature) = self.client_final(input)?;
                self.state = State::SentFinal { server_signature };
                Ok(Some(reply))
            }
            State::SentFinal { server_signature } => {
                verify_server_final(input, &server_signature)?;
                self.state = State::Verified;
                Ok(None)
            }
            State::Initial => Err(Error::InvalidState),
            State::Verified | State::Failed => Err(Error::UnexpectedMessage),
        }
    }

    /// Handles the additional data of `<success/>`, which can only be the server-final-message.
    pub(crate) fn finish(&mut self, input: &[u8]) -> Result<(), Error> {
        match core::mem::replace(&mut self.state, State::Failed) {
            State::SentFinal { server_signature } => {
                verify_server_final(input, &server_signature)?;
                self.state = State::Verified;
                Ok(())
            }
            _ => Err(Error::UnexpectedMessage),
        }
    }

    /// Whether the server has proven it knows the credentials.
    pub(crate) fn is_verified(&self) -> bool {
        matches!(self.state, State::Verified)
    }

    fn client_final(&self, input: &[u8]) -> Result<(Vec<u8>, Key), Error> {
        let first = message::parse_server_first(input)?;
        match first.nonce.strip_prefix(self.nonce.as_str()) {
            Some(server_part) if server_part.len() >= self.min_server_nonce_len.max(1) => {}
            _ => return Err(Error::NonceMismatch),
        }
        if first.iterations < self.min_iterations || first.iterations > self.max_iterations {
            return Err(Error::IterationCount {
                got: first.iterations,
                min: self.min_iterations,
                max: self.max_iterations,
            });
        }
        match (&self.downgrade, first.downgrade_hash) {
            (Some(expected), Some(got)) => {
                let expected = expected.attribute_value(self.hash);
                if !bool::from(expected.as_bytes().ct_eq(got.as_bytes())) {
                    return Err(Error::Downgrade);
                }
            }
            (_, None) if self.require_downgrade_protection => return Err(Error::Downgrade),
            _ => {}
        }
        let mut cbind_input = self.gs2_header.as_bytes().to_vec();
        if let Some(data) = &self.cb_data {
            cbind_input.extend_from_slice(data);
        }
        let without_proof = format!("c={},r={}", message::encode_b64(&cbind_input), first.nonce);
        let salted = Zeroizing::new(self.hash.hi(
            self.password.as_bytes(),
            &first.salt,
            first.iterations,
        )?);
        let keys = Keys::from_salted_password(self.hash, &salted)?;
        let auth_message: [&[u8]; 5] = [
            self.client_first_bare.as_bytes(),
            b",",
            input,
            b",",
            without_proof.as_bytes(),
        ];
        let client_signature = self.hash.hmac(&keys.stored_key, &auth_message);
        let proof: Vec<u8> = keys
            .client_key
            .iter()
            .zip(client_signature.iter())
            .map(|(k, s)| k ^ s)
            .collect();
        let server_signature = self.hash.hmac(&keys.server_key, &auth_message);
        let reply = format!("{without_proof},p={}", message::encode_b64(&proof));
        Ok((reply.into_bytes(), server_signature))
    }
}

fn verify_server_final(input: &[u8], expected: &[u8]) -> Result<(), Error> {
    match message::parse_server_final(input)? {
        ServerFinal::Error(e) => Err(Error::ServerError(ScramServerError::parse(e))),
        ServerFinal::Verifier(v) if bool::from(v.as_slice().ct_eq(expected)) => Ok(()),
        ServerFinal::Verifier(_) => Err(Error::ServerSignature),
    }
}
