//! Account management by an administrator: creation (a patient's account linked to the insured
//! person), deactivation and reactivation, password reset; the audit log; an ARS analyst's
//! région. Every action writes its audit line in the transaction that does it.

use super::audit::{patient_ref, record_as as audit};
use crate::AppState;
use crate::error::{AppError, AppResult, FieldError};
use crate::extract::{Admin, Analyst};
use crate::security::{MIN_PASSWORD_CHARS, temporary_password};
use jiff::Timestamp;
use msp_domain::{Nir, Role, Rpps};
use msp_store::accounts::{self, Account, NewAccount};
use msp_store::audit::{self, AuditEntry};

/// Entries shown on the audit log page.
pub const AUDIT_PAGE_ENTRIES: i64 = 500;

/// The account form as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct NewAccountInput {
    pub email: String,
    pub nom: String,
    /// A role code (`psychologue`, `agent_cpam`…).
    pub role: String,
    /// Région of an ARS analyst, département of a CPAM agent.
    pub territoire: String,
    /// NIR of the insured person, for a patient's account.
    pub nir: String,
    /// RPPS of a doctor or a midwife, checked against the registry and fixed on the account.
    pub rpps: String,
    pub password: String,
}

/// An account form that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidAccount {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub territory: Option<String>,
    pub patient_nir: Option<Nir>,
    /// A doctor's or a midwife's RPPS (checked against the registry when created).
    pub rpps: Option<Rpps>,
}

fn field(champ: &str, detail: impl Into<String>) -> FieldError {
    FieldError {
        champ: champ.to_owned(),
        detail: detail.into(),
    }
}

/// Checks an account form: every field at fault at once, each with a French message naming it.
pub fn check_new_account(input: &NewAccountInput) -> Result<ValidAccount, Vec<FieldError>> {
    let mut errors = Vec::new();
    let email = input.email.trim();
    let at = email.find('@');
    if email.is_empty() || at.is_none_or(|i| i == 0 || i == email.len() - 1) || email.contains(' ')
    {
        errors.push(field("email", "Adresse électronique invalide."));
    }
    let name = input.nom.trim();
    if name.is_empty() {
        errors.push(field("nom", "Le nom affiché est obligatoire."));
    }
    let role = Role::parse(input.role.trim());
    let territory = input.territoire.trim();
    match role {
        None => errors.push(field("role", "Rôle inconnu.")),
        Some(r) if r.needs_region() => {
            if msp_geo::communes()
                .all()
                .iter()
                .all(|c| c.region != territory)
            {
                errors.push(field(
                    "territoire",
                    format!(
                        "Région « {territory} » inconnue : un analyste d’ARS a besoin du code de sa région (ex. 84)."
                    ),
                ));
            }
        }
        Some(Role::AgentCpam)
            if !territory.is_empty()
                && msp_geo::communes().departement_name(territory).is_none() =>
        {
            errors.push(field(
                "territoire",
                format!("Département « {territory} » inconnu."),
            ));
        }
        Some(_) => {}
    }
    if input.password.chars().count() < MIN_PASSWORD_CHARS {
        errors.push(field(
            "password",
            format!("Le mot de passe doit compter au moins {MIN_PASSWORD_CHARS} caractères."),
        ));
    }
    let mut patient_nir = None;
    if role == Some(Role::Patient) {
        match Nir::parse(&input.nir) {
            Ok(n) => patient_nir = Some(n),
            Err(e) => errors.push(field(
                "nir",
                format!("Un compte patient a besoin du NIR de l’assuré : {e}."),
            )),
        }
    }
    let mut rpps = None;
    if matches!(role, Some(Role::Medecin | Role::SageFemme)) {
        match Rpps::parse(&input.rpps) {
            Ok(r) => rpps = Some(r),
            Err(e) => errors.push(field(
                "rpps",
                format!(
                    "{} (un compte de médecin ou de sage-femme a besoin de son RPPS).",
                    crate::views::sentence(&e.to_string()).trim_end_matches('.')
                ),
            )),
        }
    }
    match role {
        Some(role) if errors.is_empty() => Ok(ValidAccount {
            email: email.to_owned(),
            name: name.to_owned(),
            role,
            territory: (!territory.is_empty()).then(|| territory.to_owned()),
            patient_nir,
            rpps,
        }),
        _ => Err(errors),
    }
}

/// The check of the command line (`msp comptes creer`): the role given, the first problem's
/// message.
pub fn validate_new_account(
    email: &str,
    name: &str,
    role: Option<Role>,
    territory: &str,
    password: &str,
) -> Result<Role, String> {
    let input = NewAccountInput {
        email: email.into(),
        nom: name.into(),
        role: role.map(|r| r.code().to_owned()).unwrap_or_default(),
        territoire: territory.into(),
        // The command line creates no patient account, nor a doctor's.
        nir: String::new(),
        rpps: String::new(),
        password: password.into(),
    };
    match check_new_account(&input) {
        Ok(valid) => Ok(valid.role),
        Err(errors) if role == Some(Role::Patient) && errors.iter().all(|e| e.champ == "nir") => {
            Ok(Role::Patient)
        }
        Err(errors) => Err(errors
            .into_iter()
            .next()
            .map(|e| e.detail)
            .unwrap_or_default()),
    }
}

