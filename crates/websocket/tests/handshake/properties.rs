//! Write or refuse: every field value either comes back unchanged through our parser
//! and through tungstenite's (an independent reader of the same bytes), or the writer
//! refuses it and writes nothing. Values drawn from the valid grammar are never refused.

use chatwire_websocket::handshake::{
    Accept, ClientHandshake, ClientRequest, Extension, ExtensionOffer, HandshakeLimits,
    parse_request,
};
use proptest::prelude::*;
use tungstenite::handshake::machine::TryParse;

use super::strategies::{any_extension, any_text, token, valid_extension};
use super::{RFC_NONCE, RFC_REQUEST};

fn valid_path() -> impl Strategy<Value = String> {
    "(/[a-zA-Z0-9._~!$&'()*+,;=:@-]{0,6}|/%[0-9a-fA-F]{2}){1,3}(\\?[a-zA-Z0-9=&/?%-]{0,8})?"
        .prop_filter("no bad escapes", |p| {
            !p.contains('%')
                || p.split('%')
                    .skip(1)
                    .all(|s| s.len() >= 2 && s.as_bytes()[..2].iter().all(u8::is_ascii_hexdigit))
        })
}

fn valid_host() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9]([a-z0-9.-]{0,12}[a-z0-9])?(:[0-9]{1,5})?",
        "\\[[0-9a-f:]{2,12}\\](:[0-9]{1,5})?",
        "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}",
    ]
}

fn valid_origin() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("null".to_owned()),
        ("(http|https|chrome-extension)", valid_host()).prop_map(|(s, h)| format!("{s}://{h}")),
    ]
}

fn valid_header() -> impl Strategy<Value = (String, String)> {
    (valid_header_name(), valid_header_value())
}

fn valid_header_name() -> impl Strategy<Value = String> {
    token().prop_filter("not reserved", |n| !is_reserved(n))
}

/// Printable ASCII, spaces and tabs inside only.
fn valid_header_value() -> impl Strategy<Value = String> {
    "([!-~]([ \t!-~]{0,8}[!-~])?)?"
}

fn is_reserved(name: &str) -> bool {
    [
        "host",
        "upgrade",
        "connection",
        "origin",
        "content-length",
        "transfer-encoding",
        "sec-websocket-key",
        "sec-websocket-version",
        "sec-websocket-protocol",
        "sec-websocket-extensions",
        "sec-websocket-accept",
    ]
    .contains(&name.to_ascii_lowercase().as_str())
}

fn build(
    host: String,
    path: String,
    origin: Option<String>,
    protocols: Vec<String>,
    extensions: Vec<Extension>,
    headers: Vec<(String, String)>,
) -> ClientRequest {
    let mut request = ClientRequest::new(host, path);
    request.origin = origin;
    request.protocols = protocols;
    request.extensions = extensions.into_iter().map(ExtensionOffer::new).collect();
    request.headers = headers;
    request
}

fn valid_request() -> impl Strategy<Value = ClientRequest> {
    (
        valid_host(),
        prop_oneof![Just(String::new()), valid_path()],
        prop::option::of(valid_origin()),
        prop::collection::btree_set(token(), 0..4),
        prop::collection::vec(valid_extension(), 0..3),
        prop::collection::btree_map(valid_header_name(), valid_header_value(), 0..3),
    )
        .prop_map(|(host, path, origin, protocols, extensions, headers)| {
            build(
                host,
                path,
                origin,
                protocols.into_iter().collect(),
                extensions,
                headers.into_iter().collect(),
            )
        })
}

fn any_request() -> impl Strategy<Value = ClientRequest> {
    (
        prop_oneof![valid_host(), any_text()],
        prop_oneof![valid_path(), any_text()],
        prop::option::of(prop_oneof![valid_origin(), any_text()]),
        prop::collection::vec(prop_oneof![token(), any_text()], 0..3),
        prop::collection::vec(any_extension(), 0..3),
        prop::collection::vec(prop_oneof![valid_header(), (any_text(), any_text())], 0..3),
    )
        .prop_map(|(host, path, origin, protocols, extensions, headers)| {
            build(host, path, origin, protocols, extensions, headers)
        })
}

