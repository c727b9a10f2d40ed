//! `solve(A, y, prior, solver)`: any registered prior and solver (the learned ones included) on an
//! operator built from Python, with the GIL released for the whole solve and a Python callback
//! after each iteration.

use crate::operator::{Operator, Precision};
use crate::{arrays, convert, errors};
use inversa::operators::physics::BuildContext;
use inversa::operators::LinearOperator;
use inversa::real::Real;
use inversa::solvers::{Control, Iteration, Observer, Problem};
use inversa::task::{prior_and_solver_from_tables, PriorAndSolver};
use numpy::Element;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use std::time::Instant;

/// The inputs of one solve, as Python gave them.
struct Request<'a, 'py> {
    y: &'a Bound<'py, PyAny>,
    solver: toml::Table,
    prior: Option<toml::Table>,
    x0: Option<&'a Bound<'py, PyAny>>,
    callback: Option<Py<PyAny>>,
    noise_sigma: Option<f64>,
    seed: u64,
    threads: Option<usize>,
}

/// Solves `y = A x` with `prior` (the keys of a `[prior]` table; none: least squares) by `solver`
/// (the keys of a `[solver]` table), from `x0` or the solver's `init`. Returns the estimate and
/// `{iterations, converged, objective, objective_history, relative_change_history, seconds,
/// model_calls}`. `callback(iteration, objective, x)` runs after each iteration; returning `False`
/// stops the solve, and an exception it raises ends the solve and is re-raised. `threads`: run on
/// a pool of that many threads of its own (default: the shared pool of all cores).
#[pyfunction]
#[pyo3(signature = (operator, y, solver, prior = None, x0 = None, callback = None, noise_sigma = None, seed = 0, threads = None))]
#[allow(clippy::too_many_arguments, reason = "the Python signature's keywords")]
pub fn solve<'py>(
    py: Python<'py>,
    operator: &Operator,
    y: &Bound<'py, PyAny>,
    solver: &Bound<'py, PyDict>,
    prior: Option<&Bound<'py, PyDict>>,
    x0: Option<&Bound<'py, PyAny>>,
    callback: Option<Py<PyAny>>,
    noise_sigma: Option<f64>,
    seed: u64,
    threads: Option<usize>,
) -> PyResult<(Py<PyAny>, Bound<'py, PyDict>)> {
    let request = Request {
        y,
        solver: convert::table(solver, "solver")?,
        prior: prior.map(|p| convert::table(p, "prior")).transpose()?,
        x0,
        callback,
        noise_sigma,
        seed,
        threads,
    };
    match &operator.inner {
        Precision::F32(op) => solve_in(py, op.as_ref(), request),
        Precision::F64(op) => solve_in(py, op.as_ref(), request),
    }
}

/// The registered priors (the learned ones included) and their one-line summaries.
#[pyfunction]
pub fn prior_kinds() -> Vec<(&'static str, &'static str)> {
    let mut kinds: Vec<_> = inversa::priors::registry::priors::<f64>()
        .iter()
        .map(|e| (e.name, e.summary))
        .collect();
    let learned = inversa_learn::task_extensions::<f64>();
    kinds.extend(learned.priors.iter().map(|e| (e.name, e.summary)));
    kinds
}

/// The registered solvers (the diffusion samplers included) and their one-line summaries.
#[pyfunction]
pub fn solver_kinds() -> Vec<(&'static str, &'static str)> {
    let mut kinds: Vec<_> = inversa::solvers::registry::solvers::<f64>()
        .iter()
        .map(|e| (e.name, e.summary))
        .collect();
    let learned = inversa_learn::task_extensions::<f64>();
    kinds.extend(learned.solvers.iter().map(|e| (e.name, e.summary)));
    kinds
}

