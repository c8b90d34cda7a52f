//! French pages, rendered on the server, usable without JavaScript, keyboard and screen reader
//! (landmarks, labels, skip link, visible focus, `lang="fr"`).

use crate::AppState;
use crate::directory::index::{Entry, Filters, MAX_RADIUS_KM};
use crate::directory::json::{availability_label, commune_name, parse_rpps};
use crate::directory::params::Params;
use crate::directory::search::{self, Outcome, format_distance, format_km};
use crate::error::{AppError, Problem};
use crate::views::{Frame, Notice, layout, notice, plural};
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, PreEscaped, html};
use msp_geo::communes;
use msp_store::directory::ListedCard;
use std::sync::OnceLock;

/// Radii offered in the form (km).
const RADIUS_CHOICES: [u32; 8] = [2, 5, 10, 15, 20, 30, 50, 100];

const DESCRIPTION: &str = "Annuaire des psychologues conventionnés du dispositif Mon soutien psy : séances remboursées par l’Assurance Maladie.";

/// A public page of the directory (with the search's completion script).
fn page(status: StatusCode, title: &str, body: Markup) -> Response {
    let frame = Frame::public(title)
        .description(DESCRIPTION)
        .scripts(&["/static/recherche.js"]);
    (status, layout(&frame, body)).into_response()
}

/// The most populated communes, offered by the `<datalist>` when JavaScript is off.
fn datalist() -> &'static str {
    static CELL: OnceLock<String> = OnceLock::new();
    CELL.get_or_init(|| {
        let mut list: Vec<&msp_geo::Commune> = communes()
            .all()
            .iter()
            .filter(|c| !c.is_arrondissement())
            .collect();
        list.sort_by_key(|c| std::cmp::Reverse(c.population));
        let mut arr: Vec<&msp_geo::Commune> = communes()
            .all()
            .iter()
            .filter(|c| c.is_arrondissement())
            .collect();
        arr.sort_by(|a, b| a.insee.cmp(&b.insee));
        html! {
            datalist id="communes-liste" {
                @for c in list.iter().take(150).chain(arr.iter()) {
                    option value=(c.label()) {}
                }
            }
        }
        .into_string()
    })
}

fn checked(on: bool) -> Option<&'static str> {
    on.then_some("checked")
}

fn search_form(p: &Params, filters: &Filters, heading: bool) -> Markup {
    let q = p.get("q").unwrap_or("");
    let rayon = p.get("rayon").unwrap_or("");
    let langue = filters.language.as_deref().unwrap_or("");
    let nom = p.get("nom").unwrap_or("");
    html! {
        form class="search" action="/recherche" method="get" role="search" aria-labelledby="form-titre" {
            @if heading {
                h2 id="form-titre" { "Rechercher un psychologue" }
            } @else {
                h2 id="form-titre" class="visually-hidden" { "Modifier la recherche" }
            }
            div class="field field-place" {
                label for="q" { "Commune, code postal ou code INSEE" }
                p id="q-aide" class="hint" { "Par exemple : Lyon, 69003, Marseille (13)." }
                div class="combo" {
                    input id="q" name="q" type="text" value=(q) list="communes-liste"
                        autocomplete="off" spellcheck="false" aria-describedby="q-aide";
                }
                (PreEscaped(datalist()))
            }
            div class="field" {
                label for="rayon" { "Distance maximale" }
                select id="rayon" name="rayon" {
                    option value="" selected[rayon.is_empty()] { "Automatique (selon le département)" }
                    @for r in RADIUS_CHOICES {
                        option value=(r) selected[rayon == r.to_string()] { (r) " km" }
                    }
                }
            }
            fieldset class="filters" {
                legend { "Filtres" }
                div class="check" {
                    input type="checkbox" id="enfants" name="enfants" value="1" checked=[checked(filters.children)];
                    label for="enfants" { "Reçoit les enfants" }
                }
                div class="check" {
                    input type="checkbox" id="teleconsultation" name="teleconsultation" value="1" checked=[checked(filters.teleconsultation)];
                    label for="teleconsultation" { "Propose la téléconsultation" }
                }
                div class="check" {
                    input type="checkbox" id="disponible" name="disponible" value="1" checked=[checked(filters.accepting)];
                    label for="disponible" { "Accepte de nouveaux patients" }
                }
                div class="field" {
                    label for="langue" { "Langue parlée en plus du français" }
                    select id="langue" name="langue" {
                        option value="" selected[langue.is_empty()] { "Indifférent" }
                        @for (code, name) in crate::directory::languages::LANGUAGES {
                            option value=(code) selected[langue == *code] { (name) }
                        }
                    }
                }
                div class="field" {
                    label for="nom" { "Nom du psychologue (facultatif)" }
                    input id="nom" name="nom" type="text" value=(nom) autocomplete="off";
                }
            }
            @if q.is_empty() {
                @if let (Some(lat), Some(lon)) = (p.non_empty("lat"), p.non_empty("lon")) {
                    input type="hidden" name="lat" value=(lat);
                    input type="hidden" name="lon" value=(lon);
                }
            }
            div class="actions" {
                button type="submit" class="button" { "Rechercher" }
            }
        }
    }
}

