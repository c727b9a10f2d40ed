//! The measurement side of posterior sampling: any core [`LinearOperator`] `A`, its measurement
//! `y = A u + n` (`n ~ N(0, σ_n² I)`) and the map from the diffusion model's state `x` to the
//! operator's image `u`.
//!
//! The model's state is not always the image the physics sees: the bundled Fashion-MNIST UNet
//! works on 32×32 states in [−1, 1], padded around the 28×28 garment, while the physics measures
//! pixels in [0, 1]. [`StateMap`] is that affine map, `u = s · crop(x) + o`; its adjoint is
//! `s · pad₀(·)`, so every gradient and proximal step below is exact in the state's coordinates:
//!
//! - `∇_x ½‖A u − y‖² = s · pad₀(A*(A u − y))`;
//! - `argmin_x ½‖y − A u‖² + (γ/2)‖x − x̂₀‖²` keeps the margin of `x̂₀` and solves
//!   `(A*A + (γ/s²) I) u = A*y + (γ/s²) u₀` on the window (`u₀` the image of `x̂₀`).
//!
//! The operator runs per batch item on host vectors (as the operator bridge does); the network's
//! part of each gradient goes through candle's autograd, the operator's part through `A*`. One
//! measurement is shared by every state of the batch (several posterior samples of one image), or
//! each state has its own ([`Likelihood::per_item`]: many images through one batched network call).

use crate::{Error, Result};
use candle_core::{DType, Device, Tensor};
use inversa::operators::LinearOperator;
use inversa::real::{lit, Real};
use inversa::solvers::normal_solve::{cg_regularized_normal, solve_regularized_normal};
use rayon::prelude::*;

/// The affine map `u = scale · crop(x) + offset` from a model state `x` (per sample `[C, Hs, Ws]`,
/// or any shape with as many elements as the image) to the operator's image `[C, H, W]`.
#[derive(Clone, Debug, PartialEq)]
pub struct StateMap {
    /// The state's dimensions per sample (the tensor is `[B, ...state]`).
    pub state: Vec<usize>,
    /// `[C, H, W]` of the operator's input.
    pub image: [usize; 3],
    /// Pixels cut from each side of the state's last two axes (0: the state is the image).
    pub margin: usize,
    pub scale: f64,
    pub offset: f64,
}

impl StateMap {
    /// The map from `state` to `image` (`[C, H, W]` or `[H, W]`): the identity reshape when both
    /// hold as many values, else a centred crop of the state's last two axes.
    pub fn new(state: &[usize], image: &[usize], scale: f64, offset: f64) -> Result<Self> {
        let (c, h, w) = inversa::operators::checked_image_dims(image)?;
        if !(scale.is_finite() && scale != 0.0 && offset.is_finite()) {
            return Err(bad(format!(
                "scale {scale} and offset {offset} must be finite, scale ≠ 0"
            )));
        }
        let count: usize = state.iter().product();
        let margin = if count == c * h * w {
            0
        } else {
            centred_margin(state, (c, h, w))?
        };
        Ok(Self {
            state: state.to_vec(),
            image: [c, h, w],
            margin,
            scale,
            offset,
        })
    }

    fn image_len(&self) -> usize {
        self.image.iter().product()
    }

    /// Values in one state.
    pub fn state_len(&self) -> usize {
        self.state.iter().product()
    }

    /// Index in the flat state of image pixel `(channel, row, column)`.
    fn state_index(&self, channel: usize, row: usize, column: usize) -> usize {
        let [_, h, w] = self.image;
        let (hs, ws) = (h + 2 * self.margin, w + 2 * self.margin);
        (channel * hs + row + self.margin) * ws + column + self.margin
    }

    /// The image `s · crop(x) + o` of one flat state.
    fn image_of<T: Real>(&self, state: &[f64]) -> Vec<T> {
        let [c, h, w] = self.image;
        let mut image = Vec::with_capacity(self.image_len());
        for channel in 0..c {
            for row in 0..h {
                for column in 0..w {
                    let v = state[self.state_index(channel, row, column)];
                    image.push(lit(self.scale * v + self.offset));
                }
            }
        }
        image
    }

    /// Writes `f(pixel)` of `image` into the window of one flat `state`, leaving its margin.
    fn write_window<T: Real>(&self, image: &[T], state: &mut [f64], f: impl Fn(f64) -> f64) {
        let [c, h, w] = self.image;
        let mut pixels = image.iter();
        for channel in 0..c {
            for row in 0..h {
                for column in 0..w {
                    if let Some(p) = pixels.next() {
                        state[self.state_index(channel, row, column)] =
                            f(p.to_f64().unwrap_or(f64::NAN));
                    }
                }
            }
        }
    }
}

