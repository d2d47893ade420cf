//! Attributes this crate does not type, kept so that a server forwarding a
//! stanza writes what the sender wrote.

use crate::error::Error;
use crate::ns;
use crate::serialize_error::SerializeError;
use crate::xml;

/// An attribute with its namespace resolved (prefixes are not kept: the
/// writer declares its own).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ExtraAttr {
    /// The namespace name; None for an unprefixed attribute.
    pub ns: Option<String>,
    /// The local name.
    pub name: String,
    /// The value, references resolved.
    pub value: String,
}

impl ExtraAttr {
    /// An unprefixed attribute.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> ExtraAttr {
        ExtraAttr {
            ns: None,
            name: name.into(),
            value: value.into(),
        }
    }

    /// An attribute in namespace `ns`.
    pub fn namespaced(
        ns: impl Into<String>,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> ExtraAttr {
        ExtraAttr {
            ns: Some(ns.into()),
            name: name.into(),
            value: value.into(),
        }
    }

    fn same_name(&self, ns: Option<&str>, name: &str) -> bool {
        self.ns.as_deref() == ns && self.name == name
    }
}

/// Appends `attr` to `list`, refusing a second attribute with the same
/// expanded name (two prefixes bound to one namespace).
pub(crate) fn push(list: &mut Vec<ExtraAttr>, attr: ExtraAttr) -> Result<(), Error> {
    if list
        .iter()
        .any(|a| a.same_name(attr.ns.as_deref(), &attr.name))
    {
        return Err(Error::Xml("duplicate attribute".into()));
    }
    list.push(attr);
    Ok(())
}

/// Writes `attrs` on an open start tag. `typed` lists the unprefixed
/// attributes the element writes itself; `lang` says it writes `xml:lang`.
/// Inlined, so that the common empty list costs a comparison, not a call.
#[inline]
pub(crate) fn write(
    out: &mut Vec<u8>,
    attrs: &[ExtraAttr],
    typed: &[&str],
    lang: bool,
) -> Result<(), SerializeError> {
    if attrs.is_empty() {
        return Ok(());
    }
    write_all(out, attrs, typed, lang)
}

/// [`write`] for a list that is not empty.
#[inline(never)]
fn write_all(
    out: &mut Vec<u8>,
    attrs: &[ExtraAttr],
    typed: &[&str],
    lang: bool,
) -> Result<(), SerializeError> {
    let mut declared = 0usize;
    for (i, attr) in attrs.iter().enumerate() {
        xml::check_name(&attr.name)?;
        let reserved = match attr.ns.as_deref() {
            None => attr.name == "xmlns" || typed.contains(&attr.name.as_str()),
            Some(ns::XML) => lang && attr.name == "lang",
            Some(_) => false,
        };
        let earlier = attrs.get(..i).unwrap_or_default();
        if reserved
            || earlier
                .iter()
                .any(|a| a.same_name(attr.ns.as_deref(), &attr.name))
        {
            return Err(SerializeError::InvalidName(attr.name.clone()));
        }
        xml::qualified_attr(
            out,
            attr.ns.as_deref(),
            &attr.name,
            &attr.value,
            &mut declared,
        )?;
    }
    Ok(())
}
