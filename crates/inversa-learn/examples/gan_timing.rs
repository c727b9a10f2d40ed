use candle_core::{DType, Device};
use candle_nn::{VarBuilder, VarMap};
use inversa_learn::attacks::gan::*;
use inversa_learn::fashion_mnist::*;
use inversa_learn::training::Trainable;
use std::time::Instant;
fn main() -> inversa::Result<()> {
    let data = LabelledImages::read_fashion_mnist(std::path::Path::new(DEFAULT_DIR), Split::Test)?.classes(5..=9);
    let t = GanTraining::new(GanConfig::default(), data.clone(), data)?;
    t.initialise(0).unwrap();
    let _ = (VarBuilder::from_varmap(&VarMap::new(), DType::F32, &Device::Cpu), 0);
    let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(0);
    for batch in [64; 8] {
        let s = Instant::now();
        let l = t.loss(0, &mut rng, batch, 0).unwrap();
        let _ = l.backward().unwrap();
        println!("batch {batch} step {:?}", s.elapsed());
    }
    Ok(())
}