/// `GET /`: the programme in plain words and the search form.
pub async fn home() -> Response {
    let body = html! {
        h1 { "Trouver un psychologue remboursé par l’Assurance Maladie" }
        p class="lead" {
            "Avec le dispositif " strong { "Mon soutien psy" } ", vous pouvez consulter un psychologue "
            "partenaire de l’Assurance Maladie et être remboursé, sans ordonnance."
        }
        (search_form(&Params::default(), &Filters::default(), true))
        section aria-labelledby="dispositif" {
            h2 id="dispositif" { "Le dispositif en bref" }
            div class="cards" {
                div class="info" {
                    h3 { "Pour qui ?" }
                    p { "Toute personne à partir de " strong { "3 ans" } " qui ressent un mal-être, de l’anxiété, "
                        "un moral en baisse ou une souffrance psychique " strong { "légère à modérée" } "." }
                    p { "Pour un enfant ou un adolescent, les deux parents (ou titulaires de l’autorité parentale) donnent leur accord." }
                }
                div class="info" {
                    h3 { "Combien de séances ?" }
                    p { "Jusqu’à " strong { "12 séances par an" } " (année civile), chez un ou plusieurs psychologues partenaires. "
                        "Vous pouvez prendre rendez-vous directement, ou être orienté par votre médecin." }
                }
                div class="info" {
                    h3 { "Combien ça coûte ?" }
                    p { "La séance coûte " strong { "50 €" } ", sans dépassement d’honoraires. "
                        "L’Assurance Maladie rembourse " strong { "60 %" } " (30 €) ; votre complémentaire santé (mutuelle) rembourse les "
                        strong { "40 %" } " restants (20 €)." }
                    p { "Avec la " strong { "Complémentaire santé solidaire (C2S)" } " ou l’" strong { "Aide médicale de l’État (AME)" }
                        ", vous n’avancez pas d’argent." }
                }
            }
        }
        section aria-labelledby="comment" {
            h2 id="comment" { "Comment faire ?" }
            ol class="steps" {
                li { strong { "Cherchez un psychologue" } " près de chez vous avec le formulaire ci-dessus : indiquez votre commune ou votre code postal, et si besoin un filtre (enfants, téléconsultation, langue)." }
                li { strong { "Prenez rendez-vous" } " directement avec lui, par téléphone ou par courriel si sa fiche les indique. Dites que vous venez dans le cadre de Mon soutien psy." }
                li { "La première séance est un " strong { "entretien d’évaluation" } ", au cabinet. Les suivantes peuvent avoir lieu en vidéo si le psychologue le propose." }
                li { "Présentez votre " strong { "carte Vitale" } " : vous êtes remboursé comme pour une consultation médicale." }
            }
            p { "Le psychologue peut vous orienter vers un médecin si votre situation demande un autre suivi." }
        }
    };
    page(StatusCode::OK, "Accueil", body)
}

