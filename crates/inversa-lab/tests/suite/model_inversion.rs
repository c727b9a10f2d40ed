//! Model inversion from Rust: GMI's latent search lowers the target's identity loss on a private
//! class, IF-GMI's stages follow it, and bad settings are refused naming their key.

use inversa::Control;
use inversa_lab::model_inversion::{run, Method, Progress, Settings};
use inversa_lab::Error;
use inversa_learn::attacks::if_gmi::{self, Stage};

fn small(method: Method, iterations: usize, stages: Vec<Stage>) -> Settings {
    let mut attack = if_gmi::Settings::default();
    attack.gmi.restarts = 2;
    attack.gmi.iterations = iterations;
    attack.stages = stages;
    Settings {
        method,
        class: Some(1),
        attack,
        ..Settings::default()
    }
}

#[test]
fn the_latent_search_lowers_the_identity_loss_and_if_gmi_refines_it() {
    let stage = Stage {
        iterations: 4,
        radius: 100.0,
    };
    let settings = small(Method::IfGmi, 30, vec![stage]);
    let mut losses = Vec::new();
    let mut total = 0;
    let outcome = run(&settings, &mut |p: &Progress| {
        losses.push((p.step.stage, p.step.identity_loss));
        total = p.total;
        Control::Continue
    })
    .unwrap();
    assert_eq!((losses.len(), total), (34, 34), "30 GMI and 4 IF-GMI steps");
    let gmi: Vec<f64> = losses.iter().filter(|l| l.0 == 0).map(|l| l.1).collect();
    eprintln!("GMI identity loss {:.3} → {:.3}", gmi[0], gmi[29]);
    assert!(gmi[29] < gmi[0], "{gmi:?}");
    let report = &outcome.report;
    assert_eq!(report.classes.len(), 1);
    assert_eq!(report.stages, [stage]);
    for accuracy in [report.attack_accuracy, report.target_accuracy] {
        assert!((0.0..=1.0).contains(&accuracy), "{accuracy}");
    }
    let [(name, _)] = &outcome.files[..] else {
        panic!("one figure")
    };
    assert_eq!(name, "reconstruction.png");
}

#[test]
fn bad_settings_are_refused_naming_their_key() {
    let refused = |settings: Settings| match run(&settings, &mut |_| Control::Continue) {
        Err(Error::Setting { key, .. }) => key,
        Err(other) => panic!("not a setting error: {other}"),
        Ok(_) => panic!("accepted"),
    };
    let one = |iterations| Stage {
        iterations,
        radius: 1.0,
    };
    assert_eq!(refused(small(Method::Gmi, 0, vec![one(1)])), "iterations");
    assert_eq!(refused(small(Method::IfGmi, 1, vec![one(1); 4])), "stages");
    assert_eq!(refused(small(Method::IfGmi, 1, vec![one(0)])), "stages");
    let mut far = small(Method::Gmi, 1, vec![one(1)]);
    far.class = Some(5);
    assert_eq!(refused(far), "class", "the bundled target has classes 0–4");
}
