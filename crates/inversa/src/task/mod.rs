//! A task: data + physics + prior + solver, read from a TOML file and run. Its keys are in the README
//! and `inversa run --help`; every table is read through [`Section`]: a typo is an error, not ignored.

use crate::config::Section;
use crate::error::{Error, Result};
use crate::io::Array;
use crate::noise::Noise;
use crate::operators::physics::{BuildContext, Physics};
use crate::operators::registry as physics_registry;
use crate::operators::LinearOperator;
use crate::priors::Prior;
use crate::real::{lit, Real};
use crate::solvers::{Control, Info, Iteration, Observer, Problem, Solver};
use data_section::{check_measurement, load_data, LoadedData};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod data_section;
mod prior_and_solver;
mod reference;

use prior_and_solver::{prior_and_solver, Parts};
pub use prior_and_solver::{prior_and_solver_from_tables, Extensions, PriorAndSolver};
pub use reference::KEY_REFERENCE;

/// Floating-point precision a task runs in (`run.precision`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    F32,
    F64,
}

/// How the solver's starting point is chosen (`solver.init`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Init {
    /// All zeros.
    Zeros,
    /// `A*y / ‖A‖²`: the back-projected measurement, scaled to the image's range.
    Adjoint,
}

impl Init {
    /// The starting point for measurement `y` of `op`.
    pub fn start<T: Real>(self, op: &dyn LinearOperator<T>, y: &[T]) -> Vec<T> {
        match self {
            Init::Zeros => vec![T::zero(); op.input_len()],
            Init::Adjoint => {
                let norm = op.norm_estimate(20, 0);
                let scale = lit::<T>(if norm > 0.0 { 1.0 / (norm * norm) } else { 0.0 });
                op.adjoint_new(y).into_iter().map(|v| v * scale).collect()
            }
        }
    }
}

/// A task ready to run: every file read, every piece built, the measurement simulated or loaded.
pub struct Task<T: Real> {
    /// The task's name (its file stem), used in titles.
    pub name: String,
    /// The TOML text it came from.
    pub source: String,
    /// Shape of the unknown, `[channels, height, width]`.
    pub image_shape: Vec<usize>,
    /// The true image when known (simulated tasks, or `data.image` next to `data.measurement`).
    pub ground_truth: Option<Vec<T>>,
    pub physics_kind: String,
    pub prior_kind: String,
    pub solver_kind: String,
    pub physics: Physics<T>,
    pub prior: Box<dyn Prior<T>>,
    pub solver: Box<dyn Solver<T>>,
    pub measurement: Vec<T>,
    pub init: Init,
    /// Files the task reads; outputs must never replace them.
    pub inputs: Vec<PathBuf>,
}

/// Per-iteration records of a run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    pub objective: Vec<f64>,
    /// PSNR (dB) of each iterate against the ground truth; empty when there is none.
    pub psnr: Vec<f64>,
    pub relative_change: Vec<f64>,
}

/// What a run produced.
pub struct Outcome<T: Real> {
    pub reconstruction: Vec<T>,
    /// The solver's starting point (the baseline the reconstruction improves on).
    pub initial: Vec<T>,
    pub info: Info,
    /// Wall time of the solve alone, without the per-iteration metrics the observer computed.
    pub seconds: f64,
    pub history: History,
    /// Quality against the ground truth, when known.
    pub quality: Option<Quality>,
    /// Quality of the starting point, when the ground truth is known.
    pub initial_quality: Option<Quality>,
}

/// Image quality against the ground truth (data range 1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quality {
    pub psnr: f64,
    pub ssim: f64,
    pub nmse: f64,
}

/// A task file read and parsed once: its precision is known before the task is built at it.
pub struct TaskFile {
    path: PathBuf,
    text: String,
    table: toml::Table,
}

