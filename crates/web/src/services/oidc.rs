//! Sign-in with OpenID Connect providers — Pro Santé Connect for psychologists, doctors and
//! midwives, FranceConnect for patients — as a standard relying party (the `openidconnect`
//! crate): discovery, authorization code with PKCE (S256), `state` and `nonce`, the ID token's
//! signature checked with the provider's JWKS (fetched at each sign-in, so rotated keys are
//! followed), its issuer, audience, expiry and nonce.
//!
//! A professional's identity comes from the provider only: `SubjectNameID` (IdNat_PS, `8` +
//! RPPS) and the profession code of `SubjectRefPro`; the RPPS is checked against the registry
//! for that profession (93, 10, 50) and fixed on the account at the first sign-in (an account
//! created then, or the password account an admin created with that RPPS). A patient's first
//! FranceConnect sign-in creates a patient account, tied to a beneficiary once by a form (NIR
//! and birth date, which must be FranceConnect's).

use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::security::sha256_hex;
use crate::services::identity::{self, Refusal};
use base64::Engine;
use jiff::{SignedDuration, Timestamp};
use msp_domain::{Role, Rpps};
use msp_store::accounts::{self, Account, NewAccount};
use msp_store::oidc::{self as store, PendingRequest};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};

/// Minutes an authorization request waits for its callback.
pub const REQUEST_MINUTES: i64 = 10;

/// Who signs in through a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Psychologists, doctors and midwives (Pro Santé Connect-like claims).
    Professionals,
    /// Patients (FranceConnect-like claims).
    Patients,
}

/// One provider, from the configuration of `msp serve`.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    /// Short name in URLs (`psc`, `franceconnect`).
    pub name: String,
    /// What the sign-in button says (« Pro Santé Connect »).
    pub label: String,
    pub audience: Audience,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// Besides `openid`.
    pub scopes: Vec<String>,
    /// This server's callback, as registered with the provider (`…/connexion/oidc/retour`).
    pub redirect_url: String,
}

impl ProviderConfig {
    /// The providers named in `MSP_OIDC_PROVIDERS` (comma-separated), each read from
    /// `MSP_OIDC_<NAME>_ISSUER`, `_CLIENT_ID`, `_CLIENT_SECRET`, `_SCOPES` (space-separated),
    /// `_AUDIENCE` (`professionnels` or `patients`), `_LABEL`, and `MSP_OIDC_REDIRECT_URL`.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Vec<ProviderConfig>, String> {
        let Some(names) = get("MSP_OIDC_PROVIDERS").filter(|n| !n.trim().is_empty()) else {
            return Ok(Vec::new());
        };
        let redirect_url = get("MSP_OIDC_REDIRECT_URL")
            .ok_or("MSP_OIDC_REDIRECT_URL : l’adresse de retour des fournisseurs d’identité est obligatoire")?;
        names
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|name| {
                let key =
                    |k: &str| format!("MSP_OIDC_{}_{k}", name.to_uppercase().replace('-', "_"));
                let need =
                    |k: &str| get(&key(k)).ok_or_else(|| format!("{} : obligatoire", key(k)));
                let audience = match need("AUDIENCE")?.as_str() {
                    "professionnels" => Audience::Professionals,
                    "patients" => Audience::Patients,
                    other => {
                        return Err(format!(
                            "{} : « professionnels » ou « patients », pas « {other} »",
                            key("AUDIENCE")
                        ));
                    }
                };
                Ok(ProviderConfig {
                    name: name.to_owned(),
                    label: get(&key("LABEL")).unwrap_or_else(|| name.to_owned()),
                    audience,
                    issuer: need("ISSUER")?,
                    client_id: need("CLIENT_ID")?,
                    client_secret: need("CLIENT_SECRET")?,
                    scopes: get(&key("SCOPES"))
                        .unwrap_or_default()
                        .split_whitespace()
                        .map(str::to_owned)
                        .collect(),
                    redirect_url: redirect_url.clone(),
                })
            })
            .collect()
    }
}

/// A refusal of a sign-in through a provider, shown as a French page.
fn refused(code: &'static str, message: impl Into<String>) -> AppError {
    AppError::forbidden(code, message).titled("Connexion refusée")
}

fn provider_failed(what: &str, e: impl std::fmt::Display) -> AppError {
    tracing::warn!(target: "msp::oidc", "{what}: {e}");
    refused(
        "fournisseur_identite",
        format!(
            "La connexion auprès du fournisseur d’identité a échoué ({what}). Recommencez ; si l’erreur persiste, contactez le support."
        ),
    )
}

fn provider(state: &AppState, name: &str) -> AppResult<ProviderConfig> {
    state
        .options()
        .oidc
        .iter()
        .find(|p| p.name == name)
        .cloned()
        .ok_or_else(|| {
            AppError::not_found(
                "fournisseur_inconnu",
                "Ce fournisseur d’identité n’est pas configuré.",
            )
        })
}

