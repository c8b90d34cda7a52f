//! The six input files of SPEC §8 and how each row becomes a domain record.

use crate::error::RowError;
use crate::reader::{CsvReader, InputRecord, Row};
use msp_domain::{
    Act, Beneficiary, Claim, ClaimContext, Convention, Exclusion, InsuranceRegime, PracticeMode,
    Referral, ReferrerKind, RegistryEntry, Sex, Suspension,
};

/// Reader of `registry.csv`.
pub type RegistryReader<R> = CsvReader<R, RegistryEntry>;
/// Reader of `conventions.csv`.
pub type ConventionReader<R> = CsvReader<R, Convention>;
/// Reader of `suspensions.csv`.
pub type SuspensionReader<R> = CsvReader<R, Suspension>;
/// Reader of `beneficiaries.csv` (records come with empty `exclusions`).
pub type BeneficiaryReader<R> = CsvReader<R, Beneficiary>;
/// Reader of `exclusions.csv`.
pub type ExclusionReader<R> = CsvReader<R, Exclusion>;
/// Reader of `claims.csv`.
pub type ClaimReader<R> = CsvReader<R, Claim>;

impl InputRecord for RegistryEntry {
    const FILE: &'static str = "registry.csv";
    const COLUMNS: &'static [&'static str] = &[
        "rpps",
        "last_name",
        "first_name",
        "profession_code",
        "practice_mode",
        "commune_insee",
    ];

    fn from_row(row: &Row<'_>) -> Result<Self, RowError> {
        let rpps = row.rpps(0)?;
        let last_name = row.required(1)?.to_string();
        let first_name = row.required(2)?.to_string();
        let profession_code = row.required(3)?;
        if profession_code.len() > 4 || !profession_code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(row.error(
                3,
                format!(
                    "code profession « {} » invalide : un code numérique est attendu (93 = psychologue)",
                    crate::reader::shown(profession_code)
                ),
            ));
        }
        let practice_mode = row
            .code(
                4,
                "mode d’exercice",
                "L (libéral), S (salarié), M (mixte) ou B (bénévole)",
                PracticeMode::parse,
            )?
            .ok_or_else(|| row.error(4, "valeur obligatoire : la cellule est vide"))?;
        let commune_insee = row.optional(5)?.map(str::to_string);
        Ok(RegistryEntry {
            rpps,
            last_name,
            first_name,
            profession_code: profession_code.to_string(),
            practice_mode,
            commune_insee,
        })
    }
}

impl InputRecord for Convention {
    const FILE: &'static str = "conventions.csv";
    const COLUMNS: &'static [&'static str] = &["rpps", "cpam", "start_date", "end_date"];

    fn from_row(row: &Row<'_>) -> Result<Self, RowError> {
        let rpps = row.rpps(0)?;
        let cpam = row.required(1)?.to_string();
        let period = row
            .period(2, 3, true)?
            .ok_or_else(|| row.error(2, "valeur obligatoire : la cellule est vide"))?;
        Ok(Convention { rpps, cpam, period })
    }
}

impl InputRecord for Suspension {
    const FILE: &'static str = "suspensions.csv";
    const COLUMNS: &'static [&'static str] = &["rpps", "from", "to", "reason"];

    fn from_row(row: &Row<'_>) -> Result<Self, RowError> {
        let rpps = row.rpps(0)?;
        let period = row
            .period(1, 2, true)?
            .ok_or_else(|| row.error(1, "valeur obligatoire : la cellule est vide"))?;
        let reason = row.text(3)?.to_string();
        Ok(Suspension {
            rpps,
            period,
            reason,
        })
    }
}

impl InputRecord for Exclusion {
    const FILE: &'static str = "exclusions.csv";
    const COLUMNS: &'static [&'static str] = &["nir", "from", "to"];

    fn from_row(row: &Row<'_>) -> Result<Self, RowError> {
        let nir = row.nir(0)?;
        let period = row
            .period(1, 2, true)?
            .ok_or_else(|| row.error(1, "valeur obligatoire : la cellule est vide"))?;
        Ok(Exclusion { nir, period })
    }
}

mod bcol {
    pub const NIR: usize = 0;
    pub const BIRTH_DATE: usize = 1;
    pub const SEX: usize = 2;
    pub const REGIME: usize = 3;
    pub const RIGHTS_FROM: usize = 4;
    pub const RIGHTS_TO: usize = 5;
    pub const AME_FROM: usize = 6;
    pub const AME_TO: usize = 7;
    pub const C2S_FROM: usize = 8;
    pub const C2S_TO: usize = 9;
    pub const AMC_ID: usize = 10;
    pub const NOEMIE: usize = 11;
    pub const COMMUNE_INSEE: usize = 12;
}

