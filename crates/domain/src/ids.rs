//! National identifiers, as types that can only hold valid values (SPEC §4).
//!
//! Input may contain spaces; the canonical form has none (and upper-case `2A`/`2B`).

use std::fmt;
use std::str::FromStr;

/// Why an identifier was refused; the message (French) names the rule that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} invalide : {rule}")]
pub struct IdError {
    pub kind: &'static str,
    pub rule: String,
}

fn err(kind: &'static str, rule: impl Into<String>) -> IdError {
    IdError {
        kind,
        rule: rule.into(),
    }
}

/// Removes spaces (ordinary, non-breaking, narrow no-break) that people type for readability.
fn compact(input: &str) -> String {
    // Fast path: identifiers read from files rarely contain spaces.
    if !input.contains([' ', '\u{a0}', '\u{202f}', '\t']) {
        return input.to_owned();
    }
    input
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\t'))
        .collect()
}

/// Luhn (mod 10) check over a string of ASCII digits.
pub fn luhn_valid(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, c) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(c - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum.is_multiple_of(10)
}

/// The Luhn check digit that completes `partial` (used by generators and tests).
pub fn luhn_complete(partial: &str) -> char {
    (0..10u8)
        .map(|d| char::from(b'0' + d))
        .find(|d| luhn_valid(&format!("{partial}{d}")))
        .unwrap_or('0')
}

fn all_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

/// Numéro d'inscription au répertoire (social security number), 15 characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Nir([u8; 15]);

impl Nir {
    const KIND: &'static str = "NIR";

    pub fn parse(input: &str) -> Result<Self, IdError> {
        let s = compact(input).to_ascii_uppercase();
        if s.is_empty() {
            return Err(err(
                Self::KIND,
                "rien de saisi, 15 caractères attendus (13 + clé de 2 chiffres)",
            ));
        }
        if s.len() != 15 || !s.is_ascii() {
            return Err(err(
                Self::KIND,
                format!(
                    "15 caractères attendus (13 + clé de 2 chiffres), {}",
                    crate::french::count(s.chars().count(), "reçu", "reçus")
                ),
            ));
        }
        let b = s.as_bytes();
        if !matches!(b[0], b'1' | b'2' | b'7' | b'8') {
            return Err(err(
                Self::KIND,
                "le 1er caractère (sexe) doit être 1, 2, 7 ou 8",
            ));
        }
        let dept = &s[5..7];
        let corsica = dept == "2A" || dept == "2B";
        if !all_digits(&s[0..5]) || !all_digits(&s[7..]) || !(corsica || all_digits(dept)) {
            return Err(err(
                Self::KIND,
                "seuls des chiffres sont admis, sauf 2A ou 2B pour le département",
            ));
        }
        let month: u8 = s[3..5].parse().unwrap_or(0);
        if !matches!(month, 1..=12 | 20..=42 | 50..=99) {
            return Err(err(
                Self::KIND,
                format!("mois de naissance {month:02} impossible"),
            ));
        }
        let body: u64 = match dept {
            "2A" => format!("{}19{}", &s[0..5], &s[7..13]).parse(),
            "2B" => format!("{}18{}", &s[0..5], &s[7..13]).parse(),
            _ => s[0..13].parse(),
        }
        .map_err(|_| err(Self::KIND, "numéro illisible"))?;
        let expected = 97 - body % 97;
        let key: u64 = s[13..15].parse().unwrap_or(u64::MAX);
        if key != expected {
            return Err(err(
                Self::KIND,
                // The expected key is not told: it would only help to forge a number; the
                // person must re-read the digits.
                format!(
                    "la clé {key:02} ne correspond pas aux 13 premiers chiffres : l’un d’eux est sans doute erroné, vérifiez-les"
                ),
            ));
        }
        let mut out = [0u8; 15];
        out.copy_from_slice(b);
        Ok(Self(out))
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII bytes are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("")
    }