impl TaskFile {
    /// Reads and parses the TOML file at `path`.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::parse(text, path)
    }

    /// Parses TOML `text` as the task file at `path` (which names it in errors and resolves its
    /// relative paths).
    ///
    /// ```
    /// use inversa::task::{Precision, TaskFile};
    /// use std::path::Path;
    /// let file = TaskFile::parse("[run]\nprecision = \"f64\"".into(), Path::new("t.toml"))?;
    /// assert_eq!(file.precision()?, Precision::F64);
    /// let error = TaskFile::parse("[run".into(), Path::new("t.toml")).err().unwrap();
    /// assert!(error.to_string().starts_with("t.toml: not a valid TOML task file"));
    /// # Ok::<(), inversa::Error>(())
    /// ```
    pub fn parse(text: String, path: &Path) -> Result<Self> {
        let table = parse(&text, path)?;
        Ok(Self {
            path: path.to_path_buf(),
            text,
            table,
        })
    }

    /// `run.precision` (`f32` unless the file says otherwise), so the caller can pick `f32` or `f64`.
    pub fn precision(&self) -> Result<Precision> {
        let Some(run) = self.table.get("run").and_then(|v| v.as_table()) else {
            return Ok(Precision::F32);
        };
        let mut section = Section::new(run, "run", Path::new("."));
        Ok(
            match section
                .choice_or("precision", "f32", &["f32", "f64"])?
                .as_str()
            {
                "f64" => Precision::F64,
                _ => Precision::F32,
            },
        )
    }

    /// Builds the task in precision `T`, with the priors and solvers of `extensions` beyond the
    /// core's; relative paths are resolved against the file's folder.
    pub fn build<T: Real>(&self, extensions: &Extensions<T>) -> Result<Task<T>> {
        let base = self.path.parent().unwrap_or(Path::new("."));
        let name = self
            .path
            .file_stem()
            .map_or("task".into(), |s| s.to_string_lossy().into_owned());
        let mut task = Task::from_table(&self.table, &self.text, base, &name, None, extensions)?;
        task.inputs.push(self.path.clone());
        files_named(
            &toml::Value::Table(self.table.clone()),
            base,
            &mut task.inputs,
        );
        Ok(task)
    }
}

/// Every string in `value` that names an existing file or folder (relative to `base`): the files a
/// task reads (its kernel, mask, coil maps and network weights as well as its data), found
/// without each reader having to report them, so that no output can replace one.
fn files_named(value: &toml::Value, base: &Path, found: &mut Vec<PathBuf>) {
    match value {
        toml::Value::String(text) => {
            let path = base.join(text);
            if !text.is_empty() && path.exists() && !found.contains(&path) {
                found.push(path);
            }
        }
        toml::Value::Array(items) => items.iter().for_each(|v| files_named(v, base, found)),
        toml::Value::Table(table) => table.values().for_each(|v| files_named(v, base, found)),
        _ => {}
    }
}

fn parse(text: &str, origin: &Path) -> Result<toml::Table> {
    text.parse::<toml::Table>()
        .map_err(|e| Error::format(origin, format!("not a valid TOML task file: {e}")))
}

/// The `[data]` table, or the image given in memory (then there must be no `[data]`).
fn data_table(
    root: &mut Section,
    image: Option<Array>,
    inputs: &mut Vec<PathBuf>,
) -> Result<LoadedData> {
    if let Some(image) = image {
        if root.has("data") {
            let message = "the image is given in memory; remove the [data] table";
            return Err(Error::config("data", message));
        }
        return data_section::in_memory(image);
    }
    let mut data = required(root, "data", "image = \"...\" or measurement = \"...\"")?;
    let loaded = load_data(&mut data, inputs)?;
    data.finish()?;
    Ok(loaded)
}

/// A required sub-table of the task file.
pub(super) fn required<'a>(
    root: &mut Section<'a>,
    key: &'static str,
    what: &str,
) -> Result<Section<'a>> {
    root.table_opt(key)?
        .ok_or_else(|| Error::config(key, format!("missing [{key}] table ({what})")))
}

impl<T: Real> Task<T> {
    /// Reads and builds the task in the TOML file at `path`.
    pub fn from_file(path: &Path) -> Result<Self> {
        Self::from_file_with(path, &Extensions::default())
    }

