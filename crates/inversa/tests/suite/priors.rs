//! Every registered prior passes the same checks (the proximal-map tests of scico's `functional`
//! suite, done by brute force): a new prior is tested by being registered.
//!
//! - `prox_{τR}(v)` minimises `F(z) = ½‖z − v‖² + τR(z)`: no exact line search from it along pixel
//!   directions, along the rows of the analysis operator `K` (when there is one) or along random
//!   directions lowers `F`, nor does a slow coordinate search started from `v`; the map is firmly
//!   non-expansive.
//! - Moreau's identity `p = prox_{σg*}(p) + σ·prox_{g/σ}(p/σ)` where `K` is orthogonal, so that
//!   `g(u) = R(K*u)` can be evaluated: `(p − prox_{σg*}(p))/σ` must minimise `½‖u − p/σ‖² + g(u)/σ` by
//!   the same brute-force test. For any `K`, `prox_{σg*}` must be firmly non-expansive; when it does not
//!   depend on `σ` (so `g*` is an indicator and `g` the support function of its set) it must be
//!   idempotent, stay inside the set (`⟨P(a), Kx⟩ ≤ R(x)`) and reach `R(x) = ⟨P(sKx), Kx⟩` for large `s`.
//! - `R ≥ 0` with `R(0) = 0`, and `f32` agrees with `f64`.

use inversa::operators::{random_vector, LinearOperator, EXAMPLE_SHAPE};
use inversa::priors::registry::priors;
use inversa::priors::Prior;
use inversa::real::{dot, norm, Real};

const TAUS: [f64; 3] = [0.05, 0.5, 3.0];
const SIGMAS: [f64; 3] = [0.1, 1.0, 5.0];
/// A brute-force search may beat the prox by at most this fraction of `1 + F`. Closed-form proxes
/// are exact to ~1e-13 of it; the slack admits iterative ones (TV's 500 dual steps on the example stop
/// ~3e-8 of `F` short), while a wrong formula costs far more (a threshold off by half: ~1e-4).
const GAP_TOLERANCE: f64 = 1e-6;

fn image_len() -> usize {
    EXAMPLE_SHAPE.iter().product()
}

fn scaled(v: &[f64], s: f64) -> Vec<f64> {
    v.iter().map(|x| x * s).collect()
}

fn axpy(a: f64, x: &[f64], y: &[f64]) -> Vec<f64> {
    x.iter().zip(y).map(|(x, y)| a * x + y).collect()
}

fn prox_new<T: Real>(prior: &dyn Prior<T>, v: &[T], tau: f64) -> Vec<T> {
    let mut out = vec![T::zero(); v.len()];
    prior.prox(v, T::from_f64(tau).unwrap(), &mut out);
    out
}

fn conjugate_prox_new<T: Real>(prior: &dyn Prior<T>, p: &[T], sigma: f64) -> Vec<T> {
    let mut out = p.to_vec();
    prior.conjugate_prox(&mut out, T::from_f64(sigma).unwrap());
    out
}

/// Minimum of a convex `φ` on `[−bound, bound]` by golden-section search, as `(t, φ(t))`; `t = 0`
/// unless it found a lower value.
fn line_minimum(phi: impl Fn(f64) -> f64, bound: f64) -> (f64, f64) {
    let ratio = (5f64.sqrt() - 1.0) / 2.0;
    let (mut a, mut b) = (-bound, bound);
    let (mut c, mut d) = (b - ratio * (b - a), a + ratio * (b - a));
    let (mut fc, mut fd) = (phi(c), phi(d));
    for _ in 0..60 {
        if fc < fd {
            (b, d, fd) = (d, c, fc);
            c = b - ratio * (b - a);
            fc = phi(c);
        } else {
            (a, c, fc) = (c, d, fd);
            d = a + ratio * (b - a);
            fd = phi(d);
        }
    }
    let t = (a + b) / 2.0;
    let (at_t, at_zero) = (phi(t), phi(0.0));
    if at_zero <= at_t {
        (0.0, at_zero)
    } else {
        (t, at_t)
    }
}

