//! `msp serve`: the web server (public directory, JSON API, FHIR, statistics).

use crate::cli::Outcome;
use msp_web::{AppState, Options};
use std::sync::Arc;

/// The options of `msp serve` (each also read from the environment: see `msp serve --aide`).
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub addr: std::net::SocketAddr,
    pub demo_if_empty: bool,
    /// One JSON object per log line (`--log-format json`, `MSP_LOG_FORMAT=json`).
    pub json_logs: bool,
    /// SQLite's page cache for the whole pool, in MiB.
    pub sqlite_cache_mib: i64,
    /// Read the client's address from the proxy's header (`--trust-proxy`).
    pub trust_proxy: bool,
}

/// Where the availability reminders are sent from (flags, or the environment).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct MailArgs {
    /// Serveur SMTP des rappels de disponibilité ; sans lui, les rappels sont seulement consignés
    /// (l'administrateur les voit).
    #[arg(long = "smtp-hote", env = "MSP_SMTP_HOST", value_name = "HÔTE")]
    pub smtp_host: Option<String>,
    /// Port SMTP (par défaut 587 avec starttls, 465 avec tls, 25 sans).
    #[arg(long = "smtp-port", env = "MSP_SMTP_PORT", value_name = "PORT")]
    pub smtp_port: Option<u16>,
    /// Protection de la connexion : starttls (par défaut), tls, ou aucun (relais local seulement).
    #[arg(
        long = "smtp-tls",
        env = "MSP_SMTP_TLS",
        default_value = "starttls",
        value_name = "MODE"
    )]
    pub smtp_tls: String,
    /// Identifiant SMTP ; le mot de passe se donne par MSP_SMTP_PASSWORD (jamais en option).
    #[arg(long = "smtp-utilisateur", env = "MSP_SMTP_USER", value_name = "NOM")]
    pub smtp_user: Option<String>,
    /// Expéditeur des rappels, par exemple « Mon soutien psy <ne-pas-repondre@exemple.fr> ».
    #[arg(
        long = "smtp-expediteur",
        env = "MSP_SMTP_FROM",
        value_name = "ADRESSE"
    )]
    pub smtp_from: Option<String>,
    /// Adresse publique du serveur, pour les liens des courriels (https://annuaire.exemple.fr).
    #[arg(long = "url-publique", env = "MSP_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
}

impl MailArgs {
    /// The SMTP configuration, `None` without a host; a French error for a bad value.
    pub fn smtp(&self) -> anyhow::Result<Option<msp_web::services::reminders::SmtpConfig>> {
        use msp_web::services::reminders::{SmtpConfig, SmtpTls};
        let Some(host) = self.smtp_host.clone().filter(|h| !h.trim().is_empty()) else {
            return Ok(None);
        };
        let tls = SmtpTls::parse(&self.smtp_tls).ok_or_else(|| {
            anyhow::anyhow!(
                "--smtp-tls « {} » inconnu : starttls, tls ou aucun",
                self.smtp_tls
            )
        })?;
        let from = self.smtp_from.clone().ok_or_else(|| {
            anyhow::anyhow!(
                "--smtp-expediteur (ou MSP_SMTP_FROM) est obligatoire avec un serveur SMTP"
            )
        })?;
        let password = std::env::var("MSP_SMTP_PASSWORD").ok();
        let credentials = match (&self.smtp_user, password) {
            (Some(u), Some(p)) => Some((u.clone(), p)),
            (Some(_), None) => anyhow::bail!("MSP_SMTP_PASSWORD manque pour l’utilisateur SMTP"),
            _ => None,
        };
        Ok(Some(SmtpConfig {
            host,
            port: self.smtp_port.unwrap_or(match tls {
                SmtpTls::StartTls => 587,
                SmtpTls::Tls => 465,
                SmtpTls::None => 25,
            }),
            tls,
            credentials,
            from,
        }))
    }
}

/// Serves on `options.addr`. `rules`: the dated rules that judge sessions recorded on line
/// (`--rules`); `None`, the shipped rules.
pub fn run(
    db_url: &str,
    options: &ServeOptions,
    rules: Option<msp_domain::Rules>,
    mail: &MailArgs,
) -> anyhow::Result<Outcome> {
    let smtp = mail.smtp()?;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,tower_http=warn".into());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if options.json_logs {
        logs.json().flatten_event(true).init();
    } else {
        logs.init();
    }
    let (addr, demo_if_empty) = (options.addr, options.demo_if_empty);
    let runtime = tokio::runtime::Runtime::new()?;
    // The port first: a server that cannot listen must not have written anything (issue 13).
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(addr))
        .map_err(|e| anyhow::anyhow!("{}", bind_error(addr, &e)))?;
    // Built outside the runtime: the PostgreSQL client is synchronous.
    let state = state_with(
        db_url,
        demo_if_empty,
        options.sqlite_cache_mib,
        rules,
        options.trust_proxy,
        smtp,
        Some(
            mail.public_url
                .clone()
                .unwrap_or_else(|| format!("http://{addr}")),
        ),
    )?;
    runtime
        .block_on(msp_web::serve_listener(state, listener))
        .map_err(|e| anyhow::anyhow!("serveur : {e}"))?;
    Ok(Outcome::Complete)
}