/// Every account, for the administration page.
pub async fn list_accounts(state: &AppState, _admin: &Admin) -> AppResult<Vec<Account>> {
    state.db(accounts::list_accounts).await
}

/// The account created.
#[derive(Debug, Clone)]
pub struct Created {
    pub id: i64,
    pub email: String,
}

/// Creates an account (a patient's linked to the insured person, audited). Refusals: 422
/// `compte_invalide` with every field at fault, 409 `compte_existant` for a known email.
pub async fn create_account(
    state: &AppState,
    admin: &Admin,
    input: &NewAccountInput,
) -> AppResult<Created> {
    let valid = check_new_account(input).map_err(|errors| {
        AppError::invalid("compte_invalide", "Le compte n’a pas été créé.").fields(errors)
    })?;
    let hash = super::auth::hash_password(input.password.clone()).await?;
    let actor = admin.actor();
    let key = state.patient_key().clone();
    let v = valid.clone();
    let created = state
        .db(move |db| {
            db.transaction(|db| {
                let id = accounts::create_account(
                    db,
                    &NewAccount {
                        email: &v.email,
                        password_hash: &hash,
                        role: v.role,
                        display_name: &v.name,
                        territory: v.territory.as_deref(),
                        created_by: &actor,
                    },
                    Timestamp::now(),
                )?;
                if let Some(rpps) = v.rpps {
                    // Refused here, the account is not created either (the transaction rolls
                    // back).
                    if let Err(refusal) = super::identity::fix_rpps(db, id, v.role, rpps)? {
                        return Err(msp_store::StoreError::Invalid(refusal.message(v.role)));
                    }
                }
                if let Some(nir) = &v.patient_nir {
                    msp_store::pathway::link_patient(db, id, nir)?;
                    audit(
                        db,
                        &actor,
                        "creation",
                        "patient",
                        &patient_ref(&key, nir),
                        "compte patient rattaché à l’assuré",
                    )?;
                }
                Ok(id)
            })
        })
        .await;
    match created {
        Ok(id) => Ok(Created {
            id,
            email: valid.email,
        }),
        Err(AppError::Conflict(_)) => Err(AppError::conflict(
            "compte_existant",
            format!("Un compte existe déjà pour l’adresse {}.", valid.email),
        )
        .field("email")),
        Err(AppError::Rejected(p)) if valid.rpps.is_some() && p.code == "demande_invalide" => Err(
            AppError::invalid("compte_invalide", "Le compte n’a pas été créé.")
                .fields(vec![field("rpps", p.message)]),
        ),
        Err(e) => Err(e),
    }
}

/// The account an admin acts on, from the id in the URL: 404 `compte_inconnu` otherwise.
async fn target(state: &AppState, id: &str) -> AppResult<Account> {
    let unknown = || {
        AppError::not_found("compte_inconnu", "Ce compte n’existe pas.").titled("Compte inconnu")
    };
    let id: i64 = id.parse().map_err(|_| unknown())?;
    state
        .db(move |db| accounts::get_account(db, id))
        .await?
        .ok_or_else(unknown)
}

/// What a deactivation or reactivation did.
#[derive(Debug, Clone)]
pub struct ActiveChanged {
    pub email: String,
    pub active: bool,
    /// Sessions closed by a deactivation.
    pub closed_sessions: u64,
}

/// Deactivates (closing its sessions) or reactivates an account; never the admin's own, never
/// the last active admin (409). Audited.
pub async fn set_active(
    state: &AppState,
    admin: &Admin,
    id: &str,
    active: bool,
) -> AppResult<ActiveChanged> {
    let target = target(state, id).await?;
    let (actor, me, id) = (admin.actor(), admin.account.id, target.id);
    let closed = state
        .db(move |db| {
            db.transaction(|db| {
                let (before, closed) = accounts::set_active(db, id, active, me)?;
                let (action, reason) = if active {
                    (
                        "reactivation",
                        format!("compte de {} réactivé", before.email),
                    )
                } else {
                    (
                        "desactivation",
                        format!(
                            "compte de {} désactivé ; sessions fermées : {closed}",
                            before.email
                        ),
                    )
                };
                audit(db, &actor, action, "compte", &id.to_string(), &reason)?;
                Ok(closed)
            })
        })
        .await?;
    Ok(ActiveChanged {
        email: target.email,
        active,
        closed_sessions: closed,
    })
}

/// A password reset: the temporary password, to show once (never stored in clear nor logged).
#[derive(Debug, Clone)]
pub struct PasswordReset {
    pub account: Account,
    pub temporary_password: String,
    pub closed_sessions: u64,
}

