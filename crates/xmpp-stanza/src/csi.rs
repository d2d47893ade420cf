//! Client state indication (XEP-0352) nonzas. The `<csi/>` stream feature
//! is [`crate::Features::csi`].

use crate::ns;
use crate::serialize_error::SerializeError;
use crate::xml;

/// Whether the client is being used right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Csi {
    /// `<active/>`: someone is looking at the client.
    Active,
    /// `<inactive/>`: nobody is; the server may hold back what is not
    /// urgent.
    Inactive,
}

impl Csi {
    /// The nonza of this name, if it is one.
    pub(crate) fn from_name(name: &str) -> Option<Csi> {
        match name {
            "active" => Some(Csi::Active),
            "inactive" => Some(Csi::Inactive),
            _ => None,
        }
    }

    /// Appends the serialised nonza to `out`.
    pub fn serialize(&self, out: &mut Vec<u8>) -> Result<(), SerializeError> {
        let name = match self {
            Csi::Active => "active",
            Csi::Inactive => "inactive",
        };
        xml::text_element(out, name, Some(ns::CSI), "")
    }
}
