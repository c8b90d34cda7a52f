//! The public directory (annuaire, SPEC §9): psychologists' cards and who is listed on a date.
//!
//! A card is what the psychologist publishes; whether it is *listed* is decided on the day by
//! the core records (`conventions`, `suspensions`, `psychologist_exclusions`) through
//! [`PsychologistRights::is_conventioned`], so an ended, suspended or excluded psychologist never
//! appears, whatever their card says. Names come from the national registry.

use crate::{Db, Row, StoreError, StoreResult, Value};
use jiff::Timestamp;
use msp_domain::{Date, Period, PsychologistRights, Rpps};
use std::collections::HashMap;

/// An availability not confirmed for this many days is shown as unknown.
pub const AVAILABILITY_VALID_DAYS: i32 = 30;

/// Whom the psychologist sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Public {
    Adults,
    AdultsAndTeens,
    AdultsTeensAndChildren,
    Children,
}

impl Public {
    pub const ALL: [Public; 4] = [
        Public::Adults,
        Public::AdultsAndTeens,
        Public::AdultsTeensAndChildren,
        Public::Children,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Public::Adults => "adultes",
            Public::AdultsAndTeens => "adultes_adolescents",
            Public::AdultsTeensAndChildren => "adultes_adolescents_enfants",
            Public::Children => "enfants",
        }
    }

    pub fn parse(code: &str) -> Option<Public> {
        Public::ALL.into_iter().find(|p| p.code() == code.trim())
    }

    /// As the card shows it.
    pub fn label_fr(self) -> &'static str {
        match self {
            Public::Adults => "Adultes",
            Public::AdultsAndTeens => "Adultes et adolescents",
            Public::AdultsTeensAndChildren => "Adultes, adolescents et enfants",
            Public::Children => "Enfants",
        }
    }

    /// Sees children (3 to 11 years old).
    pub fn includes_children(self) -> bool {
        matches!(self, Public::AdultsTeensAndChildren | Public::Children)
    }
}

/// The indicative delay for a first appointment, said with the availability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Delay {
    Week,
    Month,
    MoreThanMonth,
}

impl Delay {
    pub const ALL: [Delay; 3] = [Delay::Week, Delay::Month, Delay::MoreThanMonth];

    pub fn code(self) -> &'static str {
        match self {
            Delay::Week => "semaine",
            Delay::Month => "mois",
            Delay::MoreThanMonth => "plus_mois",
        }
    }

    pub fn parse(code: &str) -> Option<Delay> {
        Delay::ALL.into_iter().find(|d| d.code() == code.trim())
    }

    /// As a choice of the form: « sous une semaine », « plus d’un mois ».
    pub fn label_fr(self) -> &'static str {
        match self {
            Delay::Week => "sous une semaine",
            Delay::Month => "sous un mois",
            Delay::MoreThanMonth => "plus d’un mois",
        }
    }

    /// After « premier rendez-vous », as the card says it: « dans plus d’un mois ».
    pub fn in_sentence_fr(self) -> &'static str {
        match self {
            Delay::MoreThanMonth => "dans plus d’un mois",
            d => d.label_fr(),
        }
    }
}

/// A practice address, geocoded to its commune.
#[derive(Debug, Clone, PartialEq)]
pub struct PracticeAddress {
    /// Street line, e.g. « 12 rue de la République ».
    pub line: String,
    pub postal_code: String,
    /// INSEE code of the commune, or of the arrondissement in Paris, Lyon, Marseille.
    pub commune_insee: String,
    pub latitude: f64,
    pub longitude: f64,
}

/// A contact detail and whether the psychologist chose to show it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Contact {
    pub value: Option<String>,
    pub public: bool,
}

impl Contact {
    pub fn shown(value: &str) -> Contact {
        Contact {
            value: Some(value.to_owned()),
            public: true,
        }
    }

    /// The value when the psychologist chose to show it.
    pub fn public_value(&self) -> Option<&str> {
        self.value.as_deref().filter(|_| self.public)
    }
}

