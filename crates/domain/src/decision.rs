//! What adjudication decides for one claim.

use crate::Cents;
use std::fmt;

/// Rejection reasons, in the order the checks run (SPEC §7).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Reason {
    Doublon,
    DateInvalide,
    HorsDispositif,
    Forclos,
    PsyNonConventionne,
    DroitsFermes,
    Age,
    Exclu,
    Tarif,
    Adressage,
    MemeJour,
    EepDejaFacturee,
    EepManquante,
    Plafond,
}

impl Reason {
    pub const ALL: [Reason; 14] = [
        Reason::Doublon,
        Reason::DateInvalide,
        Reason::HorsDispositif,
        Reason::Forclos,
        Reason::PsyNonConventionne,
        Reason::DroitsFermes,
        Reason::Age,
        Reason::Exclu,
        Reason::Tarif,
        Reason::Adressage,
        Reason::MemeJour,
        Reason::EepDejaFacturee,
        Reason::EepManquante,
        Reason::Plafond,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Reason::Doublon => "DOUBLON",
            Reason::DateInvalide => "DATE_INVALIDE",
            Reason::HorsDispositif => "HORS_DISPOSITIF",
            Reason::Forclos => "FORCLOS",
            Reason::PsyNonConventionne => "PSY_NON_CONVENTIONNE",
            Reason::DroitsFermes => "DROITS_FERMES",
            Reason::Age => "AGE",
            Reason::Exclu => "EXCLU",
            Reason::Tarif => "TARIF",
            Reason::Adressage => "ADRESSAGE",
            Reason::MemeJour => "MEME_JOUR",
            Reason::EepDejaFacturee => "EEP_DEJA_FACTUREE",
            Reason::EepManquante => "EEP_MANQUANTE",
            Reason::Plafond => "PLAFOND",
        }
    }

    pub fn parse(code: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.code() == code)
    }

    /// A short French name of the reason, shown to psychologists and patients instead of the
    /// code (« Plafond annuel atteint » rather than `PLAFOND`).
    pub fn label_fr(self) -> &'static str {
        match self {
            Reason::Doublon => "Séance déjà remboursée",
            Reason::DateInvalide => "Date de séance invalide",
            Reason::HorsDispositif => "Hors du dispositif",
            Reason::Forclos => "Délai de deux ans dépassé",
            Reason::PsyNonConventionne => "Psychologue non conventionné",
            Reason::DroitsFermes => "Droits fermés",
            Reason::Age => "Âge inférieur à 3 ans",
            Reason::Exclu => "Critère d’exclusion",
            Reason::Tarif => "Montant différent du tarif",
            Reason::Adressage => "Courrier d’adressage manquant ou non valable",
            Reason::MemeJour => "Déjà une séance ce jour-là",
            Reason::EepDejaFacturee => "Entretien d’évaluation déjà remboursé cette année",
            Reason::EepManquante => "Entretien d’évaluation manquant",
            Reason::Plafond => "Plafond annuel atteint",
        }
    }

    /// The explanation addressed to the patient (« vous »), for the patient's own pages.
    pub fn explanation_for_patient_fr(self) -> &'static str {
        match self {
            Reason::Doublon => {
                "Cette séance vous a déjà été remboursée (même psychologue, même date, même acte)."
            }
            Reason::DateInvalide => {
                "La date de la séance est postérieure à la réception de la feuille de soins : votre psychologue doit la corriger."
            }
            Reason::HorsDispositif => {
                "La séance a eu lieu avant le lancement du dispositif (5 avril 2022)."
            }
            Reason::Forclos => {
                "La feuille de soins est arrivée plus de deux ans après la séance : elle ne peut plus être remboursée."
            }
            Reason::PsyNonConventionne => {
                "Le psychologue consulté n’avait pas de convention Mon soutien psy en cours à la date de la séance."
            }
            Reason::DroitsFermes => {
                "Vous n’aviez pas de droits ouverts (assurance maladie ou AME) à la date de la séance : rapprochez-vous de votre CPAM."
            }
            Reason::Age => {
                "La personne suivie avait moins de 3 ans à la date de la séance : le dispositif commence à 3 ans."
            }
            Reason::Exclu => {
                "Votre situation relève d’un critère d’exclusion du dispositif (ALD psychiatrique, invalidité ou arrêt de travail de plus de 6 mois pour motif psychiatrique) : parlez-en à votre médecin."
            }
            Reason::Tarif => {
                "Le montant facturé n’était pas le tarif fixé : les dépassements d’honoraires sont interdits dans le dispositif."
            }
            Reason::Adressage => {
                "Le courrier d’adressage de votre médecin ou de votre sage-femme manquait ou n’était plus valable (6 mois) à la date de l’entretien d’évaluation."
            }
            Reason::MemeJour => {
                "Une autre séance vous avait déjà été remboursée ce jour-là (une par jour au plus)."
            }
            Reason::EepDejaFacturee => {
                "Vous aviez déjà eu un entretien d’évaluation remboursé cette année (un seul par an, tous psychologues confondus)."
            }
            Reason::EepManquante => {
                "La première séance de l’année doit être un entretien d’évaluation : aucun ne vous avait été remboursé plus tôt cette année."
            }
            Reason::Plafond => {
                "Vous aviez déjà atteint le nombre maximal de séances remboursées de l’année."
            }
        }
    }

    /// Plain-French explanation for psychologists and patients.
    pub fn explanation_fr(self) -> &'static str {
        match self {
            Reason::Doublon => {
                "Cette séance a déjà été remboursée (même patient, même psychologue, même date, même acte)."
            }
            Reason::DateInvalide => {
                "La date de la séance est postérieure à la date de réception de la feuille de soins."
            }
            Reason::HorsDispositif => {
                "La séance a eu lieu avant le lancement du dispositif (5 avril 2022)."
            }
            Reason::Forclos => {
                "La feuille de soins est arrivée après le délai de prescription de deux ans."
            }
            Reason::PsyNonConventionne => {
                "Le psychologue n’était pas conventionné à la date de la séance (convention non signée, terminée, suspendue ou exclusion)."
            }
            Reason::DroitsFermes => {
                "Le patient n’avait pas de droits ouverts (assurance maladie ou AME) à la date de la séance."
            }
            Reason::Age => "Le patient avait moins de 3 ans à la date de la séance.",
            Reason::Exclu => {
                "Le patient relève d’un critère d’exclusion (ALD psychiatrique, invalidité ou arrêt de travail de plus de 6 mois pour motif psychiatrique dans les deux ans)."
            }
            Reason::Tarif => {
                "Le montant facturé diffère du tarif de l’acte (les dépassements sont interdits)."
            }
            Reason::Adressage => {
                "Le courrier d’adressage manque, n’est pas valable à la date de l’entretien d’évaluation (6 mois) ou vient d’un prescripteur non autorisé."
            }
            Reason::MemeJour => {
                "Le patient a déjà une séance remboursée ce jour-là (une séance par jour au plus)."
            }
            Reason::EepDejaFacturee => {
                "Un entretien d’évaluation a déjà été remboursé pour la même personne cette année civile (un seul par an, tous psychologues confondus)."
            }
            Reason::EepManquante => {
                "Aucun entretien d’évaluation n’a été remboursé plus tôt cette année civile : la première séance de l’année doit en être un."
            }
            Reason::Plafond => {
                "Le patient a déjà atteint le nombre maximal de séances remboursées pour l’année civile."
            }
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Who receives the AMO share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AmoPayee {
    /// Tiers payant: paid to the psychologist.
    Psychologue,
    /// Reimbursed to the insured patient.
    Assure,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ComplementaryPayer {
    C2s,
    Amc,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AmcRoute {
    TiersPayant,
    Noemie,
    Decompte,
    None,
}

impl AmoPayee {
    pub fn code(self) -> &'static str {
        match self {
            AmoPayee::Psychologue => "psychologue",
            AmoPayee::Assure => "assure",
            AmoPayee::None => "none",
        }
    }
    pub fn parse(code: &str) -> Option<Self> {
        [AmoPayee::Psychologue, AmoPayee::Assure, AmoPayee::None]
            .into_iter()
            .find(|v| v.code() == code)
    }
}

impl ComplementaryPayer {
    pub fn code(self) -> &'static str {
        match self {
            ComplementaryPayer::C2s => "c2s",
            ComplementaryPayer::Amc => "amc",
            ComplementaryPayer::None => "none",
        }
    }
    pub fn parse(code: &str) -> Option<Self> {
        [
            ComplementaryPayer::C2s,
            ComplementaryPayer::Amc,
            ComplementaryPayer::None,
        ]
        .into_iter()
        .find(|v| v.code() == code)
    }
}

impl AmcRoute {
    pub fn code(self) -> &'static str {
        match self {
            AmcRoute::TiersPayant => "tiers_payant",
            AmcRoute::Noemie => "noemie",
            AmcRoute::Decompte => "decompte",
            AmcRoute::None => "none",
        }
    }
    pub fn parse(code: &str) -> Option<Self> {
        [
            AmcRoute::TiersPayant,
            AmcRoute::Noemie,
            AmcRoute::Decompte,
            AmcRoute::None,
        ]
        .into_iter()
        .find(|v| v.code() == code)
    }
}

