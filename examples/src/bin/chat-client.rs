//! An XMPP chat client for the command line: `chat-client --url
//! ws://127.0.0.1:5280/xmpp-websocket --jid alice@localhost --password
//! alicepw send bob@localhost hello`. Without a command it reads lines
//! from standard input (`/to JID`, `/roster`, or text for the current
//! contact) and prints what arrives.

use std::time::Duration;

use chatwire_examples::chat::client::{Client, ClientOptions};
use chatwire_xmpp_im::{RosterCache, RosterResult};
use chatwire_xmpp_stanza::{
    AnyStanza, Blocking, Iq, IqPayload, Jid, Message, Presence, PresenceType,
};
use clap::{Parser, Subcommand};
use tokio::io::AsyncBufReadExt;

#[derive(Parser)]
#[command(about = "XMPP chat client over WebSocket (RFC 7395) or TCP (RFC 6120)")]
struct Args {
    /// `ws://`, `wss://` or `tcp://` address of the server.
    #[arg(long, default_value = "ws://127.0.0.1:5280/xmpp-websocket")]
    url: String,
    /// The account.
    #[arg(long)]
    jid: String,
    /// The password.
    #[arg(long)]
    password: String,
    /// A CA certificate (PEM) to trust instead of the system's roots.
    #[arg(long)]
    ca: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Send one chat message.
    Send { to: String, text: String },
    /// Print `FROM: TEXT` for each message received.
    Listen {
        /// Exit after this many messages.
        #[arg(long)]
        count: Option<usize>,
        /// Exit after this many seconds.
        #[arg(long)]
        timeout: Option<u64>,
    },
    /// Print the roster: `JID SUBSCRIPTION [ask] [NAME]`.
    Roster,
    /// Ask for a contact's presence (RFC 6121 section 3.1).
    Subscribe { jid: String },
    /// Approve a contact's request, or pre-approve one (section 3.4).
    Approve { jid: String },
    /// Block a JID (XEP-0191).
    Block { jid: String },
    /// Unblock a JID.
    Unblock { jid: String },
}

const WAIT: Duration = Duration::from_secs(10);

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let options = ClientOptions {
        url: args.url.clone(),
        jid: Jid::new(&args.jid)?,
        password: args.password.clone(),
        ca: args.ca.clone(),
    };
    let mut client = Client::connect(&options, WAIT).await?;
    let me = client.jid().cloned().ok_or("not bound")?;
    match args.command {
        Some(Command::Send { to, text }) => {
            client.send(Message::chat(Jid::new(&to)?, text)).await?;
            // A ping round trip: the message was accepted before we leave.
            ping(&mut client).await?;
        }
        Some(Command::Listen { count, timeout }) => {
            client.send(Presence::new(PresenceType::Available)).await?;
            listen(&mut client, count, timeout.map(Duration::from_secs)).await?;
        }
        Some(Command::Roster) => {
            let cache = roster(&mut client, &me).await?;
            for item in cache.items() {
                let ask = if item.ask().is_some() { " ask" } else { "" };
                let sub = item.subscription().map_or("none", |s| s.as_str());
                let name = item.name.as_deref().unwrap_or("");
                println!("{} {sub}{ask} {name}", item.jid);
            }
        }
        Some(Command::Subscribe { jid }) => {
            subscription(&mut client, &jid, PresenceType::Subscribe).await?;
        }
        Some(Command::Approve { jid }) => {
            subscription(&mut client, &jid, PresenceType::Subscribed).await?;
        }
        Some(Command::Block { jid }) => {
            request(
                &mut client,
                Iq::set(
                    "b1",
                    IqPayload::Blocking(Blocking::Block(vec![Jid::new(&jid)?])),
                ),
            )
            .await?;
        }
        Some(Command::Unblock { jid }) => {
            request(
                &mut client,
                Iq::set(
                    "u1",
                    IqPayload::Blocking(Blocking::Unblock(vec![Jid::new(&jid)?])),
                ),
            )
            .await?;
        }
        None => interactive(&mut client, &me).await?,
    }
    client.close().await?;
    Ok(())
}