    /// The sex the number gives (1 man, 2 woman); `None` for a temporary number (7, 8),
    /// which says nothing of it.
    pub fn sex(&self) -> Option<crate::beneficiary::Sex> {
        match self.0[0] {
            b'1' => Some(crate::beneficiary::Sex::Male),
            b'2' => Some(crate::beneficiary::Sex::Female),
            _ => None,
        }
    }

    /// A form safe for logs and screens: sex and birth year/month only.
    pub fn masked(&self) -> String {
        format!("{}{}**********", &self.as_str()[..3], &self.as_str()[3..5])
    }
}

/// RPPS number of a health professional: 11 digits, Luhn.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rpps(u64);

impl Rpps {
    const KIND: &'static str = "RPPS";

    pub fn parse(input: &str) -> Result<Self, IdError> {
        let s = compact(input);
        if s.len() != 11 || !all_digits(&s) {
            return Err(err(Self::KIND, "11 chiffres attendus"));
        }
        if !luhn_valid(&s) {
            return Err(err(Self::KIND, "la clé de Luhn ne correspond pas"));
        }
        Ok(Self(
            s.parse().map_err(|_| err(Self::KIND, "numéro illisible"))?,
        ))
    }

    pub fn value(&self) -> u64 {
        self.0
    }

    /// IdNat_PS used by FHIR directories: `8` + RPPS.
    pub fn idnat_ps(&self) -> String {
        format!("8{self}")
    }
}

/// ADELI number: département (2) · profession (2) · sequence (4) · key (1), Luhn.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Adeli([u8; 9]);

impl Adeli {
    const KIND: &'static str = "ADELI";
    pub const PSYCHOLOGUE: &'static str = "93";

    pub fn parse(input: &str) -> Result<Self, IdError> {
        let s = compact(input);
        if s.len() != 9 || !all_digits(&s) {
            return Err(err(Self::KIND, "9 chiffres attendus"));
        }
        if !luhn_valid(&s) {
            return Err(err(Self::KIND, "la clé de Luhn ne correspond pas"));
        }
        let mut out = [0u8; 9];
        out.copy_from_slice(s.as_bytes());
        Ok(Self(out))
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("")
    }

    pub fn profession_code(&self) -> &str {
        &self.as_str()[2..4]
    }

    /// IdNat_PS: `0` + ADELI.
    pub fn idnat_ps(&self) -> String {
        format!("0{}", self.as_str())
    }
}

/// SIRET of an establishment: 14 digits, Luhn.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Siret(u64);

impl Siret {
    const KIND: &'static str = "SIRET";

    pub fn parse(input: &str) -> Result<Self, IdError> {
        let s = compact(input);
        if s.len() != 14 || !all_digits(&s) {
            return Err(err(Self::KIND, "14 chiffres attendus"));
        }
        if !luhn_valid(&s) {
            return Err(err(Self::KIND, "la clé de Luhn ne correspond pas"));
        }
        Ok(Self(
            s.parse().map_err(|_| err(Self::KIND, "numéro illisible"))?,
        ))
    }
}

impl fmt::Display for Nir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
impl fmt::Debug for Nir {
    // Debug output ends up in logs: never the whole NIR.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nir({})", self.masked())
    }
}
impl fmt::Display for Rpps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:011}", self.0)
    }
}
impl fmt::Debug for Rpps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Rpps({self})")
    }
}
impl fmt::Display for Adeli {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
impl fmt::Debug for Adeli {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Adeli({})", self.as_str())
    }
}
impl fmt::Display for Siret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:014}", self.0)
    }
}
impl fmt::Debug for Siret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Siret({self})")
    }
}

macro_rules! from_str_via_parse {
    ($($t:ty),*) => {$(
        impl FromStr for $t {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::parse(s)
            }
        }
    )*};
}
from_str_via_parse!(Nir, Rpps, Adeli, Siret);