fn http_client() -> AppResult<openidconnect::reqwest::Client> {
    openidconnect::reqwest::ClientBuilder::new()
        // No redirection followed: an SSRF guard the crate recommends.
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(AppError::internal)
}

type Client = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

async fn discover(p: &ProviderConfig, http: &openidconnect::reqwest::Client) -> AppResult<Client> {
    let issuer = IssuerUrl::new(p.issuer.clone()).map_err(|e| provider_failed("adresse", e))?;
    let metadata = CoreProviderMetadata::discover_async(issuer, http)
        .await
        .map_err(|e| provider_failed("découverte", e))?;
    let redirect = RedirectUrl::new(p.redirect_url.clone()).map_err(AppError::internal)?;
    Ok(CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(p.client_id.clone()),
        Some(ClientSecret::new(p.client_secret.clone())),
    )
    .set_redirect_uri(redirect))
}

/// Starts a sign-in: the provider's authorization URL, the request (nonce, PKCE verifier) kept
/// under the SHA-256 of its `state` until the callback.
pub async fn start(state: &AppState, name: &str) -> AppResult<String> {
    let p = provider(state, name)?;
    let client = discover(&p, &http_client()?).await?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge);
    for s in &p.scopes {
        request = request.add_scope(Scope::new(s.clone()));
    }
    let (url, csrf, nonce) = request.url();
    let pending = PendingRequest {
        provider: p.name.clone(),
        nonce: nonce.secret().clone(),
        pkce_verifier: verifier.secret().clone(),
    };
    let now = Timestamp::now();
    let expires = now
        .checked_add(SignedDuration::from_mins(REQUEST_MINUTES))
        .unwrap_or(now);
    let key = sha256_hex(csrf.secret());
    state
        .db(move |db| store::save_request(db, &key, &pending, now, expires))
        .await?;
    Ok(url.to_string())
}

/// What the provider answered on the callback URL.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct Callback {
    pub code: String,
    pub state: String,
    pub error: String,
}

/// Ends a sign-in: the request of `state` consumed (a replayed or unknown `state` is refused),
/// the code exchanged with the PKCE verifier, the ID token checked; then the account found,
/// created or refused. The account to open a session for.
pub async fn finish(state: &AppState, callback: Callback) -> AppResult<Account> {
    if !callback.error.is_empty() {
        return Err(refused(
            "connexion_annulee",
            "Le fournisseur d’identité n’a pas confirmé votre identité : la connexion est annulée.",
        ));
    }
    let key = sha256_hex(&callback.state);
    let pending = state
        .db(move |db| store::take_request(db, &key, Timestamp::now()))
        .await?
        .ok_or_else(|| {
            refused(
                "demande_inconnue",
                "Cette demande de connexion est inconnue, expirée ou a déjà servi. Recommencez depuis la page de connexion.",
            )
        })?;
    let p = provider(state, &pending.provider)?;
    let http = http_client()?;
    let client = discover(&p, &http).await?;
    let token = client
        .exchange_code(AuthorizationCode::new(callback.code))
        .map_err(|e| provider_failed("jeton", e))?
        .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
        .request_async(&http)
        .await
        .map_err(|e| provider_failed("jeton", e))?;
    let id_token = token
        .id_token()
        .ok_or_else(|| provider_failed("jeton d’identité", "absent"))?;
    let claims = id_token
        .claims(
            &client.id_token_verifier(),
            &Nonce::new(pending.nonce.clone()),
        )
        .map_err(|e| provider_failed("jeton d’identité invalide", e))?;
    let subject = claims.subject().as_str().to_owned();
    // The verified token's payload, for the claims the crate does not type (SubjectNameID…).
    let payload = id_token
        .to_string()
        .split('.')
        .nth(1)
        .and_then(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p)
                .ok()
        })
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .ok_or_else(|| provider_failed("jeton d’identité", "illisible"))?;
    match p.audience {
        Audience::Professionals => professional(state, &p, subject, &payload).await,
        Audience::Patients => patient(state, &p, subject, &payload).await,
    }
}

fn text(payload: &serde_json::Value, claim: &str) -> String {
    payload
        .get(claim)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .trim()
        .to_owned()
}

fn full_name(payload: &serde_json::Value) -> String {
    format!(
        "{} {}",
        text(payload, "given_name"),
        text(payload, "family_name")
    )
    .trim()
    .to_owned()
}