/// What a psychologist publishes in the directory.
#[derive(Debug, Clone, PartialEq)]
pub struct DirectoryCard {
    pub rpps: Rpps,
    /// One or two addresses; the first is the main practice.
    pub addresses: Vec<PracticeAddress>,
    pub phone: Contact,
    pub email: Contact,
    pub website: Contact,
    /// Centre de santé or maison de santé pluriprofessionnelle, if any.
    pub structure_name: Option<String>,
    /// ISO 639 codes of languages spoken besides French.
    pub languages: Vec<String>,
    pub public: Public,
    pub teleconsultation: bool,
    /// Takes new patients in the programme (`None`: never said).
    pub accepting_new_patients: Option<bool>,
    pub availability_confirmed_on: Option<Date>,
    /// Indicative delay for a first appointment, when accepting new patients.
    pub first_appointment_delay: Option<Delay>,
}

impl DirectoryCard {
    /// Availability as the public sees it on `today`: unknown once older than 30 days.
    pub fn availability_on(&self, today: Date) -> Option<bool> {
        let confirmed = self.availability_confirmed_on?;
        let limit = today
            .checked_sub(jiff::Span::new().days(AVAILABILITY_VALID_DAYS))
            .unwrap_or(Date::MIN);
        if confirmed < limit || confirmed > today {
            None
        } else {
            self.accepting_new_patients
        }
    }

    /// Checks what the database cannot: one or two addresses, coordinates in range.
    pub fn validate(&self) -> StoreResult<()> {
        if self.addresses.is_empty() || self.addresses.len() > 2 {
            return Err(StoreError::Invalid(
                "une fiche compte une ou deux adresses d’exercice".into(),
            ));
        }
        for a in &self.addresses {
            if !(-90.0..=90.0).contains(&a.latitude) || !(-180.0..=180.0).contains(&a.longitude) {
                return Err(StoreError::Invalid(format!(
                    "coordonnées hors limites pour l’adresse « {} »",
                    a.line
                )));
            }
        }
        Ok(())
    }
}

/// A card with the registry's names and the rights that decide whether it is listed.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedCard {
    pub card: DirectoryCard,
    pub last_name: String,
    pub first_name: String,
    pub rights: PsychologistRights,
    /// When the card was last written (`None` for cards built in memory).
    pub updated_at: Option<Timestamp>,
}

impl ListedCard {
    pub fn is_listed_on(&self, today: Date) -> bool {
        self.rights.is_conventioned(today)
    }
}

const COLUMNS: &str = "c.rpps, c.address1_line, c.address1_postal_code, c.address1_insee,
    c.address1_latitude, c.address1_longitude, c.address2_line, c.address2_postal_code,
    c.address2_insee, c.address2_latitude, c.address2_longitude, c.phone, c.phone_public,
    c.email, c.email_public, c.website, c.website_public, c.structure_name, c.languages,
    c.public, c.teleconsultation, c.accepting_new_patients, c.availability_confirmed_on,
    r.last_name, r.first_name, c.first_appointment_delay, c.updated_at";

fn bad(detail: String) -> StoreError {
    StoreError::Invalid(detail)
}

type CardRow = (DirectoryCard, String, String, Option<Timestamp>);

