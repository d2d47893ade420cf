//! The client side of SCRAM (RFC 5802 s5, s6): client-first, client-final, verifying `v=`.

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::message::{self, ServerFinal};
use crate::channel_binding::DowngradeProtection;
use crate::credentials::Keys;
use crate::hash::Key;
use crate::{ClientConfig, Error, ScramHash, ScramServerError, saslprep};

/// Where a SCRAM client is in the exchange.
enum State {
    Initial,
    SentFirst,
    SentFinal { server_signature: Key },
    Verified,
    Failed,
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
    downgrade: Option<DowngradeProtection>,
    state: State,
}

impl ScramClient {
    pub(crate) fn new(
        hash: ScramHash,
        plus: bool,
        config: &ClientConfig,
        nonce: &str,
    ) -> Result<Self, Error> {
        if !message::is_printable(nonce) {
            return Err(Error::InvalidArgument(
                "nonce must be printable ASCII without ','",
            ));
        }
        let username = saslprep(&config.authcid)?;
        if username.is_empty() {
            return Err(Error::InvalidArgument("empty user name"));
        }
        let password = Zeroizing::new(saslprep(config.password.expose())?.into_owned());
        let (flag, cb_data) = match (&config.channel_binding, plus) {
            (Some(cb), true) => (format!("p={}", cb.kind()), Some(cb.data().to_vec())),
            (None, true) => return Err(Error::InvalidArgument("-PLUS needs channel-binding data")),
            // RFC 5802 s6: `y` says "I could bind but you offered no -PLUS", which lets a server
            // that did offer it detect a stripped mechanism list.
            (Some(_), false) if !config.server_offers_plus => ("y".to_owned(), None),
            // -PLUS was offered but not chosen (e.g. no common binding type): `y` would be false.
            (_, false) => ("n".to_owned(), None),
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
            downgrade: config.downgrade_protection.clone(),
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
            Some(server_part) if !server_part.is_empty() => {}
            _ => return Err(Error::NonceMismatch),
        }
        if first.iterations < self.min_iterations || first.iterations > self.max_iterations {
            return Err(Error::IterationCount {
                got: first.iterations,
                min: self.min_iterations,
                max: self.max_iterations,
            });
        }
        if let (Some(expected), Some(got)) = (&self.downgrade, first.downgrade_hash) {
            let expected = expected.attribute_value(self.hash);
            if !bool::from(expected.as_bytes().ct_eq(got.as_bytes())) {
                return Err(Error::Downgrade);
            }
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
        let client_signature = self.hash.hmac(&keys.stored_key, &auth_message)?;
        let proof: Vec<u8> = keys
            .client_key
            .iter()
            .zip(client_signature.iter())
            .map(|(k, s)| k ^ s)
            .collect();
        let server_signature = self.hash.hmac(&keys.server_key, &auth_message)?;
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
