//! Conventionnement (SPEC §10): the automatic checks of an application, the decision deadline
//! (silence means rejection) and the notice of a withdrawal. Pure: the caller passes the
//! registry row it found and "today".

use crate::dates::minus_months;
use crate::{Adeli, Date, RegistryEntry, Rpps};

/// Full-time clinical experience required, in months (3 years).
pub const EXPERIENCE_MONTHS_REQUIRED: u32 = 36;
/// The decision is due within this many months of the complete file.
pub const DECISION_MONTHS: i32 = 4;
/// A psychologist leaves the programme with this many months' notice.
pub const NOTICE_MONTHS: i32 = 2;

/// Kinds of supporting documents of an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentKind {
    /// Master's in psychology (or equivalent).
    Diploma,
    /// Proof of 3 years' full-time clinical experience.
    Experience,
    /// Anything else the applicant wants the committee to read.
    Other,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 3] = [
        DocumentKind::Diploma,
        DocumentKind::Experience,
        DocumentKind::Other,
    ];
    /// Documents without which a file is not complete.
    pub const REQUIRED: [DocumentKind; 2] = [DocumentKind::Diploma, DocumentKind::Experience];

    pub fn code(self) -> &'static str {
        match self {
            DocumentKind::Diploma => "diplome",
            DocumentKind::Experience => "experience",
            DocumentKind::Other => "autre",
        }
    }

    pub fn parse(code: &str) -> Option<DocumentKind> {
        DocumentKind::ALL
            .into_iter()
            .find(|k| k.code() == code.trim())
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            DocumentKind::Diploma => "Diplôme (master de psychologie ou équivalent)",
            DocumentKind::Experience => "Attestation d’expérience clinique (3 ans à temps plein)",
            DocumentKind::Other => "Autre pièce",
        }
    }
}

/// What the applicant declared, as the checks need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicantFacts<'a> {
    /// RPPS as typed (may be empty).
    pub rpps: &'a str,
    /// ADELI as typed (may be empty).
    pub adeli: &'a str,
    pub last_name: &'a str,
    pub first_name: &'a str,
    pub experience_months: u32,
    pub diploma: &'a str,
    pub documents: &'a [DocumentKind],
    /// The RPPS is already bound to another account (an accepted application of someone else):
    /// registry data is public, so an RPPS typed in a form proves nothing.
    pub rpps_held_elsewhere: bool,
}

/// The automatic checks, in the order they are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Check {
    Identifier,
    Registry,
    RppsFree,
    Names,
    Experience,
    Diploma,
    Documents,
}

impl Check {
    pub fn label_fr(self) -> &'static str {
        match self {
            Check::Identifier => "Identifiant RPPS (ou ADELI) valide",
            Check::Registry => "Inscrit au répertoire national comme psychologue (code 93)",
            Check::RppsFree => "RPPS rattaché à aucun autre compte",
            Check::Names => "Nom et prénom identiques à ceux du répertoire",
            Check::Experience => "Au moins 3 ans d’expérience clinique à temps plein",
            Check::Diploma => "Diplôme déclaré",
            Check::Documents => "Pièces justificatives présentes",
        }
    }
}

/// One check and its result, with a French explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    pub check: Check,
    pub passed: bool,
    pub detail: String,
}

fn result(check: Check, passed: bool, detail: impl Into<String>) -> CheckResult {
    CheckResult {
        check,
        passed,
        detail: detail.into(),
    }
}

