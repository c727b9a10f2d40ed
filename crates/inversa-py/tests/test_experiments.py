"""The experiments and the gradient-inversion audit, one call each from Python."""

import json

import pytest

import inversa


def test_matrix_sensing_converges_with_the_exact_parameterisation(tmp_path):
    result = inversa.experiment("matrix-sensing", out=tmp_path, n=8, rank=1, iterations=400)
    assert result["metrics"]["runs"][0]["final_error"] < 1e-6
    written = json.loads((tmp_path / "metrics.json").read_text())
    assert written["runs"][0]["final_error"] == result["metrics"]["runs"][0]["final_error"]


def test_an_unknown_experiment_setting_is_a_key_error():
    with pytest.raises(KeyError, match="matrix-sensing: unknown field `size`"):
        inversa.experiment("matrix-sensing", size=8)
    with pytest.raises(ValueError, match="name: expected one of matrix-sensing"):
        inversa.experiment("matrix-sensingg")


def test_idlg_recovers_the_label_and_the_image_from_a_single_gradient():
    result = inversa.attack(method="idlg", model="lenet", batch=1, seed=0)
    metrics = result["metrics"]
    assert metrics["label_accuracy"] == 1.0
    assert metrics["recovered_labels"] == metrics["true_labels"]
    assert result["arrays"]["reconstruction.png"].ndim >= 2


def test_a_bad_attack_setting_names_it():
    with pytest.raises(ValueError, match="unknown variant `lenett`"):
        inversa.attack(model="lenett")