/// Why the server cannot listen on `addr`, in one French sentence.
fn bind_error(addr: std::net::SocketAddr, e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::AddrInUse => format!(
            "l’adresse {addr} est déjà utilisée (un autre serveur y écoute-t-il ?) : choisissez-en une autre avec --addr ; rien n’a été écrit dans la base"
        ),
        ErrorKind::PermissionDenied => format!(
            "écoute sur {addr} refusée (port réservé à l’administrateur ?) : choisissez un port au-delà de 1024 avec --addr"
        ),
        ErrorKind::AddrNotAvailable => format!(
            "l’adresse {addr} n’appartient pas à cette machine : choisissez-en une autre avec --addr"
        ),
        _ => format!(
            "impossible d’écouter sur {addr} : {}",
            crate::files::io_message(e)
        ),
    }
}

/// The server's state (blocking): a pool of 8 connections on an up-to-date schema, the demo
/// directory loaded if asked and the database is unused ([`msp_store::reference::is_unused`]:
/// no registry row, convention, card, beneficiary, claim, recorded session nor account), sessions
/// judged under `rules` (the shipped rules when `None`).
#[cfg(test)]
pub fn state(
    db_url: &str,
    demo_if_empty: bool,
    sqlite_cache_mib: i64,
    rules: Option<msp_domain::Rules>,
    trust_proxy: bool,
) -> anyhow::Result<AppState> {
    state_with(
        db_url,
        demo_if_empty,
        sqlite_cache_mib,
        rules,
        trust_proxy,
        None,
        None,
    )
}