    /// [`Task::from_file`] with priors and solvers beyond the core's (those of `inversa-learn`).
    pub fn from_file_with(path: &Path, extensions: &Extensions<T>) -> Result<Self> {
        TaskFile::read(path)?.build(extensions)
    }

    /// Builds a task from TOML `text`; relative paths are resolved against `base_dir`.
    pub fn from_toml(text: &str, base_dir: &Path, name: &str) -> Result<Self> {
        Self::from_toml_with(text, base_dir, name, &Extensions::default())
    }

    /// [`Task::from_toml`] with priors and solvers beyond the core's.
    pub fn from_toml_with(
        text: &str,
        base_dir: &Path,
        name: &str,
        extensions: &Extensions<T>,
    ) -> Result<Self> {
        let table = parse(text, Path::new(name))?;
        Self::from_table(&table, text, base_dir, name, None, extensions)
    }

    /// A task on an image held in memory (`[C, H, W]` or `[H, W]`, finite): `text` is a task file
    /// without its `[data]` table, and `image` is the ground truth the measurement is simulated
    /// from, as `data.image` would be. Experiments run many images through one task text this way.
    pub fn from_toml_with_image(
        text: &str,
        image: Array,
        base_dir: &Path,
        name: &str,
        extensions: &Extensions<T>,
    ) -> Result<Self> {
        let table = parse(text, Path::new(name))?;
        Self::from_table(&table, text, base_dir, name, Some(image), extensions)
    }

