//! Trajectories from chained couplings. Because the reference is Markov, the multi-marginal
//! bridge's path law is the chain of the piecewise couplings: from individual `i` at the first
//! snapshot, the law of its position at snapshot `k` is row `i` of `P₀ P₁ ⋯ P_{k−1}`, `P_k` the
//! coupling `π_k` with its rows normalised. Paths are drawn from it by ancestral sampling.

use super::sinkhorn::Coupling;
use super::Point;
use inversa::numerics::matmul;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// `π` with each row divided by its mass: the transition from a particle to the next snapshot.
fn transition(coupling: &Coupling) -> Vec<f64> {
    let mut p = coupling.plan.clone();
    for row in p.chunks_mut(coupling.m) {
        let mass: f64 = row.iter().sum();
        row.iter_mut().for_each(|w| *w /= mass);
    }
    p
}

/// The mean squared distance between each individual's true path and the paths the couplings
/// infer from its first position, averaged over the individuals and the later snapshots:
/// `1/(nK) Σ_k Σ_i Σ_j R_k[i, j] ‖X_k[j] − X_k[i]‖²`, `R_k = P₀ ⋯ P_{k−1}` (each snapshot holds
/// the individuals in the simulator's order, so `X_k[i]` is individual `i`'s true position).
pub fn path_mse(snapshots: &[Vec<Point>], couplings: &[Coupling]) -> f64 {
    let n = snapshots[0].len();
    let mut reach: Vec<f64> = (0..n * n)
        .map(|k| if k / n == k % n { 1.0 } else { 0.0 })
        .collect();
    let mut total = 0.0;
    for (coupling, later) in couplings.iter().zip(&snapshots[1..]) {
        reach = matmul(&reach, &transition(coupling), n, n, n);
        for (i, row) in reach.chunks(n).enumerate() {
            let truth = later[i];
            total += row
                .iter()
                .zip(later)
                .map(|(w, y)| w * ((y[0] - truth[0]).powi(2) + (y[1] - truth[1]).powi(2)))
                .sum::<f64>();
        }
    }
    total / (n * couplings.len()) as f64
}

/// [`path_mse`] for independent couplings (`R_k[i, j] = 1/n`): twice the spread of the later
/// snapshots, the error of knowing nothing about the individuals.
pub fn independent_path_mse(snapshots: &[Vec<Point>]) -> f64 {
    let later = &snapshots[1..];
    let spread = |xs: &Vec<Point>| -> f64 {
        let n = xs.len() as f64;
        (0..2)
            .map(|d| {
                let mean = xs.iter().map(|x| x[d]).sum::<f64>() / n;
                xs.iter().map(|x| (x[d] - mean).powi(2)).sum::<f64>() / n
            })
            .sum()
    };
    2.0 * later.iter().map(spread).sum::<f64>() / later.len() as f64
}

/// A path drawn through the couplings from particle `start` of the first snapshot.
pub fn sample_path(
    snapshots: &[Vec<Point>],
    couplings: &[Coupling],
    start: usize,
    rng: &mut ChaCha8Rng,
) -> Vec<Point> {
    let mut index = start;
    let mut path = vec![snapshots[0][index]];
    for (coupling, later) in couplings.iter().zip(&snapshots[1..]) {
        let row = coupling.row(index);
        let mut u = rng.gen::<f64>() * row.iter().sum::<f64>();
        // The last particle with mass takes what rounding leaves over.
        index = row
            .iter()
            .position(|&w| {
                u -= w;
                u < 0.0
            })
            .unwrap_or_else(|| row.iter().rposition(|&w| w > 0.0).unwrap_or(0));
        path.push(later[index]);
    }
    path
}
