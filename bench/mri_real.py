"""MRI on real raw data, side by side (issue 20): a fully sampled Siemens Skyra 3 T gradient-echo scan
(data/mri/gre.dat, twix, 2 coils, 160 × 160) undersampled 4× retrospectively with Inversa's seeded
variable-density line mask; every tool gets the same masked k-space (Inversa's measurement.npy), estimates
its own coil maps from it (ESPIRiT: Inversa's, `bart ecalib`, SigPy's EspiritCalib) and picks its best
regularisation weight from one shared grid. Scored by PSNR/SSIM of the magnitude image, after the
least-squares scale, against the root-sum-of-squares image of the fully sampled scan.

    cargo build --release && python3 bench/compare.py mri-real --out mri_real.json

Needs `bart` on the PATH (Debian package `bart`) and, optionally, `sigpy` in this Python; a missing peer
is reported as such. Every tool runs on 2 threads. Seconds are the reconstruction alone: Inversa's
metrics.json `seconds`, `bart pics`'s wall time (a process, with its file reads), SigPy's `App.run`.
"""
import json
import shutil
import subprocess
import time

import numpy as np

GRID = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1]
DATA = "data/mri/gre.dat"
ITERATIONS = {"sense": 30, "l1-wavelet": 100, "tv": 100}


def fitted(x, reference):
    """PSNR and SSIM of |x| against `reference` after the least-squares scale of |x|."""
    from skimage.metrics import structural_similarity
    x = np.abs(x).astype(np.float64)
    x *= np.sum(x * reference) / np.sum(x * x)
    peak = reference.max()
    psnr = 10 * np.log10(peak ** 2 / np.mean((x - reference) ** 2))
    ssim = structural_similarity(x, reference, data_range=peak, gaussian_weights=True, sigma=1.5,
                                 use_sample_covariance=False)
    return float(psnr), float(ssim)


def centred(kspace):
    """Inversa's unshifted k-space of object-centred images → the centred convention of BART and SigPy
    (frequency f at index f + N/2). The checkerboard moves the image by N/2 back to the centre (N/2 even)."""
    h, w = kspace.shape[-2:]
    checker = (-1.0) ** np.add.outer(np.arange(h), np.arange(w))
    return np.fft.fftshift(kspace, axes=(-2, -1)) * checker


def run(ctx, out_json):
    """`ctx` gives compare.py's `inversa` runner and `WORK` folder."""
    inversa, work = ctx["inversa"], ctx["work"]
    base = f'[data]\nmeasurement = "{ctx["root"] / DATA}"\n[physics]\nkind = "mri"\n'
    # The fully sampled scan (one CG step only to get its measurement) and the 4× masked one.
    inversa("real_full", base + 'acceleration = 1\n[solver]\nkind = "cg"\niterations = 1\n')
    full = np.load(work / "real_full" / "measurement.npy")
    full = full[..., 0] + 1j * full[..., 1]
    reference = np.sqrt((np.abs(np.fft.ifft2(full[0])) ** 2).sum(0))
    masked = base + "acceleration = 4\n"
    inversa("real_masked", masked + '[solver]\nkind = "cg"\niterations = 1\n')
    y = np.load(work / "real_masked" / "measurement.npy")
    y = (y[..., 0] + 1j * y[..., 1])[0]
    columns = np.abs(y).sum(axis=(0, 1)) > 0
    rows = []
    rows += inversa_rows(inversa, masked, reference)
    rows += bart_rows(work, centred(y), reference)
    rows += sigpy_rows(centred(y), np.fft.fftshift(columns), reference)
    meta = {"acceleration": 4, "kept_columns": int(columns.sum()), "columns": int(columns.size)}
    out_json.write_text(json.dumps({"setting": meta, "rows": rows}, indent=1))
    return rows


def best(method, tool, runs):
    """The row of the grid weight with the highest PSNR."""
    psnr, ssim, seconds, weight = max(runs)
    return {"tool": tool, "method": method, "psnr": psnr, "ssim": ssim, "seconds": seconds, "weight": weight,
            "iterations": ITERATIONS[method]}


