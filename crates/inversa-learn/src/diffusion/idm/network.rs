//! IDM's noise estimator: the pretrained UNet with a measurement injector before each residual
//! block and every level's blocks made a reversible sequence ([`Sequence`]).
//!
//! - Injector (eq. 10) at a level of `C` channels and side `H/r`: `z = f2i(shuffle_r(h))`, one
//!   channel at the image's side, then `h ← h + unshuffle_r(i2f([z, Π z, x_y]))` with 1×1
//!   convolutions `f2i` (`C/r² → 1`) and `i2f` (`3 → C/r²`); one set per sampling step. `i2f`
//!   starts at zero, so the injectors start as the identity.
//! - Reversibility (§3.2): each level's `[injector, block]*` on the way down and up, and the middle
//!   block, run as one coupling sequence on `(h, s·h)`, left as `h¹ + m·h²`.
//!
//! The embedding of the timestep and the null class is computed by the frozen pretrained MLP and
//! treated as a constant, as IDM drops Stable Diffusion's time embedding altogether.
//!
//! [`IdmNet::eps_light`] keeps of one evaluation only its input and each sequence's last pair;
//! [`IdmNet::eps_backward`] walks the network backwards from them, rebuilding every sequence's
//! layers by inversion and the non-reversible parts (head, resampling, tail) by recomputation from
//! those pairs.

use super::coupling::{autograd_vjp, Body, Mix, Pair, Sequence};
use super::sensing::Measured;
use crate::models::ffdnet::{pixel_shuffle, pixel_unshuffle};
use crate::models::unet::{ResBlock, Unet, UnetConfig};
use crate::nn::conv2d::{conv2d_layer, Conv2d};
use candle_core::backprop::GradStore;
use candle_core::{Module, Result, Tensor};
use candle_nn::VarBuilder;

/// Feeds the measurement into the features of one level at one step.
pub(crate) struct Injector {
    f2i: Conv2d,
    i2f: Conv2d,
    /// Pixel (un)shuffles of factor 2 between the level and the image's side.
    shuffles: usize,
}

impl Injector {
    fn new(channels: usize, level: usize, vb: VarBuilder) -> Result<Self> {
        let factor = 1usize << (2 * level);
        if channels % factor != 0 {
            candle_core::bail!("level {level} has {channels} channels, not a multiple of {factor}");
        }
        let spread = channels / factor;
        Ok(Self {
            f2i: conv2d_layer(spread, 1, 1, 0, vb.pp("f2i"))?,
            i2f: conv2d_layer(3, spread, 1, 0, vb.pp("i2f"))?,
            shuffles: level,
        })
    }
}

struct InjectBody<'a> {
    injector: &'a Injector,
    measured: &'a Measured<'a>,
}

impl Body for InjectBody<'_> {
    fn apply(&self, h: &Tensor) -> Result<Tensor> {
        let mut z = h.clone();
        for _ in 0..self.injector.shuffles {
            z = pixel_shuffle(&z)?;
        }
        let z = self.injector.f2i.forward(&z)?;
        let inputs = Tensor::cat(
            &[
                &z,
                &self.measured.normal(&z)?,
                &self.measured.back_projection,
            ],
            1,
        )?;
        let mut added = self.injector.i2f.forward(&inputs)?;
        for _ in 0..self.injector.shuffles {
            added = pixel_unshuffle(&added)?;
        }
        h + added
    }
}

struct ResBody<'a> {
    block: &'a ResBlock,
    emb: &'a Tensor,
}

impl Body for ResBody<'_> {
    fn apply(&self, h: &Tensor) -> Result<Tensor> {
        self.block.forward(h, self.emb)
    }
}

/// What [`IdmNet::eps_light`] keeps for the backward pass.
pub(crate) struct Tape {
    input: Tensor,
    down: Vec<Pair>,
    middle: Pair,
    up: Vec<Pair>,
}

/// Where a sequence sits.
#[derive(Clone, Copy)]
enum Path {
    Down(usize),
    Middle,
    Up(usize),
}

