//! Pieces of the session pages shared by the pages and the documents: where a patient stands
//! in the year, a decision in plain French, who pays what.

use crate::views::{Notice, date_fr, notice};
use maud::{Markup, html};
use msp_domain::Rules;
use msp_domain::french::{Gender, ordinal};
use msp_domain::{
    AmcRoute, AmoPayee, Cents, ClaimContext, ComplementaryPayer, Date, Decision, Sex,
};
use msp_store::live::YearStanding;
use msp_store::pathway::SessionLine;

/// `12,50 €`, as the session pages and documents print amounts.
pub fn euros(c: Cents) -> String {
    let sign = if c.0 < 0 { "-" } else { "" };
    format!("{sign}{},{:02} €", c.0.abs() / 100, c.0.abs() % 100)
}

/// Who gets the AMO part; `insured`: the insured person's sex, as the NIR gives it.
pub fn amo_payee_fr(p: AmoPayee, insured: Option<Sex>) -> &'static str {
    match p {
        AmoPayee::Psychologue => "versée au psychologue (tiers payant)",
        AmoPayee::Assure => Sex::agree(
            insured,
            "remboursée à l’assuré",
            "remboursée à l’assurée",
            "remboursée à l’assuré(e)",
        ),
        AmoPayee::None => "—",
    }
}

/// Who pays the ticket modérateur, and how.
pub fn complementary_fr(p: ComplementaryPayer, route: AmcRoute) -> String {
    let who = match p {
        ComplementaryPayer::C2s => "complémentaire santé solidaire (C2S)",
        ComplementaryPayer::Amc => "complémentaire santé (mutuelle)",
        ComplementaryPayer::None => return "aucune".into(),
    };
    let how = match route {
        AmcRoute::TiersPayant => "versée au psychologue (tiers payant)",
        AmcRoute::Noemie => "transmise automatiquement par Noémie",
        AmcRoute::Decompte => "sur envoi du décompte à la complémentaire",
        AmcRoute::None => "—",
    };
    format!("{who} ; {how}")
}

pub fn context_label(c: ClaimContext) -> &'static str {
    match c {
        ClaimContext::Maladie => "Maladie",
        ClaimContext::Ald => "Affection de longue durée (ALD)",
        ClaimContext::Maternite => "Maternité",
        ClaimContext::Atmp => "Accident du travail / maladie professionnelle",
    }
}

/// The next session of the year, in a sentence (none when the year's sessions are used up).
pub fn next_session_fr(s: &YearStanding) -> &'static str {
    if s.remaining == 0 {
        "Aucune autre séance ne peut être remboursée cette année civile."
    } else if s.eep_due {
        "La prochaine séance de l’année doit être un entretien d’évaluation."
    } else {
        "L’entretien d’évaluation de l’année a déjà été fait : la prochaine séance est une séance de suivi (au cabinet ou en visio)."
    }
}

/// When the totals of a [`standing_view`] are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StandingAt {
    /// The whole calendar year, before a new session dated that day is recorded.
    Before(Date),
    /// At the end of that day: the sessions of the year dated that day or earlier.
    AsOf(Date),
    /// A past year, seen from a later one (its 31 December): no next session to announce.
    Closed(Date),
}

/// Where the patient stands (information), and a warning when the next session of the year
/// would be refused.
pub fn standing_view(s: &YearStanding, at: StandingAt) -> Markup {
    let on = match at {
        StandingAt::Before(d) | StandingAt::AsOf(d) | StandingAt::Closed(d) => d,
    };
    let open = !matches!(at, StandingAt::Closed(_));
    html! {
        (notice(Notice::Info, html! {
            p {
                "En " (on.year()) ", tous psychologues confondus : "
                strong { (msp_domain::french::count(u64::from(s.used), "séance remboursée", "séances remboursées")) } ", "
                strong { (msp_domain::french::count(u64::from(s.remaining), "restante", "restantes")) }
                @match at {
                    StandingAt::AsOf(d) => { " à la date du " (date_fr(d)) " (séances de ce jour comprises)." }
                    StandingAt::Before(_) => { " sur l’année civile." }
                    StandingAt::Closed(_) => { " sur l’année civile, terminée." }
                }
            }
            @if open && s.remaining > 0 { p { (next_session_fr(s)) } }
        }))
        @if open && s.remaining == 0 {
            (notice(Notice::Warning, html! {
                p { "Le nombre maximal de séances remboursées de l’année est atteint : une nouvelle séance en " (on.year()) " serait refusée." }
            }))
        }
    }
}

