//! The signed-in space: the layout with each role's menu, the home page of each role, account
//! management (creation, deactivation and reactivation, password reset) and the audit log
//! (admin), the statistics of an ARS analyst's own région.

// Handlers refuse with a ready French page; boxing it would buy nothing here.
#![allow(clippy::result_large_err)]

use crate::AppState;
use crate::pages::auth::{
    CurrentUser, MIN_PASSWORD_CHARS, PASSWORD_PAGE, blocking, hash_password, temporary_password,
};
use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use jiff::Timestamp;
use maud::{Markup, html};
use msp_domain::Role;
use msp_store::StoreError;
use msp_store::accounts::{self, Account, NewAccount};
use msp_store::audit;
use std::collections::HashMap;

/// Routes of the signed-in space (sign-in pages included).
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/connexion",
            get(crate::pages::auth::login_page).post(crate::pages::auth::login),
        )
        .route("/deconnexion", post(crate::pages::auth::logout))
        .route("/espace", get(home))
        .route(
            PASSWORD_PAGE,
            get(crate::pages::auth::password_page).post(crate::pages::auth::change_password),
        )
        .route(
            "/espace/admin/comptes",
            get(accounts_page).post(create_account),
        )
        .route(
            "/espace/admin/comptes/{id}/desactivation",
            post(deactivate_account),
        )
        .route(
            "/espace/admin/comptes/{id}/reactivation",
            post(reactivate_account),
        )
        .route(
            "/espace/admin/comptes/{id}/reinitialisation",
            post(reset_password),
        )
        .route("/espace/admin/journal", get(audit_page))
        .route("/espace/ars/{region}", get(ars_region))
        .merge(crate::pages::enrolment::router())
        .merge(crate::pages::sessions::router())
        .merge(crate::pages::referrals::router())
        .merge(crate::pages::claims::router())
}

pub use crate::views::menu;

/// The page frame of the signed-in space (and of the sign-in page).
pub fn layout(user: Option<&CurrentUser>, title: &str, body: Markup) -> Markup {
    crate::views::layout(&crate::views::Frame::new(user, title), body)
}

/// A refusal or error page.
pub fn refusal(
    _user: Option<&CurrentUser>,
    status: StatusCode,
    title: &str,
    message: &str,
) -> Response {
    let p = crate::error::Problem::new(status, "refus", message).titled(title);
    crate::error::AppError::from(p).into_response()
}

/// `GET /espace`: what this role can do.
async fn home(user: CurrentUser) -> Response {
    let intro = match user.role() {
        Role::Patient => {
            "Vos séances de l’année, le nombre de séances qu’il vous reste et vos remboursements."
        }
        Role::Psychologue => {
            "Déposez votre candidature au conventionnement, gérez votre convention, saisissez vos séances et suivez leurs remboursements."
        }
        Role::Medecin | Role::SageFemme => {
            "Émettez des courriers d’adressage vers un psychologue conventionné et retrouvez ceux que vous avez émis."
        }
        Role::Expert => {
            "Examinez les candidatures déposées : acceptez ou refusez-les en motivant votre décision."
        }
        Role::AgentCpam => {
            "Signez les conventions des candidats acceptés, suspendez ou excluez un psychologue, traitez les séances rejetées et jugez les lots de feuilles de soins."
        }
        Role::AnalysteArs => "Consultez les statistiques de votre région, sans donnée personnelle.",
        Role::Admin => "Gérez les comptes et consultez le journal d’audit.",
    };
    let body = html! {
        h1 { "Mon espace" }
        p class="lead" { "Bonjour " (user.account.display_name) "." }
        p { (intro) }
        ul {
            @for (href, label) in menu(Some(user.role())).into_iter().skip(1) {
                li { a href=(href) { (label) } }
            }
            @if user.role() == Role::AnalysteArs {
                @if let Some(r) = &user.account.territory {
                    li { a href=(format!("/espace/ars/{r}")) { "Statistiques de ma région (" (r) ")" } }
                }
            }
            @if user.role() == Role::Psychologue {
                li { a href="/espace/convention" { "Ma convention" } }
            }
            li { a href=(PASSWORD_PAGE) { "Changer mon mot de passe" } }
        }
    };
    layout(Some(&user), "Mon espace", body).into_response()
}

async fn accounts_page(State(state): State<AppState>, user: CurrentUser) -> Response {
    if let Err(r) = user.require(&[Role::Admin]) {
        return r;
    }
    accounts_view(&state, &user, StatusCode::OK, None).await
}

