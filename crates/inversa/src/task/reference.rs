//! The task file's key reference: `inversa run --help`, the README's key block and the Python
//! package's docstrings all print this one text, so they cannot disagree.

/// What `inversa run` writes and every key a task file accepts, with its default.
pub const KEY_REFERENCE: &str = r#"Run a task file: data + physics + prior + solver.

Writes to --out: reconstruction.png (8-bit, clipped to [0,1]), reconstruction.npy (float32, unclipped),
measurement.png (when the measurement is a picture), measurement.npy, initial.png (the starting
point), ground_truth.png, metrics.json, convergence.png and report.html; a sampler drawing several
posterior samples also writes std.png and std.npy (their per-pixel standard deviation).

TASK FILE KEYS (defaults in brackets; unknown keys are errors)

[data]
  image = "file.png" | "file.npy" | "builtin:NAME"     ground truth (NAME: camera, chelsea, brick, phantom); the measurement is simulated from it
  measurement = "y.npy"       a measured y instead (then shape is required; image optional, for metrics);
                              complex .npy (k-space) is read as a trailing (re, im) axis; "y.cfl" reads
                              BART's .cfl/.hdr pair (its dimensions reversed: [coils, ..., readout, 2]);
                              "scan.h5" reads an ISMRMRD raw scan (non-Cartesian 2-D: its trajectory,
                              density weights and coils fix the mri physics; noise scans pre-whiten it;
                              the shape is its header's matrix); "meas.dat" reads a Siemens twix
                              (VD/VE) Cartesian 2-D scan (readout oversampling removed; the mri physics
                              undersamples it and scores against its full reconstruction)
  readout_stride = 1          keep every n-th readout of an ISMRMRD scan (retrospective undersampling)
  shape = [h, w] | [c, h, w]  shape of the unknown image when only a measurement is given
  grey = false                convert RGB to luminance
  downscale = 1               average factor×factor blocks first

[physics]
  kind = "denoise" | "blur" | "inpaint" | "downsample" | "cs" | "mri" | "ct"
  noise = { kind = "gaussian", sigma = 0.01 } | { kind = "poisson", gain = 1/255 }   [no noise]
  blur:       kernel = { kind = "gaussian", sigma = 2.0 } | { kind = "box", size = 5 }
                     | { kind = "motion", length = 9.0, angle = 0.0 } | { kind = "file", path = "k.npy" }
              (circular convolution: periodic boundary)
  inpaint:    missing = 0.5 (fraction of random pixels removed) | box = [h, w] (centred, removed)
              | mask = "mask.png" (1 = observed)
  downsample: factor = 2, sigma = factor/2 (gaussian anti-alias filter)
  cs:         ratio = 0.25, matrix = "dct" | "gaussian"
  mri:        acceleration = 4, center_fraction = 0.08, mask = "random" | "equispaced" | "variable_density"
              | "poisson" (2-D variable-density Poisson disc, a centre square center_fraction·W across),
              coils = 1 (more: SENSE with synthetic smooth coil maps),
              coil_maps = "maps.npy" (measured complex [coils, H, W]), mask_file = "mask.npy" (W zeros/ones);
              trajectory = "cartesian" | "radial" | "spiral" | trajectory_file = "k.npy" ([M, 2], cycles
              per pixel in [-1/2, 1/2)): non-Cartesian through a Kaiser-Bessel NUFFT, kernel_width = 6,
              spokes = W/2 (radial) or interleaves = 16 (spiral), samples per spoke/arm = 2W (radial)
              or 2HW/interleaves (spiral); coils and coil_maps as above;
              on an ISMRMRD scan: coil_maps = "lowres" (estimated from the data's centre) | "espirit"
              | "maps.npy", calibration = 24 (the estimate's region, samples across), kernel_width = 6;
              on a twix scan: acceleration = 1, mask = "variable_density", center_fraction =
              calibration/W (the kept lines), coil_maps = "espirit" | "lowres" | "maps.npy", calibration = 24
  ct:         angles = 60 (parallel beam over 180°), detectors = ceil(image diagonal),
              filter = "ram-lak" | "shepp-logan" | "cosine" | "hann" (for fbp)

[prior]                        [kind = "none"]
  kind = "none" | "tikhonov" | "tv" | "wavelet" | "pnp" | "lpn"
  weight = 0.01 (pnp: 1e-5; the denoiser runs at σ = √(weight·τ) for a prox step τ)
  tv:      prox_iterations = 20 (dual steps per prox in fista/admm/hqs)
  wavelet: wavelet = "db4" | "db2" | "haar", levels = 4, cycle_spinning = false (a new random
           shift at every prox: translation invariant, as BART's pics; a heuristic)
  pnp:     denoiser = "ffdnet" (pretrained colour FFDNet; grey images as three equal channels)
           | "dncnn" (bundled grey DnCNN; colour channel by channel)
           | "weights.safetensors" (a DnCNN or DRUNet from `inversa train denoiser`),
           cycle_symmetries = false (denoise the k-th prox input under the (k mod 8)-th flip/rotation, as DPIR)
  lpn:     weights = "lpn.safetensors" (default: the bundled grey LPN); no weight: the network is
           the prox of its own learned R, so admm's rho is R's weight
  diffusion (only with the samplers dps, ddnm, dds, diffpir, red-diff, stsl, idm; 28×28 grey images):
           model = "fashion" (the bundled Fashion-MNIST UNet) | "weights.safetensors" (from
           `inversa train diffusion`; for idm, from `inversa train idm`), class = 0–9 (sample
           within one class; default unconditional)
           | denoiser = "ffdnet" | "dncnn" | "weights.safetensors" (any image size: the denoiser read
           as a diffusion model up to max_sigma = 50/255, sampled from a noised Wiener
           reconstruction; not with dps or stsl; steps default 20)

[solver]
  kind = "pdhg" | "fista" | "admm" | "hqs" | "red" | "cg" | "fbp"
         | "dps" | "ddnm" | "dds" | "diffpir" | "red-diff" | "stsl" | "idm" (diffusion samplers: prior.kind = "diffusion")
         | "rim" | "recurrent-varnet" (learned solvers: no prior)
  iterations = (pdhg 300, others 100), tolerance = 0 (stop when ‖xₖ−xₖ₋₁‖/‖xₖ‖ < tolerance)
  init = "adjoint" (A*y/‖A‖²) | "zeros"
  fista: lipschitz = ‖A‖² estimate, eta = 1.5
  admm:  rho = 0.1, inner_iterations = 20
  hqs:   mu = 0.1, mu_growth = 1.05, mu_max = 1e4, inner_iterations = 20
  pdhg:  step_ratio = 1 (σ/τ)
  red:   lambda = 0.1, prox_step = 1 (the denoiser is the prior's prox at this step),
         scheme = "fixed_point" | "gradient", inner_iterations = 20
  samplers: steps = 100 (network calls per sample, metrics.json's model_calls: one a level; stsl 2K a level)
  dps:     zeta = 1 (step on ‖y − A x̂₀‖, differentiated through the network, in units of the
           operator's gain ‖A‖_F/√rank A: 1 for masks and Fourier sampling, 4.05 for 12-view CT
           of 28×28 images)
  ddnm:    eta = 0.85, pinv_delta = 1e-4 (A† = (A*A + δI)⁻¹A*)
  dds:     cg_steps = 5, gamma = 0 (the paper: none), eta = 0.15
  diffpir: lambda = 7, zeta = 0.3 (data weight ρₜ = λσ²/σ̄ₜ², σ the physics' Gaussian noise)
  red-diff: lambda = 0.25, lr = 0.1 (Adam on the posterior mean; a point estimate; lambda weighs
           the regulariser against the mean squared residual over rank A measurements, as the
           paper's code does: the noise level does not enter, so raise lambda for noisier data)
  stsl:    lambda = 1 (step on ‖y − A x̂₀‖, as dps's zeta), eta = 0.02 (weight of the Hutchinson trace
           of the network's Jacobian, per pixel), averaging = 1 (K: surrogate steps a level, 2 calls each)
  idm:     no keys: the fine-tuned chain's steps are in its weights (deterministic, one sample)
  rim:     weights = "indrnn" | "gru" | "mgu" (bundled, trained on simulated multi-coil MRI of
           MNI152 T1 slices) | "rim.safetensors" (`inversa train rim`); one-channel images; starts
           from A*y whatever init says; its steps are in its weights
  recurrent-varnet: weights = "bundled" (trained on simulated multi-coil MRI of MNI152 T1 slices)
           | "rvn.safetensors" (`inversa train recurrent-varnet`); Cartesian MRI only (physics
           kind = "mri"): it works in k-space on the task's coil maps and mask; starts from y

[run]
  seed = 0                     every random choice (masks, matrices, noise)
  precision = "f32" | "f64"    [f32]
  samples = 1                  posterior samples a sampler draws: their mean is the reconstruction,
                               their per-pixel standard deviation std.png and std.npy
"#;
