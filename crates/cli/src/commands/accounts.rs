//! `msp create-admin` and `msp expire-applications`.

use crate::cli::Outcome;
use anyhow::{Context, bail};
use msp_domain::Role;
use msp_store::accounts::{self, NewAccount};
use msp_store::{Db, migrate};
use std::io::BufRead;

pub fn create_admin(db_url: &str, email: &str, name: Option<&str>) -> anyhow::Result<Outcome> {
    let password = match std::env::var("MSP_ADMIN_PASSWORD") {
        Ok(p) if !p.is_empty() => p,
        _ => {
            eprintln!("Mot de passe de l’administrateur (une ligne) :");
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("lecture du mot de passe sur l’entrée standard")?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    let name = name.unwrap_or(email);
    if let Err(m) =
        msp_web::pages::space::validate_new_account(email, name, Some(Role::Admin), "", &password)
    {
        bail!("{m}");
    }
    let hash = msp_web::security::hash_password_blocking(&password)
        .map_err(|e| anyhow::anyhow!("hachage du mot de passe : {e}"))?;
    let mut db = Db::connect(db_url)?;
    migrate(&mut db)?;
    let id = accounts::create_account(
        &mut db,
        &NewAccount {
            email,
            password_hash: &hash,
            role: Role::Admin,
            display_name: name,
            territory: None,
            created_by: "msp create-admin",
        },
        jiff::Timestamp::now(),
    )?;
    eprintln!(
        "Compte administrateur n° {id} créé pour {}.",
        accounts::normalize_email(email)
    );
    Ok(Outcome::Complete)
}

pub fn expire(db_url: &str, as_of: Option<jiff::civil::Date>) -> anyhow::Result<Outcome> {
    let today = as_of.unwrap_or_else(msp_web::system_today);
    let mut db = Db::connect(db_url)?;
    migrate(&mut db)?;
    let ids = msp_store::enrolment::expire_overdue(&mut db, today, jiff::Timestamp::now())?;
    if ids.is_empty() {
        eprintln!("Aucune candidature échue au {today}.");
    } else {
        let list: Vec<String> = ids.iter().map(i64::to_string).collect();
        eprintln!(
            "{} candidature(s) refusée(s) faute de décision dans les 4 mois : n° {}.",
            ids.len(),
            list.join(", ")
        );
    }
    Ok(Outcome::Complete)
}

/// `msp rotate-patient-key`: a new secret for the patient references; the previous one is kept
/// under a dated name (`patient_ref_key:ancienne:<instant>`) so that an auditor can still
/// name the patients of older audit lines.
pub fn rotate_patient_key(db_url: &str) -> anyhow::Result<Outcome> {
    use msp_store::secrets::{self, PATIENT_REF_KEY};
    let mut db = Db::connect(db_url)?;
    migrate(&mut db)?;
    let now = jiff::Timestamp::now();
    let fresh = msp_web::security::random_token();
    db.transaction(|tx| {
        let old = secrets::get_or_create(tx, PATIENT_REF_KEY, &fresh)?;
        if old != fresh {
            secrets::replace(tx, &format!("{PATIENT_REF_KEY}:ancienne:{now}"), &old)?;
            secrets::replace(tx, PATIENT_REF_KEY, &fresh)?;
        }
        Ok(())
    })?;
    eprintln!(
        "Nouvelle clé des références de patients enregistrée ({now}). Redémarrez chaque serveur : \
         il la lit au démarrage. Les lignes du journal déjà écrites gardent leur ancienne référence ; \
         l’ancienne clé reste dans la base (server_secrets) pour les retrouver. Sans effet si \
         MSP_PATIENT_KEY est donnée aux serveurs : changez alors cette variable."
    );
    Ok(Outcome::Complete)
}
