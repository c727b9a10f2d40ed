//! The candle FFDNet against the PyTorch forward pass of the same weights (reference written by
//! `tools/convert_ffdnet.py`: a 33×30 colour crop of scikit-image's astronaut with noise σ = 25/255,
//! odd height so the replicate padding is exercised).

use candle_core::{Device, Tensor};
use inversa::io::read_npy;
use inversa_learn::{Denoiser, FfdNet};
use std::path::Path;

fn reference(name: &str) -> (Vec<usize>, Vec<f32>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/reference")
        .join(name);
    let array = read_npy(&path).expect("reference array");
    (array.shape, array.data.iter().map(|v| *v as f32).collect())
}

#[test]
fn pretrained_ffdnet_matches_pytorch_to_1e_4() {
    let (shape, input) = reference("ffdnet_input.npy");
    let (_, expected) = reference("ffdnet_output.npy");
    assert_eq!(shape, [3, 33, 30]);
    let net = FfdNet::pretrained_color().unwrap();
    let x = Tensor::from_slice(&input, (1, 3, 33, 30), &Device::Cpu).unwrap();
    let out = net.forward(&x, 25.0 / 255.0).unwrap();
    let got = out.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let error = got
        .iter()
        .zip(&expected)
        .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
    assert!(error < 1e-4, "max |candle − pytorch| = {error:e}");
}

#[test]
fn ffdnet_denoises_grey_images_and_rejects_unsupported_shapes() {
    // A smooth grey ramp with a bright square, plus seeded Gaussian noise of σ = 25/255.
    let (h, w) = (48, 40);
    let clean: Vec<f32> = (0..h * w)
        .map(|p| {
            let (i, j) = (p / w, p % w);
            let square = if (12..30).contains(&i) && (10..26).contains(&j) {
                0.3
            } else {
                0.0
            };
            0.2 + 0.4 * j as f32 / w as f32 + square
        })
        .collect();
    let sigma = 25.0 / 255.0;
    let noise = inversa::operators::random_vector::<f32>(h * w, 7);
    let noisy: Vec<f32> = clean
        .iter()
        .zip(&noise)
        .map(|(c, n)| c + sigma * n)
        .collect();
    let net = FfdNet::pretrained_color().unwrap();
    let mut denoised = vec![0.0f32; h * w];
    net.denoise(&noisy, &[1, h, w], sigma, &mut denoised);
    let psnr = |x: &[f32]| {
        let mse: f32 = x
            .iter()
            .zip(&clean)
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f32>()
            / x.len() as f32;
        -10.0 * mse.log10()
    };
    assert!(
        psnr(&denoised) > psnr(&noisy) + 8.0,
        "noisy {:.2} dB, denoised {:.2} dB",
        psnr(&noisy),
        psnr(&denoised)
    );
    assert!(net.supports(&[2, 8, 8]).is_err());
    assert!(net.supports(&[3, 1, 8]).is_err());
    assert!(net.supports(&[3, 8, 8]).is_ok());
}