    /// Builds a task from its parsed TOML `table` (whose source is `text`), on `image` when given
    /// (then the table has no `[data]`).
    #[allow(
        clippy::expect_used,
        reason = "choice_or accepted only registered names"
    )]
    fn from_table(
        table: &toml::Table,
        text: &str,
        base_dir: &Path,
        name: &str,
        image: Option<Array>,
        extensions: &Extensions<T>,
    ) -> Result<Self> {
        let mut root = Section::new(table, "", base_dir);
        let mut run = root.table_opt("run")?;
        let (seed, samples) = match run.as_mut() {
            Some(r) => (
                r.usize_or("seed", 0)? as u64,
                r.positive_usize_or("samples", 1)?,
            ),
            None => (0, 1),
        };
        if let Some(mut r) = run {
            r.choice_or("precision", "f32", &["f32", "f64"])?;
            r.finish()?;
        }
        let mut inputs = Vec::new();
        let loaded = data_table(&mut root, image, &mut inputs)?;
        let ground_truth: Option<Vec<T>> = loaded
            .ground_truth
            .map(|a| a.data.iter().map(|v| lit(*v)).collect());
        let ctx = BuildContext {
            image_shape: loaded.image_shape.clone(),
            seed,
            raw: loaded.raw.clone(),
        };

        let mut physics_section =
            required(&mut root, "physics", "kind = \"blur\" and its settings")?;
        let physics_kind =
            physics_section.choice_or("kind", "denoise", &physics_registry::names())?;
        let entry = physics_registry::find::<T>(&physics_kind).expect("choice_or checked the name");
        let noise = Noise::from_config(&mut physics_section)?;
        let mut physics = (entry.build)(&mut physics_section, &ctx)?;
        physics_section.finish()?;

        let Parts {
            prior_kind,
            prior,
            solver_kind,
            solver,
            init,
        } = prior_and_solver(&mut root, &ctx, noise, samples, extensions)?;
        root.finish()?;

        // A measured scan the physics undersampled itself: its kept samples are the measurement,
        // and the full scan's reconstruction the truth to score against.
        let (ground_truth, retrospective) = match physics.retrospective.take() {
            Some(r) => (ground_truth.or(r.reference), Some(r.measurement)),
            None => (ground_truth, None),
        };
        let measurement = match (loaded.measurement, &ground_truth) {
            (Some(_), _) if !matches!(noise, Noise::None) => {
                return Err(Error::config(
                    "physics.noise",
                    "noise is added to a simulated measurement, but data.measurement gives a \
                     measured one; remove one of them",
                ))
            }
            (Some(_), _) if retrospective.is_some() => retrospective.unwrap_or_default(),
            (Some((path, array)), _) => {
                check_measurement(&path, array, physics.operator.output_shape())?
            }
            (None, Some(truth)) => {
                let mut y = physics.operator.apply_new(truth);
                noise.apply(
                    &mut y,
                    physics.display.is_complex(),
                    seed.wrapping_add(0x9e37_79b9),
                )?;
                y
            }
            (None, None) => unreachable!("load_data requires an image or a measurement"),
        };

        Ok(Self {
            name: name.to_string(),
            source: text.to_string(),
            image_shape: loaded.image_shape,
            ground_truth,
            physics_kind,
            prior_kind,
            solver_kind,
            physics,
            prior,
            solver,
            measurement,
            init,
            inputs,
        })
    }

    /// The solver's starting point.
    pub fn initial_guess(&self) -> Vec<T> {
        self.init
            .start(self.physics.operator.as_ref(), &self.measurement)
    }

    /// Runs the solver, calling `progress` after every iteration with the iteration and its PSNR
    /// (when the ground truth is known); [`Control::Stop`] ends the solve there.
    pub fn run(&self, progress: &mut dyn FnMut(&Step<T>) -> Control) -> Result<Outcome<T>> {
        let initial = self.initial_guess();
        let mut x = initial.clone();
        let problem = Problem {
            operator: self.physics.operator.as_ref(),
            measurement: &self.measurement,
            prior: self.prior.as_ref(),
        };
        let mut recorder = Recorder {
            truth: self.ground_truth.as_deref(),
            history: History::default(),
            progress,
            spent: Duration::ZERO,
        };
        let start = Instant::now();
        let mut info = self.solver.solve(&problem, &mut x, &mut recorder)?;
        let seconds = (start.elapsed() - recorder.spent).as_secs_f64();
        let mut history = recorder.history;
        // A direct method leaves the objective to the report, outside the timed solve.
        if info.objective.is_nan() {
            info.objective = problem.objective(&x);
            if let Some(last) = history.objective.last_mut() {
                *last = info.objective;
            }
        }
        let quality = self.quality(&x)?;
        let initial_quality = self.quality(&initial)?;
        Ok(Outcome {
            reconstruction: x,
            initial,
            info,
            seconds,
            history,
            quality,
            initial_quality,
        })
    }

    fn quality(&self, x: &[T]) -> Result<Option<Quality>> {
        let Some(truth) = &self.ground_truth else {
            return Ok(None);
        };
        let x64: Vec<f64> = x.iter().map(|v| v.to_f64().unwrap_or(f64::NAN)).collect();
        let t64: Vec<f64> = truth
            .iter()
            .map(|v| v.to_f64().unwrap_or(f64::NAN))
            .collect();
        Ok(Some(Quality {
            psnr: crate::metrics::psnr(&x64, &t64, 1.0),
            ssim: crate::metrics::ssim(&x64, &t64, &self.image_shape, 1.0)?,
            nmse: crate::metrics::nmse(&x64, &t64),
        }))
    }
}

/// One iteration of a task's solve, as its progress callback sees it.
pub struct Step<'a, T: Real> {
    pub iteration: &'a Iteration<'a, T>,
    /// The PSNR against the ground truth, when the task has one.
    pub psnr: Option<f64>,
}

/// Records the history and forwards each iteration to the progress callback; the time it takes is
/// subtracted from the reported solve time.
struct Recorder<'a, T: Real> {
    truth: Option<&'a [T]>,
    history: History,
    progress: &'a mut dyn FnMut(&Step<T>) -> Control,
    spent: Duration,
}

impl<T: Real> Observer<T> for Recorder<'_, T> {
    fn observe(&mut self, iteration: &Iteration<T>) -> Control {
        let start = Instant::now();
        self.history.objective.push(iteration.objective);
        self.history.relative_change.push(iteration.relative_change);
        let psnr = self
            .truth
            .map(|t| crate::metrics::psnr(iteration.x, t, 1.0));
        if let Some(p) = psnr {
            self.history.psnr.push(p);
        }
        let control = (self.progress)(&Step { iteration, psnr });
        self.spent += start.elapsed();
        control
    }
}
