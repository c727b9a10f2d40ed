//! Noise pre-whitening of multi-coil k-space (Roemer, Edelstein, Hayes, Souza, Mueller, "The NMR
//! phased array", MRM 1990; Pruessmann et al., "SENSE", MRM 1999, Eq. 3): receive channels share
//! noise. From noise-only samples `n_s` (a scan with the RF off) the channel covariance is
//! `Ψ = (1/N) Σ_s n_s n_sᴴ`; with its Cholesky factor `Ψ = L Lᴴ`, the data `y ← L⁻¹ y` have
//! independent, unit-variance channel noise, which is what an unweighted least-squares data term
//! assumes. The coil maps are estimated after whitening, so they are whitened alike.

use num_complex::Complex64 as C64;

/// The lower-triangular Cholesky factor of the noise covariance of `noise` (`channels × samples`,
/// channel-major), or `None` when the covariance is not positive definite (a dead channel, or
/// fewer samples than channels).
pub fn noise_cholesky(noise: &[C64], channels: usize) -> Option<Vec<C64>> {
    let samples = noise.len() / channels.max(1);
    if channels == 0 || samples < channels {
        return None;
    }
    let mut psi = vec![C64::new(0.0, 0.0); channels * channels];
    for i in 0..channels {
        for j in 0..=i {
            let (a, b) = (
                &noise[i * samples..][..samples],
                &noise[j * samples..][..samples],
            );
            let sum: C64 = a.iter().zip(b).map(|(x, y)| x * y.conj()).sum();
            psi[i * channels + j] = sum / samples as f64;
        }
    }
    cholesky(&mut psi, channels).then_some(psi)
}

/// In-place lower Cholesky factorisation of the Hermitian matrix whose lower triangle `a` holds;
/// `false` when a pivot is not positive.
fn cholesky(a: &mut [C64], n: usize) -> bool {
    for j in 0..n {
        let pivot = a[j * n + j].re - (0..j).map(|k| a[j * n + k].norm_sqr()).sum::<f64>();
        if pivot.is_nan() || pivot <= 0.0 || pivot.is_infinite() {
            return false;
        }
        let d = pivot.sqrt();
        a[j * n + j] = C64::new(d, 0.0);
        for i in j + 1..n {
            let dot: C64 = (0..j).map(|k| a[i * n + k] * a[j * n + k].conj()).sum();
            a[i * n + j] = (a[i * n + j] - dot) / d;
        }
        for k in j + 1..n {
            a[j * n + k] = C64::new(0.0, 0.0);
        }
    }
    true
}

/// `y ← L⁻¹ y` for every sample of `data` (`channels × samples`, channel-major), by forward
/// substitution across channels.
pub fn whiten(data: &mut [C64], channels: usize, factor: &[C64]) {
    let samples = data.len() / channels;
    let mut column = vec![C64::new(0.0, 0.0); channels];
    for s in 0..samples {
        for i in 0..channels {
            let dot: C64 = (0..i).map(|k| factor[i * channels + k] * column[k]).sum();
            column[i] = (data[i * samples + s] - dot) / factor[i * channels + i];
        }
        for (i, value) in column.iter().enumerate() {
            data[i * samples + s] = *value;
        }
    }
}

/// Whitens `data` (`channels × samples`, channel-major) with the channel covariance of `scans`,
/// each a noise readout's samples per channel and its `channels × samples` values; `false` when
/// there are none. Scans read from a file: an error says why their covariance is unusable.
pub fn whiten_with_scans(
    data: &mut [C64],
    channels: usize,
    scans: &[(usize, &[num_complex::Complex<f32>])],
) -> Result<bool, String> {
    if scans.is_empty() {
        return Ok(false);
    }
    let samples: usize = scans.iter().map(|(n, _)| n).sum();
    let mut all = vec![C64::new(0.0, 0.0); channels * samples];
    let mut start = 0;
    for &(n, values) in scans {
        for (c, channel) in values.chunks_exact(n.max(1)).take(channels).enumerate() {
            for (out, v) in all[c * samples + start..].iter_mut().zip(channel) {
                *out = C64::new(f64::from(v.re), f64::from(v.im));
            }
        }
        start += n;
    }
    let factor = noise_cholesky(&all, channels).ok_or_else(|| {
        format!(
            "the noise scans' channel covariance ({samples} samples of {channels} channels) is not \
             positive definite: a dead channel, or fewer samples than channels"
        )
    })?;
    whiten(data, channels, &factor);
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};

    fn gaussian(rng: &mut rand_chacha::ChaCha8Rng) -> C64 {
        C64::new(StandardNormal.sample(rng), StandardNormal.sample(rng))
    }

    #[test]
    fn whitened_noise_has_the_identity_covariance() {
        let (channels, samples) = (4, 20_000);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        // Channels mixed by a fixed matrix M: covariance 2 M Mᴴ, strongly correlated.
        let mix: Vec<C64> = (0..channels * channels)
            .map(|k| {
                if k % (channels + 1) == 0 {
                    C64::new(1.0, 0.0)
                } else {
                    0.6 * gaussian(&mut rng)
                }
            })
            .collect();
        let independent: Vec<C64> = (0..channels * samples)
            .map(|_| gaussian(&mut rng))
            .collect();
        let mut noise = vec![C64::new(0.0, 0.0); channels * samples];
        for i in 0..channels {
            for s in 0..samples {
                noise[i * samples + s] = (0..channels)
                    .map(|k| mix[i * channels + k] * independent[k * samples + s])
                    .sum();
            }
        }
        let factor = noise_cholesky(&noise, channels).unwrap();
        whiten(&mut noise, channels, &factor);
        let after = noise_cholesky(&noise, channels).unwrap();
        // The Cholesky factor of the identity is the identity (sampling error ~1/√N ≈ 0.007).
        for i in 0..channels {
            for j in 0..channels {
                let expected = if i == j { 1.0 } else { 0.0 };
                assert!(
                    (after[i * channels + j] - expected).norm() < 0.03,
                    "{i},{j}"
                );
            }
        }
        // Before whitening the channels were far from independent.
        assert!(factor[channels].norm() > 0.1);
    }

    #[test]
    fn refuses_a_dead_channel() {
        let mut noise: Vec<C64> = (0..300).map(|k| C64::new((k as f64).sin(), 0.3)).collect();
        noise[100..200].fill(C64::new(0.0, 0.0));
        assert!(noise_cholesky(&noise, 3).is_none());
        assert!(noise_cholesky(&noise[..4], 3).is_none());
    }
}
