//! The data the tests put in a fresh database: accounts (with a session), psychologists in the
//! registry and conventioned, beneficiaries and the patient accounts tied to them, valid
//! identifiers, and the application state on that database.

use jiff::civil::{Date, date};
use msp_domain::Role;
use msp_store::accounts::{self, NewAccount};
use msp_store::testing::TestDb;
use msp_web::{AppState, Options};

/// A valid RPPS: `partial` (10 digits) and its Luhn key.
pub fn rpps(partial: &str) -> String {
    format!("{partial}{}", msp_domain::ids::luhn_complete(partial))
}

/// The verified RPPS the fixtures give the doctor or midwife account `id`.
pub fn prescriber_rpps(id: i64) -> String {
    rpps(&format!("2{id:09}"))
}

/// A valid NIR from its first 13 characters (digits only).
pub fn nir(first13: &str) -> String {
    let n: u64 = first13.parse().unwrap();
    format!("{first13}{:02}", 97 - n % 97)
}

/// An account to create: by default named by its email, with no territory and the password
/// hash `"x"` (no password signs in; the tests open sessions directly).
pub struct Account<'a> {
    pub role: Role,
    pub email: &'a str,
    pub name: &'a str,
    pub territory: Option<&'a str>,
    pub password_hash: &'a str,
}

impl<'a> Account<'a> {
    pub fn new(role: Role, email: &'a str) -> Self {
        Account {
            role,
            email,
            name: email,
            territory: None,
            password_hash: "x",
        }
    }

    pub fn named(self, name: &'a str) -> Self {
        Account { name, ..self }
    }

    pub fn territory(self, territory: Option<&'a str>) -> Self {
        Account { territory, ..self }
    }

    /// For the tests that sign in with a password (`msp_web::pages::auth::hash_password_blocking`).
    pub fn password_hash(self, password_hash: &'a str) -> Self {
        Account {
            password_hash,
            ..self
        }
    }

    /// Creates the account; its id. A doctor or a midwife gets a verified RPPS
    /// ([`prescriber_rpps`]), in the registry under their profession, as an admin creates them.
    pub fn create(&self, conn: &mut msp_store::Db) -> i64 {
        let id = accounts::create_account(
            conn,
            &NewAccount {
                email: self.email,
                password_hash: self.password_hash,
                role: self.role,
                display_name: self.name,
                territory: self.territory,
                created_by: "test",
            },
            jiff::Timestamp::now(),
        )
        .unwrap();
        let profession = match self.role {
            Role::Medecin => "10",
            Role::SageFemme => "50",
            _ => return id,
        };
        let rpps = prescriber_rpps(id);
        // « Hélène Lefèvre » is registered as first name Hélène, last name Lefèvre; a name of
        // one word as « Test » + it.
        let (first, last) = self.name.split_once(' ').unwrap_or(("Test", self.name));
        conn.execute(
            "INSERT INTO registry (rpps, last_name, first_name, profession_code, practice_mode, commune_insee)
             VALUES ($1, $2, $3, $4, 'L', '69382')",
            &[rpps.as_str().into(), last.into(), first.into(), profession.into()],
        )
        .unwrap();
        accounts::set_verified_rpps(conn, id, &rpps).unwrap();
        id
    }

    /// Creates the account and opens a session: its id, session cookie and CSRF token.
    pub fn signed_in(&self, conn: &mut msp_store::Db) -> (i64, String, String) {
        let id = self.create(conn);
        let (cookie, csrf) = msp_web::pages::auth::open_session_blocking(conn, id).unwrap();
        (id, cookie, csrf)
    }
}

/// An account named by its email, with an open session: its id, session cookie and CSRF token.
pub fn account(conn: &mut msp_store::Db, role: Role, email: &str) -> (i64, String, String) {
    Account::new(role, email).signed_in(conn)
}

/// A psychologist (profession 93, in Lyon 7e) in the RPPS registry.
pub fn registry_entry(conn: &mut msp_store::Db, rpps: &str, last_name: &str, first_name: &str) {
    conn.execute(
        "INSERT INTO registry (rpps, last_name, first_name, profession_code, practice_mode, commune_insee)
         VALUES ($1, $2, $3, '93', 'L', '69382')",
        &[rpps.into(), last_name.into(), first_name.into()],
    )
    .unwrap();
}

/// The psychologist `account`, registered as « Test PSY » with `rpps`: accepted application,
/// convention with the CPAM of the Rhône (69) since 2024-01-01, still running.
pub fn conventioned_psychologist(conn: &mut msp_store::Db, account: i64, rpps: &str) {
    conventioned_psychologist_named(conn, account, rpps, "PSY", "Test");
}

/// [`conventioned_psychologist`] with the registry's names.
pub fn conventioned_psychologist_named(
    conn: &mut msp_store::Db,
    account: i64,
    rpps: &str,
    last_name: &str,
    first_name: &str,
) {
    registry_entry(conn, rpps, last_name, first_name);
    conn.execute(
        "INSERT INTO applications (account_id, status, rpps, created_at, updated_at)
         VALUES ($1, 'acceptee', $2, $3, $3)",
        &[account.into(), rpps.into(), jiff::Timestamp::now().into()],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO conventions (rpps, start_date, end_date, cpam) VALUES ($1, $2, NULL, '69')",
        &[rpps.into(), date(2024, 1, 1).into()],
    )
    .unwrap();
}

/// A beneficiary born on `birth` (ISO date): woman, general scheme, rights open since
/// 2020-01-01, complementary insurer `MUT1` linked by Noémie.
pub fn beneficiary(conn: &mut msp_store::Db, nir: &str, birth: &str) {
    conn.execute(
        "INSERT INTO beneficiaries (nir, birth_date, sex, regime, rights_from, amc_id, noemie)
         VALUES ($1, $2, 'F', 'general', $3, 'MUT1', 1)",
        &[
            nir.into(),
            msp_domain::dates::parse_iso(birth).unwrap().into(),
            date(2020, 1, 1).into(),
        ],
    )
    .unwrap();
}

/// Ties the patient account to the beneficiary `nir`.
pub fn link_patient(conn: &mut msp_store::Db, account: i64, nir: &str) {
    msp_store::pathway::link_patient(conn, account, &msp_domain::Nir::parse(nir).unwrap()).unwrap();
}

/// The application on `db` with a pool of `connections`.
pub fn state_with(db: &TestDb, connections: u32, options: Options) -> AppState {
    let pool = msp_store::open_pool(&db.url, connections).expect("pool");
    AppState::new(pool, options).expect("state")
}

/// The application on `db`, « today » being `today`.
pub fn state_on(db: &TestDb, today: Date) -> AppState {
    state_with(
        db,
        4,
        Options {
            today: Some(today),
            ..Default::default()
        },
    )
}

/// `SELECT COUNT(*) …` or any query of one integer.
pub fn count(db: &TestDb, sql: &str) -> i64 {
    db.connect().query_one(sql, &[]).unwrap().int(0).unwrap()
}

/// How the audit log of `db` names the patient `nir` (the server's key is in the database).
#[allow(dead_code)]
pub fn patient_ref(db: &TestDb, nir: &str) -> String {
    let secret = msp_store::secrets::get_or_create(
        &mut db.connect(),
        msp_store::secrets::PATIENT_REF_KEY,
        "unused: the server made one",
    )
    .unwrap();
    msp_web::services::audit::patient_ref(
        &msp_web::services::audit::PatientKey::new(&secret),
        &msp_domain::Nir::parse(nir).unwrap(),
    )
}
