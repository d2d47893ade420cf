//! STARTTLS negotiation nonzas (RFC 6120 section 5.4.2). The offer is
//! [`crate::Features::starttls`].

use crate::ns;
use crate::serialize_error::SerializeError;
use crate::xml;

/// A STARTTLS nonza in `urn:ietf:params:xml:ns:xmpp-tls`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tls {
    /// `<starttls/>`: the initiating entity asks to start TLS.
    StartTls,
    /// `<proceed/>`: the receiving entity agrees; the TLS handshake follows.
    Proceed,
    /// `<failure/>`: the receiving entity refuses and closes the stream.
    Failure,
}

impl Tls {
    /// The nonza of this name, if it is one.
    pub(crate) fn from_name(name: &str) -> Option<Tls> {
        match name {
            "starttls" => Some(Tls::StartTls),
            "proceed" => Some(Tls::Proceed),
            "failure" => Some(Tls::Failure),
            _ => None,
        }
    }

    /// Appends the serialised nonza to `out`.
    pub fn serialize(&self, out: &mut Vec<u8>) -> Result<(), SerializeError> {
        let name = match self {
            Tls::StartTls => "starttls",
            Tls::Proceed => "proceed",
            Tls::Failure => "failure",
        };
        xml::text_element(out, name, Some(ns::TLS), "")
    }
}
