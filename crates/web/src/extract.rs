//! Extractors: who is acting, checked before the handler runs, and bodies read into typed
//! values with French refusals.
//!
//! - [`CurrentUser`] / [`MaybeUser`]: the session of the request (cookie `msp_session`; the
//!   store keeps only the token's SHA-256). Missing or expired: [`AppError::Unauthenticated`],
//!   which pages render as a redirection to `/connexion` and the API as a 401.
//! - Role-bound identities: [`Admin`], [`Expert`], [`Patient`], [`Analyst`], [`Applicant`]
//!   (any psychologist account), [`Psychologist`] (with the RPPS of an accepted application),
//!   [`Prescriber`] (doctor or midwife, with the kind of referrer), [`CpamAgent`] (with its
//!   territory). A wrong role is a 403 naming who the action is for.
//! - [`CsrfForm`]: a form whose `_csrf` matches the session's token, read as `T`.
//! - [`ApiJson`]: an `application/json` body (415 otherwise) read as `T`; unknown fields are
//!   refused by the types (`deny_unknown_fields`) and every refusal is a 422 naming the field.

use crate::AppState;
use crate::error::{AppError, SignedOut};
use crate::security::{constant_time_eq, sha256_hex};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use jiff::Timestamp;
use msp_domain::{ReferrerKind, Role, Rpps};
use msp_store::accounts::{self, Account, SessionLookup};
use serde::de::DeserializeOwned;
use std::ops::Deref;
use std::sync::{Arc, Mutex};

/// Where the signed-in person of a request is kept once an extractor has found them, so that an
/// error page keeps their menu.
#[derive(Clone, Default)]
pub struct UserSlot(Arc<Mutex<Option<CurrentUser>>>);

impl UserSlot {
    pub fn set(&self, user: &CurrentUser) {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(user.clone());
    }

    pub(crate) fn get(&self) -> Option<CurrentUser> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

pub const SESSION_COOKIE: &str = "msp_session";

/// The signed-in person.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub account: Account,
    pub csrf: String,
    pub(crate) token_hash: String,
}

impl CurrentUser {
    /// « email (rôle) », as the histories and the audit log name people.
    pub fn actor(&self) -> String {
        format!("{} ({})", self.account.email, self.account.role.code())
    }

    pub fn role(&self) -> Role {
        self.account.role
    }

    /// The SHA-256 of this session's token, as the store knows it.
    pub fn session_hash(&self) -> &str {
        &self.token_hash
    }

    /// 403 unless the account has one of these roles; `reserved_to` completes « Cette action
    /// est réservée … » (« aux psychologues »).
    pub fn require_role(&self, roles: &[Role], reserved_to: &str) -> Result<(), AppError> {
        if roles.contains(&self.account.role) {
            Ok(())
        } else {
            Err(AppError::forbidden(
                "acces_refuse",
                format!(
                    "Cette action est réservée {reserved_to} ; votre compte est un compte « {} ».",
                    self.account.role.label_fr()
                ),
            ))
        }
    }

    /// 403 unless `sent` is this session's CSRF token.
    pub fn check_csrf(&self, sent: Option<&str>) -> Result<(), AppError> {
        if sent.is_some_and(|t| constant_time_eq(t, &self.csrf)) {
            Ok(())
        } else {
            Err(csrf_refused())
        }
    }
}

/// The refusal of a form without its security token.
pub fn csrf_refused() -> AppError {
    AppError::forbidden(
        "jeton_invalide",
        "Le jeton de sécurité du formulaire est absent ou invalide. Rechargez la page et recommencez.",
    )
}

/// Cookie value from the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// Whether the request reached us over HTTPS (directly or through a proxy that says so).
pub fn is_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value: `HttpOnly`, `SameSite=Lax`, `Secure` over HTTPS.
pub fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The `Set-Cookie` value that forgets an ended session.
pub fn expired_session_cookie() -> HeaderValue {
    set_cookie(SESSION_COOKIE, "", 0, false)
}

