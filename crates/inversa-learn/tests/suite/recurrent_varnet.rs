//! The Recurrent Variational Network (Yiasemis et al. 2022): the bundled network, trained on
//! simulated k-space of MNI152 T1 slices, improves on the zero-filled image of held-out slices;
//! the task-file solver runs on Cartesian MRI tasks and refuses other physics by name; the
//! low-resolution coil maps it trains with point the same way as the true maps; the training loss
//! reaches every weight, the initialiser's and the map refinement's included.

use candle_core::backprop::GradStore;
use inversa::metrics::psnr;
use inversa::task::Task;
use inversa_learn::data::image_folder::ImageFolder;
use inversa_learn::models::bundled::{self, mni152_t1, SliceSplit};
use inversa_learn::models::recurrent_varnet::RecurrentVarNetConfig;
use inversa_learn::training::recurrent_varnet::{
    low_resolution_maps, KspaceCase, RecurrentVarNetTraining,
};
use inversa_learn::training::rim::{Acquisition, MriCase};
use inversa_learn::training::Trainable;
use rand::SeedableRng;

fn values(t: &candle_core::Tensor) -> Vec<f32> {
    t.flatten_all().unwrap().to_vec1().unwrap()
}

/// PSNR of the real part of `[1, 2, H, W]` images, with the truth's maximum as the peak.
fn real_psnr(x: &candle_core::Tensor, target: &candle_core::Tensor) -> f64 {
    let real = |t: &candle_core::Tensor| values(&t.narrow(1, 0, 1).unwrap());
    let truth = real(target);
    let peak = truth.iter().fold(0f32, |m, v| m.max(*v));
    psnr(&real(x), &truth, f64::from(peak))
}

#[test]
fn the_bundled_network_beats_zero_filling_on_held_out_slices() {
    let net = bundled::recurrent_varnet().unwrap();
    let slices = mni152_t1(SliceSplit::Test).unwrap();
    for acceleration in [4.0, 8.0] {
        let (mut zero_filled, mut rvn) = (0.0, 0.0);
        for (i, im) in slices.iter().take(3).enumerate() {
            let acq = Acquisition::validation(acceleration, 100 + i as u64);
            let case = MriCase::simulate(&im.pixels, (im.height, im.width), &acq).unwrap();
            zero_filled += psnr(
                &values(&case.zero_filled),
                &values(&case.truth),
                f64::from(max(&case)),
            );
            let kspace = KspaceCase::from_case(&case, false, 8).unwrap();
            let images = net.unroll(&kspace.problem()).unwrap();
            rvn += real_psnr(images.last().unwrap(), &kspace.target);
        }
        let gain = (rvn - zero_filled) / 3.0;
        assert!(
            gain > 3.0,
            "{acceleration}×: {gain:.2} dB over zero filling ({:.2} dB)",
            zero_filled / 3.0
        );
    }
}

/// The largest value of a case's truth (the PSNR peak at the network's scale).
fn max(case: &MriCase) -> f32 {
    values(&case.truth).iter().fold(0f32, |m, v| m.max(*v))
}

/// A task on `image` (simulated 4-coil MRI at 4×, variable-density lines, 8% centre) with the
/// `[solver]` table given.
fn mri_task(image: &str, physics: &str, solver: &str) -> inversa::Result<Task<f32>> {
    let text = format!(
        "[data]\nimage = \"{image}\"\n[physics]\n{physics}\n\
         noise = {{ kind = \"gaussian\", sigma = 0.005 }}\n[solver]\nkind = \"recurrent-varnet\"\n\
         {solver}\n[run]\nseed = 3\n"
    );
    Task::from_toml_with(
        &text,
        &std::env::temp_dir(),
        "rvn",
        &inversa_learn::task_extensions(),
    )
}

const MRI: &str = "kind = \"mri\"\nacceleration = 4\ncenter_fraction = 0.08\n\
                   mask = \"variable_density\"\ncoils = 4";

