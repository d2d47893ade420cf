//! The client's choice of mechanism and channel-binding type from what the server offered
//! (RFC 4422 s3.1, RFC 5802 s6, XEP-0440, XEP-0474), made in one place so that a rewritten
//! offer cannot talk a binding-capable client out of binding.

use crate::{ChannelBinding, ClientConfig, DowngradeProtection, Error, Mechanism};

/// What the server offered in its stream features, and whether the stream runs over TLS.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerOffer {
    /// The `<mechanism/>` names of `<mechanisms/>`, as received. Names this crate does not
    /// know are kept: they count for XEP-0474.
    pub mechanisms: Vec<String>,
    /// The XEP-0440 `<sasl-channel-binding/>` types, or `None` when the element was absent.
    pub channel_binding_types: Option<Vec<String>>,
    /// Whether TLS is up under the stream (STARTTLS done, direct TLS, or `wss:`).
    pub tls: bool,
}

impl ServerOffer {
    /// An offer of `mechanisms`, without XEP-0440 types, over a stream without TLS.
    #[must_use]
    pub fn new<I, S>(mechanisms: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            mechanisms: mechanisms.into_iter().map(Into::into).collect(),
            channel_binding_types: None,
            tls: false,
        }
    }

    /// Records the XEP-0440 channel-binding types the server advertised.
    #[must_use]
    pub fn with_channel_binding_types<I, S>(mut self, types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.channel_binding_types = Some(types.into_iter().map(Into::into).collect());
        self
    }

    /// Records whether TLS is up.
    #[must_use]
    pub const fn with_tls(mut self, tls: bool) -> Self {
        self.tls = tls;
        self
    }

    /// The XEP-0474 input this offer stands for, to check the server's `h=` against.
    #[must_use]
    pub fn downgrade_protection(&self) -> DowngradeProtection {
        DowngradeProtection {
            mechanisms: self.mechanisms.clone(),
            channel_bindings: self.channel_binding_types.clone(),
        }
    }

    fn offers(&self, mechanism: Mechanism) -> bool {
        self.mechanisms.iter().any(|name| name == mechanism.name())
    }
}

/// A mechanism and, for -PLUS, the channel binding to use with it.
pub(crate) struct Choice<'a> {
    pub(crate) mechanism: Mechanism,
    pub(crate) channel_binding: Option<&'a ChannelBinding>,
}

/// Picks the first mechanism of the client's preference that the offer and the policy allow.
///
/// A binding-capable client facing any -PLUS offer considers only -PLUS (and PLAIN, if its
/// policy allows PLAIN at all), so that rewriting the XEP-0440 list cannot turn it into an
/// unbound SCRAM exchange; facing none, it uses SCRAM with `y`, which a server that did offer
/// -PLUS refuses.
pub(crate) fn choose<'a>(
    offer: &ServerOffer,
    config: &'a ClientConfig,
) -> Result<Choice<'a>, Error> {
    if !offer.tls && !config.channel_bindings.is_empty() {
        return Err(Error::InvalidArgument("channel-binding data without TLS"));
    }
    let binding_capable = !config.channel_bindings.is_empty();
    let plus_offered = Mechanism::ALL
        .into_iter()
        .any(|m| m.is_plus() && offer.offers(m));
    let binding = shared_channel_binding(offer, config);
    let mut missed_binding = false;
    for &mechanism in &config.preference {
        if !offer.offers(mechanism) {
            continue;
        }
        let allowed = match mechanism {
            m if m.is_plus() => {
                missed_binding |= binding_capable && binding.is_none();
                binding.is_some()
            }
            m if m.scram_hash().is_some() => !(binding_capable && plus_offered),
            Mechanism::Plain => {
                (offer.tls || config.allow_plain_without_tls)
                    && (!binding_capable || config.allow_plain_with_channel_binding)
                    && !config.require_downgrade_protection
            }
            _ => !config.require_downgrade_protection,
        };
        if allowed {
            return Ok(Choice {
                mechanism,
                channel_binding: binding.filter(|_| mechanism.is_plus()),
            });
        }
    }
    if missed_binding {
        Err(Error::UnsupportedChannelBinding)
    } else {
        Err(Error::NoAcceptableMechanism)
    }
}

/// XEP-0440: the client's first type that the server lists; with no list, the client's first.
fn shared_channel_binding<'a>(
    offer: &ServerOffer,
    config: &'a ClientConfig,
) -> Option<&'a ChannelBinding> {
    match &offer.channel_binding_types {
        None => config.channel_bindings.first(),
        Some(advertised) => config
            .channel_bindings
            .iter()
            .find(|cb| advertised.iter().any(|kind| kind == cb.kind())),
    }
}