fn card_from_row(row: &Row) -> StoreResult<CardRow> {
    let rpps_text = row.text(0)?;
    let rpps = Rpps::parse(rpps_text).map_err(|e| bad(format!("fiche {rpps_text} : {e}")))?;
    let mut addresses = vec![PracticeAddress {
        line: row.string(1)?,
        postal_code: row.string(2)?,
        commune_insee: row.string(3)?,
        latitude: row.float(4)?,
        longitude: row.float(5)?,
    }];
    if !row.is_null(8) {
        addresses.push(PracticeAddress {
            line: row.opt_string(6)?.unwrap_or_default(),
            postal_code: row.opt_string(7)?.unwrap_or_default(),
            commune_insee: row.string(8)?,
            latitude: row.float(9)?,
            longitude: row.float(10)?,
        });
    }
    let public_code = row.text(19)?;
    let public = Public::parse(public_code)
        .ok_or_else(|| bad(format!("public inconnu « {public_code} »")))?;
    let card = DirectoryCard {
        rpps,
        addresses,
        phone: Contact {
            value: row.opt_string(11)?,
            public: row.bool(12)?,
        },
        email: Contact {
            value: row.opt_string(13)?,
            public: row.bool(14)?,
        },
        website: Contact {
            value: row.opt_string(15)?,
            public: row.bool(16)?,
        },
        structure_name: row.opt_string(17)?,
        languages: row
            .text(18)?
            .split(',')
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
        public,
        teleconsultation: row.bool(20)?,
        accepting_new_patients: row.opt_int(21)?.map(|v| v != 0),
        availability_confirmed_on: row.opt_date(22)?,
        first_appointment_delay: row.opt_text(25)?.and_then(Delay::parse),
    };
    Ok((
        card,
        row.string(23)?,
        row.string(24)?,
        row.opt_timestamp(26)?,
    ))
}

/// Creates or replaces a psychologist's card.
pub fn upsert_card(db: &mut Db, card: &DirectoryCard, now: Timestamp) -> StoreResult<()> {
    card.validate()?;
    let a1 = &card.addresses[0];
    let a2 = card.addresses.get(1);
    let values: Vec<Value> = vec![
        card.rpps.to_string().into(),
        a1.line.as_str().into(),
        a1.postal_code.as_str().into(),
        a1.commune_insee.as_str().into(),
        a1.latitude.into(),
        a1.longitude.into(),
        a2.map(|a| a.line.clone()).into(),
        a2.map(|a| a.postal_code.clone()).into(),
        a2.map(|a| a.commune_insee.clone()).into(),
        a2.map(|a| a.latitude).into(),
        a2.map(|a| a.longitude).into(),
        card.phone.value.clone().into(),
        card.phone.public.into(),
        card.email.value.clone().into(),
        card.email.public.into(),
        card.website.value.clone().into(),
        card.website.public.into(),
        card.structure_name.clone().into(),
        card.languages.join(",").into(),
        card.public.code().into(),
        card.teleconsultation.into(),
        card.accepting_new_patients.into(),
        card.availability_confirmed_on.into(),
        now.into(),
        card.first_appointment_delay
            .map(|d| d.code().to_owned())
            .into(),
    ];
    db.insert_many(
        "INSERT INTO directory_cards (rpps, address1_line, address1_postal_code, address1_insee,
            address1_latitude, address1_longitude, address2_line, address2_postal_code,
            address2_insee, address2_latitude, address2_longitude, phone, phone_public, email,
            email_public, website, website_public, structure_name, languages, public,
            teleconsultation, accepting_new_patients, availability_confirmed_on, updated_at,
            first_appointment_delay)",
        25,
        &values,
        "ON CONFLICT (rpps) DO UPDATE SET address1_line = excluded.address1_line,
            address1_postal_code = excluded.address1_postal_code,
            address1_insee = excluded.address1_insee,
            address1_latitude = excluded.address1_latitude,
            address1_longitude = excluded.address1_longitude,
            address2_line = excluded.address2_line,
            address2_postal_code = excluded.address2_postal_code,
            address2_insee = excluded.address2_insee,
            address2_latitude = excluded.address2_latitude,
            address2_longitude = excluded.address2_longitude,
            phone = excluded.phone, phone_public = excluded.phone_public,
            email = excluded.email, email_public = excluded.email_public,
            website = excluded.website, website_public = excluded.website_public,
            structure_name = excluded.structure_name, languages = excluded.languages,
            public = excluded.public, teleconsultation = excluded.teleconsultation,
            accepting_new_patients = excluded.accepting_new_patients,
            availability_confirmed_on = excluded.availability_confirmed_on,
            updated_at = excluded.updated_at,
            first_appointment_delay = excluded.first_appointment_delay",
    )?;
    Ok(())
}

