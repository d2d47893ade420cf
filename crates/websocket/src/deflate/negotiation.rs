//! Negotiating `permessage-deflate` (RFC 7692 section 7.1): the server picks the
//! first offer it can honour, the client checks the acceptance against its offer.

use crate::handshake::{Extension, ExtensionOffer, Request, Response};

use super::DeflateConfig;

/// The extension token (RFC 7692 section 7).
pub const PERMESSAGE_DEFLATE: &str = "permessage-deflate";

const SERVER_NO_CONTEXT_TAKEOVER: &str = "server_no_context_takeover";
const CLIENT_NO_CONTEXT_TAKEOVER: &str = "client_no_context_takeover";
const SERVER_MAX_WINDOW_BITS: &str = "server_max_window_bits";
const CLIENT_MAX_WINDOW_BITS: &str = "client_max_window_bits";

/// Largest LZ77 window, as a base-2 logarithm (32 KiB).
pub const MAX_WINDOW_BITS: u8 = 15;
/// Smallest window RFC 7692 allows (256 bytes). zlib cannot compress within it:
/// a direction agreed at 8 is sent uncompressed (see [`DeflateParams`]).
pub const MIN_WINDOW_BITS: u8 = 8;

/// What both ends agreed: per direction, the window and whether the compression
/// context is reset after every message.
///
/// A direction whose window is 8 is never compressed by this crate (zlib has no
/// 256-byte window for raw deflate, and a 512-byte one could reach past what the
/// peer keeps); sending messages uncompressed is always allowed (RFC 7692
/// section 6). Received data with an 8-bit window is inflated with a 9-bit one,
/// which holds everything the peer can refer to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct DeflateParams {
    /// The server resets its compressor after each message.
    pub server_no_context_takeover: bool,
    /// The client resets its compressor after each message.
    pub client_no_context_takeover: bool,
    /// The server's window, 8 to 15.
    pub server_max_window_bits: u8,
    /// The client's window, 8 to 15.
    pub client_max_window_bits: u8,
}

impl Default for DeflateParams {
    /// The defaults of an extension accepted without parameters.
    fn default() -> Self {
        Self {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: MAX_WINDOW_BITS,
            client_max_window_bits: MAX_WINDOW_BITS,
        }
    }
}

/// Why a server's acceptance of `permessage-deflate` does not match the client's
/// offer (RFC 7692 section 7.1): the client fails the handshake.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeflateError {
    /// A parameter RFC 7692 does not define.
    #[error("unknown permessage-deflate parameter {0}")]
    UnknownParameter(String),
    /// A parameter given twice.
    #[error("permessage-deflate parameter {0} repeated")]
    DuplicateParameter(String),
    /// A value where none belongs, none where one must be, or a window outside 8..15.
    #[error("permessage-deflate parameter {0} has an invalid value")]
    InvalidValue(String),
    /// The offer asked for `server_no_context_takeover` and the server left it out.
    #[error("server_no_context_takeover was offered but not accepted")]
    MissingNoContextTakeover,
    /// A window larger than the offer allowed, or one the offer did not let the server set.
    #[error("permessage-deflate parameter {0} exceeds or was not in the offer")]
    WindowNotOffered(String),
}

/// One offer or acceptance, its parameters checked for syntax.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Params {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: Option<u8>,
    /// `Some(None)`: present without a value (only an offer may say that).
    client_max_window_bits: Option<Option<u8>>,
}

impl Params {
    /// Reads the parameters of `extension`, refusing unknown or repeated ones and
    /// bad values (RFC 7692 sections 7.1.1 and 7.1.2).
    fn parse(extension: &Extension) -> Result<Self, DeflateError> {
        let mut params = Self::default();
        let mut seen = [false; 4];
        for (name, value) in &extension.params {
            let slot = match name.as_str() {
                SERVER_NO_CONTEXT_TAKEOVER => 0,
                CLIENT_NO_CONTEXT_TAKEOVER => 1,
                SERVER_MAX_WINDOW_BITS => 2,
                CLIENT_MAX_WINDOW_BITS => 3,
                _ => return Err(DeflateError::UnknownParameter(name.clone())),
            };
            if let Some(seen) = seen.get_mut(slot) {
                if *seen {
                    return Err(DeflateError::DuplicateParameter(name.clone()));
                }
                *seen = true;
            }
            let invalid = || DeflateError::InvalidValue(name.clone());
            match (slot, value.as_deref()) {
                (0, None) => params.server_no_context_takeover = true,
                (1, None) => params.client_no_context_takeover = true,
                (2, Some(bits)) => {
                    params.server_max_window_bits = Some(window_bits(bits).ok_or_else(invalid)?);
                }
                (3, None) => params.client_max_window_bits = Some(None),
                (3, Some(bits)) => {
                    params.client_max_window_bits =
                        Some(Some(window_bits(bits).ok_or_else(invalid)?));
                }
                _ => return Err(invalid()),
            }
        }
        Ok(params)
    }
}