/// Sends an iq request and waits for its answer; an error answer fails.
async fn request(client: &mut Client, iq: Iq) -> Result<Iq, Box<dyn std::error::Error>> {
    let id = iq.id.clone();
    client.send(iq).await?;
    loop {
        match client.next(WAIT).await? {
            Some(AnyStanza::Iq(answer)) if answer.id == id && !answer.is_request() => {
                if let Some(error) = &answer.error {
                    return Err(format!("{} refused: {}", id, error.condition.name()).into());
                }
                return Ok(answer);
            }
            Some(other) => print_stanza(&other),
            None => return Err(format!("no answer to {id}").into()),
        }
    }
}

async fn ping(client: &mut Client) -> Result<(), Box<dyn std::error::Error>> {
    request(client, Iq::get("ping1", IqPayload::Ping))
        .await
        .map(|_| ())
}

async fn roster(client: &mut Client, me: &Jid) -> Result<RosterCache, Box<dyn std::error::Error>> {
    let mut cache = RosterCache::new(me);
    let get = cache.request("roster1");
    let answer = request(client, get).await?;
    match cache.handle_result("roster1", &answer)? {
        RosterResult::Full | RosterResult::UpToDate => Ok(cache),
        _ => Ok(cache),
    }
}

async fn subscription(
    client: &mut Client,
    jid: &str,
    kind: PresenceType,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut presence = Presence::new(kind);
    presence.to = Some(Jid::new(jid)?);
    client.send(presence).await?;
    ping(client).await
}

async fn listen(
    client: &mut Client,
    count: Option<usize>,
    timeout: Option<Duration>,
) -> Result<(), Box<dyn std::error::Error>> {
    let deadline = timeout.map(|t| tokio::time::Instant::now() + t);
    let mut received = 0;
    while count.is_none_or(|c| received < c) {
        let wait = deadline.map_or(Duration::from_secs(3600), |d| {
            d.saturating_duration_since(tokio::time::Instant::now())
        });
        if wait.is_zero() {
            break;
        }
        match client.next(wait).await? {
            Some(AnyStanza::Message(m)) if m.body().is_some() => {
                let from = m
                    .from
                    .as_ref()
                    .map_or_else(String::new, |f| f.to_bare().to_string());
                println!("{from}: {}", m.body().unwrap_or_default());
                received += 1;
            }
            Some(_) => {}
            None => break,
        }
    }
    if count.is_some_and(|c| received < c) {
        return Err(format!("received {received} messages").into());
    }
    Ok(())
}

fn print_stanza(stanza: &AnyStanza) {
    match stanza {
        AnyStanza::Message(m) => {
            if let (Some(from), Some(body)) = (&m.from, m.body()) {
                println!("{}: {body}", from.to_bare());
            }
        }
        AnyStanza::Presence(p) => {
            if let Some(from) = &p.from {
                let kind = p.kind.as_str().unwrap_or("available");
                println!("* {from} {kind}");
            }
        }
        AnyStanza::Iq(_) => {}
    }
}

/// Lines from standard input: `/to JID` picks the contact, `/roster`
/// prints the roster, anything else is sent to the contact.
async fn interactive(client: &mut Client, me: &Jid) -> Result<(), Box<dyn std::error::Error>> {
    client.send(Presence::new(PresenceType::Available)).await?;
    println!("connected as {me}; /to JID, /roster, /quit");
    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let mut to: Option<Jid> = None;
    loop {
        tokio::select! {
            line = lines.next_line() => {
                let Some(line) = line? else { return Ok(()) };
                if let Some(jid) = line.strip_prefix("/to ") {
                    to = Some(Jid::new(jid.trim())?);
                } else if line.trim() == "/roster" {
                    for item in roster(client, me).await?.items() {
                        println!("{} {:?}", item.jid, item.subscription());
                    }
                } else if line.trim() == "/quit" {
                    return Ok(());
                } else if let Some(to) = &to {
                    client.send(Message::chat(to.clone(), line)).await?;
                } else {
                    println!("/to JID first");
                }
            }
            stanza = client.next(Duration::from_secs(3600)) => {
                if let Some(stanza) = stanza? {
                    print_stanza(&stanza);
                }
            }
        }
    }
}
