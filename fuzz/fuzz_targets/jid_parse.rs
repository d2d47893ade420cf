//! Parses arbitrary strings as JIDs; a valid JID must be stable under
//! re-parsing and rebuilding from its parts, and an ASCII domainpart (the
//! fast path) must keep the DNS rules the IDNA path applies.
#![no_main]

use chatwire_xmpp_stanza::Jid;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(jid) = Jid::new(s) else {
        return;
    };
    let again = Jid::new(jid.as_str()).expect("a normalised JID re-parses");
    assert_eq!(again, jid);
    let rebuilt =
        Jid::from_parts(jid.local(), jid.domain(), jid.resource()).expect("parts rebuild");
    assert_eq!(rebuilt, jid);
    assert_eq!(
        jid.to_bare().as_str().len() + jid.resource().map_or(0, |r| r.len() + 1),
        jid.as_str().len()
    );
    assert!(jid.as_str().len() <= 3 * 1023 + 2);
    let domain = jid.domain();
    assert_eq!(
        Jid::new(domain).expect("the domainpart re-parses").as_str(),
        domain
    );
    if domain.is_ascii() && !domain.starts_with('[') {
        assert!(domain.len() <= 253, "{domain}");
        for label in domain.split('.') {
            assert!(!label.is_empty() && label.len() <= 63, "{domain}");
            // Reserved LDH labels (RFC 5890 section 2.3.1), A-labels among
            // them: a JID holds U-labels.
            assert!(label.get(2..4) != Some("--"), "{domain}");
        }
    }
});
