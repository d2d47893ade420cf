//! The server side of SCRAM (RFC 5802 s5, s6): server-first from the caller's credentials,
//! proof and channel-binding checks, server-final.

use core::fmt::Write;

use subtle::ConstantTimeEq;

use super::message::{self, CbFlag};
use crate::account::ExchangeAccount;
use crate::{
    Error, Mechanism, Outcome, ScramHash, ServerConfig, ServerStep, StoredCredentials,
    prepare_username,
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
        account: ExchangeAccount,
        server_first: String,
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
                account,
                server_first,
            } => {
                let server_final = self.client_final(input, &pending, &account, &server_first)?;
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
        account: Option<&str>,
        credentials: Option<&StoredCredentials>,
    ) -> Result<ServerStep, Error> {
        let pending = match core::mem::replace(&mut self.state, State::Failed) {
            State::AwaitCredentials(pending) => pending,
            other => {
                self.state = other;
                return Err(Error::InvalidState);
            }
        };
        let key = account.unwrap_or(&pending.username);
        let account = match ExchangeAccount::resolve(config, key, Some(self.hash), credentials) {
            Ok(account) => account,
            Err(e) => {
                // The caller's mistake, not the peer's: let it retry with other credentials.
                self.state = State::AwaitCredentials(pending);
                return Err(e);
            }
        };
        let mut server_first = format!("r={}{},s=", pending.client_nonce, self.nonce);
        message::push_b64(&mut server_first, &account.salt);
        // Writing to a String cannot fail.
        let _ = write!(server_first, ",i={}", account.iterations);
        if let Some(dp) = &config.downgrade_protection {
            server_first.push_str(",h=");
            server_first.push_str(&dp.attribute_value(self.hash));
        }
        let reply = server_first.clone().into_bytes();
        self.state = State::AwaitFinal {
            pending,
            account,
            server_first,
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
            (CbFlag::Used(_), false) => return Err(Error::ChannelBindingNotSupported),
            (_, true) => return Err(Error::Malformed("-PLUS needs p=")),
            // RFC 5802 s6: `y` means the client could bind but did not see -PLUS offered; a
            // server that can bind must fail it.
            (CbFlag::ClientOnly, false) if config.supports_channel_binding() => {
                return Err(Error::Downgrade);
            }
            (CbFlag::ClientOnly | CbFlag::None, false) => {}
        }
        let username = prepare_username(&first.username)?;
        Ok(Pending {
            client_first_bare: first.bare.to_owned(),
            client_nonce: first.nonce.to_owned(),
            username,
            authzid: first.authzid,
            expected_cbind,
        })
    }

    fn client_final(
        &self,
        input: &[u8],
        pending: &Pending,
        account: &ExchangeAccount,
        server_first: &str,
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
        let client_signature = self.hash.hmac(&account.stored_key, &auth_message);
        let client_key: zeroize::Zeroizing<Vec<u8>> = zeroize::Zeroizing::new(
            last.proof
                .iter()
                .zip(client_signature.iter())
                .map(|(p, s)| p ^ s)
                .collect(),
        );
        let matches = self.hash.digest(&client_key).ct_eq(&account.stored_key);
        if !account.known || !bool::from(matches) {
            return Err(Error::NotAuthorized);
        }
        let server_signature = self.hash.hmac(&account.server_key, &auth_message);
        let mut server_final = String::from("v=");
        message::push_b64(&mut server_final, &server_signature);
        Ok(server_final.into_bytes())
    }
}