/// Exact line search from `z` along a unit `d`. `f` is 1-strongly convex and non-negative, so the
/// line minimum lies within `√(2 f(z))` of `z`.
fn line_step(f: &dyn Fn(&[f64]) -> f64, z: &[f64], d: &[f64]) -> (f64, f64) {
    let bound = (2.0 * f(z)).sqrt() + 1e-9;
    line_minimum(|t| f(&axpy(t, d, z)), bound)
}

/// The largest decrease of `f` that an exact line search from `z` finds along any of `directions`.
fn largest_line_decrease(f: &dyn Fn(&[f64]) -> f64, z: &[f64], directions: &[Vec<f64>]) -> f64 {
    let fz = f(z);
    directions
        .iter()
        .map(|d| fz - line_step(f, z, d).1)
        .fold(0.0, f64::max)
}

/// A slow independent minimiser: sweeps of exact line searches along `directions`, from `start`.
fn coordinate_search(
    f: &dyn Fn(&[f64]) -> f64,
    start: &[f64],
    directions: &[Vec<f64>],
) -> Vec<f64> {
    let mut z = start.to_vec();
    for _ in 0..2 {
        for d in directions {
            let (t, _) = line_step(f, &z, d);
            z = axpy(t, d, &z);
        }
    }
    z
}

/// Unit vector `j` of a space of `len` entries.
fn unit(len: usize, j: usize) -> Vec<f64> {
    let mut e = vec![0.0; len];
    e[j] = 1.0;
    e
}

/// The coordinate vectors of a space of `len` entries, `extra` (structured directions such as the
/// rows of `K`) and a few random vectors, all normalised (zero ones dropped).
fn directions(len: usize, extra: Vec<Vec<f64>>, seed: u64) -> Vec<Vec<f64>> {
    (0..len)
        .map(|j| unit(len, j))
        .chain(extra)
        .chain((0..20).map(|k| random_vector::<f64>(len, seed + k)))
        .filter(|d| norm(d) > 1e-12)
        .map(|d| scaled(&d, 1.0 / norm(&d)))
        .collect()
}

/// Each `map(e_j)` for the unit vectors `e_j` of a space of `len` entries.
fn images_of_units(len: usize, map: impl Fn(&[f64]) -> Vec<f64>) -> Vec<Vec<f64>> {
    (0..len).map(|j| map(&unit(len, j))).collect()
}

/// Asserts that `candidate` minimises the 1-strongly convex `f`: neither line searches from it nor a
/// coordinate search from `start` find a lower value.
fn assert_minimises(
    what: &str,
    f: &dyn Fn(&[f64]) -> f64,
    candidate: &[f64],
    start: &[f64],
    directions: &[Vec<f64>],
) {
    let value = f(candidate);
    let tolerance = GAP_TOLERANCE * (1.0 + value.abs());
    let decrease = largest_line_decrease(f, candidate, directions);
    assert!(
        decrease <= tolerance,
        "{what}: a line search lowers the objective {value} by {decrease:e}"
    );
    let searched = f(&coordinate_search(f, start, directions));
    assert!(
        value <= searched + tolerance,
        "{what}: coordinate search reaches {searched}, below the claimed minimum {value} by {:e}",
        value - searched
    );
}

/// `‖P(a) − P(b)‖² ≤ ⟨P(a) − P(b), a − b⟩`, which every proximal map satisfies.
fn assert_firmly_non_expansive(
    what: &str,
    map: &dyn Fn(&[f64]) -> Vec<f64>,
    len: usize,
    seed: u64,
) {
    for k in 0..5 {
        let a = scaled(&random_vector::<f64>(len, seed + 2 * k), 2.0);
        let b = axpy(0.3, &random_vector::<f64>(len, seed + 2 * k + 1), &a);
        let (pa, pb) = (map(&a), map(&b));
        let dp = axpy(-1.0, &pb, &pa);
        let lhs = dot(&dp, &dp);
        let rhs = dot(&dp, &axpy(-1.0, &b, &a));
        assert!(
            lhs <= rhs + 1e-10 * dot(&a, &a).max(1.0),
            "{what}: not firmly non-expansive, ‖P(a) − P(b)‖² = {lhs} > ⟨P(a) − P(b), a − b⟩ = {rhs}"
        );
    }
}