/// Whether the text could hold a NIR, valid or not, or most of one: a run of 13 figures or more
/// (`A` and `B` count too, for Corsica's `2A`/`2B`, when the run has 11 figures at least).
///
/// People write a NIR in groups, so between two characters of a run any white space is ignored,
/// with at most one separator (`-`, `.`, `/`, `_`, a dash, a middle dot, or their full-width
/// forms): `1 78 08 69 123 045 67`, `1-78-08-69-123-045-67`, `1 - 78 - 08 …`. Full-width figures
/// (`０`–`９`) and other Unicode digits count as figures. Two dates side by side
/// (`02/11/2026 - 03/11/2026`) trigger it too: for a privacy check, refusing or masking too much
/// is the safe side; a comma or a word between them is enough. This is the one check behind every refused or masked value (cancellation motives,
/// values echoed in error messages and reports).
pub fn could_hold_nir(text: &str) -> bool {
    let (mut run, mut digits) = (0u32, 0u32);
    // Separators seen since the last character of the run.
    let mut separators = 0u32;
    for c in text.chars() {
        if let Some(is_digit) = nir_character(c) {
            if separators > 1 {
                (run, digits) = (0, 0);
            }
            run += 1;
            digits += u32::from(is_digit);
            separators = 0;
            if run >= 13 && digits >= 11 {
                return true;
            }
        } else if c.is_whitespace() {
        } else if is_group_separator(c) {
            separators += 1;
        } else {
            (run, digits, separators) = (0, 0, 0);
        }
    }
    false
}

/// `Some(true)` for a figure (any Unicode digit), `Some(false)` for `A`/`B` in any case or width.
fn nir_character(c: char) -> Option<bool> {
    if c.is_ascii_digit() || c.is_numeric() {
        Some(true)
    } else if matches!(c, 'A' | 'B' | 'a' | 'b' | 'Ａ' | 'Ｂ' | 'ａ' | 'ｂ') {
        Some(false)
    } else {
        None
    }
}