/// Runs every automatic check. `registry` is the registry row of the applicant's RPPS, if any
/// (the caller looks it up only when the RPPS parsed). Conventions are keyed by RPPS, so an
/// ADELI alone is valid as an identifier but cannot be found in the registry.
pub fn automatic_checks(
    facts: &ApplicantFacts<'_>,
    registry: Option<&RegistryEntry>,
) -> Vec<CheckResult> {
    let mut out = Vec::with_capacity(7);
    let rpps = (!facts.rpps.trim().is_empty()).then(|| Rpps::parse(facts.rpps));
    let adeli = (!facts.adeli.trim().is_empty()).then(|| Adeli::parse(facts.adeli));
    out.push(match (&rpps, &adeli) {
        (None, None) => result(Check::Identifier, false, "Aucun identifiant renseigné."),
        (Some(Err(e)), _) => result(Check::Identifier, false, e.to_string()),
        (_, Some(Err(e))) => result(Check::Identifier, false, e.to_string()),
        (_, Some(Ok(a))) if a.profession_code() != RegistryEntry::PSYCHOLOGUE => result(
            Check::Identifier,
            false,
            format!(
                "Le numéro ADELI {a} porte le code profession {} et non 93 (psychologue).",
                a.profession_code()
            ),
        ),
        (Some(Ok(r)), _) => result(Check::Identifier, true, format!("RPPS {r}")),
        (None, Some(Ok(a))) => result(Check::Identifier, true, format!("ADELI {a}")),
    });
    out.push(match (&rpps, registry) {
        (Some(Ok(_)), Some(entry)) if entry.is_psychologist() => result(
            Check::Registry,
            true,
            "Présent au répertoire, profession 93.",
        ),
        (Some(Ok(_)), Some(entry)) => result(
            Check::Registry,
            false,
            format!(
                "Présent au répertoire avec le code profession {}, pas 93 (psychologue).",
                entry.profession_code
            ),
        ),
        (Some(Ok(r)), None) => result(
            Check::Registry,
            false,
            format!("Le RPPS {r} est absent du répertoire national."),
        ),
        _ => result(
            Check::Registry,
            false,
            "Un RPPS valide est nécessaire pour vérifier l’inscription au répertoire.",
        ),
    });
    out.push(if facts.rpps_held_elsewhere {
        result(
            Check::RppsFree,
            false,
            "Ce RPPS est déjà rattaché à un autre compte : une candidature ne peut pas reprendre l’identifiant d’un autre psychologue.",
        )
    } else {
        result(Check::RppsFree, true, "Aucun autre compte ne porte ce RPPS.")
    });
    out.push(match registry {
        Some(entry)
            if names_match(&entry.last_name, facts.last_name)
                && names_match(&entry.first_name, facts.first_name) =>
        {
            result(
                Check::Names,
                true,
                "Identiques (accents et casse mis à part).",
            )
        }
        Some(entry) => result(
            Check::Names,
            false,
            format!(
                "Le répertoire indique « {} {} », la candidature « {} {} ».",
                entry.first_name, entry.last_name, facts.first_name, facts.last_name
            ),
        ),
        None => result(
            Check::Names,
            false,
            "Pas de fiche du répertoire à comparer.",
        ),
    });
    out.push(result(
        Check::Experience,
        facts.experience_months >= EXPERIENCE_MONTHS_REQUIRED,
        format!(
            "expérience déclarée : {}.",
            experience_fr(facts.experience_months)
        ),
    ));
    out.push(if facts.diploma.trim().is_empty() {
        result(Check::Diploma, false, "Aucun diplôme déclaré.")
    } else {
        result(Check::Diploma, true, facts.diploma.trim().to_owned())
    });
    let missing: Vec<&str> = DocumentKind::REQUIRED
        .iter()
        .filter(|k| !facts.documents.contains(k))
        .map(|k| k.label_fr())
        .collect();
    out.push(if missing.is_empty() {
        result(
            Check::Documents,
            true,
            "Toutes les pièces obligatoires sont jointes.",
        )
    } else {
        result(
            Check::Documents,
            false,
            format!("Manquant : {}.", missing.join(" ; ")),
        )
    });
    out
}

/// A duration of experience in words: « 5 ans », « 1 an et 2 mois », « 8 mois », « aucune ».
pub fn experience_fr(months: u32) -> String {
    let (years, months) = (months / 12, months % 12);
    let y = crate::french::count(years, "an", "ans");
    let m = format!("{months}\u{a0}mois");
    match (years, months) {
        (0, 0) => "aucune".to_owned(),
        (0, _) => m,
        (_, 0) => y,
        _ => format!("{y} et {m}"),
    }
}

/// Whether the file is complete: the checks the applicant can fix are all passed. The
/// registry checks are shown to the expert but do not stop a file from being filed.
pub fn is_complete(results: &[CheckResult]) -> bool {
    results
        .iter()
        .filter(|r| {
            matches!(
                r.check,
                Check::Identifier | Check::Diploma | Check::Documents
            )
        })
        .all(|r| r.passed)
}

/// Folds case, accents, hyphens, apostrophes and spaces: « Lefèvre-Durand » = « LEFEVRE DURAND ».
pub fn fold_name(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        let mapped: &str = match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => "a",
            'ç' => "c",
            'è' | 'é' | 'ê' | 'ë' => "e",
            'ì' | 'í' | 'î' | 'ï' => "i",
            'ñ' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' => "o",
            'ù' | 'ú' | 'û' | 'ü' => "u",
            'ý' | 'ÿ' => "y",
            'œ' => "oe",
            'æ' => "ae",
            c if c.is_alphanumeric() => {
                out.push(c);
                continue;
            }
            _ => " ",
        };
        out.push_str(mapped);
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether two names are the same, accents, case and punctuation aside.
pub fn names_match(a: &str, b: &str) -> bool {
    let (a, b) = (fold_name(a), fold_name(b));
    !a.is_empty() && a == b
}

/// The last day on which a decision may be taken on a file complete on `complete_on`.
pub fn decision_deadline(complete_on: Date) -> Date {
    minus_months(complete_on, -DECISION_MONTHS)
}

/// Whether the committee stayed silent past the deadline (which means rejection).
pub fn is_overdue(complete_on: Date, today: Date) -> bool {
    today > decision_deadline(complete_on)
}

/// Last day of the convention of a psychologist who gives notice on `notice_on`.
pub fn withdrawal_end(notice_on: Date) -> Date {
    minus_months(notice_on, -NOTICE_MONTHS)
}

