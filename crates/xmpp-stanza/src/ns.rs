//! Namespace names used by the elements in this crate.

/// Client-to-server stanzas (RFC 6120 section 4.8.3).
pub const CLIENT: &str = "jabber:client";
/// Server-to-server stanzas.
pub const SERVER: &str = "jabber:server";
/// The stream prefix namespace (`stream:features`, `stream:error`).
pub const STREAM: &str = "http://etherx.jabber.org/streams";
/// Stream error conditions (RFC 6120 section 4.9.2).
pub const STREAMS: &str = "urn:ietf:params:xml:ns:xmpp-streams";
/// Stanza error conditions (RFC 6120 section 8.3.2).
pub const STANZAS: &str = "urn:ietf:params:xml:ns:xmpp-stanzas";
/// STARTTLS (RFC 6120 section 5).
pub const TLS: &str = "urn:ietf:params:xml:ns:xmpp-tls";
/// SASL (RFC 6120 section 6).
pub const SASL: &str = "urn:ietf:params:xml:ns:xmpp-sasl";
/// Resource binding (RFC 6120 section 7).
pub const BIND: &str = "urn:ietf:params:xml:ns:xmpp-bind";
/// Legacy session establishment (RFC 3921, kept optional by RFC 6121).
pub const SESSION: &str = "urn:ietf:params:xml:ns:xmpp-session";
/// Stream management (XEP-0198) version 3.
pub const SM: &str = "urn:xmpp:sm:3";
/// Subscription pre-approval feature (RFC 6121 section 3.4).
pub const PRE_APPROVAL: &str = "urn:xmpp:features:pre-approval";
/// Roster versioning feature (RFC 6121 section 2.6).
pub const ROSTER_VER: &str = "urn:xmpp:features:rosterver";
/// Roster (RFC 6121 section 2).
pub const ROSTER: &str = "jabber:iq:roster";
/// Ping (XEP-0199).
pub const PING: &str = "urn:xmpp:ping";
/// Service discovery information (XEP-0030).
pub const DISCO_INFO: &str = "http://jabber.org/protocol/disco#info";
/// The `xml:` prefix.
pub const XML: &str = "http://www.w3.org/XML/1998/namespace";
/// Service discovery items (XEP-0030).
pub const DISCO_ITEMS: &str = "http://jabber.org/protocol/disco#items";
/// Delayed delivery (XEP-0203).
pub const DELAY: &str = "urn:xmpp:delay";
/// Stanza forwarding (XEP-0297).
pub const FORWARD: &str = "urn:xmpp:forward:0";
/// Message carbons (XEP-0280).
pub const CARBONS: &str = "urn:xmpp:carbons:2";
/// Blocking command (XEP-0191).
pub const BLOCKING: &str = "urn:xmpp:blocking";
/// The `<blocked/>` stanza error payload (XEP-0191).
pub const BLOCKING_ERRORS: &str = "urn:xmpp:blocking:errors";
/// Client state indication (XEP-0352).
pub const CSI: &str = "urn:xmpp:csi:0";
