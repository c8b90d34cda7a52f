//! Reader of the public RPPS extraction of the Annuaire Santé
//! (`PS_LibreAcces_Personne_activite_*.txt`, SPEC §8): `|`-separated, a header row, a trailing
//! `|` on every line, one row per activity.
//!
//! Only psychologists (`Code profession` 93) identified by RPPS (`Type d'identifiant PP` 8) are
//! kept: the registry, conventions and cards are keyed by RPPS. The activities of one person are
//! merged into one registry entry: practice mode L (libéral) and S (salarié) together make M
//! (mixte); B (bénévole) counts only when there is nothing else. The commune is the
//! `Code commune (coord. structure)` of the first liberal activity that has one, else of the
//! first activity that has one. Columns are found by name; columns the reader does not use may
//! be added or removed by the publisher without harm, but a missing needed column makes the
//! whole file unreadable.

use crate::error::{FileError, RowError};
use msp_domain::{PracticeMode, RegistryEntry, Rpps};
use std::collections::HashMap;
use std::io::BufRead;

pub const FILE: &str = "PS_LibreAcces_Personne_activite";
const ID_TYPE: &str = "Type d'identifiant PP";
const ID: &str = "Identifiant PP";
const LAST_NAME: &str = "Nom d'exercice";
const FIRST_NAME: &str = "Prénom d'exercice";
const PROFESSION: &str = "Code profession";
const MODE: &str = "Code mode exercice";
const COMMUNE: &str = "Code commune (coord. structure)";
/// Columns the reader needs.
pub const NEEDED: [&str; 7] = [
    ID_TYPE, ID, LAST_NAME, FIRST_NAME, PROFESSION, MODE, COMMUNE,
];

/// What a whole extraction gave.
#[derive(Debug, Default)]
pub struct RppsExtract {
    /// One entry per psychologist, in order of first appearance.
    pub entries: Vec<RegistryEntry>,
    pub errors: Vec<RowError>,
    /// Data rows read (header excluded).
    pub rows: u64,
    /// Rows of other professions, ignored.
    pub other_professions: u64,
    /// Psychologists' rows identified by ADELI only, ignored.
    pub adeli_only: u64,
}

#[derive(Default)]
struct Person {
    last_name: String,
    first_name: String,
    liberal: bool,
    salaried: bool,
    volunteer: bool,
    liberal_commune: Option<String>,
    any_commune: Option<String>,
}

