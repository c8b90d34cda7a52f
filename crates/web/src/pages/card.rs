//! « Ma fiche » (issue 12): the psychologist's directory card, its preview, the availability in
//! one click, why the card is or is not public today; the reminder links (no sign-in) and the
//! reminders the admin sees.

use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::extract::{Admin, CsrfForm, Psychologist};
use crate::pages::auth::{described_by, form_refusal, invalid};
use crate::pages::directory::card_article;
use crate::paths;
use crate::services::audit::Via;
use crate::services::availability_links::{self as links, answer_label};
use crate::services::cards::{
    self, AddressInput, AvailabilityInput, CardInput, ContactInput, Visibility,
};
use crate::views::{Field, Frame, Notice, field_error, form_errors, layout, notice};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use maud::{Markup, html};
use msp_domain::{Date, Rpps};
use msp_store::directory::{Delay, DirectoryCard, ListedCard, Public};
use std::collections::HashMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(paths::MY_CARD, get(my_card).post(save))
        .route(paths::MY_AVAILABILITY, axum::routing::post(availability))
        .route(paths::REMINDERS, get(reminders_page))
        .route(
            "/disponibilite/{rpps}/{token}",
            get(link_page).post(follow_link),
        )
}

/// The card form, flat as a browser sends it (`langue-en=1` for each language ticked).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct CardForm {
    pub adresse1: String,
    pub cp1: String,
    pub commune1: String,
    pub adresse2: String,
    pub cp2: String,
    pub commune2: String,
    pub telephone: String,
    pub telephone_public: Option<String>,
    pub email: String,
    pub email_public: Option<String>,
    pub site_web: String,
    pub site_web_public: Option<String>,
    pub structure: String,
    pub public: String,
    pub teleconsultation: Option<String>,
    /// `apercu` (preview) or `enregistrer`.
    pub action: String,
    #[serde(flatten)]
    pub rest: HashMap<String, String>,
}

impl CardForm {
    fn of(card: &DirectoryCard) -> CardForm {
        let a = |i: usize| card.addresses.get(i);
        let name = |i: usize| {
            a(i).map(|a| crate::directory::json::commune_name(&a.commune_insee))
                .unwrap_or_default()
        };
        let flag = |on: bool| on.then(|| "1".to_owned());
        CardForm {
            adresse1: a(0).map(|a| a.line.clone()).unwrap_or_default(),
            cp1: a(0).map(|a| a.postal_code.clone()).unwrap_or_default(),
            commune1: name(0),
            adresse2: a(1).map(|a| a.line.clone()).unwrap_or_default(),
            cp2: a(1).map(|a| a.postal_code.clone()).unwrap_or_default(),
            commune2: name(1),
            telephone: card.phone.value.clone().unwrap_or_default(),
            telephone_public: flag(card.phone.public),
            email: card.email.value.clone().unwrap_or_default(),
            email_public: flag(card.email.public),
            site_web: card.website.value.clone().unwrap_or_default(),
            site_web_public: flag(card.website.public),
            structure: card.structure_name.clone().unwrap_or_default(),
            public: card.public.code().to_owned(),
            teleconsultation: flag(card.teleconsultation),
            action: String::new(),
            rest: card
                .languages
                .iter()
                .map(|l| (format!("langue-{l}"), "1".to_owned()))
                .collect(),
        }
    }

    fn input(&self) -> CardInput {
        let mut adresses = vec![];
        for (line, cp, commune) in [
            (&self.adresse1, &self.cp1, &self.commune1),
            (&self.adresse2, &self.cp2, &self.commune2),
        ] {
            if adresses.is_empty() || !(line.trim().is_empty() && cp.trim().is_empty()) {
                adresses.push(AddressInput {
                    ligne: line.clone(),
                    code_postal: cp.clone(),
                    insee: String::new(),
                    commune: commune.clone(),
                });
            }
        }
        let contact = |v: &str, public: &Option<String>| {
            (!v.trim().is_empty()).then(|| ContactInput {
                valeur: v.to_owned(),
                public: public.is_some(),
            })
        };
        let mut langues: Vec<String> = self
            .rest
            .keys()
            .filter_map(|k| k.strip_prefix("langue-"))
            .map(str::to_owned)
            .collect();
        langues.sort();
        CardInput {
            adresses,
            telephone: contact(&self.telephone, &self.telephone_public),
            email: contact(&self.email, &self.email_public),
            site_web: contact(&self.site_web, &self.site_web_public),
            structure: Some(self.structure.clone()),
            langues,
            public: self.public.clone(),
            teleconsultation: self.teleconsultation.is_some(),
            accepte_nouveaux_patients: None,
            delai: None,
        }
    }

