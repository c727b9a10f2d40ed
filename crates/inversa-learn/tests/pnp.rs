//! Plug-and-play with the pretrained FFDNet against TV on Gaussian deblurring (σ = 2, noise 0.01)
//! of the cameraman, an image FFDNet was not trained on (KAIR trained it on BSD400, Waterloo,
//! DIV2K and Flickr2K).

use inversa::task::Task;
use std::path::Path;

fn deblur_task(prior: &str, solver: &str) -> String {
    format!(
        r#"
[data]
image = "builtin:camera"
downscale = 2
[physics]
kind = "blur"
kernel = {{ kind = "gaussian", sigma = 2.0 }}
noise = {{ kind = "gaussian", sigma = 0.01 }}
[prior]
{prior}
[solver]
{solver}
"#
    )
}

fn psnr(toml: &str) -> f64 {
    let task = Task::<f32>::from_toml_with(
        toml,
        Path::new("."),
        "pnp-test",
        &inversa_learn::registry::priors(),
    )
    .unwrap();
    task.run(&mut |_, _| {}).unwrap().quality.unwrap().psnr
}

/// DPIR's schedule in the HQS coupling: σ_k from 49/255 down to the noise level 0.01 over 8
/// iterations, μ_k = weight/σ_k².
const DPIR_HQS: &str = r#"kind = "hqs"
iterations = 8
mu = 6.24e-4
mu_growth = 2.328
mu_max = 0.23"#;

#[test]
fn pnp_hqs_with_ffdnet_beats_tv_by_1_5_db_on_deblurring() {
    let tv = [0.0005, 0.001, 0.002]
        .iter()
        .map(|w| {
            psnr(&deblur_task(
                &format!("kind = \"tv\"\nweight = {w}"),
                "kind = \"pdhg\"\niterations = 300",
            ))
        })
        .fold(f64::MIN, f64::max);
    let pnp = psnr(&deblur_task(
        "kind = \"pnp\"\ndenoiser = \"ffdnet\"\nweight = 2.3e-5",
        DPIR_HQS,
    ));
    assert!(pnp >= tv + 1.5, "PnP-HQS {pnp:.2} dB vs best TV {tv:.2} dB");
}

#[test]
fn a_bad_denoiser_name_is_a_config_error() {
    let toml = deblur_task("kind = \"pnp\"\ndenoiser = \"bm3d\"", DPIR_HQS);
    let error = Task::<f32>::from_toml_with(
        &toml,
        Path::new("."),
        "pnp-test",
        &inversa_learn::registry::priors(),
    )
    .err()
    .expect("unknown denoiser");
    assert!(error.to_string().contains("prior.denoiser"), "{error}");
}
