//! The client's roster cache against RFC 6121 examples (sections 2.1,
//! 2.6 and 3.1), with every stanza parsed from its XML rather than built
//! by the code under test, and a model check of roster pushes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;

use chatwire_xmpp_im::{
    ContactState, RosterCache, RosterPushError, RosterResult, RosterResultError, State,
};
use chatwire_xmpp_stanza::{
    Context, Element, Iq, IqPayload, IqType, Jid, Presence, StanzaError, StanzaErrorCondition,
};
use proptest::prelude::*;

fn ctx() -> Context {
    Context::client_tcp()
}

fn iq(xml: &str) -> Iq {
    match Element::parse(xml.as_bytes(), &ctx()) {
        Ok(Element::Iq(iq)) => iq,
        other => panic!("not an iq: {other:?}: {xml}"),
    }
}

fn presence(xml: &str) -> Presence {
    match Element::parse(xml.as_bytes(), &ctx()) {
        Ok(Element::Presence(p)) => p,
        other => panic!("not a presence: {other:?}: {xml}"),
    }
}

fn jid(s: &str) -> Jid {
    Jid::new(s).unwrap()
}

fn juliet() -> RosterCache {
    RosterCache::new(&jid("juliet@example.com/balcony"))
}

fn bare_jids(cache: &RosterCache) -> Vec<String> {
    cache.items().map(|i| i.jid.to_string()).collect()
}

/// RFC 6121 section 2.1.4: the roster result, version `ver11`.
const FULL_RESULT: &str = "<iq id='bv1bs71f' to='juliet@example.com/chamber' type='result'>
  <query xmlns='jabber:iq:roster' ver='ver11'>
    <item jid='romeo@example.net' name='Romeo' subscription='both'>
      <group>Friends</group>
    </item>
    <item jid='mercutio@example.com' name='Mercutio' subscription='from'/>
    <item jid='benvolio@example.net' name='Benvolio' subscription='both'/>
  </query>
</iq>";

/// After RFC 6121 section 2.1.6: a push from the server, without `from`.
const PUSH_NURSE: &str = "<iq id='a78b4q6ha463' to='juliet@example.com/chamber' type='set'>
  <query xmlns='jabber:iq:roster'>
    <item jid='nurse@example.com'/>
  </query>
</iq>";

fn loaded() -> RosterCache {
    let mut cache = juliet();
    assert_eq!(
        cache.handle_result("bv1bs71f", &iq(FULL_RESULT)),
        Ok(RosterResult::Full)
    );
    cache
}

// ---- roster get (sections 2.1.3 and 2.6.2) ----

#[test]
fn request_without_server_versioning_has_no_ver() {
    // Section 2.1.3, and 2.6.2: no `ver` unless the server advertised it,
    // even with a cached version.
    let expected = iq(
        "<iq from='juliet@example.com/balcony' id='bv1bs71f' type='get'>
           <query xmlns='jabber:iq:roster'/>
         </iq>",
    );
    let cache = RosterCache::restore(&jid("juliet@example.com"), Some("ver7".into()), []);
    let request = cache.request("bv1bs71f");
    assert_eq!(request.kind, IqType::Get);
    assert_eq!(request.id, expected.id);
    assert_eq!(request.payload, expected.payload);
    assert_eq!(
        request.to_bytes_for_test(),
        "<iq type='get' id='bv1bs71f'><query xmlns='jabber:iq:roster'/></iq>"
    );
}

#[test]
fn request_carries_the_cached_version() {
    // Section 2.6.2.
    let expected = iq(
        "<iq from='romeo@example.net/home' id='r1h3vzp7' to='romeo@example.net' type='get'>
           <query xmlns='jabber:iq:roster' ver='ver14'/>
         </iq>",
    );
    let mut cache = RosterCache::restore(&jid("romeo@example.net"), Some("ver14".into()), []);
    cache.set_server_versioning(true);
    let request = cache.request("r1h3vzp7");
    assert_eq!(request.payload, expected.payload);
    assert_eq!(request.kind, IqType::Get);
}

