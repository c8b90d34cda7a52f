//! Account management by an administrator (creation, deactivation and reactivation, password
//! reset) and the audit log, as pages; the actions are in [`crate::services::accounts`].

use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::extract::{Admin, CsrfForm};
use crate::pages::auth::{as_fields, described_by, form_refusal, invalid};
use crate::paths::{ACCOUNTS, AUDIT_LOG};
use crate::security::MIN_PASSWORD_CHARS;
use crate::services::accounts::{self as service, NewAccountInput, PasswordReset};
use crate::views::{Field, Frame, Notice, field_error, form_errors, layout, notice};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use msp_domain::Role;
use msp_store::accounts::Account;
use msp_store::audit::AuditEntry;
use std::collections::HashMap;

/// Routes of the administration.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(ACCOUNTS, get(accounts_page).post(create_account))
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
        .route(AUDIT_LOG, get(audit_page))
}

/// What the accounts page shows besides the list: a notice, the creation form as typed and its
/// errors.
#[derive(Default)]
struct AccountsPage<'a> {
    message: Option<(Notice, String)>,
    typed: Option<&'a NewAccountInput>,
    errors: Vec<Field<'a>>,
}

fn account_row(admin: &Admin, a: &Account) -> Markup {
    html! {
        tr {
            td { (a.email) } td { (a.display_name) } td { (a.role.label_fr()) }
            td { (a.territory.as_deref().unwrap_or("—")) }
            td {
                @if a.active { "oui" } @else { "non" }
                @if a.must_change_password { br; "mot de passe provisoire" }
            }
            td {
                @if a.id == admin.account.id {
                    "votre compte"
                } @else {
                    @let (path, label) = if a.active {
                        ("desactivation", "Désactiver")
                    } else {
                        ("reactivation", "Réactiver")
                    };
                    form method="post" action=(format!("{ACCOUNTS}/{}/{path}", a.id)) {
                        input type="hidden" name="_csrf" value=(admin.csrf);
                        button type="submit" class="button-secondary" {
                            (label) span class="visually-hidden" { " le compte " (a.email) }
                        }
                    }
                    form method="post" action=(format!("{ACCOUNTS}/{}/reinitialisation", a.id)) {
                        input type="hidden" name="_csrf" value=(admin.csrf);
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

/// One text field of the creation form: label, hint, error, input keeping what was typed.
fn text_field(
    errors: &[Field<'_>],
    id: &str,
    label: &str,
    hint: Option<&str>,
    kind: &str,
    value: &str,
) -> Markup {
    let hint_id = format!("{id}-aide");
    html! {
        div class="field" {
            label for=(id) { (label) }
            @if let Some(h) = hint { p id=(hint_id) class="hint" { (h) } }
            (field_error(errors, id))
            input id=(id) name=(id) type=(kind) value=(value)
                required[matches!(id, "email" | "nom" | "password")]
                autocomplete=[match id { "password" => Some("new-password"), "nir" => Some("off"), _ => None }]
                inputmode=[(id == "nir").then_some("numeric")]
                aria-invalid=[invalid(errors, id)]
                aria-describedby=[described_by(errors, id, hint.map(|_| hint_id.as_str()))];
        }
    }
}

fn accounts_view(admin: &Admin, list: &[Account], page: &AccountsPage<'_>) -> Markup {
    let empty = NewAccountInput::default();
    let typed = page.typed.unwrap_or(&empty);
    let errors = &page.errors;
    let password_hint = format!("{MIN_PASSWORD_CHARS} caractères au moins.");
    let body = html! {
        h1 { "Comptes" }
        @if let Some((kind, m)) = &page.message { (notice(*kind, html! { p { (m) } })) }
        table {
            caption { "Comptes existants" }
            thead { tr { th scope="col" { "Adresse" } th scope="col" { "Nom" } th scope="col" { "Rôle" } th scope="col" { "Territoire" } th scope="col" { "Actif" } th scope="col" { "Actions" } } }
            tbody { @for a in list { (account_row(admin, a)) } }
        }
        h2 id="creer" { "Créer un compte" }
        (form_errors("Le compte n’a pas été créé :", errors))
        form method="post" action=(ACCOUNTS) class="search" novalidate {
            input type="hidden" name="_csrf" value=(admin.csrf);
            (text_field(errors, "email", "Adresse électronique", None, "email", &typed.email))
            (text_field(errors, "nom", "Nom affiché", None, "text", &typed.nom))
            div class="field" {
                label for="role" { "Rôle" }
                (field_error(errors, "role"))
                select id="role" name="role" aria-invalid=[invalid(errors, "role")]
                    aria-describedby=[described_by(errors, "role", None)] {
                    @for r in Role::ALL {
                        option value=(r.code()) selected[typed.role == r.code()] { (r.label_fr()) }
                    }
                }
            }
            (text_field(errors, "territoire", "Territoire",
                Some("Code de région pour un analyste d’ARS (obligatoire, ex. 84) ; code de département pour un agent de CPAM (facultatif, ex. 69)."),
                "text", &typed.territoire))
            (text_field(errors, "nir", "NIR de l’assuré (compte patient)",
                Some("Obligatoire pour un compte patient : le patient verra ses séances et remboursements."),
                "text", &typed.nir))
            (text_field(errors, "rpps", "RPPS (compte de médecin ou de sage-femme)",
                Some("Obligatoire pour un médecin ou une sage-femme : vérifié au répertoire, il figure sur leurs courriers d’adressage et ne change plus."),
                "text", &typed.rpps))
            // The password is never sent back.
            (text_field(errors, "password", "Mot de passe initial", Some(&password_hint), "password", ""))
            div class="actions" { button type="submit" class="button" { "Créer le compte" } }
        }
    };
    layout(&Frame::new(Some(&admin.0), "Comptes"), body)
}

/// The accounts page with `page`'s notice and form, under `status`.
async fn accounts_response(
    state: &AppState,
    admin: &Admin,
    status: StatusCode,
    page: AccountsPage<'_>,
) -> AppResult<Response> {
    let list = service::list_accounts(state, admin).await?;
    Ok((status, accounts_view(admin, &list, &page)).into_response())
}

/// A refusal shown on the accounts page (409: the last admin, one's own account…); others are
/// error pages.
async fn refused_on_list(state: &AppState, admin: &Admin, e: AppError) -> AppResult<Response> {
    match &e {
        AppError::Conflict(p) => {
            let page = AccountsPage {
                message: Some((Notice::Error, p.message.clone())),
                ..AccountsPage::default()
            };
            accounts_response(state, admin, e.status(), page).await
        }
        _ => Err(e),
    }
}

/// `GET /espace/admin/comptes`.
async fn accounts_page(State(state): State<AppState>, admin: Admin) -> AppResult<Response> {
    accounts_response(&state, &admin, StatusCode::OK, AccountsPage::default()).await
}

/// `POST /espace/admin/comptes`: 201 with the list, or the form again with every error.
async fn create_account(
    State(state): State<AppState>,
    admin: Admin,
    CsrfForm(input): CsrfForm<NewAccountInput>,
) -> AppResult<Response> {
    match service::create_account(&state, &admin, &input).await {
        Ok(created) => {
            let page = AccountsPage {
                message: Some((
                    Notice::Success,
                    format!("Compte créé pour {}.", created.email),
                )),
                ..AccountsPage::default()
            };
            accounts_response(&state, &admin, StatusCode::CREATED, page).await
        }
        Err(e) => {
            let errors = form_refusal(&e).ok_or_else(|| e.clone())?;
            let page = AccountsPage {
                message: None,
                typed: Some(&input),
                errors: as_fields(&errors),
            };
            accounts_response(&state, &admin, e.status(), page).await
        }
    }
}

async fn set_active(
    state: AppState,
    admin: Admin,
    id: String,
    active: bool,
) -> AppResult<Response> {
    match service::set_active(&state, &admin, &id, active).await {
        Ok(done) => {
            let message = if done.active {
                format!("Compte de {} réactivé.", done.email)
            } else {
                format!(
                    "Compte de {} désactivé. Sessions fermées : {}. La connexion lui est refusée jusqu’à sa réactivation.",
                    done.email, done.closed_sessions
                )
            };
            let page = AccountsPage {
                message: Some((Notice::Success, message)),
                ..AccountsPage::default()
            };
            accounts_response(&state, &admin, StatusCode::OK, page).await
        }
        Err(e) => refused_on_list(&state, &admin, e).await,
    }
}

/// `POST /espace/admin/comptes/{id}/desactivation`.
async fn deactivate_account(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<HashMap<String, String>>,
) -> AppResult<Response> {
    set_active(state, admin, id, false).await
}

/// `POST /espace/admin/comptes/{id}/reactivation`.
async fn reactivate_account(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<HashMap<String, String>>,
) -> AppResult<Response> {
    set_active(state, admin, id, true).await
}

fn reset_view(admin: &Admin, reset: &PasswordReset) -> Markup {
    let target = &reset.account;
    let body = html! {
        h1 { "Mot de passe réinitialisé" }
        (notice(Notice::Success, html! {
            p { "Le mot de passe du compte " (target.email) " a été réinitialisé. Sessions fermées : " (reset.closed_sessions) "." }
        }))
        p { "Mot de passe provisoire :" }
        p { code id="mot-de-passe-provisoire" class="temporary-password" { (reset.temporary_password) } }
        p {
            "Il n’est affiché qu’une fois et n’est conservé nulle part en clair : transmettez-le à "
            (target.display_name) " par un moyen sûr. À sa prochaine connexion, "
            (target.display_name) " devra choisir un nouveau mot de passe avant d’accéder à son espace."
        }
        @if !target.active {
            (notice(Notice::Warning, html! {
                p { "Ce compte est désactivé : réactivez-le pour que la connexion soit possible." }
            }))
        }
        p { a href=(ACCOUNTS) { "Retour aux comptes" } }
    };
    layout(
        &Frame::new(Some(&admin.0), "Mot de passe réinitialisé"),
        body,
    )
}

/// `POST /espace/admin/comptes/{id}/reinitialisation`: the temporary password shown once, on a
/// page no cache keeps.
async fn reset_password(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<HashMap<String, String>>,
) -> AppResult<Response> {
    match service::reset_password(&state, &admin, &id).await {
        Ok(reset) => Ok((
            StatusCode::OK,
            [(header::CACHE_CONTROL, "no-store")],
            reset_view(&admin, &reset),
        )
            .into_response()),
        Err(e) => refused_on_list(&state, &admin, e).await,
    }
}

fn audit_view(
    admin: &Admin,
    entries: &[AuditEntry],
    actions: &[String],
    filter: &AuditQuery,
) -> Markup {
    let filtered = !(filter.qui.trim().is_empty() && filter.quoi.trim().is_empty());
    let body = html! {
        h1 { "Journal d’audit" }
        p { "Chaque lecture ou modification des données personnelles d’un candidat ou d’un patient par une autre personne que lui, et chaque acte sur un compte. Le journal ne peut être ni modifié ni effacé : l’application n’en offre pas le moyen et la base de données refuse toute modification ou suppression." }
        form method="get" action="/espace/admin/journal" class="search" role="search" aria-label="Filtrer le journal" {
            div class="field" {
                label for="qui" { "Qui (adresse électronique, ou une partie)" }
                input id="qui" name="qui" type="text" value=(filter.qui);
            }
            div class="field" {
                label for="quoi" { "Quoi" }
                select id="quoi" name="quoi" {
                    option value="" selected[filter.quoi.is_empty()] { "Toutes les actions" }
                    @for a in actions { option value=(a) selected[*a == filter.quoi] { (code_fr(a)) } }
                }
            }
            div class="actions" { button type="submit" class="button" { "Filtrer" } }
        }
        p {
            @if entries.is_empty() { "Aucune entrée" (if filtered { " pour ce filtre" } else { "" }) "." }
            @else {
                "Les " (entries.len()) " dernières entrées" (if filtered { " pour ce filtre" } else { "" })
                (if i64::try_from(entries.len()).unwrap_or(i64::MAX) >= service::AUDIT_PAGE_ENTRIES { " (les plus anciennes ne sont pas affichées : précisez le filtre)" } else { "" })
                " :"
            }
        }
        table {
            thead { tr { th scope="col" { "Quand" } th scope="col" { "Qui" } th scope="col" { "Quoi" } th scope="col" { "Donnée" } th scope="col" { "Pourquoi" } } }
            tbody {
                @for e in entries {
                    tr {
                        td { (crate::views::paris_date_time_seconds(e.at)) }
                        td { (actor_fr(&e.actor)) }
                        td { (code_fr(&e.action)) }
                        td { (code_fr(&e.subject_kind)) " " (e.subject_id) }
                        td { (e.reason) }
                    }
                }
            }
        }
    };
    layout(&Frame::new(Some(&admin.0), "Journal d’audit"), body)
}

/// A code of the journal as stored (an action or a kind of data, without accents: kept for the
/// filter and exports), in French: « émission », « téléchargement », « contrôle visio-2024 ».
/// The words are those the services write.
fn code_fr(code: &str) -> String {
    const WORDS: [(&str, &str); 10] = [
        ("emission", "émission"),
        ("telechargement", "téléchargement"),
        ("controle", "contrôle"),
        ("creation", "création"),
        ("desactivation", "désactivation"),
        ("reactivation", "réactivation"),
        ("reinitialisation", "réinitialisation"),
        ("decision", "décision"),
        ("disponibilite", "disponibilité"),
        ("_", " "),
    ];
    WORDS
        .iter()
        .fold(code.to_owned(), |text, (from, to)| text.replace(from, to))
}

/// « email (role_code) » as stored, shown as « email — the role's French name ».
fn actor_fr(actor: &str) -> String {
    match actor
        .strip_suffix(')')
        .and_then(|a| a.rsplit_once(" ("))
        .and_then(|(who, code)| Role::parse(code).map(|r| (who, r)))
    {
        Some((who, role)) => format!("{who} — {}", role.label_fr()),
        None => actor.to_owned(),
    }
}

/// `?qui=…&quoi=…`: the journal's filter.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct AuditQuery {
    qui: String,
    quoi: String,
}

/// `GET /espace/admin/journal`.
async fn audit_page(
    State(state): State<AppState>,
    admin: Admin,
    axum::extract::Query(q): axum::extract::Query<AuditQuery>,
) -> AppResult<Markup> {
    let filter = msp_store::audit::AuditFilter {
        actor: q.qui.clone(),
        action: q.quoi.clone(),
    };
    let (entries, actions) = service::audit_log(&state, &admin, filter).await?;
    Ok(audit_view(&admin, &entries, &actions, &q))
}
