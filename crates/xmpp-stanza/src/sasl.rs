//! SASL negotiation nonzas (RFC 6120 section 6.4).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::error::{Error, excerpt};
use crate::ns;
use crate::serialize_error::SerializeError;
use crate::text::Text;
use crate::xml::{self, Reader, Start, Token};

/// SASL failure conditions (RFC 6120 section 6.5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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
    /// A condition RFC 6120 does not define, by element name, kept so the
    /// caller decides (RFC 6120 section 6.5 lets it treat any failure as
    /// not-authorized). Refused at serialisation when it names a defined
    /// condition or `text`, or is not an XML name.
    Other(String),
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
    pub fn name(&self) -> &str {
        if let SaslCondition::Other(name) = self {
            return name;
        }
        CONDITIONS
            .iter()
            .find(|(c, _)| c == self)
            .map_or("not-authorized", |(_, n)| n)
    }

    /// The defined condition named `name`.
    pub fn from_name(name: &str) -> Option<SaslCondition> {
        CONDITIONS
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(c, _)| c.clone())
    }
}

/// A SASL `<failure/>`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SaslFailure {
    /// The condition; None when the peer sent none (RFC 6120 requires one,
    /// but the failure still ends the exchange).
    pub condition: Option<SaslCondition>,
    /// Descriptive `<text/>` elements.
    pub texts: Vec<Text>,
}

impl SaslFailure {
    /// A failure with a condition and no text.
    pub fn new(condition: SaslCondition) -> SaslFailure {
        SaslFailure {
            condition: Some(condition),
            texts: Vec::new(),
        }
    }
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
    /// `<success/>`: None without additional data, `Some` with it, an
    /// empty vector being the `=` RFC 6120 section 6.4.6 distinguishes.
    Success(Option<Vec<u8>>),
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
            "success" => {
                let text = r.text()?;
                Sasl::Success(if text.trim().is_empty() {
                    None
                } else {
                    Some(decode(&text)?)
                })
            }
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
                            let name = child.local();
                            condition = Some(match SaslCondition::from_name(name) {
                                Some(known) => known,
                                // Kept, so checked as any kept name is.
                                None => match xml::check_name(name) {
                                    Ok(()) => SaslCondition::Other(name.to_owned()),
                                    Err(_) => {
                                        return Err(Error::Xml(format!(
                                            "invalid name {:?}",
                                            excerpt(name)
                                        )));
                                    }
                                },
                            });
                            r.skip()?;
                        }
                        Token::Start(_) => r.skip()?,
                    }
                }
                Sasl::Failure(SaslFailure { condition, texts })
            }
            other => return Err(Error::Unexpected(excerpt(other))),
        })
    }

    /// Appends the serialised nonza to `out`; leaves `out` as it was on
    /// error.
    pub fn serialize(&self, out: &mut Vec<u8>) -> Result<(), SerializeError> {
        xml::guarded(out, |out| self.write(out))
    }

    fn write(&self, out: &mut Vec<u8>) -> Result<(), SerializeError> {
        let (name, data): (&str, Option<&[u8]>) = match self {
            Sasl::Auth {
                mechanism,
                initial_response,
            } => {
                out.extend_from_slice(b"<auth");
                xml::attr(out, "xmlns", ns::SASL)?;
                xml::attr(out, "mechanism", mechanism)?;
                match initial_response {
                    None => out.extend_from_slice(b"/>"),
                    Some(data) => {
                        out.push(b'>');
                        write_data(out, data);
                        xml::end(out, "auth");
                    }
                }
                return Ok(());
            }
            // Challenges and responses without data are empty elements;
            // success tells no data (empty) from empty data (`=`).
            Sasl::Challenge(d) => ("challenge", Some(d.as_slice()).filter(|d| !d.is_empty())),
            Sasl::Response(d) => ("response", Some(d.as_slice()).filter(|d| !d.is_empty())),
            Sasl::Success(d) => ("success", d.as_deref()),
            Sasl::Abort => ("abort", None),
            Sasl::Failure(f) => return f.write(out),
        };
        out.push(b'<');
        out.extend_from_slice(name.as_bytes());
        xml::attr(out, "xmlns", ns::SASL)?;
        match data {
            None => out.extend_from_slice(b"/>"),
            Some(data) => {
                out.push(b'>');
                write_data(out, data);
                xml::end(out, name);
            }
        }
        Ok(())
    }
}

impl SaslFailure {
    fn write(&self, out: &mut Vec<u8>) -> Result<(), SerializeError> {
        out.extend_from_slice(b"<failure");
        xml::attr(out, "xmlns", ns::SASL)?;
        out.push(b'>');
        if let Some(condition) = &self.condition {
            if let SaslCondition::Other(name) = condition {
                xml::check_name(name)?;
                if name == "text" || SaslCondition::from_name(name).is_some() {
                    return Err(SerializeError::InvalidValue("SASL failure condition"));
                }
            }
            xml::text_element(out, condition.name(), None, "")?;
        }
        for t in &self.texts {
            t.write(out, "text", None)?;
        }
        xml::end(out, "failure");
        Ok(())
    }
}

/// Base64 data, `=` for present but empty (RFC 6120 section 6.4.2).
fn write_data(out: &mut Vec<u8>, data: &[u8]) {
    if data.is_empty() {
        out.push(b'=');
    } else {
        out.extend_from_slice(STANDARD.encode(data).as_bytes());
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