/// Reads a whole extraction; `progress` is called with the bytes read so far, now and then.
pub fn read_rpps_extract<R: BufRead>(
    mut input: R,
    mut progress: impl FnMut(u64),
) -> Result<RppsExtract, FileError> {
    let io = |line: u64, e: std::io::Error| FileError::Io {
        file: FILE,
        line,
        message: e.to_string(),
    };
    let mut buf = Vec::with_capacity(1024);
    if input.read_until(b'\n', &mut buf).map_err(|e| io(1, e))? == 0 {
        return Err(FileError::Empty {
            file: FILE,
            expected: NEEDED.to_vec(),
        });
    }
    let mut bytes_read = buf.len() as u64;
    let header = std::str::from_utf8(&buf).map_err(|_| FileError::BadHeader {
        file: FILE,
        message: "l’en-tête n’est pas en UTF-8".into(),
    })?;
    let header = header
        .trim_start_matches('\u{feff}')
        .trim_end_matches(['\r', '\n']);
    let names: Vec<&str> = header.split('|').map(str::trim).collect();
    let find = |name: &str| names.iter().position(|n| n.eq_ignore_ascii_case(name));
    let missing: Vec<&'static str> = NEEDED
        .iter()
        .copied()
        .filter(|n| find(n).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(FileError::Header {
            file: FILE,
            unknown: Vec::new(),
            missing,
            duplicated: Vec::new(),
            expected: NEEDED.to_vec(),
        });
    }
    let col: HashMap<&str, usize> = NEEDED.iter().map(|n| (*n, find(n).unwrap_or(0))).collect();
    let width = col.values().copied().max().unwrap_or(0) + 1;

    let mut out = RppsExtract::default();
    let mut people: HashMap<Rpps, Person> = HashMap::new();
    let mut order: Vec<Rpps> = Vec::new();
    let mut line_no = 1u64;
    loop {
        buf.clear();
        let n = input
            .read_until(b'\n', &mut buf)
            .map_err(|e| io(line_no + 1, e))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        bytes_read += n as u64;
        if line_no.is_multiple_of(16_384) {
            progress(bytes_read);
        }
        let Ok(text) = std::str::from_utf8(&buf) else {
            out.errors
                .push(RowError::new(line_no, "", "ligne illisible : pas en UTF-8"));
            continue;
        };
        let text = text.trim_end_matches(['\r', '\n']);
        if text.trim().is_empty() {
            continue;
        }
        out.rows += 1;
        let cells: Vec<&str> = text.split('|').map(str::trim).collect();
        if cells.len() < width {
            out.errors.push(RowError::new(
                line_no,
                "",
                format!(
                    "ligne incomplète : {} colonnes, {} attendues au moins",
                    cells.len(),
                    width
                ),
            ));
            continue;
        }
        let cell = |name: &str| cells[col[name]];
        if cell(PROFESSION) != RegistryEntry::PSYCHOLOGUE {
            out.other_professions += 1;
            continue;
        }
        match cell(ID_TYPE) {
            "8" => {}
            "0" => {
                out.adeli_only += 1;
                continue;
            }
            other => {
                out.errors.push(RowError::new(
                    line_no,
                    ID_TYPE,
                    format!(
                        "type d’identifiant « {} » inconnu : 8 (RPPS) ou 0 (ADELI) attendu",
                        crate::reader::shown(other)
                    ),
                ));
                continue;
            }
        }
        let rpps = match Rpps::parse(cell(ID)) {
            Ok(r) => r,
            Err(e) => {
                out.errors.push(RowError::new(line_no, ID, e.to_string()));
                continue;
            }
        };
        let mode = cell(MODE);
        if !matches!(mode, "L" | "S" | "B" | "") {
            out.errors.push(RowError::new(
                line_no,
                MODE,
                format!(
                    "mode d’exercice « {} » inconnu : L, S ou B attendu",
                    crate::reader::shown(mode)
                ),
            ));
            continue;
        }
        if cell(LAST_NAME).is_empty() {
            out.errors
                .push(RowError::new(line_no, LAST_NAME, "nom d’exercice vide"));
            continue;
        }
        let person = people.entry(rpps).or_insert_with(|| {
            order.push(rpps);
            Person {
                last_name: cell(LAST_NAME).to_owned(),
                first_name: cell(FIRST_NAME).to_owned(),
                ..Person::default()
            }
        });
        let commune = Some(cell(COMMUNE))
            .filter(|c| !c.is_empty())
            .map(str::to_owned);
        match mode {
            "L" => {
                person.liberal = true;
                if person.liberal_commune.is_none() {
                    person.liberal_commune.clone_from(&commune);
                }
            }
            "S" => person.salaried = true,
            "B" => person.volunteer = true,
            _ => {}
        }
        if person.any_commune.is_none() {
            person.any_commune = commune;
        }
    }
    progress(bytes_read);
    for rpps in order {
        let p = people.remove(&rpps).unwrap_or_default();
        let practice_mode = match (p.liberal, p.salaried, p.volunteer) {
            (true, true, _) => PracticeMode::Mixed,
            (true, false, _) => PracticeMode::Liberal,
            (false, true, _) => PracticeMode::Salaried,
            (false, false, true) => PracticeMode::Volunteer,
            // No activity with a mode: salaried is the neutral choice (not counted as liberal).
            (false, false, false) => PracticeMode::Salaried,
        };
        out.entries.push(RegistryEntry {
            rpps,
            last_name: p.last_name,
            first_name: p.first_name,
            profession_code: RegistryEntry::PSYCHOLOGUE.to_owned(),
            practice_mode,
            commune_insee: p.liberal_commune.or(p.any_commune),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The real header, in order (SPEC §8).
    pub const HEADER: &str = "Type d'identifiant PP|Identifiant PP|Identification nationale PP|Code civilité d'exercice|Libellé civilité d'exercice|Code civilité|Libellé civilité|Nom d'exercice|Prénom d'exercice|Code profession|Libellé profession|Code catégorie professionnelle|Libellé catégorie professionnelle|Code type savoir-faire|Libellé type savoir-faire|Code savoir-faire|Libellé savoir-faire|Code mode exercice|Libellé mode exercice|Numéro SIRET site|Numéro SIREN site|Numéro FINESS site|Numéro FINESS établissement juridique|Identifiant technique de la structure|Raison sociale site|Enseigne commerciale site|Complément destinataire (coord. structure)|Complément point géographique (coord. structure)|Numéro Voie (coord. structure)|Indice répétition voie (coord. structure)|Code type de voie (coord. structure)|Libellé type de voie (coord. structure)|Libellé Voie (coord. structure)|Mention distribution (coord. structure)|Bureau cedex (coord. structure)|Code postal (coord. structure)|Code commune (coord. structure)|Libellé commune (coord. structure)|Code pays (coord. structure)|Libellé pays (coord. structure)|Téléphone (coord. structure)|Téléphone 2 (coord. structure)|Télécopie (coord. structure)|Adresse e-mail (coord. structure)|Code Département (structure)|Libellé Département (structure)|Ancien identifiant de la structure|Autorité d'enregistrement|Code secteur d'activité|Libellé secteur d'activité|Code section tableau pharmaciens|Libellé section tableau pharmaciens|";

    fn rpps(seed: u32) -> String {
        let partial = format!("{:010}", 1_000_000_000 + seed);
        format!("{partial}{}", msp_domain::ids::luhn_complete(&partial))
    }

    /// One activity row with the given cells, others empty, trailing `|`.
    pub fn row(
        id_type: &str,
        id: &str,
        last: &str,
        first: &str,
        prof: &str,
        mode: &str,
        commune: &str,
    ) -> String {
        let n = HEADER.split('|').count() - 1;
        let mut cells = vec![String::new(); n];
        cells[0] = id_type.into();
        cells[1] = id.into();
        cells[2] = format!("{id_type}{id}");
        cells[7] = last.into();
        cells[8] = first.into();
        cells[9] = prof.into();
        cells[17] = mode.into();
        cells[36] = commune.into();
        format!("{}|", cells.join("|"))
    }

    #[test]
    fn merges_activities_and_keeps_psychologists() {
        let (a, b, c) = (rpps(1), rpps(2), rpps(3));
        let text = [
            HEADER.to_owned(),
            row("8", &a, "MARTIN", "Léa", "93", "S", "75056"),
            row("8", &a, "MARTIN", "Léa", "93", "L", "69123"),
            row("8", &b, "DUPONT", "Jean", "93", "L", "13055"),
            row("8", &rpps(9), "MÉDECIN", "Paul", "10", "L", "75056"),
            row("0", "693012345", "ADELI", "Seul", "93", "L", "69123"),
            row("8", &c, "BÉNÉVOLE", "Anne", "93", "B", ""),
            row("8", "12345678901", "FAUX", "Id", "93", "L", ""),
            row("8", &rpps(4), "X", "Y", "93", "Z", ""),
            "8|trop|court|".to_owned(),
        ]
        .join("\r\n");
        let mut calls = 0;
        let out = read_rpps_extract(text.as_bytes(), |_| calls += 1).unwrap();
        assert!(calls >= 1);
        assert_eq!(out.rows, 9);
        assert_eq!((out.other_professions, out.adeli_only), (1, 1));
        let modes: Vec<(&str, &str, Option<&str>)> = out
            .entries
            .iter()
            .map(|e| {
                (
                    e.last_name.as_str(),
                    e.practice_mode.code(),
                    e.commune_insee.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            modes,
            vec![
                ("MARTIN", "M", Some("69123")),
                ("DUPONT", "L", Some("13055")),
                ("BÉNÉVOLE", "B", None)
            ]
        );
        let errs: Vec<(u64, &str)> = out
            .errors
            .iter()
            .map(|e| (e.line, e.column.as_str()))
            .collect();
        assert_eq!(errs, vec![(8, ID), (9, MODE), (10, "")]);
    }

    #[test]
    fn a_missing_column_makes_the_file_unreadable() {
        let header = HEADER.replace("Code mode exercice|", "");
        let err = read_rpps_extract(format!("{header}\n").as_bytes(), |_| {}).unwrap_err();
        assert!(err.to_string().contains("Code mode exercice"), "{err}");
        assert!(matches!(
            read_rpps_extract(&b""[..], |_| {}),
            Err(FileError::Empty { .. })
        ));
    }
}