#[test]
fn request_bootstraps_versioning_with_an_empty_ver() {
    // Section 2.6.2: no cache yet, versioning wanted: ver=''.
    let mut cache = juliet();
    cache.set_server_versioning(true);
    let request = cache.request("r1");
    let expected = iq("<iq id='r1' type='get'><query xmlns='jabber:iq:roster' ver=''/></iq>");
    assert_eq!(request.payload, expected.payload);
    assert_eq!(
        request.to_bytes_for_test(),
        "<iq type='get' id='r1'><query xmlns='jabber:iq:roster' ver=''/></iq>"
    );
}

// ---- roster result (sections 2.1.4 and 2.6.3) ----

#[test]
fn full_result_replaces_items_and_version() {
    let mut cache = RosterCache::restore(
        &jid("juliet@example.com"),
        Some("ver1".into()),
        [iq(PUSH_NURSE).payload_items().remove(0)],
    );
    assert_eq!(
        cache.handle_result("bv1bs71f", &iq(FULL_RESULT)),
        Ok(RosterResult::Full)
    );
    assert_eq!(cache.version(), Some("ver11"));
    assert_eq!(
        bare_jids(&cache),
        [
            "benvolio@example.net",
            "mercutio@example.com",
            "romeo@example.net"
        ]
    );
    assert_eq!(cache.len(), 3);
    let romeo = cache.get(&jid("romeo@example.net/orchard")).unwrap();
    assert_eq!(romeo.name.as_deref(), Some("Romeo"));
    assert_eq!(romeo.groups, ["Friends"]);
    assert_eq!(
        cache.state(&jid("mercutio@example.com")),
        Some(ContactState::new(State::From))
    );
    assert!(cache.get(&jid("nurse@example.com")).is_none());
}