#[test]
fn the_solver_reconstructs_a_task_and_refuses_what_it_cannot() {
    let dir = std::env::temp_dir().join(format!("inversa-rvn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let slice = &mni152_t1(SliceSplit::Test).unwrap()[5];
    let path = dir.join("slice.npy");
    inversa::io::npy::write_npy_f32(&path, &[slice.height, slice.width], &slice.pixels).unwrap();
    let image = path.to_str().unwrap();
    let outcome = mri_task(image, MRI, "")
        .unwrap()
        .run(&mut |_| inversa::Control::Continue)
        .unwrap();
    let (after, before) = (
        outcome.quality.unwrap().psnr,
        outcome.initial_quality.unwrap().psnr,
    );
    assert!(
        after > before + 4.0,
        "RVN {after:.2} dB against zero filling {before:.2} dB"
    );
    assert_eq!(outcome.history.psnr.len(), 8, "one record per block");

    // Denoising has no k-space: refused by name, not run.
    let denoise = mri_task(image, "kind = \"denoise\"", "").unwrap();
    let error = denoise
        .run(&mut |_| inversa::Control::Continue)
        .err()
        .unwrap()
        .to_string();
    assert!(error.contains("Cartesian"), "{error}");
    // Weights that are not there, and a file that is not RVN weights, are named.
    let missing = mri_task(image, MRI, "weights = \"nowhere.safetensors\"")
        .err()
        .unwrap();
    assert!(
        missing.to_string().contains("nowhere.safetensors"),
        "{missing}"
    );
    let other = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/weights/rim_gru.safetensors");
    let wrong = mri_task(image, MRI, &format!("weights = \"{}\"", other.display()))
        .err()
        .unwrap();
    assert!(
        wrong.to_string().contains("Recurrent VarNet weights"),
        "{wrong}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The low-resolution estimate from the central lines points along the true maps: at the pixels
/// of the object, `|⟨S_true(p), S_est(p)⟩|` (both unit coil vectors) averages above 0.95.
#[test]
fn low_resolution_maps_align_with_the_true_maps_inside_the_object() {
    let slice = &mni152_t1(SliceSplit::Test).unwrap()[2];
    let acq = Acquisition::validation(4.0, 7);
    let case = MriCase::simulate(&slice.pixels, (slice.height, slice.width), &acq).unwrap();
    let exact = KspaceCase::from_case(&case, false, 8).unwrap();
    let measurement = exact.measurement.clone();
    let (est_re, est_im) = low_resolution_maps(&measurement, 8).unwrap();
    let (re, im) = (values(&exact.maps.0), values(&exact.maps.1));
    let (ere, eim) = (values(&est_re), values(&est_im));
    let pixels = slice.height * slice.width;
    let coils = re.len() / pixels;
    let inside: Vec<usize> = (0..pixels).filter(|&p| slice.pixels[p] > 0.2).collect();
    let alignment: f64 = inside
        .iter()
        .map(|&p| {
            let (mut a, mut b) = (0.0f64, 0.0f64);
            for c in 0..coils {
                let k = c * pixels + p;
                // conj(S) · Ŝ
                a += f64::from(re[k] * ere[k] + im[k] * eim[k]);
                b += f64::from(re[k] * eim[k] - im[k] * ere[k]);
            }
            a.hypot(b)
        })
        .sum::<f64>()
        / inside.len() as f64;
    assert!(alignment > 0.95, "mean alignment {alignment:.3}");
}

#[test]
fn the_training_loss_reaches_every_weight() {
    let config = RecurrentVarNetConfig {
        channels: 3,
        steps: 2,
    };
    let images = ImageFolder::from_images(mni152_t1(SliceSplit::Train).unwrap()).unwrap();
    let training = RecurrentVarNetTraining::new(config, images, &[]).unwrap();
    training.initialise(1).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let loss = training.loss(0, &mut rng, 3, 16).unwrap();
    let grads: GradStore = loss.backward().unwrap();
    for (name, var) in training.varmap().data().lock().unwrap().iter() {
        if name.ends_with("step_size") {
            assert_eq!(
                values(var.as_tensor()),
                [1.0],
                "{name} starts at a full step"
            );
        }
        let g = grads
            .get(var.as_tensor())
            .unwrap_or_else(|| panic!("no gradient for {name}"));
        let size = g
            .sqr()
            .unwrap()
            .sum_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(
            size > 0.0 && size.is_finite(),
            "gradient of {name} is {size}"
        );
    }
}