def inversa_rows(inversa, masked, reference):
    priors = {"sense": ("tikhonov", "cg"), "l1-wavelet": ("wavelet", "fista"), "tv": ("tv", "pdhg")}
    rows = []
    for method, (prior, solver) in priors.items():
        runs = []
        for weight in GRID:
            toml = masked + f'[prior]\nkind = "{prior}"\nweight = {weight}\n[solver]\nkind = "{solver}"\niterations = {ITERATIONS[method]}\n'
            metrics, x = inversa(f"real_{method}_{weight}", toml)
            runs.append((*fitted(x[0], reference), metrics["seconds"], weight))
        rows.append(best(method, "Inversa", runs))
    return rows


def bart_rows(work, kspace, reference):
    if shutil.which("bart") is None:
        return [{"tool": "BART", "method": m, "psnr": None, "ssim": None, "seconds": None, "note": "bart not on PATH"}
                for m in ITERATIONS]
    version = subprocess.run(["bart", "version"], capture_output=True, text=True).stdout.strip()
    folder = work / "bart"
    folder.mkdir(exist_ok=True)
    write_cfl(folder / "kspace", np.moveaxis(kspace, 0, -1)[:, :, None, :])  # [h, w, 1, coils]
    env = {"OMP_NUM_THREADS": "2", "PATH": "/usr/bin:/bin"}
    subprocess.run(["bart", "ecalib", "-m1", "-r24", folder / "kspace", folder / "maps"], check=True, env=env,
                   capture_output=True)
    flags = {"sense": ["-l2"], "l1-wavelet": ["-l1"], "tv": None}
    rows = []
    for method, flag in flags.items():
        runs = []
        for weight in GRID:
            regulariser = flag + ["-r", str(weight)] if flag else ["-R", f"T:3:0:{weight}"]
            command = ["bart", "pics", "-S", "-i", str(ITERATIONS[method]), *regulariser,
                       folder / "kspace", folder / "maps", folder / "image"]
            start = time.perf_counter()
            subprocess.run(command, check=True, env=env, capture_output=True)
            seconds = time.perf_counter() - start
            runs.append((*fitted(np.squeeze(read_cfl(folder / "image")), reference), seconds, weight))
        rows.append(best(method, f"BART {version}", runs))
    return rows


def sigpy_rows(kspace, columns, reference):
    try:
        import sigpy
        import sigpy.mri
    except ImportError as error:
        return [{"tool": "SigPy", "method": m, "psnr": None, "ssim": None, "seconds": None,
                 "note": f"not installed: {error}"} for m in ITERATIONS]
    maps = sigpy.mri.app.EspiritCalib(kspace, calib_width=24, show_pbar=False).run()
    weights = np.broadcast_to(columns, kspace.shape[-2:]).astype(np.float32)
    apps = {"sense": sigpy.mri.app.SenseRecon, "l1-wavelet": sigpy.mri.app.L1WaveletRecon,
            "tv": sigpy.mri.app.TotalVariationRecon}
    rows = []
    for method, app in apps.items():
        runs = []
        for weight in GRID:
            recon = app(kspace, maps, weight, weights=weights, max_iter=ITERATIONS[method], show_pbar=False)
            start = time.perf_counter()
            x = recon.run()
            runs.append((*fitted(x, reference), time.perf_counter() - start, weight))
        rows.append(best(method, f"SigPy {sigpy.__version__}", runs))
    return rows


def write_cfl(name, array):
    dims = list(array.shape) + [1] * (16 - array.ndim)
    (name.parent / (name.name + ".hdr")).write_text("# Dimensions\n" + " ".join(map(str, dims)) + "\n")
    np.asarray(array, np.complex64).ravel(order="F").tofile(name.parent / (name.name + ".cfl"))


def read_cfl(name):
    dims = [int(d) for d in (name.parent / (name.name + ".hdr")).read_text().split("\n")[1].split()]
    data = np.fromfile(name.parent / (name.name + ".cfl"), np.complex64)
    while len(dims) > 2 and dims[-1] == 1:
        dims.pop()
    return data.reshape(dims, order="F")
