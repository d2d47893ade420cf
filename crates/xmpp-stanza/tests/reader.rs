//! The reader's half of the crate: well-formedness (XML 1.0 and Namespaces
//! in XML 1.0 as RFC 6120 section 11 restricts them), the stream context,
//! per-stanza limits and the header a parse error carries.

#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use chatwire_xmpp_stanza::*;

fn tcp() -> Context {
    Context::client_tcp()
}

fn refused(xml: &str) -> bool {
    Element::parse(xml.as_bytes(), &tcp()).is_err()
}

fn accepted(xml: &str) -> Element {
    Element::parse(xml.as_bytes(), &tcp()).unwrap_or_else(|e| panic!("{e}: {xml}"))
}

// XML 1.0 production [40] STag: attributes are separated by whitespace.
#[test]
fn attributes_need_whitespace_between_them() {
    for bad in [
        "<message to='a@b'id='x'/>",
        "<message to=\"a@b\"id='x'/>",
        "<message><x xmlns='urn:x' a='1'b='2'/></message>",
        "<message id='x'xmlns='jabber:client'/>",
    ] {
        assert!(refused(bad), "{bad}");
    }
    accepted("<message to='a@b' id='x'/>");
    accepted("<message to='a@b'\tid='x'\n/>");
}

// XML 1.0 production [4] NameStartChar excludes digits, '-' and '.'.
#[test]
fn names_start_with_a_name_start_character() {
    for bad in [
        "<message 1d='x'/>",
        "<message -d='x'/>",
        "<message><x xmlns='urn:x' .a='1'/></message>",
        "<message><1x xmlns='urn:x'/></message>",
        "<message xmlns:1p='urn:p'/>",
        "<message><x xmlns='urn:x' a$b='1'/></message>",
        "<message><x xmlns='urn:x'><a\u{d7}b/></x></message>",
    ] {
        assert!(refused(bad), "{bad}");
    }
    accepted("<message><x xmlns='urn:x' _a='1' a-1.b='2' \u{e9}t\u{e9}='3'/></message>");
}

// Namespaces in XML 1.0 section 5: every prefix in use is declared.
#[test]
fn attribute_prefixes_must_be_bound() {
    for bad in [
        "<message p:x='1'/>",
        "<iq id='1' type='get' q:y='2'><ping xmlns='urn:xmpp:ping'/></iq>",
        "<message><body p:x='1'>hi</body></message>",
    ] {
        assert!(refused(bad), "{bad}");
    }
    // A declaration later in the same tag still binds.
    accepted("<message p:x='1' xmlns:p='urn:p'/>");
}

// Namespaces in XML 1.0 section 6.3: no two attributes with the same
// local name and the same namespace name, whatever their prefixes.
#[test]
fn attributes_unique_after_prefix_resolution() {
    for bad in [
        "<message xmlns:p='urn:a' xmlns:q='urn:a' p:x='1' q:x='2'/>",
        "<message><body xmlns:p='urn:a' xmlns:q='urn:a' p:x='1' q:x='2'>b</body></message>",
        "<message xmlns:p='urn:a'><x xmlns='urn:x' xmlns:q='urn:a' p:y='1' q:y='2'/></message>",
    ] {
        assert!(refused(bad), "{bad}");
    }
    // Same local name in different namespaces is fine.
    accepted("<message xmlns:p='urn:a' xmlns:q='urn:b' p:x='1' q:x='2' x='3'/>");
}

// XML 1.0 production [66] CharRef: '&#x' [0-9a-fA-F]+ ';' or '&#' [0-9]+ ';'.
#[test]
fn character_references_are_digits_only() {
    for bad in [
        "<message><body>&#x+41;</body></message>",
        "<message><body>&#+65;</body></message>",
        "<message><body>&#x;</body></message>",
        "<message><body>&#X41;</body></message>",
        "<message><body>&#x 41;</body></message>",
        "<message id='&#x+41;'/>",
        "<message id='&#+65;'/>",
    ] {
        assert!(refused(bad), "{bad}");
    }
    let Element::Message(m) =
        accepted("<message id='&#x41;&#66;'><body>&#x43;&#68;</body></message>")
    else {
        panic!()
    };
    assert_eq!(m.id.as_deref(), Some("AB"));
    assert_eq!(m.body(), Some("CD"));
}

// XML 1.0 production [14] CharData excludes ']]>'.
#[test]
fn cdata_end_is_not_character_data() {
    for bad in [
        "<message><body>a]]>b</body></message>",
        "<message>]]></message>",
        "<message><x xmlns='urn:x'>]]></x></message>",
    ] {
        assert!(refused(bad), "{bad}");
    }
    // In an attribute value, as a reference, or inside CDATA it is fine.
    let Element::Message(m) =
        accepted("<message id=']]>'><body>]]&gt;<![CDATA[]]]]><![CDATA[>]]></body></message>")
    else {
        panic!()
    };
    assert_eq!(m.id.as_deref(), Some("]]>"));
    assert_eq!(m.body(), Some("]]>]]>"));
}
