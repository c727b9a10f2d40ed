//! The sample-quality evaluation (`inversa sample --evaluate`): its class fraction on hand-made
//! and real cases, and a whole run on few samples with few steps.

use inversa_lab::sample_quality::{class_fraction, run, score, Settings};
use inversa_lab::{Artifact, Error};
use inversa_learn::data::fashion_mnist::SIDE;
use inversa_learn::models::bundled;

#[test]
fn the_class_fraction_counts_the_samples_classified_as_drawn() {
    let (overall, by_class) = class_fraction(&[0, 1, 1, 2, 0], &[0, 1, 2, 2, 2], 4);
    assert_eq!(overall, 3.0 / 5.0);
    assert_eq!(by_class, vec![1.0, 1.0, 1.0 / 3.0, 0.0]);
}

#[test]
fn real_images_with_their_labels_score_the_classifier_accuracy() {
    let classifier = bundled::classifier().unwrap();
    let test = bundled::test_images().unwrap();
    let indices: Vec<usize> = (0..test.len()).collect();
    let images = test.batch(&indices, SIDE).unwrap();
    let (predicted, features) = score(&classifier, &images).unwrap();
    assert_eq!(features.len(), test.len() * classifier.feature_width());
    let labels: Vec<usize> = test.labels().iter().map(|&l| usize::from(l)).collect();
    let (fraction, _) = class_fraction(&predicted, &labels, 10);
    let accuracy = classifier.accuracy(&test).unwrap();
    assert!(
        (fraction - accuracy).abs() < 1e-12,
        "{fraction} vs {accuracy}"
    );
    // Every label moved to the next class: only the classifier's mistakes can still match.
    let wrong: Vec<usize> = labels.iter().map(|l| (l + 1) % 10).collect();
    assert!(class_fraction(&predicted, &wrong, 10).0 <= 1.0 - accuracy + 1e-12);
}

#[test]
fn an_evaluation_reports_finite_scores_and_its_files() {
    let settings = Settings {
        count: 23,
        steps: 3,
        ..Settings::default()
    };
    let mut lines = 0;
    let outcome = run(&settings, &mut |_| lines += 1).unwrap();
    assert_eq!(lines, 10, "one line per class");
    let report = &outcome.report;
    assert!((0.0..=1.0).contains(&report.class_fraction));
    assert_eq!(report.class_fraction_by_class.len(), 10);
    assert!(report.frechet_bundled_test.is_finite() && report.frechet_bundled_test > 0.0);
    if let Some(d) = report.frechet_full_test {
        let floor = report.frechet_full_test_real_floor.unwrap();
        assert!(d > 0.0 && floor > 0.0, "{d}, {floor}");
        assert_eq!(report.full_test_images, Some(10_000));
    }
    let npy = outcome.files.iter().find(|(n, _)| n == "samples.npy");
    let Some((_, Artifact::Array { shape, data })) = npy else {
        panic!("no samples.npy");
    };
    assert_eq!(shape, &[23, SIDE, SIDE]);
    assert!(
        data.iter().all(|v| (0.0..=1.0).contains(v)),
        "clipped to the data's range"
    );
}

#[test]
fn too_few_samples_for_the_classes_are_refused() {
    for (settings, key) in [
        (
            Settings {
                count: 19,
                ..Settings::default()
            },
            "count",
        ),
        (
            Settings {
                steps: 0,
                ..Settings::default()
            },
            "steps",
        ),
        (
            Settings {
                data: Some("/nonexistent".into()),
                count: 20,
                steps: 1,
                ..Settings::default()
            },
            "data",
        ),
    ] {
        match run(&settings, &mut |_| {}) {
            Err(Error::Setting { key: k, .. }) => assert_eq!(k, key),
            Err(other) => panic!("expected {key} refused, got {other}"),
            Ok(_) => panic!("expected {key} refused"),
        }
    }
}
