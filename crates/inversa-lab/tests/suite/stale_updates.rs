//! Stale-update FL from Rust: every rule trains on the bundled images, conversions start when
//! the first stale update arrives, and bad settings are refused naming their key.

use inversa::Control;
use inversa_lab::stale_updates::{run, Data, Round, Settings};
use inversa_lab::Error;

fn quick() -> Settings {
    Settings {
        data: Data::Bundled,
        staleness: 2,
        rounds: 4,
        samples: 4,
        hidden: 16,
        inversion_steps: 5,
        ..Settings::default()
    }
}

#[test]
fn every_rule_trains_and_conversions_start_with_the_first_stale_update() {
    let mut rounds = 0;
    let outcome = run(&quick(), &mut |_: &Round| {
        rounds += 1;
        Control::Continue
    })
    .unwrap();
    let report = &outcome.report;
    assert_eq!(rounds, 4 * 4);
    let names: Vec<&str> = report.runs.iter().map(|r| r.aggregation).collect();
    assert_eq!(names, ["fedavg", "direct", "weighted", "conversion"]);
    for run in &report.runs {
        assert_eq!(run.accuracy.len(), 4);
        assert!(run.accuracy.iter().all(|a| (0.0..=1.0).contains(a)));
        assert_eq!(run.matching_loss.is_some(), run.aggregation == "conversion");
    }
    let losses = report.runs[3].matching_loss.as_ref().unwrap();
    assert!(losses[..2].iter().all(Option::is_none), "{losses:?}");
    assert!(
        losses[2..].iter().all(|l| l.is_some_and(|v| v >= 0.0)),
        "{losses:?}"
    );
    assert_eq!(report.settings.data, "bundled");
}

#[test]
fn bad_settings_are_refused_naming_their_key() {
    let key = |settings: Settings| match run(&settings, &mut |_| Control::Continue) {
        Err(Error::Setting { key, .. }) => key,
        Err(other) => panic!("not a setting error: {other}"),
        Ok(_) => panic!("accepted"),
    };
    assert_eq!(
        key(Settings {
            clients: 5,
            ..quick()
        }),
        "clients"
    );
    assert_eq!(
        key(Settings {
            slow_classes: 10,
            ..quick()
        }),
        "slow_classes"
    );
    assert_eq!(
        key(Settings {
            inversion_lr: 0.0,
            ..quick()
        }),
        "inversion_lr"
    );
    let missing = Settings {
        data: Data::Folder("no-such-folder".into()),
        ..quick()
    };
    let error = run(&missing, &mut |_| Control::Continue)
        .err()
        .expect("no data");
    assert!(
        error.is_bad_input() && error.to_string().contains("dataset-fashion-mnist"),
        "{error}"
    );
}