/// [`state`] with the SMTP server of the reminders and the public address of the links.
pub fn state_with(
    db_url: &str,
    demo_if_empty: bool,
    sqlite_cache_mib: i64,
    rules: Option<msp_domain::Rules>,
    trust_proxy: bool,
    smtp: Option<msp_web::services::reminders::SmtpConfig>,
    public_url: Option<String>,
) -> anyhow::Result<AppState> {
    let pool = msp_store::open_pool_with_cache(db_url, 8, sqlite_cache_mib)?;
    if demo_if_empty {
        let mut db = pool.get()?;
        if msp_store::reference::is_unused(&mut db)? {
            let n =
                msp_web::directory::demo::load_directory_demo(&mut db, msp_web::system_today())?;
            tracing::info!(
                cards = n,
                "database unused: demo directory loaded ({n} fictitious psychologists)"
            );
            eprintln!(
                "Base vide : annuaire de démonstration chargé ({}).",
                msp_domain::french::count(n, "psychologue fictif", "psychologues fictifs")
            );
        }
    }
    let oidc = msp_web::services::oidc::ProviderConfig::from_env(|k| std::env::var(k).ok())
        .map_err(|e| anyhow::anyhow!(e))?;
    Ok(AppState::new(
        pool,
        Options {
            rules: rules.map(Arc::new),
            db_url: Some(db_url.to_owned()),
            // A secret given by configuration wins over the one kept in the database.
            patient_key: std::env::var("MSP_PATIENT_KEY")
                .ok()
                .filter(|k| !k.trim().is_empty()),
            trust_proxy,
            smtp,
            public_url,
            oidc,
            ..Default::default()
        },
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};
    use jiff::civil::{Date, date};
    use msp_domain::Role;
    use msp_store::accounts::{self, NewAccount};
    use msp_store::testing;
    use tower::ServiceExt;

    const PATIENT: &str = "206127511100564";
    const BIRTH: &str = "2006-12-05";

    /// A conventioned psychologist with an open session (its cookie) and a known patient.
    fn psychologist_and_patient(db: &mut msp_store::Db) -> String {
        let now = jiff::Timestamp::now();
        let id = accounts::create_account(
            db,
            &NewAccount {
                email: "psy@example.org",
                password_hash: "x",
                role: Role::Psychologue,
                display_name: "psy",
                territory: None,
                created_by: "test",
            },
            now,
        )
        .unwrap();
        let (cookie, _) = msp_web::pages::auth::open_session_blocking(db, id).unwrap();
        let rpps = format!("1000000042{}", msp_domain::ids::luhn_complete("1000000042"));
        for (sql, params) in [
            (
                "INSERT INTO registry (rpps, last_name, first_name, profession_code, practice_mode, commune_insee)
                 VALUES ($1, 'PSY', 'Test', '93', 'L', '69382')",
                vec![rpps.as_str().into()],
            ),
            (
                "INSERT INTO applications (account_id, status, rpps, created_at, updated_at)
                 VALUES ($1, 'acceptee', $2, $3, $3)",
                vec![id.into(), rpps.as_str().into(), now.into()],
            ),
            (
                "INSERT INTO conventions (rpps, start_date, end_date, cpam) VALUES ($1, $2, NULL, '69')",
                vec![rpps.as_str().into(), date(2020, 1, 1).into()],
            ),
            (
                "INSERT INTO beneficiaries (nir, birth_date, sex, regime, rights_from, amc_id, noemie)
                 VALUES ($1, $2, 'F', 'general', $3, NULL, 0)",
                vec![
                    PATIENT.into(),
                    date(2006, 12, 5).into(),
                    date(2020, 1, 1).into(),
                ],
            ),
        ] {
            db.execute(sql, &params).unwrap();
        }
        cookie
    }

    /// Records a session through the router (`POST /api/seances`): the JSON decision.
    fn record(state: &AppState, cookie: &str, day: Date, act: &str) -> serde_json::Value {
        let body = serde_json::json!({
            "nir": PATIENT, "date_naissance": BIRTH, "date_seance": day.to_string(), "acte": act,
            "consentement": true
        });
        let req = Request::post("/api/seances")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::COOKIE, format!("msp_session={cookie}"))
            .body(Body::from(body.to_string()))
            .unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let res = msp_web::app(state.clone()).oneshot(req).await.unwrap();
            let status = res.status();
            let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
                .await
                .unwrap();
            assert_eq!(
                status,
                StatusCode::CREATED,
                "{}",
                String::from_utf8_lossy(&bytes)
            );
            serde_json::from_slice(&bytes).unwrap()
        })
    }

    /// `msp --rules FILE serve` judges sessions recorded on line under that file: with 8 sessions
    /// a year instead of 12, the ninth of the year is refused (PLAFOND); the server started
    /// without `--rules` accepts it on the same database.
    #[test]
    fn serve_judges_recorded_sessions_under_the_rules_option() {
        let shipped = include_str!("../../../../rules/regimes.toml");
        assert!(shipped.contains("sessions_per_year = 12"));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("regimes-8.toml");
        std::fs::write(
            &file,
            shipped.replace("sessions_per_year = 12", "sessions_per_year = 8"),
        )
        .unwrap();
        let eight = crate::cli::load_rules(Some(&file)).unwrap();

        // Last calendar year: nine weekly sessions all lie in the past, whatever today is.
        let year = msp_web::system_today().year() - 1;
        let day = |week: i64| date(year, 2, 2) + jiff::Span::new().weeks(week);
        for db in testing::all() {
            let label = db.label;
            let cookie = psychologist_and_patient(&mut db.connect());
            let with_rules = state(
                &db.url,
                false,
                msp_store::POOL_CACHE_MIB,
                Some(eight.clone()),
                false,
            )
            .unwrap();
            assert_eq!(
                with_rules
                    .rules()
                    .regime_on(day(0))
                    .unwrap()
                    .sessions_per_year,
                8
            );
            for week in 0..8 {
                let act = if week == 0 { "EEP" } else { "APS" };
                let j = record(&with_rules, &cookie, day(week), act);
                assert_eq!(j["statut"], "acceptee", "{label}: {j}");
                assert_eq!(j["rang"], week + 1, "{label}: {j}");
            }
            let j = record(&with_rules, &cookie, day(8), "APS");
            assert_eq!(j["statut"], "refusee", "{label}: {j}");
            assert_eq!(j["motif"]["code"], "PLAFOND", "{label}: {j}");
            assert_eq!(j["avant"]["restantes"], 0, "{label}: {j}");

            let shipped_rules =
                state(&db.url, false, msp_store::POOL_CACHE_MIB, None, false).unwrap();
            let j = record(&shipped_rules, &cookie, day(9), "APS");
            assert_eq!(j["statut"], "acceptee", "{label}: {j}");
            assert_eq!(j["rang"], 9, "{label}: {j}");
            assert_eq!(j["apres"]["restantes"], 3, "{label}: {j}");
        }
    }
}