#[test]
fn prox_minimises_the_proximal_objective() {
    let n = image_len();
    for entry in priors::<f64>() {
        let prior = (entry.example)();
        let extra = prior
            .analysis()
            .map(|k| images_of_units(k.output_len(), |e| k.adjoint_new(e)))
            .unwrap_or_default();
        let dirs = directions(n, extra, 40);
        for (s, tau) in TAUS.into_iter().enumerate() {
            let v = scaled(&random_vector::<f64>(n, 7 + s as u64), 1.5);
            let z = prox_new(prior.as_ref(), &v, tau);
            let objective = |x: &[f64]| {
                let r = axpy(-1.0, &v, x);
                0.5 * dot(&r, &r) + tau * prior.value(x)
            };
            let what = format!("{} τ = {tau}", entry.name);
            assert_minimises(&what, &objective, &z, &v, &dirs);
            assert_firmly_non_expansive(&what, &|a| prox_new(prior.as_ref(), a, tau), n, 90);
        }
    }
}

/// `K*K = KK* = I` to round-off on random vectors.
fn is_orthogonal(k: &dyn LinearOperator<f64>) -> bool {
    if k.input_len() != k.output_len() {
        return false;
    }
    let x = random_vector::<f64>(k.input_len(), 5);
    let there_and_back = k.adjoint_new(&k.apply_new(&x));
    let back_and_there = k.apply_new(&k.adjoint_new(&x));
    norm(&axpy(-1.0, &x, &there_and_back)) < 1e-10 * norm(&x)
        && norm(&axpy(-1.0, &x, &back_and_there)) < 1e-10 * norm(&x)
}

#[test]
fn moreau_decomposition_holds_where_g_can_be_evaluated() {
    let mut checked = 0;
    for entry in priors::<f64>() {
        let prior = (entry.example)();
        let Some(k) = prior.analysis() else { continue };
        if !is_orthogonal(k) {
            continue;
        }
        checked += 1;
        let m = k.output_len();
        // g(u) = R(K*u) because K K* = I.
        let g = |u: &[f64]| prior.value(&k.adjoint_new(u));
        let dirs = directions(m, images_of_units(k.input_len(), |e| k.apply_new(e)), 60);
        for (s, sigma) in SIGMAS.into_iter().enumerate() {
            let p = random_vector::<f64>(m, 30 + s as u64);
            let q = conjugate_prox_new(prior.as_ref(), &p, sigma);
            // Moreau: prox_{g/σ}(p/σ) = (p − prox_{σg*}(p)) / σ.
            let u = scaled(&axpy(-1.0, &q, &p), 1.0 / sigma);
            let target = scaled(&p, 1.0 / sigma);
            let objective = |x: &[f64]| {
                let r = axpy(-1.0, &target, x);
                0.5 * dot(&r, &r) + g(x) / sigma
            };
            let what = format!(
                "{} σ = {sigma}: (p − prox_σg*(p))/σ as prox_(g/σ)(p/σ)",
                entry.name
            );
            assert_minimises(&what, &objective, &u, &target, &dirs);
        }
    }
    assert!(
        checked >= 2,
        "tikhonov and wavelet have orthogonal analysis operators"
    );
}

