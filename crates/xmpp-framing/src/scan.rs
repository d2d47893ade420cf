//! A resumable byte scanner that finds where top-level units end.
//!
//! It tracks just enough XML syntax (tags, quoted attribute values, CDATA
//! sections) to know where an element ends whatever the input split, and
//! refuses restricted constructs and limit violations as soon as their first
//! bytes arrive, so nothing is buffered for them. Full well-formedness of a
//! finished element is checked afterwards by [`crate::check`].

use crate::{Error, Limits};

/// Where the scanner stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Boundary {
    /// A `<?...?>` at top level ended.
    Declaration,
    /// The start tag of a top-level element ended; the element is still open.
    RootStart,
    /// A top-level element ended (its end tag, or an empty-element tag).
    ElementEnd,
    /// An end tag at top level ended (`</stream:stream>` over TCP).
    TopEnd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between top-level units; the caller skips whitespace.
    Top,
    /// Character data inside an element.
    Content,
    /// After `<`.
    Open,
    /// In the name of a start tag.
    StartName,
    /// In a start tag, between attributes.
    InTag,
    /// In an attribute name.
    AttrName,
    /// After an attribute name, before `=`.
    AfterAttrName,
    /// After `=`, before the opening quote.
    BeforeValue,
    /// Inside an attribute value delimited by this quote.
    Value(u8),
    /// Right after the closing quote of a value.
    AfterValue,
    /// After `/` in a start tag.
    EmptySlash,
    /// In an end tag.
    EndTag,
    /// After `<!`, having matched this many bytes of `[CDATA[`.
    Bang(u8),
    /// In a CDATA section, having seen this many `]` in a row.
    CData(u8),
    /// In `<?...`, true right after a `?`.
    Pi(bool),
}

const CDATA_OPEN: &[u8] = b"[CDATA[";

/// The resumable scanner.
#[derive(Debug, Clone)]
pub(crate) struct Scanner {
    state: State,
    depth: usize,
    attributes: usize,
    max_depth: usize,
    max_attributes: usize,
}

/// Checks that `text` is one complete element that starts with `<`,
/// optionally followed by whitespace: what RFC 7395 section 3.3.3 asks of
/// every message, applied to what we send. A linear scan without allocation;
/// our own output is not held to the peer's limits.
pub(crate) fn one_element(text: &str) -> Result<(), Error> {
    let bytes = text.as_bytes();
    if bytes.first() != Some(&b'<') {
        return Err(Error::InvalidOutgoing("does not start with '<'"));
    }
    let mut scanner = Scanner {
        max_depth: usize::MAX,
        max_attributes: usize::MAX,
        ..Scanner::new(&Limits::default())
    };
    let outgoing = |error: Error| Error::InvalidOutgoing(error.reason());
    let (used, boundary) = scanner.scan(bytes).map_err(outgoing)?;
    let end = match boundary {
        Some(Boundary::ElementEnd) => used,
        Some(Boundary::RootStart) => {
            let rest = bytes.get(used..).unwrap_or_default();
            match scanner.scan(rest).map_err(outgoing)? {
                (more, Some(Boundary::ElementEnd)) => used + more,
                _ => return Err(Error::InvalidOutgoing("incomplete element")),
            }
        }
        Some(Boundary::Declaration) => {
            return Err(Error::InvalidOutgoing(
                "XML declaration or processing instruction",
            ));
        }
        Some(Boundary::TopEnd) => return Err(Error::InvalidOutgoing("end tag")),
        None => return Err(Error::InvalidOutgoing("incomplete element")),
    };
    let trailing = bytes.get(end..).unwrap_or_default();
    if trailing.iter().all(|&b| is_space(b)) {
        Ok(())
    } else {
        Err(Error::InvalidOutgoing(
            "more than one element, or text after it",
        ))
    }
}

impl Scanner {
    pub(crate) fn new(limits: &Limits) -> Self {
        Scanner {
            state: State::Top,
            depth: 0,
            attributes: 0,
            max_depth: limits.max_depth,
            max_attributes: limits.max_attributes,
        }
    }