fn keep_filters(p: &Params) -> Vec<(String, String)> {
    p.0.iter()
        .filter(|(k, v)| {
            !v.is_empty()
                && matches!(
                    k.as_str(),
                    "rayon"
                        | "enfants"
                        | "teleconsultation"
                        | "langue"
                        | "disponible"
                        | "nom"
                        | "par_page"
                )
        })
        .cloned()
        .collect()
}

fn url_with(p: &Params, extra: &[(&str, String)], drop: &[&str]) -> String {
    let mut pairs: Vec<(String, String)> =
        p.0.iter()
            .filter(|(k, v)| {
                !v.is_empty() && !drop.contains(&k.as_str()) && !extra.iter().any(|(e, _)| e == k)
            })
            .cloned()
            .collect();
    pairs.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    format!(
        "/recherche?{}",
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    )
}

fn result_item(
    e: &Entry,
    distance: f64,
    address: usize,
    today: msp_domain::Date,
    search: &str,
) -> Markup {
    let c = &e.listed.card;
    let a = &c.addresses[address];
    let available = c.availability_on(today);
    html! {
        li {
            article class="result" aria-labelledby=(format!("psy-{}", c.rpps)) {
                h3 id=(format!("psy-{}", c.rpps)) {
                    a href=(card_link(c.rpps, search)) { (e.listed.first_name) " " (e.listed.last_name) }
                }
                p class="where" {
                    span class="distance" { (format_distance(distance)) }
                    " – " (a.line) ", " (a.postal_code) " " (commune_name(&a.commune_insee))
                }
                @if let Some(s) = &c.structure_name { p class="structure" { (s) } }
                ul class="tags" aria-label="Caractéristiques" {
                    li { (c.public.label_fr()) }
                    @if c.teleconsultation { li { "Téléconsultation" } }
                    @for l in &c.languages {
                        li { (crate::directory::languages::name_fr(l).unwrap_or(l)) }
                    }
                    li class=(match available { Some(true) => "tag-ok", Some(false) => "tag-no", None => "tag-unknown" }) {
                        (availability_label(c, today))
                    }
                }
            }
        }
    }
}

