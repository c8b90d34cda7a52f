//! Statistical disclosure control: primary and complementary suppression over a set of
//! published counts and the linear relations they satisfy.
//!
//! The problem is stated without any knowledge of what the counts mean: `cells` are published
//! counts, `relations` are linear equalities `Σ coef × cell = 0` that a reader can write down
//! (a total and its parts, a weighted sum, a cumulative figure and its increment…), and `forms`
//! are linear combinations of cells whose value is a count from 1 to 10 that is *not* printed
//! anywhere but could be computed (the difference of two cumulative figures, say).
//!
//! [`protect`] masks every cell from 1 to 10 (primary suppression), then masks more cells
//! (complementary suppression) until no masked cell and no sensitive form is determined by the
//! relations and the cells left in clear:
//! 1. single-unknown closure to a fixed point: a relation with exactly one masked cell would give
//!    it away, a form with no masked cell is in clear, so the smallest non-zero cell in clear of
//!    that relation or form is masked too (zeros last: a masked zero beside a `<11` protects
//!    little once a reader knows masked counts are positive);
//! 2. a check by elimination: the relations restricted to the masked cells are put in echelon
//!    form (modulo a 61-bit prime); a masked cell or a form on which every kernel vector is zero
//!    (tested on two drawn kernel vectors, exact except with negligible probability) is
//!    determined, and the smallest cell in clear of a relation touching it is masked; then 1
//!    again.
//!
//! The choice is deterministic (values, then cell order), so the same figures always give the
//! same publication. What this does not protect against (bounds reasoning, revisions of the
//! data) is written down in `docs/statistics.md`.

use serde::Serialize;

/// How a cell is published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Printed as is.
    Shown,
    /// A count from 1 to 10, printed `<11`.
    Primary,
    /// Masked so that a `<11` cannot be computed from the others, printed « secret ».
    Complementary,
}

impl Status {
    pub fn is_masked(self) -> bool {
        self != Status::Shown
    }
}

/// A linear combination of cells: `(cell, coefficient)`.
pub type Form = Vec<(usize, i64)>;

/// Cells, the relations between them and the hidden sensitive combinations.
#[derive(Debug, Clone, Default)]
pub struct Problem {
    pub values: Vec<i64>,
    pub relations: Vec<Form>,
    pub forms: Vec<Form>,
    /// Elimination order of each cell (then its index): cells of the same month together keep
    /// the echelon form sparse.
    pub order: Vec<u32>,
    /// The order given to the next cells.
    pub stage: u32,
}

impl Problem {
    /// Adds a cell, returns its index.
    pub fn cell(&mut self, value: i64) -> usize {
        self.values.push(value);
        self.order.push(self.stage);
        self.values.len() - 1
    }

    /// `total = Σ parts`.
    pub fn sum(&mut self, total: usize, parts: &[usize]) {
        let mut r = vec![(total, 1)];
        r.extend(parts.iter().map(|&p| (p, -1)));
        self.relations.push(r);
    }

    /// A relation `Σ coef × cell = 0`.
    pub fn relation(&mut self, form: Form) {
        self.relations.push(form);
    }

    /// A hidden combination, kept undetermined when its value is from 1 to 10.
    pub fn hidden(&mut self, form: Form) {
        let v: i64 = form.iter().map(|&(c, k)| k * self.values[c]).sum();
        if is_sensitive(v) {
            self.forms.push(form);
        }
    }
}

/// A count that primary suppression masks.
pub fn is_sensitive(n: i64) -> bool {
    (1..=10).contains(&n)
}