/// The injected, reversible UNet shared by every sampling step.
pub struct IdmNet {
    pub(crate) unet: Unet,
    /// `injectors[step][site]`, sites `0 … L−1` down, `L … 2L−1` up.
    injectors: Vec<Vec<Injector>>,
    down: Vec<Sequence>,
    middle: Sequence,
    up: Vec<Sequence>,
}

/// The `[1]` scalars of a sequence of `layers` under `vb` (`entry`, `exit`, `a{j}`, `b{j}`,
/// `v{j}`).
pub(crate) fn sequence(layers: usize, vb: &VarBuilder) -> Result<Sequence> {
    Ok(Sequence {
        entry: vb.get(1, "entry")?,
        exit: vb.get(1, "exit")?,
        layers: (0..layers)
            .map(|j| {
                Ok(Mix {
                    a: vb.get(1, &format!("a{j}"))?,
                    b: vb.get(1, &format!("b{j}"))?,
                    v: vb.get(1, &format!("v{j}"))?,
                })
            })
            .collect::<Result<_>>()?,
    })
}

impl IdmNet {
    /// The network for `steps` sampling steps, its variables under `vb` (`unet.*`, `inject.*`,
    /// `couple.*`).
    pub fn new(config: UnetConfig, steps: usize, vb: &VarBuilder) -> Result<Self> {
        let unet = Unet::new(vb.pp("unet"), config)?;
        let levels = config.levels;
        let channels = |l: usize| config.channels << l;
        let injectors = (0..steps)
            .map(|k| {
                (0..2 * levels)
                    .map(|site| {
                        let l = site % levels;
                        Injector::new(channels(l), l, vb.pp(format!("inject.{k}.{site}")))
                    })
                    .collect::<Result<Vec<_>>>()
            })
            .collect::<Result<_>>()?;
        let per_level = 2 * config.blocks;
        let couple = vb.pp("couple");
        Ok(Self {
            unet,
            injectors,
            down: (0..levels)
                .map(|l| sequence(per_level, &couple.pp(format!("down{l}"))))
                .collect::<Result<_>>()?,
            middle: sequence(1, &couple.pp("middle"))?,
            up: (0..levels)
                .map(|l| sequence(per_level, &couple.pp(format!("up{l}"))))
                .collect::<Result<_>>()?,
        })
    }

    /// Sampling steps the injectors are made for.
    pub fn steps(&self) -> usize {
        self.injectors.len()
    }

    /// `SiLU(MLP(t) + E[null])`, `[1, E]`, a constant.
    fn embedding(&self, timestep: usize) -> Result<Tensor> {
        let time = self.unet.time_embedding(&[timestep as f64])?;
        let null = self.unet.null_embedding()?.unsqueeze(0)?;
        Ok((time + null)?.silu()?.detach())
    }

    fn sequence_at(&self, path: Path) -> &Sequence {
        match path {
            Path::Down(l) => &self.down[l],
            Path::Middle => &self.middle,
            Path::Up(l) => &self.up[l],
        }
    }

