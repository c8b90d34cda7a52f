//! The psychologist's directory card (« Ma fiche », issue 12): who may change it, the card as
//! written (checked and geocoded offline), availability in one click, and why a card is or is
//! not public today. Shared by the pages, the JSON API and the reminder links.

use super::audit::{Via, record_as};
use crate::AppState;
use crate::error::{AppError, AppResult, FieldError};
use crate::extract::{CurrentUser, own_rpps};
use jiff::Timestamp;
use msp_domain::{Date, Role, Rpps};
use msp_geo::communes;
use msp_store::directory::{
    self, Contact, Delay, DirectoryCard, ListedCard, PracticeAddress, Public,
};
use msp_store::{StoreError, availability};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    pub ligne: String,
    pub code_postal: String,
    /// INSEE code of the commune (or arrondissement); coordinates come from it. Instead, give
    /// `commune` (its name) with the postal code.
    #[serde(default)]
    pub insee: String,
    /// Name of the commune, when the INSEE code is not given.
    #[serde(default)]
    pub commune: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    pub valeur: String,
    /// Show it on the public card (« afficher publiquement »).
    pub public: bool,
}

/// A card as the psychologist writes it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardInput {
    /// One or two practice addresses in France, the main one first.
    pub adresses: Vec<AddressInput>,
    pub telephone: Option<ContactInput>,
    pub email: Option<ContactInput>,
    pub site_web: Option<ContactInput>,
    pub structure: Option<String>,
    /// Language codes (see `/api/langues`).
    #[serde(default)]
    pub langues: Vec<String>,
    /// `adultes`, `adultes_adolescents`, `adultes_adolescents_enfants` or `enfants`.
    pub public: String,
    pub teleconsultation: bool,
    /// Takes new patients; given, it confirms the availability as of today; absent, the
    /// availability already confirmed is kept.
    pub accepte_nouveaux_patients: Option<bool>,
    /// With `accepte_nouveaux_patients: true`: `semaine`, `mois` or `plus_mois`.
    pub delai: Option<String>,
}

/// The one-click availability (`POST /api/psychologues/{rpps}/disponibilite`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityInput {
    pub accepte_nouveaux_patients: bool,
    /// Indicative delay for a first appointment: `semaine` (sous une semaine), `mois` (sous un
    /// mois) or `plus_mois` (plus d'un mois); only with `accepte_nouveaux_patients: true`.
    pub delai: Option<String>,
}

fn err(champ: impl Into<String>, detail: impl Into<String>) -> FieldError {
    FieldError {
        champ: champ.into(),
        detail: detail.into(),
    }
}

/// 422 `fiche_invalide` naming every field at fault.
pub fn refused(errors: Vec<FieldError>) -> AppError {
    let first = errors.first().map(|e| e.detail.clone()).unwrap_or_default();
    AppError::invalid("fiche_invalide", first).fields(errors)
}

/// Reads a delay code (empty: none); the error names `champ`.
pub fn parse_delay(raw: Option<&str>, champ: &str) -> Result<Option<Delay>, FieldError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(code) => Delay::parse(code).map(Some).ok_or_else(|| {
            err(
                champ,
                format!(
                    "Délai inconnu « {code} » : semaine (sous une semaine), mois (sous un mois) ou plus_mois (plus d’un mois)."
                ),
            )
        }),
    }
}

fn contact(
    input: Option<&ContactInput>,
    champ: &str,
    label: &str,
    check: impl Fn(&str) -> bool,
    errors: &mut Vec<FieldError>,
) -> Contact {
    let Some(c) = input else {
        return Contact::default();
    };
    let v = c.valeur.trim();
    if v.is_empty() {
        return Contact::default();
    }
    if v.len() > 200 || !check(v) {
        errors.push(err(
            champ,
            format!("Valeur invalide pour {label} : « {v} »."),
        ));
    }
    Contact {
        value: Some(v.to_owned()),
        public: c.public,
    }
}

