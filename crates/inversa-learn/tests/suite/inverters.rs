//! Every registered inversion method through the one `Inverter` interface, on the analytic
//! Gaussian mixture (a model with no training error): each keeps the shape of its input, counts
//! exactly the network calls it makes, refuses a model of the other kind and a latent of another
//! method by name, and exactly the methods the registry marks exact regenerate their input to
//! round-off.
//! A method is tested here by being registered.

use candle_core::{DType, Tensor};
use inversa_learn::diffusion::analytic::{Component, GaussianMixture};
use inversa_learn::diffusion::inversion::null_text::NullConditioned;
use inversa_learn::diffusion::inversion::registry::{self, InverterEntry};
use inversa_learn::diffusion::inversion::{Model, ModelKind, Settings};
use inversa_learn::diffusion::{norm, Inverter, NoisePredictor, NoiseSchedule, VelocityModel};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::cell::Cell;

const DIM: usize = 16;

/// Three classes of two Gaussians each, means of spread 1.5, stds 0.3–0.6.
fn mixture() -> GaussianMixture {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let components = (0..6)
        .map(|j| Component {
            class: j / 2,
            weight: if j % 2 == 0 { 0.6 } else { 0.4 },
            mean: (0..DIM)
                .map(|_| 1.5 * rng.sample::<f64, _>(rand_distr::StandardNormal))
                .collect(),
            std: rng.gen_range(0.3..0.6),
        })
        .collect();
    GaussianMixture::new(components, NoiseSchedule::linear(1000).unwrap()).unwrap()
}

/// The mixture, counting every evaluation independently of the inverters' own count.
struct Tally<'a> {
    model: &'a GaussianMixture,
    calls: Cell<usize>,
}

impl Tally<'_> {
    fn count(&self) {
        self.calls.set(self.calls.get() + 1);
    }
}

impl NoisePredictor for Tally<'_> {
    fn eps(&self, x_t: &Tensor, t: usize, class: Option<usize>) -> candle_core::Result<Tensor> {
        self.count();
        self.model.eps(x_t, t, class)
    }
}

impl NullConditioned for Tally<'_> {
    fn eps_null(&self, x_t: &Tensor, t: usize, null: &Tensor) -> candle_core::Result<Tensor> {
        self.count();
        self.model.eps_null(x_t, t, null)
    }

    fn null_condition(&self, dtype: DType) -> candle_core::Result<Tensor> {
        NullConditioned::null_condition(self.model, dtype)
    }
}

impl VelocityModel for Tally<'_> {
    fn velocity(&self, x_t: &Tensor, t: f64, class: Option<usize>) -> candle_core::Result<Tensor> {
        self.count();
        self.model.velocity(x_t, t, class)
    }
}

/// `entry`'s inverter on `model` as the kind it needs (or the other kind, with `wrong_kind`).
fn build<'a>(
    entry: &InverterEntry,
    model: &'a Tally<'a>,
    steps: usize,
    wrong_kind: bool,
) -> inversa_learn::Result<Box<dyn Inverter + 'a>> {
    let settings = Settings {
        steps,
        guidance: 3.0,
        ..Settings::default()
    };
    let diffusion = (entry.kind == ModelKind::Diffusion) != wrong_kind;
    let model = if diffusion {
        let grid = model.model.schedule().grid(steps).unwrap();
        Model::Diffusion { model, grid }
    } else {
        Model::Flow(model)
    };
    (entry.build)(model, &settings)
}

fn sources(model: &GaussianMixture, class: usize) -> Tensor {
    model.sample(4, Some(class), 21, DType::F64).unwrap()
}

fn relative(a: &Tensor, b: &Tensor) -> f64 {
    norm(&(a - b).unwrap()).unwrap() / norm(a).unwrap()
}

#[test]
fn every_method_keeps_the_shape_and_counts_its_calls() {
    let mixture = mixture();
    let x0 = sources(&mixture, 1);
    for entry in registry::inverters() {
        let tally = Tally {
            model: &mixture,
            calls: Cell::new(0),
        };
        let inverter = build(&entry, &tally, 10, false).unwrap();
        let latent = inverter.invert(&x0, 1).unwrap();
        assert_eq!(inverter.calls(), tally.calls.get(), "{}", entry.name);
        let dims = latent.tensor().unwrap().dims().to_vec();
        assert!(dims.ends_with(x0.dims()), "{}: latent {dims:?}", entry.name);
        let inverted = inverter.calls();
        for class in [1, 2] {
            let again = inverter.regenerate(&latent, class).unwrap();
            assert_eq!(again.dims(), x0.dims(), "{}", entry.name);
            assert!(norm(&again).unwrap().is_finite(), "{}", entry.name);
        }
        assert_eq!(inverter.calls(), tally.calls.get(), "{}", entry.name);
        assert!(inverter.calls() > inverted, "{} regenerates", entry.name);
    }
}

#[test]
fn the_exact_methods_regenerate_their_input_to_round_off() {
    let mixture = mixture();
    let x0 = sources(&mixture, 1);
    for entry in registry::inverters() {
        let tally = Tally {
            model: &mixture,
            calls: Cell::new(0),
        };
        let inverter = build(&entry, &tally, 50, false).unwrap();
        let latent = inverter.invert(&x0, 1).unwrap();
        let error = relative(&x0, &inverter.regenerate(&latent, 1).unwrap());
        eprintln!("{}: relative reconstruction error {error:.2e}", entry.name);
        if entry.exact {
            assert!(error < 1e-10, "{} is registered exact: {error}", entry.name);
        } else {
            // The flag is honest both ways: an approximate method leaves a visible error.
            assert!(
                error > 1e-9,
                "{} is registered inexact: {error}",
                entry.name
            );
        }
    }
}

#[test]
fn a_model_of_the_other_kind_and_a_foreign_latent_are_refused_by_name() {
    let mixture = mixture();
    let tally = Tally {
        model: &mixture,
        calls: Cell::new(0),
    };
    let x0 = sources(&mixture, 0);
    for entry in registry::inverters() {
        let message = build(&entry, &tally, 5, true).err().unwrap().to_string();
        assert!(message.starts_with("method"), "{}: {message}", entry.name);
    }
    // EDICT's pair is no DDIM latent.
    let edict = build(&registry::find("edict").unwrap(), &tally, 5, false).unwrap();
    let pair = edict.invert(&x0, 0).unwrap();
    let ddim = build(&registry::find("ddim").unwrap(), &tally, 5, false).unwrap();
    let message = ddim.regenerate(&pair, 0).err().unwrap().to_string();
    assert!(message.starts_with("latent"), "{message}");
    assert_eq!(
        registry::names(ModelKind::Flow),
        ["euler", "rf-solver"],
        "the flow methods"
    );
}
