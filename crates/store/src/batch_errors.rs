//! The errors report of a batch: the rows of its claims file that could not be read (SPEC §8),
//! kept with the batch (migration 0010) so the report can be downloaded after the run.
//!
//! Messages are the reader's French messages, which may echo a cell's value (« date « … »
//! illisible »). Nothing stored here may hold a NIR: [`safe_message`] masks any echoed value
//! that could be one, and the messages about the `nir` column lose the figures they quote.

use crate::{Db, StoreResult, Value};

/// One unreadable row: editor line (the header is line 1), column at fault (`""` when the row as
/// a whole is wrong) and the French message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchError {
    pub line: u64,
    pub field: String,
    pub message: String,
}

/// What replaces an echoed value that could be a NIR.
const MASKED: &str = "valeur masquée";

/// The message as it may be stored and shown: never a NIR, nor a part of one.
pub fn safe_message(field: &str, message: &str) -> String {
    if field == "nir" {
        // The NIR checks quote its key and month of birth: name the problem without them.
        if message.contains("ne correspond pas") {
            return "NIR invalide : la clé ne correspond pas aux 13 premiers caractères".into();
        }
        if message.contains("mois de naissance") {
            return "NIR invalide : mois de naissance impossible".into();
        }
    }
    let masked = mask_quoted(message);
    if msp_domain::ids::could_hold_nir(&masked) {
        format!("valeur refusée ({MASKED} : elle pourrait contenir un NIR)")
    } else {
        masked
    }
}

/// Replaces the text between « and » when it could hold a NIR.
fn mask_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find('«') {
        let after = &rest[start + '«'.len_utf8()..];
        let Some(end) = after.find('»') else { break };
        let inner = &after[..end];
        out.push_str(&rest[..start]);
        out.push('«');
        if msp_domain::ids::could_hold_nir(inner) {
            out.push(' ');
            out.push_str(MASKED);
            out.push(' ');
        } else {
            out.push_str(inner);
        }
        out.push('»');
        rest = &after[end + '»'.len_utf8()..];
    }
    out.push_str(rest);
    out
}

/// Stores the unreadable rows of `batch_id` (call it in the batch's transaction), messages made
/// safe by [`safe_message`]. A second error on the same line and column is ignored.
pub fn record(db: &mut Db, batch_id: i64, errors: &[BatchError]) -> StoreResult<u64> {
    let mut values = Vec::with_capacity(errors.len() * 4);
    for e in errors {
        values.extend([
            Value::Int(batch_id),
            Value::Int(i64::try_from(e.line).unwrap_or(i64::MAX)),
            Value::Text(e.field.clone()),
            Value::Text(safe_message(&e.field, &e.message)),
        ]);
    }
    db.insert_many(
        "INSERT INTO batch_errors (batch_id, line, field, message)",
        4,
        &values,
        "ON CONFLICT (batch_id, line, field) DO NOTHING",
    )
}

/// The unreadable rows of a batch, by line (none for an unknown batch).
pub fn list(db: &mut Db, batch_id: i64) -> StoreResult<Vec<BatchError>> {
    db.query(
        "SELECT line, field, message FROM batch_errors WHERE batch_id = $1 ORDER BY line, field",
        &[Value::Int(batch_id)],
    )?
    .iter()
    .map(|r| {
        Ok(BatchError {
            line: u64::try_from(r.int(0)?).unwrap_or(0),
            field: r.string(1)?,
            message: r.string(2)?,
        })
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    const NIR: &str = "206127511100564";

    #[test]
    fn messages_never_hold_a_nir() {
        // Messages that quote nothing personal are kept as they are.
        for (field, m) in [
            (
                "session_date",
                "date « 2026-13-01 » impossible : format AAAA-MM-JJ attendu",
            ),
            (
                "nir",
                "NIR invalide : 15 caractères attendus (13 + clé de 2 chiffres), 3\u{a0}reçus",
            ),
            (
                "nir",
                "NIR invalide : seuls des chiffres sont admis, sauf 2A ou 2B pour le département",
            ),
            ("", "la ligne compte 3 colonne(s) au lieu de 12"),
            ("amount", "montant « 12345678901 » illisible"),
        ] {
            assert_eq!(safe_message(field, m), m);
        }
        // The NIR checks lose the figures they quote.
        let key = safe_message(
            "nir",
            "NIR invalide : la clé 65 ne correspond pas aux 13 premiers chiffres : l’un d’eux est sans doute erroné, vérifiez-les",
        );
        assert!(!key.contains("65") && !key.contains("64"), "{key}");
        let month = safe_message("nir", "NIR invalide : mois de naissance 13 impossible");
        assert!(!month.contains("13"), "{month}");
        // A NIR typed in another column is never echoed, with spaces or not, valid or not.
        for shown in [
            NIR,
            "2 06 12 75 111 005 64",
            "2061275111005",
            "206122A111005",
            "206122A11100564",
        ] {
            let m = safe_message(
                "session_date",
                &format!("date « {shown} » illisible : format AAAA-MM-JJ attendu"),
            );
            assert!(!m.contains(shown), "{m}");
            assert!(m.starts_with("date « valeur masquée » illisible"), "{m}");
        }
        // Unquoted, the whole message goes.
        let m = safe_message("act", &format!("acte {NIR} inconnu"));
        assert!(!m.contains(NIR) && m.contains("NIR"), "{m}");
    }

    #[test]
    fn recorded_with_the_batch_and_read_back_in_order() {
        for t in testing::all() {
            let mut db = t.connect();
            let errors = [
                BatchError {
                    line: 7,
                    field: "session_date".into(),
                    message: format!("date « {NIR} » illisible"),
                },
                BatchError {
                    line: 3,
                    field: String::new(),
                    message: "la ligne compte 3 colonne(s) au lieu de 12".into(),
                },
            ];
            let n = db.transaction(|tx| record(tx, 42, &errors)).unwrap();
            assert_eq!(n, 2, "{}", t.label);
            // The same line and column again: ignored.
            assert_eq!(record(&mut db, 42, &errors[..1]).unwrap(), 0, "{}", t.label);
            let back = list(&mut db, 42).unwrap();
            assert_eq!(back.len(), 2, "{}", t.label);
            assert_eq!((back[0].line, back[0].field.as_str()), (3, ""));
            assert_eq!(back[1].line, 7);
            assert!(!back[1].message.contains(NIR), "{}", back[1].message);
            assert!(list(&mut db, 43).unwrap().is_empty());
        }
    }
}