fn solve_in<'py, T: Real + Element>(
    py: Python<'py>,
    op: &dyn LinearOperator<T>,
    request: Request<'_, 'py>,
) -> PyResult<(Py<PyAny>, Bound<'py, PyDict>)> {
    let y_array = arrays::borrow::<T>(request.y, "y")?;
    let y = arrays::slice(&y_array, "y")?;
    if y.len() != op.output_len() {
        return Err(errors::value(
            "y",
            format!(
                "expected shape {:?}, found {:?}",
                op.output_shape(),
                arrays::shape_of(&y_array)
            ),
        ));
    }
    let ctx = BuildContext {
        image_shape: op.input_shape().to_vec(),
        seed: request.seed,
        raw: None,
    };
    let extensions = inversa_learn::task_extensions::<T>();
    let PriorAndSolver {
        prior,
        solver,
        init,
    } = prior_and_solver_from_tables(
        request.prior,
        request.solver,
        &ctx,
        request.noise_sigma,
        &extensions,
    )
    .map_err(errors::core)?;
    let mut x = match request.x0 {
        Some(x0) => starting_point(op, x0)?,
        None => py.detach(|| init.start(op, y)),
    };
    let problem = Problem {
        operator: op,
        measurement: y,
        prior: prior.as_ref(),
    };
    let mut observer = PythonObserver {
        callback: request.callback,
        shape: op.input_shape().to_vec(),
        objective: Vec::new(),
        relative_change: Vec::new(),
        error: None,
    };
    let start = Instant::now();
    let outcome = py.detach(|| {
        arrays::on_threads(request.threads, || {
            solver.solve(&problem, &mut x, &mut observer)
        })
    })?;
    let seconds = start.elapsed().as_secs_f64();
    if let Some(error) = observer.error {
        return Err(error);
    }
    let mut info = outcome.map_err(|e| errors::core(e.into()))?;
    arrays::check_finite(&x, "the estimate")?;
    if info.objective.is_nan() {
        info.objective = py.detach(|| problem.objective(&x));
    }
    let dict = PyDict::new(py);
    dict.set_item("iterations", info.iterations)?;
    dict.set_item("converged", info.converged)?;
    dict.set_item("objective", info.objective)?;
    dict.set_item("objective_history", observer.objective)?;
    dict.set_item("relative_change_history", observer.relative_change)?;
    dict.set_item("seconds", seconds)?;
    dict.set_item("model_calls", info.model_calls)?;
    let estimate = arrays::owned(py, op.input_shape(), x)?;
    Ok((estimate, dict))
}

/// A copy of `x0` (the solve overwrites it; the caller's array is left alone).
fn starting_point<T: Real + Element>(
    op: &dyn LinearOperator<T>,
    x0: &Bound<'_, PyAny>,
) -> PyResult<Vec<T>> {
    let array = arrays::borrow::<T>(x0, "x0")?;
    let data = arrays::slice(&array, "x0")?;
    if data.len() != op.input_len() {
        return Err(errors::value(
            "x0",
            format!(
                "expected shape {:?}, found {:?}",
                op.input_shape(),
                arrays::shape_of(&array)
            ),
        ));
    }
    Ok(data.to_vec())
}

/// Records each iteration and hands it to the Python callback, taking the GIL only for that.
struct PythonObserver {
    callback: Option<Py<PyAny>>,
    /// The image's shape, for the iterate handed to the callback.
    shape: Vec<usize>,
    objective: Vec<f64>,
    relative_change: Vec<f64>,
    error: Option<PyErr>,
}

impl<T: Real + Element> Observer<T> for PythonObserver {
    fn observe(&mut self, iteration: &Iteration<T>) -> Control {
        self.objective.push(iteration.objective);
        self.relative_change.push(iteration.relative_change);
        let Some(callback) = &self.callback else {
            return Control::Continue;
        };
        ask(callback, &mut self.error, |py| {
            let x = arrays::owned(py, &self.shape, iteration.x.to_vec())?;
            (iteration.index, iteration.objective, x).into_pyobject(py)
        })
    }
}

/// Calls a Python progress callback with the GIL taken for that call only: `False` stops the
/// run (`None`, what a function without `return` gives, continues), and an exception stops it
/// and is kept in `error` to be raised once the run is back in Python.
pub fn ask(
    callback: &Py<PyAny>,
    error: &mut Option<PyErr>,
    arguments: impl for<'py> FnOnce(Python<'py>) -> PyResult<Bound<'py, PyTuple>>,
) -> Control {
    let result = Python::attach(|py| {
        let answer = callback.call1(py, arguments(py)?)?;
        answer
            .bind(py)
            .is_truthy()
            .map(|go| go || answer.is_none(py))
    });
    match result {
        Ok(true) => Control::Continue,
        Ok(false) => Control::Stop,
        Err(e) => {
            *error = Some(e);
            Control::Stop
        }
    }
}
