//! XEP-0198 stream management, the part both roles share: the `h`
//! counters (32-bit, wrapping, stanzas only), the queue of stanzas the
//! peer has not acknowledged yet, when to ask for an acknowledgement, and
//! the state a resumed stream carries over.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use chatwire_xmpp_stanza::{Element, Jid, minidom, ns};

/// Stream management settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SmConfig {
    /// Server: offer `<sm/>` after authentication. Client: enable it when
    /// offered. Default `true`.
    pub enabled: bool,
    /// Server: allow resumption. Client: ask for it. Default `true`.
    pub resume: bool,
    /// The resumption time in seconds to ask for (client) or grant
    /// (server, as `max`); `None` leaves it out.
    pub max_resume: Option<u32>,
    /// Ask for an acknowledgement once this many stanzas were sent since
    /// the last request (0: never on count). Default 5.
    pub request_after_stanzas: u32,
    /// Ask for an acknowledgement when a stanza has waited this long
    /// unacknowledged (`None`: never on time). Default 30 s.
    pub request_after: Option<Duration>,
    /// Server: the most stanzas kept waiting for the client's
    /// acknowledgement; one more ends the stream with `policy-violation`
    /// (the queue stays readable through `take_unacked` and `detach`, so
    /// nothing is lost). A client that enables stream management and never
    /// acknowledges would otherwise make the server keep every stanza
    /// routed to it. 0: no limit. Default 1000.
    pub max_unacked: usize,
    /// How long an `<r/>` may wait for its `<a/>`; after that the peer is
    /// taken for gone and the stream ends with `connection-timeout`, its
    /// unacknowledged stanzas kept for a resumption (`None`: wait
    /// forever). A peer that vanished without closing its transport is
    /// otherwise noticed only by the transport's own keepalive, if any.
    /// Default 60 s.
    pub ack_timeout: Option<Duration>,
    /// Server: the `h` we report counts a stanza handed to the caller only
    /// once the caller confirms it ([`crate::ServerSession::confirm`]), for
    /// a server that acknowledges a message only when it is stored or
    /// delivered; stanzas the session answers itself count at once. An
    /// `<r/>` is answered when everything before it is confirmed, or after
    /// this long with what is confirmed by then (`None`: stanzas count as
    /// they are handed over). Default `None`.
    pub confirm_within: Option<Duration>,
}

impl Default for SmConfig {
    fn default() -> Self {
        SmConfig {
            enabled: true,
            resume: true,
            max_resume: None,
            request_after_stanzas: 5,
            request_after: Some(Duration::from_secs(30)),
            max_unacked: 1000,
            ack_timeout: Some(Duration::from_secs(60)),
            confirm_within: None,
        }
    }
}

impl SmConfig {
    /// Stream management off.
    pub fn disabled() -> Self {
        SmConfig {
            enabled: false,
            ..SmConfig::default()
        }
    }

    /// Sets [`SmConfig::resume`].
    pub fn with_resume(mut self, resume: bool) -> Self {
        self.resume = resume;
        self
    }

    /// Sets [`SmConfig::max_unacked`].
    pub fn with_max_unacked(mut self, stanzas: usize) -> Self {
        self.max_unacked = stanzas;
        self
    }

    /// Sets [`SmConfig::ack_timeout`].
    pub fn with_ack_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.ack_timeout = timeout;
        self
    }

    /// Sets [`SmConfig::confirm_within`].
    pub fn with_confirm_within(mut self, within: Option<Duration>) -> Self {
        self.confirm_within = within;
        self
    }

    /// Sets when to ask for acknowledgements.
    pub fn with_requests(mut self, after_stanzas: u32, after: Option<Duration>) -> Self {
        self.request_after_stanzas = after_stanzas;
        self.request_after = after;
        self
    }
}

/// Stream management on one stream: what was handled, what waits for the
/// peer's acknowledgement. Carried from a lost stream to the one that
/// resumes it, inside a [`Resumption`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmState {
    id: Option<String>,
    resumable: bool,
    /// Stanzas handled from the peer since enabling, modulo 2^32.
    handled: u32,
    /// The peer's latest `h`: our stanzas it handled, modulo 2^32.
    acked: u32,
    /// Our stanzas after `acked`, oldest first; boxed, so that the queue
    /// itself stays small (an `Element` is several hundred bytes inline).
    unacked: VecDeque<Box<Element>>,
    /// Inbound counting has started (the client waits for `<enabled/>`).
    counting: bool,
    request_pending: bool,
    /// When the pending `<r/>` went out.
    requested_at: Option<Instant>,
    sent_since_request: u32,
    waiting_since: Option<Instant>,
    /// Stanzas the caller still has to confirm, when it confirms them.
    confirming: Option<Confirming>,
}

