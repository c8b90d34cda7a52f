//! French typography for everything users read: ordinals, counts with agreement, numbers, and
//! place names after a preposition (« près du Mans », « d'Ajaccio »).
//!
//! Pure functions, no allocation beyond the returned `String`. Conventions (Imprimerie
//! nationale, *Lexique des règles typographiques*):
//!
//! - ordinals: « 1er » (masculine), « 1re » (feminine), « 2e », « 3e »… — never « 1ᵉ », « 1e »,
//!   « 2ème ». [`ordinal_parts`] gives the number and suffix apart, for a page that sets the
//!   suffix in superscript (`<sup>re</sup>`).
//! - plural from 2: « 0 ligne », « 1 ligne », « 2 lignes »; the number and its noun are joined
//!   by a no-break space (U+00A0) and thousands are grouped by a narrow no-break space (U+202F):
//!   « 129 200 demandes ».
//! - place names keep the capital of their article (« de La Rochelle »), except where the
//!   article contracts with the preposition: « du Mans », « au Mans », « des Sables-d'Olonne »,
//!   « aux Sables-d'Olonne ». Before a vowel or a mute h the preposition elides: « d'Ajaccio »,
//!   « d'Évry », « d'Hyères »; before an aspirated h it does not (« de Haguenau », from a short
//!   list, [`ASPIRATED_H`]). A name without an article gets none: the commune « Île-de-Batz »
//!   is « d'Île-de-Batz », not « de l'Île-de-Batz » (we do not invent articles the official
//!   name does not have).
//!
//! The elided apostrophe is the typographic `’`; a name's own ASCII `'` (as in
//! `data/communes.csv`, « Les Sables-d'Olonne ») is turned into `’` too, so that one phrase
//! never mixes two apostrophes.

/// Grammatical gender of the noun an ordinal qualifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gender {
    Masculine,
    Feminine,
}

/// The number and its suffix: `(1, "er")`, `(1, "re")`, `(2, "e")`.
pub fn ordinal_parts(n: u64, gender: Gender) -> (u64, &'static str) {
    let suffix = match (n, gender) {
        (1, Gender::Masculine) => "er",
        (1, Gender::Feminine) => "re",
        _ => "e",
    };
    (n, suffix)
}

/// « 1er », « 1re », « 2e », « 12e ».
pub fn ordinal(n: u64, gender: Gender) -> String {
    let (n, suffix) = ordinal_parts(n, gender);
    format!("{n}{suffix}")
}

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// The name of a month (1 to 12), « janvier »…; out of range reads as the nearest month.
pub fn month_name(month: i8) -> &'static str {
    MONTHS[usize::try_from(month.clamp(1, 12) - 1).unwrap_or(0)]
}

/// The day of a date as a long French date writes it: « 1er » for the first, else the number.
pub fn day_of_month(day: i8) -> String {
    if day == 1 {
        "1er".to_owned()
    } else {
        day.to_string()
    }
}

/// `one` for 0 and 1, `many` from 2 (French usage: « 0 ligne », « 1,5 heure »).
pub fn plural<'a>(n: u64, one: &'a str, many: &'a str) -> &'a str {
    if n >= 2 { many } else { one }
}

/// The number, grouped by thousands with narrow no-break spaces: « 1 234 567 », « -5 000 ».
pub fn number(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

/// A decimal number with a decimal comma: `decimal(2.5, 1)` is « 2,5 ».
pub fn decimal(value: f64, places: usize) -> String {
    format!("{value:.places$}").replace('.', ",")
}

/// A count and its agreed words, joined by a no-break space: `count(2, "ligne importée",
/// "lignes importées")` is « 2 lignes importées », `count(1, …)` « 1 ligne importée ». Any
/// integer type (lengths, database counts); a negative count reads as 0.
pub fn count<N: TryInto<u64>>(n: N, one: &str, many: &str) -> String {
    let n = n.try_into().unwrap_or(0);
    format!(
        "{}\u{a0}{}",
        number(i64::try_from(n).unwrap_or(i64::MAX)),
        plural(n, one, many)
    )
}

/// « 1 chiffre sur 22 »: a part of a whole, agreed with the part.
pub fn part_of(n: u64, total: u64, one: &str, many: &str) -> String {
    format!(
        "{} sur {}",
        count(n, one, many),
        number(i64::try_from(total).unwrap_or(i64::MAX))
    )
}

/// Communes whose initial h is aspirated (no elision: « de Haguenau »). Other names starting
/// with h are taken as mute (« d'Hyères », « d'Hérouville-Saint-Clair »).
pub const ASPIRATED_H: &[&str] = &[
    "Hagondange",
    "Haguenau",
    "Halluin",
    "Hautmont",
    "Hayange",
    "Hazebrouck",
    "Hem",
    "Hénin-Beaumont",
    "Hirson",
    "Hondschoote",
    "Honfleur",
    "Houilles",
];

/// The article a commune's name starts with, and the rest of the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Article {
    /// « Le Mans »
    Le,
    /// « La Rochelle »
    La,
    /// « Les Sables-d'Olonne »
    Les,
    /// « L'Escale » (the name keeps its own apostrophe)
    Elided,
    None,
}

