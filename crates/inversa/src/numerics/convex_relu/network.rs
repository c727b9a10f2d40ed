//! The two-layer ReLU network the convex program describes, and its training by Adam (the
//! baseline the convex solver is compared with).

use super::Dataset;
use crate::metrics::squared_distance;
use crate::numerics::gaussian;
use crate::real::dot;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// A two-layer ReLU network `f(x) = Σ_j α_j max(0, x·u_j)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    pub d: usize,
    /// `u_j`, row-major `width × d`.
    pub hidden: Vec<f64>,
    /// `α_j`.
    pub output: Vec<f64>,
}

impl Network {
    pub fn width(&self) -> usize {
        self.output.len()
    }

    pub fn predict(&self, data: &Dataset) -> Vec<f64> {
        (0..data.len())
            .map(|j| {
                let x = data.row(j);
                self.hidden
                    .chunks_exact(self.d)
                    .zip(&self.output)
                    .map(|(u, a)| a * dot(x, u).max(0.0))
                    .sum()
            })
            .collect()
    }

    /// `½‖f(X) − y‖²`.
    pub fn fit(&self, data: &Dataset) -> f64 {
        0.5 * squared_distance(&self.predict(data), &data.labels)
    }

    /// The training objective `½‖f(X) − y‖² + (β/2)(‖U‖² + ‖α‖²)`.
    pub fn objective(&self, data: &Dataset, beta: f64) -> f64 {
        self.fit(data)
            + 0.5 * beta * (dot(&self.hidden, &self.hidden) + dot(&self.output, &self.output))
    }

    /// The fraction of samples whose label is the sign of `f(x)`.
    pub fn accuracy(&self, data: &Dataset) -> f64 {
        let right = self
            .predict(data)
            .iter()
            .zip(&data.labels)
            .filter(|(f, y)| f.signum() == **y)
            .count();
        right as f64 / data.len().max(1) as f64
    }
}

/// Gradient training of the same network (full-batch Adam, `β₁ = 0.9`, `β₂ = 0.999`) from a
/// He-scaled random start; returns the network and its objective after each step.
pub fn train_adam(
    data: &Dataset,
    width: usize,
    beta: f64,
    lr: f64,
    steps: usize,
    seed: u64,
) -> (Network, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let d = data.d;
    let scale = (2.0 / d as f64).sqrt();
    let mut params: Vec<f64> = gaussian(&mut rng, width * d)
        .iter()
        .map(|x| x * scale)
        .collect();
    params.extend(
        gaussian(&mut rng, width)
            .iter()
            .map(|x| x / (width as f64).sqrt()),
    );
    let (mut m, mut v) = (vec![0.0; params.len()], vec![0.0; params.len()]);
    let mut trace = Vec::with_capacity(steps + 1);
    let split = |p: &[f64]| Network {
        d,
        hidden: p[..width * d].to_vec(),
        output: p[width * d..].to_vec(),
    };
    for t in 1..=steps {
        let net = split(&params);
        trace.push(net.objective(data, beta));
        let grad = gradient(&net, data, beta);
        let (c1, c2) = (1.0 - 0.9_f64.powi(t as i32), 1.0 - 0.999_f64.powi(t as i32));
        for k in 0..params.len() {
            m[k] = 0.9 * m[k] + 0.1 * grad[k];
            v[k] = 0.999 * v[k] + 0.001 * grad[k] * grad[k];
            params[k] -= lr * (m[k] / c1) / ((v[k] / c2).sqrt() + 1e-8);
        }
    }
    let net = split(&params);
    trace.push(net.objective(data, beta));
    (net, trace)
}

/// The gradient of [`Network::objective`] with respect to `(U, α)`, flattened in that order.
fn gradient(net: &Network, data: &Dataset, beta: f64) -> Vec<f64> {
    let (d, width) = (net.d, net.width());
    let residual: Vec<f64> = net
        .predict(data)
        .iter()
        .zip(&data.labels)
        .map(|(f, y)| f - y)
        .collect();
    let mut grad: Vec<f64> = net
        .hidden
        .iter()
        .chain(&net.output)
        .map(|p| beta * p)
        .collect();
    for (j, r) in residual.iter().enumerate() {
        let x = data.row(j);
        for h in 0..width {
            let pre = dot(x, &net.hidden[h * d..(h + 1) * d]);
            if pre > 0.0 {
                grad[width * d + h] += r * pre;
                for (k, xk) in x.iter().enumerate() {
                    grad[h * d + k] += r * net.output[h] * xk;
                }
            }
        }
    }
    grad
}