/// The margin that centres an `[c, h, w]` image in a state whose last two axes are larger by the
/// same even amount.
fn centred_margin(state: &[usize], (c, h, w): (usize, usize, usize)) -> Result<usize> {
    let fits = match *state {
        [hs, ws] => c == 1 && hs > h && hs - h == ws.saturating_sub(w) && (hs - h) % 2 == 0,
        [.., cs, hs, ws] => {
            let leading: usize = state[..state.len() - 3].iter().product();
            leading == 1 && cs == c && hs > h && hs - h == ws.saturating_sub(w) && (hs - h) % 2 == 0
        }
        _ => false,
    };
    if !fits {
        return Err(bad(format!(
            "the model's state {state:?} neither holds the {c}×{h}×{w} image nor centres it with an even margin"
        )));
    }
    Ok((state[state.len() - 2] - h) / 2)
}

fn shape_error(values: usize, per_measurement: usize) -> Error {
    inversa::Error::Shape(format!(
        "the measurement has {values} values, the physics produces {per_measurement}"
    ))
    .into()
}

fn bad(message: String) -> Error {
    inversa::Error::config("data.image", message).into()
}

/// `y = A u + n` with the map from states to `u`.
pub struct Likelihood<'a, T: Real> {
    pub operator: &'a dyn LinearOperator<T>,
    /// `y`, or one measurement per batch item laid end to end ([`Likelihood::per_item`]).
    pub measurement: &'a [T],
    /// `σ_n`, the measurement noise's standard deviation (in the image's units).
    pub noise_std: f64,
    pub map: StateMap,
    /// Measurements in `measurement`: 1 (shared by every state) or the batch size.
    items: usize,
}

/// How to solve the proximal step's normal equations.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NormalSolve {
    /// The operator's closed form where it has one, else CG to convergence (at most this many).
    Exact(usize),
    /// Exactly this many CG steps from `x̂₀` (DDS), never the closed form.
    CgSteps(usize),
}

impl<'a, T: Real> Likelihood<'a, T> {
    /// Checks that `operator` measures images of `map.image` and `measurement` is its output;
    /// every state of a batch is a sample given this one measurement.
    pub fn new(
        operator: &'a dyn LinearOperator<T>,
        measurement: &'a [T],
        noise_std: f64,
        map: StateMap,
    ) -> Result<Self> {
        let likelihood = Self::per_item(operator, measurement, noise_std, map)?;
        if likelihood.items != 1 {
            return Err(shape_error(measurement.len(), operator.output_len()));
        }
        Ok(likelihood)
    }

    /// One measurement per batch item, laid end to end in `measurements`: state `b` of every
    /// batch is measured by the `b`-th (so batches must have as many states as measurements).
    pub fn per_item(
        operator: &'a dyn LinearOperator<T>,
        measurements: &'a [T],
        noise_std: f64,
        map: StateMap,
    ) -> Result<Self> {
        if operator.input_len() != map.image_len() {
            return Err(bad(format!(
                "the physics measures images of {:?}, the model's images are {:?}",
                operator.input_shape(),
                map.image
            )));
        }
        let m = operator.output_len();
        if m == 0 || measurements.is_empty() || measurements.len() % m != 0 {
            return Err(shape_error(measurements.len(), m));
        }
        if !(noise_std >= 0.0 && noise_std.is_finite()) {
            return Err(inversa::Error::config(
                "physics.noise.sigma",
                format!("must be finite and ≥ 0, got {noise_std}"),
            )
            .into());
        }
        Ok(Self {
            operator,
            measurement: measurements,
            noise_std,
            map,
            items: measurements.len() / m,
        })
    }

    /// Measurements held: 1 (shared by every state) or one per batch item.
    pub fn items(&self) -> usize {
        self.items
    }