fn address(a: &AddressInput, i: usize, errors: &mut Vec<FieldError>) -> Option<PracticeAddress> {
    let (n, f) = (i + 1, |name: &str| format!("adresses[{i}].{name}"));
    let geo = communes();
    let cp = a.code_postal.trim();
    let insee = a.insee.trim();
    let line = a.ligne.trim();
    let mut ok = true;
    if line.is_empty() {
        errors.push(err(
            f("ligne"),
            format!("Adresse {n} : indiquez le numéro et la voie, ou videz toute l’adresse."),
        ));
        ok = false;
    } else if line.chars().count() > 200 {
        errors.push(err(
            f("ligne"),
            format!("Adresse {n} : le numéro et la voie tiennent en 200 caractères au plus."),
        ));
        ok = false;
    }
    let commune = if !insee.is_empty() {
        geo.by_insee(insee).or_else(|| {
            errors.push(err(
                f("insee"),
                format!("Adresse {n} : aucune commune française n’a le code INSEE « {insee} »."),
            ));
            None
        })
    } else {
        match crate::services::enrolment::geocode(cp, &a.commune) {
            Ok(code) => geo.by_insee(&code),
            Err(m) => {
                // Unknown, or the code of one other commune: the postal code is at fault.
                let champ = if geo.by_postal_code(cp).len() <= 1 {
                    "code_postal"
                } else {
                    "commune"
                };
                errors.push(err(f(champ), format!("Adresse {n} : {m}")));
                None
            }
        }
    }?;
    let parent = commune.parent.as_deref().and_then(|p| geo.by_insee(p));
    // An arrondissement's own codes when it has some (69003 is not Lyon 2e), else its city's.
    let codes = match (commune.postal_codes.is_empty(), parent) {
        (true, Some(p)) => &p.postal_codes,
        _ => &commune.postal_codes,
    };
    if !codes.iter().any(|p| p == cp) {
        errors.push(err(
            f("code_postal"),
            format!(
                "Adresse {n} : le code postal « {cp} » n’est pas celui de {} ({}).",
                commune.name,
                commune.postal_codes.join(", ")
            ),
        ));
        ok = false;
    }
    if !a.commune.trim().is_empty()
        && !insee.is_empty()
        && msp_geo::normalize(&a.commune) != msp_geo::normalize(&commune.name)
        && parent.is_none_or(|p| msp_geo::normalize(&a.commune) != msp_geo::normalize(&p.name))
    {
        errors.push(err(
            f("commune"),
            format!(
                "Adresse {n} : la commune « {} » n’est pas celle du code INSEE {insee} ({}).",
                a.commune.trim(),
                commune.name
            ),
        ));
        ok = false;
    }
    ok.then(|| PracticeAddress {
        line: line.to_owned(),
        postal_code: cp.to_owned(),
        commune_insee: commune.insee.clone(),
        latitude: commune.latitude,
        longitude: commune.longitude,
    })
}

/// Checks a card as written and geocodes its addresses from the communes reference; every
/// field at fault at once. `previous`: the availability kept when the input does not say it.
pub fn card_from_input(
    rpps: Rpps,
    input: &CardInput,
    today: Date,
    previous: Option<&DirectoryCard>,
) -> AppResult<DirectoryCard> {
    let mut errors = Vec::new();
    if input.adresses.is_empty() || input.adresses.len() > 2 {
        errors.push(err(
            "adresses",
            format!(
                "Indiquez une ou deux adresses d’exercice (reçu : {}).",
                input.adresses.len()
            ),
        ));
    }
    let addresses: Vec<PracticeAddress> = input
        .adresses
        .iter()
        .take(2)
        .enumerate()
        .filter_map(|(i, a)| address(a, i, &mut errors))
        .collect();
    let public = Public::parse(&input.public);
    if public.is_none() {
        errors.push(err(
            "public",
            format!(
                "Public inconnu « {} » : adultes, adultes_adolescents, adultes_adolescents_enfants ou enfants.",
                input.public
            ),
        ));
    }
    let mut languages = Vec::new();
    for (i, l) in input.langues.iter().enumerate() {
        match crate::directory::languages::parse(l) {
            Some(code) if !languages.iter().any(|c| c == code) => languages.push(code.to_owned()),
            Some(_) => {}
            None => errors.push(err(
                format!("langues[{i}]"),
                format!(
                    "Langue inconnue « {l} ». Codes acceptés : {}.",
                    crate::directory::languages::codes_list()
                ),
            )),
        }
    }
    let structure = input
        .structure
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    if structure.as_ref().is_some_and(|s| s.len() > 200) {
        errors.push(err(
            "structure",
            "Le nom de la structure est trop long (200 caractères au plus).",
        ));
    }
    let phone = contact(
        input.telephone.as_ref(),
        "telephone",
        "le téléphone",
        |v| {
            v.chars()
                .all(|c| c.is_ascii_digit() || " +.()-".contains(c))
                && v.chars().filter(char::is_ascii_digit).count() >= 8
        },
        &mut errors,
    );
    let email = contact(
        input.email.as_ref(),
        "email",
        "l’adresse électronique",
        |v| {
            v.split_once('@')
                .is_some_and(|(a, b)| !a.is_empty() && b.contains('.') && !b.contains(' '))
        },
        &mut errors,
    );
    let website = contact(
        input.site_web.as_ref(),
        "site_web",
        "le site web",
        |v| v.starts_with("https://") || v.starts_with("http://"),
        &mut errors,
    );
    let delay = parse_delay(input.delai.as_deref(), "delai").unwrap_or_else(|e| {
        errors.push(e);
        None
    });
    if delay.is_some() && input.accepte_nouveaux_patients != Some(true) {
        errors.push(err(
            "delai",
            "Le délai d’un premier rendez-vous ne se donne qu’avec « J’accepte de nouveaux patients : oui ».",
        ));
    }
    let (Some(public), true) = (public, errors.is_empty()) else {
        return Err(refused(errors));
    };
    let (accepting, confirmed, delay) = match input.accepte_nouveaux_patients {
        Some(a) => (Some(a), Some(today), delay.filter(|_| a)),
        None => previous.map_or((None, None, None), |p| {
            (
                p.accepting_new_patients,
                p.availability_confirmed_on,
                p.first_appointment_delay,
            )
        }),
    };
    Ok(DirectoryCard {
        rpps,
        addresses,
        phone,
        email,
        website,
        structure_name: structure,
        languages,
        public,
        teleconsultation: input.teleconsultation,
        accepting_new_patients: accepting,
        availability_confirmed_on: confirmed,
        first_appointment_delay: delay,
    })
}

