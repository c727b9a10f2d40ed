//! The two simulated populations. Each snapshot holds the same `n` individuals in the same order,
//! so the simulator knows every true path; the bridges never see that order (Sinkhorn's coupling
//! is equivariant to permuting a snapshot), it only scores the trajectories they infer.

use super::reference::{Features, Reference};
use super::{Point, Settings};
use inversa::numerics::gaussian;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Snapshots of one population and the reference-class member that generated it.
pub struct Scenario {
    pub name: &'static str,
    /// `snapshots[k][i]`: individual `i` at time `k Δ`.
    pub snapshots: Vec<Vec<Point>>,
    /// The gaps `Δ` between consecutive snapshots.
    pub gaps: Vec<f64>,
    /// The drift class's true member: exact for the Gaussian chain, the Lotka–Volterra
    /// coefficients (whose Euler step over `Δ` only approximates the transition) for the ecology.
    pub truth: Reference,
}

/// The drift of the Gaussian scenario, a damped rotation `A* = [[−0.3, 1], [−1, −0.3]]`, no offset.
pub const ROTATION: [f64; 4] = [-0.3, 1.0, -1.0, -0.3];
/// The Gaussian chain's transition matrix `M = I + Δ A*` over a gap `dt`.
pub fn transition_matrix(dt: f64) -> [f64; 4] {
    let a = ROTATION;
    [1.0 + dt * a[0], dt * a[1], dt * a[2], 1.0 + dt * a[3]]
}

/// Mean and covariance (row-major) of the Gaussian scenario's first snapshot.
pub const GAUSSIAN_START: (Point, [f64; 4]) = ([1.5, 0.0], [0.3, 0.1, 0.1, 0.2]);
/// Lotka–Volterra coefficients `(α, β, γ, δ)`: `dx₁ = (α x₁ − β x₁x₂) dt`,
/// `dx₂ = (δ x₁x₂ − γ x₂) dt`; equilibrium `(γ/δ, α/β) = (4, 4)`, period about `2π`.
pub const LOTKA_VOLTERRA: [f64; 4] = [1.0, 0.25, 1.0, 0.25];
/// Mean and standard deviation of the ecology's first snapshot (prey, predators): its orbit keeps
/// both populations above 1.9, about five noise standard deviations over the run from 0, where
/// additive noise could push a population negative.
pub const ECOLOGY_START: (Point, f64) = ([6.0, 2.4], 0.3);
/// Euler–Maruyama steps per gap of the ecology's simulation.
const SUBSTEPS: usize = 200;

/// The Gaussian scenario: the chain `x_{k+1} = x_k + Δ A* x_k + σ√Δ ξ_k` (the reference class's
/// own transition), from `N(GAUSSIAN_START)`; every snapshot is Gaussian in closed form
/// ([`super::closed_form::marginals`]).
pub fn gaussian_chain(settings: &Settings) -> Scenario {
    let truth = Reference {
        features: Features::Linear,
        theta: vec![ROTATION[0], ROTATION[1], 0.0, ROTATION[2], ROTATION[3], 0.0],
        sigma: settings.sigma,
    };
    let mut rng = stream(settings.seed, 0);
    let n = settings.particles;
    let (mean, cov) = GAUSSIAN_START;
    let (l11, l21) = (cov[0].sqrt(), cov[2] / cov[0].sqrt());
    let l22 = (cov[3] - l21 * l21).sqrt();
    let z = gaussian(&mut rng, 2 * n);
    let first: Vec<Point> = z
        .chunks(2)
        .map(|z| [mean[0] + l11 * z[0], mean[1] + l21 * z[0] + l22 * z[1]])
        .collect();
    let dt = settings.gap;
    let step = |x: Point, noise: &[f64]| -> Point {
        let m = truth.mean(x, dt);
        let s = settings.sigma * dt.sqrt();
        [m[0] + s * noise[0], m[1] + s * noise[1]]
    };
    let snapshots = evolve(first, settings.snapshots, &mut rng, 2, step);
    Scenario {
        name: "gaussian",
        snapshots,
        gaps: vec![dt; settings.snapshots - 1],
        truth,
    }
}

/// The ecology: stochastic Lotka–Volterra `dx = f(x) dt + σ dW`, simulated by Euler–Maruyama with
/// `SUBSTEPS` steps per gap.
pub fn lotka_volterra(settings: &Settings) -> Scenario {
    let [alpha, beta, gamma, delta] = LOTKA_VOLTERRA;
    let truth = Reference {
        features: Features::LotkaVolterra,
        theta: vec![alpha, -beta, -gamma, delta],
        sigma: settings.sigma,
    };
    let mut rng = stream(settings.seed, 1);
    let (mean, spread) = ECOLOGY_START;
    let z = gaussian(&mut rng, 2 * settings.particles);
    let first: Vec<Point> = z
        .chunks(2)
        .map(|z| [mean[0] + spread * z[0], mean[1] + spread * z[1]])
        .collect();
    let h = settings.gap / SUBSTEPS as f64;
    let step = |mut x: Point, noise: &[f64]| -> Point {
        let s = settings.sigma * h.sqrt();
        for dw in noise.chunks(2) {
            let b = truth.drift(x);
            x = [x[0] + h * b[0] + s * dw[0], x[1] + h * b[1] + s * dw[1]];
        }
        x
    };
    let snapshots = evolve(first, settings.snapshots, &mut rng, 2 * SUBSTEPS, step);
    Scenario {
        name: "lotka-volterra",
        snapshots,
        gaps: vec![settings.gap; settings.snapshots - 1],
        truth,
    }
}

/// `count` snapshots from `first`, each individual moved by `step(x, normals)` with `normals`
/// standard normal draws of its own.
fn evolve(
    first: Vec<Point>,
    count: usize,
    rng: &mut ChaCha8Rng,
    normals: usize,
    step: impl Fn(Point, &[f64]) -> Point,
) -> Vec<Vec<Point>> {
    let mut snapshots = vec![first];
    while snapshots.len() < count {
        let Some(last) = snapshots.last() else { break };
        let noise = gaussian(rng, normals * last.len());
        let next = last
            .iter()
            .zip(noise.chunks(normals))
            .map(|(&x, z)| step(x, z))
            .collect();
        snapshots.push(next);
    }
    snapshots
}

/// The generator of scenario `index` under `seed`.
fn stream(seed: u64, index: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(index);
    rng
}