    fn ticked(&self, code: &str) -> bool {
        self.rest.contains_key(&format!("langue-{code}"))
    }
}

/// The form's field for a field of [`CardInput`] named in a refusal.
fn form_field(champ: &str) -> String {
    let map = [
        ("adresses[0].ligne", "adresse1"),
        ("adresses[0].code_postal", "cp1"),
        ("adresses[0].commune", "commune1"),
        ("adresses[0].insee", "commune1"),
        ("adresses[1].ligne", "adresse2"),
        ("adresses[1].code_postal", "cp2"),
        ("adresses[1].commune", "commune2"),
        ("adresses[1].insee", "commune2"),
        ("adresses", "adresse1"),
        ("site_web", "site_web"),
    ];
    if let Some((_, f)) = map.iter().find(|(c, _)| *c == champ) {
        return (*f).to_owned();
    }
    if champ.starts_with("langues") {
        return "langues".to_owned();
    }
    champ.to_owned()
}

/// What the page shows after a request.
#[derive(Default)]
struct Shown {
    form: Option<CardForm>,
    errors: Vec<(String, String)>,
    preview: Option<ListedCard>,
    saved: bool,
    /// Availability just confirmed (the page then says what the public reads, from the card).
    availability: bool,
    availability_errors: Vec<(String, String)>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct Done {
    enregistre: Option<String>,
    disponibilite: Option<String>,
}

async fn my_card(
    State(state): State<AppState>,
    psy: Psychologist,
    Query(done): Query<Done>,
) -> AppResult<Markup> {
    let shown = Shown {
        saved: done.enregistre.is_some(),
        availability: done.disponibilite.is_some(),
        ..Shown::default()
    };
    render(&state, &psy, shown).await
}

async fn render(state: &AppState, psy: &Psychologist, shown: Shown) -> AppResult<Markup> {
    let rpps = psy.rpps;
    let (stored, rights) = state
        .db(move |db| {
            Ok((
                msp_store::directory::load_card(db, rpps)?,
                msp_store::directory::rights_of(db, rpps)?,
            ))
        })
        .await?;
    let today = state.today();
    let visibility = cards::visibility(stored.as_ref(), &rights, today);
    let reminders_sent = state.options().smtp.is_some();
    Ok(view(
        psy,
        stored.as_ref(),
        &visibility,
        shown,
        today,
        reminders_sent,
    ))
}

fn checked(on: bool) -> Option<&'static str> {
    on.then_some("checked")
}