/// Resets another account's password to a random temporary one; its sessions are closed and it
/// must choose a new password at its next sign-in. Audited, without the password. The admin's
/// own account: 409 (the password page is for that).
pub async fn reset_password(state: &AppState, admin: &Admin, id: &str) -> AppResult<PasswordReset> {
    let target = target(state, id).await?;
    if target.id == admin.account.id {
        return Err(AppError::conflict(
            "propre_compte",
            "Pour votre propre compte, utilisez la page « Changer mon mot de passe ».",
        ));
    }
    let password = temporary_password();
    let hash = super::auth::hash_password(password.clone()).await?;
    let (actor, id, email) = (admin.actor(), target.id, target.email.clone());
    let closed = state
        .db(move |db| {
            db.transaction(|db| {
                accounts::set_password(db, id, &hash, true)?;
                let closed = accounts::close_sessions(db, id, None)?;
                audit(
                    db,
                    &actor,
                    "reinitialisation",
                    "compte",
                    &id.to_string(),
                    &format!(
                        "mot de passe de {email} réinitialisé (provisoire, à changer à la prochaine connexion) ; sessions fermées : {closed}"
                    ),
                )?;
                Ok(closed)
            })
        })
        .await?;
    Ok(PasswordReset {
        account: target,
        temporary_password: password,
        closed_sessions: closed,
    })
}

/// The newest entries of the audit log.
/// The journal's latest lines matching `filter`, and the actions it holds (for the filter).
pub async fn audit_log(
    state: &AppState,
    _admin: &Admin,
    filter: audit::AuditFilter,
) -> AppResult<(Vec<AuditEntry>, Vec<String>)> {
    state
        .db(move |db| {
            Ok((
                audit::search(db, AUDIT_PAGE_ENTRIES, &filter)?,
                audit::actions(db)?,
            ))
        })
        .await
}

/// An analyst reaches the statistics of their own région only (403 `hors_region`).
pub fn own_region(analyst: &Analyst, region: &str) -> AppResult<()> {
    let mine = analyst.account.territory.as_deref();
    if mine == Some(region) {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "hors_region",
            format!(
                "Votre compte donne accès aux statistiques de la région {} uniquement.",
                mine.map_or("—", |r| msp_stats::geo::areas()
                    .region_name(r)
                    .unwrap_or(r))
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(role: &str, territoire: &str) -> NewAccountInput {
        NewAccountInput {
            email: "agent@example.org".into(),
            nom: "Agent".into(),
            role: role.into(),
            territoire: territoire.into(),
            nir: String::new(),
            rpps: String::new(),
            password: "un mot de passe assez long".into(),
        }
    }

    fn champs(i: &NewAccountInput) -> Vec<String> {
        check_new_account(i)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.champ)
            .collect()
    }

    #[test]
    fn a_doctor_without_a_valid_rpps_is_told_once_what_to_fix() {
        let e = check_new_account(&NewAccountInput {
            rpps: "123".into(),
            email: "".into(),
            ..input("medecin", "")
        })
        .unwrap_err();
        let rpps = e.iter().find(|e| e.champ == "rpps").unwrap();
        assert!(!rpps.detail.contains("RPPS : RPPS"), "{}", rpps.detail);
        assert!(
            rpps.detail.contains("a besoin de son RPPS"),
            "{}",
            rpps.detail
        );
        assert!(e.iter().any(|e| e.champ == "email"), "every field at once");
    }

    #[test]
    fn a_valid_form_gives_the_account() {
        let v = check_new_account(&input("agent_cpam", " 69 ")).unwrap();
        assert_eq!(v.role, Role::AgentCpam);
        assert_eq!(v.territory.as_deref(), Some("69"));
        assert!(check_new_account(&input("analyste_ars", "84")).is_ok());
        assert!(
            check_new_account(&input("agent_cpam", ""))
                .unwrap()
                .territory
                .is_none()
        );
    }

    #[test]
    fn every_error_of_the_form_at_once() {
        let bad = NewAccountInput {
            email: "pas une adresse".into(),
            nom: " ".into(),
            role: "patient".into(),
            password: "court".into(),
            ..NewAccountInput::default()
        };
        assert_eq!(champs(&bad), ["email", "nom", "password", "nir"]);
        assert_eq!(champs(&input("analyste_ars", "99")), ["territoire"]);
        assert_eq!(champs(&input("agent_cpam", "999")), ["territoire"]);
        assert_eq!(champs(&input("sorcier", "")), ["role"]);
    }

    #[test]
    fn the_command_line_check_keeps_its_first_message() {
        assert_eq!(
            validate_new_account("a@b.fr", "A", Some(Role::Admin), "", "court"),
            Err(format!(
                "Le mot de passe doit compter au moins {MIN_PASSWORD_CHARS} caractères."
            ))
        );
        assert_eq!(
            validate_new_account("a@b.fr", "A", Some(Role::Admin), "", "assez long, vraiment"),
            Ok(Role::Admin)
        );
        assert_eq!(
            validate_new_account("a@b.fr", "A", None, "", "assez long, vraiment"),
            Err("Rôle inconnu.".into())
        );
    }
}
