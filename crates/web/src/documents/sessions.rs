//! The PDF documents of a session: the care sheet (fields of form S 3130), the patient's
//! statement (décompte), the psychologist's monthly statement.

use crate::services::sessions::summary_of;
use crate::views::date_fr;
use crate::views::sessions::{amo_payee_fr, complementary_fr, context_label, euros};
use msp_domain::french::{Gender, count, ordinal};
use msp_domain::{AmcRoute, AmoPayee, Cents, Date, Decision, Rpps, Sex};
use msp_store::pathway::SessionLine;

/// The care sheet of one session, with the fields of form S 3130.
pub fn care_sheet(
    l: &SessionLine,
    psychologist: &str,
    birth: Option<Date>,
    referral_required: bool,
) -> Vec<u8> {
    let mut p = crate::documents::pdf::Page::new();
    p.text(16.0, true, "Feuille de soins – Mon soutien psy")
        .text(
            10.0,
            false,
            "Champs du formulaire S 3130 (psychologue conventionné)",
        )
        .skip(6.0)
        .text(
            12.0,
            true,
            format!(
                "Personne recevant les soins et {}",
                Sex::agree(l.nir.sex(), "assuré", "assurée", "assuré(e)")
            ),
        )
        .text(
            11.0,
            false,
            format!("Numéro d’immatriculation (NIR) : {}", l.nir.as_str()),
        )
        .text(
            11.0,
            false,
            format!(
                "Date de naissance : {}",
                birth.map(date_fr).unwrap_or_else(|| "—".into())
            ),
        )
        .skip(6.0)
        .text(12.0, true, "Psychologue")
        .text(
            11.0,
            false,
            format!("Identification : {psychologist}, RPPS {}", l.rpps),
        )
        .skip(6.0)
        .text(12.0, true, "Conditions de prise en charge")
        .text(11.0, false, context_label(l.context));
    p.text(
        11.0,
        false,
        // Under the session's dated rules: a letter was required before direct access.
        if referral_required {
            "Accès : sur courrier d’adressage d’un médecin ou d’une sage-femme (obligatoire à la date de la séance)"
        } else {
            "Accès : direct, sans courrier d’adressage obligatoire à la date de la séance"
        },
    )
    .skip(6.0)
    .text(12.0, true, "Acte")
    .text(
        11.0,
        false,
        format!(
            "Date : {}   Code : {}   Montant des honoraires : {}",
            date_fr(l.session_date),
            l.act.code(),
            euros(l.amount)
        ),
    )
    .text(11.0, false, format!("Libellé : {}", l.act.label_fr()))
    .skip(6.0)
    .text(12.0, true, "Paiement")
    .text(
        11.0,
        false,
        // As paid: the rules may impose the tiers payant whatever was asked. Said both ways,
        // the form's « n’a pas payé la part obligatoire » box reads as a double negative.
        if l.paid()
            .map_or(l.tiers_payant, |p| p.amo_payee == AmoPayee::Psychologue)
        {
            "Tiers payant AMO : oui (l’assuré n’a pas payé la part obligatoire, versée au psychologue)"
        } else {
            "Tiers payant AMO : non (l’assuré a payé la part obligatoire et en est remboursé)"
        },
    )
    .text(11.0, false, format!("Montant total : {}", euros(l.amount)))
    .text(
        11.0,
        false,
        format!(
            "Reçue le {} sous le numéro {}",
            date_fr(l.received_date),
            l.claim_id
        ),
    )
    .skip(24.0)
    .text(
        11.0,
        false,
        format!(
            "Signature du psychologue :                    Signature de l’{} :",
            Sex::agree(l.nir.sex(), "assuré", "assurée", "assuré(e)")
        ),
    );
    p.render()
}

/// The patient's statement (décompte) of one session.
pub fn patient_statement(l: &SessionLine, psychologist: &str) -> Vec<u8> {
    let mut p = crate::documents::pdf::Page::new();
    p.text(16.0, true, "Décompte de remboursement – Mon soutien psy")
        .text(
            11.0,
            false,
            format!(
                "{} : NIR {}",
                Sex::agree(l.nir.sex(), "Assuré", "Assurée", "Assuré(e)"),
                l.nir.masked()
            ),
        )
        .text(
            11.0,
            false,
            format!(
                "Séance du {} avec {psychologist} (RPPS {}) : {} ({})",
                date_fr(l.session_date),
                l.rpps,
                l.act.label_fr(),
                l.act.code()
            ),
        )
        .skip(6.0);
    match &l.decision {
        Decision::Rejected(r) => {
            p.text(
                12.0,
                true,
                format!("Séance non remboursée : {}", r.label_fr()),
            )
            .text(10.0, false, r.explanation_fr());
        }
        Decision::Accepted(pay) => {
            p.text(
                12.0,
                true,
                format!(
                    "Séance remboursée : {} séance de l’année",
                    ordinal(u64::from(pay.rank), Gender::Feminine)
                ),
            )
            .text(11.0, false, format!("Tarif : {}", euros(pay.tariff)))
            .text(
                11.0,
                false,
                format!(
                    "Assurance Maladie : {}, {}",
                    euros(pay.amo),
                    amo_payee_fr(pay.amo_payee, l.nir.sex())
                ),
            )
            .text(
                11.0,
                false,
                format!(
                    "Complémentaire : {}, {}",
                    euros(pay.complementary),
                    complementary_fr(pay.complementary_payer, pay.complementary_route)
                ),
            );
            if pay.state.0 > 0 {
                p.text(11.0, false, format!("État (AME) : {}", euros(pay.state)));
            }
            p.text(
                11.0,
                false,
                format!("Reste à votre charge : {}", euros(pay.patient)),
            );
            if pay.complementary_route == AmcRoute::Decompte {
                p.skip(6.0).text(
                    11.0,
                    true,
                    "Envoyez ce décompte à votre complémentaire pour le remboursement du ticket modérateur.",
                );
            }
        }
    }
    p.render()
}

