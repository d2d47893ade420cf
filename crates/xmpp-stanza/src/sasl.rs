//! SASL negotiation nonzas (RFC 6120 section 6.4).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::error::Error;
use crate::ns;
use crate::text::Text;
use crate::xml::{self, Reader, Start, Token};

/// SASL failure conditions (RFC 6120 section 6.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SaslCondition {
    /// 6.5.1 `aborted`
    Aborted,
    /// 6.5.2 `account-disabled`
    AccountDisabled,
    /// 6.5.3 `credentials-expired`
    CredentialsExpired,
    /// 6.5.4 `encryption-required`
    EncryptionRequired,
    /// 6.5.5 `incorrect-encoding`
    IncorrectEncoding,
    /// 6.5.6 `invalid-authzid`
    InvalidAuthzid,
    /// 6.5.7 `invalid-mechanism`
    InvalidMechanism,
    /// 6.5.8 `malformed-request`
    MalformedRequest,
    /// 6.5.9 `mechanism-too-weak`
    MechanismTooWeak,
    /// 6.5.10 `not-authorized`
    NotAuthorized,
    /// 6.5.11 `temporary-auth-failure`
    TemporaryAuthFailure,
}

const CONDITIONS: [(SaslCondition, &str); 11] = [
    (SaslCondition::Aborted, "aborted"),
    (SaslCondition::AccountDisabled, "account-disabled"),
    (SaslCondition::CredentialsExpired, "credentials-expired"),
    (SaslCondition::EncryptionRequired, "encryption-required"),
    (SaslCondition::IncorrectEncoding, "incorrect-encoding"),
    (SaslCondition::InvalidAuthzid, "invalid-authzid"),
    (SaslCondition::InvalidMechanism, "invalid-mechanism"),
    (SaslCondition::MalformedRequest, "malformed-request"),
    (SaslCondition::MechanismTooWeak, "mechanism-too-weak"),
    (SaslCondition::NotAuthorized, "not-authorized"),
    (
        SaslCondition::TemporaryAuthFailure,
        "temporary-auth-failure",
    ),
];

impl SaslCondition {
    /// The element name of the condition.
    pub fn name(self) -> &'static str {
        CONDITIONS
            .iter()
            .find(|(c, _)| *c == self)
            .map_or("not-authorized", |(_, n)| n)
    }

    /// The condition named `name`.
    pub fn from_name(name: &str) -> Option<SaslCondition> {
        CONDITIONS.iter().find(|(_, n)| *n == name).map(|(c, _)| *c)
    }
}

/// A SASL `<failure/>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaslFailure {
    /// The condition.
    pub condition: SaslCondition,
    /// Descriptive `<text/>` elements.
    pub texts: Vec<Text>,
}

/// A SASL nonza in `urn:ietf:params:xml:ns:xmpp-sasl`. Data is carried
/// decoded; the wire form is base64, `=` for an empty initial response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sasl {
    /// `<auth mechanism='...'>`; None means no initial response.
    Auth {
        /// The mechanism name.
        mechanism: String,
        /// The initial response.
        initial_response: Option<Vec<u8>>,
    },
    /// `<challenge/>`
    Challenge(Vec<u8>),
    /// `<response/>`
    Response(Vec<u8>),
    /// `<success/>` with optional additional data.
    Success(Vec<u8>),
    /// `<failure/>`
    Failure(SaslFailure),
    /// `<abort/>`
    Abort,
}

impl Sasl {
    pub(crate) fn parse(r: &mut Reader<'_>, start: &Start<'_>) -> Result<Sasl, Error> {
        Ok(match start.local() {
            "auth" => {
                let mut mechanism = None;
                start.each_attr(|prefix, local, value| {
                    if prefix.is_none() && local == "mechanism" {
                        mechanism = Some(value.into_owned());
                    }
                    Ok(())
                })?;
                let mechanism = mechanism.ok_or(Error::Missing("mechanism"))?;
                let text = r.text()?;
                let initial_response = if text.trim().is_empty() {
                    None
                } else {
                    Some(decode(&text)?)
                };
                Sasl::Auth {
                    mechanism,
                    initial_response,
                }
            }
            "challenge" => Sasl::Challenge(decode(&r.text()?)?),
            "response" => Sasl::Response(decode(&r.text()?)?),
            "success" => Sasl::Success(decode(&r.text()?)?),
            "abort" => {
                r.skip()?;
                Sasl::Abort
            }
            "failure" => {
                let mut condition = None;
                let mut texts = Vec::new();
                loop {
                    match r.next()? {
                        Token::End => break,
                        Token::Text(_) => {}
                        Token::Start(child) if child.is("text", ns::SASL) => {
                            texts.push(Text::parse(r, &child)?);
                        }
                        Token::Start(child) if child.ns() == ns::SASL && condition.is_none() => {
                            condition = Some(
                                SaslCondition::from_name(child.local())
                                    .ok_or(Error::Invalid("SASL failure condition"))?,
                            );
                            r.skip()?;
                        }
                        Token::Start(_) => r.skip()?,
                    }
                }
                Sasl::Failure(SaslFailure {
                    condition: condition.ok_or(Error::Missing("SASL failure condition"))?,
                    texts,
                })
            }
            other => return Err(Error::Unexpected(other.to_owned())),
        })
    }

    /// Appends the serialised nonza to `out`.
    pub fn serialize(&self, out: &mut Vec<u8>) {
        let (name, data): (&str, Option<&[u8]>) = match self {
            Sasl::Auth {
                mechanism,
                initial_response,
            } => {
                out.extend_from_slice(b"<auth");
                xml::attr(out, "xmlns", ns::SASL);
                xml::attr(out, "mechanism", mechanism);
                match initial_response {
                    None => out.extend_from_slice(b"/>"),
                    Some(data) if data.is_empty() => out.extend_from_slice(b">=</auth>"),
                    Some(data) => {
                        out.push(b'>');
                        out.extend_from_slice(STANDARD.encode(data).as_bytes());
                        xml::end(out, "auth");
                    }
                }
                return;
            }
            Sasl::Challenge(d) => ("challenge", Some(d)),
            Sasl::Response(d) => ("response", Some(d)),
            Sasl::Success(d) => ("success", Some(d)),
            Sasl::Abort => ("abort", None),
            Sasl::Failure(f) => {
                out.extend_from_slice(b"<failure");
                xml::attr(out, "xmlns", ns::SASL);
                out.push(b'>');
                xml::text_element(out, f.condition.name(), None, "");
                for t in &f.texts {
                    t.write(out, "text", None);
                }
                xml::end(out, "failure");
                return;
            }
        };
        let encoded = data.map(|d| STANDARD.encode(d)).unwrap_or_default();
        xml::text_element(out, name, Some(ns::SASL), &encoded);
    }
}

/// Decodes base64 text; `=` and empty mean no data. Whitespace is
/// tolerated since some clients wrap long lines.
fn decode(text: &str) -> Result<Vec<u8>, Error> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if compact.is_empty() || compact == "=" {
        return Ok(Vec::new());
    }
    STANDARD
        .decode(compact.as_bytes())
        .map_err(|_| Error::Invalid("base64"))
}
