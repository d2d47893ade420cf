//! Well-formedness and namespace checks of one complete unit, with quick-xml
//! as the tokenizer.
//!
//! The scanner already refused restricted constructs and limit violations;
//! this pass checks what needs the whole element: matching end tags,
//! attribute syntax and uniqueness, references, characters, and that every
//! prefix resolves, either inside the element or through the inherited
//! [`NsContext`].
//!
//! Every function here takes bytes that the caller already knows are UTF-8
//! (a [`chatwire_utf8::Utf8Bytes`], or bytes checked as they arrived), so
//! none of them runs a UTF-8 pass of its own.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::escape;
use crate::{Error, NsContext};

/// `xml` is bound by definition (Namespaces in XML 1.0, section 3).
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// What the caller needs to know about a checked element.
#[derive(Debug)]
pub(crate) struct Root {
    pub(crate) namespace: Box<str>,
    pub(crate) local_name: Box<str>,
    /// Whether anything but whitespace sits between the root's tags.
    pub(crate) has_content: bool,
}

/// The attributes of a lone start tag (a stream header or `<open/>`).
#[derive(Debug, Default)]
pub(crate) struct StartTag {
    pub(crate) namespace: Box<str>,
    /// Raw qualified name, to match `</stream:stream>` against.
    pub(crate) qname: Box<[u8]>,
    /// Declarations made on the tag itself.
    pub(crate) declarations: NsContext,
    /// Other attributes: raw qualified name, unescaped value.
    pub(crate) attributes: Vec<(Box<str>, String)>,
}

impl StartTag {
    pub(crate) fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| &**n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Checks for the characters XML forbids although UTF-8 allows them: C0
/// controls other than tab, newline and carriage return, and the
/// non-characters U+FFFE and U+FFFF (EF BF BE, EF BF BF in UTF-8).
pub(crate) fn chars(bytes: &[u8]) -> Result<(), Error> {
    let mut rest = bytes;
    while let Some(pos) = rest
        .iter()
        .position(|&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0xEF)
    {
        let tail = rest.get(pos..).unwrap_or_default();
        match tail {
            [0xEF, 0xBF, 0xBE | 0xBF, ..] => {
                return Err(Error::NotWellFormed("non-character U+FFFE or U+FFFF"));
            }
            [0xEF, ..] => rest = tail.get(1..).unwrap_or_default(),
            _ => return Err(Error::NotWellFormed("control character")),
        }
    }
    Ok(())
}

/// Checks a value we are about to write: [`chars`] finds what no escape can
/// carry, which is refused rather than sent to a peer that would fail on it.
pub(crate) fn outgoing_text(text: &str) -> Result<(), Error> {
    chars(text.as_bytes()).map_err(|error| Error::InvalidOutgoing(error.reason()))
}

/// Checks one complete element in the context it inherits, with at most
/// `max_declarations` namespace declarations of its own in scope at once.
pub(crate) fn element(
    bytes: &[u8],
    outer: &NsContext,
    max_declarations: usize,
) -> Result<Root, Error> {
    chars(bytes)?;
    let mut reader = Reader::from_reader(bytes);
    reader.config_mut().check_end_names = true;
    let mut scopes = Scopes::new(outer, max_declarations);
    let mut root: Option<Root> = None;
    let mut depth = 0usize;
    loop {
        let event = reader
            .read_event()
            .map_err(|_| Error::NotWellFormed("malformed element"))?;
        match event {
            Event::Start(_) | Event::Empty(_) if root.is_some() && depth == 0 => {
                return Err(Error::NotWellFormed("more than one root"));
            }
            Event::Start(tag) => {
                let (ns, local) = scopes.enter(&tag)?;
                note_child(&mut root, depth);
                if depth == 0 {
                    root = Some(new_root(ns, local));
                }
                depth += 1;
            }
            Event::Empty(tag) => {
                let (ns, local) = scopes.enter(&tag)?;
                scopes.leave();
                note_child(&mut root, depth);
                if depth == 0 {
                    root = Some(new_root(ns, local));
                }
            }
            Event::End(_) => {
                scopes.leave();
                depth = depth.saturating_sub(1);
            }
            Event::Text(t) => {
                // XML 1.0 section 2.4: character data never contains `]]>`.
                if t.contains("]]>") {
                    return Err(Error::NotWellFormed("']]>' in character data"));
                }
                if depth == 0 {
                    if !t.bytes().all(crate::scan::is_space) {
                        return Err(Error::NotWellFormed("text outside the root"));
                    }
                } else if !t.bytes().all(crate::scan::is_space) {
                    note_child(&mut root, depth);
                }
            }
            Event::CData(_) => note_child(&mut root, depth),
            Event::GeneralRef(r) => {
                if depth == 0 {
                    return Err(Error::NotWellFormed("reference outside the root"));
                }
                escape::resolve(&r)?;
                note_child(&mut root, depth);
            }
            Event::Comment(_) => return Err(Error::RestrictedXml("comment")),
            Event::PI(_) | Event::Decl(_) => {
                return Err(Error::RestrictedXml("processing instruction"));
            }
            Event::DocType(_) => return Err(Error::RestrictedXml("document type declaration")),
            Event::Eof => break,
        }
    }
    if depth != 0 {
        return Err(Error::NotWellFormed("element not closed"));
    }
    root.ok_or(Error::NotWellFormed("no element"))
}

/// Parses a lone start tag or empty-element tag and resolves its name with
/// its own declarations, then `outer` (empty for a stream header, which
/// starts a fresh context).
pub(crate) fn start_tag(bytes: &[u8], outer: &NsContext) -> Result<StartTag, Error> {
    chars(bytes)?;
    let mut reader = Reader::from_reader(bytes);
    let tag = match reader.read_event() {
        Ok(Event::Start(tag) | Event::Empty(tag)) => tag,
        _ => return Err(Error::NotWellFormed("malformed start tag")),
    };
    // One tag: its declarations are bounded by the attribute limit.
    let mut scopes = Scopes::new(outer, usize::MAX);
    let (namespace, _) = scopes.enter(&tag)?;
    let mut out = StartTag {
        namespace,
        qname: tag.name().as_ref().as_bytes().into(),
        ..StartTag::default()
    };
    for attr in tag.attributes() {
        let attr = attr.map_err(|_| Error::NotWellFormed("malformed attribute"))?;
        let key = attr.key.as_ref();
        let value = escape::unescape(&attr.value)?;
        if key == "xmlns" {
            out.declarations.set_default(&value);
        } else if let Some(prefix) = key.strip_prefix("xmlns:") {
            out.declarations.set_prefix(prefix, &value);
        } else {
            out.attributes.push((key.into(), value));
        }
    }
    Ok(out)
}

/// Checks an XML declaration: it must be `<?xml ...?>` and, if it names an
/// encoding, UTF-8 (RFC 6120 section 11.6).
pub(crate) fn declaration(bytes: &[u8]) -> Result<(), Error> {
    chars(bytes)?;
    let mut reader = Reader::from_reader(bytes);
    match reader.read_event() {
        Ok(Event::Decl(decl)) => {
            if let Some(encoding) = decl.encoding() {
                let encoding = encoding.map_err(|_| Error::NotWellFormed("bad XML declaration"))?;
                if !encoding.eq_ignore_ascii_case("utf-8") {
                    return Err(Error::UnsupportedEncoding);
                }
            }
            Ok(())
        }
        Ok(Event::PI(_)) => Err(Error::RestrictedXml("processing instruction")),
        _ => Err(Error::NotWellFormed("bad XML declaration")),
    }
}

fn new_root(namespace: Box<str>, local_name: Box<str>) -> Root {
    Root {
        namespace,
        local_name,
        has_content: false,
    }
}

fn note_child(root: &mut Option<Root>, depth: usize) {
    if depth > 0
        && let Some(root) = root
    {
        root.has_content = true;
    }
}

/// The namespace bindings in scope while walking one element.
struct Scopes<'a> {
    outer: &'a NsContext,
    /// (prefix, namespace); the empty prefix is the default namespace.
    bindings: Vec<(String, String)>,
    /// Length of `bindings` when each open element was entered.
    marks: Vec<usize>,
    /// Most `bindings` at once: each lookup scans them.
    max_bindings: usize,
}

