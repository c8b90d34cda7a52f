//! Referral letters (courriers d'adressage, SPEC §3, §6, §7 `ADRESSAGE`): the verification code
//! printed on a letter, the contexts a letter may name, and whether a letter is valid for a
//! session. A letter never states a number of sessions.

use crate::dates::minus_months;
use crate::ids::IdError;
use crate::{Date, ReferrerKind, Rules};

/// Letters and digits that cannot be mistaken for one another (no 0/O, 1/I/L).
pub const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// Characters of a verification code.
pub const CODE_LEN: usize = 8;

/// The code made of `CODE_LEN` picks in [`CODE_ALPHABET`] (`pick(n)` returns an index below
/// `n`; the caller brings the randomness).
pub fn code_from(mut pick: impl FnMut(usize) -> usize) -> String {
    (0..CODE_LEN)
        .map(|_| char::from(CODE_ALPHABET[pick(CODE_ALPHABET.len()) % CODE_ALPHABET.len()]))
        .collect()
}

/// `ABCD-EFGH`, as printed.
pub fn display_code(code: &str) -> String {
    if code.len() == CODE_LEN && code.is_ascii() {
        format!("{}-{}", &code[..4], &code[4..])
    } else {
        code.to_owned()
    }
}

/// The canonical code from what was typed (case, spaces and dashes ignored).
pub fn parse_code(typed: &str) -> Result<String, IdError> {
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect();
    if code.len() == CODE_LEN && code.bytes().all(|b| CODE_ALPHABET.contains(&b)) {
        Ok(code)
    } else {
        Err(IdError {
            kind: "Code de vérification",
            rule: format!(
                "{CODE_LEN} caractères, chiffres de 2 à 9 et lettres sauf I, L et O (ex. K7QM-4TXZ)."
            ),
        })
    }
}

/// The contexts a letter may name: (code, French label).
pub const CONTEXTS: [(&str, &str); 5] = [
    ("maladie", "Maladie"),
    ("ald", "Affection de longue durée"),
    ("maternite", "Maternité"),
    ("atmp", "Accident du travail / maladie professionnelle"),
    ("tiers", "Accident causé par un tiers"),
];

/// The French label of a context code, if it is one.
pub fn context_label(code: &str) -> Option<&'static str> {
    CONTEXTS.iter().find(|(c, _)| *c == code).map(|(_, l)| *l)
}

impl ReferrerKind {
    /// « médecin », « sage-femme ».
    pub fn label_fr(self) -> &'static str {
        match self {
            ReferrerKind::Medecin => "médecin",
            ReferrerKind::SageFemme => "sage-femme",
        }
    }
}

fn fr(d: Date) -> String {
    d.strftime("%d/%m/%Y").to_string()
}

/// Whether a letter of `kind` dated `letter` is valid for a session on `session`, with the
/// reason in French either way: dated on or before the session, not more than the validity
/// (6 months) before it, from a kind of referrer allowed on the session date.
pub fn letter_validity(
    rules: &Rules,
    letter: Date,
    kind: ReferrerKind,
    session: Date,
) -> Result<String, String> {
    let Some(regime) = rules.regime_on(session) else {
        return Err(format!(
            "La séance du {} est antérieure au dispositif Mon soutien psy (lancé le {}).",
            fr(session),
            fr(rules.programme_start)
        ));
    };
    if letter > session {
        return Err(format!(
            "Le courrier est daté du {}, après la séance du {} : il doit être daté du jour de l’entretien d’évaluation ou d’avant.",
            fr(letter),
            fr(session)
        ));
    }
    let months = rules.referral_validity_months;
    let earliest = minus_months(session, months);
    if letter < earliest {
        return Err(format!(
            "Le courrier du {} a plus de {months} mois le {} : pour cette séance, il devait être daté du {} ou après.",
            fr(letter),
            fr(session),
            fr(earliest)
        ));
    }
    if !regime.referrer_allowed(kind, session) {
        let from = regime
            .referrers
            .iter()
            .find(|r| r.kind == kind)
            .map(|r| format!(" (accepté pour les séances à partir du {})", fr(r.from)))
            .unwrap_or_default();
        return Err(format!(
            "Un courrier d’adressage de {} n’est pas accepté pour une séance du {}{from}.",
            kind.label_fr(),
            fr(session)
        ));
    }
    Ok(if regime.referral_required {
        format!(
            "Courrier valable pour un entretien d’évaluation le {} (daté du {}, valable {months} mois).",
            fr(session),
            fr(letter)
        )
    } else {
        format!(
            "Courrier valable le {} (daté du {}). Depuis le 15 juin 2024, l’accès au psychologue est direct : le courrier n’est plus obligatoire.",
            fr(session),
            fr(letter)
        )
    })
}

