//! `msp demo-comptes`: one account per role on a demonstration database, tied to the shipped
//! samples, so that the professional space can be tried end to end (a doctor's letter, a
//! conventioned psychologist recording sessions, the patient's year, the CPAM's rejects…).
//!
//! Refused on a database that holds any other account: demonstration passwords are shared, and
//! must never open a real database.

use crate::cli::Outcome;
use crate::commands::demo::load_samples;
use anyhow::{Context, bail};
use msp_domain::{Nir, Role, Rules};
use msp_store::accounts::{self, NewAccount};
use msp_store::{Db, Value, migrate, pathway};

/// The domain of every demonstration account (`.test` is reserved: no mail ever reaches it).
pub const DOMAIN: &str = "demo.msp.test";
/// The psychologist of the samples the demonstration psychologist is (convention since 2022).
pub const PSYCHOLOGIST_RPPS: &str = "10000001015";
/// The sample beneficiary the demonstration patient is (adult, complementary linked by Noémie).
pub const PATIENT_NIR: &str = "285057505612338";
/// The doctor and the midwife of the samples' registry (profession codes 10 and 50) the
/// demonstration prescribers are: their letters name these verified RPPS.
pub const DOCTOR_RPPS: &str = "10000001064";
pub const MIDWIFE_RPPS: &str = "10000001072";

/// `(local part, role, display name, territory)`.
const ACCOUNTS: [(&str, Role, &str, Option<&str>); 8] = [
    (
        "admin",
        Role::Admin,
        "Administratrice de démonstration",
        None,
    ),
    ("psychologue", Role::Psychologue, "Claire Lefèvre", None),
    ("medecin", Role::Medecin, "Dr Luc Bernard", None),
    ("sage-femme", Role::SageFemme, "Inès Roux, sage-femme", None),
    ("patient", Role::Patient, "Camille Bernard", None),
    ("cpam", Role::AgentCpam, "Agent CPAM (national)", None),
    ("expert", Role::Expert, "Expert de la commission", None),
    (
        "ars",
        Role::AnalysteArs,
        "Analyste ARS Île-de-France",
        Some("11"),
    ),
];

/// What was created (or found already there): `(email, role)`.
pub fn create(db: &mut Db, rules: &Rules, password: &str) -> anyhow::Result<Vec<(String, Role)>> {
    migrate(db)?;
    let foreign = accounts::list_accounts(db)?
        .into_iter()
        .find(|a| !a.email.ends_with(&format!("@{DOMAIN}")));
    if let Some(a) = foreign {
        bail!(
            "cette base contient déjà des comptes réels (par exemple {}) : les comptes de \
             démonstration, au mot de passe partagé, ne s’ajoutent qu’à une base de démonstration",
            a.email
        );
    }
    load_samples(db, rules)?;
    let hash = msp_web::security::hash_password_blocking(password)
        .map_err(|e| anyhow::anyhow!("hachage du mot de passe : {e}"))?;
    let now = jiff::Timestamp::now();
    let nir = Nir::parse(PATIENT_NIR).context("NIR de l’exemple")?;
    let existing: Vec<(String, i64)> = accounts::list_accounts(db)?
        .into_iter()
        .map(|a| (a.email, a.id))
        .collect();
    let mut out = Vec::new();
    db.transaction(|tx| {
        for (local, role, name, territory) in ACCOUNTS {
            let email = format!("{local}@{DOMAIN}");
            out.push((email.clone(), role));
            // Already there: the password given now is the one printed, so it becomes theirs.
            if let Some((_, id)) = existing.iter().find(|(e, _)| *e == email) {
                accounts::set_password(tx, *id, &hash, false)?;
                accounts::close_sessions(tx, *id, None)?;
                continue;
            }
            let id = accounts::create_account(
                tx,
                &NewAccount {
                    email: &email,
                    password_hash: &hash,
                    role,
                    display_name: name,
                    territory,
                    created_by: "msp demo-comptes",
                },
                now,
            )?;
            match role {
                // Her application was accepted: she records sessions under the samples' RPPS.
                Role::Psychologue => {
                    tx.execute(
                        "INSERT INTO applications (account_id, status, rpps, last_name, first_name,
                             experience_months, diploma, created_at, updated_at, decided_by, decision_reason)
                         VALUES ($1, 'acceptee', $2, 'Lefèvre', 'Claire', 60, 'Master de psychologie clinique',
                             $3, $3, $4, $5)",
                        &[
                            Value::Int(id),
                            PSYCHOLOGIST_RPPS.into(),
                            now.into(),
                            "msp demo-comptes".into(),
                            "démonstration".into(),
                        ],
                    )?;
                    // Her RPPS is the account's, as Pro Santé Connect would fix it: signing in
                    // with it there finds this account.
                    accounts::set_verified_rpps(tx, id, PSYCHOLOGIST_RPPS)?;
                    // Conventioned since 2022: her card must be in the directory (issue 12).
                    let rpps = msp_domain::Rpps::parse(PSYCHOLOGIST_RPPS)
                        .map_err(|e| msp_store::StoreError::Invalid(e.to_string()))?;
                    if msp_store::directory::load_card(tx, rpps)?.is_none() {
                        msp_store::directory::upsert_card(tx, &demo_card(rpps)?, now)?;
                    }
                }
                Role::Patient => pathway::link_patient(tx, id, &nir)?,
                Role::Medecin => accounts::set_verified_rpps(tx, id, DOCTOR_RPPS)?,
                Role::SageFemme => accounts::set_verified_rpps(tx, id, MIDWIFE_RPPS)?,
                _ => {}
            }
        }
        Ok(())
    })?;
    Ok(out)
}