/// Paths an account that must change its password may still reach.
fn allowed_before_change(path: &str) -> bool {
    path == crate::paths::PASSWORD || path == crate::paths::SIGN_OUT
}

/// The session of the request: `Ok(None)` when there is no cookie.
async fn lookup(
    parts: &Parts,
    state: &AppState,
) -> Result<Result<CurrentUser, SignedOut>, AppError> {
    let Some(token) = cookie(&parts.headers, SESSION_COOKIE).filter(|t| !t.is_empty()) else {
        return Ok(Err(SignedOut::Missing));
    };
    let token_hash = sha256_hex(&token);
    let key = token_hash.clone();
    let found = state
        .db(move |db| accounts::find_session(db, &key, Timestamp::now()))
        .await?;
    Ok(match found {
        SessionLookup::Valid(s)
            if s.account.must_change_password && !allowed_before_change(parts.uri.path()) =>
        {
            Err(SignedOut::MustChangePassword)
        }
        SessionLookup::Valid(s) => Ok(CurrentUser {
            account: s.account,
            csrf: s.csrf_token,
            token_hash,
        }),
        SessionLookup::Expired | SessionLookup::Unknown => Err(SignedOut::Expired),
    })
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if let Some(user) = parts.extensions.get::<CurrentUser>() {
            return Ok(user.clone());
        }
        let user = lookup(parts, state)
            .await?
            .map_err(AppError::Unauthenticated)?;
        if let Some(slot) = parts.extensions.get::<UserSlot>() {
            slot.set(&user);
        }
        // Later extractors of the same request (the CSRF form) find it here.
        parts.extensions.insert(user.clone());
        Ok(user)
    }
}

/// The session of the request, if any. An account that must change its password counts as
/// signed out here (the JSON API answers 401).
pub struct MaybeUser(pub Option<CurrentUser>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        match CurrentUser::from_request_parts(parts, state).await {
            Ok(user) => Ok(MaybeUser(Some(user))),
            Err(AppError::Unauthenticated(_)) => Ok(MaybeUser(None)),
            Err(other) => Err(other),
        }
    }
}

/// An extractor for accounts of given roles: `$name(pub CurrentUser)`.
macro_rules! role_bound {
    ($(#[$doc:meta])* $name:ident, [$($role:expr),+], $reserved_to:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub CurrentUser);

        impl FromRequestParts<AppState> for $name {
            type Rejection = AppError;

            async fn from_request_parts(
                parts: &mut Parts,
                state: &AppState,
            ) -> Result<Self, AppError> {
                let user = CurrentUser::from_request_parts(parts, state).await?;
                user.require_role(&[$($role),+], $reserved_to)?;
                Ok($name(user))
            }
        }

        impl Deref for $name {
            type Target = CurrentUser;
            fn deref(&self) -> &CurrentUser {
                &self.0
            }
        }
    };
}

role_bound!(
    /// An administrator.
    Admin, [Role::Admin], "aux administrateurs"
);
role_bound!(
    /// A member of the selection committee.
    Expert, [Role::Expert], "aux experts de la commission"
);
role_bound!(
    /// A patient's own account.
    Patient, [Role::Patient], "aux patients"
);
role_bound!(
    /// An analyst of an ARS.
    Analyst, [Role::AnalysteArs], "aux analystes des ARS"
);
role_bound!(
    /// A psychologist's account, with or without an accepted application (the enrolment pages).
    Applicant, [Role::Psychologue], "aux psychologues"
);
role_bound!(
    /// Someone who may read a session: the patient, a psychologist, a CPAM agent (each page
    /// then checks which sessions).
    SessionReader,
    [Role::Psychologue, Role::AgentCpam, Role::Patient],
    "au patient, aux psychologues qui l’ont reçu et aux agents de CPAM"
);

/// A psychologist whose application was accepted: the RPPS is the one the committee checked,
/// never one typed in a form.
#[derive(Debug, Clone)]
pub struct Psychologist {
    pub user: CurrentUser,
    pub rpps: Rpps,
}

impl Deref for Psychologist {
    type Target = CurrentUser;
    fn deref(&self) -> &CurrentUser {
        &self.user
    }
}

/// The RPPS of an account's accepted application, if any.
pub async fn own_rpps(state: &AppState, user: &CurrentUser) -> Result<Option<Rpps>, AppError> {
    use msp_store::enrolment::{self, Status};
    let account = user.account.id;
    let verified = user
        .account
        .rpps
        .as_deref()
        .and_then(|r| Rpps::parse(r).ok());
    state
        .db(move |db| {
            // A verified RPPS (Pro Santé Connect, the registry) with a convention on record, as
            // one imported from the CPAM's files, needs no application in msp.
            if let Some(rpps) = verified
                && enrolment::has_convention(db, rpps)?
            {
                return Ok(Some(rpps));
            }
            Ok(enrolment::current_application(db, account)?
                .filter(|a| a.status == Status::Accepted)
                .and_then(|a| Rpps::parse(&a.fields.rpps).ok()))
        })
        .await
}

impl FromRequestParts<AppState> for Psychologist {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let Applicant(user) = Applicant::from_request_parts(parts, state).await?;
        let rpps = own_rpps(state, &user).await?.ok_or_else(|| {
            AppError::forbidden(
                "sans_rpps",
                if user.account.rpps.is_some() {
                    "Aucune convention n’est enregistrée pour votre RPPS : ces pages s’ouvrent une fois votre candidature au conventionnement acceptée (voyez « Ma candidature »)."
                } else {
                    "Votre compte n’est rattaché à aucun RPPS : ces pages s’ouvrent une fois votre candidature au conventionnement acceptée (voyez « Ma candidature »)."
                },
            )
        })?;
        Ok(Psychologist { user, rpps })
    }
}

