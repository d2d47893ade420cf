//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used)] // each test binary uses a part

use chatwire_sasl::{Client, ClientStep, Error, Outcome, Server, ServerStep, StoredCredentials};

/// Runs a whole exchange in memory. `lookup` is the user store: the account of a name, or
/// `None` for an unknown user. Returns who the server says authenticated, once the client has
/// accepted the server's success.
pub fn drive<'a>(
    client: &mut Client,
    server: &mut Server,
    lookup: impl Fn(&str) -> Option<&'a StoredCredentials>,
) -> Result<Outcome, Error> {
    let mut step = server.start(Some(&client.start()?))?;
    loop {
        step = match step {
            ServerStep::NeedCredentials { username, .. } => {
                server.credentials(lookup(&username))?
            }
            ServerStep::Challenge(c) => match client.step(&c)? {
                ClientStep::Response(r) => server.step(&r)?,
                ClientStep::Verified => server.step(b"")?,
            },
            ServerStep::Success {
                additional_data,
                outcome,
            } => {
                client.success(additional_data.as_deref())?;
                return Ok(outcome);
            }
        }
    }
}
