//! One simulated user: logs in when the shared login gate lets it, holds
//! its session until the run starts, sends its messages to its peer, and
//! records what it receives until the run stops. A connection lost during
//! the run is replaced by a fresh login as the same user, so that what the
//! server stored for the user meanwhile (or across its own restart) is
//! checked too.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chatwire_xmpp_stanza::{Message, Presence, PresenceType};
use tokio::io::AsyncReadExt;
use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;

use crate::load::driver::{Event, Session, Target};
use crate::load::tally::{Body, Inbox};

/// What every agent of a run shares, fixed before it starts.
pub struct Plan {
    /// Where to connect.
    pub target: Target,
    /// User names are this prefix and the agent's index.
    pub user_prefix: String,
    /// Passwords are the user name and this suffix.
    pub password_suffix: String,
    /// Agents in the run.
    pub clients: u32,
    /// Messages each agent sends.
    pub messages: u32,
    /// The run's random id, carried in every body.
    pub run: u32,
    /// Time between one agent's sends; None sends as fast as it can.
    pub send_interval: Option<Duration>,
    /// The longest one login may take.
    pub login_timeout: Duration,
    /// Where send times are counted from.
    pub epoch: Instant,
    /// How long a lost session keeps trying to log in again; zero ends
    /// the agent with its session.
    pub reconnect_for: Duration,
    /// Users 1..=K send no initial presence until every sender is done,
    /// so the server stores what they are sent for offline delivery.
    pub offline_receivers: u32,
}

/// Time between two login attempts after a lost connection.
const RETRY: Duration = Duration::from_millis(250);

/// The phase of the run, set by the driver of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Logging in; bound sessions wait.
    Login,
    /// Bound sessions send their messages.
    Send,
    /// Every sender is done: offline receivers become available and
    /// receive what was stored for them.
    Deliver,
    /// Everyone closes.
    Stop,
}

/// Counters the agents update and the driver of the run watches.
pub struct Shared {
    /// The phase; agents follow it.
    pub phase: watch::Sender<Phase>,
    /// Sessions bound.
    pub bound: AtomicU64,
    /// Logins that failed.
    pub failed: AtomicU64,
    /// Microseconds from the epoch to the latest bind.
    pub last_bound_micros: AtomicU64,
    /// Messages sent.
    pub sent: AtomicU64,
    /// Distinct messages of this run received.
    pub received: AtomicU64,
    /// Microseconds from the epoch to the latest receipt.
    pub last_received_micros: AtomicU64,
    /// Agents done sending (all sent, or their session ended).
    pub done_sending: AtomicU64,
    /// Sessions that ended before the run stopped.
    pub ended: AtomicU64,
    /// Logins again after a lost connection.
    pub reconnects: AtomicU64,
    logins: Semaphore,
    next_login: Mutex<Instant>,
    login_gap: Duration,
}

/// What one agent saw.
#[derive(Debug)]
pub struct Outcome {
    /// The agent's index.
    pub index: u32,
    /// Whether it bound.
    pub bound: bool,
    /// Why its login failed or its session ended early.
    pub error: Option<String>,
    /// Messages it sent.
    pub sent: u32,
    /// XEP-0198: per sequence number, whether the server acknowledged
    /// the message (None when no session had stream management).
    pub acked: Option<Vec<bool>>,
    /// Logins again after a lost connection.
    pub reconnects: u32,
    /// What it received.
    pub inbox: Inbox,
}

impl Shared {
    /// Counters at zero; at most `rate` logins start per second, at most
    /// `concurrent` are under way at once.
    pub fn new(rate: f64, concurrent: usize) -> Shared {
        Shared {
            phase: watch::Sender::new(Phase::Login),
            bound: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            last_bound_micros: AtomicU64::new(0),
            sent: AtomicU64::new(0),
            received: AtomicU64::new(0),
            last_received_micros: AtomicU64::new(0),
            done_sending: AtomicU64::new(0),
            ended: AtomicU64::new(0),
            reconnects: AtomicU64::new(0),
            logins: Semaphore::new(concurrent.max(1)),
            next_login: Mutex::new(Instant::now()),
            login_gap: Duration::from_secs_f64(1.0 / rate.max(0.001)),
        }
    }

