"""The experiments and the gradient-inversion audit, one call each from Python."""

import json

import numpy as np
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


def test_model_inversion_runs_the_settings_it_was_given(tmp_path):
    attack = {"gmi": {"restarts": 2, "iterations": 6}, "stages": [{"iterations": 2, "radius": 100.0}]}
    result = inversa.attack("model", out=tmp_path, method="if-gmi", class_=1, attack=attack)
    metrics = result["metrics"]
    assert [row["class"] for row in metrics["classes"]] == [1]
    assert metrics["stages"] == attack["stages"]
    assert 0.0 <= metrics["attack_accuracy"] <= 1.0
    assert json.loads((tmp_path / "metrics.json").read_text()) == metrics
    with pytest.raises(KeyError, match="unknown field `step`"):
        inversa.attack("model", attack={"gmi": {"step": 1}})


def test_federated_averaging_learns_from_the_bundled_images():
    # The bundled set trains on the first 4 images of each class and tests on the other 60.
    result = inversa.attack("fl", data="bundled", rules=["fedavg"], rounds=15, staleness=2,
                            samples=4, hidden=16, seed=0)
    (run,) = result["metrics"]["runs"]
    assert run["aggregation"] == "fedavg"
    assert run["final_accuracy"] > 0.3, "ten classes: chance is 0.1"
    with pytest.raises(ValueError, match="unknown variant `fedsgd`"):
        inversa.attack("fl", rules=["fedsgd"])


def test_the_editing_experiment_scores_every_method_it_was_given():
    result = inversa.experiment("editing", images=1, steps=4, methods=["ddcm", "edict"])
    rows = result["metrics"]["methods"]
    assert [row["method"] for row in rows] == ["ddcm", "edict"]
    assert result["metrics"]["images"] == 1


def test_ddnm_beats_the_back_projection_in_the_diffusion_priors_experiment():
    result = inversa.experiment("diffusion-priors", images=2, physics=["inpaint-random"],
                                methods=["ddnm"], steps={"ddnm": 20}, tune_images=1, batch=2)
    metrics = result["metrics"]
    assert metrics["settings"]["steps"]["ddnm"] == 20 and metrics["settings"]["steps"]["dps"] == 1000
    rows = {row["method"]: row for row in metrics["rows"]}
    assert rows["ddnm"]["psnr_mean"] > rows["adjoint"]["psnr_mean"] + 3.0


def test_an_unknown_attack_is_named():
    with pytest.raises(ValueError, match="kind: expected one of gradient, model, fl"):
        inversa.attack("membership")


def test_recycling_cuts_the_iterations_of_a_sequence_of_systems():
    common = dict(problem="darcy", grid=24, systems=6, tol=1e-8, seed=0)
    cg = inversa.experiment("solve-sequence", method="cg", **common)["metrics"]
    recycled = inversa.experiment("solve-sequence", method="deflated-cg", recycle=10, **common)["metrics"]
    for run in (cg, recycled):
        assert run["max_relative_residual"] <= 1e-8
    assert recycled["total_iterations"] < cg["total_iterations"]


def test_samples_come_back_as_arrays_of_the_requested_class():
    result = inversa.experiment("sample", class_=3, count=2, steps=4, seed=1)
    assert result["metrics"]["class"] == 3 and result["metrics"]["count"] == 2
    samples = result["arrays"]["samples.npy"]
    # The model's 32×32 state: the 28×28 garment padded with 2 pixels of black on each side.
    assert samples.shape[0] == 2 and samples.shape[-2:] == (32, 32)
    assert np.isfinite(samples).all()