/// The demonstration psychologist's card: a practice in Paris 11e, phone shown.
fn demo_card(
    rpps: msp_domain::Rpps,
) -> Result<msp_store::directory::DirectoryCard, msp_store::StoreError> {
    use msp_web::services::cards::{AddressInput, CardInput, ContactInput, card_from_input};
    let input = CardInput {
        adresses: vec![AddressInput {
            ligne: "12 rue de la Roquette".into(),
            code_postal: "75011".into(),
            insee: "75111".into(),
            commune: String::new(),
        }],
        telephone: Some(ContactInput {
            valeur: "01 43 00 00 00".into(),
            public: true,
        }),
        public: "adultes_adolescents".into(),
        teleconsultation: true,
        langues: vec!["en".into()],
        ..CardInput::default()
    };
    card_from_input(rpps, &input, msp_web::system_today(), None)
        .map_err(|e| msp_store::StoreError::Invalid(format!("{e:?}")))
}

pub fn run(db_url: &str, rules: &Rules) -> anyhow::Result<Outcome> {
    let (password, generated) = match std::env::var("MSP_DEMO_PASSWORD") {
        Ok(p) if !p.is_empty() => (p, false),
        _ => (msp_web::security::temporary_password(), true),
    };
    if password.chars().count() < msp_web::security::MIN_PASSWORD_CHARS {
        bail!(
            "MSP_DEMO_PASSWORD : {} caractères au moins",
            msp_web::security::MIN_PASSWORD_CHARS
        );
    }
    let mut db = Db::connect(db_url)?;
    let created = create(&mut db, rules, &password)?;
    eprintln!("Comptes de démonstration dans {db_url} (connexion : /connexion) :");
    for (email, role) in &created {
        eprintln!("  {email:<28} {}", role.label_fr());
    }
    if generated {
        eprintln!("Mot de passe commun (affiché une seule fois) : {password}");
    } else {
        eprintln!("Mot de passe commun : celui de MSP_DEMO_PASSWORD.");
    }
    eprintln!(
        "La psychologue est conventionnée (RPPS {PSYCHOLOGIST_RPPS}) ; la patiente est l’assurée \
         d’exemple née le 12/05/1985 (NIR dans samples/beneficiaries.csv)."
    );
    Ok(Outcome::Complete)
}

#[cfg(test)]
mod tests {
    use super::*;
    use msp_store::testing;

    #[test]
    fn demo_accounts_can_walk_the_pathway_and_never_open_a_real_database() {
        let rules = Rules::standard();
        for t in testing::all() {
            let mut db = t.connect();
            let made = create(&mut db, &rules, "mot de passe de démo").unwrap();
            assert_eq!(made.len(), ACCOUNTS.len(), "{}", t.label);
            // Idempotent: a second run adds nothing.
            create(&mut db, &rules, "mot de passe de démo").unwrap();
            assert_eq!(
                accounts::list_accounts(&mut db).unwrap().len(),
                ACCOUNTS.len()
            );

            let (account, hash) =
                accounts::find_for_login(&mut db, &format!("psychologue@{DOMAIN}"))
                    .unwrap()
                    .unwrap();
            assert!(msp_web::security::verify_password_blocking(
                "mot de passe de démo",
                &hash
            ));
            let app = msp_store::enrolment::current_application(&mut db, account.id)
                .unwrap()
                .unwrap();
            assert_eq!(
                app.status,
                msp_store::enrolment::Status::Accepted,
                "{}",
                t.label
            );
            assert_eq!(app.fields.rpps, PSYCHOLOGIST_RPPS);
            // Fixed on the account: Pro Santé Connect with that RPPS finds her account.
            assert_eq!(
                account.rpps.as_deref(),
                Some(PSYCHOLOGIST_RPPS),
                "{}",
                t.label
            );
            let (patient, _) = accounts::find_for_login(&mut db, &format!("patient@{DOMAIN}"))
                .unwrap()
                .unwrap();
            assert_eq!(
                pathway::patient_nir(&mut db, patient.id)
                    .unwrap()
                    .map(|n| n.as_str().to_owned()),
                Some(PATIENT_NIR.to_owned())
            );
            // The psychologist may record a session for the patient: conventioned, known patient.
            let standing = msp_store::live::year_standing(
                &mut db,
                &rules,
                &Nir::parse(PATIENT_NIR).unwrap(),
                jiff::civil::date(2026, 11, 2),
            )
            .unwrap();
            assert_eq!(standing.remaining, 12);

            // Never on a database with a real account.
            let mut other = testing::all().into_iter().next().unwrap().connect();
            migrate(&mut other).unwrap();
            accounts::create_account(
                &mut other,
                &NewAccount {
                    email: "vraie.personne@ameli.fr",
                    password_hash: "x",
                    role: Role::Admin,
                    display_name: "Vraie",
                    territory: None,
                    created_by: "test",
                },
                jiff::Timestamp::now(),
            )
            .unwrap();
            let refused = create(&mut other, &rules, "mot de passe de démo").unwrap_err();
            assert!(refused.to_string().contains("comptes réels"), "{refused}");
            assert_eq!(accounts::list_accounts(&mut other).unwrap().len(), 1);
        }
    }
}