fn is_group_separator(c: char) -> bool {
    matches!(
        c,
        '-' | '.' | '/' | '_' | '\u{2010}'
            ..='\u{2015}' | '\u{2212}' | '·' | '•' | '－' | '．' | '／' | '＿' | '・'
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn nir_spec_example() {
        let nir = Nir::parse("206127511100564").unwrap();
        assert_eq!(nir.as_str(), "206127511100564");
        assert_eq!(Nir::parse("2 06 12 75 111 005 64").unwrap(), nir);
        assert!(
            Nir::parse("206127511100565")
                .unwrap_err()
                .rule
                .contains("clé")
        );
        assert!(!format!("{nir:?}").contains("511100564"));
    }

    #[test]
    fn the_nir_gives_the_sex_but_a_temporary_one_does_not() {
        use crate::beneficiary::Sex;
        assert_eq!(
            Nir::parse("206127511100564").unwrap().sex(),
            Some(Sex::Female)
        );
        let man = Nir::parse("185057800608491").unwrap();
        assert_eq!(man.sex(), Some(Sex::Male));
        let n: u64 = "7850578006084".parse().unwrap();
        let temporary = Nir::parse(&format!("7850578006084{:02}", 97 - n % 97)).unwrap();
        assert_eq!(temporary.sex(), None);
    }

    #[test]
    fn a_short_or_empty_nir_is_counted_in_french() {
        let rule = |s: &str| Nir::parse(s).unwrap_err().rule;
        assert_eq!(
            rule(""),
            "rien de saisi, 15 caractères attendus (13 + clé de 2 chiffres)"
        );
        assert!(rule("1").ends_with("1\u{a0}reçu"), "{}", rule("1"));
        assert!(rule("123").ends_with("3\u{a0}reçus"), "{}", rule("123"));
    }

    #[test]
    fn nir_corsica() {
        // 1 85 05 2A 004 123 + key computed with 2A -> 19.
        let n: u64 = "1850519004123".parse().unwrap();
        let key = 97 - n % 97;
        let nir = Nir::parse(&format!("185052A004123{key:02}")).unwrap();
        assert_eq!(&nir.as_str()[5..7], "2A");
        assert!(Nir::parse(&format!("185052a004123{key:02}")).is_ok());
        let n: u64 = "1850518004123".parse().unwrap();
        assert!(Nir::parse(&format!("185052B004123{:02}", 97 - n % 97)).is_ok());
        // The 2A key does not validate a 2B number.
        assert!(Nir::parse(&format!("185052B004123{key:02}")).is_err());
    }

    #[test]
    fn nir_rejections_name_the_rule() {
        assert!(
            Nir::parse("20612751110056")
                .unwrap_err()
                .rule
                .contains("15 caractères")
        );
        assert!(
            Nir::parse("306127511100564")
                .unwrap_err()
                .rule
                .contains("sexe")
        );
        assert!(
            Nir::parse("206137511100564")
                .unwrap_err()
                .rule
                .contains("mois")
        );
        assert!(
            Nir::parse("2061275111005X4")
                .unwrap_err()
                .rule
                .contains("chiffres")
        );
        assert!(Nir::parse("20612éé11100564").is_err());
    }

    #[test]
    fn rpps_adeli_siret() {
        let rpps = format!("1000000000{}", luhn_complete("1000000000"));
        assert!(Rpps::parse(&rpps).is_ok());
        assert_eq!(Rpps::parse(&rpps).unwrap().to_string(), rpps);
        assert_eq!(Rpps::parse(&rpps).unwrap().idnat_ps(), format!("8{rpps}"));
        assert!(Rpps::parse("1234567890").is_err());
        assert!(Rpps::parse("1234567890a").is_err());
        // A known valid SIRET (INSEE's own).
        assert!(Siret::parse("120 027 016 00019").is_ok());
        assert!(Siret::parse("12002701600018").is_err());
        let adeli = format!("69930001{}", luhn_complete("69930001"));
        let a = Adeli::parse(&adeli).unwrap();
        assert_eq!(a.profession_code(), "93");
        assert_eq!(a.idnat_ps(), format!("0{adeli}"));
        let wrong = (luhn_complete("69930001") as u8 - b'0' + 1) % 10;
        assert!(Adeli::parse(&format!("69930001{wrong}")).is_err());
    }

    fn nir_body() -> impl Strategy<Value = String> {
        (
            prop::sample::select(vec!['1', '2', '7', '8']),
            0u32..100,
            prop::sample::select(
                (1u32..=12)
                    .chain(20..=42)
                    .chain(50..=99)
                    .collect::<Vec<_>>(),
            ),
            prop::sample::select(vec![
                "01".to_string(),
                "75".into(),
                "2A".into(),
                "2B".into(),
                "99".into(),
                "97".into(),
            ]),
            0u32..1000,
            0u32..1000,
        )
            .prop_map(|(s, y, m, d, c, o)| format!("{s}{y:02}{m:02}{d}{c:03}{o:03}"))
    }

    fn nir_key(body: &str) -> u64 {
        let numeric = body.replace("2A", "19").replace("2B", "18");
        97 - numeric.parse::<u64>().unwrap() % 97
    }

    proptest! {
        #[test]
        fn every_nir_with_its_key_is_valid(body in nir_body()) {
            let key = nir_key(&body);
            let nir = Nir::parse(&format!("{body}{key:02}")).unwrap();
            prop_assert_eq!(nir.as_str(), format!("{body}{key:02}"));
        }

        #[test]
        fn every_wrong_nir_key_is_refused(body in nir_body(), delta in 1u64..97) {
            let key = (nir_key(&body) + delta) % 100;
            prop_assume!(key != nir_key(&body));
            let candidate = format!("{body}{key:02}");
            prop_assert!(Nir::parse(&candidate).is_err());
        }

        #[test]
        fn luhn_completion_validates_and_one_digit_change_breaks_it(partial in "[0-9]{10}", pos in 0usize..11, bump in 1u8..10) {
            let full = format!("{partial}{}", luhn_complete(&partial));
            prop_assert!(Rpps::parse(&full).is_ok());
            let mut bytes = full.into_bytes();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + bump) % 10;
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert!(Rpps::parse(&changed).is_err());
        }

        #[test]
        fn siret_luhn_single_digit_errors(partial in "[0-9]{13}", pos in 0usize..14, bump in 1u8..10) {
            let full = format!("{partial}{}", luhn_complete(&partial));
            prop_assert!(Siret::parse(&full).is_ok());
            let mut bytes = full.into_bytes();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + bump) % 10;
            prop_assert!(Siret::parse(&String::from_utf8(bytes).unwrap()).is_err());
        }
    }

    /// A NIR (valid key or not) written as people write one: grouped 1·2·2·2·3·3·2, each gap
    /// empty, spaces or one separator, figures possibly full-width, inside other text.
    fn written_nir() -> impl Strategy<Value = String> {
        let gap = prop::sample::select(vec![
            "", " ", "  ", "-", ".", "/", "_", " - ", "\u{a0}", "\u{202f}", "–", "·", "－", "．",
        ]);
        (
            nir_body(),
            0u64..100,
            prop::collection::vec(gap, 6),
            any::<bool>(),
            "[c-zé ,;:«»]{0,20}",
            "[c-zé ,;:«»]{0,20}",
        )
            .prop_map(|(body, key, gaps, wide, before, after)| {
                let nir = format!("{body}{key:02}");
                let mut out = before;
                // Keep the text around from touching the number.
                out.push(' ');
                let mut at = 0;
                for (i, len) in [1, 2, 2, 2, 3, 3, 2].into_iter().enumerate() {
                    if i > 0 {
                        out.push_str(gaps[i - 1]);
                    }
                    for c in nir[at..at + len].chars() {
                        out.push(match (wide, c) {
                            (true, '0'..='9') => {
                                char::from_u32(0xFF10 + (c as u32 - 0x30)).unwrap()
                            }
                            (true, 'A' | 'B') => {
                                char::from_u32(0xFF21 + (c as u32 - 0x41)).unwrap()
                            }
                            _ => c,
                        });
                    }
                    at += len;
                }
                out.push(' ');
                out.push_str(&after);
                out
            })
    }

    proptest! {
        #[test]
        fn a_nir_however_written_is_seen(text in written_nir()) {
            prop_assert!(could_hold_nir(&text), "{}", text);
        }

        #[test]
        fn text_with_fewer_than_eleven_figures_is_never_taken_for_one(
            text in "[0-9a-zA-Z \\-./_]{0,40}"
        ) {
            prop_assume!(text.chars().filter(char::is_ascii_digit).count() < 11);
            prop_assert!(!could_hold_nir(&text));
        }
    }

    #[test]
    fn text_that_could_hold_a_nir() {
        assert!(could_hold_nir("patient 206127511100564"));
        assert!(could_hold_nir("2 06 12 75 111 005 64"));
        assert!(could_hold_nir("1 85 05 2A 123 456 78"));
        assert!(!could_hold_nir("séance du 2026-11-02, rang 12"));
        assert!(!could_hold_nir("erreur de patient"));
        // Issue 13: separators and full-width figures.
        for written in [
            "1-78-08-69-123-045-67",
            "1.78.08.69.123.045.67",
            "1/78/08/69/123/045/67",
            "1_78_08_69_123_045_67",
            "1–78–08–69–123–045–67",
            "１７８０８６９１２３０４５６７",
            "１ ７８ ０８ ６９ １２３ ０４５ ６７",
            "acte « 1 85 05 2A 123 456 78 » inconnu",
            "1  78\u{a0}08\u{202f}69 123 045 67",
            "1 - 78 - 08 - 69 - 123 - 045 - 67",
        ] {
            assert!(could_hold_nir(written), "{written}");
        }
        assert!(!could_hold_nir("séance du 02/11/2026, rang 12"));
        assert!(!could_hold_nir("rang 12, 50.00 €, 2026-11-02"));
        assert!(!could_hold_nir("1--78--08--69--123--045--67"));
    }
}