fn split_article(name: &str) -> (Article, &str) {
    for (prefix, article) in [
        ("Le ", Article::Le),
        ("La ", Article::La),
        ("Les ", Article::Les),
    ] {
        if let Some(rest) = name.strip_prefix(prefix) {
            return (article, rest);
        }
    }
    if name.starts_with("L'") || name.starts_with("L\u{2019}") {
        return (Article::Elided, name);
    }
    (Article::None, name)
}

/// Whether a preposition elides before this word (vowel, mute h, y before a consonant).
pub fn elides_before(word: &str) -> bool {
    let mut chars = word.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let lower: String = first.to_lowercase().collect();
    match lower.as_str() {
        "a" | "à" | "â" | "ä" | "æ" | "e" | "é" | "è" | "ê" | "ë" | "i" | "î" | "ï" | "o" | "ô"
        | "ö" | "œ" | "u" | "ù" | "û" | "ü" => true,
        "y" | "ÿ" => chars.next().is_some_and(|c| !elides_before(&c.to_string())),
        "h" => !ASPIRATED_H.iter().any(|h| {
            word.strip_prefix(h)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '-']))
        }),
        _ => false,
    }
}

/// « de » before a place name: « du Mans », « de La Rochelle », « des Sables-d'Olonne »,
/// « de L'Escale », « d'Ajaccio », « d'Évry », « de Lyon ».
pub fn of_place(name: &str) -> String {
    let phrase = match split_article(name) {
        (Article::Le, rest) => format!("du {rest}"),
        (Article::Les, rest) => format!("des {rest}"),
        (Article::La | Article::Elided, _) => format!("de {name}"),
        (Article::None, _) if elides_before(name) => format!("d'{name}"),
        (Article::None, _) => format!("de {name}"),
    };
    phrase.replace('\'', "\u{2019}")
}

/// « de » before a month's name: « de mars », « d’avril », « d’août », « d’octobre ».
pub fn of_month(month: i8) -> String {
    let name = month_name(month);
    if elides_before(name) {
        format!("d\u{2019}{name}")
    } else {
        format!("de {name}")
    }
}

/// « à » before a place name: « au Mans », « à La Rochelle », « aux Sables-d'Olonne »,
/// « à Ajaccio », « à Lyon ».
pub fn at_place(name: &str) -> String {
    match split_article(name) {
        (Article::Le, rest) => format!("au {rest}"),
        (Article::Les, rest) => format!("aux {rest}"),
        _ => format!("à {name}"),
    }
}

