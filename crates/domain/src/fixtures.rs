//! Valid identifiers made from small numbers, for tests and demo data of every crate.

use crate::ids::luhn_complete;
use crate::{Nir, Rpps};

/// The `n`-th valid RPPS number (`1` followed by `n` on 9 digits, plus its Luhn key).
pub fn rpps(n: u32) -> Rpps {
    let partial = format!("1{n:09}");
    Rpps::parse(&format!("{partial}{}", luhn_complete(&partial))).expect("valid by construction")
}

/// The `n`-th valid NIR (a woman born in January 1985 in Paris), with its key.
pub fn nir(n: u32) -> Nir {
    let body = format!("2850175{n:06}");
    let key = 97 - body.parse::<u64>().expect("digits") % 97;
    Nir::parse(&format!("{body}{key:02}")).expect("valid by construction")
}