    /// The bodies of the sequence at `path` for step `k`.
    fn bodies<'a>(
        &'a self,
        path: Path,
        k: usize,
        measured: &'a Measured<'a>,
        emb: &'a Tensor,
    ) -> Vec<Box<dyn Body + 'a>> {
        let levels = self.down.len();
        let (blocks, site): (&[ResBlock], Option<usize>) = match path {
            Path::Down(l) => (&self.unet.down[l].blocks, Some(l)),
            Path::Up(l) => (&self.unet.up[l].blocks, Some(levels + l)),
            Path::Middle => (std::slice::from_ref(&self.unet.middle), None),
        };
        let mut bodies: Vec<Box<dyn Body + 'a>> = Vec::new();
        for block in blocks.iter() {
            if let Some(site) = site {
                bodies.push(Box::new(InjectBody {
                    injector: &self.injectors[k][site],
                    measured,
                }));
            }
            bodies.push(Box::new(ResBody { block, emb }));
        }
        bodies
    }

    /// `ε̂` of states `x` (`[B, 1, side, side]`) at step `k` (`0 … steps−1`) and `timestep`, the
    /// whole graph kept.
    pub(crate) fn eps(
        &self,
        x: &Tensor,
        k: usize,
        timestep: usize,
        measured: &Measured,
    ) -> Result<Tensor> {
        let emb = self.embedding(timestep)?;
        let run = |path: Path, h: &Tensor| -> Result<Tensor> {
            let owned = self.bodies(path, k, measured, &emb);
            let bodies: Vec<&dyn Body> = owned.iter().map(|b| b.as_ref()).collect();
            self.sequence_at(path).forward(h, &bodies)
        };
        let mut h = self.unet.head.forward(x)?;
        let mut skips = Vec::new();
        for l in 0..self.down.len() {
            h = run(Path::Down(l), &h)?;
            skips.push(h.clone());
            if let Some(down) = &self.unet.down[l].resample {
                h = down.forward(&pixel_unshuffle(&h)?)?;
            }
        }
        h = run(Path::Middle, &h)?;
        for l in (0..self.up.len()).rev() {
            h = run(Path::Up(l), &(h + &skips[l])?)?;
            h = self.up_resample(l, &h)?;
        }
        self.tail(&h)
    }

    fn up_resample(&self, l: usize, h: &Tensor) -> Result<Tensor> {
        match &self.unet.up[l].resample {
            Some(up) => pixel_shuffle(&up.forward(h)?),
            None => Ok(h.clone()),
        }
    }

    fn down_resample(&self, l: usize, h: &Tensor) -> Result<Tensor> {
        match &self.unet.down[l].resample {
            Some(down) => down.forward(&pixel_unshuffle(h)?),
            None => Ok(h.clone()),
        }
    }

    fn tail(&self, h: &Tensor) -> Result<Tensor> {
        self.unet
            .tail
            .forward(&self.unet.out_norm.forward(h)?.silu()?)
    }

    /// `ε̂` as [`IdmNet::eps`], keeping only the [`Tape`].
    pub(crate) fn eps_light(
        &self,
        x: &Tensor,
        k: usize,
        timestep: usize,
        measured: &Measured,
    ) -> Result<(Tensor, Tape)> {
        let emb = self.embedding(timestep)?;
        let run = |path: Path, h: &Tensor| -> Result<Pair> {
            let owned = self.bodies(path, k, measured, &emb);
            let bodies: Vec<&dyn Body> = owned.iter().map(|b| b.as_ref()).collect();
            self.sequence_at(path).forward_light(h, &bodies)
        };
        let mut h = self.unet.head.forward(x)?.detach();
        let (mut down, mut skips) = (Vec::new(), Vec::new());
        for l in 0..self.down.len() {
            let pair = run(Path::Down(l), &h)?;
            let skip = self.down[l].merge(&pair)?;
            h = self.down_resample(l, &skip)?.detach();
            skips.push(skip);
            down.push(pair);
        }
        let middle = run(Path::Middle, &h)?;
        h = self.middle.merge(&middle)?;
        let mut up: Vec<Option<Pair>> = (0..self.up.len()).map(|_| None).collect();
        for l in (0..self.up.len()).rev() {
            let pair = run(Path::Up(l), &(h + &skips[l])?)?;
            h = self.up_resample(l, &self.up[l].merge(&pair)?)?.detach();
            up[l] = Some(pair);
        }
        let eps = self.tail(&h)?.detach();
        let up = up.into_iter().flatten().collect();
        let tape = Tape {
            input: x.detach(),
            down,
            middle,
            up,
        };
        Ok((eps, tape))
    }

    /// `(∂ε̂/∂x)ᵀ g` and the parameters' gradients from a [`Tape`] of step `k` at `timestep`.
    pub(crate) fn eps_backward(
        &self,
        tape: &Tape,
        g: &Tensor,
        k: usize,
        timestep: usize,
        measured: &Measured,
    ) -> Result<(Tensor, GradStore)> {
        let emb = self.embedding(timestep)?;
        let mut store = GradStore::default();
        let mut back = |path: Path, pair: &Pair, g: &Tensor| -> Result<Tensor> {
            let owned = self.bodies(path, k, measured, &emb);
            let bodies: Vec<&dyn Body> = owned.iter().map(|b| b.as_ref()).collect();
            let (_, grad, grads) = self.sequence_at(path).backward(pair, g, &bodies)?;
            store.extend(grads)?;
            Ok(grad)
        };
        let mut pending = Vec::new();
        // Up path, from the tail back to the middle: each level's input was h + skip.
        let tail_input = self.up[0].merge(&tape.up[0])?;
        let mut vjp = autograd_vjp(|h| self.tail(h), &tail_input, g)?;
        let mut grads = vec![std::mem::take(&mut vjp.grads)];
        let mut grad = vjp.input_grad;
        let mut skip_grads = Vec::with_capacity(tape.up.len());
        for (l, (sequence, pair)) in self.up.iter().zip(&tape.up).enumerate() {
            if l > 0 {
                let input = sequence.merge(pair)?;
                let vjp = autograd_vjp(|h| self.up_resample(l, h), &input, &grad)?;
                grads.push(vjp.grads);
                grad = vjp.input_grad;
            }
            grad = back(Path::Up(l), pair, &grad)?;
            skip_grads.push(grad.clone());
        }
        grad = back(Path::Middle, &tape.middle, &grad)?;
        // Down path: the gradient on a level's output is the next level's plus its skip's.
        for (l, skip) in skip_grads.iter().enumerate().rev() {
            grad = back(Path::Down(l), &tape.down[l], &(grad + skip)?)?;
            let vjp = match l {
                0 => autograd_vjp(|x| self.unet.head.forward(x), &tape.input, &grad)?,
                _ => {
                    let input = self.down[l - 1].merge(&tape.down[l - 1])?;
                    autograd_vjp(|h| self.down_resample(l - 1, h), &input, &grad)?
                }
            };
            pending.push(vjp.grads);
            grad = vjp.input_grad;
        }
        for grads in grads.into_iter().chain(pending) {
            store.extend(grads)?;
        }
        Ok((grad, store))
    }

    /// For each sequence of step `k` at `timestep`: the relative error of its input rebuilt from
    /// its last pair, on a random input of its level's shape and a batch of `batch`.
    #[cfg(test)]
    pub(crate) fn round_trip_errors(
        &self,
        batch: usize,
        k: usize,
        timestep: usize,
        measured: &Measured,
    ) -> Result<Vec<(String, f64)>> {
        let emb = self.embedding(timestep)?;
        let config = self.unet.config();
        let levels = self.down.len();
        let mut paths: Vec<(String, Path, usize)> = Vec::new();
        for l in 0..levels {
            paths.push((format!("down{l}"), Path::Down(l), l));
            paths.push((format!("up{l}"), Path::Up(l), l));
        }
        paths.push(("middle".into(), Path::Middle, levels - 1));
        let mut errors = Vec::new();
        for (name, path, l) in paths {
            let side = 32 >> l;
            let x = Tensor::randn(
                0f32,
                1.0,
                (batch, config.channels << l, side, side),
                &candle_core::Device::Cpu,
            )?;
            let owned = self.bodies(path, k, measured, &emb);
            let bodies: Vec<&dyn Body> = owned.iter().map(|b| b.as_ref()).collect();
            let sequence = self.sequence_at(path);
            let last = sequence.forward_light(&x, &bodies)?;
            let rebuilt = sequence.inverse(&last, &bodies)?;
            let error = crate::diffusion::norm(&(&rebuilt - &x)?)? / crate::diffusion::norm(&x)?;
            errors.push((name, error));
        }
        Ok(errors)
    }
}