/// Statuses of the cells: primary suppression, then complementary suppression to a fixed point.
pub fn protect(p: &Problem) -> Vec<Status> {
    let n = p.values.len();
    let mut status: Vec<Status> = p
        .values
        .iter()
        .map(|&v| {
            if is_sensitive(v) {
                Status::Primary
            } else {
                Status::Shown
            }
        })
        .collect();
    // Which relations each cell is in, for the closure's work list.
    let mut rel_of: Vec<Vec<u32>> = vec![Vec::new(); n];
    for (i, r) in p.relations.iter().enumerate() {
        for &(c, _) in r {
            rel_of[c].push(u32::try_from(i).unwrap_or(u32::MAX));
        }
    }
    let mut form_of: Vec<Vec<u32>> = vec![Vec::new(); n];
    for (i, f) in p.forms.iter().enumerate() {
        for &(c, _) in f {
            form_of[c].push(u32::try_from(i).unwrap_or(u32::MAX));
        }
    }
    let mut rounds = 0;
    loop {
        closure(p, &mut status, &rel_of, &form_of);
        rounds += 1;
        let determined = determined(p, &status, &rel_of);
        if determined.is_empty() || rounds > 10_000 {
            break;
        }
        let mut changed = false;
        for target in determined {
            // Mask the best cell in clear of a relation touching the target's masked cells.
            let best = target
                .iter()
                .flat_map(|&c| rel_of[c].iter())
                .filter_map(|&r| best_shown(p, &status, &p.relations[r as usize]))
                .min_by_key(|&c| preference(p, c));
            if let Some(c) = best
                && status[c] == Status::Shown
            {
                status[c] = Status::Complementary;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    status
}

/// Smaller is masked first: the latest stage first (so that masks run forward in time and a
/// month's statuses do not depend on the months after it), then non-zero before zero, then
/// small values, then cell order.
fn preference(p: &Problem, cell: usize) -> (std::cmp::Reverse<u32>, bool, i64, usize) {
    let value = p.values[cell];
    (
        std::cmp::Reverse(p.order.get(cell).copied().unwrap_or(0)),
        value == 0,
        value.abs(),
        cell,
    )
}

fn best_shown(p: &Problem, status: &[Status], form: &Form) -> Option<usize> {
    form.iter()
        .map(|&(c, _)| c)
        .filter(|&c| status[c] == Status::Shown)
        .min_by_key(|&c| preference(p, c))
}

/// Single-unknown closure over relations and forms, to a fixed point.
fn closure(p: &Problem, status: &mut [Status], rel_of: &[Vec<u32>], form_of: &[Vec<u32>]) {
    let mut rel_queue: Vec<u32> = (0..p.relations.len())
        .filter_map(|i| u32::try_from(i).ok())
        .collect();
    let mut form_queue: Vec<u32> = (0..p.forms.len())
        .filter_map(|i| u32::try_from(i).ok())
        .collect();
    // Process in order (deterministic); newly masked cells requeue their relations.
    rel_queue.reverse();
    form_queue.reverse();
    while !rel_queue.is_empty() || !form_queue.is_empty() {
        let (form, is_relation) = if let Some(f) = form_queue.pop() {
            (&p.forms[f as usize], false)
        } else if let Some(r) = rel_queue.pop() {
            (&p.relations[r as usize], true)
        } else {
            break;
        };
        let masked = form.iter().filter(|&&(c, _)| status[c].is_masked()).count();
        let leaks = if is_relation {
            masked == 1
        } else {
            masked == 0
        };
        if !leaks {
            continue;
        }
        // A form is a difference of cumulative figures: mask its latest term (the latest
        // stage, then the largest index), so that consecutive sensitive increments share one
        // masked figure.
        let pick = if is_relation {
            best_shown(p, status, form)
        } else {
            form.iter()
                .map(|&(c, _)| c)
                .filter(|&c| status[c] == Status::Shown)
                .max_by_key(|&c| (p.order.get(c).copied().unwrap_or(0), c))
        };
        if let Some(c) = pick {
            status[c] = Status::Complementary;
            rel_queue.extend(rel_of[c].iter().copied());
            form_queue.extend(form_of[c].iter().copied());
        }
    }
}

const P: u64 = (1 << 61) - 1;

fn modp(k: i64) -> u64 {
    let r = i128::from(k).rem_euclid(i128::from(P));
    u64::try_from(r).unwrap_or(0)
}

fn mul(a: u64, b: u64) -> u64 {
    u64::try_from((u128::from(a) * u128::from(b)) % u128::from(P)).unwrap_or(0)
}

fn inv(a: u64) -> u64 {
    // Fermat: a^(p-2).
    let (mut base, mut e, mut r) = (a, P - 2, 1u64);
    while e > 0 {
        if e & 1 == 1 {
            r = mul(r, base);
        }
        base = mul(base, base);
        e >>= 1;
    }
    r
}

/// Sparse vector over the masked cells, sorted by column.
type Sparse = Vec<(u32, u64)>;

/// `a − k × b`.
fn axpy(a: &Sparse, k: u64, b: &Sparse) -> Sparse {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    let neg = |v: u64| if v == 0 { 0 } else { P - v };
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(&(ca, va)), Some(&(cb, vb))) if ca == cb => {
                let v = (va + neg(mul(k, vb))) % P;
                if v != 0 {
                    out.push((ca, v));
                }
                i += 1;
                j += 1;
            }
            (Some(&(ca, va)), Some(&(cb, _))) if ca < cb => {
                out.push((ca, va));
                i += 1;
            }
            (Some(&(ca, va)), None) => {
                out.push((ca, va));
                i += 1;
            }
            (_, Some(&(cb, vb))) => {
                let v = neg(mul(k, vb));
                if v != 0 {
                    out.push((cb, v));
                }
                j += 1;
            }
            (None, None) => break,
        }
    }
    out
}