impl<'a> Scopes<'a> {
    fn new(outer: &'a NsContext, max_bindings: usize) -> Self {
        Scopes {
            outer,
            bindings: Vec::new(),
            marks: Vec::new(),
            max_bindings,
        }
    }

    /// Records the tag's declarations, then resolves its name and attribute prefixes.
    fn enter(&mut self, tag: &BytesStart<'_>) -> Result<(Box<str>, Box<str>), Error> {
        self.marks.push(self.bindings.len());
        // Prefixed attributes are checked once all declarations are known;
        // most tags have none, so the second pass is rare. Characters were
        // checked over the whole element by `text`.
        let mut prefixed = false;
        for attr in tag.attributes() {
            let attr =
                attr.map_err(|_| Error::NotWellFormed("malformed or duplicate attribute"))?;
            escape::check_references(&attr.value)?;
            let key = attr.key.as_ref();
            if key == "xmlns" {
                self.bindings
                    .push((String::new(), escape::unescape(&attr.value)?));
            } else if let Some(prefix) = key.strip_prefix("xmlns:") {
                if prefix.is_empty() || prefix == "xmlns" || attr.value.is_empty() {
                    return Err(Error::NotWellFormed("bad namespace declaration"));
                }
                self.bindings
                    .push((prefix.to_owned(), escape::unescape(&attr.value)?));
            } else if key.contains(':') && !key.starts_with("xml:") {
                prefixed = true;
            }
        }
        if self.bindings.len() > self.max_bindings {
            return Err(Error::TooManyNamespaces {
                limit: self.max_bindings,
            });
        }
        for attr in tag.attributes().filter(|_| prefixed) {
            let attr = attr.map_err(|_| Error::NotWellFormed("malformed attribute"))?;
            let key = attr.key.as_ref();
            if let Some((prefix, _)) = split_qname(key)
                && prefix != "xmlns"
                && self.lookup(prefix).is_none()
            {
                return Err(Error::BadNamespacePrefix);
            }
        }
        let name = tag.name();
        let (ns, local) = match split_qname(name.as_ref()) {
            Some((prefix, local)) => (self.lookup(prefix).ok_or(Error::BadNamespacePrefix)?, local),
            None => (self.lookup("").unwrap_or_default(), name.as_ref()),
        };
        if local.is_empty() || local.contains(':') {
            return Err(Error::NotWellFormed("bad qualified name"));
        }
        Ok((ns.into(), local.into()))
    }

