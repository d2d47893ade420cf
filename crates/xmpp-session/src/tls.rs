//! What a session knows of TLS: whether to use STARTTLS, whether the
//! transport is protected, and the channel-binding types a server lists
//! for XEP-0440. The TLS handshake itself is the caller's.

use chatwire_sasl::ChannelBinding;
use chatwire_xmpp_stanza::minidom;

/// The XEP-0440 namespace of `<sasl-channel-binding/>`.
pub const SASL_CB_NS: &str = "urn:xmpp:sasl-cb:0";

/// STARTTLS (RFC 6120 section 5) on a TCP stream; ignored over WebSocket,
/// where TLS is `wss:` or nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum StartTls {
    /// Server: never offered. Client: never asked for.
    Disabled,
    /// Server: offered, not required. Client: used when offered.
    #[default]
    Optional,
    /// Server: offered as `<required/>`, and nothing else is offered
    /// before it. Client: the stream is closed when it is not offered.
    Required,
}

/// Whether the transport under a new session is already protected: `wss:`,
/// or TLS from the first byte on TCP (XEP-0368). With TLS comes the
/// channel-binding data the TLS layer produced, for the -PLUS mechanisms.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Security {
    /// No TLS yet (STARTTLS may follow on TCP).
    #[default]
    Plain,
    /// TLS is up, with this channel-binding data (empty when the TLS layer
    /// gives none).
    Tls(Vec<ChannelBinding>),
}

impl Security {
    /// Whether TLS is up.
    pub fn is_tls(&self) -> bool {
        matches!(self, Security::Tls(_))
    }

    pub(crate) fn into_channel_bindings(self) -> Vec<ChannelBinding> {
        match self {
            Security::Plain => Vec::new(),
            Security::Tls(bindings) => bindings,
        }
    }
}

/// The XEP-0440 feature listing the channel-binding types a server
/// supports on this connection. Type names are `cb-name`s (letters,
/// digits, `.` and `-`, checked by [`ChannelBinding::new`]), so they need
/// no escaping; `None` only if one got through anyway.
pub(crate) fn channel_binding_feature(bindings: &[ChannelBinding]) -> Option<minidom::Element> {
    let mut xml = format!("<sasl-channel-binding xmlns='{SASL_CB_NS}'>");
    for binding in bindings {
        xml.push_str("<channel-binding type='");
        xml.push_str(binding.kind());
        xml.push_str("'/>");
    }
    xml.push_str("</sasl-channel-binding>");
    xml.parse().ok()
}

/// The channel-binding types of a XEP-0440 feature among `others`, or
/// `None` when the server sent none.
pub(crate) fn channel_binding_types(others: &[minidom::Element]) -> Option<Vec<String>> {
    let feature = others
        .iter()
        .find(|e| e.is("sasl-channel-binding", SASL_CB_NS))?;
    Some(
        feature
            .children()
            .filter(|c| c.is("channel-binding", SASL_CB_NS))
            .filter_map(|c| c.attr("type"))
            .map(str::to_owned)
            .collect(),
    )
}
