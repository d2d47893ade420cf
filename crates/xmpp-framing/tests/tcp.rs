//! RFC 6120 TCP streams through the reading half (`TcpSplitter`): every
//! split, restarts, keepalives, restricted XML, limits.

// Test helpers outside #[test] functions may fail loudly too.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use chatwire_xmpp_framing::tcp::{write_stream_close, write_stream_error, write_stream_header};
use chatwire_xmpp_framing::{
    Error, Event, Limits, StreamErrorCondition, StreamHeader, TcpSplitter,
};
use proptest::prelude::*;

/// A client-to-server stream in the style of RFC 6120 section 9.1: header,
/// STARTTLS-free SASL, restart, bind, a few stanzas, keepalives, close.
const STREAM: &str = concat!(
    "<?xml version='1.0'?>",
    "<stream:stream from='juliet@im.example.com' to='im.example.com' version='1.0' ",
    "xml:lang='en' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>",
    "\n  ",
    "<auth xmlns=\"urn:ietf:params:xml:ns:xmpp-sasl\" mechanism=\"PLAIN\">AGp1bGlldAByMG0zMG15cjBtMzA=</auth>",
    // The server answers <success/> and restarts: the client's new stream.
    "<?xml version='1.0' encoding='UTF-8'?>",
    "<stream:stream from='juliet@im.example.com' to='im.example.com' version='1.0' ",
    "xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:client'>",
    "<iq id='b1' type='set'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>balcony</resource></bind></iq>",
    " \t\r\n ",
    "<message to='romeo@example.net' type='chat' xml:lang='en'>",
    "<body>Wherefore art thou, Romeo? &lt;3 &amp; &#x1F339; a&gt;b</body>",
    "<x:thread xmlns:x='urn:example:t' x:attr='/>'>t1</x:thread>",
    "<data><![CDATA[<not-a-tag/> ]] ]]></data>",
    "</message>",
    " ",
    "<stream:features/>",
    "<presence/>",
    "\n",
    "</stream:stream>",
);

/// Where the restart of [`STREAM`] happens: at its second XML declaration.
fn restart_at() -> usize {
    STREAM.rfind("<?xml").unwrap()
}

/// Feeds [`STREAM`] cut at `cuts`, restarting the reader where the server
/// would (after the SASL exchange, before the client's new header).
fn run_stream(cuts: &[usize]) -> (Vec<Event>, Option<Error>) {
    let input = STREAM.as_bytes();
    let mut cuts = cuts.to_vec();
    cuts.push(restart_at());
    cuts.push(input.len());
    cuts.sort_unstable();
    let mut splitter = TcpSplitter::new(Limits::default());
    let mut events = Vec::new();
    let mut last = 0;
    for cut in cuts {
        if last == restart_at() {
            splitter.restart();
        }
        let result = splitter.handle_input(&input[last..cut]);
        last = cut;
        events.extend(std::iter::from_fn(|| splitter.poll_event()));
        if let Err(e) = result {
            return (events, Some(e));
        }
    }
    (events, None)
}

fn run(chunks: &[&[u8]]) -> (Vec<Event>, Option<Error>) {
    let mut splitter = TcpSplitter::new(Limits::default());
    let mut events = Vec::new();
    for chunk in chunks {
        let result = splitter.handle_input(chunk);
        events.extend(std::iter::from_fn(|| splitter.poll_event()));
        if let Err(e) = result {
            return (events, Some(e));
        }
    }
    (events, None)
}

fn whole(input: &[u8]) -> (Vec<Event>, Option<Error>) {
    run(&[input])
}

fn names(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .map(|e| match e {
            Event::StreamOpen(h) => format!("open {}", h.to.as_deref().unwrap_or("")),
            Event::Element(e) => format!("{{{}}}{}", e.namespace, e.local_name),
            Event::StreamClose { .. } => "close".into(),
            _ => "other".into(),
        })
        .collect()
}