/// A window size in RFC 7692's grammar: `8` to `15`, no sign, no leading zero.
fn window_bits(text: &str) -> Option<u8> {
    if text.starts_with('0') || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<u8>()
        .ok()
        .filter(|bits| (MIN_WINDOW_BITS..=MAX_WINDOW_BITS).contains(bits))
}

impl DeflateConfig {
    /// Server role: accepts the first of the client's `permessage-deflate` offers
    /// that is well formed, and returns the extension to put in the
    /// [`Accept`](crate::handshake::Accept) with the parameters to give
    /// [`Connection::with_deflate`](crate::Connection::with_deflate).
    ///
    /// An offer with an unknown, repeated or malformed parameter is declined and the
    /// next one tried (RFC 7692 section 5); `None` when none is left: the
    /// connection then runs without compression. This config's preferences are
    /// added where the RFC lets a server add them: its own no-context-takeover and
    /// a smaller own window always, a smaller client window when the client said
    /// it can use one.
    pub fn negotiate(&self, request: &Request) -> Option<(Extension, DeflateParams)> {
        request
            .extension_offers(PERMESSAGE_DEFLATE)
            .find_map(|offer| Params::parse(offer).ok())
            .map(|offer| self.answer(&offer))
    }

    /// The server's answer to one well-formed offer.
    fn answer(&self, offer: &Params) -> (Extension, DeflateParams) {
        let server_bits = offer
            .server_max_window_bits
            .unwrap_or(MAX_WINDOW_BITS)
            .min(self.server_max_window_bits);
        // Without `client_max_window_bits` in the offer the client uses 32 KiB.
        let client_bits = offer.client_max_window_bits.map(|limit| {
            limit
                .unwrap_or(MAX_WINDOW_BITS)
                .min(self.client_max_window_bits)
        });
        let params = DeflateParams {
            server_no_context_takeover: offer.server_no_context_takeover
                || self.server_no_context_takeover,
            client_no_context_takeover: offer.client_no_context_takeover
                || self.client_no_context_takeover,
            server_max_window_bits: server_bits.max(MIN_WINDOW_BITS),
            client_max_window_bits: client_bits.unwrap_or(MAX_WINDOW_BITS).max(MIN_WINDOW_BITS),
        };
        let mut accept = Extension::new(PERMESSAGE_DEFLATE);
        if params.server_no_context_takeover {
            accept = accept.with_param(SERVER_NO_CONTEXT_TAKEOVER);
        }
        if params.client_no_context_takeover {
            accept = accept.with_param(CLIENT_NO_CONTEXT_TAKEOVER);
        }
        if offer.server_max_window_bits.is_some() || server_bits < MAX_WINDOW_BITS {
            accept = accept.with_param_value(SERVER_MAX_WINDOW_BITS, server_bits.to_string());
        }
        if let Some(bits) = client_bits
            && (bits < MAX_WINDOW_BITS || offer.client_max_window_bits == Some(Some(bits)))
        {
            accept = accept.with_param_value(CLIENT_MAX_WINDOW_BITS, bits.to_string());
        }
        (accept, params)
    }

    /// Client role: the offer to pass to
    /// [`ClientRequest::with_extension`](crate::handshake::ClientRequest::with_extension).
    ///
    /// It always says the client can limit its window (`client_max_window_bits`),
    /// asks for what this config prefers, and lets the server add what RFC 7692
    /// lets it add.
    pub fn offer(&self) -> ExtensionOffer {
        let mut offer = Extension::new(PERMESSAGE_DEFLATE);
        if self.server_no_context_takeover {
            offer = offer.with_param(SERVER_NO_CONTEXT_TAKEOVER);
        }
        if self.client_no_context_takeover {
            offer = offer.with_param(CLIENT_NO_CONTEXT_TAKEOVER);
        }
        if self.server_max_window_bits < MAX_WINDOW_BITS {
            offer = offer.with_param_value(
                SERVER_MAX_WINDOW_BITS,
                self.server_max_window_bits.max(MIN_WINDOW_BITS).to_string(),
            );
        }
        offer = if self.client_max_window_bits < MAX_WINDOW_BITS {
            offer.with_param_value(
                CLIENT_MAX_WINDOW_BITS,
                self.client_max_window_bits.max(MIN_WINDOW_BITS).to_string(),
            )
        } else {
            offer.with_param(CLIENT_MAX_WINDOW_BITS)
        };
        ExtensionOffer::new(offer)
            .with_response_param(SERVER_NO_CONTEXT_TAKEOVER)
            .with_response_param(CLIENT_NO_CONTEXT_TAKEOVER)
            .with_response_param(SERVER_MAX_WINDOW_BITS)
    }