/// Amounts of an accepted claim, in cents; `tariff = amo + complementary + state + patient`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Payment {
    /// n-th accepted session of the patient's calendar year.
    pub rank: u32,
    pub tariff: Cents,
    pub amo: Cents,
    pub amo_payee: AmoPayee,
    pub complementary: Cents,
    pub complementary_payer: ComplementaryPayer,
    pub complementary_route: AmcRoute,
    /// Paid by the State (AME).
    pub state: Cents,
    /// Left for the patient to bear.
    pub patient: Cents,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    Accepted(Payment),
    Rejected(Reason),
}

impl Decision {
    pub fn is_accepted(&self) -> bool {
        matches!(self, Decision::Accepted(_))
    }

    pub fn status(&self) -> &'static str {
        match self {
            Decision::Accepted(_) => "accepted",
            Decision::Rejected(_) => "rejected",
        }
    }

    pub fn reason(&self) -> Option<Reason> {
        match self {
            Decision::Accepted(_) => None,
            Decision::Rejected(r) => Some(*r),
        }
    }

    pub fn payment(&self) -> Option<&Payment> {
        match self {
            Decision::Accepted(p) => Some(p),
            Decision::Rejected(_) => None,
        }
    }
}

#[cfg(test)]
mod patient_wording {
    use super::Reason;

    /// The patient's pages speak to the patient: never « le patient », always a sentence.
    #[test]
    fn every_reason_is_told_to_the_patient() {
        for r in Reason::ALL {
            let s = r.explanation_for_patient_fr();
            assert!(
                !s.contains("Le patient") && !s.contains("le patient"),
                "{r}: {s}"
            );
            assert!(s.ends_with('.'), "{r}: {s}");
        }
    }
}