/// A doctor or a midwife, who issues referral letters, with the account's verified RPPS (from
/// Pro Santé Connect, or checked against the registry when the account was created): letters
/// name it, never an identifier typed in a form.
#[derive(Debug, Clone)]
pub struct Prescriber {
    pub user: CurrentUser,
    pub kind: ReferrerKind,
    pub rpps: Rpps,
    /// « Prénom Nom » as the national registry has it for that RPPS (the account's display
    /// name only when the registry no longer lists it): what the letters carry.
    pub name: String,
}

impl Deref for Prescriber {
    type Target = CurrentUser;
    fn deref(&self) -> &CurrentUser {
        &self.user
    }
}

/// The kind of referrer an account's role is, if any.
pub fn referrer_kind(role: Role) -> Option<ReferrerKind> {
    match role {
        Role::Medecin => Some(ReferrerKind::Medecin),
        Role::SageFemme => Some(ReferrerKind::SageFemme),
        _ => None,
    }
}

impl FromRequestParts<AppState> for Prescriber {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        user.require_role(
            &[Role::Medecin, Role::SageFemme],
            "aux médecins et aux sages-femmes",
        )?;
        let kind = referrer_kind(user.role()).ok_or_else(|| AppError::internal("prescripteur"))?;
        let rpps = user
            .account
            .rpps
            .as_deref()
            .and_then(|r| Rpps::parse(r).ok())
            .ok_or_else(|| {
                AppError::forbidden(
                    "sans_rpps",
                    "Votre compte n’a pas de RPPS vérifié : connectez-vous avec Pro Santé Connect, ou demandez à l’administrateur de le renseigner.",
                )
            })?;
        let registered = state
            .db(move |db| msp_store::enrolment::registry_entry(db, rpps))
            .await?;
        let name = registered
            .map(|e| format!("{} {}", e.first_name, e.last_name))
            .unwrap_or_else(|| user.account.display_name.clone());
        Ok(Prescriber {
            user,
            kind,
            rpps,
            name,
        })
    }
}

/// An agent of a CPAM, with its territory: a département code, or `None` for a national agent.
#[derive(Debug, Clone)]
pub struct CpamAgent {
    pub user: CurrentUser,
    pub territory: Option<String>,
}