/// Echelon basis keyed by leading column; each row has a leading coefficient of 1.
#[derive(Default)]
struct Basis {
    rows: std::collections::HashMap<u32, Sparse>,
}

impl Basis {
    fn reduce(&self, mut v: Sparse) -> Sparse {
        while let Some(&(c, k)) = v.first() {
            match self.rows.get(&c) {
                Some(row) => v = axpy(&v, k, row),
                None => break,
            }
        }
        v
    }

    fn insert(&mut self, v: Sparse) {
        let v = self.reduce(v);
        if let Some(&(c, k)) = v.first() {
            let ik = inv(k);
            let row = v.iter().map(|&(cc, vv)| (cc, mul(vv, ik))).collect();
            self.rows.insert(c, row);
        }
    }
}

fn sparse(form: &Form, status: &[Status], col: &[u32]) -> Sparse {
    let mut v: Sparse = form
        .iter()
        .filter(|&&(c, _)| status[c].is_masked())
        .map(|&(c, k)| (col[c], modp(k)))
        .filter(|&(_, k)| k != 0)
        .collect();
    v.sort_unstable_by_key(|e| e.0);
    // Merge duplicates (a cell twice in one relation).
    let mut out: Sparse = Vec::with_capacity(v.len());
    for (c, k) in v {
        match out.last_mut() {
            Some(last) if last.0 == c => last.1 = (last.1 + k) % P,
            _ => out.push((c, k)),
        }
    }
    out.retain(|e| e.1 != 0);
    out
}

/// A deterministic pseudo-random value modulo `P` (splitmix64).
fn draw(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (z ^ (z >> 31)) % P
}

