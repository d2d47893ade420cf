//! Messages and iqs: what a session sends, and what arrives for the user
//! (RFC 6121 section 8.5), offline storage (XEP-0160, XEP-0203) included.

use std::sync::Arc;

use chatwire_xmpp_stanza::{
    AnyStanza, Delay, Iq, IqPayload, Jid, Message, MessageType, Payload, StanzaError,
    StanzaErrorCondition,
};

use crate::output::{Change, Envelope, Output};
use crate::server::{Run, Ties, domain_jid};
use crate::user::Session;

impl Run<'_> {
    /// A message a session sent: routed from the session's full JID; to
    /// the user's own bare JID when it has no `to` (RFC 6120 section
    /// 10.3.1); refused with `<blocked/>` when the user blocks the
    /// recipient (XEP-0191 section 3.6).
    pub(crate) fn outbound_message(&mut self, session: &Jid, message: Message) {
        let to = message.to.clone().unwrap_or_else(|| self.user.jid.clone());
        if self.user.is_blocked(&to) {
            self.refuse(session, AnyStanza::Message(message), StanzaError::blocked());
            return;
        }
        self.route(session, &to, &Arc::new(message.into()));
    }

    /// An iq a session sent: one to the account itself (no `to`, or the
    /// bare JID) is answered by the server on the user's behalf; any other
    /// is routed.
    pub(crate) fn outbound_iq(&mut self, session: &Jid, iq: Iq) {
        let to = match &iq.to {
            Some(to) if *to != self.user.jid => to.clone(),
            _ => return self.account_iq(session, iq),
        };
        if self.user.is_blocked(&to) {
            if iq.is_request() {
                self.refuse(session, AnyStanza::Iq(iq), StanzaError::blocked());
            }
            return;
        }
        self.route(session, &to, &Arc::new(iq.into()));
    }

    /// An iq from the user to its own account.
    fn account_iq(&mut self, session: &Jid, iq: Iq) {
        if !iq.is_request() {
            return;
        }
        let set = iq.kind == chatwire_xmpp_stanza::IqType::Set;
        match (&iq.payload, set) {
            (Some(IqPayload::Roster(q)), false) => {
                let q = q.clone();
                self.roster_get(session, &iq, &q);
            }
            (Some(IqPayload::Roster(q)), true) => {
                let q = q.clone();
                self.roster_set(session, iq, &q);
            }
            (Some(IqPayload::Blocking(b)), _) => {
                let b = b.clone();
                self.blocking(session, iq, &b, set);
            }
            (Some(IqPayload::Ping), false) | (Some(IqPayload::Session), true) => {
                self.result(session, &iq, None);
            }
            (payload, false) if account_answer(payload.as_ref()).is_some() => {
                let answer = account_answer(payload.as_ref()).flatten();
                self.result(session, &iq, answer);
            }
            _ => self.refuse_iq(session, iq, StanzaErrorCondition::ServiceUnavailable),
        }
    }

    /// An iq routed to the user (section 8.5): to a connected full JID it
    /// is delivered; a request to one that is not, or to the bare JID
    /// (the server answers for the account), gets `service-unavailable`,
    /// except a ping and a disco#info query (XEP-0030 section 3.1), which
    /// the server answers; results and errors with nowhere to go are
    /// dropped.
    pub(crate) fn inbound_iq(&mut self, envelope: &Envelope, request: bool) {
        if envelope.to.is_full() {
            if self.user.session(&envelope.to).is_some() {
                self.deliver(&envelope.from, &envelope.to, &envelope.stanza);
            } else if request {
                self.bounce(envelope, StanzaErrorCondition::ServiceUnavailable);
            }
            return;
        }
        if !request {
            return;
        }
        if let AnyStanza::Iq(iq) = &*envelope.stanza
            && iq.kind == chatwire_xmpp_stanza::IqType::Get
            && let Some(payload) = account_answer(iq.payload.as_ref())
        {
            let mut result = Iq::new(chatwire_xmpp_stanza::IqType::Result, iq.id.clone());
            result.payload = payload;
            self.out.push(Output::Route(Envelope::new(
                envelope.to.clone(),
                envelope.from.clone(),
                result,
            )));
            return;
        }
        self.bounce(envelope, StanzaErrorCondition::ServiceUnavailable);
    }

    /// A message routed to the user (sections 8.5.2 and 8.5.3).
    pub(crate) fn inbound_message(&mut self, envelope: &Envelope, kind: MessageType) {
        if kind == MessageType::Error && envelope.to.is_bare() {
            return;
        }
        if envelope.to.is_full() {
            if self.user.session(&envelope.to).is_some() {
                // 8.5.3.1: to the resource, whatever the type.
                self.deliver(&envelope.from, &envelope.to, &envelope.stanza);
                return;
            }
            match kind {
                // 8.5.3.2.1: a chat message goes on as if to the bare JID.
                MessageType::Chat => {}
                MessageType::Normal | MessageType::Groupchat => {
                    return self.bounce(envelope, StanzaErrorCondition::ServiceUnavailable);
                }
                // Headline and error: dropped, which also tells nobody
                // whether the resource is online.
                _ => return,
            }
        }
        if kind == MessageType::Groupchat {
            // 8.5.2.1.1 and 8.5.2.2.1: never to a user's resources.
            return self.bounce(envelope, StanzaErrorCondition::ServiceUnavailable);
        }
        let targets = self.bare_targets(kind);
        if targets.is_empty() {
            self.no_resource(envelope, kind);
            return;
        }
        for to in targets {
            self.deliver(&envelope.from, &to, &envelope.stanza);
        }
    }

    /// The sessions a message of `kind` to the bare JID goes to: among
    /// available sessions of non-negative priority, a headline to all, a
    /// chat or normal message to the highest priority, ties as configured.
    fn bare_targets(&self, kind: MessageType) -> Vec<Jid> {
        let eligible = || self.user.available().filter(|s| s.priority >= 0);
        let ties = match kind {
            MessageType::Headline => return eligible().map(|s| s.jid.clone()).collect(),
            MessageType::Chat => self.config.chat_ties,
            _ => self.config.normal_ties,
        };
        let Some(top) = eligible().map(|s| s.priority).max() else {
            return Vec::new();
        };
        let highest = || eligible().filter(move |s| s.priority == top);
        match ties {
            Ties::All => highest().map(|s| s.jid.clone()).collect(),
            Ties::MostRecent => highest()
                .max_by_key(|s: &&Session| s.since)
                .map(|s| vec![s.jid.clone()])
                .unwrap_or_default(),
        }
    }

    /// 8.5.2.2.1 (and a negative priority alone, which counts as none): a
    /// normal or chat message is kept offline when allowed and there is
    /// room, else refused; a headline or error is dropped.
    fn no_resource(&mut self, envelope: &Envelope, kind: MessageType) {
        if !matches!(kind, MessageType::Normal | MessageType::Chat) {
            return;
        }
        let AnyStanza::Message(_) = &*envelope.stanza else {
            return;
        };
        if !self.config.offline || self.user.offline >= self.config.max_offline {
            return self.bounce(envelope, StanzaErrorCondition::ServiceUnavailable);
        }
        let AnyStanza::Message(mut message) = envelope.to_stanza() else {
            return;
        };
        let mut delay = Delay::new(self.now.to_xep0082());
        delay.from = Some(domain_jid(&self.user.jid));
        delay.reason = Some("Offline Storage".to_owned());
        message.payloads.push(Payload::Delay(delay));
        self.user.offline += 1;
        self.out
            .push(Output::Store(Change::OfflineStore(Box::new(message))));
    }
}

/// What the server answers for an account to a get: a ping (XEP-0199),
/// and XEP-0030 info and items; None for anything else.
fn account_answer(payload: Option<&IqPayload>) -> Option<Option<IqPayload>> {
    match payload? {
        IqPayload::Ping => Some(None),
        IqPayload::DiscoInfo(q) if q.node.is_none() => {
            Some(Some(IqPayload::DiscoInfo(account_info())))
        }
        IqPayload::DiscoItems(q) if q.node.is_none() => Some(Some(IqPayload::DiscoItems(
            chatwire_xmpp_stanza::DiscoItems::default(),
        ))),
        _ => None,
    }
}

/// XEP-0030 for an account, answered by the server: a registered account,
/// and the one feature answered for it, disco#info itself. Nothing about
/// the user's presence or resources.
fn account_info() -> chatwire_xmpp_stanza::DiscoInfo {
    let mut info = chatwire_xmpp_stanza::DiscoInfo::default();
    info.identities
        .push(chatwire_xmpp_stanza::Identity::new("account", "registered"));
    info.features
        .push(chatwire_xmpp_stanza::ns::DISCO_INFO.to_owned());
    info
}
