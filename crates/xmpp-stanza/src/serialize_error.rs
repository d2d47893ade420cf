//! Why a value could not be serialised.
//!
//! The writers refuse exactly what the reader would refuse, or read back
//! as something else, so that text from outside XMPP (a database, an
//! admin API, a bridge) can never inject markup into a stream.

/// Why a value could not be written as XML this crate reads back unchanged.
/// The output buffer is left as it was before the call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SerializeError {
    /// A character XML 1.0 does not allow (a control character other than
    /// tab, newline and carriage return, U+FFFE or U+FFFF) in character data
    /// or an attribute value. [`crate::replace_disallowed_chars`] replaces
    /// them for callers that pass on foreign text.
    #[error("character {ch:?} at byte {position} is not allowed in XML")]
    InvalidChar {
        /// The character.
        ch: char,
        /// Its byte offset in the string it was found in.
        position: usize,
    },
    /// An element or attribute name that is not an XML NCName, or one that
    /// would change the meaning of the element it is written on (`xmlns`,
    /// an attribute written twice, an attribute the typed element writes
    /// itself).
    #[error("invalid XML name {0:?}")]
    InvalidName(String),
    /// A value the reader refuses or reads back as a different value (an
    /// iq get without payload, a presence of type error without error, an
    /// unknown value spelling a known one, ...); names the field.
    #[error("invalid {0}")]
    InvalidValue(&'static str),
}