/// Who changes a card: its owner, a CPAM agent of its territory (audited), or the operators'
/// bearer token.
#[derive(Debug, Clone)]
pub enum Editor {
    Owner { actor: String },
    Agent { actor: String },
    Token,
}

impl Editor {
    fn audit_actor(&self) -> &str {
        match self {
            Editor::Owner { actor } | Editor::Agent { actor } => actor,
            Editor::Token => "jeton d’édition (API)",
        }
    }
}

/// The département a card is managed from: its main address's, or the accepted application's.
fn departement_of(db: &mut msp_store::Db, rpps: Rpps) -> Result<Option<String>, StoreError> {
    let insee = match directory::load_card(db, rpps)? {
        Some(c) => Some(c.card.addresses[0].commune_insee.clone()),
        None => msp_store::enrolment::accepted_application_of(db, rpps)?
            .map(|a| a.fields.address1.insee),
    };
    Ok(insee.and_then(|i| communes().by_insee(&i).map(|c| c.departement.clone())))
}

/// Whether `user` may change `rpps`'s card: the psychologist whose accepted application carries
/// it, or a CPAM agent whose territory covers it (a national agent covers every one). 403
/// otherwise, naming why.
pub async fn editor(state: &AppState, user: &CurrentUser, rpps: Rpps) -> AppResult<Editor> {
    match user.role() {
        Role::Psychologue => {
            if own_rpps(state, user).await? == Some(rpps) {
                Ok(Editor::Owner {
                    actor: user.actor(),
                })
            } else {
                Err(AppError::forbidden(
                    "fiche_d_autrui",
                    "Vous ne pouvez modifier que votre propre fiche (celle du RPPS de votre candidature acceptée).",
                ))
            }
        }
        Role::AgentCpam => {
            let territory = user.account.territory.clone().filter(|t| !t.is_empty());
            if let Some(t) = territory {
                let dep = state.db(move |db| departement_of(db, rpps)).await?;
                if dep.as_deref() != Some(t.as_str()) {
                    return Err(AppError::forbidden(
                        "hors_territoire",
                        "Ce psychologue exerce hors du département de votre CPAM.",
                    ));
                }
            }
            Ok(Editor::Agent {
                actor: user.actor(),
            })
        }
        _ => Err(AppError::forbidden(
            "acces_refuse",
            format!(
                "La fiche se modifie par le psychologue lui-même ou par un agent de CPAM ; votre compte est un compte « {} ».",
                user.role().label_fr()
            ),
        )),
    }
}

/// The card as stored (listed or not), if any.
pub async fn stored_card(state: &AppState, rpps: Rpps) -> AppResult<Option<ListedCard>> {
    state.db(move |db| directory::load_card(db, rpps)).await
}

/// Checks and saves a card; audited; the index is updated at once (and every other server
/// within a second, through the directory's change counter).
pub async fn save_card(
    state: &AppState,
    editor: &Editor,
    rpps: Rpps,
    input: &CardInput,
    via: Via,
) -> AppResult<ListedCard> {
    let previous = stored_card(state, rpps).await?;
    let card = card_from_input(
        rpps,
        input,
        state.today(),
        previous.as_ref().map(|p| &p.card),
    )?;
    let (s, actor, reason) = (
        state.clone(),
        editor.audit_actor().to_owned(),
        format!(
            "modification de la fiche de l’annuaire{}{}",
            match editor {
                Editor::Agent { .. } => " (CPAM)",
                _ => "",
            },
            via.mark()
        ),
    );
    let stored = tokio::task::spawn_blocking(move || {
        s.upsert_card_with(&card, |tx| {
            record_as(
                tx,
                &actor,
                "fiche",
                "psychologue",
                &rpps.to_string(),
                &reason,
            )
        })
    })
    .await??;
    Ok(stored)
}