    /// Whether the scanner is between top-level units.
    pub(crate) fn at_top(&self) -> bool {
        self.state == State::Top
    }

    /// Forgets the open element (after a stream header, which never closes here).
    pub(crate) fn reset(&mut self) {
        self.state = State::Top;
        self.depth = 0;
    }

    /// Consumes bytes until a boundary or the end of `input`.
    ///
    /// Returns how many bytes belong to the current unit, and the boundary
    /// reached with the last of them, if any.
    pub(crate) fn scan(&mut self, input: &[u8]) -> Result<(usize, Option<Boundary>), Error> {
        self.scan_to_error(input).map_err(|(_, error)| error)
    }

    /// [`Scanner::scan`], with the offset of the offending byte on error.
    pub(crate) fn scan_to_error(
        &mut self,
        input: &[u8],
    ) -> Result<(usize, Option<Boundary>), (usize, Error)> {
        let mut i = 0;
        while let Some(&b) = input.get(i) {
            // Fast paths over long runs of text and attribute values.
            match self.state {
                State::Content => {
                    let rest = input.get(i..).unwrap_or_default();
                    match rest.iter().position(|&c| c == b'<') {
                        Some(p) => {
                            i += p + 1;
                            self.state = State::Open;
                            continue;
                        }
                        None => return Ok((input.len(), None)),
                    }
                }
                State::Value(q) => {
                    let rest = input.get(i..).unwrap_or_default();
                    match rest.iter().position(|&c| c == q || c == b'<') {
                        Some(p) if rest.get(p) == Some(&q) => {
                            i += p + 1;
                            self.state = State::AfterValue;
                            continue;
                        }
                        Some(p) => {
                            return Err((i + p, Error::NotWellFormed("'<' in attribute value")));
                        }
                        None => return Ok((input.len(), None)),
                    }
                }
                _ => {}
            }
            match self.step(b) {
                Ok(Some(boundary)) => return Ok((i + 1, Some(boundary))),
                Ok(None) => i += 1,
                Err(error) => return Err((i, error)),
            }
        }
        Ok((input.len(), None))
    }

    fn step(&mut self, b: u8) -> Result<Option<Boundary>, Error> {
        match self.state {
            State::Top => {
                if b != b'<' {
                    return Err(Error::NotWellFormed("text outside an element"));
                }
                self.state = State::Open;
            }
            State::Content | State::Value(_) => {}
            State::Open => self.open(b)?,
            State::StartName => match b {
                b'>' => return Ok(self.start_tag_end()),
                b'/' => self.state = State::EmptySlash,
                _ if is_space(b) => self.state = State::InTag,
                _ if is_name_byte(b) => {}
                _ => return Err(Error::NotWellFormed("bad character in element name")),
            },
            State::InTag => match b {
                b'>' => return Ok(self.start_tag_end()),
                b'/' => self.state = State::EmptySlash,
                _ if is_space(b) => {}
                _ if is_name_byte(b) => self.attribute()?,
                _ => return Err(Error::NotWellFormed("bad character in start tag")),
            },
            State::AttrName => match b {
                b'=' => self.state = State::BeforeValue,
                _ if is_space(b) => self.state = State::AfterAttrName,
                _ if is_name_byte(b) => {}
                _ => return Err(Error::NotWellFormed("bad character in attribute name")),
            },
            State::AfterAttrName => match b {
                b'=' => self.state = State::BeforeValue,
                _ if is_space(b) => {}
                _ => return Err(Error::NotWellFormed("attribute without value")),
            },
            State::BeforeValue => match b {
                b'"' | b'\'' => self.state = State::Value(b),
                _ if is_space(b) => {}
                _ => return Err(Error::NotWellFormed("unquoted attribute value")),
            },
            State::AfterValue => match b {
                b'>' => return Ok(self.start_tag_end()),
                b'/' => self.state = State::EmptySlash,
                _ if is_space(b) => self.state = State::InTag,
                _ => return Err(Error::NotWellFormed("no space between attributes")),
            },
            State::EmptySlash => {
                if b != b'>' {
                    return Err(Error::NotWellFormed("'/' not followed by '>'"));
                }
                if self.depth == 0 {
                    self.state = State::Top;
                    return Ok(Some(Boundary::ElementEnd));
                }
                self.state = State::Content;
            }
            State::EndTag => match b {
                b'>' => return Ok(self.end_tag_end()),
                b'<' | b'&' | b'"' | b'\'' | b'=' => {
                    return Err(Error::NotWellFormed("bad character in end tag"));
                }
                _ => {}
            },
            State::Bang(matched) => {
                let expected = CDATA_OPEN.get(usize::from(matched)).copied();
                if self.depth > 0 && expected == Some(b) {
                    let matched = matched + 1;
                    self.state = if usize::from(matched) == CDATA_OPEN.len() {
                        State::CData(0)
                    } else {
                        State::Bang(matched)
                    };
                } else if b == b'-' {
                    return Err(Error::RestrictedXml("comment"));
                } else if self.depth == 0 && b == b'[' {
                    return Err(Error::NotWellFormed("CDATA outside an element"));
                } else {
                    return Err(Error::RestrictedXml("document type or markup declaration"));
                }
            }
            State::CData(brackets) => {
                self.state = match b {
                    b']' => State::CData(brackets.saturating_add(1).min(2)),
                    b'>' if brackets == 2 => State::Content,
                    _ => State::CData(0),
                };
            }
            State::Pi(after_question) => {
                if after_question && b == b'>' {
                    self.state = State::Top;
                    return Ok(Some(Boundary::Declaration));
                }
                self.state = State::Pi(b == b'?');
            }
        }
        Ok(None)
    }

