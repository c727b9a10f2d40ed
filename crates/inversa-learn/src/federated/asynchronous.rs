//! Asynchronous federated learning with intertwined data and device heterogeneity, as set up by
//! Wang and Gao (arXiv:2309.13536, §3, §6): every client holds a single class (non-IID), and the
//! clients of the last `slow_classes` classes are slow, so the knowledge of those classes reaches
//! the server only through stale updates.
//!
//! Round `t` (from 0): the server holds `w_t`. Every fast client `k` runs its local training on
//! `w_t` and returns `Δ_k` at once. Every slow client also starts local training on `w_t` each
//! round, but its update arrives `τ` rounds later: the server aggregates, at round `t ≥ τ`, the
//! slow updates computed on `w_{t−τ}` (none before). FedAvg then steps
//!
//! ```text
//! w_{t+1} = w_t + Σ_{k arrived} (n_k / Σ_j n_j) c_k Δ̃_k,
//! ```
//!
//! `n_k` the client's sample count, over the updates that arrived this round, where a stale update
//! enters according to [`Aggregation`]: as it is (`c = 1`, `Δ̃ = Δ`), scaled by FedAsync's
//! polynomial staleness function `c = s(τ) = (1 + τ)^{−a}` (Xie, Koyejo, Gupta, "Asynchronous
//! Federated Optimization", arXiv:1903.03934, 2019; the stale update's weight is reduced and
//! the fresh ones keep theirs), or converted by gradient inversion ([`super::stale_conversion`],
//! `c = 1`). [`Aggregation::FedAvg`] is the reference without staleness: the slow clients' updates
//! arrive in their own round.

use super::mlp::Mlp;
use super::stale_conversion::{self, DataEstimate, Settings};
use crate::attacks::fedavg::LocalTraining;
use crate::data::fashion_mnist::LabelledImages;
use candle_core::{DType, Device, Result, Tensor};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;

/// Fashion-MNIST's classes.
pub const CLASSES: usize = 10;
/// Inputs are 28×28 images averaged over 2×2 blocks: 14×14 = 196 values in `[−1, 1]`.
pub const SIDE: usize = 14;
pub const INPUTS: usize = SIDE * SIDE;

/// Flattened model inputs with their labels.
#[derive(Clone, Debug)]
pub struct Dataset {
    /// `[N, INPUTS]`.
    pub inputs: Tensor,
    pub labels: Vec<u8>,
}

impl Dataset {
    /// The 28×28 `images` at `indices`, each averaged over 2×2 blocks and flattened.
    pub fn from_images(images: &LabelledImages, indices: &[usize]) -> Result<Self> {
        if images.size() != (2 * SIDE, 2 * SIDE) {
            candle_core::bail!("expected 28×28 images, got {:?}", images.size());
        }
        let n = indices.len();
        let inputs = images
            .batch(indices, 2 * SIDE)?
            .reshape((n, SIDE, 2, SIDE, 2))?
            .mean(4)?
            .mean(2)?
            .reshape((n, INPUTS))?;
        let labels = indices.iter().map(|&i| images.labels()[i]).collect();
        Ok(Self { inputs, labels })
    }

    /// Every image of `images`.
    pub fn all(images: &LabelledImages) -> Result<Self> {
        Self::from_images(images, &(0..images.len()).collect::<Vec<_>>())
    }

    /// `images` in two: the first `per_class` images of each class, and the rest (a train/test
    /// split of a small set such as the bundled 100 test images).
    pub fn split_per_class(images: &LabelledImages, per_class: usize) -> Result<(Self, Self)> {
        let mut seen = [0usize; CLASSES];
        let (mut first, mut rest) = (Vec::new(), Vec::new());
        for (i, &label) in images.labels().iter().enumerate() {
            let Some(count) = seen.get_mut(usize::from(label)) else {
                candle_core::bail!("image {i} has label {label}, beyond the {CLASSES} classes");
            };
            if *count < per_class {
                first.push(i);
            } else {
                rest.push(i);
            }
            *count += 1;
        }
        Ok((
            Self::from_images(images, &first)?,
            Self::from_images(images, &rest)?,
        ))
    }
}

/// How the server uses an update computed on an old model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Aggregation {
    /// No staleness: slow clients' updates arrive in the round they were computed (reference).
    FedAvg,
    /// Stale updates added as they are.
    Direct,
    /// Stale updates scaled by `(1 + τ)^{−exponent}`.
    Weighted { exponent: f64 },
    /// Stale updates converted to the current model by gradient inversion.
    Conversion(Settings),
}

