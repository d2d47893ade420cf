//! The one place where the condition lists kept by two crates meet.
//!
//! chatwire-xmpp-framing and chatwire-xmpp-stanza each have a copy of the
//! RFC 6120 section 4.9.3 stream error conditions (the framing's is a
//! `Copy` list it can raise without allocating; the stanza crate's also
//! carries see-other-host's address and unknown conditions), and
//! chatwire-sasl and chatwire-xmpp-stanza each have the section 6.5 SASL
//! failure conditions. Both pairs are matched here by their wire names, so
//! a name that one side spells differently fails the tests below rather
//! than a negotiation.

use chatwire_sasl::Failure;
use chatwire_xmpp_framing::StreamErrorCondition as FramingCondition;
use chatwire_xmpp_stanza::{SaslCondition, StreamErrorCondition as StanzaCondition};

/// The stanza crate's copy of a framing stream error condition.
///
/// `see-other-host` comes out with an empty address: the framing list
/// does not carry one.
pub fn stream_condition_to_stanza(condition: FramingCondition) -> StanzaCondition {
    StanzaCondition::from_name(condition.as_str(), String::new())
        .unwrap_or(StanzaCondition::UndefinedCondition)
}

/// The framing crate's copy of a stanza stream error condition; `None` for
/// a condition RFC 6120 does not define ([`StanzaCondition::Other`]).
pub fn stream_condition_to_framing(condition: &StanzaCondition) -> Option<FramingCondition> {
    FramingCondition::from_name(condition.name())
}

/// The stanza crate's SASL condition for a chatwire-sasl failure, to put
/// in `<failure/>`.
pub fn sasl_failure_to_condition(failure: Failure) -> SaslCondition {
    SaslCondition::from_name(failure.as_str()).unwrap_or(SaslCondition::NotAuthorized)
}

/// The chatwire-sasl failure for a SASL condition read from `<failure/>`;
/// `None` for a condition RFC 6120 does not define, which the client may
/// treat as `not-authorized` (RFC 6120 section 6.5).
pub fn sasl_condition_to_failure(condition: &SaslCondition) -> Option<Failure> {
    Failure::from_name(condition.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// chatwire-sasl exports no list of its failures: this one is checked
    /// against RFC 6120 section 6.5, which has eleven.
    const SASL_FAILURES: [Failure; 11] = [
        Failure::Aborted,
        Failure::AccountDisabled,
        Failure::CredentialsExpired,
        Failure::EncryptionRequired,
        Failure::IncorrectEncoding,
        Failure::InvalidAuthzid,
        Failure::InvalidMechanism,
        Failure::MalformedRequest,
        Failure::MechanismTooWeak,
        Failure::NotAuthorized,
        Failure::TemporaryAuthFailure,
    ];

    #[test]
    fn every_framing_stream_condition_maps_both_ways() {
        for condition in FramingCondition::ALL {
            let stanza = stream_condition_to_stanza(condition);
            assert_eq!(stanza.name(), condition.as_str());
            if condition != FramingCondition::UndefinedCondition {
                assert_ne!(stanza, StanzaCondition::UndefinedCondition, "{condition}");
            }
            assert_eq!(stream_condition_to_framing(&stanza), Some(condition));
        }
    }

    #[test]
    fn every_stanza_stream_condition_maps_except_unknown_ones() {
        let see_other = StanzaCondition::SeeOtherHost("example.net".to_owned());
        assert_eq!(
            stream_condition_to_framing(&see_other),
            Some(FramingCondition::SeeOtherHost)
        );
        let unknown = StanzaCondition::Other(chatwire_xmpp_stanza::minidom::Element::bare(
            "made-up",
            "urn:ietf:params:xml:ns:xmpp-streams",
        ));
        assert_eq!(stream_condition_to_framing(&unknown), None);
        let mapped = FramingCondition::ALL
            .into_iter()
            .map(stream_condition_to_stanza)
            .collect::<Vec<_>>();
        // 25 distinct conditions on each side.
        for (i, a) in mapped.iter().enumerate() {
            for b in mapped.iter().skip(i + 1) {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn every_sasl_failure_maps_both_ways() {
        for failure in SASL_FAILURES {
            let condition = sasl_failure_to_condition(failure);
            assert_eq!(condition.name(), failure.as_str());
            assert!(!matches!(condition, SaslCondition::Other(_)));
            assert_eq!(sasl_condition_to_failure(&condition), Some(failure));
        }
        let other = SaslCondition::Other("made-up".to_owned());
        assert_eq!(sasl_condition_to_failure(&other), None);
    }
}