#[test]
fn result_without_ver_clears_the_version() {
    let mut cache = RosterCache::restore(&jid("juliet@example.com"), Some("ver1".into()), []);
    let result = iq("<iq id='r1' type='result'><query xmlns='jabber:iq:roster'>
           <item jid='nurse@example.com'/></query></iq>");
    assert_eq!(cache.handle_result("r1", &result), Ok(RosterResult::Full));
    assert_eq!(cache.version(), None);
    assert_eq!(cache.len(), 1);
}

#[test]
fn empty_result_keeps_the_cache_and_pushes_follow() {
    // Section 2.6.3: roster unchanged since ver14, or changes as pushes.
    let user = jid("romeo@example.net");
    let mut cache = RosterCache::restore(&user, Some("ver14".into()), []);
    cache.set_server_versioning(true);
    let before = cache.clone();
    let empty = iq(
        "<iq from='romeo@example.net' id='r1h3vzp7' to='romeo@example.net/home' type='result'/>",
    );
    assert_eq!(
        cache.handle_result("r1h3vzp7", &empty),
        Ok(RosterResult::UpToDate)
    );
    assert_eq!(cache, before);

    let pushes = [
        "<iq from='romeo@example.net' id='a82b59mk' to='romeo@example.net/home' type='set'>
           <query xmlns='jabber:iq:roster' ver='ver34'>
             <item jid='bill@shakespeare.lit' subscription='both'/>
           </query>
         </iq>",
        "<iq from='romeo@example.net' id='c73a2bcf' to='romeo@example.net/home' type='set'>
           <query xmlns='jabber:iq:roster' ver='ver42'>
             <item jid='nurse@example.com' subscription='none'/>
           </query>
         </iq>",
    ];
    for push in pushes {
        let push = iq(push);
        let answer = cache.handle_push(&push).unwrap();
        assert_eq!(answer.kind, IqType::Result);
        assert_eq!(answer.id, push.id);
        assert_eq!(answer.to, push.from);
        assert_eq!(answer.payload, None);
    }
    assert_eq!(cache.version(), Some("ver42"));
    assert_eq!(
        bare_jids(&cache),
        ["bill@shakespeare.lit", "nurse@example.com"]
    );
    assert_eq!(
        cache.request("next").payload,
        iq("<iq id='x' type='get'><query xmlns='jabber:iq:roster' ver='ver42'/></iq>").payload
    );
}

#[test]
fn only_an_answer_to_our_request_is_applied() {
    let mut cache = loaded();
    let before = cache.clone();
    let cases: [(&str, &str, RosterResultError); 5] = [
        (
            "other",
            "<iq id='bv1bs71f' type='result'/>",
            RosterResultError::OtherId,
        ),
        (
            "r1",
            "<iq id='r1' type='set'><query xmlns='jabber:iq:roster'><item jid='a@b'/></query></iq>",
            RosterResultError::NotAnAnswer,
        ),
        (
            "r1",
            "<iq id='r1' type='result' from='mallory@evil.example'><query xmlns='jabber:iq:roster'/></iq>",
            RosterResultError::ForeignSender(jid("mallory@evil.example")),
        ),
        (
            "r1",
            "<iq id='r1' type='result'><ping xmlns='urn:xmpp:ping'/></iq>",
            RosterResultError::UnexpectedPayload,
        ),
        (
            "r1",
            "<iq id='r1' type='error'><error type='wait'>
               <resource-constraint xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
            RosterResultError::Refused(Box::new(StanzaError::new(
                StanzaErrorCondition::ResourceConstraint,
            ))),
        ),
    ];
    for (id, xml, expected) in cases {
        assert_eq!(cache.handle_result(id, &iq(xml)), Err(expected), "{xml}");
        assert_eq!(cache, before, "{xml}");
    }
}

// ---- roster pushes (section 2.1.6) ----

#[test]
fn push_adds_an_item_and_is_answered_with_a_result() {
    let mut cache = loaded();
    let push = iq(PUSH_NURSE);
    let answer = cache.handle_push(&push).unwrap();
    // Section 2.1.6: the client's reply (its own `from` is the stream's).
    let expected = iq("<iq from='juliet@example.com/balcony' id='a78b4q6ha463' type='result'/>");
    assert_eq!(answer.kind, expected.kind);
    assert_eq!(answer.id, expected.id);
    assert_eq!(answer.payload, None);
    assert_eq!(answer.to, None);
    assert_eq!(cache.len(), 4);
    assert_eq!(
        cache.state(&jid("nurse@example.com")),
        Some(ContactState::new(State::None))
    );
    // No `ver` on the push: the cached version stays.
    assert_eq!(cache.version(), Some("ver11"));
}

#[test]
fn push_from_a_stranger_is_ignored() {
    let mut cache = loaded();
    let before = cache.clone();
    let forged = iq("<iq from='mallory@evil.example/x' id='f1' type='set'>
           <query xmlns='jabber:iq:roster' ver='ver99'>
             <item jid='romeo@example.net' subscription='remove'/>
           </query>
         </iq>");
    let err = cache.handle_push(&forged).unwrap_err();
    assert_eq!(
        err,
        RosterPushError::ForeignSender(jid("mallory@evil.example/x"))
    );
    assert_eq!(cache, before);
    let condition = err.condition().unwrap();
    assert_eq!(condition, StanzaErrorCondition::ServiceUnavailable);
    let reply = forged.error_reply(StanzaError::new(condition)).unwrap();
    assert_eq!(reply.to, forged.from);
}

#[test]
fn push_from_a_full_jid_of_the_user_is_ignored() {
    // Section 2.1.6 accepts no `from` or the bare JID, nothing else.
    let mut cache = loaded();
    let before = cache.clone();
    let push = iq("<iq from='juliet@example.com/balcony' id='p1' type='set'>
           <query xmlns='jabber:iq:roster'><item jid='nurse@example.com'/></query></iq>");
    assert!(matches!(
        cache.handle_push(&push),
        Err(RosterPushError::ForeignSender(_))
    ));
    assert_eq!(cache, before);
}

#[test]
fn push_from_the_bare_jid_of_the_user_is_applied() {
    let mut cache = loaded();
    let push = iq("<iq from='juliet@example.com' id='p1' type='set'>
           <query xmlns='jabber:iq:roster'><item jid='nurse@example.com'/></query></iq>");
    let answer = cache.handle_push(&push).unwrap();
    assert_eq!(answer.to, Some(jid("juliet@example.com")));
    assert!(cache.get(&jid("nurse@example.com")).is_some());
}

#[test]
fn push_needs_exactly_one_item() {
    let mut cache = loaded();
    let before = cache.clone();
    let none = iq("<iq id='p0' type='set'><query xmlns='jabber:iq:roster' ver='v'/></iq>");
    let two = iq("<iq id='p2' type='set'><query xmlns='jabber:iq:roster'>
           <item jid='a@example.com'/><item jid='b@example.com'/></query></iq>");
    assert_eq!(cache.handle_push(&none), Err(RosterPushError::ItemCount(0)));
    assert_eq!(cache.handle_push(&two), Err(RosterPushError::ItemCount(2)));
    assert_eq!(
        RosterPushError::ItemCount(2).condition(),
        Some(StanzaErrorCondition::BadRequest)
    );
    let not_a_push = iq("<iq id='g' type='get'><query xmlns='jabber:iq:roster'/></iq>");
    assert_eq!(
        cache.handle_push(&not_a_push),
        Err(RosterPushError::NotAPush)
    );
    assert_eq!(RosterPushError::NotAPush.condition(), None);
    assert_eq!(cache, before);
}

#[test]
fn remove_push_deletes_the_item() {
    // Section 2.5.2: the push that follows a deletion.
    let mut cache = loaded();
    let push = iq(
        "<iq id='hm4hs97y' to='juliet@example.com/balcony' type='set'>
           <query xmlns='jabber:iq:roster' ver='ver12'>
             <item jid='romeo@example.net' subscription='remove'/>
           </query>
         </iq>",
    );
    cache.handle_push(&push).unwrap();
    assert!(cache.get(&jid("romeo@example.net")).is_none());
    assert_eq!(cache.state(&jid("romeo@example.net")), None);
    assert_eq!(cache.len(), 2);
    assert_eq!(cache.version(), Some("ver12"));
    // Removing what is not there is still a valid push.
    assert!(cache.handle_push(&push).is_ok());
    assert_eq!(cache.len(), 2);
}

// ---- pending inbound subscription requests (section 3.1) ----

#[test]
fn pending_request_appears_and_goes_when_approved() {
    // Section 3.1.3: romeo's request delivered to juliet; 3.1.4: approval.
    let mut cache = loaded();
    cache.handle_push(&iq(PUSH_NURSE)).unwrap();
    let request = presence(
        "<presence from='nurse@example.com/chamber' id='xk3h1v69' to='juliet@example.com' type='subscribe'/>",
    );
    assert!(cache.handle_presence(&request));
    assert!(!cache.handle_presence(&request), "kept once per bare JID");
    assert_eq!(
        cache.pending_requests().collect::<Vec<_>>(),
        [&jid("nurse@example.com")]
    );
    assert_eq!(
        cache.state(&jid("nurse@example.com")),
        Some(ContactState::new(State::NonePendingIn))
    );

    let approve = presence("<presence id='h4v1c4kj' to='nurse@example.com' type='subscribed'/>");
    assert!(cache.handle_outbound_presence(&approve));
    assert_eq!(cache.pending_requests().len(), 0);
}

#[test]
fn pending_request_goes_when_denied_or_withdrawn() {
    let mut cache = juliet();
    let from_romeo =
        presence("<presence from='romeo@example.net' id='xk3h1v69' type='subscribe'/>");
    cache.handle_presence(&from_romeo);
    // Not in the roster, yet asking: "None + Pending In".
    assert_eq!(
        cache.state(&jid("romeo@example.net")),
        Some(ContactState::new(State::NonePendingIn))
    );
    // Section 3.2.1 shape: the user denies.
    let deny = presence("<presence id='yt61bq39' to='romeo@example.net' type='unsubscribed'/>");
    assert!(cache.handle_outbound_presence(&deny));
    assert_eq!(cache.state(&jid("romeo@example.net")), None);

    // Appendix A.3.2: the contact withdraws before an answer.
    cache.handle_presence(&from_romeo);
    let withdraw = presence("<presence from='romeo@example.net/orchard' type='unsubscribe'/>");
    assert!(cache.handle_presence(&withdraw));
    assert_eq!(cache.pending_requests().len(), 0);

    // Other presence leaves the requests alone.
    cache.handle_presence(&from_romeo);
    for other in [
        "<presence from='romeo@example.net/orchard'/>",
        "<presence from='romeo@example.net' type='subscribed'/>",
        "<presence type='subscribe'/>",
    ] {
        assert!(!cache.handle_presence(&presence(other)), "{other}");
    }
    let available = presence("<presence to='romeo@example.net'/>");
    assert!(!cache.handle_outbound_presence(&available));
    assert_eq!(cache.pending_requests().len(), 1);
}

#[test]
fn pending_request_goes_when_a_push_shows_from() {
    // The user approved from another resource: the server's push (Appendix
    // A.2.3, None + Pending In -> From) settles the request here too.
    let mut cache = juliet();
    cache.handle_presence(&presence(
        "<presence from='romeo@example.net' type='subscribe'/>",
    ));
    let push = iq("<iq id='p' type='set'><query xmlns='jabber:iq:roster'>
           <item jid='romeo@example.net' subscription='from'/></query></iq>");
    cache.handle_push(&push).unwrap();
    assert_eq!(cache.pending_requests().len(), 0);
    assert_eq!(
        cache.state(&jid("romeo@example.net")),
        Some(ContactState::new(State::From))
    );
    // A request from a contact who already has From is nothing to answer.
    assert!(!cache.handle_presence(&presence(
        "<presence from='romeo@example.net' type='subscribe'/>"
    )));
}

#[test]
fn pending_request_beside_to_is_to_pending_in() {
    let mut cache = juliet();
    let push = iq("<iq id='p' type='set'><query xmlns='jabber:iq:roster'>
           <item jid='romeo@example.net' subscription='to'/></query></iq>");
    cache.handle_push(&push).unwrap();
    cache.handle_presence(&presence(
        "<presence from='romeo@example.net' type='subscribe'/>",
    ));
    assert_eq!(
        cache.state(&jid("romeo@example.net/x")),
        Some(ContactState::new(State::ToPendingIn))
    );
    // A full roster showing Both settles it as well.
    let result = iq("<iq id='r' type='result'><query xmlns='jabber:iq:roster'>
           <item jid='romeo@example.net' subscription='both'/></query></iq>");
    cache.handle_result("r", &result).unwrap();
    assert_eq!(cache.pending_requests().len(), 0);
}

#[test]
fn restore_keys_by_bare_jid_and_skips_removals() {
    let items = iq("<iq id='r' type='result'><query xmlns='jabber:iq:roster'>
           <item jid='a@example.com' subscription='remove'/>
           <item jid='b@example.com' name='first'/>
           <item jid='b@example.com' name='second'/></query></iq>")
    .payload_items();
    let cache = RosterCache::restore(&jid("juliet@example.com"), Some("v3".into()), items);
    assert_eq!(bare_jids(&cache), ["b@example.com"]);
    assert_eq!(
        cache.get(&jid("b@example.com/r")).unwrap().name.as_deref(),
        Some("second")
    );
    assert!(!cache.is_empty());
    assert!(juliet().is_empty());
    assert_eq!(cache.user(), &jid("juliet@example.com"));
}

// ---- model check ----

const CONTACTS: [&str; 4] = [
    "romeo@example.net",
    "nurse@example.com",
    "benvolio@example.net",
    "tybalt@example.com",
];
const SUBSCRIPTIONS: [&str; 5] = ["none", "to", "from", "both", "remove"];

#[derive(Debug, Clone)]
struct Push {
    contact: usize,
    resource: bool,
    subscription: usize,
    name: Option<u8>,
    ver: Option<u8>,
    /// 0: no `from`; 1: the user's bare JID; 2: a stranger.
    from: u8,
    extra_item: bool,
}

fn push() -> impl Strategy<Value = Push> {
    (
        0..CONTACTS.len(),
        any::<bool>(),
        0..SUBSCRIPTIONS.len(),
        proptest::option::of(0u8..3),
        proptest::option::of(any::<u8>()),
        prop_oneof![4 => Just(0u8), 4 => Just(1u8), 1 => Just(2u8)],
        proptest::bool::weighted(0.1),
    )
        .prop_map(
            |(contact, resource, subscription, name, ver, from, extra_item)| Push {
                contact,
                resource,
                subscription,
                name,
                ver,
                from,
                extra_item,
            },
        )
}

impl Push {
    fn xml(&self, n: usize) -> String {
        let from = match self.from {
            0 => String::new(),
            1 => " from='juliet@example.com'".into(),
            _ => " from='mallory@evil.example'".into(),
        };
        let ver = self.ver.map(|v| format!(" ver='v{v}'")).unwrap_or_default();
        let resource = if self.resource { "/r" } else { "" };
        let name = self
            .name
            .map(|n| format!(" name='n{n}'"))
            .unwrap_or_default();
        let extra = if self.extra_item {
            "<item jid='extra@example.org'/>"
        } else {
            ""
        };
        format!(
            "<iq id='push{n}' type='set'{from}><query xmlns='jabber:iq:roster'{ver}>\
             <item jid='{}{resource}' subscription='{}'{name}/>{extra}</query></iq>",
            CONTACTS[self.contact], SUBSCRIPTIONS[self.subscription],
        )
    }
}

proptest! {
    #[test]
    fn pushes_match_a_map_model(pushes in proptest::collection::vec(push(), 0..40)) {
        let mut cache = loaded();
        // bare JID -> (subscription, name)
        let mut model: BTreeMap<String, (String, Option<String>)> = cache
            .items()
            .map(|i| {
                let sub = i.subscription().map(|s| s.as_str().to_owned()).unwrap_or_default();
                (i.jid.to_string(), (sub, i.name.as_deref().map(str::to_owned)))
            })
            .collect();
        let mut version = cache.version().map(str::to_owned);
        for (n, p) in pushes.iter().enumerate() {
            let stanza = iq(&p.xml(n));
            let outcome = cache.handle_push(&stanza);
            if p.from == 2 {
                prop_assert!(matches!(outcome, Err(RosterPushError::ForeignSender(_))));
                continue;
            }
            if p.extra_item {
                prop_assert_eq!(outcome, Err(RosterPushError::ItemCount(2)));
                continue;
            }
            prop_assert_eq!(outcome.map(|a| a.id), Ok(format!("push{n}")));
            let key = CONTACTS[p.contact].to_owned();
            let sub = SUBSCRIPTIONS[p.subscription];
            if sub == "remove" {
                model.remove(&key);
            } else {
                model.insert(key, (sub.to_owned(), p.name.map(|n| format!("n{n}"))));
            }
            if let Some(v) = p.ver {
                version = Some(format!("v{v}"));
            }
        }
        let seen: BTreeMap<String, (String, Option<String>)> = cache
            .items()
            .map(|i| {
                let sub = i.subscription().map(|s| s.as_str().to_owned()).unwrap_or_default();
                (i.jid.to_bare().to_string(), (sub, i.name.as_deref().map(str::to_owned)))
            })
            .collect();
        prop_assert_eq!(&seen, &model);
        prop_assert_eq!(cache.len(), model.len());
        prop_assert_eq!(cache.version(), version.as_deref());
        for contact in CONTACTS {
            prop_assert_eq!(cache.get(&jid(contact)).is_some(), model.contains_key(contact));
            prop_assert_eq!(cache.state(&jid(contact)).is_some(), model.contains_key(contact));
        }
    }
}

// ---- helpers over parsed stanzas ----

trait IqExt {
    fn payload_items(self) -> Vec<chatwire_xmpp_stanza::RosterItem>;
    fn to_bytes_for_test(&self) -> String;
}

impl IqExt for Iq {
    fn payload_items(self) -> Vec<chatwire_xmpp_stanza::RosterItem> {
        match self.payload {
            Some(IqPayload::Roster(q)) => q.items,
            other => panic!("no roster query: {other:?}"),
        }
    }

    fn to_bytes_for_test(&self) -> String {
        let mut out = Vec::new();
        self.serialize(&ctx(), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }
}

/// A flood of requests from strangers is kept to `MAX_PENDING`; answering
/// one makes room again.
#[test]
fn pending_requests_are_bounded() {
    let mut cache = RosterCache::new(&jid("juliet@example.com"));
    for i in 0..chatwire_xmpp_im::MAX_PENDING + 10 {
        cache.handle_presence(&presence(&format!(
            "<presence from='s{i}@evil.example' to='juliet@example.com' type='subscribe'/>"
        )));
    }
    assert_eq!(
        cache.pending_requests().len(),
        chatwire_xmpp_im::MAX_PENDING
    );
    cache.handle_presence(&presence(
        "<presence from='s0@evil.example' to='juliet@example.com' type='unsubscribe'/>",
    ));
    assert!(cache.handle_presence(&presence(
        "<presence from='late@evil.example' to='juliet@example.com' type='subscribe'/>"
    )));
    assert_eq!(
        cache.pending_requests().len(),
        chatwire_xmpp_im::MAX_PENDING
    );
}