/// Whether the registry knows this RPPS as a psychologist (profession code 93).
pub fn is_registered_psychologist(db: &mut Db, rpps: Rpps) -> StoreResult<bool> {
    Ok(db
        .query_opt(
            "SELECT 1 FROM registry WHERE rpps = $1 AND profession_code = '93'",
            &[rpps.to_string().into()],
        )?
        .is_some())
}

/// Whether the psychologist has written a card (listed or not).
pub fn has_card(db: &mut Db, rpps: Rpps) -> StoreResult<bool> {
    Ok(!db
        .query(
            "SELECT 1 FROM directory_cards WHERE rpps = $1",
            &[rpps.to_string().into()],
        )?
        .is_empty())
}

/// Number of cards, listed or not.
pub fn count_cards(db: &mut Db) -> StoreResult<i64> {
    db.query_one("SELECT COUNT(*) FROM directory_cards", &[])?
        .int(0)
}

/// Rights of every psychologist that has a convention, suspension or exclusion.
fn all_rights(db: &mut Db) -> StoreResult<HashMap<String, PsychologistRights>> {
    let mut rights: HashMap<String, PsychologistRights> = HashMap::new();
    for row in db.query("SELECT rpps, start_date, end_date FROM conventions", &[])? {
        rights
            .entry(row.string(0)?)
            .or_default()
            .conventions
            .push(Period::new(row.date(1)?, row.opt_date(2)?));
    }
    for row in db.query("SELECT rpps, from_date, to_date FROM suspensions", &[])? {
        rights
            .entry(row.string(0)?)
            .or_default()
            .suspensions
            .push(Period::new(row.date(1)?, row.opt_date(2)?));
    }
    for row in db.query("SELECT rpps, from_date FROM psychologist_exclusions", &[])? {
        rights.entry(row.string(0)?).or_default().excluded_from = Some(row.date(1)?);
    }
    Ok(rights)
}

/// Rights of one psychologist.
pub fn rights_of(db: &mut Db, rpps: Rpps) -> StoreResult<PsychologistRights> {
    let key: Value = rpps.to_string().into();
    let mut rights = PsychologistRights::default();
    for row in db.query(
        "SELECT start_date, end_date FROM conventions WHERE rpps = $1",
        std::slice::from_ref(&key),
    )? {
        rights
            .conventions
            .push(Period::new(row.date(0)?, row.opt_date(1)?));
    }
    for row in db.query(
        "SELECT from_date, to_date FROM suspensions WHERE rpps = $1",
        std::slice::from_ref(&key),
    )? {
        rights
            .suspensions
            .push(Period::new(row.date(0)?, row.opt_date(1)?));
    }
    if let Some(row) = db.query_opt(
        "SELECT from_date FROM psychologist_exclusions WHERE rpps = $1",
        std::slice::from_ref(&key),
    )? {
        rights.excluded_from = Some(row.date(0)?);
    }
    Ok(rights)
}

/// Every card whose psychologist is in the registry, with names and rights, whether listed today
/// or not (the caller filters on the day, so a long-running server stays right at midnight).
/// Ordered by RPPS.
pub fn load_cards(db: &mut Db) -> StoreResult<Vec<ListedCard>> {
    let mut rights = all_rights(db)?;
    let rows = db.query(
        &format!(
            "SELECT {COLUMNS} FROM directory_cards c JOIN registry r ON r.rpps = c.rpps ORDER BY c.rpps"
        ),
        &[],
    )?;
    rows.iter()
        .map(|row| {
            let (card, last_name, first_name, updated_at) = card_from_row(row)?;
            let rights = rights.remove(&card.rpps.to_string()).unwrap_or_default();
            Ok(ListedCard {
                card,
                last_name,
                first_name,
                rights,
                updated_at,
            })
        })
        .collect()
}