    fn leave(&mut self) {
        if let Some(mark) = self.marks.pop() {
            self.bindings.truncate(mark);
        }
    }

    /// The namespace of `prefix` (empty: the default namespace).
    fn lookup(&self, prefix: &str) -> Option<&str> {
        if prefix == "xml" {
            return Some(XML_NS);
        }
        if let Some((_, ns)) = self.bindings.iter().rev().find(|(p, _)| p == prefix) {
            return Some(ns.as_str());
        }
        if prefix.is_empty() {
            self.outer.default_namespace()
        } else {
            self.outer.prefix(prefix)
        }
    }
}

/// Splits `prefix:local`; `None` when there is no prefix.
fn split_qname(name: &str) -> Option<(&str, &str)> {
    name.split_once(':')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> NsContext {
        let mut ctx = NsContext::new();
        ctx.set_default("jabber:client");
        ctx.set_prefix("stream", "http://etherx.jabber.org/streams");
        ctx
    }

    #[test]
    fn inherits_and_overrides() {
        let root = element(b"<message><body>hi</body></message>", &ctx(), usize::MAX).unwrap();
        assert_eq!(&*root.namespace, "jabber:client");
        assert_eq!(&*root.local_name, "message");
        assert!(root.has_content);
        let root = element(b"<stream:features/>", &ctx(), usize::MAX).unwrap();
        assert_eq!(&*root.namespace, "http://etherx.jabber.org/streams");
        assert!(!root.has_content);
        let root = element(b"<a xmlns='urn:x'/>", &ctx(), usize::MAX).unwrap();
        assert_eq!(&*root.namespace, "urn:x");
    }

    #[test]
    fn refuses_bad_input() {
        let c = ctx();
        assert_eq!(
            element(b"<x:a/>", &c, usize::MAX).unwrap_err(),
            Error::BadNamespacePrefix
        );
        assert_eq!(
            element(b"<a x:b='1'/>", &c, usize::MAX).unwrap_err(),
            Error::BadNamespacePrefix
        );
        assert!(matches!(
            element(b"<a><b></a></b>", &c, usize::MAX),
            Err(Error::NotWellFormed(_))
        ));
        assert!(matches!(
            element(b"<a b='1' b='2'/>", &c, usize::MAX),
            Err(Error::NotWellFormed(_))
        ));
        assert!(matches!(
            element(b"<a>&lol;</a>", &c, usize::MAX),
            Err(Error::RestrictedXml(_))
        ));
        assert!(matches!(
            element(b"<a b='&lol;'/>", &c, usize::MAX),
            Err(Error::RestrictedXml(_))
        ));
        assert!(matches!(
            element(b"<a>\x01</a>", &c, usize::MAX),
            Err(Error::NotWellFormed(_))
        ));
        assert!(matches!(
            element("<a>\u{FFFF}</a>".as_bytes(), &c, usize::MAX),
            Err(Error::NotWellFormed(_))
        ));
        assert!(element(b"<a xml:lang='en'>&#x1F600;&amp;</a>", &c, usize::MAX).is_ok());
        assert!(matches!(
            element(b"<a>x]]>y</a>", &c, usize::MAX),
            Err(Error::NotWellFormed(_))
        ));
        assert!(matches!(
            element(b"<a><b/>]]></a>", &c, usize::MAX),
            Err(Error::NotWellFormed(_))
        ));
        // Escaped, in CDATA or in an attribute value it is fine.
        assert!(
            element(
                b"<a b=']]>'>]]&gt;<![CDATA[]]]]><![CDATA[>]]></a>",
                &c,
                usize::MAX
            )
            .is_ok()
        );
    }

    #[test]
    fn declarations() {
        assert!(declaration(b"<?xml version='1.0'?>").is_ok());
        assert!(declaration(b"<?xml version='1.0' encoding='UTF-8'?>").is_ok());
        assert_eq!(
            declaration(b"<?xml version='1.0' encoding='ISO-8859-1'?>"),
            Err(Error::UnsupportedEncoding)
        );
        assert!(matches!(
            declaration(b"<?php x?>"),
            Err(Error::RestrictedXml(_))
        ));
    }
}
