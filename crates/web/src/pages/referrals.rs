//! Referral letters (courriers d'adressage, SPEC §6): doctors and midwives issue them, each gets
//! a short verification code and a printable PDF; psychologists check a code against a session
//! date. A letter never states a number of sessions (the form has no such field).
//!
//! | Route | Who |
//! |---|---|
//! | `GET /espace/adressages` | médecin, sage-femme: the form and the letters they issued |
//! | `POST /espace/adressages` | médecin, sage-femme: issues a letter |
//! | `GET /espace/adressages/{code}/pdf` | the letter's issuer |
//! | `GET`, `POST /espace/adressages/verifier` | psychologue: code + session date → valid or not, why |

// Handlers refuse with a ready French page; boxing it would buy nothing here.
#![allow(clippy::result_large_err)]

use crate::AppState;
use crate::pages::auth::{CurrentUser, blocking};
use crate::pages::sessions::{date_fr, parse_date, patient_ref};
use crate::pages::space::{audit_blocking, layout, refusal};
use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use jiff::Timestamp;
use maud::{Markup, html};
use msp_domain::{Date, Nir, ReferrerKind, Role, Rpps, Rules, dates};
use msp_store::pathway::{self, Letter};
use rand::Rng;
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/espace/adressages", get(letters_page).post(issue))
        .route("/espace/adressages/verifier", get(verify_page).post(verify))
        .route("/espace/adressages/{code}/pdf", get(letter_pdf))
}

/// Letters and digits that cannot be mistaken for one another (no 0/O, 1/I/L).
pub const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
pub const CODE_LEN: usize = 8;

pub fn new_code() -> String {
    let mut rng = rand::rng();
    (0..CODE_LEN)
        .map(|_| char::from(CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())]))
        .collect()
}

/// `ABCD-EFGH`, as printed.
pub fn display_code(code: &str) -> String {
    if code.len() == CODE_LEN {
        format!("{}-{}", &code[..4], &code[4..])
    } else {
        code.to_owned()
    }
}

/// The canonical code from what was typed (case, spaces and dashes ignored).
pub fn parse_code(typed: &str) -> Result<String, String> {
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect();
    if code.len() == CODE_LEN && code.bytes().all(|b| CODE_ALPHABET.contains(&b)) {
        Ok(code)
    } else {
        Err(format!(
            "Code de vérification invalide : {CODE_LEN} caractères, chiffres de 2 à 9 et lettres sauf I, L et O (ex. K7QM-4TXZ)."
        ))
    }
}

pub(crate) fn kind_fr(k: ReferrerKind) -> &'static str {
    match k {
        ReferrerKind::Medecin => "médecin",
        ReferrerKind::SageFemme => "sage-femme",
    }
}

const CONTEXTS: [(&str, &str); 5] = [
    ("maladie", "Maladie"),
    ("ald", "Affection de longue durée"),
    ("maternite", "Maternité"),
    ("atmp", "Accident du travail / maladie professionnelle"),
    ("tiers", "Accident causé par un tiers"),
];

pub(crate) fn context_fr(code: &str) -> &str {
    CONTEXTS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(code, |(_, l)| l)
}

/// Whether a letter of `kind` dated `letter` is valid for a session on `session`, with the
/// reason in French: dated on or before the session, not more than the validity (6 months)
/// before it, from a kind of referrer allowed on the session date (SPEC §3, §7 `ADRESSAGE`).
pub fn letter_validity(
    rules: &Rules,
    letter: Date,
    kind: ReferrerKind,
    session: Date,
) -> Result<String, String> {
    let Some(regime) = rules.regime_on(session) else {
        return Err(format!(
            "La séance du {} est antérieure au dispositif Mon soutien psy (lancé le {}).",
            date_fr(session),
            date_fr(rules.programme_start)
        ));
    };
    if letter > session {
        return Err(format!(
            "Le courrier est daté du {}, après la séance du {} : il doit être daté du jour de l’entretien d’évaluation ou d’avant.",
            date_fr(letter),
            date_fr(session)
        ));
    }
    let months = rules.referral_validity_months;
    let earliest = dates::minus_months(session, months);
    if letter < earliest {
        return Err(format!(
            "Le courrier du {} a plus de {months} mois le {} : pour cette séance, il devait être daté du {} ou après.",
            date_fr(letter),
            date_fr(session),
            date_fr(earliest)
        ));
    }
    if !regime.referrer_allowed(kind, session) {
        let from = regime
            .referrers
            .iter()
            .find(|r| r.kind == kind)
            .map(|r| {
                format!(
                    " (accepté pour les séances à partir du {})",
                    date_fr(r.from)
                )
            })
            .unwrap_or_default();
        return Err(format!(
            "Un courrier d’adressage de {} n’est pas accepté pour une séance du {}{from}.",
            kind_fr(kind),
            date_fr(session)
        ));
    }
    Ok(if regime.referral_required {
        format!(
            "Courrier valable pour un entretien d’évaluation le {} (daté du {}, valable {months} mois).",
            date_fr(session),
            date_fr(letter)
        )
    } else {
        format!(
            "Courrier valable le {} (daté du {}). Depuis le 15 juin 2024, l’accès au psychologue est direct : le courrier n’est plus obligatoire.",
            date_fr(session),
            date_fr(letter)
        )
    })
}

