//! Inputs shared by the criterion suites in `benches/` and the `workload`
//! example, so that instruction counts and timings measure the same bytes.

/// The salt of the SCRAM benches.
pub const SALT: &[u8] = b"QSXCR+Q6sek8bf92";

/// A 410-byte chat message with body, thread and a receipt request.
pub const MESSAGE: &str = "<message xmlns='jabber:client' from='juliet@capulet.example/balcony' \
to='romeo@montague.example/orchard' type='chat' id='7f3c9a2e-5b1d-4e8a-9c6f-2d4b8e1a7c35' \
xml:lang='en'><body>O Romeo, Romeo! wherefore art thou Romeo? Deny thy father and refuse \
thy name; or, if thou wilt not, be but sworn my love, and I'm thine.</body>\
<thread>e0ffe42b28561960c6b12b94</thread><request xmlns='urn:xmpp:receipts'/></message>";

/// Presence with show, status, priority and entity capabilities.
pub const PRESENCE: &str = "<presence xmlns='jabber:client' from='romeo@montague.example/orchard' \
id='p9s7d2'><show>away</show><status>Wooing Juliet under the balcony</status><priority>5</priority>\
<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://chatwire.example/caps' \
ver='QgayPKawpkPSDYmwT/WM94uAlu0='/></presence>";

/// A roster result with 50 items of two groups each.
pub fn roster_result() -> String {
    let mut s = String::from(
        "<iq xmlns='jabber:client' to='juliet@capulet.example/balcony' id='roster1' type='result'>\
<query xmlns='jabber:iq:roster' ver='ver42'>",
    );
    for i in 0..50 {
        let sub = ["both", "to", "from", "none"][i % 4];
        s.push_str(&format!(
            "<item jid='contact{i}@montague.example' name='Contact {i}' subscription='{sub}'>\
<group>Friends</group><group>Verona</group></item>"
        ));
    }
    s.push_str("</query></iq>");
    s
}

/// The address given as `--listen ADDR` (or `--listen=ADDR`) on the command
/// line of the peer echo servers in `examples/`, or `default`.
pub fn listen_addr(default: &str) -> Result<String, String> {
    let mut args = std::env::args().skip(1);
    let mut addr = default.to_owned();
    while let Some(arg) = args.next() {
        if let Some(value) = arg.strip_prefix("--listen=") {
            value.clone_into(&mut addr);
        } else if arg == "--listen" {
            addr = args.next().ok_or("--listen needs an address")?;
        } else {
            return Err(format!("unknown argument {arg}; usage: --listen ADDR"));
        }
    }
    Ok(addr)
}