impl CpamAgent {
    /// The agent behind a signed-in person, when they are one (services that several roles
    /// reach ask this to apply the territory).
    pub fn of(user: &CurrentUser) -> Option<CpamAgent> {
        (user.role() == Role::AgentCpam).then(|| CpamAgent {
            user: user.clone(),
            territory: user.account.territory.clone().filter(|t| !t.is_empty()),
        })
    }
}

impl Deref for CpamAgent {
    type Target = CurrentUser;
    fn deref(&self) -> &CurrentUser {
        &self.user
    }
}

impl FromRequestParts<AppState> for CpamAgent {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        user.require_role(&[Role::AgentCpam], "aux agents de CPAM")?;
        CpamAgent::of(&user).ok_or_else(|| AppError::internal("agent de CPAM"))
    }
}

/// A form of the signed-in space, read as `T` once its `_csrf` matched the session's token.
/// Fields `T` does not name are ignored (the token itself among them).
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, AppError> {
        let (mut parts, body) = req.into_parts();
        let user = CurrentUser::from_request_parts(&mut parts, state).await?;
        let bytes = axum::body::to_bytes(body, crate::MAX_FORM_BYTES)
            .await
            .map_err(|_| {
                AppError::rejected(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "formulaire_trop_long",
                    "Le formulaire envoyé est trop long.",
                )
            })?;
        let token: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
            .map_err(|_| AppError::invalid("formulaire_illisible", "Formulaire illisible."))?;
        let sent = token
            .iter()
            .find(|(k, _)| k == "_csrf")
            .map(|(_, v)| v.as_str());
        user.check_csrf(sent)?;
        let value = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
            AppError::invalid(
                "formulaire_illisible",
                format!("Formulaire illisible : {e}."),
            )
        })?;
        Ok(CsrfForm(value))
    }
}

/// A JSON body read as `T`: 415 unless `application/json` (which a cross-site form cannot
/// send), 422 naming the field otherwise.
pub struct ApiJson<T>(pub T);

/// 415 unless the request says its body is JSON.
pub fn require_json(headers: &HeaderMap) -> Result<(), AppError> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            let v = v.trim();
            v.eq_ignore_ascii_case("application/json")
                || (v.starts_with("application/") && v.ends_with("+json"))
        });
    if json {
        Ok(())
    } else {
        Err(AppError::rejected(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "type_invalide",
            "Corps attendu en JSON : envoyez l’en-tête Content-Type: application/json.",
        ))
    }
}

/// Reads `bytes` as `T`, every refusal in French naming the field.
pub fn json_value<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        json_refusal(&path, &inner)
    })
}

fn json_refusal(path: &str, e: &serde_json::Error) -> AppError {
    use serde_json::error::Category;
    let text = e.to_string();
    // serde's own words, reworded: `unknown field `x`, expected one of `a`, `b``.
    let quoted = |s: &str| -> Vec<String> {
        s.split('`')
            .enumerate()
            .filter(|(i, _)| i % 2 == 1)
            .map(|(_, w)| w.to_owned())
            .collect()
    };
    let at = |field: &str| {
        if path.is_empty() || path == "." {
            field.to_owned()
        } else {
            path.to_owned()
        }
    };
    if let Some(rest) = text.strip_prefix("unknown field ") {
        let names = quoted(rest);
        let unknown = names.first().cloned().unwrap_or_default();
        let accepted = names.get(1..).map(|n| n.join(", ")).unwrap_or_default();
        // serde_path_to_error's path already ends with the unknown field.
        let champ = if path.is_empty() || path == "." {
            unknown.clone()
        } else if path == unknown || path.ends_with(&format!(".{unknown}")) {
            path.to_owned()
        } else {
            format!("{path}.{unknown}")
        };
        return AppError::invalid(
            "champ_inconnu",
            format!("Champ inconnu « {champ} ». Champs acceptés : {accepted}."),
        )
        .field(&champ);
    }
    if let Some(rest) = text.strip_prefix("missing field ") {
        let name = quoted(rest).first().cloned().unwrap_or_default();
        let champ = if path.is_empty() || path == "." {
            name
        } else {
            format!("{path}.{name}")
        };
        return AppError::invalid("champ_manquant", format!("Champ « {champ} » obligatoire."))
            .field(&champ);
    }
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => AppError::invalid(
            "json_invalide",
            format!(
                "Corps JSON illisible (ligne {}, colonne {}) : vérifiez les guillemets, virgules et accolades.",
                e.line(),
                e.column()
            ),
        ),
        Category::Data => {
            let champ = at("corps");
            let expected = text
                .split(", expected ")
                .nth(1)
                .map(|x| x.split(" at line").next().unwrap_or(x).to_owned())
                .unwrap_or_default();
            let what = if expected.is_empty() {
                String::new()
            } else {
                format!(" (attendu : {})", french_expected(&expected))
            };
            AppError::invalid(
                "json_invalide",
                format!("Champ « {champ} » : valeur de type inattendu{what}."),
            )
            .field(&champ)
        }
    }
}