pub(crate) fn kind_of(role: Role) -> Option<ReferrerKind> {
    match role {
        Role::Medecin => Some(ReferrerKind::Medecin),
        Role::SageFemme => Some(ReferrerKind::SageFemme),
        _ => None,
    }
}

fn require_referrer(user: &CurrentUser) -> Result<ReferrerKind, Response> {
    user.require(&[Role::Medecin, Role::SageFemme])?;
    kind_of(user.role()).ok_or_else(|| crate::pages::auth::internal(&"rôle"))
}

fn field(f: &HashMap<String, String>, k: &str) -> String {
    f.get(k).cloned().unwrap_or_default()
}

async fn letters_page(State(state): State<AppState>, user: CurrentUser) -> Response {
    if let Err(r) = require_referrer(&user) {
        return r;
    }
    letters_view(&state, &user, StatusCode::OK, None, &HashMap::new()).await
}

/// The letters an account issued, with one audit line per patient shown (blocking).
pub(crate) fn letters_read(
    db: &mut msp_store::Db,
    user: &CurrentUser,
    account_id: i64,
    why: &str,
) -> Result<Vec<Letter>, msp_store::StoreError> {
    let letters = pathway::letters_of(db, account_id)?;
    let patients: std::collections::BTreeSet<String> = letters
        .iter()
        .map(|l| patient_ref(&l.patient_nir))
        .collect();
    for p in patients {
        audit_blocking(db, user, "lecture", "patient", &p, why)?;
    }
    Ok(letters)
}

/// A letter by its code, for a psychologist who checks it: the read of the patient's data is
/// audited when the letter exists; `via` ends the audit reason (« (API) » or nothing) (blocking).
pub(crate) fn letter_checked(
    db: &mut msp_store::Db,
    user: &CurrentUser,
    code: &str,
    via: &str,
) -> Result<Option<Letter>, msp_store::StoreError> {
    let letter = pathway::letter_by_code(db, code)?;
    if let Some(l) = &letter {
        audit_blocking(
            db,
            user,
            "lecture",
            "patient",
            &patient_ref(&l.patient_nir),
            &format!("vérification du courrier d’adressage {}{via}", l.code),
        )?;
    }
    Ok(letter)
}

