//! Delivery confidence: the five-point rating of UK government major projects.

use serde::{Deserialize, Serialize};

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryConfidence {
    Green,
    AmberGreen,
    Amber,
    AmberRed,
    Red,
}

impl DeliveryConfidence {
    pub const ALL: [DeliveryConfidence; 5] = [
        DeliveryConfidence::Green,
        DeliveryConfidence::AmberGreen,
        DeliveryConfidence::Amber,
        DeliveryConfidence::AmberRed,
        DeliveryConfidence::Red,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryConfidence::Green => "green",
            DeliveryConfidence::AmberGreen => "amber_green",
            DeliveryConfidence::Amber => "amber",
            DeliveryConfidence::AmberRed => "amber_red",
            DeliveryConfidence::Red => "red",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DeliveryConfidence::Green => "Green",
            DeliveryConfidence::AmberGreen => "Amber/Green",
            DeliveryConfidence::Amber => "Amber",
            DeliveryConfidence::AmberRed => "Amber/Red",
            DeliveryConfidence::Red => "Red",
        }
    }

    /// GOV.UK tag colour class suffix.
    pub fn tag_colour(self) -> &'static str {
        match self {
            DeliveryConfidence::Green => "green",
            DeliveryConfidence::AmberGreen => "turquoise",
            DeliveryConfidence::Amber => "yellow",
            DeliveryConfidence::AmberRed => "orange",
            DeliveryConfidence::Red => "red",
        }
    }

    /// Accepts "amber_red", "Amber/Red", "amber-red", "AR".
    pub fn parse(s: &str) -> Result<Self, String> {
        let norm = s.trim().to_ascii_lowercase().replace(['/', '-', ' '], "_");
        let found = match norm.as_str() {
            "g" => Some(DeliveryConfidence::Green),
            "ag" => Some(DeliveryConfidence::AmberGreen),
            "a" => Some(DeliveryConfidence::Amber),
            "ar" => Some(DeliveryConfidence::AmberRed),
            "r" => Some(DeliveryConfidence::Red),
            _ => DeliveryConfidence::ALL
                .into_iter()
                .find(|c| c.as_str() == norm),
        };
        found.ok_or_else(|| {
            format!(
                "'{}' is not a delivery confidence; use green, amber_green, amber, amber_red or red",
                s.trim()
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_spellings() {
        assert_eq!(
            DeliveryConfidence::parse("Amber/Red").unwrap(),
            DeliveryConfidence::AmberRed
        );
        assert_eq!(
            DeliveryConfidence::parse("amber-green").unwrap(),
            DeliveryConfidence::AmberGreen
        );
        assert_eq!(
            DeliveryConfidence::parse("R").unwrap(),
            DeliveryConfidence::Red
        );
        assert!(DeliveryConfidence::parse("purple")
            .unwrap_err()
            .contains("purple"));
    }
}
