"""The README's Python example runs as written (from the repository root, as a user would)."""

import pathlib
import re

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[3]


def test_the_readme_example_runs(monkeypatch):
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## From Python"):readme.index("## How it is tested")]
    code = re.findall(r"```python\n(.*?)```", section, re.S)[0]
    monkeypatch.chdir(ROOT)
    scope = {}
    exec(compile(code, "README.md", "exec"), scope)
    assert scope["info"]["iterations"] == 300
    assert scope["estimate"].shape == (512, 512) and np.isfinite(scope["estimate"]).all()
    assert scope["found"]["metrics"]["reconstruction_psnr"] > 40
    assert scope["sneaker"]["metrics"]["target_class"] == 7 and scope["sneaker"]["edit"].shape == (28, 28)
    assert scope["audit"]["metrics"]["label_accuracy"] == 1.0
    assert scope["result"]["metrics"]["psnr"] > scope["result"]["metrics"]["initial"]["psnr"]