#[test]
fn conjugate_prox_is_a_proximal_map_and_projections_are_onto_the_dual_ball() {
    for entry in priors::<f64>() {
        let prior = (entry.example)();
        let Some(k) = prior.analysis() else { continue };
        let m = k.output_len();
        for sigma in SIGMAS {
            let map = |p: &[f64]| conjugate_prox_new(prior.as_ref(), p, sigma);
            assert_firmly_non_expansive(&format!("{} σ = {sigma}", entry.name), &map, m, 70);
        }
        let a = scaled(&random_vector::<f64>(m, 80), 2.0);
        let project = |p: &[f64]| conjugate_prox_new(prior.as_ref(), p, 1.0);
        let is_projection = norm(&axpy(
            -1.0,
            &project(&a),
            &conjugate_prox_new(prior.as_ref(), &a, 7.0),
        )) <= 1e-12 * norm(&a);
        if !is_projection {
            continue;
        }
        let name = entry.name;
        let pa = project(&a);
        assert!(
            norm(&axpy(-1.0, &pa, &project(&pa))) <= 1e-12 * norm(&a),
            "{name}: P(P(a)) ≠ P(a)"
        );
        for seed in 0..5 {
            let x = random_vector::<f64>(image_len(), 90 + seed);
            let kx = k.apply_new(&x);
            let r = prior.value(&x);
            // g is the support function of the set P projects onto: ⟨q, Kx⟩ ≤ R(x) inside it ...
            let inside = dot(&project(&scaled(&a, (seed + 1) as f64)), &kx);
            assert!(
                inside <= r * (1.0 + 1e-12),
                "{name}: ⟨P(a), Kx⟩ = {inside} > R(x) = {r}"
            );
            // ... with equality at the point of the set furthest along Kx.
            let largest = kx.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let reached = dot(&project(&scaled(&kx, 1e9 / largest)), &kx);
            assert!(
                (reached - r).abs() <= 1e-9 * r,
                "{name}: sup ⟨q, Kx⟩ = {reached} but R(x) = {r}"
            );
        }
    }
}

#[test]
fn value_is_non_negative_and_zero_at_zero() {
    for entry in priors::<f64>() {
        let prior = (entry.example)();
        assert_eq!(
            prior.value(&vec![0.0; image_len()]),
            0.0,
            "{}: R(0)",
            entry.name
        );
        for seed in 0..5 {
            let r = prior.value(&random_vector::<f64>(image_len(), seed));
            assert!(r.is_finite() && r >= 0.0, "{}: R(x) = {r}", entry.name);
        }
    }
    for entry in priors::<f32>() {
        assert_eq!(
            (entry.example)().value(&vec![0.0f32; image_len()]),
            0.0,
            "{} f32",
            entry.name
        );
    }
}

/// Largest entry of `|a − b|` over the largest entry of `|b|` (or 1 when `b` is small).
fn relative_max_error(a: &[f32], b: &[f64]) -> f64 {
    let diff = a
        .iter()
        .zip(b)
        .fold(0.0f64, |m, (x, y)| m.max((*x as f64 - y).abs()));
    diff / b.iter().fold(1.0f64, |m, y| m.max(y.abs()))
}

#[test]
fn f32_agrees_with_f64() {
    for (single, double) in priors::<f32>().into_iter().zip(priors::<f64>()) {
        let name = double.name;
        let (p32, p64) = ((single.example)(), (double.example)());
        let x = scaled(&random_vector::<f64>(image_len(), 3), 1.5);
        let x32: Vec<f32> = x.iter().map(|v| *v as f32).collect();
        let (r32, r64) = (p32.value(&x32), p64.value(&x));
        assert!(
            (r32 - r64).abs() <= 1e-5 * r64.max(1.0),
            "{name}: R = {r32} (f32) vs {r64}"
        );
        for tau in TAUS {
            let error = relative_max_error(
                &prox_new(p32.as_ref(), &x32, tau),
                &prox_new(p64.as_ref(), &x, tau),
            );
            assert!(
                error < 1e-4,
                "{name} τ = {tau}: f32 prox differs by {error:e}"
            );
        }
        if let (Some(k32), Some(_)) = (p32.analysis(), p64.analysis()) {
            let p = scaled(&random_vector::<f64>(k32.output_len(), 4), 1.5);
            let p32v: Vec<f32> = p.iter().map(|v| *v as f32).collect();
            let error = relative_max_error(
                &conjugate_prox_new(p32.as_ref(), &p32v, 0.7),
                &conjugate_prox_new(p64.as_ref(), &p, 0.7),
            );
            assert!(
                error < 1e-5,
                "{name}: f32 conjugate prox differs by {error:e}"
            );
        }
    }
}
