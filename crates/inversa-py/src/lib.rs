//! `inversa._native`: the compiled half of the Python package (issue 19). The Python half
//! (`python/inversa/`) gives it the shapes NumPy users know — physics classes, complex k-space,
//! deepinv interop — and this half does the work: every call that computes releases the GIL, and a
//! C-contiguous array of the operator's precision is read in place, never copied.

use pyo3::prelude::*;

mod arrays;
mod convert;
mod errors;
mod experiment;
mod learned;
mod operator;
mod solve;
mod task;

#[pymodule]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<operator::Operator>()?;
    module.add_function(wrap_pyfunction!(operator::physics_kinds, module)?)?;
    module.add_function(wrap_pyfunction!(arrays::input_address, module)?)?;
    module.add_function(wrap_pyfunction!(solve::solve, module)?)?;
    module.add_function(wrap_pyfunction!(solve::prior_kinds, module)?)?;
    module.add_function(wrap_pyfunction!(solve::solver_kinds, module)?)?;
    module.add_function(wrap_pyfunction!(task::run_task_file, module)?)?;
    module.add_function(wrap_pyfunction!(task::run_task_table, module)?)?;
    module.add_function(wrap_pyfunction!(learned::denoise, module)?)?;
    module.add_function(wrap_pyfunction!(learned::invert, module)?)?;
    module.add_function(wrap_pyfunction!(learned::edit, module)?)?;
    module.add_function(wrap_pyfunction!(learned::builtin_image, module)?)?;
    module.add_function(wrap_pyfunction!(learned::fashion_test_images, module)?)?;
    module.add_function(wrap_pyfunction!(experiment::experiment, module)?)?;
    module.add_function(wrap_pyfunction!(experiment::attack, module)?)?;
    module.add("EXPERIMENTS", experiment::EXPERIMENTS.to_vec())?;
    module.add("ATTACKS", experiment::ATTACKS.to_vec())?;
    module.add("KEY_REFERENCE", inversa::task::KEY_REFERENCE)?;
    Ok(())
}