/// The peer's stanzas between what our `h` reports and what was handed
/// over, when the caller confirms each ([`SmConfig::confirm_within`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Confirming {
    /// Our `h` as reported: every stanza up to it is confirmed.
    confirmed: u32,
    /// For each stanza after `confirmed`, in order: confirmed yet?
    window: VecDeque<bool>,
    /// When the `<r/>` still waiting for its `<a/>` arrived.
    owed_since: Option<Instant>,
    /// The count of stanzas handed over when the latest `<r/>` arrived:
    /// its answer goes out once they are all confirmed.
    owed_upto: u32,
}

/// Why an acknowledgement was refused: it counts more stanzas than were
/// sent (XEP-0198 section 4: an `undefined-condition` stream error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TooHigh {
    pub(crate) h: u32,
    pub(crate) sent: u32,
}

impl SmState {
    pub(crate) fn new(counting: bool) -> Self {
        SmState {
            id: None,
            resumable: false,
            handled: 0,
            acked: 0,
            unacked: VecDeque::new(),
            counting,
            request_pending: false,
            requested_at: None,
            sent_since_request: 0,
            waiting_since: None,
            confirming: None,
        }
    }

    /// From now on our `h` counts only what the caller confirms.
    pub(crate) fn confirm_stanzas(&mut self) {
        self.confirming = Some(Confirming {
            confirmed: self.handled,
            ..Confirming::default()
        });
    }

    /// The `h` to report: every stanza handled, or those confirmed.
    pub(crate) fn reported(&self) -> u32 {
        self.confirming
            .as_ref()
            .map_or(self.handled, |c| c.confirmed)
    }

    /// Confirms the stanza numbered `number`; whether our `h` moved.
    pub(crate) fn confirm(&mut self, number: u32) -> bool {
        let Some(c) = &mut self.confirming else {
            return false;
        };
        let offset = number.wrapping_sub(c.confirmed).wrapping_sub(1) as usize;
        match c.window.get_mut(offset) {
            Some(done) => *done = true,
            None => return false,
        }
        let before = c.confirmed;
        while c.window.front() == Some(&true) {
            c.window.pop_front();
            c.confirmed = c.confirmed.wrapping_add(1);
        }
        crate::release_if_empty(&mut c.window);
        c.confirmed != before
    }

    /// An `<r/>` arrived: whether to answer it now (everything handed over
    /// is confirmed), else it is owed from `now`.
    pub(crate) fn answer_now(&mut self, now: Instant) -> bool {
        match &mut self.confirming {
            Some(c) if !c.window.is_empty() => {
                c.owed_since.get_or_insert(now);
                c.owed_upto = self.handled;
                false
            }
            _ => true,
        }
    }

    /// Whether an owed `<a/>` is to go out now: all is confirmed, or the
    /// wait is over. Clears the debt when it is.
    pub(crate) fn owed_answer_due(&mut self, now: Instant, config: &SmConfig) -> bool {
        let Some(c) = &mut self.confirming else {
            return false;
        };
        let Some(since) = c.owed_since else {
            return false;
        };
        let late = config
            .confirm_within
            .and_then(|within| since.checked_add(within))
            .is_some_and(|deadline| deadline <= now);
        // Everything the request was about is confirmed (modulo 2^32).
        let covered = c.confirmed.wrapping_sub(c.owed_upto) < 1 << 31;
        if covered || late {
            c.owed_since = None;
            return true;
        }
        false
    }

    /// When an owed `<a/>` goes out with what is confirmed by then.
    pub(crate) fn owed_deadline(&self, config: &SmConfig) -> Option<Instant> {
        let since = self.confirming.as_ref()?.owed_since?;
        since.checked_add(config.confirm_within?)
    }

    /// The stream is kept for resumption: stanzas not confirmed yet count
    /// as handled from here on (the connection that would confirm them is
    /// gone).
    pub(crate) fn confirm_all(&mut self) {
        if let Some(c) = &mut self.confirming {
            c.confirmed = self.handled;
            c.window = VecDeque::new();
            c.owed_since = None;
        }
    }