#[test]
fn parses_a_whole_stream() {
    let (events, error) = run_stream(&[]);
    assert_eq!(error, None);
    assert_eq!(
        names(&events),
        [
            "open im.example.com",
            "{urn:ietf:params:xml:ns:xmpp-sasl}auth",
            "open im.example.com",
            "{jabber:client}iq",
            "{jabber:client}message",
            "{http://etherx.jabber.org/streams}features",
            "{jabber:client}presence",
            "close",
        ]
    );
    let Event::StreamOpen(h) = &events[0] else {
        panic!()
    };
    assert_eq!(h.from.as_deref(), Some("juliet@im.example.com"));
    assert_eq!(h.lang.as_deref(), Some("en"));
    assert_eq!(h.content_namespace.as_deref(), Some("jabber:client"));
    let Event::Element(message) = &events[4] else {
        panic!()
    };
    assert!(
        message
            .as_str()
            .starts_with("<message to='romeo@example.net'")
    );
    assert!(message.as_str().ends_with("</message>"));
    assert_eq!(
        message.ns_context.default_namespace(),
        Some("jabber:client")
    );
    assert_eq!(
        message.ns_context.prefix("stream"),
        Some("http://etherx.jabber.org/streams")
    );
}

#[test]
fn every_two_way_split_gives_the_same_events() {
    let expected = run_stream(&[]);
    for at in 0..=STREAM.len() {
        assert_eq!(run_stream(&[at]), expected, "split at {at}");
    }
}

#[test]
fn byte_by_byte_gives_the_same_events() {
    let every: Vec<usize> = (0..=STREAM.len()).collect();
    assert_eq!(run_stream(&every), run_stream(&[]));
}

proptest! {
    #[test]
    fn any_chunking_gives_the_same_events(cuts in proptest::collection::vec(0usize..STREAM.len(), 0..20)) {
        prop_assert_eq!(run_stream(&cuts), run_stream(&[]));
    }

    #[test]
    fn header_round_trips(
        to in proptest::option::of("[a-z0-9.@&<>'\"]{1,20}"),
        from in proptest::option::of("[a-z0-9.@&<>'\"]{1,20}"),
        id in proptest::option::of("[A-Za-z0-9+/=]{1,20}"),
        server in any::<bool>(),
    ) {
        let ns = if server { "jabber:server" } else { "jabber:client" };
        let mut header = StreamHeader::new().with_lang("en").with_content_namespace(ns);
        header.to = to;
        header.from = from;
        header.id = id;
        let mut out = String::new();
        write_stream_header(&header, ns, &mut out);
        write_stream_close(&mut out);
        let (events, error) = whole(out.as_bytes());
        prop_assert_eq!(error, None);
        prop_assert_eq!(events, vec![Event::StreamOpen(header), Event::StreamClose { see_other_uri: None }]);
    }

    #[test]
    fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..300), cut in 0usize..300) {
        let mut input = b"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>".to_vec();
        input.extend_from_slice(&body);
        let cut = cut.min(input.len());
        let split = run(&[&input[..cut], &input[cut..]]);
        prop_assert_eq!(split, whole(&input));
    }
}

#[test]
fn whitespace_keepalives_produce_nothing() {
    let mut splitter = TcpSplitter::new(Limits::default());
    splitter
        .handle_input(b"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")
        .unwrap();
    assert!(matches!(splitter.poll_event(), Some(Event::StreamOpen(_))));
    for _ in 0..100 {
        splitter.handle_input(b" ").unwrap();
        splitter.handle_input(b"\n").unwrap();
    }
    assert_eq!(splitter.poll_event(), None);
    assert!(splitter.is_open());
}

#[test]
fn stream_errors_parse_back() {
    let mut input = String::new();
    write_stream_header(&StreamHeader::new(), "jabber:client", &mut input);
    write_stream_error(
        StreamErrorCondition::NotWellFormed,
        Some("a < b"),
        &mut input,
    );
    write_stream_close(&mut input);
    let (events, error) = whole(input.as_bytes());
    assert_eq!(error, None);
    let Event::Element(e) = &events[1] else {
        panic!()
    };
    assert_eq!(&*e.namespace, "http://etherx.jabber.org/streams");
    assert_eq!(&*e.local_name, "error");
    assert!(
        e.as_str()
            .contains("<not-well-formed xmlns=\"urn:ietf:params:xml:ns:xmpp-streams\"/>")
    );
    assert!(e.as_str().contains("a &lt; b"));
}

const HEADER: &str = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";