/// serde's « a string », « a boolean »… in French.
fn french_expected(e: &str) -> String {
    let e = e.trim();
    match e {
        "a string" => "une chaîne de caractères".into(),
        "a boolean" => "un booléen (true ou false)".into(),
        "struct" => "un objet JSON".into(),
        s if s.starts_with("struct ") => "un objet JSON".into(),
        s if s.contains("integer") => "un nombre entier".into(),
        s if s.contains("sequence") => "une liste".into(),
        s if s.starts_with("i32") || s.starts_with("u32") || s.starts_with("i64") => {
            "un nombre entier".into()
        }
        other => other.replace('`', "« ").replace(" or ", " ou "),
    }
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, _state: &AppState) -> Result<Self, AppError> {
        require_json(req.headers())?;
        let bytes = axum::body::to_bytes(req.into_body(), crate::MAX_JSON_BYTES)
            .await
            .map_err(|_| {
                AppError::rejected(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "corps_trop_long",
                    "Corps JSON trop long.",
                )
            })?;
        Ok(ApiJson(json_value(&bytes)?))
    }
}

/// The client's address, for the sign-in limits: the TCP peer's, or — only when the server is
/// told to trust its proxy (`--trust-proxy`) — the one the proxy reports, the last `for=` of
/// `Forwarded` (RFC 7239) or else the last entry of `X-Forwarded-For` (the one the proxy
/// added; entries before it are the client's own word). `inconnue` when neither is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddr(pub String);

/// An address as a proxy writes it (`192.0.2.1`, `"[2001:db8::1]:4711"`, `192.0.2.1:80`), in
/// canonical form; `None` when it is not one (`unknown`, an obfuscated `_node`).
fn parse_addr(raw: &str) -> Option<std::net::IpAddr> {
    let v = raw.trim().trim_matches('"');
    if let Ok(ip) = v.parse() {
        return Some(ip);
    }
    if let Ok(sock) = v.parse::<std::net::SocketAddr>() {
        return Some(sock.ip());
    }
    v.trim_start_matches('[').split(']').next()?.parse().ok()
}

/// The address the trusted proxy reports, from its headers.
pub fn forwarded_addr(headers: &HeaderMap) -> Option<std::net::IpAddr> {
    // Several header lines of one name are one comma-separated list.
    let last_of = |name: &str| -> Option<String> {
        let all: Vec<&str> = headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        (!all.is_empty()).then(|| all.join(","))
    };
    if let Some(f) = last_of("forwarded") {
        let last_for = f
            .split(',')
            .filter_map(|element| {
                element.split(';').find_map(|pair| {
                    let (k, v) = pair.split_once('=')?;
                    k.trim().eq_ignore_ascii_case("for").then_some(v)
                })
            })
            .next_back();
        if let Some(ip) = last_for.and_then(parse_addr) {
            return Some(ip);
        }
    }
    last_of("x-forwarded-for")?
        .split(',')
        .next_back()
        .and_then(parse_addr)
}

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        let forwarded = state
            .trust_proxy()
            .then(|| forwarded_addr(&parts.headers))
            .flatten();
        Ok(ClientAddr(forwarded.or(peer).map_or_else(
            || "inconnue".to_owned(),
            |ip| ip.to_string(),
        )))
    }
}