/// Masked cells and sensitive forms that the relations determine, each given by its masked
/// cells.
///
/// A masked cell is determined when every solution of the relations (restricted to the masked
/// cells, the others being known) gives it the same value, that is when every vector of the
/// kernel is zero on it. Two kernel vectors drawn at random (free cells at random, the others by
/// back substitution on the echelon form) are zero on an undetermined cell with probability
/// about 2⁻¹²², so one pass over the basis decides every cell and form at once.
fn determined(p: &Problem, status: &[Status], rel_of: &[Vec<u32>]) -> Vec<Vec<usize>> {
    let mut col = vec![u32::MAX; p.values.len()];
    let mut masked: Vec<usize> = (0..status.len())
        .filter(|&c| status[c].is_masked())
        .collect();
    masked.sort_by_key(|&c| (p.order.get(c).copied().unwrap_or(0), c));
    let mut next = 0u32;
    for c in masked {
        col[c] = next;
        next += 1;
    }
    let mut basis = Basis::default();
    for r in &p.relations {
        let v = sparse(r, status, &col);
        if !v.is_empty() {
            basis.insert(v);
        }
    }
    let n = next as usize;
    let mut leads: Vec<u32> = basis.rows.keys().copied().collect();
    leads.sort_unstable_by(|a, b| b.cmp(a));
    let mut seed = 0x5eed_u64;
    let kernels: Vec<Vec<u64>> = (0..2)
        .map(|_| {
            let mut k: Vec<u64> = (0..n).map(|_| draw(&mut seed)).collect();
            // Leading columns in decreasing order: each row's other columns are already set.
            for &lead in &leads {
                let row = &basis.rows[&lead];
                let mut acc = 0u64;
                for &(c, a) in &row[1..] {
                    acc = (acc + mul(a, k[c as usize])) % P;
                }
                k[lead as usize] = if acc == 0 { 0 } else { P - acc };
            }
            k
        })
        .collect();
    let zero_on = |v: &Sparse| {
        kernels.iter().all(|k| {
            v.iter()
                .fold(0u64, |acc, &(c, a)| (acc + mul(a, k[c as usize])) % P)
                == 0
        })
    };
    let mut out = Vec::new();
    for (c, s) in status.iter().enumerate() {
        // A masked cell in no relation cannot be computed.
        if s.is_masked() && !rel_of[c].is_empty() && zero_on(&vec![(col[c], 1)]) {
            out.push(vec![c]);
        }
    }
    for f in &p.forms {
        let v = sparse(f, status, &col);
        if v.is_empty() || zero_on(&v) {
            out.push(
                f.iter()
                    .map(|&(c, _)| c)
                    .filter(|&c| status[c].is_masked())
                    .collect(),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(s: &[Status]) -> Vec<usize> {
        (0..s.len()).filter(|&i| s[i].is_masked()).collect()
    }

    #[test]
    fn a_total_with_one_small_part_masks_a_second_part() {
        let mut p = Problem::default();
        let (a, b, c) = (p.cell(5), p.cell(40), p.cell(30));
        let t = p.cell(75);
        p.sum(t, &[a, b, c]);
        let s = protect(&p);
        assert_eq!(s[a], Status::Primary);
        // The smallest other cell goes with it, the total stays.
        assert_eq!(s[c], Status::Complementary);
        assert_eq!(masked(&s), vec![a, c]);
    }

    #[test]
    fn nothing_small_nothing_masked() {
        let mut p = Problem::default();
        let (a, b, t) = (p.cell(0), p.cell(40), p.cell(40));
        p.sum(t, &[a, b]);
        assert!(masked(&protect(&p)).is_empty());
    }

    #[test]
    fn zeros_are_masked_last() {
        let mut p = Problem::default();
        let (a, z, b) = (p.cell(3), p.cell(0), p.cell(20));
        let t = p.cell(23);
        p.sum(t, &[a, z, b]);
        let s = protect(&p);
        assert_eq!(masked(&s), vec![a, b]);
    }

    #[test]
    fn a_two_way_table_is_closed_in_rows_and_columns() {
        // 3 × 3 table with margins; one small cell forces a rectangle of four.
        let v = [[4, 30, 25], [20, 50, 40], [33, 60, 70]];
        let mut p = Problem::default();
        let cells: Vec<Vec<usize>> = v
            .iter()
            .map(|row| row.iter().map(|&x| p.cell(x)).collect())
            .collect();
        for (i, row) in v.iter().enumerate() {
            let t = p.cell(row.iter().sum());
            p.sum(t, &cells[i]);
        }
        for j in 0..3 {
            let t = p.cell(v.iter().map(|r| r[j]).sum());
            let col: Vec<usize> = (0..3).map(|i| cells[i][j]).collect();
            p.sum(t, &col);
        }
        let s = protect(&p);
        let m = masked(&s);
        assert!(m.contains(&cells[0][0]));
        assert_eq!(m.len(), 4, "{m:?}");
        // Every row and column has zero or at least two masked cells.
        for i in 0..3 {
            let k = (0..3).filter(|&j| s[cells[i][j]].is_masked()).count();
            assert!(k != 1);
            let k = (0..3).filter(|&j| s[cells[j][i]].is_masked()).count();
            assert!(k != 1);
        }
    }

    #[test]
    fn elimination_catches_what_single_relations_miss() {
        // x + y = A and x − y = B (two relations, two unknowns each): determined by elimination.
        let mut p = Problem::default();
        let (x, y, a, b) = (p.cell(5), p.cell(7), p.cell(12), p.cell(-2));
        p.relation(vec![(a, 1), (x, -1), (y, -1)]);
        p.relation(vec![(b, 1), (x, -1), (y, 1)]);
        let s = protect(&p);
        assert!(s[a].is_masked() || s[b].is_masked(), "{s:?}");
    }

    #[test]
    fn a_small_increment_between_two_cumulative_figures_is_protected() {
        let mut p = Problem::default();
        let (c1, c2, c3) = (p.cell(100), p.cell(104), p.cell(150));
        p.hidden(vec![(c2, 1), (c1, -1)]);
        p.hidden(vec![(c3, 1), (c2, -1)]);
        let s = protect(&p);
        assert_eq!(s[c1], Status::Shown);
        assert_eq!(s[c2], Status::Complementary);
        assert_eq!(s[c3], Status::Shown);
    }

    /// Cumulative figures and monthly cells of one area over `months` months, with France =
    /// Σ two areas: the statuses of the first months must not depend on the months after.
    fn chain(monthly: &[[i64; 2]]) -> (Problem, Vec<usize>) {
        let mut p = Problem::default();
        let mut cells = Vec::new();
        let mut prev: Option<[usize; 3]> = None;
        let mut running = [0i64; 2];
        for (t, m) in monthly.iter().enumerate() {
            p.stage = u32::try_from(t).unwrap();
            let mut cum = [0usize; 3];
            let mut inc = [0usize; 3];
            for a in 0..2 {
                running[a] += m[a];
                cum[a] = p.cell(running[a]);
                inc[a] = p.cell(m[a]);
            }
            cum[2] = p.cell(running[0] + running[1]);
            inc[2] = p.cell(m[0] + m[1]);
            for a in 0..3 {
                match prev {
                    Some(pr) => p.sum(cum[a], &[pr[a], inc[a]]),
                    None => p.sum(cum[a], &[inc[a]]),
                }
            }
            p.sum(cum[2], &[cum[0], cum[1]]);
            p.sum(inc[2], &[inc[0], inc[1]]);
            cells.extend(cum);
            cells.extend(inc);
            prev = Some(cum);
        }
        (p, cells)
    }

    #[test]
    fn a_new_month_does_not_change_the_statuses_of_the_months_before() {
        let months = [[30, 40], [25, 33], [20, 31], [18, 22]];
        let (p, cells) = chain(&months);
        let before = protect(&p);
        // The next month brings a small cell: its masks go into that month, not back.
        let mut more = months.to_vec();
        more.push([4, 27]);
        let (q, _) = chain(&more);
        let after = protect(&q);
        assert!(after.iter().any(|s| s.is_masked()));
        for &c in &cells {
            assert_eq!(before[c], after[c], "cell {c} changed");
        }
    }

    #[test]
    fn same_input_same_output() {
        let mut p = Problem::default();
        let cells: Vec<usize> = (0..40).map(|i| p.cell((i * 7) % 23)).collect();
        for w in cells.windows(5) {
            let t = p.cell(w.iter().map(|&c| p.values[c]).sum());
            p.sum(t, w);
        }
        assert_eq!(protect(&p), protect(&p));
    }
}