/// The federation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Setup {
    /// `K ≥ 10`: client `k` holds class `k mod 10`.
    pub clients: usize,
    /// The last `slow_classes` classes are held by slow clients only.
    pub slow_classes: usize,
    /// `τ`: rounds between a slow client receiving the model and its update arriving.
    pub staleness: usize,
    /// Training samples per client.
    pub samples: usize,
    /// Hidden units of the [`Mlp`].
    pub hidden: usize,
    pub local: LocalTraining,
    /// Seed of the model, the clients' samples and the data estimates' starting points.
    pub seed: u64,
}

/// One client's data.
struct Client {
    inputs: Tensor,
    /// One-hot, `[n, CLASSES]`.
    labels: Tensor,
    slow: bool,
}

/// A stale update on its way to the server.
struct InFlight {
    client: usize,
    computed_at: usize,
    base: Mlp,
    update: Vec<Tensor>,
}

/// An update the server aggregated.
#[derive(Clone, Debug)]
pub struct Arrival {
    pub client: usize,
    /// The round whose global model the client trained on.
    pub computed_at: usize,
    /// The update as the client sent it.
    pub update: Vec<Tensor>,
    /// What the server adds before the sample share: the update itself, scaled, or converted.
    pub aggregated: Vec<Tensor>,
}

/// What happened in one round.
#[derive(Clone, Debug)]
pub struct RoundReport {
    pub round: usize,
    /// In client order.
    pub arrivals: Vec<Arrival>,
    /// The mean matching loss of this round's conversions (none without conversion).
    pub matching_loss: Option<f64>,
}

/// The server, its clients and the updates in flight.
pub struct Simulation {
    setup: Setup,
    aggregation: Aggregation,
    model: Mlp,
    clients: Vec<Client>,
    in_flight: VecDeque<InFlight>,
    /// Each client's data estimate, kept between rounds (conversion only).
    estimates: Vec<DataEstimate>,
    round: usize,
}

impl Simulation {
    /// The federation of `setup` over `train`, with a fresh model.
    pub fn new(setup: Setup, aggregation: Aggregation, train: &Dataset) -> Result<Self> {
        if setup.clients < CLASSES || setup.slow_classes >= CLASSES || setup.samples == 0 {
            candle_core::bail!(
                "need at least {CLASSES} clients, fewer than {CLASSES} slow classes and one sample \
                 per client (got {} clients, {} slow classes, {} samples)",
                setup.clients,
                setup.slow_classes,
                setup.samples
            );
        }
        let model = Mlp::random(INPUTS, setup.hidden, CLASSES, DType::F32, setup.seed)?;
        let clients = split(train, &setup)?;
        let estimates = match aggregation {
            Aggregation::Conversion(settings) => (0..setup.clients)
                .map(|k| {
                    let seed = setup.seed.wrapping_add(1000 + k as u64);
                    DataEstimate::random(settings.samples, INPUTS, CLASSES, DType::F32, seed)
                })
                .collect::<Result<_>>()?,
            _ => Vec::new(),
        };
        Ok(Self {
            setup,
            aggregation,
            model,
            clients,
            in_flight: VecDeque::new(),
            estimates,
            round: 0,
        })
    }

    /// The current global model `w_t`.
    pub fn model(&self) -> &Mlp {
        &self.model
    }

    /// Whether client `k` is slow.
    pub fn is_slow(&self, k: usize) -> bool {
        self.clients.get(k).is_some_and(|c| c.slow)
    }

