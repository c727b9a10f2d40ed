//! Everything before the test: the data, the operator with its exact linear propagators, both
//! training stages and the tuning of the fixed gain; then the three rollouts on held-out data.

use super::data::{readings, rms, sensor_positions, Simulation};
use super::operator::{PeriodicCnn, Semilinear, Sensors};
use super::rollout::{nudging, roll, tune_fixed_gain, Estimator, FixedGain, Rollout};
use super::settings::Settings;
use super::train::{observer, predictor, Schedule};
use crate::pde::kuramoto_sivashinsky::{phi1, Etdrk4};
use crate::Result;
use candle_core::{Device, Tensor};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

pub struct Built {
    pub model: Semilinear,
    pub sensors: Sensors,
    /// The readings' noise spread.
    pub sigma: f64,
    pub predictor_loss: Vec<f64>,
    pub observer_loss: Vec<f64>,
    pub fixed_gain: FixedGain,
    /// Held-out trajectories, `horizon + 1` states each.
    test: Vec<Vec<Vec<f64>>>,
}

impl Built {
    pub fn new(settings: &Settings, say: &mut dyn FnMut(&str)) -> Result<Self> {
        let h = settings.solver_step();
        let simulation = Simulation {
            solver: Etdrk4::new(settings.grid, settings.length, h),
            substeps: settings.substeps,
            spin_up: (settings.spin_up / h).round() as usize,
        };
        let seed = settings.seed;
        let train = simulation.trajectory(settings.train_samples, seed);
        let test: Vec<_> = (0..settings.test_trajectories)
            .map(|i| simulation.trajectory(settings.horizon + 1, seed ^ (0x7e57 + i as u64) << 8))
            .collect();
        let scale = rms(&train);
        let sigma = settings.noise * scale;
        say(&format!(
            "simulated {} training and {} × {} test samples (RMS {scale:.3})",
            train.len(),
            test.len(),
            settings.horizon + 1
        ));
        let model = operator(settings, &simulation.solver, scale)?;
        let sensors = Sensors::new(
            settings.grid,
            sensor_positions(settings.grid, settings.sensors, seed ^ 0x5e45),
        )?;
        let predictor_loss = predictor(&model, &train, &stage_one(settings))?;
        say(&format!(
            "prediction stage: loss {:.2e} → {:.2e}",
            predictor_loss[0],
            predictor_loss[predictor_loss.len() - 1]
        ));
        let observer_loss = observer(&model, &sensors, &train, sigma, &stage_two(settings))?;
        say(&format!(
            "assimilation stage: loss {:.2e} → {:.2e}",
            observer_loss[0],
            observer_loss[observer_loss.len() - 1]
        ));
        let fixed_gain = tune_fixed_gain(
            &model,
            &sensors,
            &tuning_windows(settings, &train),
            sigma,
            seed ^ 0x70e,
        )?;
        say(&format!(
            "fixed gain: γ = {}, σ = {} cells",
            fixed_gain.gamma, fixed_gain.sigma
        ));
        Ok(Self {
            model,
            sensors,
            sigma,
            predictor_loss,
            observer_loss,
            fixed_gain,
            test,
        })
    }

    /// The three estimators on the held-out trajectories, with the same readings.
    pub fn evaluate(&self, settings: &Settings) -> Result<Vec<(&'static str, Rollout)>> {
        let mut rng = ChaCha8Rng::seed_from_u64(settings.seed ^ 0x0b5e);
        let readings: Vec<_> = self
            .test
            .iter()
            .map(|t| readings(t, &self.sensors.positions, self.sigma, &mut rng))
            .collect();
        let gain = nudging(
            settings.grid,
            self.fixed_gain.gamma,
            self.fixed_gain.sigma,
            settings.dt,
        )?;
        let estimators = [
            ("prediction only", Estimator::Prediction),
            ("learned observer (NODA)", Estimator::Learned),
            ("fixed-gain nudging", Estimator::Fixed(gain)),
        ];
        estimators
            .into_iter()
            .map(|(name, e)| {
                Ok((
                    name,
                    roll(&self.model, &self.sensors, &self.test, &readings, &e)?,
                ))
            })
            .collect()
    }

    /// The first held-out trajectory.
    pub fn test_truth_field(&self) -> Vec<Vec<f64>> {
        self.test[0].clone()
    }
}

/// The operator with KS's exact linear propagators and freshly drawn networks.
fn operator(settings: &Settings, solver: &Etdrk4, scale: f64) -> Result<Semilinear> {
    let (n, dt) = (settings.grid, settings.dt);
    let symbol = solver.spectral.ks_symbol();
    let matrix = |m: &dyn Fn(f64) -> f64| -> Result<Tensor> {
        let values = solver.spectral.multiplier_matrix(&symbol, m);
        Ok(Tensor::from_vec(values, (n, n), &Device::Cpu)?)
    };
    // Row vectors multiply from the left: x Mᵀ applies M (Mᵀ = −M for the derivative).
    let flux = solver
        .spectral
        .derivative_matrix(&symbol, |l| dt * phi1(dt * l));
    let flux_integrator = Tensor::from_vec(flux, (n, n), &Device::Cpu)?
        .t()?
        .contiguous()?;
    let mut channels = vec![2];
    channels.extend(std::iter::repeat_n(settings.width, settings.depth));
    channels.push(1);
    // A nonlinear gain (two tanh layers of 8) let the observer diverge at step 316 of the full
    // run; the default is the linear one, a learned stationary Luenberger gain.
    let gain_channels = match settings.gain_width {
        0 => vec![1, 1],
        w => vec![1, w, w, 1],
    };
    Ok(Semilinear {
        propagator: matrix(&|l| (dt * l).exp())?,
        integrator: matrix(&|l| dt * phi1(dt * l))?,
        flux_integrator,
        nonlinear: PeriodicCnn::new(&channels, settings.radius, true, 0.1, settings.seed ^ 0x6e)?,
        skip: PeriodicCnn::new(&[2, 1], settings.radius, false, 0.1, settings.seed ^ 0x6f)?,
        gain: PeriodicCnn::new(
            &gain_channels,
            settings.gain_radius,
            false,
            0.1,
            settings.seed ^ 0x6a,
        )?,
        scale,
        dt,
    })
}

fn stage_one(s: &Settings) -> Schedule {
    Schedule {
        steps: s.steps,
        rate: s.rate,
        batch: s.batch,
        window: s.window,
        seed: s.seed ^ 0x51,
    }
}

fn stage_two(s: &Settings) -> Schedule {
    Schedule {
        steps: s.gain_steps,
        rate: s.gain_rate,
        batch: s.gain_batch,
        window: s.assimilation_window,
        seed: s.seed ^ 0x52,
    }
}

/// Four windows of the training trajectory, each as long as the longer of 160 steps and the
/// assimilation window, for tuning the fixed gain.
fn tuning_windows(settings: &Settings, train: &[Vec<f64>]) -> Vec<Vec<Vec<f64>>> {
    let length = (160.max(settings.assimilation_window) + 1).min(train.len());
    let room = train.len() - length;
    (0..4)
        .map(|i| train[room * i / 4..room * i / 4 + length].to_vec())
        .collect()
}
