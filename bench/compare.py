#!/usr/bin/env python3
"""Side-by-side comparison of Inversa with peer toolkits on the same data, in one run.

    cargo build --release && python3 bench/compare.py            # writes bench/latest.md
    python3 bench/compare.py mri                                 # one section: ct, deblur, mri or nn
    python3 bench/compare.py mri-real --out rows.json            # real raw MRI against BART and SigPy

Needs: scikit-image, astra-toolbox (CPU projectors), and optionally deepinv (pulls torch) and sigpy; a peer that
does not import is reported as missing. Every tool gets 2 threads. Inversa's time is the `seconds` of its
metrics.json (the solve alone); a peer's time is its solve call alone, median of a few runs.
"""
import datetime
import json
import os
import pathlib
import platform
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

ROOT = pathlib.Path(__file__).resolve().parent.parent
INVERSA = ROOT / "target" / "release" / "inversa"
WORK = pathlib.Path(tempfile.mkdtemp(prefix="inversa-compare-"))
ENV = dict(os.environ, RAYON_NUM_THREADS="2", OMP_NUM_THREADS="2")
ROWS = []
REFERENCE = {}


def psnr(x, ref):
    return 10 * np.log10(1.0 / np.mean((np.asarray(x, np.float64) - ref) ** 2))


def ssim(x, ref):
    from skimage.metrics import structural_similarity
    return structural_similarity(np.asarray(x, np.float64), ref, data_range=1.0, gaussian_weights=True,
                                 sigma=1.5, use_sample_covariance=False)