/// The last session date for which a letter dated `letter` is not older than `months` (the
/// bound of [`letter_validity`]: `letter >= session - months`).
pub fn valid_until(letter: Date, months: i32) -> Date {
    let mut d = letter
        .checked_add(jiff::Span::new().months(months))
        .unwrap_or(letter);
    // Month ends: 2023-08-31 + 6 months is 2024-02-29, and so is every later day's bound.
    for _ in 0..4 {
        match d.tomorrow() {
            Ok(next) if minus_months(next, months) <= letter => d = next,
            _ => break,
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn codes_are_short_and_unambiguous() {
        let mut seed = 7usize;
        for _ in 0..200 {
            let c = code_from(|n| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (seed >> 33) % n
            });
            assert_eq!(parse_code(&c), Ok(c.clone()));
            assert!(!c.contains(['0', '1', 'O', 'I', 'L']));
        }
        assert_eq!(parse_code(" k7qm-4txz "), Ok("K7QM4TXZ".into()));
        let e = parse_code("K7QM-4TX0").unwrap_err().to_string();
        assert!(
            e.starts_with("Code de vérification invalide : 8 caractères"),
            "{e}"
        );
        assert!(parse_code("K7QM").is_err());
        assert!(parse_code("K7QM-4TXZ2").is_err());
        assert_eq!(display_code("K7QM4TXZ"), "K7QM-4TXZ");
        assert_eq!(display_code("ÉÉÉÉ"), "ÉÉÉÉ");
    }

    #[test]
    fn contexts_have_labels() {
        assert_eq!(context_label("ald"), Some("Affection de longue durée"));
        assert_eq!(context_label("vacances"), None);
        assert_eq!(ReferrerKind::SageFemme.label_fr(), "sage-femme");
    }

    #[test]
    fn validity_follows_the_rules() {
        let rules = Rules::standard();
        let doc = ReferrerKind::Medecin;
        // Six calendar months (SPEC §7 example).
        assert!(letter_validity(&rules, date(2022, 9, 29), doc, date(2023, 3, 29)).is_ok());
        let e = letter_validity(&rules, date(2022, 9, 28), doc, date(2023, 3, 29)).unwrap_err();
        assert!(
            e.contains("plus de 6 mois") && e.contains("29/09/2022"),
            "{e}"
        );
        // Dated after the session; on the session day it is valid.
        let e = letter_validity(&rules, date(2023, 3, 30), doc, date(2023, 3, 29)).unwrap_err();
        assert!(e.contains("après la séance"), "{e}");
        assert!(letter_validity(&rules, date(2023, 3, 29), doc, date(2023, 3, 29)).is_ok());
        // Midwives from 2023-12-25 only.
        let sf = ReferrerKind::SageFemme;
        let e = letter_validity(&rules, date(2023, 12, 1), sf, date(2023, 12, 24)).unwrap_err();
        assert!(e.contains("sage-femme") && e.contains("25/12/2023"), "{e}");
        assert!(letter_validity(&rules, date(2023, 12, 1), sf, date(2023, 12, 25)).is_ok());
        // Before the programme.
        let e = letter_validity(&rules, date(2022, 1, 1), doc, date(2022, 4, 4)).unwrap_err();
        assert!(e.contains("antérieure au dispositif"), "{e}");
        // 2022 regime: the letter is required, and said to be valid for the EEP.
        let ok = letter_validity(&rules, date(2022, 9, 29), doc, date(2022, 10, 3)).unwrap();
        assert!(ok.contains("valable 6 mois"), "{ok}");
        // Direct access since 2024-06-15: valid, and said to be optional.
        let ok = letter_validity(&rules, date(2026, 11, 1), doc, date(2026, 11, 23)).unwrap();
        assert!(ok.contains("n’est plus obligatoire"), "{ok}");
    }

    #[test]
    fn validity_end_matches_the_rule() {
        let rules = Rules::standard();
        let doc = ReferrerKind::Medecin;
        for letter in [
            date(2022, 9, 29),
            date(2023, 8, 31),
            date(2024, 2, 29),
            date(2026, 11, 2),
            date(2023, 12, 31),
        ] {
            let end = valid_until(letter, 6);
            assert!(
                letter_validity(&rules, letter, doc, end).is_ok(),
                "{letter} valid on {end}"
            );
            let after = end.tomorrow().unwrap();
            assert!(
                letter_validity(&rules, letter, doc, after).is_err(),
                "{letter} no longer valid on {after}"
            );
        }
        assert_eq!(valid_until(date(2022, 9, 29), 6), date(2023, 3, 29));
        assert_eq!(valid_until(date(2023, 8, 31), 6), date(2024, 2, 29));
    }
}