/// Reads an extension list the simple way, which is enough for what our writer
/// produces (tokens only): split at `,`, then `;`, then `=`.
fn naive_extensions(value: &str) -> Vec<Extension> {
    value
        .split(',')
        .map(|item| {
            let mut parts = item.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            parts.fold(Extension::new(name), |e, param| {
                match param.split_once('=') {
                    Some((p, v)) => e.with_param_value(p.trim(), v.trim()),
                    None => e.with_param(param),
                }
            })
        })
        .collect()
}

/// Checks that our parser and tungstenite's read `written` back as `request`.
fn reads_back(request: &ClientRequest, written: &[u8]) -> Result<(), TestCaseError> {
    let text = String::from_utf8_lossy(written);
    let target = if request.path.is_empty() {
        "/"
    } else {
        &request.path
    };

    let (ours, used) = parse_request(written, &HandshakeLimits::default())
        .map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?
        .ok_or_else(|| TestCaseError::fail(format!("incomplete: {text}")))?;
    prop_assert_eq!(used, written.len());
    prop_assert_eq!(&ours.path, target);
    prop_assert_eq!(&ours.host, &request.host);
    prop_assert_eq!(&ours.origin, &request.origin);
    prop_assert_eq!(&ours.protocols, &request.protocols);
    let offered: Vec<&Extension> = request.extensions.iter().map(|o| &o.extension).collect();
    prop_assert_eq!(ours.extensions.iter().collect::<Vec<_>>(), offered.clone());
    for header in &request.headers {
        prop_assert!(ours.headers.contains(header), "{:?} in {}", header, text);
    }

    let (_, theirs) = tungstenite::handshake::server::Request::try_parse(written)
        .map_err(|e| TestCaseError::fail(format!("tungstenite: {e}: {text}")))?
        .ok_or_else(|| TestCaseError::fail(format!("tungstenite: incomplete: {text}")))?;
    tungstenite::handshake::server::create_response(&theirs)
        .map_err(|e| TestCaseError::fail(format!("tungstenite refuses: {e}: {text}")))?;
    let header = |name: &str| {
        theirs
            .headers()
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    prop_assert_eq!(theirs.uri().to_string(), target);
    prop_assert_eq!(header("host"), Some(request.host.clone()));
    prop_assert_eq!(header("origin"), request.origin.clone());
    let protocols = header("sec-websocket-protocol")
        .map(|v| {
            v.split(',')
                .map(|p| p.trim().to_owned())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    prop_assert_eq!(&protocols, &request.protocols);
    let extensions = header("sec-websocket-extensions")
        .map(|v| naive_extensions(&v))
        .unwrap_or_default();
    prop_assert_eq!(extensions.iter().collect::<Vec<_>>(), offered);
    for (name, value) in &request.headers {
        let values: Vec<&[u8]> = theirs
            .headers()
            .get_all(name.as_str())
            .iter()
            .map(|v| v.as_bytes())
            .collect();
        prop_assert!(
            values.contains(&value.as_bytes()),
            "{}: {:?} in {}",
            name,
            value,
            text
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Every field either round-trips (through both parsers) or is refused, and a
    /// refusal writes nothing.
    #[test]
    fn client_requests_round_trip_or_are_refused(request in any_request()) {
        let mut out = Vec::new();
        match ClientHandshake::new(&request, RFC_NONCE, &mut out) {
            Ok(_) => reads_back(&request, &out)?,
            Err(_) => prop_assert!(out.is_empty()),
        }
    }

    /// Values from the grammar are written, never refused.
    #[test]
    fn valid_client_requests_are_written(request in valid_request()) {
        let mut out = Vec::new();
        let written = ClientHandshake::new(&request, RFC_NONCE, &mut out);
        prop_assert!(written.is_ok(), "{:?}: {:?}", written, request);
        reads_back(&request, &out)?;
    }

    /// What a server writes in its 101 reaches the client unchanged, or is refused and
    /// not written; its own protocol and extensions, chosen from the offers, always go.
    #[test]
    fn accepts_round_trip_or_are_refused(
        offered in prop::collection::vec(valid_extension(), 1..3),
        pick in any::<prop::sample::Index>(),
        protocol in prop::option::of(prop_oneof![Just("chat".to_owned()), any_text()]),
        chosen in prop::collection::vec((any::<prop::sample::Index>(), any::<bool>(), any_extension()), 0..3),
        headers in prop::collection::vec(prop_oneof![valid_header(), (any_text(), any_text())], 0..2),
    ) {
        // Half the chosen extensions take the name of an offered one.
        let chosen: Vec<Extension> = chosen
            .into_iter()
            .map(|(index, rename, mut extension)| {
                if rename {
                    extension.name = index.get(&offered).name.clone();
                }
                extension
            })
            .collect();
        // The client offers `offered`, letting the server answer with any parameter name
        // in `chosen`, so that only the grammar decides.
        let mut client_request = ClientRequest::new("a.example", "/").with_protocol("chat");
        for extension in &offered {
            let mut offer = ExtensionOffer::new(extension.clone());
            for extension in &chosen {
                for (param, _) in &extension.params {
                    offer = offer.with_response_param(param.clone());
                }
            }
            client_request = client_request.with_extension(offer);
        }
        let mut wire = Vec::new();
        let client = ClientHandshake::new(&client_request, RFC_NONCE, &mut wire).unwrap();
        let (request, _) = parse_request(&wire, &HandshakeLimits::default()).unwrap().unwrap();

        // Always acceptable: the client's own first offer, verbatim.
        let mut always = Accept::new().with_protocol("chat");
        always.extensions = vec![pick.get(&offered).clone()];
        wire.clear();
        prop_assert!(request.write_accept(&always, &mut wire).is_ok());

        let mut accept = Accept::new();
        accept.protocol = protocol;
        accept.extensions = chosen;
        accept.headers = headers;
        wire.clear();
        match request.write_accept(&accept, &mut wire) {
            Ok(()) => {
                let (response, used) = client
                    .handle_response(&wire)
                    .map_err(|e| TestCaseError::fail(format!("{e}: {}", String::from_utf8_lossy(&wire))))?
                    .unwrap();
                prop_assert_eq!(used, wire.len());
                prop_assert_eq!(&response.protocol, &accept.protocol);
                prop_assert_eq!(&response.extensions, &accept.extensions);
                for header in &accept.headers {
                    prop_assert!(response.headers.contains(header));
                }
                let (_, theirs) = tungstenite::handshake::client::Response::try_parse(&wire)
                    .map_err(|e| TestCaseError::fail(format!("tungstenite: {e}")))?
                    .unwrap();
                prop_assert_eq!(theirs.status().as_u16(), 101);
                let extensions = theirs
                    .headers()
                    .get("sec-websocket-extensions")
                    .map(|v| naive_extensions(v.to_str().unwrap_or_default()))
                    .unwrap_or_default();
                prop_assert_eq!(&extensions, &accept.extensions);
            }
            Err(_) => prop_assert!(wire.is_empty()),
        }
    }
}

/// The RFC's own request, as a sanity check of the helpers above.
#[test]
fn the_rfc_request_reads_the_same_in_tungstenite() {
    let (_, theirs) = tungstenite::handshake::server::Request::try_parse(RFC_REQUEST.as_bytes())
        .unwrap()
        .unwrap();
    assert_eq!(theirs.uri().to_string(), "/chat");
    assert!(tungstenite::handshake::server::create_response(&theirs).is_ok());
}

/// Request targets at the edges of the grammar, and hosts of each kind.
#[test]
fn edge_cases_read_the_same_in_tungstenite() {
    for (host, path) in [
        ("a.example", "//"),
        ("a.example", "//a//b"),
        ("a.example", "/?"),
        ("a.example", "/a?b?c/d"),
        ("a.example", "/%20:@!$&'()*+,;="),
        ("[::1]", "/"),
        ("[::ffff:127.0.0.1]:8080", "/"),
        ("[v1.x:y]", "/"),
        ("127.0.0.1:65535", "/"),
        ("xn--caf-dma.example", "/"),
        ("a.example:0", "/"),
    ] {
        let request = ClientRequest::new(host, path);
        let mut out = Vec::new();
        ClientHandshake::new(&request, RFC_NONCE, &mut out).unwrap();
        reads_back(&request, &out).unwrap_or_else(|e| panic!("{host} {path}: {e}"));
    }
}