/// Whether the AMO part is paid to the psychologist (tiers payant), as the decision paid it:
/// the rules may impose it whatever box was ticked. « oui », « oui (obligatoire depuis le
/// 1er octobre 2026) », « non », or what was asked for a session that pays nothing.
pub fn tiers_payant_fr(line: &SessionLine, rules: &Rules) -> String {
    let mandatory = rules
        .regime_on(line.session_date)
        .filter(|r| r.amo_tiers_payant_mandatory);
    match line.decision.payment() {
        Some(p) if p.amo_payee == AmoPayee::Psychologue => match mandatory {
            Some(r) if !line.tiers_payant => {
                format!(
                    "oui (obligatoire depuis le {})",
                    crate::views::date_long_fr(r.from)
                )
            }
            _ => "oui".to_owned(),
        },
        Some(_) => "non".to_owned(),
        None if line.tiers_payant || mandatory.is_some() => "demandé".to_owned(),
        None => "non demandé".to_owned(),
    }
}

/// The decision in plain French: the reason (error), or the rank (success), amounts and who
/// pays what.
/// `patient`: the page is the patient's own (« vous »), not the professional's.
pub fn decision_view(line: &SessionLine, patient: bool) -> Markup {
    match &line.decision {
        Decision::Rejected(r) if patient => notice(
            Notice::Error,
            html! {
                p { strong { "Séance non remboursée" } " : " (r.label_fr()) "." }
                p { (r.explanation_for_patient_fr()) }
            },
        ),
        Decision::Rejected(r) => notice(
            Notice::Error,
            html! {
                p { strong { "Séance refusée" } " : " (r.label_fr()) "." }
                p { (r.explanation_fr()) }
            },
        ),
        Decision::Accepted(p) => html! {
            (notice(Notice::Success, html! {
                p { strong { "Séance acceptée" } " : " (ordinal(u64::from(p.rank), Gender::Feminine)) " séance remboursée de l’année civile." }
            }))
            table {
                caption { "Montants" }
                thead { tr { th scope="col" { "Part" } th scope="col" { "Montant" } th scope="col" { "Payée par / à" } } }
                tbody {
                    tr { td { "Tarif de la séance" } td { (euros(p.tariff)) } td { "sans dépassement" } }
                    tr { td { "Assurance Maladie (AMO)" } td { (euros(p.amo)) } td {
                        @if patient && p.amo_payee == AmoPayee::Assure { "remboursée sur votre compte" }
                        @else { (amo_payee_fr(p.amo_payee, line.nir.sex())) }
                    } }
                    tr { td { "Ticket modérateur (complémentaire)" } td { (euros(p.complementary)) } td { (complementary_fr(p.complementary_payer, p.complementary_route)) } }
                    @if p.state.0 > 0 {
                        tr { td { "État (AME)" } td { (euros(p.state)) } td { "versée au psychologue (tiers payant)" } }
                    }
                    tr { td { "Reste à charge" } td { (euros(p.patient)) } td { "—" } }
                }
            }
        },
    }
}

/// A small form to pick another year of a page (`?annee=`), from the programme's first year to
/// this one; no script needed.
pub fn year_picker(action: &str, first: i16, last: i16, shown: i16) -> Markup {
    html! {
        form method="get" action=(action) class="period" {
            label for="annee" { "Année" }
            select id="annee" name="annee" {
                @for y in (first..=last).rev() {
                    option value=(y) selected[y == shown] { (y) }
                }
            }
            button type="submit" class="button-secondary" { "Afficher" }
        }
    }
}
