//! Extension negotiation (RFC 6455 section 9.1): the `Sec-WebSocket-Extensions`
//! grammar in both directions, the client's offers, and the check of the server's
//! acceptance against them.
//!
//! What an extension's parameters mean (RFC 7692's window bits, for one) is for the
//! extension to decide; this module makes sure both sides speak the same grammar, that
//! nothing malformed is written, and that a server accepts only what was offered.

use super::error::{ExtensionSyntaxError, FieldError, HandshakeError};
use super::grammar::{Cursor, QuotedError, first_repeat, is_token};

/// One element of a `Sec-WebSocket-Extensions` list: an extension offered by a client
/// or accepted by a server, e.g. `permessage-deflate; client_max_window_bits=10`.
///
/// Names and values are tokens (section 9.1: a quoted value must be a token once
/// unquoted, so a token is all a value can be). [`Extension::write`] refuses anything
/// else rather than writing it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Extension {
    /// The extension token, e.g. `permessage-deflate`.
    pub name: String,
    /// Its parameters in order, each with its value (unquoted) if it has one.
    pub params: Vec<(String, Option<String>)>,
}

impl Extension {
    /// An extension without parameters.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            params: Vec::new(),
        }
    }

    /// Adds a parameter without a value, e.g. `server_no_context_takeover`.
    pub fn with_param(mut self, name: impl Into<String>) -> Self {
        self.params.push((name.into(), None));
        self
    }

    /// Adds a parameter with a value, e.g. `client_max_window_bits=10`.
    pub fn with_param_value(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.push((name.into(), Some(value.into())));
        self
    }

    /// Looks up the first parameter called `name`: `None` if absent, `Some(None)` if
    /// present without a value, `Some(Some(value))` otherwise.
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, value)| value.as_deref())
    }

    /// Appends this extension in header syntax (`name; param; param=value`) to `out`,
    /// or refuses, writing nothing, if a name or value is not a token or a parameter
    /// appears twice.
    pub fn write(&self, out: &mut Vec<u8>) -> Result<(), FieldError> {
        self.check()?;
        self.put(out);
        Ok(())
    }

    /// What [`Extension::write`] refuses.
    pub(crate) fn check(&self) -> Result<(), FieldError> {
        if !is_token(&self.name) {
            return Err(FieldError::ExtensionName(self.name.clone()));
        }
        for (name, value) in &self.params {
            if !is_token(name) || value.as_deref().is_some_and(|v| !is_token(v)) {
                return Err(FieldError::ExtensionParameter {
                    extension: self.name.clone(),
                    parameter: name.clone(),
                });
            }
        }
        if let Some(repeated) = first_repeat(self.param_names()) {
            return Err(FieldError::DuplicateParameter {
                extension: self.name.clone(),
                parameter: repeated.to_owned(),
            });
        }
        Ok(())
    }

    fn param_names(&self) -> impl Iterator<Item = &str> {
        self.params.iter().map(|(name, _)| name.as_str())
    }

    /// Writes a checked extension.
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.name.as_bytes());
        for (name, value) in &self.params {
            out.extend_from_slice(b"; ");
            out.extend_from_slice(name.as_bytes());
            if let Some(value) = value {
                out.push(b'=');
                out.extend_from_slice(value.as_bytes());
            }
        }
    }
}

/// Appends a `Sec-WebSocket-Extensions` value listing `extensions` (comma-separated) to
/// `out`, or refuses, writing nothing, if one of them cannot be written.
pub fn write_extensions(extensions: &[Extension], out: &mut Vec<u8>) -> Result<(), FieldError> {
    extensions.iter().try_for_each(Extension::check)?;
    put_list(extensions.iter(), out);
    Ok(())
}

/// Writes checked extensions as one list.
pub(crate) fn put_list<'e>(extensions: impl Iterator<Item = &'e Extension>, out: &mut Vec<u8>) {
    for (index, extension) in extensions.enumerate() {
        if index > 0 {
            out.extend_from_slice(b", ");
        }
        extension.put(out);
    }
}

/// Parses one `Sec-WebSocket-Extensions` field value (the same grammar in requests and
/// responses). Commas and semicolons inside quoted strings are text, not separators;
/// quoted-pairs are unescaped; empty list elements are skipped (RFC 7230 section 7),
/// but the list must name at least one extension (`1#extension`).
///
/// Repeated names and parameters are kept as sent: whether they are allowed depends on
/// the role and the extension.
pub fn parse_extensions(value: &[u8]) -> Result<Vec<Extension>, ExtensionSyntaxError> {
    let mut cursor = Cursor::new(value);
    let mut extensions = Vec::new();
    loop {
        cursor.skip_ows();
        if cursor.at_end() {
            if extensions.is_empty() {
                return Err(ExtensionSyntaxError::ExpectedToken(cursor.offset()));
            }
            return Ok(extensions);
        }
        if cursor.eat(b',') {
            continue;
        }
        extensions.push(parse_item(&mut cursor)?);
        if !cursor.at_end() && !cursor.eat(b',') {
            return Err(ExtensionSyntaxError::Unexpected(cursor.offset()));
        }
    }
}