/// Reads a number of years typed by a person (« 3 », « 3,5 », « 4.25 ») as whole months.
pub fn parse_experience_years(text: &str) -> Option<u32> {
    let t = text.trim().replace(',', ".");
    if t.is_empty() || t.starts_with('-') || t.contains('e') || t.contains('E') {
        return None;
    }
    let years: f64 = t.parse().ok()?;
    if !(0.0..=60.0).contains(&years) {
        return None;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Some((years * 12.0).round() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PracticeMode;
    use jiff::civil::date;

    #[test]
    fn experience_reads_in_words() {
        assert_eq!(experience_fr(60), "5\u{a0}ans");
        assert_eq!(experience_fr(14), "1\u{a0}an et 2\u{a0}mois");
        assert_eq!(experience_fr(8), "8\u{a0}mois");
        assert_eq!(experience_fr(0), "aucune");
    }

    fn rpps() -> String {
        let partial = "1000000001";
        format!("{partial}{}", crate::ids::luhn_complete(partial))
    }

    fn entry(code: &str) -> RegistryEntry {
        RegistryEntry {
            rpps: Rpps::parse(&rpps()).unwrap(),
            last_name: "LEFÈVRE-DURAND".into(),
            first_name: "Hélène".into(),
            profession_code: code.into(),
            practice_mode: PracticeMode::Liberal,
            commune_insee: None,
        }
    }

    fn facts<'a>(r: &'a str, docs: &'a [DocumentKind], months: u32) -> ApplicantFacts<'a> {
        ApplicantFacts {
            rpps: r,
            adeli: "",
            last_name: "Lefevre Durand",
            first_name: "HELENE",
            experience_months: months,
            diploma: "Master de psychologie clinique, Lyon 2, 2015",
            documents: docs,
            rpps_held_elsewhere: false,
        }
    }

    #[test]
    fn an_rpps_bound_to_another_account_is_told() {
        let r = rpps();
        let docs = DocumentKind::REQUIRED.to_vec();
        let mut f = facts(&r, &docs, 36);
        let free = automatic_checks(&f, Some(&entry("93")));
        assert!(free.iter().any(|c| c.check == Check::RppsFree && c.passed));
        f.rpps_held_elsewhere = true;
        let held = automatic_checks(&f, Some(&entry("93")));
        let c = held.iter().find(|c| c.check == Check::RppsFree).unwrap();
        assert!(!c.passed);
        assert!(
            c.detail.contains("déjà rattaché à un autre compte"),
            "{}",
            c.detail
        );
    }

    #[test]
    fn a_good_file_passes_every_check() {
        let r = rpps();
        let docs = [DocumentKind::Diploma, DocumentKind::Experience];
        let out = automatic_checks(&facts(&r, &docs, 36), Some(&entry("93")));
        assert_eq!(out.len(), 7);
        assert!(out.iter().all(|c| c.passed), "{out:?}");
        assert!(is_complete(&out));
    }

    #[test]
    fn each_failure_is_reported() {
        let r = rpps();
        let docs = [DocumentKind::Diploma];
        let out = automatic_checks(&facts(&r, &docs, 35), Some(&entry("10")));
        let failed: Vec<Check> = out.iter().filter(|c| !c.passed).map(|c| c.check).collect();
        assert_eq!(
            failed,
            vec![Check::Registry, Check::Experience, Check::Documents]
        );
        assert!(!is_complete(&out));
        let out = automatic_checks(&facts("12345678901", &docs, 40), None);
        assert!(!out[0].passed && out[0].detail.contains("RPPS"));
        assert!(!out[1].passed && !out[3].passed, "registry and names");
        let out = automatic_checks(&facts(&r, &docs, 40), None);
        assert!(out[1].detail.contains("absent du répertoire"));
    }

    #[test]
    fn names_match_aside_accents_and_case() {
        assert!(names_match("Lefèvre-Durand", "LEFEVRE DURAND"));
        assert!(names_match("d’Artagnan", "D'ARTAGNAN"));
        assert!(names_match("Œdipe", "oedipe"));
        assert!(!names_match("Martin", "Martine"));
        assert!(!names_match("", ""));
    }

    #[test]
    fn deadline_is_four_months_and_silence_rejects() {
        assert_eq!(decision_deadline(date(2026, 1, 15)), date(2026, 5, 15));
        assert_eq!(decision_deadline(date(2025, 10, 31)), date(2026, 2, 28));
        assert!(!is_overdue(date(2026, 1, 15), date(2026, 5, 15)));
        assert!(is_overdue(date(2026, 1, 15), date(2026, 5, 16)));
        assert_eq!(withdrawal_end(date(2026, 12, 31)), date(2027, 2, 28));
    }

    #[test]
    fn experience_is_read_in_years() {
        assert_eq!(parse_experience_years("3"), Some(36));
        assert_eq!(parse_experience_years("2,5"), Some(30));
        assert_eq!(parse_experience_years(" 4.25 "), Some(51));
        assert_eq!(parse_experience_years("-1"), None);
        assert_eq!(parse_experience_years("trois"), None);
        assert_eq!(parse_experience_years("1e3"), None);
    }
}