async fn letters_view(
    state: &AppState,
    user: &CurrentUser,
    status: StatusCode,
    error: Option<&str>,
    f: &HashMap<String, String>,
) -> Response {
    let (id, u) = (user.account.id, user.clone());
    let letters = match blocking(state, move |db| {
        letters_read(db, &u, id, "courriers d’adressage émis")
    })
    .await
    {
        Ok(l) => l,
        Err(r) => return r,
    };
    let today = state.today();
    let date = f
        .get("date")
        .filter(|d| !d.is_empty())
        .cloned()
        .unwrap_or_else(|| today.to_string());
    let body = html! {
        h1 { "Courriers d’adressage" }
        p { "Le courrier oriente le patient vers un psychologue conventionné. Il ne fixe jamais de nombre de séances. Chaque courrier reçoit un code de vérification que le psychologue saisit dans son espace." }
        @if let Some(e) = error { div class="alert" role="alert" { p { (e) } } }
        h2 { "Émettre un courrier" }
        form method="post" action="/espace/adressages" class="search" {
            input type="hidden" name="_csrf" value=(user.csrf);
            div class="field" {
                label for="prescripteur_id" { "Votre identifiant RPPS" }
                input id="prescripteur_id" name="prescripteur_id" type="text" inputmode="numeric" required value=(field(f, "prescripteur_id"));
            }
            div class="field" {
                label for="patient_nom" { "Nom et prénom du patient" }
                input id="patient_nom" name="patient_nom" type="text" required value=(field(f, "patient_nom"));
            }
            div class="field" {
                label for="nir" { "NIR du patient" }
                input id="nir" name="nir" type="text" inputmode="numeric" autocomplete="off" required value=(field(f, "nir"));
            }
            div class="field" {
                label for="date" { "Date du courrier" }
                input id="date" name="date" type="date" required max=(today.to_string()) value=(date);
            }
            div class="field" {
                label for="contexte" { "Contexte (facultatif)" }
                select id="contexte" name="contexte" {
                    option value="" { "—" }
                    @for (code, label) in CONTEXTS {
                        option value=(code) selected[field(f, "contexte") == code] { (label) }
                    }
                }
            }
            div class="actions" { button type="submit" class="button" { "Émettre le courrier" } }
        }
        h2 { "Courriers émis" }
        @if letters.is_empty() {
            p { "Aucun courrier émis pour l’instant." }
        } @else {
            table {
                thead { tr {
                    th scope="col" { "Code" } th scope="col" { "Date" } th scope="col" { "Patient" }
                    th scope="col" { "Contexte" } th scope="col" { "Courrier" }
                } }
                tbody {
                    @for l in &letters {
                        tr {
                            td { code { (display_code(&l.code)) } }
                            td { (date_fr(l.letter_date)) }
                            td { (l.patient_name) " (" (l.patient_nir.masked()) ")" }
                            td { (l.context.as_deref().map(context_fr).unwrap_or("—")) }
                            td { a href=(format!("/espace/adressages/{}/pdf", l.code)) { "PDF à imprimer" } }
                        }
                    }
                }
            }
        }
    };
    (status, layout(Some(user), "Courriers d’adressage", body)).into_response()
}

/// Checks the form; the letter to store (without its code) or the French reason.
pub(crate) fn letter_from_form(
    f: &HashMap<String, String>,
    kind: ReferrerKind,
    user: &CurrentUser,
    today: Date,
) -> Result<Letter, String> {
    let rpps = Rpps::parse(&field(f, "prescripteur_id")).map_err(|e| e.to_string())?;
    let name = field(f, "patient_nom").trim().to_owned();
    if name.is_empty() {
        return Err("Le nom du patient est obligatoire.".into());
    }
    let nir = Nir::parse(&field(f, "nir")).map_err(|e| e.to_string())?;
    let date = parse_date(&field(f, "date"))
        .ok_or("Date du courrier invalide : attendue sous la forme JJ/MM/AAAA.")?;
    if date > today {
        return Err("Le courrier ne peut pas être daté d’un jour futur.".into());
    }
    let context = field(f, "contexte");
    let context = match context.trim() {
        "" => None,
        c if CONTEXTS.iter().any(|(k, _)| *k == c) => Some(c.to_owned()),
        _ => return Err("Contexte inconnu.".into()),
    };
    Ok(Letter {
        code: String::new(),
        account_id: user.account.id,
        referrer_kind: kind,
        referrer_name: user.account.display_name.clone(),
        referrer_id: rpps.to_string(),
        patient_nir: nir,
        patient_name: name,
        letter_date: date,
        context,
        created_at: Timestamp::now(),
    })
}

async fn issue(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let kind = match require_referrer(&user) {
        Ok(k) => k,
        Err(r) => return r,
    };
    if let Err(r) = user.check_form(&form) {
        return r;
    }
    let letter = match letter_from_form(&form, kind, &user, state.today()) {
        Ok(l) => l,
        Err(m) => {
            return letters_view(
                &state,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(&m),
                &form,
            )
            .await;
        }
    };
    let u = user.clone();
    let stored = blocking(&state, move |db| {
        db.transaction(|tx| {
            for _ in 0..10 {
                let l = Letter {
                    code: new_code(),
                    ..letter.clone()
                };
                if pathway::insert_letter(tx, &l)? {
                    audit_blocking(
                        tx,
                        &u,
                        "emission",
                        "patient",
                        &patient_ref(&l.patient_nir),
                        &format!("courrier d’adressage {}", l.code),
                    )?;
                    return Ok(l.code);
                }
            }
            Err(msp_store::StoreError::Conflict(
                "aucun code de vérification libre, réessayez".into(),
            ))
        })
    })
    .await;
    match stored {
        Ok(_) => Redirect::to("/espace/adressages").into_response(),
        Err(r) => r,
    }
}