    /// Runs round `t`: local training, arrivals, aggregation; the model becomes `w_{t+1}`.
    #[allow(
        clippy::expect_used,
        reason = "the loop condition checked the queue is non-empty"
    )]
    pub fn round(&mut self) -> Result<RoundReport> {
        let t = self.round;
        let mut arrivals = Vec::new();
        for (k, client) in self.clients.iter().enumerate() {
            let update =
                self.model
                    .local_update(&client.inputs, &client.labels, self.setup.local)?;
            if client.slow && self.aggregation != Aggregation::FedAvg {
                let base = self.model.clone();
                self.in_flight.push_back(InFlight {
                    client: k,
                    computed_at: t,
                    base,
                    update,
                });
            } else {
                let aggregated = update.clone();
                arrivals.push(Arrival {
                    client: k,
                    computed_at: t,
                    update,
                    aggregated,
                });
            }
        }
        let mut losses = Vec::new();
        while self
            .in_flight
            .front()
            .is_some_and(|f| f.computed_at + self.setup.staleness == t)
        {
            let stale = self.in_flight.pop_front().expect("checked non-empty");
            arrivals.push(self.receive(stale, &mut losses)?);
        }
        arrivals.sort_by_key(|a| a.client);
        self.aggregate(&arrivals)?;
        self.round += 1;
        let matching_loss =
            (!losses.is_empty()).then(|| losses.iter().sum::<f64>() / losses.len() as f64);
        Ok(RoundReport {
            round: t,
            arrivals,
            matching_loss,
        })
    }

    /// What the server adds for a stale update, by the aggregation rule.
    fn receive(&mut self, stale: InFlight, losses: &mut Vec<f64>) -> Result<Arrival> {
        let aggregated = match self.aggregation {
            Aggregation::FedAvg | Aggregation::Direct => stale.update.clone(),
            Aggregation::Weighted { exponent } => {
                let s = staleness_weight(self.round - stale.computed_at, exponent);
                stale.update.iter().map(|d| d * s).collect::<Result<_>>()?
            }
            Aggregation::Conversion(settings) => {
                let start = self.estimates[stale.client].clone();
                let conversion = stale_conversion::convert(
                    &stale.base,
                    &self.model,
                    &stale.update,
                    self.setup.local,
                    start,
                    settings,
                )?;
                losses.push(conversion.matching_loss);
                self.estimates[stale.client] = conversion.estimate;
                conversion.update
            }
        };
        Ok(Arrival {
            client: stale.client,
            computed_at: stale.computed_at,
            update: stale.update,
            aggregated,
        })
    }

    /// `w_{t+1} = w_t + Σ (n_k / Σ n_j) Δ̃_k` over `arrivals`.
    fn aggregate(&mut self, arrivals: &[Arrival]) -> Result<()> {
        let counts: Vec<f64> = arrivals
            .iter()
            .map(|a| self.clients[a.client].labels.dim(0).map(|n| n as f64))
            .collect::<Result<_>>()?;
        let total: f64 = counts.iter().sum();
        let changes: Vec<(f64, &[Tensor])> = arrivals
            .iter()
            .zip(&counts)
            .map(|(a, n)| (n / total, &a.aggregated[..]))
            .collect();
        self.model = self.model.moved(&changes)?;
        Ok(())
    }
}

/// FedAsync's polynomial staleness function `s(τ) = (1 + τ)^{−a}`.
///
/// ```
/// use inversa_learn::federated::asynchronous::staleness_weight;
/// assert_eq!(staleness_weight(0, 0.5), 1.0);
/// assert!((staleness_weight(3, 0.5) - 0.5).abs() < 1e-15);
/// ```
pub fn staleness_weight(staleness: usize, exponent: f64) -> f64 {
    (1.0 + staleness as f64).powf(-exponent)
}

/// Each client's `samples` images of its class, disjoint, drawn from `train` by the seed.
fn split(train: &Dataset, setup: &Setup) -> Result<Vec<Client>> {
    let mut rng = ChaCha8Rng::seed_from_u64(setup.seed);
    let mut pools: Vec<Vec<usize>> = (0..CLASSES)
        .map(|c| {
            let mut pool: Vec<usize> = (0..train.labels.len())
                .filter(|&i| usize::from(train.labels[i]) == c)
                .collect();
            pool.shuffle(&mut rng);
            pool
        })
        .collect();
    let mut clients = Vec::with_capacity(setup.clients);
    for k in 0..setup.clients {
        let class = k % CLASSES;
        let pool = &mut pools[class];
        if pool.len() < setup.samples {
            candle_core::bail!(
                "class {class} has too few training images for {} clients of {} samples",
                setup.clients.div_ceil(CLASSES),
                setup.samples
            );
        }
        let chosen: Vec<u32> = pool
            .split_off(pool.len() - setup.samples)
            .into_iter()
            .map(|i| i as u32)
            .collect();
        let index = Tensor::new(chosen.as_slice(), &Device::Cpu)?;
        let labels = Tensor::full(class as u32, setup.samples, &Device::Cpu)?;
        clients.push(Client {
            inputs: train.inputs.index_select(&index, 0)?,
            labels: candle_nn::encoding::one_hot(labels, CLASSES, 1.0f32, 0.0f32)?,
            slow: class >= CLASSES - setup.slow_classes,
        });
    }
    Ok(clients)
}
