//! Human-readable text with an optional language, as in `<body/>`,
//! `<subject/>`, `<status/>` and error `<text/>` (RFC 6120 section 8.1.5).

use crate::error::Error;
use crate::extra_attr::{self, ExtraAttr};
use crate::serialize_error::SerializeError;
use crate::xml::{self, Reader, Start};

/// Character data tagged with the `xml:lang` it was written in (None
/// means the language is inherited from the enclosing element).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Text {
    /// The `xml:lang` attribute, if present.
    pub lang: Option<String>,
    /// The text itself.
    pub text: String,
    /// Other attributes on the element, kept as received.
    pub extra_attrs: Vec<ExtraAttr>,
}

impl Text {
    /// Text without a language tag of its own.
    pub fn new(text: impl Into<String>) -> Text {
        Text {
            lang: None,
            text: text.into(),
            extra_attrs: Vec::new(),
        }
    }

    /// Text in a given language.
    pub fn with_lang(lang: impl Into<String>, text: impl Into<String>) -> Text {
        Text {
            lang: Some(lang.into()),
            ..Text::new(text)
        }
    }

    pub(crate) fn parse(r: &mut Reader<'_>, start: &Start<'_>) -> Result<Text, Error> {
        let mut lang = None;
        let mut extra_attrs = Vec::new();
        start.each_attr(|prefix, local, value| {
            if prefix == Some("xml") && local == "lang" {
                lang = Some(value.into_owned());
            } else {
                extra_attr::push(&mut extra_attrs, r.extra_attr(prefix, local, value)?)?;
            }
            Ok(())
        })?;
        let text = r.text()?;
        Ok(Text {
            lang,
            text,
            extra_attrs,
        })
    }

    pub(crate) fn write(
        &self,
        out: &mut Vec<u8>,
        name: &str,
        ns: Option<&str>,
    ) -> Result<(), SerializeError> {
        out.push(b'<');
        out.extend_from_slice(name.as_bytes());
        xml::opt_attr(out, "xmlns", ns)?;
        xml::opt_attr(out, "xml:lang", self.lang.as_deref())?;
        extra_attr::write(out, &self.extra_attrs, &[], true)?;
        if self.text.is_empty() {
            out.extend_from_slice(b"/>");
        } else {
            out.push(b'>');
            xml::escape_text(out, &self.text)?;
            xml::end(out, name);
        }
        Ok(())
    }
}
