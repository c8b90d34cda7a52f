//! Cells a spreadsheet would run as a formula (CSV injection, OWASP): text that came from users
//! (claim ids, names, echoed values) is written with a leading `'` when it starts with `=`, `+`,
//! `-`, `@`, a tab or a carriage return, so that opening a decisions file in a spreadsheet never
//! runs `=HYPERLINK(…)`.
//!
//! The escape is reversible: a value that already starts with `'` gets one more, and
//! [`restore`] removes exactly one. A decisions file read back with
//! [`crate::DecisionReader`] therefore gives the original claim ids; the claim id stored in
//! the database is the one of the claims file, never the escaped one, so re-running the same
//! claims file finds its earlier decisions. Our own numbers (amounts, ranks) are not escaped:
//! a negative amount stays a number.

use std::borrow::Cow;

/// Whether a spreadsheet could take the cell for a formula.
fn is_formula_start(c: char) -> bool {
    matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r')
}

/// The cell as it may be written: `'=HYPERLINK(…)` for `=HYPERLINK(…)`, `''x` for `'x`.
pub fn neutralise(text: &str) -> Cow<'_, str> {
    match text.chars().next() {
        Some(c) if is_formula_start(c) || c == '\'' => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

/// The original value of a cell written by [`neutralise`].
pub fn restore(cell: &str) -> &str {
    cell.strip_prefix('\'').unwrap_or(cell)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(
            neutralise("=HYPERLINK(\"http://x\",\"y\")"),
            "'=HYPERLINK(\"http://x\",\"y\")"
        );
        for s in ["+1", "-1+2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralise(s), format!("'{s}"));
        }
        assert_eq!(neutralise("C2024-0001"), "C2024-0001");
        assert_eq!(neutralise("'quoted"), "''quoted");
        assert_eq!(neutralise(""), "");
    }

    proptest! {
        #[test]
        fn restore_undoes_neutralise(s in "['=+@\\-\t\ra-z0-9]{0,12}") {
            let written = neutralise(&s);
            prop_assert_eq!(restore(&written), s.as_str());
            let first = written.chars().next();
            prop_assert!(!first.is_some_and(is_formula_start));
        }
    }
}