    /// The resumption id (`<enabled id=.../>`), if resumption was granted.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// Whether the stream can be resumed.
    pub fn is_resumable(&self) -> bool {
        self.resumable && self.id.is_some()
    }

    /// Our `h`: stanzas handled from the peer, modulo 2^32.
    pub fn handled(&self) -> u32 {
        self.handled
    }

    /// The peer's latest `h`: our stanzas it acknowledged, modulo 2^32.
    pub fn acked(&self) -> u32 {
        self.acked
    }

    /// Stanzas sent since enabling, modulo 2^32.
    pub fn sent(&self) -> u32 {
        self.acked.wrapping_add(queue_len(&self.unacked))
    }

    /// Our stanzas the peer has not acknowledged, oldest first: resend
    /// them on resumption, or (server) keep them as offline messages, so
    /// nothing accepted is lost.
    pub fn unacked(&self) -> impl Iterator<Item = &Element> {
        self.unacked.iter().map(|stanza| &**stanza)
    }

    /// Whether more stanzas wait for an acknowledgement than `config`
    /// allows.
    pub(crate) fn unacked_over_limit(&self, config: &SmConfig) -> bool {
        config.max_unacked > 0 && self.unacked.len() > config.max_unacked
    }

    /// Takes the unacknowledged stanzas out.
    pub fn take_unacked(&mut self) -> Vec<Element> {
        self.acked = self.sent();
        self.waiting_since = None;
        std::mem::take(&mut self.unacked)
            .into_iter()
            .map(|stanza| *stanza)
            .collect()
    }

    /// Whether the peer's `<enabled/>` (or a resumption) started the
    /// count: after it, `<enabled/>` and `<failed/>` are answers to nothing.
    pub(crate) fn is_enabled(&self) -> bool {
        self.counting
    }

    pub(crate) fn set_enabled(&mut self, id: Option<String>, resumable: bool) {
        self.id = id;
        self.resumable = resumable;
        self.counting = true;
    }

    /// One stanza from the peer (valid or not, routable or not); its
    /// number when it counts.
    pub(crate) fn count_inbound(&mut self) -> Option<u32> {
        if !self.counting {
            return None;
        }
        self.handled = self.handled.wrapping_add(1);
        if let Some(c) = &mut self.confirming {
            c.window.push_back(false);
        }
        Some(self.handled)
    }

    /// One stanza of ours sent; whether to ask for an acknowledgement now.
    pub(crate) fn push_outbound(
        &mut self,
        stanza: Element,
        now: Instant,
        config: &SmConfig,
    ) -> bool {
        if self.unacked.is_empty() {
            self.waiting_since = Some(now);
        }
        self.unacked.push_back(Box::new(stanza));
        self.sent_since_request = self.sent_since_request.saturating_add(1);
        config.request_after_stanzas > 0
            && !self.request_pending
            && self.sent_since_request >= config.request_after_stanzas
    }

    /// Whether enough stanzas went out since the last `<r/>` to ask again
    /// now that it was answered: a burst sent while a request was out is
    /// acknowledged at once, not only after the next stanza or the timer.
    pub(crate) fn request_due(&self, config: &SmConfig) -> bool {
        config.request_after_stanzas > 0
            && !self.request_pending
            && !self.unacked.is_empty()
            && self.sent_since_request >= config.request_after_stanzas
    }

    /// Records an `<r/>` we sent.
    pub(crate) fn request_sent(&mut self, now: Instant) {
        if !self.request_pending {
            self.requested_at = Some(now);
        }
        self.request_pending = true;
        self.sent_since_request = 0;
    }

    /// When the peer is taken for gone if our `<r/>` is still unanswered.
    pub(crate) fn ack_deadline(&self, config: &SmConfig) -> Option<Instant> {
        if !self.request_pending {
            return None;
        }
        self.requested_at?.checked_add(config.ack_timeout?)
    }

    /// When to ask for an acknowledgement on time.
    pub(crate) fn request_deadline(&self, config: &SmConfig) -> Option<Instant> {
        if self.request_pending {
            return None;
        }
        self.waiting_since?.checked_add(config.request_after?)
    }