impl InputRecord for Beneficiary {
    const FILE: &'static str = "beneficiaries.csv";
    const COLUMNS: &'static [&'static str] = &[
        "nir",
        "birth_date",
        "sex",
        "regime",
        "rights_from",
        "rights_to",
        "ame_from",
        "ame_to",
        "c2s_from",
        "c2s_to",
        "amc_id",
        "noemie",
        "commune_insee",
    ];

    /// An empty `regime` is the general regime.
    fn from_row(row: &Row<'_>) -> Result<Self, RowError> {
        use bcol::*;
        let nir = row.nir(NIR)?;
        let birth_date = row.date(BIRTH_DATE)?;
        let sex = row
            .code(SEX, "sexe", "M, F, 1 ou 2", Sex::parse)?
            .ok_or_else(|| row.error(SEX, "valeur obligatoire : la cellule est vide"))?;
        let regime = row
            .code(
                REGIME,
                "régime",
                "general ou alsace_moselle",
                InsuranceRegime::parse,
            )?
            .unwrap_or_default();
        let rights = row.period(RIGHTS_FROM, RIGHTS_TO, false)?;
        let ame = row.period(AME_FROM, AME_TO, false)?;
        let c2s = row.period(C2S_FROM, C2S_TO, false)?;
        let amc_id = row.optional(AMC_ID)?.map(str::to_string);
        let noemie = row.boolean(NOEMIE)?;
        let commune_insee = row.optional(COMMUNE_INSEE)?.map(str::to_string);
        Ok(Beneficiary {
            nir,
            birth_date,
            sex,
            regime,
            rights,
            ame,
            c2s,
            amc_id,
            noemie,
            commune_insee,
            exclusions: Vec::new(),
        })
    }
}

mod ccol {
    pub const CLAIM_ID: usize = 0;
    pub const RECEIVED_DATE: usize = 1;
    pub const RPPS: usize = 2;
    pub const NIR: usize = 3;
    pub const SESSION_DATE: usize = 4;
    pub const ACT: usize = 5;
    pub const AMOUNT: usize = 6;
    pub const CONTEXT: usize = 7;
    pub const TIERS_PAYANT: usize = 8;
    pub const REFERRAL_DATE: usize = 9;
    pub const REFERRER_ID: usize = 10;
    pub const REFERRER_KIND: usize = 11;
}

impl InputRecord for Claim {
    const FILE: &'static str = "claims.csv";
    const COLUMNS: &'static [&'static str] = &[
        "claim_id",
        "received_date",
        "rpps",
        "nir",
        "session_date",
        "act",
        "amount",
        "context",
        "tiers_payant",
        "referral_date",
        "referrer_id",
        "referrer_kind",
    ];

    /// An empty `context` is `maladie`. The referral exists when `referral_date` is given; a
    /// referrer without a date is ignored (it cannot make a letter valid).
    fn from_row(row: &Row<'_>) -> Result<Self, RowError> {
        use ccol::*;
        let claim_id = row.required(CLAIM_ID)?.to_string();
        let received_date = row.date(RECEIVED_DATE)?;
        let rpps = row.rpps(RPPS)?;
        let nir = row.nir(NIR)?;
        let session_date = row.date(SESSION_DATE)?;
        let act = row
            .code(ACT, "acte", "EEP, APS ou PSS", Act::parse)?
            .ok_or_else(|| row.error(ACT, "valeur obligatoire : la cellule est vide"))?;
        let amount = row.amount(AMOUNT)?;
        let context = row
            .code(
                CONTEXT,
                "contexte",
                "maladie, ald, maternite ou atmp",
                ClaimContext::parse,
            )?
            .unwrap_or_default();
        let tiers_payant = row.boolean(TIERS_PAYANT)?;
        let referral_date = row.optional_date(REFERRAL_DATE)?;
        let referrer_id = row.optional(REFERRER_ID)?;
        let kind = row.code(
            REFERRER_KIND,
            "type de prescripteur",
            "medecin ou sage_femme",
            ReferrerKind::parse,
        )?;
        let referral = referral_date.map(|date| Referral {
            date,
            referrer_id: referrer_id.map(str::to_string),
            kind,
        });
        Ok(Claim {
            claim_id,
            received_date,
            rpps,
            nir,
            session_date,
            act,
            amount,
            context,
            tiers_payant,
            referral,
        })
    }
}
