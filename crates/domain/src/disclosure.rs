//! Small-cell suppression of published tables: no count below a threshold `k` is shown outside
//! the agency (it reads "< k"), and no hidden count can be worked out from the counts and totals
//! that are shown.
//!
//! The model: a table of counts with its row totals, column totals and grand total is an
//! *extended* table of (rows + 1) × (cols + 1) entries in which every line sums to its total.
//! Take the bipartite graph whose nodes are the extended table's rows and columns and whose
//! edges are the hidden entries. A reader knows, for every node, the sum of its hidden edges
//! (the line's total minus what is shown). The hidden values that satisfy all those sums differ
//! from each other exactly along cycles of the graph (the graph is bipartite, so every cycle has
//! even length and alternating ± changes keep every sum); a hidden entry on no cycle — a
//! *bridge* — has one possible value, which the reader can compute. So:
//!
//! 1. **primary suppression** hides every entry with 0 < v < k, totals included (zero is shown:
//!    an empty cell names nobody);
//! 2. **complementary suppression** then, while a hidden entry is a bridge, hides the three
//!    other corners of the cheapest rectangle through it (smallest sum of newly hidden values;
//!    inner cells before totals; ties by position), which puts it on a cycle. Hiding only grows
//!    and never breaks a cycle, so this ends.

/// A table of counts, row by row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub rows: usize,
    pub cols: usize,
    /// `rows × cols` counts, row-major.
    pub cells: Vec<u64>,
}

/// A published entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    Value(u64),
    /// Shown as "< k".
    Suppressed,
}

impl Shown {
    pub fn value(self) -> Option<u64> {
        match self {
            Shown::Value(v) => Some(v),
            Shown::Suppressed => None,
        }
    }
}

/// A table as published.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Published {
    pub cells: Vec<Shown>,
    pub row_totals: Vec<Shown>,
    pub col_totals: Vec<Shown>,
    pub total: Shown,
}

/// The extended table: entry (r, c) with r == rows the column totals, c == cols the row totals.
struct Extended {
    rows: usize,
    cols: usize,
    values: Vec<u64>,
    hidden: Vec<bool>,
}

impl Extended {
    fn new(t: &Table) -> Self {
        let (rows, cols) = (t.rows, t.cols);
        let mut values = vec![0u64; (rows + 1) * (cols + 1)];
        for r in 0..rows {
            for c in 0..cols {
                let v = t.cells.get(r * cols + c).copied().unwrap_or(0);
                values[r * (cols + 1) + c] = v;
                values[r * (cols + 1) + cols] += v;
                values[rows * (cols + 1) + c] += v;
                values[rows * (cols + 1) + cols] += v;
            }
        }
        Extended {
            rows,
            cols,
            hidden: vec![false; values.len()],
            values,
        }
    }

    fn at(&self, r: usize, c: usize) -> usize {
        r * (self.cols + 1) + c
    }

    /// Whether the hidden entry (r, c) lies on a cycle of hidden entries: without it, its row
    /// and column nodes are still connected through other hidden entries.
    fn on_cycle(&self, r: usize, c: usize) -> bool {
        let (nr, nc) = (self.rows + 1, self.cols + 1);
        // Nodes: rows 0..nr, columns nr..nr+nc.
        let mut seen = vec![false; nr + nc];
        let mut stack = vec![r];
        seen[r] = true;
        while let Some(node) = stack.pop() {
            if node == nr + c {
                return true;
            }
            let next: Vec<usize> = if node < nr {
                (0..nc)
                    .filter(|&j| self.hidden[self.at(node, j)] && !(node == r && j == c))
                    .map(|j| nr + j)
                    .collect()
            } else {
                let j = node - nr;
                (0..nr)
                    .filter(|&i| self.hidden[self.at(i, j)] && !(i == r && j == c))
                    .collect()
            };
            for n in next {
                if !seen[n] {
                    seen[n] = true;
                    stack.push(n);
                }
            }
        }
        false
    }

    /// The cost of hiding entry (r, c) now: nothing if hidden, else its value, with totals
    /// dearer than inner cells.
    fn cost(&self, r: usize, c: usize) -> u128 {
        let i = self.at(r, c);
        if self.hidden[i] {
            return 0;
        }
        let total = r == self.rows || c == self.cols;
        u128::from(self.values[i]) + 1 + if total { 1 << 64 } else { 0 }
    }