fn text_field(
    errors: &[Field<'_>],
    id: &str,
    label: &str,
    value: &str,
    kind: &str,
    hint: Option<&str>,
) -> Markup {
    let hint_id = format!("{id}-aide");
    html! {
        div class="field" {
            label for=(id) { (label) }
            @if let Some(h) = hint { p id=(hint_id) class="hint" { (h) } }
            (field_error(errors, id))
            input id=(id) name=(id) type=(kind) value=(value)
                aria-invalid=[invalid(errors, id)]
                aria-describedby=[described_by(errors, id, hint.map(|_| hint_id.as_str()))];
        }
    }
}

fn contact_field(
    errors: &[Field<'_>],
    id: &str,
    label: &str,
    value: &str,
    public: bool,
    kind: &str,
) -> Markup {
    html! {
        (text_field(errors, id, label, value, kind, None))
        div class="field checkbox" {
            input id=(format!("{id}_public")) name=(format!("{id}_public")) type="checkbox" value="1" checked=[checked(public)];
            label for=(format!("{id}_public")) { "Afficher publiquement" }
        }
    }
}

fn availability_state(card: &DirectoryCard, today: Date) -> String {
    crate::directory::json::availability_label(card, today)
}

fn view(
    psy: &Psychologist,
    stored: Option<&ListedCard>,
    visibility: &Visibility,
    shown: Shown,
    today: Date,
    reminders_sent: bool,
) -> Markup {
    let form = shown
        .form
        .clone()
        .or_else(|| stored.map(|s| CardForm::of(&s.card)))
        .unwrap_or_else(|| CardForm {
            public: Public::Adults.code().to_owned(),
            ..CardForm::default()
        });
    let errors: Vec<(String, String)> = shown
        .errors
        .iter()
        .map(|(c, m)| (form_field(c), m.clone()))
        .collect();
    let errors: Vec<Field<'_>> = errors
        .iter()
        .map(|(c, m)| (c.as_str(), m.clone()))
        .collect();
    let avail_errors: Vec<Field<'_>> = shown
        .availability_errors
        .iter()
        .map(|(c, m)| (c.as_str(), m.clone()))
        .collect();
    let current = stored.map(|s| &s.card);
    let accepting = current.and_then(|c| c.accepting_new_patients);
    let delay = current.and_then(|c| c.first_appointment_delay);
    let body = html! {
        h1 { "Ma fiche de l’annuaire" }
        // A standing, not the outcome of an action: information either way.
        (notice(Notice::Info, html! {
            p { (visibility.sentence_fr()) }
            @if *visibility == Visibility::Public {
                p { a href=(format!("/psychologues/{}", psy.rpps)) { "Voir ma fiche publique" } }
            }
        }))
        @if shown.saved {
            (notice(Notice::Success, html! { p { "Votre fiche est enregistrée." (if *visibility == Visibility::Public { " Le public la lit dès maintenant." } else { "" }) } }))
        }
        @if shown.availability {
            (notice(Notice::Success, html! { p { "Disponibilité confirmée aujourd’hui." } }))
        }
        section aria-labelledby="dispo-titre" {
            h2 id="dispo-titre" { "Ma disponibilité" }
            @if let Some(c) = current {
                @if *visibility == Visibility::Public {
                    p { "Aujourd’hui, le public lit : « " (availability_state(c, today)) " »." }
                } @else {
                    p { "Aujourd’hui, le public ne voit pas votre fiche ; quand elle sera publique, il lira : « " (availability_state(c, today)) " »." }
                }
                p class="hint" {
                    "Une disponibilité non confirmée depuis 30 jours s’affiche « Disponibilité inconnue » ; "
                    @if reminders_sent { "un rappel vous est envoyé par courriel au 21" sup { "e" } " jour." }
                    @else { "un rappel est prévu au 21" sup { "e" } " jour, mais ce serveur n’envoie pas encore de courriels : pensez à revenir confirmer." }
                }
                (form_errors("Votre disponibilité n’a pas été enregistrée :", &avail_errors))
                form method="post" action=(paths::MY_AVAILABILITY) class="search" {
                    input type="hidden" name="_csrf" value=(psy.csrf);
                    fieldset {
                        legend { "J’accepte de nouveaux patients" }
                        div class="field checkbox" {
                            // Nothing declared: nothing chosen, one click must not say « oui ».
                            input id="accepte-oui" name="accepte" type="radio" value="oui" required checked=[checked(accepting == Some(true))];
                            label for="accepte-oui" { "Oui" }
                        }
                        div class="field checkbox" {
                            input id="accepte-non" name="accepte" type="radio" value="non" required checked=[checked(accepting == Some(false))];
                            label for="accepte-non" { "Non" }
                        }
                    }
                    div class="field" {
                        label for="delai" { "Délai indicatif pour un premier rendez-vous (si oui, facultatif)" }
                        (field_error(&avail_errors, "delai"))
                        select id="delai" name="delai" aria-invalid=[invalid(&avail_errors, "delai")] aria-describedby=[described_by(&avail_errors, "delai", None)] {
                            option value="" selected[delay.is_none()] { "Sans délai indiqué" }
                            @for d in Delay::ALL {
                                option value=(d.code()) selected[delay == Some(d)] { (d.label_fr()) }
                            }
                        }
                    }
                    div class="actions" { button type="submit" class="button" { "Confirmer ma disponibilité" } }
                }
            } @else {
                p { "Enregistrez d’abord votre fiche ci-dessous ; vous pourrez ensuite confirmer votre disponibilité en un clic." }
            }
        }
        @if let Some(p) = &shown.preview {
            section aria-labelledby="apercu-titre" class="preview" {
                h2 id="apercu-titre" { "Aperçu de votre fiche publique" }
                (notice(Notice::Warning, html! { p { "Aperçu seulement : rien n’est encore enregistré. Vérifiez, puis cliquez sur « Enregistrer ma fiche »." } }))
                (card_article(p, today))
            }
        }
        section aria-labelledby="fiche-titre" {
            h2 id="fiche-titre" { "Ma fiche" }
            p { "Les adresses sont placées sur la carte au centre de leur commune ; seules les adresses en France sont acceptées." }
            (form_errors("Votre fiche n’a pas été enregistrée :", &errors))
            form method="post" action=(paths::MY_CARD) class="search" {
                input type="hidden" name="_csrf" value=(psy.csrf);
                fieldset {
                    legend { "Adresse principale du cabinet" }
                    (text_field(&errors, "adresse1", "Numéro et voie", &form.adresse1, "text", None))
                    (text_field(&errors, "cp1", "Code postal", &form.cp1, "text", None))
                    (text_field(&errors, "commune1", "Commune", &form.commune1, "text", Some("Nécessaire seulement quand le code postal dessert plusieurs communes.")))
                }
                fieldset {
                    legend { "Seconde adresse (facultative)" }
                    (text_field(&errors, "adresse2", "Numéro et voie", &form.adresse2, "text", None))
                    (text_field(&errors, "cp2", "Code postal", &form.cp2, "text", None))
                    (text_field(&errors, "commune2", "Commune", &form.commune2, "text", None))
                }
                fieldset {
                    legend { "Contact" }
                    (contact_field(&errors, "telephone", "Téléphone", &form.telephone, form.telephone_public.is_some(), "tel"))
                    (contact_field(&errors, "email", "Adresse électronique", &form.email, form.email_public.is_some(), "email"))
                    (contact_field(&errors, "site_web", "Site web (https://…)", &form.site_web, form.site_web_public.is_some(), "url"))
                }
                (text_field(&errors, "structure", "Structure d’exercice (centre de santé, maison de santé), facultatif", &form.structure, "text", None))
                div class="field" {
                    label for="public" { "Public reçu" }
                    (field_error(&errors, "public"))
                    select id="public" name="public" aria-invalid=[invalid(&errors, "public")] aria-describedby=[described_by(&errors, "public", None)] {
                        @for p in Public::ALL {
                            option value=(p.code()) selected[form.public == p.code()] { (p.label_fr()) }
                        }
                    }
                }
                div class="field checkbox" {
                    input id="teleconsultation" name="teleconsultation" type="checkbox" value="1" checked=[checked(form.teleconsultation.is_some())];
                    label for="teleconsultation" { "Je propose la téléconsultation (séances de suivi)" }
                }
                fieldset id="langues" {
                    legend { "Langues parlées en plus du français" }
                    (field_error(&errors, "langues"))
                    @for (code, name) in crate::directory::languages::LANGUAGES {
                        div class="field checkbox" {
                            input id=(format!("langue-{code}")) name=(format!("langue-{code}")) type="checkbox" value="1" checked=[checked(form.ticked(code))];
                            label for=(format!("langue-{code}")) { (name) }
                        }
                    }
                }
                div class="actions" {
                    button type="submit" name="action" value="apercu" class="button secondary" { "Voir l’aperçu" }
                    " "
                    button type="submit" name="action" value="enregistrer" class="button" { "Enregistrer ma fiche" }
                }
            }
        }
    };
    layout(&Frame::new(Some(&psy.user), "Ma fiche"), body)
}

/// `POST /espace/fiche`: preview (nothing saved) or save.
async fn save(
    State(state): State<AppState>,
    psy: Psychologist,
    CsrfForm(form): CsrfForm<CardForm>,
) -> AppResult<Response> {
    let input = form.input();
    let rpps = psy.rpps;
    if form.action == "apercu" {
        let stored = cards::stored_card(&state, rpps).await?;
        let shown = match cards::card_from_input(
            rpps,
            &input,
            state.today(),
            stored.as_ref().map(|s| &s.card),
        ) {
            Ok(card) => Shown {
                preview: Some(preview_of(&state, rpps, card, stored.as_ref()).await?),
                form: Some(form),
                ..Shown::default()
            },
            Err(e) => refused_shown(e, form)?,
        };
        return Ok(render(&state, &psy, shown).await?.into_response());
    }
    let editor = cards::Editor::Owner { actor: psy.actor() };
    match cards::save_card(&state, &editor, rpps, &input, Via::Page).await {
        Ok(_) => Ok(Redirect::to(&format!("{}?enregistre=1", paths::MY_CARD)).into_response()),
        Err(e) => {
            let shown = refused_shown(e, form)?;
            Ok((
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                render(&state, &psy, shown).await?,
            )
                .into_response())
        }
    }
}

fn refused_shown(e: AppError, form: CardForm) -> AppResult<Shown> {
    let Some(errors) = form_refusal(&e) else {
        return Err(e);
    };
    Ok(Shown {
        form: Some(form),
        errors,
        ..Shown::default()
    })
}

/// The card as the public would see it, with the registry's names.
async fn preview_of(
    state: &AppState,
    rpps: Rpps,
    card: DirectoryCard,
    stored: Option<&ListedCard>,
) -> AppResult<ListedCard> {
    let (last_name, first_name) = match stored {
        Some(s) => (s.last_name.clone(), s.first_name.clone()),
        None => {
            state
                .db(move |db| {
                    Ok(db
                        .query_opt(
                            "SELECT last_name, first_name FROM registry WHERE rpps = $1",
                            &[rpps.to_string().into()],
                        )?
                        .map(|r| Ok::<_, msp_store::StoreError>((r.string(0)?, r.string(1)?)))
                        .transpose()?
                        .unwrap_or_default())
                })
                .await?
        }
    };
    Ok(ListedCard {
        card,
        last_name,
        first_name,
        rights: stored.map(|s| s.rights.clone()).unwrap_or_default(),
        updated_at: None,
    })
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct AvailabilityForm {
    /// `oui` or `non`.
    pub accepte: String,
    pub delai: String,
}

/// `POST /espace/fiche/disponibilite`: one click.
async fn availability(
    State(state): State<AppState>,
    psy: Psychologist,
    CsrfForm(form): CsrfForm<AvailabilityForm>,
) -> AppResult<Response> {
    let accepting = match form.accepte.as_str() {
        "oui" => true,
        "non" => false,
        _ => {
            let shown = Shown {
                availability_errors: vec![(
                    "accepte-oui".into(),
                    "Choisissez « oui » ou « non ».".into(),
                )],
                ..Shown::default()
            };
            return Ok((
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                render(&state, &psy, shown).await?,
            )
                .into_response());
        }
    };
    let input = AvailabilityInput {
        accepte_nouveaux_patients: accepting,
        delai: (accepting && !form.delai.is_empty()).then(|| form.delai.clone()),
    };
    let editor = cards::Editor::Owner { actor: psy.actor() };
    match cards::confirm_availability(&state, &editor, psy.rpps, &input, Via::Page).await {
        Ok(()) => {
            // Only a flag in the address: the page states what is stored, never a text from it.
            Ok(Redirect::to(&format!("{}?disponibilite=1", paths::MY_CARD)).into_response())
        }
        Err(e) => {
            let Some(errors) = form_refusal(&e) else {
                return Err(e);
            };
            let shown = Shown {
                availability_errors: errors,
                ..Shown::default()
            };
            Ok((
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                render(&state, &psy, shown).await?,
            )
                .into_response())
        }
    }
}

fn parse_link_rpps(raw: &str) -> AppResult<Rpps> {
    Rpps::parse(raw).map_err(|_| {
        AppError::not_found(
            "lien_inconnu",
            "Ce lien de confirmation est inconnu ou ne correspond pas à cette fiche.",
        )
        .field("lien")
        .titled("Lien inconnu")
    })
}

/// `GET /disponibilite/{rpps}/{token}`: what the link confirms, with one button (a GET changes
/// nothing: mail scanners open links before people do).
async fn link_page(
    State(state): State<AppState>,
    Path((rpps, token)): Path<(String, String)>,
) -> AppResult<Markup> {
    let rpps = parse_link_rpps(&rpps)?;
    let (accepting, delay) = links::peek(&state, rpps, &token).await?;
    let body = html! {
        h1 { "Confirmer ma disponibilité" }
        p { "Vous confirmez, pour votre fiche de l’annuaire (RPPS " (rpps) ") :" }
        p class="lead" { strong { (answer_label(accepting, delay)) } }
        form method="post" action=(links::link_path(rpps, &token)) class="search" {
            div class="actions" { button type="submit" class="button" { "Confirmer" } }
        }
        p class="hint" { "Ce lien ne sert qu’une fois. Pour une autre réponse, utilisez un autre lien du même courriel ou connectez-vous à votre espace." }
    };
    Ok(layout(
        &Frame::new(None, "Confirmer ma disponibilité"),
        body,
    ))
}

/// `POST /disponibilite/{rpps}/{token}`: uses the link.
async fn follow_link(
    State(state): State<AppState>,
    Path((rpps, token)): Path<(String, String)>,
) -> AppResult<Markup> {
    let rpps = parse_link_rpps(&rpps)?;
    let (accepting, delay) = links::follow(&state, rpps, &token).await?;
    let body = html! {
        h1 { "Disponibilité confirmée" }
        (notice(Notice::Success, html! {
            p { "Merci : votre fiche indique désormais « " (answer_label(accepting, delay)) " », confirmé aujourd’hui, le " (crate::views::date_long_fr(state.today())) "." }
        }))
        p { "Elle restera affichée 30 jours ; un nouveau rappel vous sera envoyé au 21e jour." }
        p { a href=(format!("/psychologues/{rpps}")) { "Voir ma fiche publique" } }
    };
    Ok(layout(&Frame::new(None, "Disponibilité confirmée"), body))
}

/// `GET /espace/admin/rappels`: the reminders sent, or only recorded without SMTP.
async fn reminders_page(State(state): State<AppState>, admin: Admin) -> AppResult<Markup> {
    let list = crate::services::reminders::latest(&state).await?;
    let smtp = state.options().smtp.is_some();
    let body = html! {
        h1 { "Rappels de disponibilité" }
        @if smtp {
            (notice(Notice::Info, html! { p { "Les rappels partent par le serveur SMTP configuré." } }))
        } @else {
            (notice(Notice::Warning, html! { p { "Aucun serveur SMTP n’est configuré : les rappels ne partent pas. Voici ceux qui auraient été envoyés (sans leurs liens personnels)." } }))
        }
        @if list.is_empty() {
            p { "Aucun rappel pour le moment." }
        } @else {
            table {
                thead { tr { th scope="col" { "Date" } th scope="col" { "RPPS" } th scope="col" { "Destinataire" } th scope="col" { "État" } th scope="col" { "Message" } } }
                tbody {
                    @for r in &list {
                        tr {
                            td { (crate::views::date_long_fr(crate::directory::answers::paris_date(r.sent_at))) }
                            td { (r.rpps) }
                            td { (r.recipient) }
                            td { @if r.delivered { "envoyé" } @else { "non envoyé (SMTP non configuré)" } }
                            td { details { summary { (r.subject) } pre { (r.body) } } }
                        }
                    }
                }
            }
        }
    };
    Ok(layout(&Frame::new(Some(&admin.0), "Rappels"), body))
}
