//! Languages a psychologist may speak besides French: ISO 639 codes (`lsf` for the French sign
//! language), with the French names the pages show.

pub const LANGUAGES: &[(&str, &str)] = &[
    ("en", "anglais"),
    ("ar", "arabe"),
    ("de", "allemand"),
    ("es", "espagnol"),
    ("it", "italien"),
    ("pt", "portugais"),
    ("ru", "russe"),
    ("uk", "ukrainien"),
    ("pl", "polonais"),
    ("ro", "roumain"),
    ("tr", "turc"),
    ("zh", "chinois"),
    ("vi", "vietnamien"),
    ("he", "hébreu"),
    ("fa", "persan"),
    ("hy", "arménien"),
    ("el", "grec"),
    ("nl", "néerlandais"),
    ("kab", "kabyle"),
    ("wo", "wolof"),
    ("br", "breton"),
    ("oc", "occitan"),
    ("co", "corse"),
    ("rcf", "créole réunionnais"),
    ("gcf", "créole guadeloupéen"),
    ("lsf", "langue des signes française"),
];

/// French name of a language code.
pub fn name_fr(code: &str) -> Option<&'static str> {
    LANGUAGES.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// The code of a language, given its code or its French name (any case, accents optional).
pub fn parse(input: &str) -> Option<&'static str> {
    let key = msp_geo::normalize(input);
    LANGUAGES
        .iter()
        .find(|(c, n)| *c == key || msp_geo::normalize(n) == key)
        .map(|(c, _)| *c)
}

/// « en, ar, de, … » for error messages.
pub fn codes_list() -> String {
    LANGUAGES
        .iter()
        .map(|(c, _)| *c)
        .collect::<Vec<_>>()
        .join(", ")
}
