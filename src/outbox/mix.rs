//! How a claim divides its slots between the kinds of item.
//!
//! Each kind goes through its own platform method with its own rate limit, so a run takes as
//! long as its slowest kind: the one with the most work left for its rate. Split evenly, the
//! workers of a resync spent half their time on the short kind while the long one ran below its
//! limit, and it then finished alone (issue 15: 92.8 % of the limit at 16 workers). The worker
//! weighs each kind by its time left (backlog ÷ rate); claims follow the weights with a smooth
//! weighted round robin, whose credit carries over from claim to claim so that batches of four
//! still add up to the weights.

use super::items::CLAIM_KINDS;

const KINDS: usize = CLAIM_KINDS.len();

/// The smallest share a kind with due items gets, whatever its weight: items queued since the
/// weights were taken are never starved.
const FLOOR: f64 = 0.05;

#[derive(Debug, Clone)]
pub struct ClaimMix {
    weights: [f64; KINDS],
    credit: [f64; KINDS],
}

impl Default for ClaimMix {
    /// Even: what a claim does before anything is known of the backlogs.
    fn default() -> Self {
        Self {
            weights: [1.0; KINDS],
            credit: [0.0; KINDS],
        }
    }
}

impl ClaimMix {
    /// Sets the weight of `kind` (any non-negative scale: only the ratios count). Unknown kinds
    /// and weights that are not finite are ignored.
    pub fn set_weight(&mut self, kind: &str, weight: f64) {
        if let Some(i) = CLAIM_KINDS.iter().position(|k| *k == kind) {
            if weight.is_finite() && weight >= 0.0 {
                self.weights[i] = weight;
            }
        }
    }

    /// The share each kind gets of the claims while all have due items, in `CLAIM_KINDS` order.
    pub fn shares(&self) -> [f64; KINDS] {
        let all = [true; KINDS];
        self.effective(&all)
    }

    /// Weights of the kinds that have rows, each at least `FLOOR` of their sum.
    fn effective(&self, available: &[bool; KINDS]) -> [f64; KINDS] {
        let total: f64 = (0..KINDS)
            .filter(|&i| available[i])
            .map(|i| self.weights[i])
            .sum();
        let mut w = [0.0; KINDS];
        for i in (0..KINDS).filter(|&i| available[i]) {
            w[i] = if total > 0.0 {
                (self.weights[i] / total).max(FLOOR)
            } else {
                1.0
            };
        }
        let sum: f64 = w.iter().sum();
        if sum > 0.0 {
            w.iter_mut().for_each(|x| *x /= sum);
        }
        w
    }

    /// The kind to take the next row from, among those that still have rows.
    pub(super) fn next(&mut self, available: &[bool; KINDS]) -> Option<usize> {
        let w = self.effective(available);
        let mut best: Option<usize> = None;
        for i in (0..KINDS).filter(|&i| available[i]) {
            self.credit[i] += w[i];
            if best.is_none_or(|b| self.credit[i] > self.credit[b]) {
                best = Some(i);
            }
        }
        let b = best?;
        self.credit[b] -= 1.0;
        // A kind with no rows keeps no credit: it would claim a burst when its rows come.
        for i in (0..KINDS).filter(|&i| !available[i]) {
            self.credit[i] = 0.0;
        }
        Some(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picks(mix: &mut ClaimMix, n: usize) -> [usize; KINDS] {
        let mut count = [0; KINDS];
        for _ in 0..n {
            count[mix.next(&[true; KINDS]).unwrap()] += 1;
        }
        count
    }

    #[test]
    fn even_by_default() {
        assert_eq!(picks(&mut ClaimMix::default(), 10), [5, 5]);
    }

    #[test]
    fn claims_follow_the_weights_across_small_batches() {
        let mut mix = ClaimMix::default();
        mix.set_weight("dispersion", 6789.0 / 50.0);
        mix.set_weight("concentration", 3114.0 / 50.0);
        // 25 claims of four: the credit carries over, so the total follows 68.6 % / 31.4 %.
        let mut total = [0; KINDS];
        for _ in 0..25 {
            let c = picks(&mut mix, 4);
            total[0] += c[0];
            total[1] += c[1];
        }
        assert_eq!(total, [69, 31]);
    }

    #[test]
    fn a_kind_with_a_tiny_weight_still_gets_its_floor() {
        let mut mix = ClaimMix::default();
        mix.set_weight("dispersion", 1000.0);
        mix.set_weight("concentration", 0.0);
        assert_eq!(picks(&mut mix, 100), [95, 5]);
    }

    #[test]
    fn a_kind_without_rows_gives_its_slots_to_the_others() {
        let mut mix = ClaimMix::default();
        mix.set_weight("concentration", 10.0);
        mix.set_weight("dispersion", 1.0);
        for _ in 0..8 {
            assert_eq!(mix.next(&[true, false]), Some(0));
        }
        assert_eq!(mix.next(&[false, false]), None);
    }

    #[test]
    fn nonsense_weights_are_ignored() {
        let mut mix = ClaimMix::default();
        mix.set_weight("dispersion", f64::NAN);
        mix.set_weight("concentration", -3.0);
        mix.set_weight("no-such-kind", 5.0);
        assert_eq!(mix.shares(), [0.5, 0.5]);
    }
}
