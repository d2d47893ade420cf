//! The server side of SCRAM (RFC 5802 s5, s6): server-first from the caller's credentials,
//! proof and channel-binding checks, server-final.

use subtle::ConstantTimeEq;

use super::message::{self, CbFlag};
use crate::{
    Error, Mechanism, Outcome, ScramHash, ServerConfig, ServerStep, StoredCredentials, saslprep,
};

/// What the client-first-message established, kept until the final check.
struct Pending {
    client_first_bare: String,
    client_nonce: String,
    username: String,
    authzid: Option<String>,
    /// The exact bytes `c=` must decode to: gs2 header plus channel-binding data for `p=`.
    expected_cbind: Vec<u8>,
}

enum State {
    AwaitFirst,
    AwaitCredentials(Pending),
    AwaitFinal {
        pending: Pending,
        credentials: StoredCredentials,
        server_first: String,
        unknown_user: bool,
    },
    Done,
    Failed,
}

pub(crate) struct ScramServer {
    mechanism: Mechanism,
    hash: ScramHash,
    nonce: String,
    state: State,
}

impl ScramServer {
    pub(crate) fn new(mechanism: Mechanism, hash: ScramHash, nonce: &str) -> Result<Self, Error> {
        if !message::is_printable(nonce) {
            return Err(Error::InvalidArgument(
                "nonce must be printable ASCII without ','",
            ));
        }
        Ok(Self {
            mechanism,
            hash,
            nonce: nonce.to_owned(),
            state: State::AwaitFirst,
        })
    }

    pub(crate) fn step(
        &mut self,
        config: &ServerConfig,
        input: &[u8],
    ) -> Result<ServerStep, Error> {
        match core::mem::replace(&mut self.state, State::Failed) {
            State::AwaitFirst => {
                let pending = self.client_first(config, input)?;
                let username = pending.username.clone();
                let authzid = pending.authzid.clone();
                self.state = State::AwaitCredentials(pending);
                Ok(ServerStep::NeedCredentials { username, authzid })
            }
            State::AwaitFinal {
                pending,
                credentials,
                server_first,
                unknown_user,
            } => {
                let server_final =
                    self.client_final(input, &pending, &credentials, &server_first, unknown_user)?;
                self.state = State::Done;
                Ok(ServerStep::Success {
                    additional_data: Some(server_final),
                    outcome: Outcome {
                        mechanism: self.mechanism,
                        authcid: Some(pending.username),
                        authzid: pending.authzid,
                        trace: None,
                    },
                })
            }
            State::AwaitCredentials(pending) => {
                self.state = State::AwaitCredentials(pending);
                Err(Error::InvalidState)
            }
            State::Done | State::Failed => Err(Error::UnexpectedMessage),
        }
    }

    pub(crate) fn credentials(
        &mut self,
        config: &ServerConfig,
        credentials: Option<&StoredCredentials>,
    ) -> Result<ServerStep, Error> {
        let pending = match core::mem::replace(&mut self.state, State::Failed) {
            State::AwaitCredentials(pending) => pending,
            other => {
                self.state = other;
                return Err(Error::InvalidState);
            }
        };
        let (credentials, unknown_user) = match credentials {
            Some(c) if c.hash() == self.hash => (c.clone(), false),
            Some(_) => {
                // The caller's mistake, not the peer's: let it retry with the right credentials.
                self.state = State::AwaitCredentials(pending);
                return Err(Error::InvalidArgument("credentials for another hash"));
            }
            None => (
                StoredCredentials::fake(
                    self.hash,
                    config.secret.expose(),
                    &pending.username,
                    config.fake_iterations,
                    config.fake_salt_len,
                )?,
                true,
            ),
        };
        let mut server_first = format!(
            "r={}{},s={},i={}",
            pending.client_nonce,
            self.nonce,
            message::encode_b64(credentials.salt()),
            credentials.iterations()
        );
        if let Some(dp) = &config.downgrade_protection {
            server_first.push_str(",h=");
            server_first.push_str(&dp.attribute_value(self.hash));
        }
        let reply = server_first.clone().into_bytes();
        self.state = State::AwaitFinal {
            pending,
            credentials,
            server_first,
            unknown_user,
        };
        Ok(ServerStep::Challenge(reply))
    }

    fn client_first(&self, config: &ServerConfig, input: &[u8]) -> Result<Pending, Error> {
        let first = message::parse_client_first(input)?;
        let mut expected_cbind = first.gs2_header.as_bytes().to_vec();
        match (&first.flag, self.mechanism.is_plus()) {
            (CbFlag::Used(kind), true) => {
                let cb = config
                    .channel_bindings
                    .iter()
                    .find(|cb| cb.kind() == *kind)
                    .ok_or(Error::UnsupportedChannelBinding)?;
                expected_cbind.extend_from_slice(cb.data());
            }
            (CbFlag::Used(_), false) => return Err(Error::Malformed("p= needs a -PLUS mechanism")),
            (_, true) => return Err(Error::Malformed("-PLUS needs p=")),
            // RFC 5802 s6: `y` means the client could bind but did not see -PLUS offered.
            (CbFlag::ClientOnly, false) if config.plus_advertised => return Err(Error::Downgrade),
            (CbFlag::ClientOnly | CbFlag::None, false) => {}
        }
        let username = saslprep(&first.username)?.into_owned();
        let authzid = match first.authzid {
            Some(a) => Some(
                saslprep(&a)
                    .map_err(|_| Error::InvalidAuthzid)?
                    .into_owned(),
            ),
            None => None,
        };
        Ok(Pending {
            client_first_bare: first.bare.to_owned(),
            client_nonce: first.nonce.to_owned(),
            username,
            authzid,
            expected_cbind,
        })
    }

    fn client_final(
        &self,
        input: &[u8],
        pending: &Pending,
        credentials: &StoredCredentials,
        server_first: &str,
        unknown_user: bool,
    ) -> Result<Vec<u8>, Error> {
        let last = message::parse_client_final(input)?;
        let nonce_ok = last
            .nonce
            .strip_prefix(pending.client_nonce.as_str())
            .is_some_and(|rest| rest == self.nonce);
        if !nonce_ok {
            return Err(Error::NonceMismatch);
        }
        if !bool::from(last.channel_binding.ct_eq(&pending.expected_cbind)) {
            return Err(Error::ChannelBindingMismatch);
        }
        if last.proof.len() != self.hash.output_len() {
            return Err(Error::NotAuthorized);
        }
        let auth_message: [&[u8]; 5] = [
            pending.client_first_bare.as_bytes(),
            b",",
            server_first.as_bytes(),
            b",",
            last.without_proof.as_bytes(),
        ];
        let client_signature = self.hash.hmac(credentials.stored_key(), &auth_message)?;
        let client_key: zeroize::Zeroizing<Vec<u8>> = zeroize::Zeroizing::new(
            last.proof
                .iter()
                .zip(client_signature.iter())
                .map(|(p, s)| p ^ s)
                .collect(),
        );
        let matches = self
            .hash
            .digest(&client_key)
            .ct_eq(credentials.stored_key());
        if unknown_user || !bool::from(matches) {
            return Err(Error::NotAuthorized);
        }
        let server_signature = self.hash.hmac(credentials.server_key(), &auth_message)?;
        Ok(format!("v={}", message::encode_b64(&server_signature)).into_bytes())
    }
}