    /// Hides the other corners of the cheapest rectangle through (r, c).
    fn close_cycle(&mut self, r: usize, c: usize) -> bool {
        let mut best: Option<(u128, usize, usize)> = None;
        for r2 in (0..=self.rows).filter(|&x| x != r) {
            for c2 in (0..=self.cols).filter(|&x| x != c) {
                let cost = self.cost(r, c2) + self.cost(r2, c) + self.cost(r2, c2);
                if best.is_none_or(|(b, _, _)| cost < b) {
                    best = Some((cost, r2, c2));
                }
            }
        }
        let Some((_, r2, c2)) = best else {
            return false;
        };
        for (a, b) in [(r, c2), (r2, c), (r2, c2)] {
            let i = self.at(a, b);
            self.hidden[i] = true;
        }
        true
    }
}

/// The table as it may be published with threshold `k` (see the module's documentation).
pub fn suppress(table: &Table, k: u64) -> Published {
    let mut x = Extended::new(table);
    for i in 0..x.values.len() {
        x.hidden[i] = x.values[i] > 0 && x.values[i] < k;
    }
    loop {
        let bridge = (0..=x.rows)
            .flat_map(|r| (0..=x.cols).map(move |c| (r, c)))
            .find(|&(r, c)| x.hidden[x.at(r, c)] && !x.on_cycle(r, c));
        let Some((r, c)) = bridge else {
            break;
        };
        if !x.close_cycle(r, c) {
            // A table of one line and its total: the two are equal, hide both.
            for i in 0..x.values.len() {
                x.hidden[i] = true;
            }
            break;
        }
    }
    let shown = |i: usize| {
        if x.hidden[i] {
            Shown::Suppressed
        } else {
            Shown::Value(x.values[i])
        }
    };
    Published {
        cells: (0..x.rows)
            .flat_map(|r| (0..x.cols).map(move |c| (r, c)))
            .map(|(r, c)| shown(x.at(r, c)))
            .collect(),
        row_totals: (0..x.rows).map(|r| shown(x.at(r, x.cols))).collect(),
        col_totals: (0..x.cols).map(|c| shown(x.at(x.rows, c))).collect(),
        total: shown(x.at(x.rows, x.cols)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// An exact rational, as (numerator, denominator) with denominator > 0.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    struct Q(i128, i128);

    fn gcd(a: i128, b: i128) -> i128 {
        if b == 0 {
            a.abs().max(1)
        } else {
            gcd(b, a % b)
        }
    }

    impl Q {
        fn new(n: i128, d: i128) -> Q {
            let g = gcd(n, d);
            let s = if d < 0 { -1 } else { 1 };
            Q(s * n / g, s * d / g)
        }
        fn zero(self) -> bool {
            self.0 == 0
        }
        fn sub(self, o: Q) -> Q {
            Q::new(self.0 * o.1 - o.0 * self.1, self.1 * o.1)
        }
        fn mul(self, o: Q) -> Q {
            Q::new(self.0 * o.0, self.1 * o.1)
        }
        fn div(self, o: Q) -> Q {
            Q::new(self.0 * o.1, self.1 * o.0)
        }
    }

    /// The attacker: every equation a reader has (each extended line sums to its total), the
    /// hidden entries as unknowns, solved by exact Gaussian elimination. Returns the hidden
    /// entries (extended row, column) whose value is determined, with it.
    fn attack(p: &Published, rows: usize, cols: usize) -> Vec<((usize, usize), Q)> {
        let get = |r: usize, c: usize| -> Shown {
            match (r == rows, c == cols) {
                (false, false) => p.cells[r * cols + c],
                (false, true) => p.row_totals[r],
                (true, false) => p.col_totals[c],
                (true, true) => p.total,
            }
        };
        let mut unknowns = Vec::new();
        for r in 0..=rows {
            for c in 0..=cols {
                if get(r, c) == Shown::Suppressed {
                    unknowns.push((r, c));
                }
            }
        }
        let n = unknowns.len();
        let col_of = |r: usize, c: usize| unknowns.iter().position(|u| *u == (r, c));
        // Each line: sum of its inner entries minus its total = 0.
        let mut eqs: Vec<(Vec<Q>, Q)> = Vec::new();
        let mut line = |entries: Vec<((usize, usize), i128)>| {
            let mut coef = vec![Q(0, 1); n];
            let mut rhs = Q(0, 1);
            for ((r, c), sign) in entries {
                match get(r, c) {
                    Shown::Suppressed => {
                        let j = col_of(r, c).unwrap();
                        coef[j] = Q::new(coef[j].0 + sign * coef[j].1, coef[j].1);
                    }
                    Shown::Value(v) => rhs = rhs.sub(Q(sign * v as i128, 1)),
                }
            }
            eqs.push((coef, rhs));
        };
        for r in 0..=rows {
            let mut e: Vec<_> = (0..cols).map(|c| ((r, c), 1)).collect();
            e.push(((r, cols), -1));
            line(e);
        }
        for c in 0..=cols {
            let mut e: Vec<_> = (0..rows).map(|r| ((r, c), 1)).collect();
            e.push(((rows, c), -1));
            line(e);
        }
        // Reduced row echelon form.
        let mut pivots = Vec::new();
        let mut row = 0;
        for col in 0..n {
            let Some(pr) = (row..eqs.len()).find(|&i| !eqs[i].0[col].zero()) else {
                continue;
            };
            eqs.swap(row, pr);
            let pv = eqs[row].0[col];
            for j in 0..n {
                eqs[row].0[j] = eqs[row].0[j].div(pv);
            }
            eqs[row].1 = eqs[row].1.div(pv);
            for i in 0..eqs.len() {
                if i != row && !eqs[i].0[col].zero() {
                    let f = eqs[i].0[col];
                    for j in 0..n {
                        let d = eqs[row].0[j].mul(f);
                        eqs[i].0[j] = eqs[i].0[j].sub(d);
                    }
                    let d = eqs[row].1.mul(f);
                    eqs[i].1 = eqs[i].1.sub(d);
                }
            }
            pivots.push((row, col));
            row += 1;
        }
        // A pivot row with no other unknown left determines its unknown.
        pivots
            .into_iter()
            .filter(|&(r, col)| (0..n).all(|j| j == col || eqs[r].0[j].zero()))
            .map(|(r, col)| (unknowns[col], eqs[r].1))
            .collect()
    }

    fn check(t: &Table, k: u64) {
        let p = suppress(t, k);
        let solved = attack(&p, t.rows, t.cols);
        assert!(
            solved.is_empty(),
            "{t:?} k={k}: {p:?} gives away {solved:?}"
        );
        let all = p
            .cells
            .iter()
            .chain(&p.row_totals)
            .chain(&p.col_totals)
            .chain(std::iter::once(&p.total));
        for s in all {
            if let Shown::Value(v) = s {
                assert!(*v == 0 || *v >= k, "{v} shown below {k}");
            }
        }
    }

    fn table(rows: usize, cols: usize, cells: &[u64]) -> Table {
        Table {
            rows,
            cols,
            cells: cells.to_vec(),
        }
    }

    #[test]
    fn without_complementary_suppression_the_attacker_recovers_the_small_cell() {
        // Hide only the small cell: its row total gives it away.
        let t = table(2, 2, &[3, 10, 20, 30]);
        let p = Published {
            cells: vec![
                Shown::Suppressed,
                Shown::Value(10),
                Shown::Value(20),
                Shown::Value(30),
            ],
            row_totals: vec![Shown::Value(13), Shown::Value(50)],
            col_totals: vec![Shown::Value(23), Shown::Value(40)],
            total: Shown::Value(63),
        };
        assert_eq!(attack(&p, t.rows, t.cols), vec![((0, 0), Q(3, 1))]);
        check(&t, 5);
    }

    #[test]
    fn hand_made_tables_keep_their_small_cells() {
        check(&table(3, 3, &[30, 40, 50, 60, 2, 70, 80, 90, 100]), 5);
        check(&table(2, 3, &[1, 1, 1, 1, 1, 1]), 5);
        check(&table(2, 2, &[6, 7, 8, 1]), 5);
        check(&table(1, 4, &[10, 3, 20, 30]), 5);
        check(&table(4, 1, &[10, 3, 20, 30]), 5);
        check(&table(1, 1, &[3]), 5);
        check(&table(3, 2, &[0, 0, 2, 0, 0, 9]), 5);
        check(&table(3, 0, &[]), 5);
    }

    #[test]
    fn nothing_small_hides_nothing() {
        let p = suppress(&table(2, 3, &[5, 6, 0, 9, 10, 11]), 5);
        assert!(p.cells.iter().all(|s| matches!(s, Shown::Value(_))));
        assert_eq!(p.total, Shown::Value(41));
        assert_eq!(p.row_totals, vec![Shown::Value(11), Shown::Value(30)]);
    }

    proptest! {
        #[test]
        fn no_hidden_count_can_be_solved(
            rows in 1usize..7,
            cols in 1usize..7,
            k in 2u64..6,
            seed in proptest::collection::vec(0u64..20, 49),
        ) {
            let cells: Vec<u64> = seed.into_iter().take(rows * cols).collect();
            check(&table(rows, cols, &cells), k);
        }
    }
}