/// The cards listed on `today`: conventioned, not suspended, not excluded. Ordered by RPPS.
pub fn listable_cards(db: &mut Db, today: Date) -> StoreResult<Vec<ListedCard>> {
    let mut cards = load_cards(db)?;
    cards.retain(|c| c.is_listed_on(today));
    Ok(cards)
}

/// One card with names and rights (listed or not), if the psychologist has a card and is in
/// the registry.
pub fn load_card(db: &mut Db, rpps: Rpps) -> StoreResult<Option<ListedCard>> {
    let Some(row) = db.query_opt(
        &format!(
            "SELECT {COLUMNS} FROM directory_cards c JOIN registry r ON r.rpps = c.rpps WHERE c.rpps = $1"
        ),
        &[rpps.to_string().into()],
    )?
    else {
        return Ok(None);
    };
    let (card, last_name, first_name, updated_at) = card_from_row(&row)?;
    let rights = rights_of(db, rpps)?;
    Ok(Some(ListedCard {
        card,
        last_name,
        first_name,
        rights,
        updated_at,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;
    use jiff::civil::date;

    #[test]
    fn delays_read_as_french_after_premier_rendez_vous() {
        let said: Vec<String> = Delay::ALL
            .into_iter()
            .map(|d| format!("premier rendez-vous {}", d.in_sentence_fr()))
            .collect();
        assert_eq!(
            said,
            [
                "premier rendez-vous sous une semaine",
                "premier rendez-vous sous un mois",
                "premier rendez-vous dans plus d’un mois"
            ]
        );
    }

    fn rpps(seed: u64) -> Rpps {
        let partial = format!("{:010}", 1_000_000_000 + seed);
        let key = msp_domain::ids::luhn_complete(&partial);
        Rpps::parse(&format!("{partial}{key}")).unwrap()
    }

    fn card(r: Rpps, two: bool) -> DirectoryCard {
        let mut addresses = vec![PracticeAddress {
            line: "1 place Bellecour".into(),
            postal_code: "69002".into(),
            commune_insee: "69382".into(),
            latitude: 45.7529,
            longitude: 4.82685,
        }];
        if two {
            addresses.push(PracticeAddress {
                line: "3 rue Victor Hugo".into(),
                postal_code: "69100".into(),
                commune_insee: "69266".into(),
                latitude: 45.7719,
                longitude: 4.8902,
            });
        }
        DirectoryCard {
            rpps: r,
            addresses,
            phone: Contact::shown("04 78 00 00 00"),
            email: Contact {
                value: Some("x@example.org".into()),
                public: false,
            },
            website: Contact::default(),
            structure_name: two.then(|| "Maison de santé des Pentes".to_owned()),
            languages: if two {
                vec!["en".into(), "es".into()]
            } else {
                vec![]
            },
            public: if two {
                Public::AdultsTeensAndChildren
            } else {
                Public::Adults
            },
            teleconsultation: two,
            accepting_new_patients: Some(true),
            availability_confirmed_on: Some(date(2026, 11, 1)),
            first_appointment_delay: two.then_some(Delay::Month),
        }
    }

    fn register(db: &mut Db, r: Rpps, name: &str) {
        db.execute(
            "INSERT INTO registry (rpps, last_name, first_name, profession_code, practice_mode, commune_insee)
             VALUES ($1, $2, 'Camille', '93', 'L', '69382')",
            &[r.to_string().into(), name.into()],
        )
        .unwrap();
    }

    fn convention(db: &mut Db, r: Rpps, from: Date, to: Option<Date>) {
        db.execute(
            "INSERT INTO conventions (rpps, start_date, end_date, cpam) VALUES ($1, $2, $3, '691')",
            &[r.to_string().into(), from.into(), to.into()],
        )
        .unwrap();
    }

    #[test]
    fn lists_only_conventioned_psychologists_on_every_backend() {
        let today = date(2026, 11, 23);
        for t in testing::all() {
            let mut db = t.connect();
            let now: Timestamp = "2026-11-23T10:00:00Z".parse().unwrap();
            let (active, ended, suspended, excluded, future, none) =
                (rpps(1), rpps(2), rpps(3), rpps(4), rpps(5), rpps(6));
            for (r, n) in [
                (active, "Active"),
                (ended, "Ended"),
                (suspended, "Suspended"),
                (excluded, "Excluded"),
                (future, "Future"),
                (none, "None"),
            ] {
                register(&mut db, r, n);
                upsert_card(&mut db, &card(r, r == active), now).unwrap();
            }
            convention(&mut db, active, date(2023, 1, 1), None);
            convention(&mut db, ended, date(2023, 1, 1), Some(date(2026, 11, 22)));
            convention(&mut db, suspended, date(2023, 1, 1), None);
            db.execute(
                "INSERT INTO suspensions (rpps, from_date, to_date, reason) VALUES ($1, $2, $3, 'contrôle')",
                &[suspended.to_string().into(), date(2026, 11, 1).into(), date(2026, 12, 31).into()],
            )
            .unwrap();
            convention(&mut db, excluded, date(2023, 1, 1), None);
            db.execute(
                "INSERT INTO psychologist_exclusions (rpps, from_date, reason) VALUES ($1, $2, 'fraude')",
                &[excluded.to_string().into(), date(2026, 6, 1).into()],
            )
            .unwrap();
            convention(&mut db, future, date(2026, 12, 1), None);

            assert_eq!(count_cards(&mut db).unwrap(), 6, "{}", t.label);
            let listed = listable_cards(&mut db, today).unwrap();
            assert_eq!(listed.len(), 1, "{}", t.label);
            assert_eq!(listed[0].card, card(active, true), "{}", t.label);
            assert_eq!(listed[0].last_name, "Active");
            // The ended one was listed the day before its end; the future one will be.
            let listed: Vec<Rpps> = listable_cards(&mut db, date(2026, 10, 1))
                .unwrap()
                .iter()
                .map(|c| c.card.rpps)
                .collect();
            assert_eq!(listed, vec![active, ended, suspended], "{}", t.label);
            assert_eq!(listable_cards(&mut db, date(2026, 12, 1)).unwrap().len(), 2);

            // Upsert replaces, including dropping the second address.
            upsert_card(&mut db, &card(active, false), now).unwrap();
            let one = load_card(&mut db, active).unwrap().unwrap();
            assert_eq!(one.card, card(active, false), "{}", t.label);
            assert!(one.is_listed_on(today));
            assert!(
                !load_card(&mut db, suspended)
                    .unwrap()
                    .unwrap()
                    .is_listed_on(today)
            );
            assert!(load_card(&mut db, rpps(99)).unwrap().is_none());
        }
    }

    #[test]
    fn refuses_cards_without_addresses() {
        let t = testing::sqlite();
        let mut db = t.connect();
        let mut c = card(rpps(1), true);
        c.addresses.clear();
        assert!(upsert_card(&mut db, &c, Timestamp::UNIX_EPOCH).is_err());
    }

    #[test]
    fn availability_expires_after_30_days() {
        let mut c = card(rpps(1), false);
        c.availability_confirmed_on = Some(date(2026, 10, 24));
        assert_eq!(c.availability_on(date(2026, 11, 23)), Some(true));
        assert_eq!(c.availability_on(date(2026, 11, 24)), None);
        c.accepting_new_patients = Some(false);
        assert_eq!(c.availability_on(date(2026, 11, 1)), Some(false));
        c.availability_confirmed_on = None;
        assert_eq!(c.availability_on(date(2026, 11, 1)), None);
    }

    #[test]
    fn public_codes_round_trip() {
        for p in Public::ALL {
            assert_eq!(Public::parse(p.code()), Some(p));
        }
        assert!(Public::AdultsTeensAndChildren.includes_children());
        assert!(!Public::AdultsAndTeens.includes_children());
    }
}