/// « près du Mans », « près d'Évry », « près de La Rochelle ».
pub fn near_place(name: &str) -> String {
    format!("près {}", of_place(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_and_first_days() {
        assert_eq!(month_name(1), "janvier");
        assert_eq!(month_name(12), "décembre");
        assert_eq!(day_of_month(1), "1er");
        assert_eq!(day_of_month(23), "23");
    }

    #[test]
    fn ordinals() {
        assert_eq!(ordinal(1, Gender::Feminine), "1re");
        assert_eq!(ordinal(1, Gender::Masculine), "1er");
        assert_eq!(ordinal(2, Gender::Feminine), "2e");
        assert_eq!(ordinal(3, Gender::Masculine), "3e");
        assert_eq!(ordinal(12, Gender::Feminine), "12e");
        assert_eq!(ordinal(21, Gender::Feminine), "21e");
        assert_eq!(ordinal_parts(1, Gender::Feminine), (1, "re"));
        for n in 1..200 {
            for g in [Gender::Masculine, Gender::Feminine] {
                let o = ordinal(n, g);
                assert!(!o.contains('ᵉ') && !o.ends_with("ème"), "{o}");
                assert!(n != 1 || o != "1e", "{o}");
            }
        }
    }

    #[test]
    fn counts_agree_from_two() {
        assert_eq!(
            count(1, "ligne importée", "lignes importées"),
            "1\u{a0}ligne importée"
        );
        assert_eq!(
            count(2, "ligne importée", "lignes importées"),
            "2\u{a0}lignes importées"
        );
        assert_eq!(
            count(0, "ligne importée", "lignes importées"),
            "0\u{a0}ligne importée"
        );
        assert_eq!(
            part_of(1, 22, "chiffre", "chiffres"),
            "1\u{a0}chiffre sur 22"
        );
        assert_eq!(
            count(129_200, "demande", "demandes"),
            "129\u{202f}200\u{a0}demandes"
        );
    }

    #[test]
    fn decimals_take_a_comma() {
        assert_eq!(decimal(2.5, 1), "2,5");
        assert_eq!(decimal(0.123, 2), "0,12");
        assert_eq!(decimal(3.0, 0), "3");
    }

    #[test]
    fn numbers_group_by_thousands() {
        assert_eq!(number(0), "0");
        assert_eq!(number(999), "999");
        assert_eq!(number(1000), "1\u{202f}000");
        assert_eq!(number(1_234_567), "1\u{202f}234\u{202f}567");
        assert_eq!(number(-5000), "-5\u{202f}000");
        assert_eq!(
            number(i64::MIN)
                .chars()
                .filter(|c| c.is_ascii_digit())
                .count(),
            19
        );
    }

    #[test]
    fn places_with_articles_and_elision() {
        assert_eq!(near_place("Le Mans"), "près du Mans");
        assert_eq!(near_place("La Rochelle"), "près de La Rochelle");
        assert_eq!(
            near_place("Les Sables-d’Olonne"),
            "près des Sables-d’Olonne"
        );
        assert_eq!(of_place("Ajaccio"), "d’Ajaccio");
        assert_eq!(of_place("Île-de-Batz"), "d’Île-de-Batz");
        assert_eq!(
            near_place("Évry-Courcouronnes"),
            "près d’Évry-Courcouronnes"
        );
        assert_eq!(of_place("Évry"), "d’Évry");
        assert_eq!(of_place("Lyon"), "de Lyon");
        assert_eq!(of_place("L’Escale"), "de L’Escale");
        assert_eq!(of_place("L'Escale"), "de L’Escale");
        assert_eq!(
            near_place("Les Sables-d'Olonne"),
            "près des Sables-d’Olonne"
        );
        assert_eq!(of_place("Hyères"), "d’Hyères");
        assert_eq!(of_place("Haguenau"), "de Haguenau");
        assert_eq!(of_place("Hem"), "de Hem");
        assert_eq!(of_place("Hermanville-sur-Mer"), "d’Hermanville-sur-Mer");
        assert_eq!(of_place("Yvetot"), "d’Yvetot");
        assert_eq!(of_place("Yaucourt-Bussus"), "de Yaucourt-Bussus");
        assert_eq!(of_place("Œuilly"), "d’Œuilly");
        assert_eq!(of_place("Le Havre"), "du Havre");
        assert_eq!(of_place("Lesparre-Médoc"), "de Lesparre-Médoc");
        assert_eq!(of_place("Lens"), "de Lens");
        assert_eq!(at_place("Le Mans"), "au Mans");
        assert_eq!(at_place("Les Ulis"), "aux Ulis");
        assert_eq!(at_place("La Rochelle"), "à La Rochelle");
        assert_eq!(at_place("Ajaccio"), "à Ajaccio");
        assert_eq!(of_place(""), "de ");
        assert_eq!(near_place("Le Mans (72)"), "près du Mans (72)");
        assert_eq!(of_place("Ajaccio (2A)"), "d’Ajaccio (2A)");
        assert_eq!(of_month(3), "de mars");
        assert_eq!(of_month(4), "d’avril");
        assert_eq!(of_month(8), "d’août");
        assert_eq!(of_month(10), "d’octobre");
    }
}