/// Confirms the availability as of today (one click); audited; 404 without a card.
pub async fn confirm_availability(
    state: &AppState,
    editor: &Editor,
    rpps: Rpps,
    input: &AvailabilityInput,
    via: Via,
) -> AppResult<()> {
    let delay = parse_delay(input.delai.as_deref(), "delai").map_err(|e| refused(vec![e]))?;
    if delay.is_some() && !input.accepte_nouveaux_patients {
        return Err(refused(vec![err(
            "delai",
            "Le délai d’un premier rendez-vous ne se donne qu’avec « J’accepte de nouveaux patients : oui ».",
        )]));
    }
    let (accepting, today) = (input.accepte_nouveaux_patients, state.today());
    let actor = editor.audit_actor().to_owned();
    let reason = format!("confirmation de disponibilité{}", via.mark());
    let found = state
        .db(move |db| {
            db.transaction(|tx| {
                if !availability::confirm(tx, rpps, accepting, delay, today, Timestamp::now())? {
                    return Ok(false);
                }
                record_as(
                    tx,
                    &actor,
                    "disponibilite",
                    "psychologue",
                    &rpps.to_string(),
                    &reason,
                )?;
                Ok(true)
            })
        })
        .await?;
    if !found {
        return Err(AppError::not_found(
            "fiche_absente",
            "Ce psychologue n’a pas encore de fiche : enregistrez d’abord « Ma fiche ».",
        ));
    }
    let s = state.clone();
    tokio::task::spawn_blocking(move || s.refresh_card(rpps)).await??;
    Ok(())
}

/// Why a card is, or is not, in the public directory today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visibility {
    Public,
    NoCard,
    NoConvention,
    /// The convention starts on this day.
    NotYetStarted(Date),
    /// Suspended until this day (included), or until further notice.
    Suspended(Option<Date>),
    /// Excluded from the programme from this day.
    Excluded(Date),
    /// The convention ended (withdrawal or end) on this day.
    Ended(Date),
}

impl Visibility {
    /// The sentence the space shows.
    pub fn sentence_fr(&self) -> String {
        use crate::views::date_long_fr as d;
        match self {
            Visibility::Public => {
                "Votre fiche est publique aujourd’hui, puisque votre convention court : elle apparaît dans la recherche, sur sa page et dans l’annuaire FHIR.".into()
            }
            Visibility::NoCard => "Vous n’avez pas encore de fiche : votre convention court, votre fiche sera publique dès que vous l’aurez enregistrée ci-dessous.".into(),
            Visibility::NoConvention => "Votre fiche n’est pas publique : vous n’avez pas de convention signée. Elle le sera dès la signature par votre CPAM.".into(),
            Visibility::NotYetStarted(s) => format!(
                "Votre fiche n’est pas encore publique : votre convention commence le {}. Elle apparaîtra ce jour-là.",
                d(*s)
            ),
            Visibility::Suspended(Some(until)) => format!(
                "Votre fiche n’est pas publique : votre convention est suspendue jusqu’au {} inclus. Elle réapparaîtra le lendemain.",
                d(*until)
            ),
            Visibility::Suspended(None) => "Votre fiche n’est pas publique : votre convention est suspendue jusqu’à nouvel ordre de votre CPAM.".into(),
            Visibility::Excluded(from) => format!(
                "Votre fiche n’est pas publique : vous êtes exclu·e du dispositif depuis le {}.",
                d(*from)
            ),
            Visibility::Ended(to) => format!(
                "Votre fiche n’est plus publique : votre convention a pris fin le {} (retrait ou fin de convention).",
                d(*to)
            ),
        }
    }
}

/// Why the card of `rpps` is or is not public on `today`.
pub fn visibility(
    card: Option<&ListedCard>,
    rights: &msp_domain::PsychologistRights,
    today: Date,
) -> Visibility {
    if let Some(from) = rights.excluded_from.filter(|f| *f <= today) {
        return Visibility::Excluded(from);
    }
    if let Some(s) = rights.suspensions.iter().find(|s| s.contains(today)) {
        return Visibility::Suspended(s.to);
    }
    let running = rights.conventions.iter().any(|c| c.contains(today));
    if running {
        return if card.is_some() {
            Visibility::Public
        } else {
            Visibility::NoCard
        };
    }
    if let Some(next) = rights
        .conventions
        .iter()
        .filter(|c| c.from > today)
        .map(|c| c.from)
        .min()
    {
        return Visibility::NotYetStarted(next);
    }
    if let Some(end) = rights.conventions.iter().filter_map(|c| c.to).max() {
        return Visibility::Ended(end);
    }
    Visibility::NoConvention
}