fn error_of(body: &str) -> Error {
    let input = format!("{HEADER}{body}");
    let (_, error) = whole(input.as_bytes());
    let error = error.unwrap_or_else(|| panic!("accepted {body:?}"));
    // The same error whatever the split.
    let chunks: Vec<&[u8]> = input.as_bytes().chunks(1).collect();
    assert_eq!(run(&chunks).1, Some(error.clone()), "{body:?}");
    error
}

#[test]
fn restricted_xml_is_refused() {
    let billion_laughs = "<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]><message>&lol2;</message>";
    let external =
        "<!DOCTYPE foo [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><message>&xxe;</message>";
    for body in [
        billion_laughs,
        external,
        "<message><!-- comment --></message>",
        "<!-- comment -->",
        "<message><?target data?></message>",
        "<?target data?>",
        "<message>&nbsp;</message>",
        "<message a='&foo;'/>",
    ] {
        assert_eq!(
            error_of(body).condition(),
            Some(StreamErrorCondition::RestrictedXml),
            "{body}"
        );
    }
}

#[test]
fn billion_laughs_before_the_header_is_refused_at_once() {
    let mut splitter = TcpSplitter::new(Limits::default());
    let err = splitter
        .handle_input(b"<?xml version='1.0'?><!DOCTYPE lolz [")
        .unwrap_err();
    assert!(matches!(err, Error::RestrictedXml(_)));
}

#[test]
fn malformed_xml_is_refused() {
    for (body, expected) in [
        (
            "<message><body></message></body>",
            StreamErrorCondition::NotWellFormed,
        ),
        (
            "<message a='1' a='2'/>",
            StreamErrorCondition::NotWellFormed,
        ),
        ("<message a=1/>", StreamErrorCondition::NotWellFormed),
        ("<message a='<'/>", StreamErrorCondition::NotWellFormed),
        ("text", StreamErrorCondition::NotWellFormed),
        (
            "<message>&#0;</message>",
            StreamErrorCondition::NotWellFormed,
        ),
        (
            "<message>\u{1}</message>",
            StreamErrorCondition::NotWellFormed,
        ),
        ("<x:message/>", StreamErrorCondition::BadNamespacePrefix),
        (
            "<message y:a='1'/>",
            StreamErrorCondition::BadNamespacePrefix,
        ),
        ("</stream:other>", StreamErrorCondition::NotWellFormed),
        (
            "</stream:stream><presence/>",
            StreamErrorCondition::NotWellFormed,
        ),
        ("<![CDATA[x]]>", StreamErrorCondition::NotWellFormed),
        (
            "<message>a]]>b</message>",
            StreamErrorCondition::NotWellFormed,
        ),
    ] {
        assert_eq!(error_of(body).condition(), Some(expected), "{body}");
    }
}

#[test]
fn invalid_utf8_is_unsupported_encoding() {
    let mut input = HEADER.as_bytes().to_vec();
    input.extend_from_slice(b"<message><body>\xff</body></message>");
    assert_eq!(whole(&input).1, Some(Error::UnsupportedEncoding));
    assert_eq!(
        whole(b"<?xml version='1.0' encoding='UTF-16'?>").1,
        Some(Error::UnsupportedEncoding)
    );
}

/// Found by the fuzzer: UTF-8 is checked as bytes arrive, the syntax as
/// they are scanned; whichever breaks first in the stream is reported,
/// whatever the split.
#[test]
fn the_first_error_in_the_stream_wins_whatever_the_split() {
    for body in [
        &b"<presence/><message \x87<presence/>"[..],
        b"<message a='\xE2<'/>",
        b"<message \xE2\x82<",
        b"<message \xC0 />",
        b"\xFF",
    ] {
        let mut input = HEADER.as_bytes().to_vec();
        input.extend_from_slice(body);
        let expected = whole(&input);
        assert!(expected.1.is_some(), "{body:?}");
        for at in 0..=input.len() {
            let (a, b) = input.split_at(at);
            assert_eq!(run(&[a, b]), expected, "{body:?} split at {at}");
        }
        let chunks: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(run(&chunks), expected, "{body:?} byte by byte");
    }
}