    /// The measurement of batch item `b`.
    fn measured(&self, b: usize) -> &'a [T] {
        if self.items == 1 {
            return self.measurement;
        }
        let m = self.operator.output_len();
        &self.measurement[b * m..(b + 1) * m]
    }

    /// `A u − y_b` for the image `u` of batch item `b`.
    fn residual(&self, b: usize, image: &[T]) -> Vec<T> {
        let mut residual = self.operator.apply_new(image);
        residual
            .iter_mut()
            .zip(self.measured(b))
            .for_each(|(r, y)| *r = *r - *y);
        residual
    }

    /// The images `u` of every state of the batch `x`.
    pub fn images(&self, x: &Tensor) -> Result<Vec<Vec<T>>> {
        Ok(self
            .rows(x)?
            .iter()
            .map(|row| self.map.image_of(row))
            .collect())
    }

    /// Per batch item: `∇_x ‖A u − y‖` (the norm, not squared, as DPS uses it) and `‖A u − y‖`.
    pub fn norm_gradient(&self, x: &Tensor) -> Result<(Tensor, Vec<f64>)> {
        let per_item: Vec<(Vec<f64>, f64)> = self
            .images(x)?
            .par_iter()
            .enumerate()
            .map(|(b, image)| {
                let residual = self.residual(b, image);
                let norm = inversa::real::norm(&residual);
                let back = self.operator.adjoint_new(&residual);
                // ∇‖r‖ = A*r/‖r‖, zero where the state already explains y exactly.
                let factor = if norm > 0.0 {
                    self.map.scale / norm
                } else {
                    0.0
                };
                let mut gradient = vec![0.0; self.map.state_len()];
                self.map.write_window(&back, &mut gradient, |v| factor * v);
                (gradient, norm)
            })
            .collect();
        let (gradients, norms) = per_item.into_iter().unzip();
        Ok((self.tensor(gradients, x)?, norms))
    }

    /// Per batch item: `∇_x ½‖A u(x) − y‖² = s · pad₀(A*(A u − y))`.
    pub fn misfit_gradient(&self, x: &Tensor) -> Result<Tensor> {
        let gradients = self
            .images(x)?
            .par_iter()
            .enumerate()
            .map(|(b, image)| {
                let back = self.operator.adjoint_new(&self.residual(b, image));
                let mut gradient = vec![0.0; self.map.state_len()];
                let s = self.map.scale;
                self.map.write_window(&back, &mut gradient, |v| s * v);
                gradient
            })
            .collect();
        self.tensor(gradients, x)
    }

    /// `argmin_x ½‖y − A u(x)‖² + (γ/2)‖x − x̂₀‖²` for each state of `x0`, solved as `solve` says.
    /// The items are independent, so they are solved in parallel (the physics of a small image
    /// runs its own loops faster than it can split them).
    pub fn proximal(&self, x0: &Tensor, gamma: f64, solve: NormalSolve) -> Result<Tensor> {
        let s = self.map.scale;
        let rho: T = lit(gamma / (s * s));
        let shared = (self.items == 1).then(|| self.operator.adjoint_new(self.measurement));
        let mut states = self.rows(x0)?;
        states.par_iter_mut().enumerate().for_each(|(b, state)| {
            let aty = match &shared {
                Some(aty) => aty.clone(),
                None => self.operator.adjoint_new(self.measured(b)),
            };
            let mut u: Vec<T> = self.map.image_of(state);
            let rhs: Vec<T> = aty.iter().zip(&u).map(|(a, u0)| *a + rho * *u0).collect();
            match solve {
                NormalSolve::Exact(most) => {
                    solve_regularized_normal(self.operator, &rhs, rho, &mut u, most)
                }
                NormalSolve::CgSteps(steps) => {
                    cg_regularized_normal(self.operator, &rhs, rho, &mut u, steps)
                }
            }
            let offset = self.map.offset;
            self.map.write_window(&u, state, |v| (v - offset) / s);
        });
        self.tensor(states, x0)
    }

    /// The batch's states as f64 rows.
    fn rows(&self, x: &Tensor) -> Result<Vec<Vec<f64>>> {
        let batch = x.dims().first().copied().unwrap_or(0);
        if self.items > 1 && batch != self.items {
            return Err(inversa::Error::Shape(format!(
                "a batch of {batch} states for {} measurements (one per state)",
                self.items
            ))
            .into());
        }
        if batch == 0 || x.elem_count() != batch * self.map.state_len() {
            return Err(inversa::Error::Shape(format!(
                "a batch of states {:?} does not match the model's state {:?}",
                x.dims(),
                self.map.state
            ))
            .into());
        }
        let flat = x.to_dtype(DType::F64)?.flatten_all()?.to_vec1::<f64>()?;
        Ok(flat
            .chunks_exact(self.map.state_len())
            .map(<[f64]>::to_vec)
            .collect())
    }

    /// Rows back as a tensor shaped and typed like `like`.
    fn tensor(&self, rows: Vec<Vec<f64>>, like: &Tensor) -> Result<Tensor> {
        let flat: Vec<f64> = rows.into_iter().flatten().collect();
        Ok(Tensor::from_vec(flat, like.dims(), &Device::Cpu)?.to_dtype(like.dtype())?)
    }
}
