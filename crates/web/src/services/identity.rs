//! Verified professional identities: an RPPS checked against the national registry for the
//! profession of an account's role (93 psychologue, 10 médecin, 50 sage-femme), then fixed on
//! the account once — by Pro Santé Connect at the first sign-in, or by the admin creating a
//! doctor's or midwife's password account. An RPPS belongs to at most one account.

use crate::error::AppError;
use msp_domain::{Role, Rpps};
use msp_store::enrolment::registry_entry;
use msp_store::{Db, StoreError};

/// The registry's profession code for the professionals of a role.
pub fn profession_code(role: Role) -> Option<&'static str> {
    match role {
        Role::Psychologue => Some("93"),
        Role::Medecin => Some("10"),
        Role::SageFemme => Some("50"),
        _ => None,
    }
}

/// The name of a profession of the registry (nomenclature TRE_G15 of the ANS), for the
/// messages: « pharmacien » rather than « code 21 ».
pub fn profession_name_fr(code: &str) -> Option<&'static str> {
    Some(match code.trim() {
        "10" => "médecin",
        "21" => "pharmacien",
        "40" => "chirurgien-dentiste",
        "50" => "sage-femme",
        "60" => "infirmier",
        "70" => "masseur-kinésithérapeute",
        "80" => "pédicure-podologue",
        "91" => "orthophoniste",
        "92" => "orthoptiste",
        "93" => "psychologue",
        "94" => "ergothérapeute",
        "95" => "diététicien",
        "96" => "psychomotricien",
        _ => return None,
    })
}

/// « pharmacien (code 21) », or « code 21 » for a code without a name here.
pub fn profession_fr(code: &str) -> String {
    match profession_name_fr(code) {
        Some(name) => format!("{name} (code {})", code.trim()),
        None => format!("code {}", code.trim()),
    }
}

/// The role of a registry profession code, for the professions that sign in here.
pub fn role_of_profession(code: &str) -> Option<Role> {
    [Role::Psychologue, Role::Medecin, Role::SageFemme]
        .into_iter()
        .find(|r| profession_code(*r) == Some(code.trim()))
}

/// Why an RPPS cannot be fixed on an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not in the registry.
    Unknown,
    /// In the registry under another profession (its code).
    OtherProfession(String),
    /// Already the RPPS of another account.
    Taken,
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Unknown => "rpps_inconnu",
            Refusal::OtherProfession(_) => "rpps_autre_profession",
            Refusal::Taken => "rpps_deja_rattache",
        }
    }

    /// The French sentence, for a role (« médecin »).
    pub fn message(&self, role: Role) -> String {
        match self {
            Refusal::Unknown => {
                "Ce RPPS n’est pas dans la copie du répertoire national (RPPS) que tient Mon soutien psy. Si votre inscription est récente, réessayez après la prochaine mise à jour du répertoire ; sinon, écrivez à votre CPAM.".into()
            }
            Refusal::OtherProfession(code) => format!(
                "Ce RPPS est inscrit au répertoire pour une autre profession, {} : il ne peut pas ouvrir un compte « {} ».",
                profession_fr(code),
                role.label_fr()
            ),
            Refusal::Taken => "Ce RPPS est déjà rattaché à un autre compte. S’il s’agit du vôtre, connectez-vous comme d’habitude (mot de passe) ou écrivez à l’administrateur du dispositif.".into(),
        }
    }

    pub fn error(&self, role: Role) -> AppError {
        match self {
            Refusal::Taken => AppError::conflict(self.code(), self.message(role)),
            _ => AppError::forbidden(self.code(), self.message(role)),
        }
    }
}

/// Checks `rpps` against the registry for `role`: `Err(Refusal)` when unknown or of another
/// profession.
pub fn check_registry(
    db: &mut Db,
    rpps: Rpps,
    role: Role,
) -> Result<Result<(), Refusal>, StoreError> {
    let Some(entry) = registry_entry(db, rpps)? else {
        return Ok(Err(Refusal::Unknown));
    };
    if profession_code(role) != Some(entry.profession_code.trim()) {
        return Ok(Err(Refusal::OtherProfession(entry.profession_code)));
    }
    Ok(Ok(()))
}

/// Checks `rpps` against the registry for the role of `account` and fixes it on the account:
/// refused when unknown, of another profession, or held by another account.
pub fn fix_rpps(
    db: &mut Db,
    account: i64,
    role: Role,
    rpps: Rpps,
) -> Result<Result<(), Refusal>, StoreError> {
    if let Err(r) = check_registry(db, rpps, role)? {
        return Ok(Err(r));
    }
    match msp_store::accounts::set_verified_rpps(db, account, &rpps.to_string()) {
        Ok(()) => Ok(Ok(())),
        Err(StoreError::Conflict(_)) => Ok(Err(Refusal::Taken)),
        Err(e) => Err(e),
    }
}