/// The identity a Pro Santé Connect-like token states: the RPPS of `SubjectNameID` (`8` +
/// RPPS) and the role of the first profession code of `SubjectRefPro.exercices`.
pub fn professional_identity(payload: &serde_json::Value) -> Result<(Rpps, Role), AppError> {
    let id = text(payload, "SubjectNameID");
    let rpps = id
        .strip_prefix('8')
        .and_then(|r| Rpps::parse(r).ok())
        .ok_or_else(|| {
            refused(
                "identifiant_national_invalide",
                "Le fournisseur d’identité n’a pas donné d’identifiant RPPS (IdNat_PS commençant par 8) : seuls les professionnels inscrits au RPPS se connectent ici.",
            )
        })?;
    let code = payload
        .pointer("/SubjectRefPro/exercices/0/codeProfession")
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    let role = identity::role_of_profession(code).ok_or_else(|| {
        refused(
            "profession_non_admise",
            format!(
                "L’espace professionnel de Mon soutien psy est réservé aux psychologues, aux médecins et aux sages-femmes ; Pro Santé Connect indique la profession {}.",
                identity::profession_fr(code)
            ),
        )
    })?;
    Ok((rpps, role))
}

fn refusal_error(refusal: &Refusal, role: Role) -> AppError {
    let e = refusal.error(role);
    e.titled("Connexion refusée")
}

fn no_password() -> &'static str {
    // Not a PHC string: no password ever matches it.
    "!oidc"
}

async fn professional(
    state: &AppState,
    p: &ProviderConfig,
    subject: String,
    payload: &serde_json::Value,
) -> AppResult<Account> {
    let (rpps, role) = professional_identity(payload)?;
    let name = full_name(payload);
    let provider = p.name.clone();
    let outcome = state
        .db(move |db| {
            db.transaction(|db| {
                if let Some(id) = store::account_of(db, &provider, &subject)? {
                    return Ok(Ok(accounts::get_account(db, id)?));
                }
                if let Err(r) = identity::check_registry(db, rpps, role)? {
                    return Ok(Err(r));
                }
                // An account an admin created with this RPPS (same role): this is its holder.
                let id = match accounts::account_by_rpps(db, &rpps.to_string())? {
                    Some(a) if a.role == role => a.id,
                    Some(_) => return Ok(Err(Refusal::Taken)),
                    None => {
                        let email = format!("rpps-{rpps}@{provider}.oidc");
                        let id = accounts::create_account(
                            db,
                            &NewAccount {
                                email: &email,
                                password_hash: no_password(),
                                role,
                                display_name: if name.is_empty() { &email } else { &name },
                                territory: None,
                                created_by: &format!("connexion {provider}"),
                            },
                            Timestamp::now(),
                        )?;
                        if let Err(r) = identity::fix_rpps(db, id, role, rpps)? {
                            // Rolls the account back.
                            return Err(msp_store::StoreError::Conflict(r.message(role)));
                        }
                        id
                    }
                };
                store::bind(db, &provider, &subject, id, Timestamp::now())?;
                Ok(Ok(accounts::get_account(db, id)?))
            })
        })
        .await;
    match outcome {
        Ok(Ok(Some(account))) => active(account),
        Ok(Ok(None)) => Err(AppError::internal("compte lié introuvable")),
        Ok(Err(r)) => Err(refusal_error(&r, role)),
        Err(AppError::Conflict(_)) => Err(refusal_error(&Refusal::Taken, role)),
        Err(e) => Err(e),
    }
}

fn active(account: Account) -> AppResult<Account> {
    if account.active {
        Ok(account)
    } else {
        Err(refused(
            "compte_desactive",
            crate::services::auth::DEACTIVATED,
        ))
    }
}

async fn patient(
    state: &AppState,
    p: &ProviderConfig,
    subject: String,
    payload: &serde_json::Value,
) -> AppResult<Account> {
    let name = full_name(payload);
    let birth = text(payload, "birthdate");
    let provider = p.name.clone();
    let account = state
        .db(move |db| {
            db.transaction(|db| {
                if let Some(id) = store::account_of(db, &provider, &subject)? {
                    return accounts::get_account(db, id);
                }
                let email = format!("{}@{provider}.oidc", sha256_hex(&subject)[..16].to_owned());
                let id = accounts::create_account(
                    db,
                    &NewAccount {
                        email: &email,
                        password_hash: no_password(),
                        role: Role::Patient,
                        display_name: if name.is_empty() { &email } else { &name },
                        territory: None,
                        created_by: &format!("connexion {provider}"),
                    },
                    Timestamp::now(),
                )?;
                store::bind(db, &provider, &subject, id, Timestamp::now())?;
                store::set_birthdate(db, &provider, &subject, &birth)?;
                accounts::get_account(db, id)
            })
        })
        .await?
        .ok_or_else(|| AppError::internal("compte lié introuvable"))?;
    active(account)
}

/// The birth date FranceConnect gave for a patient's account, if it signed in that way.
pub async fn provider_birthdate(state: &AppState, account: i64) -> AppResult<Option<String>> {
    state.db(move |db| store::birthdate_of(db, account)).await
}
