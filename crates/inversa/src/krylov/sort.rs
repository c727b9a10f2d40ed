//! Ordering a sequence of systems so that neighbours are similar — step 1 of Wang et al.,
//! "Accelerating Data Generation for Neural Operators via Krylov Subspace Recycling" (ICLR 2024,
//! §4.1): a greedy nearest-neighbour tour on the Euclidean distance `‖a_i − a_j‖` between the
//! systems' coefficient fields, starting from system 0 and always moving to the closest system not
//! yet visited (ties go to the lowest index).

/// The visiting order (a permutation of `0..fields.len()` starting at 0).
///
/// ```
/// use inversa::krylov::sort::nearest_neighbour_order;
/// let fields = vec![vec![0.0], vec![10.0], vec![1.0], vec![9.0]];
/// assert_eq!(nearest_neighbour_order(&fields), vec![0, 2, 3, 1]);
/// ```
#[allow(
    clippy::expect_used,
    reason = "the loop runs once per unvisited system"
)]
pub fn nearest_neighbour_order(fields: &[Vec<f64>]) -> Vec<usize> {
    let count = fields.len();
    if count == 0 {
        return Vec::new();
    }
    let mut visited = vec![false; count];
    let mut order = Vec::with_capacity(count);
    let mut current = 0;
    visited[0] = true;
    order.push(0);
    while order.len() < count {
        let next = (0..count)
            .filter(|&j| !visited[j])
            .map(|j| (distance(&fields[current], &fields[j]), j))
            .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
            .map(|(_, j)| j)
            .expect("an unvisited system remains");
        visited[next] = true;
        order.push(next);
        current = next;
    }
    order
}

/// `‖a − b‖₂`.
pub fn distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).powi(2))
        .sum::<f64>()
        .sqrt()
}