fn results(p: &Params, o: &Outcome, today: msp_domain::Date) -> Markup {
    let r = &o.result;
    let heading = if r.total == 0 {
        format!(
            "Aucun psychologue à moins de {} {}",
            format_km(r.radius_km),
            msp_domain::french::of_place(&o.place.label)
        )
    } else {
        format!(
            "{} à moins de {} {}",
            plural(r.total as i64, "psychologue", "psychologues"),
            format_km(r.radius_km),
            msp_domain::french::of_place(&o.place.label)
        )
    };
    let wider = (r.radius_km * 2.0).min(MAX_RADIUS_KM);
    html! {
        section class="results-section" aria-labelledby="resultats-titre" {
            h2 id="resultats-titre" { (heading) }
            @if r.default_radius {
                p class="hint" { "Distance choisie automatiquement pour ce département." }
            }
            @if r.total > 0 {
                p class="hint" { "Les psychologues sont classés par tranche de distance (moins de 1 km, de 1 à 2 km, de 2 à 5 km, de 5 à 10 km, puis plus large) ; dans une même tranche, l’ordre change chaque jour pour ne favoriser personne. Les distances sont mesurées jusqu’au centre de la commune du cabinet." }
            }
            @if r.total == 0 {
                @if r.radius_km < MAX_RADIUS_KM {
                    p { a href=(url_with(p, &[("rayon", wider.to_string())], &["page"])) { "Élargir la recherche à " (format_km(wider)) } }
                }
            } @else {
                p class="visually-hidden" { "Page " (r.page) " sur " (r.pages) "." }
                ol class="results" start=((r.page - 1) * r.per_page + 1) {
                    @for h in &r.hits { (result_item(&h.entry, h.distance_km, h.address, today, &search_query(p))) }
                }
                @if r.pages > 1 {
                    nav class="pagination" aria-label="Pages de résultats" {
                        ul {
                            @if r.page > 1 {
                                li { a href=(url_with(p, &[("page", (r.page - 1).to_string())], &[])) rel="prev" { "Page précédente" } }
                            }
                            li { a href=(url_with(p, &[("page", r.page.to_string())], &[])) aria-current="page" { "Page " (r.page) " sur " (r.pages) } }
                            @if r.page < r.pages {
                                li { a href=(url_with(p, &[("page", (r.page + 1).to_string())], &[])) rel="next" { "Page suivante" } }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn problem_box(p: &Params, problem: &Problem) -> Markup {
    let keep = keep_filters(p);
    html! {
        (notice(Notice::Error, html! {
            h2 { "Nous n’avons pas pu lancer la recherche" }
            p { (problem.message) }
            @if !problem.suggestions.is_empty() {
                p { "Vouliez-vous dire :" }
                ul {
                    @for s in &problem.suggestions {
                        li { a href=(url_with(&Params(keep.clone()), &[("q", s.libelle.clone())], &[])) { (s.libelle) } }
                    }
                }
            }
        }))
    }
}

/// `GET /recherche`: the form, and results when a place was given.
pub async fn search_page(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    let p = Params::parse(raw.as_deref())?;
    let filters_for_form = crate::directory::params::filters(&p).unwrap_or_default();
    let today = state.today();
    Ok(match search::run(&state, &p) {
        Ok(None) => page(
            StatusCode::OK,
            "Rechercher un psychologue",
            html! {
                h1 { "Rechercher un psychologue" }
                // The form was sent without a place: say what is missing.
                @if p.get("q").is_some() {
                    (notice(Notice::Warning, html! { p { "Indiquez une commune, un code postal ou un code INSEE pour lancer la recherche." } }))
                }
                (search_form(&p, &filters_for_form, false))
            },
        ),
        Ok(Some(o)) => {
            let title = format!(
                "Psychologues {}",
                msp_domain::french::near_place(&o.place.label)
            );
            page(
                StatusCode::OK,
                &title,
                html! {
                    h1 { (title) }
                    (search_form(&p, &o.filters, false))
                    (results(&p, &o, today))
                },
            )
        }
        Err(problem) => page(
            problem.status,
            "Recherche impossible",
            html! {
                h1 { "Rechercher un psychologue" }
                (problem_box(&p, &problem))
                (search_form(&p, &filters_for_form, false))
            },
        ),
    })
}

/// The public card as the directory shows it (the card page and the psychologist's preview).
pub fn card_article(listed: &ListedCard, today: msp_domain::Date) -> Markup {
    let c = &listed.card;
    let name = format!("{} {}", listed.first_name, listed.last_name);
    let available = c.availability_on(today);
    html! {
        article class="card" aria-labelledby="nom-psy" {
            h1 id="nom-psy" { (name) }
            p class="lead" { "Psychologue conventionné·e Mon soutien psy – RPPS " (c.rpps) }
            @if let Some(s) = &c.structure_name { p { "Exerce au sein de : " strong { (s) } } }
            p class=(match available { Some(true) => "availability ok", Some(false) => "availability no", None => "availability unknown" }) {
                (availability_label(c, today))
            }
            h2 { @if c.addresses.len() > 1 { "Adresses du cabinet" } @else { "Adresse du cabinet" } }
            ul class="addresses" {
                @for a in &c.addresses {
                    li {
                        address { (a.line) br; (a.postal_code) " " (commune_name(&a.commune_insee)) }
                    }
                }
            }
            h2 { "Contact" }
            @let phone = c.phone.public_value();
            @let email = c.email.public_value();
            @let web = c.website.public_value();
            @if phone.is_none() && email.is_none() && web.is_none() {
                p { "Ce psychologue n’a pas publié de moyen de contact : rendez-vous à son cabinet ou cherchez ses coordonnées dans l’annuaire santé." }
            } @else {
                ul class="contact" {
                    @if let Some(t) = phone { li { "Téléphone : " a href=(format!("tel:{}", t.replace(' ', ""))) { (t) } } }
                    @if let Some(m) = email { li { "Courriel : " a href=(format!("mailto:{m}")) { (m) } } }
                    @if let Some(w) = web { li { "Site web : " a href=(w) rel="nofollow noopener" { (w) } } }
                }
            }
            h2 { "Consultations" }
            dl class="facts" {
                dt { "Public reçu" } dd { (c.public.label_fr()) }
                dt { "Téléconsultation" } dd { @if c.teleconsultation { "Oui (séances de suivi)" } @else { "Non" } }
                dt { "Langues parlées" } dd {
                    "Français"
                    @for l in &c.languages { ", " (crate::directory::languages::name_fr(l).unwrap_or(l)) }
                }
                dt { "Tarif" } dd { "50 € la séance, sans dépassement ; remboursée à 60 % par l’Assurance Maladie et 40 % par la complémentaire santé." }
            }
            @if let Some(t) = listed.updated_at {
                p class="hint" { "Fiche mise à jour le " (crate::views::date_long_fr(crate::directory::answers::paris_date(t))) "." }
            }
        }
    }
}

/// The search parameters worth keeping (not the page), URL-encoded.
fn search_query(p: &Params) -> String {
    let kept: Vec<(String, String)> =
        p.0.iter()
            .filter(|(k, v)| !v.is_empty() && k != "page")
            .cloned()
            .collect();
    serde_urlencoded::to_string(kept).unwrap_or_default()
}

/// A card's address that remembers the search it was found by.
fn card_link(rpps: msp_domain::Rpps, search: &str) -> String {
    if search.is_empty() {
        format!("/psychologues/{rpps}")
    } else {
        format!(
            "/psychologues/{rpps}?{}",
            serde_urlencoded::to_string([("recherche", search)]).unwrap_or_default()
        )
    }
}

/// `GET /psychologues/{rpps}`: a listed psychologist's card.
pub async fn card_page(
    State(state): State<AppState>,
    Path(rpps): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, AppError> {
    // The search it came from (`?recherche=…`), re-encoded: the breadcrumb leads back to it.
    let back = Params::parse(raw.as_deref())
        .ok()
        .and_then(|p| p.non_empty("recherche").map(str::to_owned))
        .and_then(|q| Params::parse(Some(&q)).ok())
        .map(|p| search_query(&p))
        .filter(|q| !q.is_empty());
    let rpps = parse_rpps(&rpps)?;
    let today = state.today();
    let entry = {
        let index = state.index();
        index
            .get(rpps)
            .filter(|e| e.listed.is_listed_on(today))
            .cloned()
    };
    let e = entry.ok_or_else(|| {
        AppError::not_found(
            "psychologue_inconnu",
            "Ce psychologue n’est pas (ou plus) dans l’annuaire des psychologues conventionnés.",
        )
    })?;
    let name = format!("{} {}", e.listed.first_name, e.listed.last_name);
    let body = html! {
        nav aria-label="Fil d’Ariane" class="breadcrumb" {
            ol {
                li { a href="/" { "Accueil" } }
                @match &back {
                    Some(q) => li { a href=(format!("/recherche?{q}")) { "Résultats de la recherche" } },
                    None => li { a href="/recherche" { "Recherche" } },
                }
                li aria-current="page" { (name) }
            }
        }
        (card_article(&e.listed, today))
        p { a href="/recherche" { "Nouvelle recherche" } }
    };
    Ok(page(StatusCode::OK, &name, body))
}

/// Anything else: 404, as a page.
pub async fn not_found() -> AppError {
    AppError::not_found(
        "page_inconnue",
        "Cette page n’existe pas. Vérifiez l’adresse ou repartez de l’accueil.",
    )
}