def timed(fn, repeats=3):
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return out, sorted(times)[len(times) // 2]


def inversa(name, toml):
    task = WORK / f"{name}.toml"
    task.write_text(toml)
    out = WORK / name
    subprocess.run([str(INVERSA), "run", str(task), "--out", str(out)], check=True, env=ENV, capture_output=True)
    metrics = json.loads((out / "metrics.json").read_text())
    return metrics, np.load(out / "reconstruction.npy")


def inversa_sweep(task, name, base, iterations, weights, note):
    """Inversa TV by PDHG and by FISTA, each at its best weight; returns (label, toml, metrics) per solver."""
    runs = []
    for solver in ["pdhg", "fista"]:
        best = None
        for weight in weights:
            toml = base + f'[prior]\nkind = "tv"\nweight = {weight}\n[solver]\nkind = "{solver}"\niterations = {iterations}\n'
            m, _ = inversa(f"{name}_{solver}_{weight}", toml)
            if best is None or m["psnr"] > best[0]["psnr"]:
                best = (m, weight, toml)
        label = f"{solver}+tv (weight {best[1]})"
        row(task, f"Inversa {solver}+tv {iterations} its (weight {best[1]}, best of {len(weights)})",
            (best[0]["psnr"], best[0]["ssim"]), best[0]["seconds"], note)
        runs.append((label, best[2], best[0]))
    return runs


def equal_quality(task, runs, target):
    """Re-runs the Inversa configuration that reaches the peer's PSNR `target` soonest, stopped at
    the first iteration where its recorded PSNR history reaches it; returns that run's seconds."""
    candidates = []
    for label, toml, metrics in runs:
        psnrs = metrics["history"]["psnr"]
        reached = next((k + 1 for k, p in enumerate(psnrs) if p >= target), None)
        if reached:
            candidates.append((reached * metrics["seconds"] / len(psnrs), reached, label, toml))
    if not candidates:
        return None
    _, iterations, label, toml = min(candidates)
    name = f"equal_{abs(hash(toml))}"
    metrics, _ = inversa(name, re.sub(r"iterations = \d+", f"iterations = {iterations}", toml))
    row(task, f"Inversa {label} stopped at the best peer's PSNR ({iterations} its)",
        (metrics["psnr"], metrics["ssim"]), metrics["seconds"])
    reference(task, metrics["seconds"])


def row(task, tool, quality, seconds, note=""):
    ROWS.append((task, tool, quality[0], quality[1], seconds, note))


def reference(task, seconds):
    """The Inversa time every row of `task` is divided by in the ratio column."""
    REFERENCE[task] = seconds


# ---------------------------------------------------------------- CT
def ct():
    from skimage.data import shepp_logan_phantom
    from skimage.transform import resize, radon, iradon
    phantom = np.clip(resize(shepp_logan_phantom(), (256, 256), anti_aliasing=True), 0, 1).astype(np.float32)
    np.save(WORK / "phantom.npy", phantom)
    angles = 60
    base = f'[data]\nimage = "{WORK / "phantom.npy"}"\n[physics]\nkind = "ct"\nangles = {angles}\n'
    fbp, rec = inversa("ct_fbp", base + '[solver]\nkind = "fbp"\n')
    fbp_seconds = fbp["seconds"]
    row("CT FBP 256², 60 angles", "Inversa fbp (ram-lak)", (fbp["psnr"], fbp["ssim"]), fbp_seconds)
    reference("CT FBP 256², 60 angles", fbp_seconds)
    best = None
    for weight in [0.02, 0.05, 0.1, 0.2]:
        toml = base + f'[prior]\nkind = "tv"\nweight = {weight}\n[solver]\nkind = "pdhg"\niterations = 300\ninit = "zeros"\n'
        m, _ = inversa(f"ct_tv_{weight}", toml)
        if best is None or m["psnr"] > best[0]["psnr"]:
            best = (m, weight, toml)
    tv_seconds = best[0]["seconds"]
    row("CT iterative 256², 60 angles", f"Inversa pdhg+tv 300 its (weight {best[1]}, best of 4)", (best[0]["psnr"], best[0]["ssim"]), tv_seconds)
    reference("CT iterative 256², 60 angles", tv_seconds)
    bench = subprocess.run([str(INVERSA), "bench", "--size", "256", "--repeats", "11", "--max-size", "0"], env=ENV, capture_output=True, text=True).stdout
    ct_line = next(l for l in bench.splitlines() if l.startswith("ct "))
    forward = float(ct_line.split()[1]) / 1e3
    row("CT forward projection 256², 60 angles", "Inversa Joseph", (float("nan"), float("nan")), forward)
    reference("CT forward projection 256², 60 angles", forward)

    theta = np.arange(angles) * 180.0 / angles
    sino, t = timed(lambda: radon(phantom, theta=theta, circle=False))
    row("CT forward projection 256², 60 angles", "scikit-image radon", (float("nan"), float("nan")), t)
    rec, t = timed(lambda: iradon(sino, theta=theta, circle=False, filter_name="ramp", output_size=256))
    row("CT FBP 256², 60 angles", "scikit-image iradon (ramp)", (psnr(rec, phantom), ssim(rec, phantom)), t)
    try:
        import astra
    except ImportError as error:
        row("CT", "ASTRA", (float("nan"), float("nan")), float("nan"), f"not installed: {error}")
        return
    vol = astra.create_vol_geom(256, 256)
    proj = astra.create_proj_geom("parallel", 1.0, 363, np.arange(angles) * np.pi / angles)
    projector = astra.create_projector("linear", proj, vol)
    (sino_id, sino), t = timed(lambda: astra.create_sino(phantom, projector), repeats=5)
    row("CT forward projection 256², 60 angles", "ASTRA 2.5 CPU linear", (float("nan"), float("nan")), t)

    def run(algorithm, iterations=1, options=None):
        rec_id = astra.data2d.create("-vol", vol, 0.0)
        cfg = astra.astra_dict(algorithm)
        cfg.update(ProjectorId=projector, ProjectionDataId=sino_id, ReconstructionDataId=rec_id)
        if options:
            cfg["option"] = options
        alg = astra.algorithm.create(cfg)
        astra.algorithm.run(alg, iterations)
        out = astra.data2d.get(rec_id)
        astra.algorithm.delete(alg)
        astra.data2d.delete(rec_id)
        return out

    rec, t = timed(lambda: run("FBP", options={"FilterType": "Ram-Lak"}))
    row("CT FBP 256², 60 angles", "ASTRA 2.5 CPU FBP (Ram-Lak)", (psnr(rec, phantom), ssim(rec, phantom)), t)
    rec, t = timed(lambda: run("SIRT", 200), repeats=1)
    row("CT iterative 256², 60 angles", "ASTRA 2.5 CPU SIRT 200 its", (psnr(rec, phantom), ssim(rec, phantom)), t)
    equal_quality("CT iterative 256², 60 angles", [(f"pdhg+tv (weight {best[1]})", best[2], best[0])], psnr(rec, phantom))


# ---------------------------------------------------------------- deblurring
def camera256():
    """scikit-image's cameraman, 2×2-averaged to 256², saved where the Inversa tasks read it."""
    from skimage.data import camera
    x = (camera().astype(np.float64) / 255.0).reshape(256, 2, 256, 2).mean(axis=(1, 3)).astype(np.float32)
    np.save(WORK / "camera256.npy", x)
    return x


def deblur():
    try:
        import torch
        import deepinv as dinv
    except ImportError as error:
        row("TV deblurring", "deepinv", (float("nan"), float("nan")), float("nan"), f"not installed: {error}")
        return
    torch.set_num_threads(2)
    x = camera256()
    kernel = dinv.physics.functional.blur.gaussian_blur(sigma=(2.0, 2.0))
    np.save(WORK / "kernel.npy", kernel[0, 0].numpy().astype(np.float32))
    physics = dinv.physics.BlurFFT(img_size=(1, 256, 256), filter=kernel,
                                   noise_model=dinv.physics.GaussianNoise(sigma=0.01))
    xt = torch.from_numpy(x)[None, None]
    torch.manual_seed(0)
    y = physics(xt)
    np.save(WORK / "y.npy", y[0, 0].numpy())
    # The two forward models must agree before the solvers are compared.
    clean, _ = inversa("blur_check", f'[data]\nimage = "{WORK / "camera256.npy"}"\n[physics]\nkind = "blur"\nkernel = {{ kind = "file", path = "{WORK / "kernel.npy"}" }}\n[solver]\nkind = "cg"\niterations = 1\n')
    ours = np.load(WORK / "blur_check" / "measurement.npy")
    theirs = physics.A(xt)[0, 0].numpy()
    mismatch = float(np.abs(ours.reshape(theirs.shape) - theirs).max())
    task = "TV deblurring 256², σ=2, noise 0.01"
    base = (f'[data]\nmeasurement = "{WORK / "y.npy"}"\nshape = [256, 256]\nimage = "{WORK / "camera256.npy"}"\n'
            f'[physics]\nkind = "blur"\nkernel = {{ kind = "file", path = "{WORK / "kernel.npy"}" }}\n')
    runs = inversa_sweep(task, "deblur", base, 300, [0.0005, 0.001, 0.002], f"forward models differ by {mismatch:.1e}")
    best_peer = None
    for weight in [0.0005, 0.001, 0.002]:
        model = dinv.optim.optim_builder(iteration="PGD", prior=dinv.optim.prior.TVPrior(n_it_max=20),
                                         data_fidelity=dinv.optim.data_fidelity.L2(), max_iter=300, early_stop=False,
                                         params_algo={"stepsize": 1.0, "lambda": weight})
        with torch.no_grad():
            rec, t = timed(lambda: model(y, physics), repeats=1)
        rec = rec[0, 0].numpy()
        if best_peer is None or psnr(rec, x) > best_peer[0]:
            best_peer = (psnr(rec, x), ssim(rec, x), t, weight)
    row(task, f"deepinv {dinv.__version__} PGD+TVPrior(20) 300 its (λ {best_peer[3]}, best of 3)", best_peer[:2], best_peer[2])
    equal_quality(task, runs, best_peer[0])


# ---------------------------------------------------------------- MRI
WEIGHTS = [0.0005, 0.001, 0.002, 0.004]
PEER_WEIGHTS = [0.001, 0.002, 0.004, 0.008, 0.016]  # the peers solve for a complex image and peak at larger weights


def to_unshifted(centered):
    """deepinv and SigPy use the centred unitary FFT, fftshift(fft2(ifftshift(z))); Inversa the plain
    unitary fft2(z). For even sizes the two differ by an ifftshift and a (-1)^(i+j) sign."""
    h, w = centered.shape[-2:]
    sign = (-1.0) ** np.add.outer(np.arange(h), np.arange(w))
    return np.fft.ifftshift(centered, axes=(-2, -1)) * sign


def mri():
    try:
        import torch
        import deepinv as dinv
    except ImportError as error:
        row("TV MRI", "deepinv", (float("nan"), float("nan")), float("nan"), f"not installed: {error}")
        return
    torch.set_num_threads(2)
    x = camera256()
    generator = dinv.physics.generator.RandomMaskGenerator((256, 256), acceleration=4, center_fraction=0.08,
                                                           rng=torch.Generator().manual_seed(0))
    mask = generator.step(batch_size=1, seed=0)["mask"]
    physics = dinv.physics.MultiCoilMRI(mask=mask, coil_maps=8, img_size=(1, 2, 256, 256),
                                        noise_model=dinv.physics.GaussianNoise(sigma=0.005))
    xt = torch.stack([torch.from_numpy(x), torch.zeros(256, 256)])[None]
    torch.manual_seed(0)
    y = physics(xt)  # [1, 2, coils, H, W]
    y_complex = (y[0, 0] + 1j * y[0, 1]).numpy()  # [coils, H, W], centred
    maps = physics.coil_maps[0].numpy()
    columns = mask[0, 0, 0].numpy()
    np.save(WORK / "mri_y.npy", to_unshifted(y_complex)[None].astype(np.complex64))
    np.save(WORK / "mri_maps.npy", maps.astype(np.complex64))
    np.save(WORK / "mri_mask.npy", np.fft.ifftshift(columns).astype(np.float32))
    base = (f'[data]\nmeasurement = "{WORK / "mri_y.npy"}"\nshape = [256, 256]\nimage = "{WORK / "camera256.npy"}"\n'
            f'[physics]\nkind = "mri"\ncoil_maps = "{WORK / "mri_maps.npy"}"\nmask_file = "{WORK / "mri_mask.npy"}"\n')
    # Same forward model: Inversa's clean measurement against deepinv's, in Inversa's FFT convention.
    inversa("mri_check", base.replace(f'measurement = "{WORK / "mri_y.npy"}"\nshape = [256, 256]\n', "") + '[solver]\nkind = "cg"\niterations = 1\n')
    ours = np.load(WORK / "mri_check" / "measurement.npy")
    clean = physics.A(xt)
    theirs = to_unshifted((clean[0, 0] + 1j * clean[0, 1]).numpy())
    mismatch = float(np.abs(ours[..., 0] + 1j * ours[..., 1] - theirs[None]).max())
    task = "TV MRI 256², 8 coils, 4× random, noise 0.005"
    runs = inversa_sweep(task, "mri", base, 200, WEIGHTS, f"forward models differ by {mismatch:.1e}")
    step = 1.0 / physics.compute_norm(xt, tol=1e-4).item()
    best_peer = None
    for weight in PEER_WEIGHTS:
        model = dinv.optim.optim_builder(iteration="PGD", prior=dinv.optim.prior.TVPrior(n_it_max=20),
                                         data_fidelity=dinv.optim.data_fidelity.L2(), max_iter=200, early_stop=False,
                                         params_algo={"stepsize": step, "lambda": weight})
        with torch.no_grad():
            rec, t = timed(lambda: model(y, physics), repeats=1)
        # The peer estimates a complex image; score the better of its real part and its magnitude.
        real, magnitude = rec[0, 0].numpy(), rec[0].norm(dim=0).numpy()
        score = max((psnr(real, x), ssim(real, x)), (psnr(magnitude, x), ssim(magnitude, x)))
        if best_peer is None or score[0] > best_peer[0]:
            best_peer = (*score, t, weight)
    row(task, f"deepinv {dinv.__version__} PGD+TVPrior(20) 200 its (λ {best_peer[3]}, best of {len(PEER_WEIGHTS)})",
        best_peer[:2], best_peer[2], "complex estimate; better of real part and magnitude")
    target = best_peer[0]
    try:
        import sigpy
        import sigpy.mri
    except ImportError as error:
        row("TV MRI", "SigPy", (float("nan"), float("nan")), float("nan"), f"not installed: {error}")
        equal_quality(task, runs, target)
        return
    best_peer = None
    weights = np.broadcast_to(columns, (256, 256)).astype(np.float32)
    for weight in PEER_WEIGHTS:
        app = sigpy.mri.app.TotalVariationRecon(y_complex, maps, weight, weights=weights, max_iter=200, show_pbar=False)
        rec, t = timed(app.run, repeats=1)
        real, magnitude = rec.real, np.abs(rec)
        score = max((psnr(real, x), ssim(real, x)), (psnr(magnitude, x), ssim(magnitude, x)))
        if best_peer is None or score[0] > best_peer[0]:
            best_peer = (*score, t, weight)
    row(task, f"SigPy {sigpy.__version__} TotalVariationRecon (PDHG) 200 its (λ {best_peer[3]}, best of {len(PEER_WEIGHTS)})",
        best_peer[:2], best_peer[2], "complex estimate; better of real part and magnitude")
    equal_quality(task, runs, max(target, best_peer[0]))


# ---------------------------------------------------------------- networks
def nn():
    """candle (through `inversa bench`) against PyTorch CPU on the convolution shapes the learned priors use."""
    try:
        import torch
        import torch.nn.functional as F
    except ImportError as error:
        row("networks", "PyTorch", (float("nan"), float("nan")), float("nan"), f"not installed: {error}")
        return
    torch.set_num_threads(2)
    bench = subprocess.run([str(INVERSA), "bench", "--only", "networks", "--repeats", "5"],
                           env=ENV, capture_output=True, text=True).stdout
    ours = {" ".join(l.split()[:3 if l.startswith("DnCNN") else 2]): float(l.split()[-2]) / 1e3 for l in bench.splitlines()
            if l.startswith(("candle conv2d", "inversa conv2d", "FFDNet", "DnCNN"))}
    conv_task = "conv2d 3×3 64→64, batch 8, 64×64, fwd+bwd"
    ffdnet_task = "FFDNet colour forward, 1×3×256×256"
    dncnn_task = "DnCNN 17 layers, 64 ch, forward, 1×1×256×256"
    step_task = "DnCNN 17 layers training step (MSE fwd+bwd, no optimiser), batch 8, 64×64"
    row(conv_task, "Inversa conv2d (im2col + gemm, CPU)", (float("nan"), float("nan")), ours["inversa conv2d"])
    reference(conv_task, ours["inversa conv2d"])
    row(conv_task, "candle 0.11.1 conv2d (CPU)", (float("nan"), float("nan")), ours["candle conv2d"])
    row(ffdnet_task, "Inversa", (float("nan"), float("nan")), ours["FFDNet colour"])
    reference(ffdnet_task, ours["FFDNet colour"])
    row(dncnn_task, "Inversa", (float("nan"), float("nan")), ours["DnCNN 17 layers,"])
    reference(dncnn_task, ours["DnCNN 17 layers,"])
    row(step_task, "Inversa", (float("nan"), float("nan")), ours["DnCNN 17 training"])
    reference(step_task, ours["DnCNN 17 training"])

    x = torch.randn(8, 64, 64, 64, requires_grad=True)
    w = (0.05 * torch.randn(64, 64, 3, 3)).requires_grad_()

    def conv_step():
        F.conv2d(x, w, padding=1).square().sum().backward()
    conv_step()
    _, t = timed(conv_step, repeats=5)
    row(conv_task, f"PyTorch {torch.__version__} CPU", (float("nan"), float("nan")), t)

    weights = [(torch.randn(96 if i < 11 else 12, 13 if i == 0 else 96, 3, 3), torch.randn(96 if i < 11 else 12))
               for i in range(12)]
    image = torch.rand(1, 3, 256, 256)

    def ffdnet():
        with torch.no_grad():
            z = torch.cat([F.pixel_unshuffle(image, 2), torch.full((1, 1, 128, 128), 0.1)], dim=1)
            for i, (wi, bi) in enumerate(weights):
                z = F.conv2d(z, wi, bi, padding=1)
                if i < 11:
                    z = F.relu(z)
            return F.pixel_shuffle(z, 2)
    ffdnet()
    _, t = timed(ffdnet, repeats=5)
    row(ffdnet_task, f"PyTorch {torch.__version__} CPU", (float("nan"), float("nan")), t)

    layers = [(0.05 * torch.randn(1 if i == 16 else 64, 1 if i == 0 else 64, 3, 3), torch.zeros(1 if i == 16 else 64))
              for i in range(17)]
    grey = torch.rand(1, 1, 256, 256)

    def dncnn():
        with torch.no_grad():
            z = grey
            for i, (wi, bi) in enumerate(layers):
                z = F.conv2d(z, wi, bi, padding=1)
                if i < 16:
                    z = F.relu(z)
            return grey - z
    dncnn()
    _, t = timed(dncnn, repeats=5)
    row(dncnn_task, f"PyTorch {torch.__version__} CPU", (float("nan"), float("nan")), t)

    trained = [(wi.clone().requires_grad_(), bi) for wi, bi in layers]
    clean = torch.rand(8, 1, 64, 64)
    noisy = clean + 0.1 * torch.randn(8, 1, 64, 64)

    def step():
        z = noisy
        for i, (wi, bi) in enumerate(trained):
            z = F.conv2d(z, wi, padding=1)
            if i < 16:
                z = F.relu(z)
        ((noisy - z - clean) ** 2).mean().backward()
    step()
    _, t = timed(step, repeats=5)
    row(step_task, f"PyTorch {torch.__version__} CPU", (float("nan"), float("nan")), t)


def mri_real(out):
    """The real-data MRI comparison (bench/mri_real.py): its rows go to `out` as JSON and into the table."""
    import mri_real as section
    if out is None:
        sys.exit("mri-real needs --out FILE.json")
    rows = section.run({"inversa": inversa, "work": WORK, "root": ROOT}, pathlib.Path(out))
    task = "real MRI: Siemens GRE 160², 2 coils, 4× variable-density lines"
    for r in rows:
        quality = (r["psnr"] if r["psnr"] is not None else float("nan"), r["ssim"] if r["ssim"] is not None else float("nan"))
        note = r.get("note") or f'{r["iterations"]} its, weight {r["weight"]} (best of {len(section.GRID)})'
        row(task, f'{r["tool"]} {r["method"]}', quality, r["seconds"] if r["seconds"] is not None else float("nan"), note)
        if r["tool"] == "Inversa" and r["method"] == "tv":
            reference(task, r["seconds"])
    cpu = next((l.split(":", 1)[1].strip() for l in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines() if l.startswith("Model name")), platform.processor())
    lines = [f"# Real raw MRI: Inversa vs BART and SigPy — {datetime.date.today()}", "",
             f"Machine: {cpu}; every tool on 2 threads. Command: `cargo build --release && python3 bench/compare.py mri-real --out rows.json` (bench/mri_real.py).", "",
             "| tool | method | PSNR (dB) | SSIM | seconds | iterations | weight |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        numbers = " | ".join("–" if r[k] is None else f"{r[k]:{f}}" for k, f in [("psnr", ".2f"), ("ssim", ".4f"), ("seconds", ".4f")])
        lines.append(f'| {r["tool"]} | {r["method"]} | {numbers} | {r.get("iterations", "")} | {r.get("weight", r.get("note"))} |')
    (ROOT / "bench" / "mri_real.md").write_text("\n".join(lines) + "\n")


def main():
    args = sys.argv[1:]
    out = None
    if "--out" in args:
        i = args.index("--out")
        out = args[i + 1] if i + 1 < len(args) else None
        del args[i:i + 2]
    sections = {"ct": ct, "deblur": deblur, "mri": mri, "nn": nn, "mri-real": lambda: mri_real(out)}
    chosen = args or [name for name in sections if name != "mri-real"]
    unknown = [name for name in chosen if name not in sections]
    if unknown:
        sys.exit(f"unknown section(s) {unknown}; expected any of {list(sections)}")
    for name in chosen:
        sections[name]()
    cpu = next((l.split(":", 1)[1].strip() for l in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines() if l.startswith("Model name")), platform.processor())
    lines = [f"# Inversa vs peers — {datetime.date.today()}", "",
             f"Machine: {cpu}, {os.cpu_count()} cores; every tool limited to 2 threads. Command: `cargo build --release && python3 bench/compare.py`.",
             "Seconds are the solve alone (median of 3 runs for peers where repeated). Ratio = tool seconds / the reference Inversa seconds of the same task (>1: Inversa is faster); for CT iterative, deblurring and MRI the reference is Inversa stopped at the first iteration that reaches the best peer's PSNR (equal quality).", "",
             "| task | tool | PSNR (dB) | SSIM | seconds | ratio | note |", "|---|---|---|---|---|---|---|"]
    for task, tool, p, s, sec, note in ROWS:
        ratio = sec / REFERENCE[task] if task in REFERENCE else float("nan")
        lines.append(f"| {task} | {tool} | {p:.2f} | {s:.4f} | {sec:.4f} | {ratio:.2f} | {note} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if not sys.argv[1:]:  # only a full run replaces the published table
        (ROOT / "bench" / "latest.md").write_text(text)


if __name__ == "__main__":
    main()
