//! Safetensors bytes given to every bundled model's loader (the first byte picks it): each either
//! builds its network or returns an error naming the file; never a panic.
#![no_main]

use inversa_learn::models::{
    classifier::Classifier, dncnn::DnCnn, drunet::Drunet, gan::Gan, lpn::LearnedProximalNetwork,
    unet::Unet,
};
use inversa_learn::solvers::deep_cd::network::DeepCdNet;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Some((&which, bytes)) = data.split_first() else {
        return;
    };
    let origin = Path::new("fuzz.safetensors");
    let error = match which % 8 {
        0 => DnCnn::from_safetensors(bytes, origin).err(),
        1 => Unet::from_safetensors(bytes, origin).err(),
        2 => Classifier::from_safetensors(bytes, origin).err(),
        3 => Gan::from_safetensors(bytes, origin).err(),
        4 => LearnedProximalNetwork::from_safetensors(bytes, origin).err(),
        5 => Drunet::from_safetensors(bytes, origin).err(),
        6 => DeepCdNet::from_safetensors(bytes, origin).err(),
        _ => inversa_learn::nn::weights::read_safetensors(bytes, origin).err(),
    };
    if let Some(error) = error {
        assert!(error.to_string().starts_with("fuzz.safetensors"), "{error}");
    }
});