/// Reads `name *( ";" param )`, leaving the cursor after any trailing whitespace.
fn parse_item(cursor: &mut Cursor<'_>) -> Result<Extension, ExtensionSyntaxError> {
    let mut extension = Extension::new(expect_token(cursor)?);
    loop {
        cursor.skip_ows();
        if !cursor.eat(b';') {
            return Ok(extension);
        }
        cursor.skip_ows();
        let name = expect_token(cursor)?;
        cursor.skip_ows();
        let value = if cursor.eat(b'=') {
            cursor.skip_ows();
            Some(parse_value(cursor)?)
        } else {
            None
        };
        extension.params.push((name, value));
    }
}

/// Reads a parameter value: a token, or a quoted string holding a token.
fn parse_value(cursor: &mut Cursor<'_>) -> Result<String, ExtensionSyntaxError> {
    if cursor.peek() != Some(b'"') {
        return expect_token(cursor);
    }
    let start = cursor.offset();
    let content = cursor.quoted_string().map_err(|e| match e {
        QuotedError::Unterminated => ExtensionSyntaxError::UnterminatedQuote(start),
        QuotedError::BadByte => ExtensionSyntaxError::BadQuotedByte(start),
    })?;
    String::from_utf8(content)
        .ok()
        .filter(|text| is_token(text))
        .ok_or(ExtensionSyntaxError::QuotedNotToken(start))
}

fn expect_token(cursor: &mut Cursor<'_>) -> Result<String, ExtensionSyntaxError> {
    let offset = cursor.offset();
    cursor
        .token()
        .map(str::to_owned)
        .ok_or(ExtensionSyntaxError::ExpectedToken(offset))
}

/// What a client offers for one extension, and what it is prepared to find in the
/// server's acceptance of it.
///
/// By default the acceptance may carry only parameters this offer carries. Some
/// extensions let the server add others: RFC 7692 lets a server answer
/// `permessage-deflate` with `server_no_context_takeover` or `server_max_window_bits`
/// although the offer had neither, so its offer names them with
/// [`ExtensionOffer::with_response_param`]. Values are the extension's to check.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ExtensionOffer {
    /// The offer as it is written in the request.
    pub extension: Extension,
    /// Further parameter names the server's acceptance may carry.
    pub response_params: Vec<String>,
}

impl ExtensionOffer {
    /// An offer whose acceptance may carry only the offer's own parameters.
    pub fn new(extension: Extension) -> Self {
        Self {
            extension,
            response_params: Vec::new(),
        }
    }

    /// Allows the server's acceptance to carry parameter `name` as well.
    pub fn with_response_param(mut self, name: impl Into<String>) -> Self {
        self.response_params.push(name.into());
        self
    }

    /// Whether an acceptance of this offer may carry parameter `name`.
    fn allows(&self, name: &str) -> bool {
        self.extension
            .params
            .iter()
            .any(|(offered, _)| offered == name)
            || self.response_params.iter().any(|allowed| allowed == name)
    }
}

impl From<Extension> for ExtensionOffer {
    fn from(extension: Extension) -> Self {
        Self::new(extension)
    }
}

/// The client's check of the server's acceptance (RFC 6455 section 4.1, item 5 of the
/// response checks): each accepted extension was offered, appears once, and carries
/// each parameter at most once and only where some offer of that name allows it.
///
/// A client may offer one extension several times (RFC 7692 section 5 lists
/// alternatives that way); the acceptance answers one of them, so a parameter is
/// allowed if any offer of that name allows it.
pub(crate) fn check_acceptance(
    offers: &[ExtensionOffer],
    accepted: &[Extension],
) -> Result<(), HandshakeError> {
    for extension in accepted {
        let name = &extension.name;
        let offers_of_it: Vec<&ExtensionOffer> = offers
            .iter()
            .filter(|o| &o.extension.name == name)
            .collect();
        if offers_of_it.is_empty() {
            return Err(HandshakeError::UnofferedExtension(name.clone()));
        }
        let unoffered = extension
            .param_names()
            .find(|param| !offers_of_it.iter().any(|offer| offer.allows(param)));
        if let Some(param) = unoffered {
            return Err(HandshakeError::UnofferedParameter {
                extension: name.clone(),
                parameter: param.to_owned(),
            });
        }
        if let Some(param) = first_repeat(extension.param_names()) {
            return Err(HandshakeError::DuplicateParameter {
                extension: name.clone(),
                parameter: param.to_owned(),
            });
        }
    }
    if let Some(name) = first_repeat(accepted.iter().map(|e| e.name.as_str())) {
        return Err(HandshakeError::DuplicateExtension(name.to_owned()));
    }
    Ok(())
}
