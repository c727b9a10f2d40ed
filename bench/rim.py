"""The learned MRI reconstructions against compressed sensing (issue 20): the three bundled RIMs (GRU, MGU,
IndRNN cells; `inversa train rim`), the bundled Recurrent Variational Network (`inversa train
recurrent-varnet`), all trained on simulated k-space of MNI152 T1 slices, and TV (PDHG, 200
iterations, its best weight per setting from GRID, chosen on the very images it is scored on: an oracle
advantage for CS), with the zero-filled image as the floor.

- held-out T1: the 8 bundled test slices (axial, z = 44…72 mm; data/brain/mni152_t1_test.npy, 96 × 96),
  4 coils, variable-density lines at 4× and 8× with 8% in the centre, noise σ = 0.005, one seeded mask per
  slice — the same simulation for every method (Inversa's task files);
- real raw data, an unseen contrast and object: the Siemens GRE phantom scan (data/mri/gre.dat, 2 coils,
  160 × 160) undersampled 4× retrospectively as tasks/mri_gre_twix_tv.toml does (ESPIRiT maps).

    cargo build --release && python3 bench/rim.py --out rim_rows.json

Standard library only. Seconds are metrics.json's `seconds` (the solve alone), the median over the slices;
every run uses Inversa's default threads (2 here). Writes bench/rim.md and the rows as JSON.
"""
import json
import os
import statistics
import struct
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INVERSA = ROOT / "target" / "release" / "inversa"
WORK = Path(os.environ.get("RIM_WORK", "/tmp/inversa_rim_bench"))
GRID = [3e-4, 1e-3, 3e-3, 1e-2, 3e-2]
UNITS = ["gru", "mgu", "indrnn"]
ACCELERATIONS = [4, 8]


def read_u8_slices(path):
    raw = path.read_bytes()
    (length,) = struct.unpack("<H", raw[8:10])
    header = raw[10:10 + length].decode()
    shape = tuple(int(v) for v in header.split("'shape': (")[1].split(")")[0].split(",") if v.strip())
    body = raw[10 + length:]
    n, h, w = shape
    return [body[i * h * w:(i + 1) * h * w] for i in range(n)], (h, w)


def write_u8_npy(path, shape, body):
    header = "{'descr': '|u1', 'fortran_order': False, 'shape': %s, }" % (tuple(shape),)
    header += " " * (64 - (10 + len(header) + 1) % 64) + "\n"
    path.write_bytes(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + body)


def run(name, toml):
    task = WORK / f"{name}.toml"
    task.write_text(toml)
    out = WORK / name
    subprocess.run([str(INVERSA), "run", str(task), "--out", str(out)], check=True,
                   capture_output=True)
    return json.loads((out / "metrics.json").read_text())


def slice_task(image, acceleration, seed, solver):
    return (f'[data]\nimage = "{image}"\n[physics]\nkind = "mri"\nacceleration = {acceleration}\n'
            'center_fraction = 0.08\nmask = "variable_density"\ncoils = 4\n'
            'noise = { kind = "gaussian", sigma = 0.005 }\n' + solver + f"\n[run]\nseed = {seed}\n")


def solvers():
    """(method, weight, [solver] and [prior] tables) for every method compared."""
    for unit in UNITS:
        yield f"RIM ({unit})", None, f'[solver]\nkind = "rim"\nweights = "{unit}"\n'
    # The bundled weights by their path: the same file the binary embeds.
    rvn = ROOT / "data" / "weights" / "recurrent_varnet.safetensors"
    yield "Recurrent VarNet", None, f'[solver]\nkind = "recurrent-varnet"\nweights = "{rvn}"\n'
    for weight in GRID:
        yield "TV (PDHG)", weight, f'[prior]\nkind = "tv"\nweight = {weight}\n[solver]\nkind = "pdhg"\niterations = 200\n'


def summarise(setting, runs):
    """One row per method (TV at its best weight) from runs = {(method, weight): [metrics]}."""
    rows = []
    first = next(iter(runs.values()))
    rows.append({"setting": setting, "method": "zero-filled",
                 "psnr": statistics.mean(m["initial"]["psnr"] for m in first),
                 "ssim": statistics.mean(m["initial"]["ssim"] for m in first), "seconds": 0.0})
    best = {}
    for (method, weight), metrics in runs.items():
        row = {"setting": setting, "method": method, "weight": weight,
               "psnr": statistics.mean(m["psnr"] for m in metrics),
               "ssim": statistics.mean(m["ssim"] for m in metrics),
               "seconds": statistics.median(m["seconds"] for m in metrics)}
        if method not in best or row["psnr"] > best[method]["psnr"]:
            best[method] = row
    return rows + list(best.values())


def main():
    out = sys.argv[sys.argv.index("--out") + 1] if "--out" in sys.argv else None
    WORK.mkdir(parents=True, exist_ok=True)
    slices, (h, w) = read_u8_slices(ROOT / "data" / "brain" / "mni152_t1_test.npy")
    images = []
    for i, body in enumerate(slices):
        images.append(WORK / f"t1_slice{i}.npy")
        write_u8_npy(images[-1], (h, w), body)
    rows = []
    for acceleration in ACCELERATIONS:
        runs = {}
        for method, weight, solver in solvers():
            runs[(method, weight)] = [run(f"t1_{i}_{acceleration}_{method[:3]}{weight}", slice_task(image, acceleration, i, solver))
                                      for i, image in enumerate(images)]
        rows += summarise(f"held-out T1 slices, {acceleration}×", runs)
    real = f'[data]\nmeasurement = "{ROOT / "data" / "mri" / "gre.dat"}"\n[physics]\nkind = "mri"\nacceleration = 4\n'
    runs = {(method, weight): [run(f"gre_{method[:3]}{weight}", real + solver)] for method, weight, solver in solvers()}
    rows += summarise("real GRE phantom (gre.dat), 4×", runs)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    lines = ["| setting | method | PSNR (dB) | SSIM | seconds |", "|---|---|---|---|---|"]
    for r in rows:
        method = r["method"] + (f", weight {r['weight']:g}" if r.get("weight") else "")
        lines.append(f"| {r['setting']} | {method} | {r['psnr']:.2f} | {r['ssim']:.3f} | {r['seconds']:.3f} |")
    text = "\n".join(["# Learned MRI (RIM, Recurrent VarNet) against compressed sensing", "",
                      f"Machine: {cpu}. Command: `cargo build --release && python3 bench/rim.py --out rim_rows.json`.", "",
                      *lines, ""])
    (ROOT / "bench" / "rim.md").write_text(text)
    print(text)
    if out:
        Path(out).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