    /// Applies the peer's `h`: drops what it acknowledged.
    pub(crate) fn ack(&mut self, h: u32, now: Instant) -> Result<(), TooHigh> {
        let newly = h.wrapping_sub(self.acked);
        let waiting = queue_len(&self.unacked);
        if newly > waiting {
            return Err(TooHigh {
                h,
                sent: self.sent(),
            });
        }
        for _ in 0..newly {
            self.unacked.pop_front();
        }
        crate::release_if_empty(&mut self.unacked);
        self.acked = h;
        self.request_pending = false;
        self.requested_at = None;
        self.waiting_since = if self.unacked.is_empty() {
            None
        } else {
            Some(now)
        };
        Ok(())
    }

    /// A new stream resumes this one: no request is outstanding on it.
    pub(crate) fn resumed(&mut self, now: Instant) {
        self.request_pending = false;
        self.requested_at = None;
        self.sent_since_request = 0;
        self.counting = true;
        if !self.unacked.is_empty() {
            self.waiting_since = Some(now);
        }
    }
}

/// What a lost stream leaves for the one that resumes it: who it was and
/// its stream management state.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Resumption {
    /// The full JID that was bound.
    pub jid: Jid,
    /// Counters and unacknowledged stanzas.
    pub state: SmState,
}

impl Resumption {
    /// The resumption id.
    pub fn id(&self) -> Option<&str> {
        self.state.id()
    }
}

/// XEP-0198's application condition for an `h` that is too high.
pub(crate) fn handled_count_too_high(too_high: TooHigh) -> Option<minidom::Element> {
    format!(
        "<handled-count-too-high xmlns='{}' h='{}' send-count='{}'/>",
        ns::SM,
        too_high.h,
        too_high.sent
    )
    .parse()
    .ok()
}

/// The queue length as a wire counter; a queue longer than 2^32 stanzas
/// cannot be told apart modulo 2^32, so it saturates.
fn queue_len<T>(queue: &VecDeque<T>) -> u32 {
    u32::try_from(queue.len()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatwire_xmpp_stanza::{Presence, PresenceType};

    fn stanza() -> Element {
        Element::Presence(Presence::new(PresenceType::Available))
    }

    #[test]
    fn h_wraps_at_32_bits() {
        let now = Instant::now();
        let config = SmConfig::default();
        let mut state = SmState::new(true);
        state.acked = u32::MAX - 1;
        for _ in 0..3 {
            state.push_outbound(stanza(), now, &config);
        }
        assert_eq!(state.sent(), 1);
        assert_eq!(state.ack(u32::MAX, now), Ok(()));
        assert_eq!(state.unacked().count(), 2);
        assert_eq!(state.ack(1, now), Ok(()));
        assert_eq!(state.unacked().count(), 0);
        assert_eq!(state.acked(), 1);

        state.handled = u32::MAX;
        state.count_inbound();
        assert_eq!(state.handled(), 0);
    }

    #[test]
    fn an_ack_beyond_what_was_sent_is_refused() {
        let now = Instant::now();
        let mut state = SmState::new(true);
        state.push_outbound(stanza(), now, &SmConfig::default());
        assert_eq!(state.ack(2, now), Err(TooHigh { h: 2, sent: 1 }));
        assert_eq!(state.ack(0, now), Ok(()));
        assert_eq!(state.ack(1, now), Ok(()));
        // An old h is "more than sent" modulo 2^32.
        assert_eq!(state.ack(0, now), Err(TooHigh { h: 0, sent: 1 }));
    }

    #[test]
    fn requests_after_n_stanzas_or_t() {
        let now = Instant::now();
        let config = SmConfig::default().with_requests(2, Some(Duration::from_secs(10)));
        let mut state = SmState::new(true);
        assert!(!state.push_outbound(stanza(), now, &config));
        assert_eq!(
            state.request_deadline(&config),
            Some(now + Duration::from_secs(10))
        );
        assert!(state.push_outbound(stanza(), now, &config));
        state.request_sent(Instant::now());
        assert_eq!(state.request_deadline(&config), None);
        assert!(!state.push_outbound(stanza(), now, &config));
        assert_eq!(state.ack(3, now), Ok(()));
        assert_eq!(state.request_deadline(&config), None);
    }

    #[test]
    fn counting_waits_for_enabled() {
        let mut state = SmState::new(false);
        state.count_inbound();
        assert_eq!(state.handled(), 0);
        state.set_enabled(Some("id".to_owned()), true);
        state.count_inbound();
        assert_eq!(state.handled(), 1);
        assert!(state.is_resumable());
    }
}