async fn accounts_view(
    state: &AppState,
    user: &CurrentUser,
    status: StatusCode,
    message: Option<(bool, String)>,
) -> Response {
    let list = match blocking(state, accounts::list_accounts).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let body = html! {
        h1 { "Comptes" }
        @if let Some((ok, m)) = &message {
            div class="alert" role=(if *ok { "status" } else { "alert" }) { p { (m) } }
        }
        table {
            caption { "Comptes existants" }
            thead { tr { th scope="col" { "Adresse" } th scope="col" { "Nom" } th scope="col" { "Rôle" } th scope="col" { "Territoire" } th scope="col" { "Actif" } th scope="col" { "Actions" } } }
            tbody {
                @for a in &list {
                    tr {
                        td { (a.email) } td { (a.display_name) } td { (a.role.label_fr()) }
                        td { (a.territory.as_deref().unwrap_or("—")) }
                        td {
                            @if a.active { "oui" } @else { "non" }
                            @if a.must_change_password { br; "mot de passe provisoire" }
                        }
                        td {
                            @if a.id == user.account.id {
                                "votre compte"
                            } @else {
                                @let (path, label) = if a.active {
                                    ("desactivation", "Désactiver")
                                } else {
                                    ("reactivation", "Réactiver")
                                };
                                form method="post" action=(format!("/espace/admin/comptes/{}/{path}", a.id)) {
                                    input type="hidden" name="_csrf" value=(user.csrf);
                                    button type="submit" class="button-secondary" {
                                        (label) span class="visually-hidden" { " le compte " (a.email) }
                                    }
                                }
                                form method="post" action=(format!("/espace/admin/comptes/{}/reinitialisation", a.id)) {
                                    input type="hidden" name="_csrf" value=(user.csrf);
                                    button type="submit" class="button-secondary" {
                                        "Réinitialiser le mot de passe"
                                        span class="visually-hidden" { " du compte " (a.email) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Créer un compte" }
        form method="post" action="/espace/admin/comptes" class="search" {
            input type="hidden" name="_csrf" value=(user.csrf);
            div class="field" { label for="email" { "Adresse électronique" } input id="email" name="email" type="email" required; }
            div class="field" { label for="nom" { "Nom affiché" } input id="nom" name="nom" type="text" required; }
            div class="field" {
                label for="role" { "Rôle" }
                select id="role" name="role" {
                    @for r in Role::ALL { option value=(r.code()) { (r.label_fr()) } }
                }
            }
            div class="field" {
                label for="territoire" { "Territoire" }
                p id="territoire-aide" class="hint" { "Code de région pour un analyste d’ARS (obligatoire, ex. 84) ; code de département pour un agent de CPAM (facultatif, ex. 69)." }
                input id="territoire" name="territoire" type="text" aria-describedby="territoire-aide";
            }
            div class="field" {
                label for="nir" { "NIR de l’assuré (compte patient)" }
                p id="nir-aide" class="hint" { "Obligatoire pour un compte patient : le patient verra ses séances et remboursements." }
                input id="nir" name="nir" type="text" inputmode="numeric" autocomplete="off" aria-describedby="nir-aide";
            }
            div class="field" {
                label for="password" { "Mot de passe initial" }
                p id="password-aide" class="hint" { (MIN_PASSWORD_CHARS) " caractères au moins." }
                input id="password" name="password" type="password" autocomplete="new-password" required aria-describedby="password-aide";
            }
            div class="actions" { button type="submit" class="button" { "Créer le compte" } }
        }
    };
    (status, layout(Some(user), "Comptes", body)).into_response()
}

/// Checks an account form; returns the French reason of the first problem.
pub fn validate_new_account(
    email: &str,
    name: &str,
    role: Option<Role>,
    territory: &str,
    password: &str,
) -> Result<Role, String> {
    let email = email.trim();
    let at = email.find('@');
    if email.is_empty() || at.is_none_or(|i| i == 0 || i == email.len() - 1) || email.contains(' ')
    {
        return Err("Adresse électronique invalide.".into());
    }
    if name.trim().is_empty() {
        return Err("Le nom affiché est obligatoire.".into());
    }
    let role = role.ok_or("Rôle inconnu.")?;
    if role.needs_region() {
        let t = territory.trim();
        if msp_geo::communes().all().iter().all(|c| c.region != t) {
            return Err(format!(
                "Région « {t} » inconnue : un analyste d’ARS a besoin du code de sa région (ex. 84)."
            ));
        }
    }
    if role == Role::AgentCpam
        && !territory.trim().is_empty()
        && msp_geo::communes()
            .departement_name(territory.trim())
            .is_none()
    {
        return Err(format!("Département « {} » inconnu.", territory.trim()));
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!(
            "Le mot de passe doit compter au moins {MIN_PASSWORD_CHARS} caractères."
        ));
    }
    Ok(role)
}

async fn create_account(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Err(r) = user
        .require(&[Role::Admin])
        .and_then(|()| user.check_form(&form))
    {
        return r;
    }
    let f = |k: &str| form.get(k).map(String::as_str).unwrap_or("").to_owned();
    let (email, name, territory, password) = (f("email"), f("nom"), f("territoire"), f("password"));
    let role = match validate_new_account(
        &email,
        &name,
        Role::parse(&f("role")),
        &territory,
        &password,
    ) {
        Ok(r) => r,
        Err(m) => {
            return accounts_view(
                &state,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some((false, m)),
            )
            .await;
        }
    };
    let patient_nir = if role == Role::Patient {
        match msp_domain::Nir::parse(&f("nir")) {
            Ok(n) => Some(n),
            Err(e) => {
                return accounts_view(
                    &state,
                    &user,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some((
                        false,
                        format!("Un compte patient a besoin du NIR de l’assuré : {e}."),
                    )),
                )
                .await;
            }
        }
    } else {
        None
    };
    let hash = match hash_password(password).await {
        Ok(h) => h,
        Err(r) => return r,
    };
    let actor = user.actor();
    let email2 = email.clone();
    let u = user.clone();
    let created = blocking(&state, move |db| {
        let t = territory.trim();
        db.transaction(|db| {
            let id = accounts::create_account(
                db,
                &NewAccount {
                    email: &email2,
                    password_hash: &hash,
                    role,
                    display_name: &name,
                    territory: (!t.is_empty()).then_some(t),
                    created_by: &actor,
                },
                Timestamp::now(),
            )?;
            if let Some(nir) = &patient_nir {
                msp_store::pathway::link_patient(db, id, nir)?;
                audit_blocking(
                    db,
                    &u,
                    "creation",
                    "patient",
                    &crate::pages::sessions::patient_ref(nir),
                    "compte patient rattaché à l’assuré",
                )?;
            }
            Ok(id)
        })
    })
    .await;
    match created {
        Ok(_) => {
            accounts_view(
                &state,
                &user,
                StatusCode::CREATED,
                Some((true, format!("Compte créé pour {}.", email.trim()))),
            )
            .await
        }
        Err(r) if r.status() == StatusCode::CONFLICT => {
            accounts_view(
                &state,
                &user,
                StatusCode::CONFLICT,
                Some((
                    false,
                    format!("Un compte existe déjà pour l’adresse {}.", email.trim()),
                )),
            )
            .await
        }
        Err(r) => r,
    }
}

/// The account an admin acts on: admin role, CSRF token and a known account id, or the refusal.
async fn admin_target(
    state: &AppState,
    user: &CurrentUser,
    form: &HashMap<String, String>,
    id: &str,
) -> Result<Account, Response> {
    user.require(&[Role::Admin])?;
    user.check_form(form)?;
    let unknown = || {
        refusal(
            Some(user),
            StatusCode::NOT_FOUND,
            "Compte inconnu",
            "Ce compte n’existe pas.",
        )
    };
    let id: i64 = id.parse().map_err(|_| unknown())?;
    blocking(state, move |db| accounts::get_account(db, id))
        .await?
        .ok_or_else(unknown)
}

/// `POST /espace/admin/comptes/{id}/desactivation`.
async fn deactivate_account(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    set_active(state, user, id, form, false).await
}

/// `POST /espace/admin/comptes/{id}/reactivation`.
async fn reactivate_account(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    set_active(state, user, id, form, true).await
}

/// Deactivates (closing its sessions) or reactivates an account; never the admin's own, never
/// the last active admin. Audited.
async fn set_active(
    state: AppState,
    user: CurrentUser,
    id: String,
    form: HashMap<String, String>,
    active: bool,
) -> Response {
    let target = match admin_target(&state, &user, &form, &id).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let u = user.clone();
    let id = target.id;
    let outcome = blocking(&state, move |db| {
        let done = db.transaction(|db| {
            let (before, closed) = accounts::set_active(db, id, active, u.account.id)?;
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
            audit_blocking(db, &u, action, "compte", &id.to_string(), &reason)?;
            Ok(closed)
        });
        match done {
            Ok(closed) => Ok(Ok(closed)),
            Err(StoreError::Conflict(m)) => Ok(Err(m)),
            Err(e) => Err(e),
        }
    })
    .await;
    let message = match outcome {
        Ok(Ok(closed)) if !active => (
            StatusCode::OK,
            true,
            format!(
                "Compte de {} désactivé. Sessions fermées : {closed}. La connexion lui est refusée jusqu’à sa réactivation.",
                target.email
            ),
        ),
        Ok(Ok(_)) => (
            StatusCode::OK,
            true,
            format!("Compte de {} réactivé.", target.email),
        ),
        Ok(Err(m)) => (
            StatusCode::CONFLICT,
            false,
            crate::pages::auth::capitalize(&m),
        ),
        Err(r) => return r,
    };
    accounts_view(&state, &user, message.0, Some((message.1, message.2))).await
}

/// `POST /espace/admin/comptes/{id}/reinitialisation`: a random temporary password, shown once
/// on the answer (never stored in clear nor logged); the account's sessions are closed and it
/// must choose a new password at its next sign-in. Audited, without the password.
async fn reset_password(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let target = match admin_target(&state, &user, &form, &id).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    if target.id == user.account.id {
        return accounts_view(
            &state,
            &user,
            StatusCode::CONFLICT,
            Some((
                false,
                "Pour votre propre compte, utilisez la page « Changer mon mot de passe ».".into(),
            )),
        )
        .await;
    }
    let password = temporary_password();
    let hash = match hash_password(password.clone()).await {
        Ok(h) => h,
        Err(r) => return r,
    };
    let u = user.clone();
    let id = target.id;
    let email = target.email.clone();
    let closed = match blocking(&state, move |db| {
        db.transaction(|db| {
            accounts::set_password(db, id, &hash, true)?;
            let closed = accounts::close_sessions(db, id, None)?;
            audit_blocking(
                db,
                &u,
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
    .await
    {
        Ok(c) => c,
        Err(r) => return r,
    };
    let body = html! {
        h1 { "Mot de passe réinitialisé" }
        div class="alert" role="status" {
            p { "Le mot de passe du compte " (target.email) " a été réinitialisé. Sessions fermées : " (closed) "." }
        }
        p { "Mot de passe provisoire :" }
        p { code id="mot-de-passe-provisoire" class="temporary-password" { (password) } }
        p {
            "Il n’est affiché qu’une fois et n’est conservé nulle part en clair : transmettez-le à "
            (target.display_name) " par un moyen sûr. À sa prochaine connexion, "
            (target.display_name) " devra choisir un nouveau mot de passe avant d’accéder à son espace."
        }
        @if !target.active {
            p { "Ce compte est désactivé : réactivez-le pour que la connexion soit possible." }
        }
        p { a href="/espace/admin/comptes" { "Retour aux comptes" } }
    };
    (
        StatusCode::OK,
        [(header::CACHE_CONTROL, "no-store")],
        layout(Some(&user), "Mot de passe réinitialisé", body),
    )
        .into_response()
}

async fn audit_page(State(state): State<AppState>, user: CurrentUser) -> Response {
    if let Err(r) = user.require(&[Role::Admin]) {
        return r;
    }
    let entries = match blocking(&state, |db| audit::recent(db, 500, None)).await {
        Ok(e) => e,
        Err(r) => return r,
    };
    let body = html! {
        h1 { "Journal d’audit" }
        p { "Chaque lecture ou modification des données personnelles d’un candidat ou d’un patient par une autre personne que lui, et chaque acte sur un compte. Le journal ne peut être ni modifié ni effacé : l’application n’en offre pas le moyen et la base de données refuse toute modification ou suppression. Les 500 dernières entrées :" }
        table {
            thead { tr { th scope="col" { "Quand (UTC)" } th scope="col" { "Qui" } th scope="col" { "Quoi" } th scope="col" { "Donnée" } th scope="col" { "Pourquoi" } } }
            tbody {
                @for e in &entries {
                    tr {
                        td { (e.at.strftime("%Y-%m-%d %H:%M:%S")) }
                        td { (e.actor) }
                        td { (e.action) }
                        td { (e.subject_kind) " " (e.subject_id) }
                        td { (e.reason) }
                    }
                }
            }
        }
    };
    layout(Some(&user), "Journal d’audit", body).into_response()
}

/// `GET /espace/ars/{region}`: only the analyst's own région.
async fn ars_region(user: CurrentUser, Path(region): Path<String>) -> Response {
    if let Err(r) = user.require(&[Role::AnalysteArs]) {
        return r;
    }
    if user.account.territory.as_deref() != Some(region.as_str()) {
        return refusal(
            Some(&user),
            StatusCode::FORBIDDEN,
            "Accès refusé",
            &format!(
                "Votre compte donne accès aux statistiques de la région {} uniquement.",
                user.account.territory.as_deref().unwrap_or("—")
            ),
        );
    }
    Redirect::to(&format!("/statistiques?perimetre=region:{region}")).into_response()
}

/// Appends to the audit log (moved to `services::audit::record`; kept for the areas not yet
/// converted).
pub use crate::services::audit::record as audit_blocking;
