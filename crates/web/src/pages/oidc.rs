//! Sign-in through an OpenID Connect provider ([`crate::services::oidc`]): the button's link
//! redirects to the provider, the provider's answer opens a session; a patient signed in with
//! FranceConnect for the first time ties the account to the insured person once (NIR and birth
//! date).

use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::extract::{CsrfForm, CurrentUser, Patient};
use crate::paths;
use crate::services::oidc::{self, Callback};
use crate::views::{Field, Frame, field_error, form_errors, layout};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::{Markup, html};
use msp_domain::{Nir, Role, dates};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(paths::OIDC_CALLBACK, get(callback))
        .route(paths::OIDC_START_ROUTE, get(start))
        .route(paths::PATIENT_LINK, get(link_page).post(link))
}

async fn start(State(state): State<AppState>, Path(name): Path<String>) -> AppResult<Response> {
    let url = oidc::start(&state, &name).await?;
    Ok(Redirect::to(&url).into_response())
}

async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(answer): Query<Callback>,
) -> AppResult<Response> {
    let account = oidc::finish(&state, answer).await?;
    let token = crate::services::auth::open_session(&state, &account).await?;
    let linked = if account.role == Role::Patient {
        let id = account.id;
        state
            .db(move |db| msp_store::pathway::patient_nir(db, id))
            .await?
            .is_some()
    } else {
        true
    };
    let mut res = Redirect::to(if linked {
        paths::SPACE
    } else {
        paths::PATIENT_LINK
    })
    .into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        crate::pages::auth::session_cookie(&headers, &token),
    );
    Ok(res)
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
struct LinkForm {
    nir: String,
    date_naissance: String,
}

fn link_view(user: &CurrentUser, f: &LinkForm, errors: &[Field<'_>]) -> Markup {
    let body = html! {
        h1 { "Rattacher votre compte à votre assurance maladie" }
        p { "FranceConnect a vérifié votre identité. Pour voir vos séances et vos remboursements, indiquez une seule fois votre numéro de sécurité sociale (NIR, 15 caractères, sur votre carte Vitale) et votre date de naissance : elle doit être celle que FranceConnect a transmise." }
        (form_errors("Le compte n’a pas été rattaché :", errors))
        form method="post" action=(paths::PATIENT_LINK) class="search" novalidate {
            input type="hidden" name="_csrf" value=(user.csrf);
            div class="field" {
                label for="nir" { "Numéro de sécurité sociale (NIR)" }
                (field_error(errors, "nir"))
                input id="nir" name="nir" type="text" inputmode="numeric" autocomplete="off" value=(f.nir);
            }
            div class="field" {
                label for="date_naissance" { "Date de naissance" }
                (field_error(errors, "date_naissance"))
                input id="date_naissance" name="date_naissance" type="date" value=(f.date_naissance);
            }
            div class="actions" { button type="submit" class="button" { "Rattacher mon compte" } }
        }
    };
    layout(&Frame::new(Some(user), "Rattacher votre compte"), body)
}

async fn link_page(who: Patient) -> Markup {
    link_view(&who, &LinkForm::default(), &[])
}

async fn link(
    State(state): State<AppState>,
    who: Patient,
    CsrfForm(f): CsrfForm<LinkForm>,
) -> AppResult<Response> {
    match oidc_link(&state, &who, &f).await {
        Ok(()) => Ok(Redirect::to(&format!("{}?rattache=1", paths::SPACE)).into_response()),
        Err(errors) => {
            let fields: Vec<Field<'_>> = errors.iter().map(|(k, m)| (*k, m.clone())).collect();
            Ok((
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                link_view(&who, &f, &fields),
            )
                .into_response())
        }
    }
}

/// Ties the signed-in FranceConnect patient's account to the beneficiary of the NIR typed, once:
/// the NIR must be valid and known, its birth date the one typed and FranceConnect's, and no
/// other account tied to it. Audited.
async fn oidc_link(
    state: &AppState,
    who: &Patient,
    f: &LinkForm,
) -> Result<(), Vec<(&'static str, String)>> {
    let internal = |e: AppError| vec![("nir", e.problem().message)];
    let id = who.account.id;
    let already = state
        .db(move |db| msp_store::pathway::patient_nir(db, id))
        .await
        .map_err(internal)?;
    if already.is_some() {
        return Err(vec![(
            "nir",
            "Votre compte est déjà rattaché à un assuré.".into(),
        )]);
    }
    let provider_birth = oidc::provider_birthdate(state, id)
        .await
        .map_err(internal)?;
    let mut errors = Vec::new();
    let nir = Nir::parse(&f.nir)
        .map_err(|e| errors.push(("nir", e.to_string())))
        .ok();
    let birth = dates::parse_typed(f.date_naissance.trim());
    if birth.is_none() {
        errors.push((
            "date_naissance",
            "Date de naissance invalide : attendue sous la forme JJ/MM/AAAA.".into(),
        ));
    }
    let (Some(nir), Some(birth)) = (nir, birth) else {
        return Err(errors);
    };
    if provider_birth.as_deref() != Some(birth.to_string().as_str()) {
        return Err(vec![(
            "date_naissance",
            "Cette date de naissance n’est pas celle que FranceConnect a transmise.".into(),
        )]);
    }
    let user = who.0.clone();
    let key = state.patient_key().clone();
    let outcome = state
        .db(move |db| {
            db.transaction(|db| {
                let known = msp_store::claims::load_beneficiary(db, &nir)?
                    .is_some_and(|b| b.birth_date == birth);
                if !known {
                    return Ok(false);
                }
                msp_store::pathway::link_patient(db, user.account.id, &nir)?;
                crate::services::audit::record(
                    db,
                    &user,
                    "creation",
                    "patient",
                    &crate::services::audit::patient_ref(&key, &nir),
                    "compte FranceConnect rattaché à l’assuré",
                )?;
                Ok(true)
            })
        })
        .await;
    match outcome {
        Ok(true) => Ok(()),
        // The same answer for an unknown NIR and a birth date that does not match it.
        Ok(false) => Err(vec![(
            "nir",
            "Aucun assuré ne correspond à ce NIR et à cette date de naissance.".into(),
        )]),
        Err(AppError::Rejected(_)) => Err(vec![(
            "nir",
            "Un compte est déjà rattaché à cet assuré : contactez l’administrateur.".into(),
        )]),
        Err(e) => Err(internal(e)),
    }
}