    /// Client role: checks the server's acceptance against [`DeflateConfig::offer`]
    /// (RFC 7692 sections 7.1.1 and 7.1.2). `Ok(None)` when the server did not
    /// accept `permessage-deflate`; an error fails the handshake.
    pub fn check_response(
        &self,
        response: &Response,
    ) -> Result<Option<DeflateParams>, DeflateError> {
        response
            .extension(PERMESSAGE_DEFLATE)
            .map(|accepted| self.check_acceptance(accepted))
            .transpose()
    }

    /// [`DeflateConfig::check_response`] for the accepted extension itself.
    pub fn check_acceptance(&self, accepted: &Extension) -> Result<DeflateParams, DeflateError> {
        let params = Params::parse(accepted)?;
        if self.server_no_context_takeover && !params.server_no_context_takeover {
            return Err(DeflateError::MissingNoContextTakeover);
        }
        let offered_server = self.server_max_window_bits.max(MIN_WINDOW_BITS);
        let server_bits = match params.server_max_window_bits {
            Some(bits) if bits > offered_server => {
                return Err(DeflateError::WindowNotOffered(
                    SERVER_MAX_WINDOW_BITS.into(),
                ));
            }
            Some(bits) => bits,
            None if offered_server < MAX_WINDOW_BITS => {
                return Err(DeflateError::WindowNotOffered(
                    SERVER_MAX_WINDOW_BITS.into(),
                ));
            }
            None => MAX_WINDOW_BITS,
        };
        let offered_client = self.client_max_window_bits.max(MIN_WINDOW_BITS);
        let client_bits = match params.client_max_window_bits {
            // A response must give the client's window a value (section 7.1.2.2).
            Some(None) => return Err(DeflateError::InvalidValue(CLIENT_MAX_WINDOW_BITS.into())),
            Some(Some(bits)) if bits > offered_client => {
                return Err(DeflateError::WindowNotOffered(
                    CLIENT_MAX_WINDOW_BITS.into(),
                ));
            }
            Some(Some(bits)) => bits,
            None => offered_client,
        };
        Ok(DeflateParams {
            server_no_context_takeover: params.server_no_context_takeover,
            // Offered, it is a promise to reset whatever the answer (section 7.1.1.2).
            client_no_context_takeover: params.client_no_context_takeover
                || self.client_no_context_takeover,
            server_max_window_bits: server_bits,
            client_max_window_bits: client_bits,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ext(params: &[(&str, Option<&str>)]) -> Extension {
        let mut e = Extension::new(PERMESSAGE_DEFLATE);
        for (name, value) in params {
            e = match value {
                Some(v) => e.with_param_value(*name, *v),
                None => e.with_param(*name),
            };
        }
        e
    }

    #[test]
    fn window_bits_grammar() {
        for (text, bits) in [("8", Some(8)), ("9", Some(9)), ("15", Some(15))] {
            assert_eq!(window_bits(text), bits);
        }
        for text in [
            "7",
            "16",
            "08",
            "010",
            "+9",
            "-9",
            "",
            "9a",
            "255",
            "99999999999",
        ] {
            assert_eq!(window_bits(text), None, "{text}");
        }
    }

    #[test]
    fn malformed_params_are_refused() {
        for (params, error) in [
            (
                vec![("foo", None)],
                DeflateError::UnknownParameter("foo".into()),
            ),
            (
                vec![
                    (SERVER_NO_CONTEXT_TAKEOVER, None),
                    (SERVER_NO_CONTEXT_TAKEOVER, None),
                ],
                DeflateError::DuplicateParameter(SERVER_NO_CONTEXT_TAKEOVER.into()),
            ),
            (
                vec![(SERVER_NO_CONTEXT_TAKEOVER, Some("1"))],
                DeflateError::InvalidValue(SERVER_NO_CONTEXT_TAKEOVER.into()),
            ),
            (
                vec![(SERVER_MAX_WINDOW_BITS, None)],
                DeflateError::InvalidValue(SERVER_MAX_WINDOW_BITS.into()),
            ),
            (
                vec![(CLIENT_MAX_WINDOW_BITS, Some("16"))],
                DeflateError::InvalidValue(CLIENT_MAX_WINDOW_BITS.into()),
            ),
            (
                vec![
                    (CLIENT_MAX_WINDOW_BITS, Some("9")),
                    (CLIENT_MAX_WINDOW_BITS, None),
                ],
                DeflateError::DuplicateParameter(CLIENT_MAX_WINDOW_BITS.into()),
            ),
        ] {
            assert_eq!(Params::parse(&ext(&params)), Err(error));
        }
    }

    #[test]
    fn server_answers_within_the_offer() {
        let config = DeflateConfig::default();
        let (accept, params) = config.answer(&Params::default());
        assert_eq!(accept, ext(&[]));
        assert_eq!(params, DeflateParams::default());

        let offer = Params::parse(&ext(&[
            (SERVER_MAX_WINDOW_BITS, Some("10")),
            (CLIENT_MAX_WINDOW_BITS, None),
            (CLIENT_NO_CONTEXT_TAKEOVER, None),
        ]))
        .unwrap();
        let (accept, params) = config.answer(&offer);
        assert_eq!(
            accept,
            ext(&[
                (CLIENT_NO_CONTEXT_TAKEOVER, None),
                (SERVER_MAX_WINDOW_BITS, Some("10"))
            ])
        );
        assert_eq!(params.server_max_window_bits, 10);
        assert_eq!(params.client_max_window_bits, 15);
        assert!(params.client_no_context_takeover);
    }

    #[test]
    fn low_memory_policy_shrinks_what_the_rfc_lets_it() {
        let config = DeflateConfig::low_memory();
        // The client cannot limit its window: only the server's own side shrinks.
        let (accept, params) = config.answer(&Params::default());
        assert_eq!(
            accept,
            ext(&[
                (SERVER_NO_CONTEXT_TAKEOVER, None),
                (SERVER_MAX_WINDOW_BITS, Some("10"))
            ])
        );
        assert_eq!(params.client_max_window_bits, 15);
        let offer = Params::parse(&ext(&[(CLIENT_MAX_WINDOW_BITS, None)])).unwrap();
        let (_, params) = config.answer(&offer);
        assert_eq!(params.client_max_window_bits, 10);
        // The client's own smaller limit wins.
        let offer = Params::parse(&ext(&[(CLIENT_MAX_WINDOW_BITS, Some("8"))])).unwrap();
        let (accept, params) = config.answer(&offer);
        assert_eq!(accept.param(CLIENT_MAX_WINDOW_BITS), Some(Some("8")));
        assert_eq!(params.client_max_window_bits, 8);
    }

    #[test]
    fn client_checks_the_acceptance() {
        let config = DeflateConfig::default();
        assert_eq!(
            config.check_acceptance(&ext(&[])),
            Ok(DeflateParams::default())
        );
        let params = config
            .check_acceptance(&ext(&[
                (SERVER_MAX_WINDOW_BITS, Some("9")),
                (CLIENT_MAX_WINDOW_BITS, Some("8")),
                (SERVER_NO_CONTEXT_TAKEOVER, None),
            ]))
            .unwrap();
        assert_eq!(
            (params.server_max_window_bits, params.client_max_window_bits),
            (9, 8)
        );
        assert!(params.server_no_context_takeover);
        assert_eq!(
            config.check_acceptance(&ext(&[(CLIENT_MAX_WINDOW_BITS, None)])),
            Err(DeflateError::InvalidValue(CLIENT_MAX_WINDOW_BITS.into()))
        );
        let strict = DeflateConfig::low_memory();
        assert_eq!(
            strict.check_acceptance(&ext(&[(SERVER_MAX_WINDOW_BITS, Some("10"))])),
            Err(DeflateError::MissingNoContextTakeover)
        );
        assert_eq!(
            strict.check_acceptance(&ext(&[
                (SERVER_NO_CONTEXT_TAKEOVER, None),
                (SERVER_MAX_WINDOW_BITS, Some("11"))
            ])),
            Err(DeflateError::WindowNotOffered(
                SERVER_MAX_WINDOW_BITS.into()
            ))
        );
        assert_eq!(
            strict.check_acceptance(&ext(&[(SERVER_NO_CONTEXT_TAKEOVER, None)])),
            Err(DeflateError::WindowNotOffered(
                SERVER_MAX_WINDOW_BITS.into()
            ))
        );
        assert_eq!(
            strict.check_acceptance(&ext(&[
                (SERVER_NO_CONTEXT_TAKEOVER, None),
                (SERVER_MAX_WINDOW_BITS, Some("9")),
                (CLIENT_MAX_WINDOW_BITS, Some("11"))
            ])),
            Err(DeflateError::WindowNotOffered(
                CLIENT_MAX_WINDOW_BITS.into()
            ))
        );
    }
}