async fn letter_pdf(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
) -> Response {
    if let Err(r) = require_referrer(&user) {
        return r;
    }
    let not_found = |u: &CurrentUser| {
        refusal(
            Some(u),
            StatusCode::NOT_FOUND,
            "Courrier introuvable",
            "Aucun courrier que vous avez émis ne porte ce code.",
        )
    };
    let Ok(code) = parse_code(&code) else {
        return not_found(&user);
    };
    let (u, account) = (user.clone(), user.account.id);
    let letter = match blocking(&state, move |db| {
        let l = pathway::letter_by_code(db, &code)?.filter(|l| l.account_id == account);
        if let Some(l) = &l {
            audit_blocking(
                db,
                &u,
                "telechargement",
                "patient",
                &patient_ref(&l.patient_nir),
                &format!("courrier d’adressage {}", l.code),
            )?;
        }
        Ok(l)
    })
    .await
    {
        Ok(Some(l)) => l,
        Ok(None) => return not_found(&user),
        Err(r) => return r,
    };
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"adressage-{}.pdf\"", letter.code),
            ),
        ],
        letter_document(&letter),
    )
        .into_response()
}

/// The printable letter.
pub fn letter_document(l: &Letter) -> Vec<u8> {
    let mut p = crate::documents::pdf::Page::new();
    p.text(18.0, true, "Courrier d’adressage – Mon soutien psy")
        .skip(8.0)
        .text(
            12.0,
            true,
            format!("Code de vérification : {}", display_code(&l.code)),
        )
        .text(
            11.0,
            false,
            format!("Date du courrier : {}", date_fr(l.letter_date)),
        )
        .skip(8.0)
        .text(
            11.0,
            false,
            format!(
                "Prescripteur : {} ({}), RPPS {}",
                l.referrer_name,
                kind_fr(l.referrer_kind),
                l.referrer_id
            ),
        )
        .text(
            11.0,
            false,
            format!(
                "Patient : {} (NIR {})",
                l.patient_name,
                l.patient_nir.masked()
            ),
        );
    if let Some(c) = &l.context {
        p.text(11.0, false, format!("Contexte : {}", context_fr(c)));
    }
    p.skip(8.0)
        .text(
            11.0,
            false,
            "J’adresse ce patient à un psychologue conventionné du dispositif Mon soutien psy.",
        )
        .text(
            11.0,
            false,
            "Ce courrier est valable 6 mois pour l’entretien d’évaluation ; il ne fixe pas de nombre de séances.",
        )
        .text(
            11.0,
            false,
            "Le psychologue vérifie ce courrier avec son code dans son espace professionnel.",
        );
    p.render()
}

async fn verify_page(State(state): State<AppState>, user: CurrentUser) -> Response {
    if let Err(r) = user.require(&[Role::Psychologue]) {
        return r;
    }
    verify_view(
        &user,
        StatusCode::OK,
        &HashMap::new(),
        state.today(),
        html! {},
    )
}

fn verify_view(
    user: &CurrentUser,
    status: StatusCode,
    f: &HashMap<String, String>,
    today: Date,
    result: Markup,
) -> Response {
    let date = f
        .get("date")
        .filter(|d| !d.is_empty())
        .cloned()
        .unwrap_or_else(|| today.to_string());
    let body = html! {
        h1 { "Vérifier un courrier d’adressage" }
        (result)
        form method="post" action="/espace/adressages/verifier" class="search" {
            input type="hidden" name="_csrf" value=(user.csrf);
            div class="field" {
                label for="code" { "Code de vérification" }
                input id="code" name="code" type="text" autocomplete="off" required value=(field(f, "code"));
            }
            div class="field" {
                label for="date" { "Date de la séance" }
                input id="date" name="date" type="date" required value=(date);
            }
            div class="actions" { button type="submit" class="button" { "Vérifier" } }
        }
    };
    (status, layout(Some(user), "Vérifier un courrier", body)).into_response()
}