    /// The byte after `<`.
    fn open(&mut self, b: u8) -> Result<(), Error> {
        match b {
            b'/' => self.state = State::EndTag,
            b'!' => self.state = State::Bang(0),
            b'?' if self.depth == 0 => self.state = State::Pi(false),
            b'?' => return Err(Error::RestrictedXml("processing instruction")),
            _ if is_name_byte(b) && !b.is_ascii_digit() && b != b'-' && b != b'.' => {
                if self.depth >= self.max_depth {
                    return Err(Error::TooDeep {
                        limit: self.max_depth,
                    });
                }
                self.attributes = 0;
                self.state = State::StartName;
            }
            _ => return Err(Error::NotWellFormed("bad character after '<'")),
        }
        Ok(())
    }

    fn attribute(&mut self) -> Result<(), Error> {
        if self.attributes >= self.max_attributes {
            return Err(Error::TooManyAttributes {
                limit: self.max_attributes,
            });
        }
        self.attributes += 1;
        self.state = State::AttrName;
        Ok(())
    }

    fn start_tag_end(&mut self) -> Option<Boundary> {
        self.depth += 1;
        self.state = State::Content;
        (self.depth == 1).then_some(Boundary::RootStart)
    }

    fn end_tag_end(&mut self) -> Option<Boundary> {
        if self.depth == 0 {
            self.state = State::Top;
            return Some(Boundary::TopEnd);
        }
        self.depth -= 1;
        if self.depth == 0 {
            self.state = State::Top;
            Some(Boundary::ElementEnd)
        } else {
            self.state = State::Content;
            None
        }
    }
}

/// XML whitespace.
pub(crate) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Bytes that may appear in a name; full name rules are checked later.
fn is_name_byte(b: u8) -> bool {
    !is_space(b)
        && !matches!(
            b,
            b'<' | b'>' | b'/' | b'=' | b'"' | b'\'' | b'&' | b'?' | b'!'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_element_accepts_exactly_one() {
        for good in [
            "<presence/>",
            "<message xmlns='jabber:client'><body>a &amp; b</body></message>",
            "<a b='/>'><![CDATA[</a>]]></a>\n",
        ] {
            assert_eq!(one_element(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "hello",
            " <presence/>",
            "<presence/><presence/>",
            "<presence/>text",
            "<message><body>",
            "<?xml version='1.0'?><presence/>",
            "</message>",
            "<a><!-- c --></a>",
        ] {
            assert!(
                matches!(one_element(bad), Err(Error::InvalidOutgoing(_))),
                "{bad}"
            );
        }
    }
}