    /// Waits for this login's turn under the rate.
    async fn login_slot(&self) {
        let slot = {
            let mut next = self.next_login.lock().unwrap_or_else(|p| p.into_inner());
            let slot = (*next).max(Instant::now());
            *next = slot + self.login_gap;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

impl Plan {
    /// The user name of agent `index`.
    pub fn user(&self, index: u32) -> String {
        format!("{}{index}", self.user_prefix)
    }

    /// The agent that agent `index` sends to: the next one, so that the
    /// pairs form one fixed permutation (a cycle through all agents).
    pub fn peer(&self, index: u32) -> u32 {
        (index + 1) % self.clients.max(1)
    }

    /// Whether agent `index` holds back its initial presence until every
    /// sender is done.
    pub fn offline_receiver(&self, index: u32) -> bool {
        index >= 1 && index <= self.offline_receivers
    }

    fn micros(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
    }
}

/// Runs agent `index` through the run's phases.
pub async fn run(index: u32, plan: Arc<Plan>, shared: Arc<Shared>) -> Outcome {
    let mut outcome = Outcome {
        index,
        bound: false,
        error: None,
        sent: 0,
        acked: None,
        reconnects: 0,
        inbox: Inbox::new(plan.run, plan.messages),
    };
    let name = plan.user(index);
    let password = format!("{name}{}", plan.password_suffix);
    let login = {
        let _permit = shared.logins.acquire().await;
        shared.login_slot().await;
        Session::connect(&plan.target, &name, &password, plan.login_timeout).await
    };
    let mut session = match login {
        Ok(session) => session,
        Err(e) => {
            tracing::debug!("{name}: login failed: {e}");
            outcome.error = Some(format!("login: {e}"));
            shared.failed.fetch_add(1, Ordering::Relaxed);
            return outcome;
        }
    };
    outcome.bound = true;
    shared.bound.fetch_add(1, Ordering::Relaxed);
    shared
        .last_bound_micros
        .fetch_max(plan.micros(), Ordering::Relaxed);
    loop {
        // The XEP-0198 number of each message this session sent, with its
        // sequence number.
        let mut numbers = Vec::new();
        let ended = drive(&plan, &shared, &mut session, &mut outcome, &mut numbers).await;
        let Err(reason) = ended else {
            finish(&mut session).await;
            record_acks(&session, &numbers, &mut outcome, plan.messages);
            break;
        };
        // What the server acknowledged before the loss stays acknowledged;
        // the rest was lost in flight and is not sent again.
        record_acks(&session, &numbers, &mut outcome, plan.messages);
        tracing::debug!("{name}: session ended: {reason}");
        match reconnect(&plan, &shared, &name, &password).await {
            Ok(again) => {
                session = again;
                outcome.reconnects += 1;
                shared.reconnects.fetch_add(1, Ordering::Relaxed);
            }
            Err(why) => {
                outcome.error = Some(match why {
                    Some(why) => format!("{reason}; no login again: {why}"),
                    None => reason,
                });
                shared.ended.fetch_add(1, Ordering::Relaxed);
                break;
            }
        }
    }
    if outcome.sent < plan.messages {
        shared.done_sending.fetch_add(1, Ordering::Relaxed);
    }
    outcome
}

/// Logs in again every [`RETRY`] until [`Plan::reconnect_for`] has passed
/// or the run stops; Err(None) when it is not to be tried.
async fn reconnect(
    plan: &Plan,
    shared: &Shared,
    name: &str,
    password: &str,
) -> Result<Session, Option<String>> {
    if plan.reconnect_for.is_zero() {
        return Err(None);
    }
    let give_up = Instant::now() + plan.reconnect_for;
    let mut last = None;
    loop {
        if *shared.phase.borrow() == Phase::Stop {
            return Err(last);
        }
        let left = give_up.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(last);
        }
        let attempt = {
            let _permit = shared.logins.acquire().await;
            Session::connect(&plan.target, name, password, plan.login_timeout.min(left)).await
        };
        match attempt {
            Ok(session) => return Ok(session),
            Err(e) => last = Some(e.to_string()),
        }
        tokio::time::sleep(RETRY.min(left)).await;
    }
}

/// Marks the messages of one session (`numbers`: XEP-0198 number and
/// sequence number of each) that its latest `h` covers.
fn record_acks(session: &Session, numbers: &[(u32, u32)], outcome: &mut Outcome, messages: u32) {
    let Some(h) = session.sm_acked() else {
        return;
    };
    let acked = outcome
        .acked
        .get_or_insert_with(|| vec![false; messages as usize]);
    for &(_, seq) in numbers.iter().take_while(|(n, _)| *n <= h) {
        if let Some(slot) = acked.get_mut(seq as usize) {
            *slot = true;
        }
    }
}

/// The session's loop from binding to [`Phase::Stop`].
async fn drive(
    plan: &Plan,
    shared: &Shared,
    session: &mut Session,
    outcome: &mut Outcome,
    numbers: &mut Vec<(u32, u32)>,
) -> Result<(), String> {
    let mut phase = shared.phase.subscribe();
    let peer = plan
        .target
        .jid(&plan.user(plan.peer(outcome.index)))
        .map_err(|e| e.to_string())?;
    let mut buf = vec![0u8; 16 * 1024];
    let mut next_send: Option<Instant> = None;
    let mut started = false;
    let mut available = false;
    loop {
        let now_phase = *phase.borrow_and_update();
        if !available && (now_phase == Phase::Deliver || !plan.offline_receiver(outcome.index)) {
            // Available, so that messages to the bare JID are delivered
            // rather than stored, and what was stored comes now (RFC 6121
            // sections 8.5.2.1.1 and 4.2.2).
            available = true;
            session
                .send(Presence::new(PresenceType::Available))
                .map_err(|e| e.to_string())?;
        }
        session.flush().await.map_err(|e| format!("write: {e}"))?;
        while let Some(event) = session.poll_event() {
            match event {
                Event::Message(message) => receive(plan, shared, outcome, &message),
                Event::Closed(reason) => return Err(reason),
            }
        }
        if now_phase == Phase::Stop {
            return Ok(());
        }
        let sending =
            matches!(now_phase, Phase::Send | Phase::Deliver) && outcome.sent < plan.messages;
        if sending && !started {
            // Paced senders start spread over one interval.
            started = true;
            let share = f64::from(outcome.index) / f64::from(plan.clients.max(1));
            next_send = plan
                .send_interval
                .map(|gap| Instant::now() + gap.mul_f64(share));
        }
        let send_at = next_send;
        let deadline = session.deadline();
        tokio::select! {
            read = session.stream.read(&mut buf) => match read {
                Ok(0) => session.handle_eof(),
                Ok(n) => session.handle_read(buf.get(..n).unwrap_or_default()),
                Err(e) => return Err(format!("read: {e}")),
            },
            () = async { if let Some(at) = send_at { tokio::time::sleep_until(at).await } }, if sending => {
                let body = Body {
                    run: plan.run,
                    sender: outcome.index,
                    seq: outcome.sent,
                    sent_micros: plan.micros(),
                };
                session
                    .send(Message::chat(peer.clone(), body.encode()))
                    .map_err(|e| e.to_string())?;
                if let Some(number) = session.sm_sent() {
                    numbers.push((number, outcome.sent));
                }
                outcome.sent += 1;
                shared.sent.fetch_add(1, Ordering::Relaxed);
                if outcome.sent == plan.messages {
                    shared.done_sending.fetch_add(1, Ordering::Relaxed);
                }
                next_send = plan.send_interval.map(|gap| send_at.unwrap_or_else(Instant::now) + gap);
            },
            () = tokio::time::sleep_until(deadline.into()) => session.handle_timeout(),
            _ = phase.changed() => {}
        }
    }
}

/// Records a message that arrived.
fn receive(plan: &Plan, shared: &Shared, outcome: &mut Outcome, message: &Message) {
    let Some(text) = message.body() else {
        outcome.inbox.foreign += 1;
        return;
    };
    let now = plan.micros();
    let before = outcome.inbox.received;
    outcome.inbox.receive(text, now);
    if outcome.inbox.received > before {
        shared.received.fetch_add(1, Ordering::Relaxed);
        shared
            .last_received_micros
            .fetch_max(now, Ordering::Relaxed);
    }
}

/// Asks for a last acknowledgement, closes the stream and waits a little
/// for the server's close.
async fn finish(session: &mut Session) {
    session.request_ack();
    session.close();
    let mut buf = vec![0u8; 4096];
    let deadline = Instant::now() + Duration::from_secs(3);
    while !session.is_closed() {
        if session.flush().await.is_err() {
            return;
        }
        tokio::select! {
            read = session.stream.read(&mut buf) => match read {
                Ok(0) | Err(_) => return,
                Ok(n) => session.handle_read(buf.get(..n).unwrap_or_default()),
            },
            () = tokio::time::sleep_until(deadline) => return,
        }
        while session.poll_event().is_some() {}
    }
}
