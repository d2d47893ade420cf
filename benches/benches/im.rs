//! The RFC 6121 server machine (`chatwire-xmpp-im`): a presence broadcast
//! from the machine's decision to the bytes for every recipient, the
//! subscription tables, and a message routed to a user's resources. There
//! is no peer row: no other crate decides this without IO.

use std::hint::black_box;

use chatwire_benches::{MESSAGE, PRESENCE};
use chatwire_xmpp_im::{
    ContactState, Direction, Envelope, Output, Policy, Server, State, StoredContact,
    SubscriptionType, Timestamp, User, transition,
};
use chatwire_xmpp_stanza::{AnyStanza, Context, Element, Jid, RosterItem};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn jid(s: &str) -> Jid {
    Jid::new(s).unwrap()
}

fn stanza(xml: &str) -> AnyStanza {
    match Element::parse(xml.as_bytes(), &Context::client_websocket()).unwrap() {
        Element::Message(m) => AnyStanza::Message(m),
        Element::Presence(p) => AnyStanza::Presence(p),
        Element::Iq(iq) => AnyStanza::Iq(iq),
        other => panic!("not a stanza: {other:?}"),
    }
}

/// A user with `contacts` contacts, alternately From and Both, each with
/// a roster item, as loaded from a store.
fn user_with_contacts(contacts: usize) -> User {
    let stored = (0..contacts).map(|i| {
        let contact = jid(&format!("contact{i}@montague.example"));
        let state = if i % 2 == 0 { State::From } else { State::Both };
        let record = StoredContact {
            item: Some(RosterItem::new(contact.clone())),
            state: ContactState::new(state),
            request: None,
            ver: 1,
        };
        (contact, record)
    });
    User::load(&jid("juliet@capulet.example"), stored, 0, Vec::new(), 0)
}

/// Sends `xml` from `session` and discards what comes out.
fn send(server: &Server, user: &mut User, session: &Jid, xml: &str) {
    let mut out = Vec::new();
    server.outbound(user, session, stanza(xml), Timestamp(1), &mut out);
}

/// One available session broadcasting a presence update to every contact:
/// `server.outbound`, then every route serialized into one reused buffer.
fn presence_broadcast(c: &mut Criterion) {
    let mut group = c.benchmark_group("presence_broadcast");
    let ctx = Context::client_websocket();
    for contacts in [100usize, 10_000] {
        let server = Server::default();
        let mut user = user_with_contacts(contacts);
        let session = jid("juliet@capulet.example/balcony");
        server.session_bound(&mut user, &session);
        send(
            &server,
            &mut user,
            &session,
            "<presence xmlns='jabber:client'/>",
        );
        let update = stanza(PRESENCE);
        let mut out: Vec<Output> = Vec::with_capacity(contacts + 8);
        let mut buf: Vec<u8> = Vec::with_capacity(1024);
        let mut now = 2u64;
        let mut broadcast = || {
            now += 1;
            out.clear();
            server.outbound(
                &mut user,
                &session,
                update.clone(),
                Timestamp(now),
                &mut out,
            );
            let mut routes = 0;
            for output in &out {
                match output {
                    Output::Route(env) => {
                        buf.clear();
                        env.serialize(&ctx, &mut buf).unwrap();
                        black_box(&buf);
                        routes += 1;
                    }
                    Output::Broadcast(b) => {
                        b.serialize_each(&ctx, |_, bytes| {
                            black_box(bytes);
                            routes += 1;
                        })
                        .unwrap();
                    }
                    _ => {}
                }
            }
            routes
        };
        // Every contact gets the update.
        assert_eq!(broadcast(), contacts);
        group.throughput(Throughput::Elements(contacts as u64));
        group.bench_function(BenchmarkId::new("chatwire", contacts), |b| {
            b.iter(&mut broadcast);
        });
    }
    group.finish();
}

/// All 72 cells of RFC 6121 Appendix A: every state, direction and type.
fn subscription_transition(c: &mut Criterion) {
    let mut group = c.benchmark_group("subscription_transition");
    let policy = Policy::default();
    group.throughput(Throughput::Elements(72));
    group.bench_function(BenchmarkId::new("chatwire", "all-cells"), |b| {
        b.iter(|| {
            for state in State::ALL {
                for direction in [Direction::Outbound, Direction::Inbound] {
                    for ty in SubscriptionType::ALL {
                        black_box(transition(
                            black_box(ContactState::new(state)),
                            direction,
                            ty,
                            &policy,
                        ));
                    }
                }
            }
        });
    });
    group.finish();
}

/// An inbound chat message to a user with three available resources at
/// priorities 5, 1 and 0: to one full JID, and to the bare JID (highest
/// priority wins, RFC 6121 section 8.5.2.1.1), the deliveries serialized.
fn route_message(c: &mut Criterion) {
    let mut group = c.benchmark_group("route_message");
    let ctx = Context::client_websocket();
    let server = Server::default();
    let mut user = User::new(&jid("juliet@capulet.example"));
    let resources = ["balcony", "garden", "chamber"];
    for (resource, priority) in resources.iter().zip([5, 1, 0]) {
        let session = jid(&format!("juliet@capulet.example/{resource}"));
        server.session_bound(&mut user, &session);
        send(
            &server,
            &mut user,
            &session,
            &format!("<presence xmlns='jabber:client'><priority>{priority}</priority></presence>"),
        );
    }
    let from = jid("romeo@montague.example/orchard");
    let message = std::sync::Arc::new(stanza(MESSAGE));
    let mut out: Vec<Output> = Vec::with_capacity(8);
    let mut buf: Vec<u8> = Vec::with_capacity(1024);
    group.throughput(Throughput::Elements(1));
    for (case, to) in [
        ("full-jid", "juliet@capulet.example/garden"),
        ("bare-jid-3-resources", "juliet@capulet.example"),
    ] {
        let to = jid(to);
        let mut route = || {
            out.clear();
            let envelope = Envelope {
                from: from.clone(),
                to: to.clone(),
                stanza: std::sync::Arc::clone(&message),
            };
            server.inbound(&mut user, envelope, Timestamp(2), &mut out);
            let mut delivered = 0;
            for output in &out {
                if let Output::Deliver(env) = output {
                    buf.clear();
                    env.serialize(&ctx, &mut buf).unwrap();
                    black_box(&buf);
                    delivered += 1;
                }
            }
            delivered
        };
        // One delivery: to the resource named, or to the highest priority.
        assert_eq!(route(), 1, "{case}");
        group.bench_function(BenchmarkId::new("chatwire", case), |b| {
            b.iter(&mut route);
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    presence_broadcast,
    subscription_transition,
    route_message
);
criterion_main!(benches);