#[test]
fn header_errors() {
    let cases: [(&str, StreamErrorCondition); 5] = [
        (
            "<stream:stream xmlns:stream='urn:wrong' version='1.0'>",
            StreamErrorCondition::InvalidNamespace,
        ),
        (
            "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' version='2.0'>",
            StreamErrorCondition::UnsupportedVersion,
        ),
        (
            "<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>",
            StreamErrorCondition::UnsupportedVersion,
        ),
        ("<presence/>", StreamErrorCondition::BadFormat),
        (
            "<?xml version='1.0'?><presence/>",
            StreamErrorCondition::BadFormat,
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(
            whole(input.as_bytes()).1.and_then(|e| e.condition()),
            Some(expected),
            "{input}"
        );
    }
}

#[test]
fn limits_are_checked_before_buffering() {
    let limits = Limits::default()
        .with_max_element_size(90)
        .with_max_depth(3)
        .with_max_attributes(3);
    let mut splitter = TcpSplitter::new(limits.with_max_header_size(90));
    splitter.handle_input(HEADER.as_bytes()).unwrap_err(); // the header itself is over 90 bytes
    let mut splitter = TcpSplitter::new(limits.with_max_element_size(200));
    splitter.handle_input(HEADER.as_bytes()).unwrap();
    // Exactly the limit is fine, one byte more is not, and the error comes
    // at that byte even when it arrives alone.
    let fits = format!("<m>{}</m>", "x".repeat(193));
    assert_eq!(fits.len(), 200);
    splitter.handle_input(fits.as_bytes()).unwrap();
    splitter.handle_input(b"<m>").unwrap();
    splitter.handle_input("x".repeat(194).as_bytes()).unwrap();
    assert_eq!(
        splitter.handle_input(b"</m>"),
        Err(Error::ElementTooLarge { limit: 200 })
    );

    let mut splitter = TcpSplitter::new(limits.with_max_element_size(1000));
    splitter.handle_input(HEADER.as_bytes()).unwrap();
    splitter.handle_input(b"<a><b><c>").unwrap();
    assert_eq!(
        splitter.handle_input(b"<d"),
        Err(Error::TooDeep { limit: 3 })
    );
    let mut splitter = TcpSplitter::new(limits.with_max_element_size(1000));
    splitter.handle_input(HEADER.as_bytes()).unwrap();
    assert_eq!(
        splitter.handle_input(b"<a a='1' b='2' c='3' d"),
        Err(Error::TooManyAttributes { limit: 3 })
    );
}

/// `levels` nested elements, each declaring `per_level` prefixes, around
/// `leaves` empty children.
fn nested_declarations(levels: usize, per_level: usize, leaves: usize) -> String {
    let mut element = String::new();
    for level in 0..levels {
        element.push_str("<a");
        for i in 0..per_level {
            element.push_str(&format!(" xmlns:p{level}x{i}='urn:{i}'"));
        }
        element.push('>');
    }
    element.push_str(&"<a/>".repeat(leaves));
    element.push_str(&"</a>".repeat(levels));
    element
}

/// Found in review: each name is resolved by scanning the declarations in
/// scope, and 63 levels of 62 declarations each (within the depth and
/// attribute limits) made every `<a/>` scan about 3,900 of them: a 256 KiB
/// element took about 18 times as long to check as a plain one. The
/// declarations in scope at once now have a limit of their own.
#[test]
fn namespace_declarations_in_scope_are_limited() {
    let mut splitter = TcpSplitter::new(Limits::default());
    splitter.handle_input(HEADER.as_bytes()).unwrap();
    let attack = nested_declarations(63, 62, 40_000);
    assert!(attack.len() < 256 * 1024);
    assert_eq!(
        splitter.handle_input(attack.as_bytes()),
        Err(Error::TooManyNamespaces { limit: 128 })
    );
    assert_eq!(
        Error::TooManyNamespaces { limit: 128 }.condition(),
        Some(StreamErrorCondition::PolicyViolation)
    );
    // The limit counts what is in scope at once: siblings reuse the room,
    // and a namespace on every one of 64 levels fits the defaults.
    let limits = Limits::default().with_max_namespace_declarations(4);
    let mut splitter = TcpSplitter::new(limits);
    splitter.handle_input(HEADER.as_bytes()).unwrap();
    let siblings = format!("<a>{}</a>", nested_declarations(2, 2, 1).repeat(3));
    splitter.handle_input(siblings.as_bytes()).unwrap();
    assert_eq!(
        splitter.handle_input(nested_declarations(1, 5, 0).as_bytes()),
        Err(Error::TooManyNamespaces { limit: 4 })
    );
    let mut splitter = TcpSplitter::new(Limits::default());
    splitter.handle_input(HEADER.as_bytes()).unwrap();
    let deep = format!("{}{}", "<a xmlns='urn:a'>".repeat(64), "</a>".repeat(64));
    splitter.handle_input(deep.as_bytes()).unwrap();
    assert_eq!(
        splitter
            .poll_event()
            .map(|e| matches!(e, Event::StreamOpen(_))),
        Some(true)
    );
    assert!(matches!(splitter.poll_event(), Some(Event::Element(_))));
}

#[test]
fn a_flood_without_end_is_bounded() {
    let mut splitter = TcpSplitter::new(Limits::default());
    splitter.handle_input(HEADER.as_bytes()).unwrap();
    splitter.handle_input(b"<message><body>").unwrap();
    let chunk = vec![b'a'; 64 * 1024];
    let mut result = Ok(());
    for _ in 0..10 {
        result = splitter.handle_input(&chunk);
        if result.is_err() {
            break;
        }
    }
    assert_eq!(result, Err(Error::ElementTooLarge { limit: 256 * 1024 }));
    assert_eq!(splitter.handle_input(b"</body>"), Err(Error::StreamClosed));
}

#[test]
fn restart_replaces_the_namespace_context() {
    let mut splitter = TcpSplitter::new(Limits::default());
    let mut events = Vec::new();
    splitter
        .handle_input(b"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' xmlns:x='urn:x' version='1.0'><presence/><x:a/>")
        .unwrap();
    events.extend(std::iter::from_fn(|| splitter.poll_event()));
    splitter.restart();
    splitter
        .handle_input(b"<s:stream xmlns='jabber:client' xmlns:s='http://etherx.jabber.org/streams' version='1.0'><presence/><s:features/></s:stream>")
        .unwrap();
    events.extend(std::iter::from_fn(|| splitter.poll_event()));
    assert_eq!(
        names(&events),
        [
            "open ",
            "{jabber:client}presence",
            "{urn:x}a",
            "open ",
            "{jabber:client}presence",
            "{http://etherx.jabber.org/streams}features",
            "close"
        ]
    );
    // The old stream's prefixes are gone.
    splitter.restart();
    assert!(splitter.is_closed());
    let mut splitter = TcpSplitter::new(Limits::default());
    splitter.handle_input(HEADER.as_bytes()).unwrap();
    splitter.restart();
    splitter.handle_input(b"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>").unwrap();
    assert_eq!(
        splitter.handle_input(b"<x:a/>"),
        Err(Error::BadNamespacePrefix)
    );
}

#[test]
fn an_element_named_stream_is_not_a_header() {
    let input =
        format!("{HEADER}<stream xmlns='urn:example:s'><x/></stream><x:stream xmlns:x='urn:x'/>");
    let (events, error) = whole(input.as_bytes());
    assert_eq!(error, None);
    assert_eq!(
        names(&events),
        ["open ", "{urn:example:s}stream", "{urn:x}stream"]
    );
}

#[test]
fn header_content_namespace_must_be_client_or_server() {
    const STREAMS: &str = "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'";
    for content in ["", "xmlns='urn:example:other'", "xmlns=''"] {
        let input = format!("<stream:stream {content} {STREAMS}>");
        assert_eq!(
            whole(input.as_bytes()).1.and_then(|e| e.condition()),
            Some(StreamErrorCondition::InvalidNamespace),
            "{input}"
        );
    }
    let server = format!(
        "<stream:stream xmlns='jabber:server' {STREAMS}><db:result xmlns:db='jabber:server:dialback'/>"
    );
    assert_eq!(whole(server.as_bytes()).1, None);
    // A restart is held to the same rule.
    let mut splitter = TcpSplitter::new(Limits::default());
    splitter.handle_input(HEADER.as_bytes()).unwrap();
    splitter.restart();
    let restart = format!("<stream:stream xmlns='urn:example:other' {STREAMS}>");
    assert_eq!(
        splitter
            .handle_input(restart.as_bytes())
            .unwrap_err()
            .condition(),
        Some(StreamErrorCondition::InvalidNamespace)
    );
}

#[test]
fn an_element_in_no_namespace_is_refused() {
    assert_eq!(
        error_of("<message xmlns=''/>").condition(),
        Some(StreamErrorCondition::InvalidNamespace)
    );
}

/// Feeds `restart` after the header and a restart; the error, whatever the split.
fn restart_error(restart: &str) -> Option<Error> {
    let mut errors = Vec::new();
    for chunk in [restart.len(), 1] {
        let mut splitter = TcpSplitter::new(Limits::default());
        splitter.handle_input(HEADER.as_bytes()).unwrap();
        splitter.restart();
        let error = restart
            .as_bytes()
            .chunks(chunk)
            .find_map(|piece| splitter.handle_input(piece).err());
        errors.push(error);
    }
    assert_eq!(errors[0], errors[1], "{restart}");
    errors.pop().flatten()
}

#[test]
fn a_broken_restart_header_reports_its_own_error() {
    // The restart leans on the old stream's `stream` prefix: a header starts
    // a fresh context, so the prefix is undeclared.
    assert_eq!(
        restart_error("<stream:stream xmlns='jabber:client' version='1.0'>"),
        Some(Error::BadNamespacePrefix)
    );
    // The same for a malformed restart header in the streams namespace.
    assert_eq!(
        restart_error("<stream:stream xmlns='jabber:client' a='1' a='2' version='1.0'>")
            .and_then(|e| e.condition()),
        Some(StreamErrorCondition::NotWellFormed)
    );
    // And for an element where the new header must come.
    assert_eq!(
        restart_error("<presence/>").and_then(|e| e.condition()),
        Some(StreamErrorCondition::BadFormat)
    );
}

/// Issue 8: an XML declaration in the middle of a stream was accepted.
#[test]
fn an_xml_declaration_inside_the_stream_is_refused() {
    for body in [
        "<presence/><?xml version='1.0'?>",
        "<?xml version='1.0'?>",
        // Not even as the start of an unannounced restart.
        "<presence/><?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>",
    ] {
        assert_eq!(
            error_of(body),
            Error::NotWellFormed("XML declaration inside the stream"),
            "{body}"
        );
    }
    // A processing instruction stays restricted XML, wherever it is.
    assert_eq!(
        error_of("<?php echo 1?>").condition(),
        Some(StreamErrorCondition::RestrictedXml)
    );
}

#[test]
fn a_declaration_may_open_a_restarted_stream() {
    assert_eq!(
        restart_error(
            "<?xml version='1.0'?> <stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'><presence/>"
        ),
        None
    );
    assert_eq!(
        restart_error("<?xml version='1.0'?><?xml version='1.0'?>").and_then(|e| e.condition()),
        Some(StreamErrorCondition::NotWellFormed)
    );
}

/// Issue 8: a restart could switch the content namespace from
/// `jabber:client` to `jabber:server`.
#[test]
fn a_restart_keeps_the_content_namespace() {
    assert_eq!(
        restart_error(
            "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
        ),
        Some(Error::InvalidNamespace(
            "a restart changed the content namespace"
        ))
    );
}

#[test]
fn a_header_without_a_restart_is_refused() {
    for header in [
        "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>",
        // Through the old stream's prefix.
        "<stream:stream xmlns='jabber:client' version='1.0'>",
        "<s:stream xmlns:s='http://etherx.jabber.org/streams' xmlns='jabber:client' version='1.0'>",
    ] {
        assert_eq!(
            error_of(header),
            Error::BadFormat("stream header without a restart"),
            "{header}"
        );
    }
}

#[test]
fn headers_have_their_own_limit() {
    let limits = Limits::default().with_max_header_size(HEADER.len());
    let mut splitter = TcpSplitter::new(limits);
    splitter.handle_input(HEADER.as_bytes()).unwrap();
    let mut splitter = TcpSplitter::new(limits.with_max_header_size(HEADER.len() - 1));
    assert_eq!(
        splitter.handle_input(HEADER.as_bytes()),
        Err(Error::HeaderTooLarge {
            limit: HEADER.len() - 1
        })
    );
    // Elements inside the stream have the element limit.
    let mut splitter = TcpSplitter::new(limits);
    splitter.handle_input(HEADER.as_bytes()).unwrap();
    let long = format!("<message><body>{}</body></message>", "x".repeat(10_000));
    splitter.handle_input(long.as_bytes()).unwrap();
}
