//! Time as the caller passes it in, and the XEP-0082 form a `<delay/>`
//! stamp takes (XEP-0203).

use std::fmt::Write as _;

/// A point in time: milliseconds since 1970-01-01T00:00:00Z. The machine
/// reads no clock; the caller passes the time with each event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub u64);

impl Timestamp {
    /// The XEP-0082 DateTime profile in UTC, to the millisecond:
    /// `2002-09-10T23:08:25.000Z`.
    pub fn to_xep0082(self) -> String {
        let millis = self.0 % 1000;
        let secs = self.0 / 1000;
        let (hour, minute, second) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
        let (year, month, day) = civil_from_days(secs / 86_400);
        let mut out = String::with_capacity(24);
        // Writing to a String cannot fail.
        let _ = write!(
            out,
            "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{millis:03}Z"
        );
        out
    }
}

/// The proleptic Gregorian date `days` days after 1970-01-01, by counting
/// 400-year eras of 146,097 days from 0000-03-01 (so that the leap day
/// falls at the end of each year counted).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        // XEP-0082 example and edges checked against `date -u -d @N`.
        assert_eq!(Timestamp(0).to_xep0082(), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            Timestamp(1_031_699_305_000).to_xep0082(),
            "2002-09-10T23:08:25.000Z"
        );
        assert_eq!(
            Timestamp(951_782_400_123).to_xep0082(),
            "2000-02-29T00:00:00.123Z"
        );
        assert_eq!(
            Timestamp(4_107_542_399_999).to_xep0082(),
            "2100-02-28T23:59:59.999Z"
        );
        assert_eq!(
            Timestamp(4_107_542_400_000).to_xep0082(),
            "2100-03-01T00:00:00.000Z"
        );
    }
}