async fn verify(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Err(r) = user
        .require(&[Role::Psychologue])
        .and_then(|()| user.check_form(&form))
    {
        return r;
    }
    let today = state.today();
    let bad = |m: &str| {
        verify_view(
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            &form,
            today,
            html! { div class="alert" role="alert" { p { (m) } } },
        )
    };
    let code = match parse_code(&field(&form, "code")) {
        Ok(c) => c,
        Err(m) => return bad(&m),
    };
    let Some(session) = parse_date(&field(&form, "date")) else {
        return bad("Date de la séance invalide : attendue sous la forme JJ/MM/AAAA.");
    };
    let u = user.clone();
    let letter = match blocking(&state, move |db| letter_checked(db, &u, &code, "")).await {
        Ok(Some(l)) => l,
        Ok(None) => return bad("Aucun courrier d’adressage ne porte ce code."),
        Err(r) => return r,
    };
    let verdict = letter_validity(
        state.rules(),
        letter.letter_date,
        letter.referrer_kind,
        session,
    );
    let result = html! {
        @match &verdict {
            Ok(m) => div class="alert" role="status" { p { strong { "Courrier valable. " } (m) } },
            Err(m) => div class="alert" role="alert" { p { strong { "Courrier non valable. " } (m) } },
        }
        dl {
            dt { "Code" } dd { code { (display_code(&letter.code)) } }
            dt { "Prescripteur" } dd { (letter.referrer_name) " (" (kind_fr(letter.referrer_kind)) ", RPPS " (letter.referrer_id) ")" }
            dt { "Date du courrier" } dd { (date_fr(letter.letter_date)) }
            dt { "Patient" } dd { (letter.patient_name) " (" (letter.patient_nir.masked()) ")" }
            @if let Some(c) = &letter.context { dt { "Contexte" } dd { (context_fr(c)) } }
        }
    };
    verify_view(&user, StatusCode::OK, &form, today, result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn codes_are_short_and_unambiguous() {
        for _ in 0..200 {
            let c = new_code();
            assert_eq!(parse_code(&c), Ok(c.clone()));
            assert!(!c.contains(['0', '1', 'O', 'I', 'L']));
        }
        assert_eq!(parse_code(" k7qm-4txz "), Ok("K7QM4TXZ".into()));
        assert!(parse_code("K7QM-4TX0").is_err());
        assert!(parse_code("K7QM").is_err());
        assert_eq!(display_code("K7QM4TXZ"), "K7QM-4TXZ");
    }

    #[test]
    fn validity_follows_the_rules() {
        let rules = Rules::standard();
        let doc = ReferrerKind::Medecin;
        // Six calendar months (SPEC §7 example).
        assert!(letter_validity(&rules, date(2022, 9, 29), doc, date(2023, 3, 29)).is_ok());
        let e = letter_validity(&rules, date(2022, 9, 28), doc, date(2023, 3, 29)).unwrap_err();
        assert!(
            e.contains("plus de 6 mois") && e.contains("29/09/2022"),
            "{e}"
        );
        // Dated after the session.
        let e = letter_validity(&rules, date(2023, 3, 30), doc, date(2023, 3, 29)).unwrap_err();
        assert!(e.contains("après la séance"), "{e}");
        // Midwives from 2023-12-25 only.
        let sf = ReferrerKind::SageFemme;
        let e = letter_validity(&rules, date(2023, 12, 1), sf, date(2023, 12, 24)).unwrap_err();
        assert!(e.contains("sage-femme") && e.contains("25/12/2023"), "{e}");
        assert!(letter_validity(&rules, date(2023, 12, 1), sf, date(2023, 12, 25)).is_ok());
        // Before the programme.
        assert!(letter_validity(&rules, date(2022, 1, 1), doc, date(2022, 4, 4)).is_err());
        // Direct access since 2024-06-15: valid, and said to be optional.
        let ok = letter_validity(&rules, date(2026, 11, 1), doc, date(2026, 11, 23)).unwrap();
        assert!(ok.contains("n’est plus obligatoire"), "{ok}");
    }

    #[test]
    fn the_letter_pdf_carries_its_code() {
        let l = Letter {
            code: "K7QM4TXZ".into(),
            account_id: 1,
            referrer_kind: ReferrerKind::SageFemme,
            referrer_name: "Dr Hélène Lefèvre".into(),
            referrer_id: "10000000422".into(),
            patient_nir: Nir::parse("206127511100564").unwrap(),
            patient_name: "Élodie Martin".into(),
            letter_date: date(2026, 11, 2),
            context: Some("maternite".into()),
            created_at: Timestamp::now(),
        };
        let pdf = letter_document(&l);
        assert!(pdf.starts_with(b"%PDF-"));
        let find = |n: &[u8]| pdf.windows(n.len()).any(|w| w == n);
        assert!(find(b"K7QM-4TXZ"));
        assert!(find(b"Lef\xe8vre"));
        assert!(!find(b"206127511100564"), "no full NIR on the letter");
        assert!(!find(b"nombre de s\xe9ances :"));
    }
}
