//! Direct reconstruction with the physics' analytic inverse — filtered back-projection for CT
//! (Kak & Slaney, "Principles of Computerized Tomographic Imaging", 1988, ch. 3). Not iterative: it
//! reports one step and ignores the prior.

use super::{Info, Monitor, Next, Observer, Problem, Solver, SolverError, Stopping};
use crate::config::Section;
use crate::real::Real;

/// Filtered back-projection (or the physics' own direct inverse).
pub struct Fbp;

impl<T: Real> Solver<T> for Fbp {
    fn solve(
        &self,
        problem: &Problem<T>,
        x: &mut [T],
        observer: &mut dyn Observer<T>,
    ) -> Result<Info, SolverError> {
        Monitor::check_problem("fbp", problem)?;
        if !problem.operator.analytic_inverse(problem.measurement, x) {
            return Err(SolverError::Unsupported {
                solver: "fbp",
                reason: "filtered back-projection needs physics.kind = \"ct\"".into(),
            });
        }
        let stopping = Stopping {
            iterations: 1,
            tolerance: 0.0,
        };
        let mut monitor = Monitor::new("fbp", stopping, observer, x);
        match monitor.step_unscored(1, x)? {
            Next::Done(info) => Ok(info),
            Next::Continue => unreachable!("one iteration is the limit"),
        }
    }
}

/// Builds `solver.kind = "fbp"` (no further keys; the ramp-filter window is `physics.filter`).
pub fn from_config<T: Real>(_: &mut Section) -> crate::Result<Box<dyn Solver<T>>> {
    Ok(Box::new(Fbp))
}