/// What was paid to the psychologist for the sessions of a month.
/// `text` cut at spaces into lines of at most `width` characters (a longer word stays whole).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split(' ') {
        let last = lines.last_mut().expect("one line at least");
        if !last.is_empty() && last.chars().count() + 1 + word.chars().count() > width {
            lines.push(word.to_owned());
        } else {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(word);
        }
    }
    lines
}

pub fn monthly_statement(lines: &[SessionLine], name: &str, rpps: Rpps, month: Date) -> Vec<u8> {
    let s = summary_of(lines);
    let mut p = crate::documents::pdf::Page::new();
    p.text(16.0, true, "Relevé mensuel – Mon soutien psy")
        .text(11.0, false, format!("{name}, RPPS {rpps}"))
        .text(
            11.0,
            false,
            format!(
                "Séances du mois : {} {}",
                msp_domain::french::month_name(month.month()),
                month.year()
            ),
        )
        .skip(6.0)
        .at(56.0, 10.0, true, "Date")
        .at(120.0, 10.0, true, "Patient")
        .at(230.0, 10.0, true, "Acte")
        .at(280.0, 10.0, true, "Décision")
        .at(470.0, 10.0, true, "Versé")
        .skip(16.0);
    // An accepted session without tiers payant pays the psychologist nothing through us: the
    // patient paid and is reimbursed. Said once under the table, so that « 0,00 € » reads right.
    let mut paid_by_patient = false;
    for l in lines {
        let (decision, paid) = match &l.decision {
            Decision::Accepted(_) if l.cancelled => ("annulée".to_owned(), "—".to_owned()),
            Decision::Accepted(pay) => {
                let mut paid = pay.state.0;
                if pay.amo_payee == AmoPayee::Psychologue {
                    paid += pay.amo.0;
                }
                if pay.complementary_route == AmcRoute::TiersPayant {
                    paid += pay.complementary.0;
                }
                paid_by_patient |= paid == 0;
                (
                    format!(
                        "acceptée ({})",
                        ordinal(u64::from(pay.rank), Gender::Feminine)
                    ),
                    euros(Cents(paid)),
                )
            }
            Decision::Rejected(r) => (format!("refusée : {}", r.label_fr()), "—".into()),
        };
        // The decision column holds ≈ 36 characters at 10 pt: longer reasons wrap under it
        // rather than run into the amount.
        let wrapped = wrap(&decision, 36);
        p.at(56.0, 10.0, false, date_fr(l.session_date))
            .at(120.0, 10.0, false, l.nir.masked())
            .at(230.0, 10.0, false, l.act.code())
            .at(280.0, 10.0, false, wrapped[0].clone())
            .at(470.0, 10.0, false, paid);
        for more in &wrapped[1..] {
            p.skip(12.0).at(280.0, 10.0, false, more.clone());
        }
        p.skip(16.0);
    }
    let total = s.paid_to_psychologist();
    if paid_by_patient {
        for line in wrap(
            "« Versé » : ce que l’Assurance Maladie, les complémentaires et l’État ont payé au psychologue. 0,00 € : séance sans tiers payant, réglée par le patient, que l’Assurance Maladie et sa complémentaire remboursent.",
            90,
        ) {
            p.text(9.0, false, line);
        }
    }
    p.skip(8.0)
        .text(
            11.0,
            false,
            format!(
                "{}, {}{}",
                count(
                    u64::from(s.accepted),
                    "séance acceptée",
                    "séances acceptées"
                ),
                count(u64::from(s.rejected), "refusée", "refusées"),
                if s.cancelled > 0 {
                    format!(", {}", count(u64::from(s.cancelled), "annulée", "annulées"))
                } else {
                    String::new()
                }
            ),
        )
        // One payer a line: together they ran past the right margin.
        .text(
            11.0,
            false,
            format!(
                "Assurance Maladie (tiers payant) : {}",
                euros(s.amo_to_psychologist)
            ),
        )
        .text(
            11.0,
            false,
            format!(
                "Complémentaires (tiers payant) : {}",
                euros(s.complementary_to_psychologist)
            ),
        )
        .text(11.0, false, format!("État (AME) : {}", euros(s.state)))
        .text(
            12.0,
            true,
            format!("Total versé au psychologue : {}", euros(total)),
        );
    p.render()
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn long_decisions_wrap_within_their_column() {
        let lines = wrap("refusée : Courrier d’adressage manquant ou non valable", 36);
        assert_eq!(
            lines,
            ["refusée : Courrier d’adressage", "manquant ou non valable"]
        );
        assert!(lines.iter().all(|l| l.chars().count() <= 36));
        assert_eq!(wrap("acceptée (2e)", 36), ["acceptée (2e)"]);
    }
}
