"""Reference coefficients for `crates/inversa/tests/suite/wavelet.rs`, from PyWavelets.

    pip install PyWavelets
    python3 tools/wavelet_reference.py

For each case it builds the deterministic 8×12 array x[i, j] = sin(0.7·i + 1.3·j) + 0.05·i·j (the test
rebuilds it the same way), runs `pywt.wavedec2(x, wavelet, mode="periodization", level=L)`, arranges the
result in Mallat's layout with `pywt.coeffs_to_array` (approximation top-left, `ad` top-right, `da`
bottom-left, `dd` bottom-right at each level) and prints it row-major as a Rust array.
"""

from importlib.metadata import version

import numpy as np
import pywt

HEIGHT, WIDTH = 8, 12
CASES = [("db2", 2), ("db4", 2), ("haar", 2)]


def test_image():
    i, j = np.meshgrid(np.arange(HEIGHT), np.arange(WIDTH), indexing="ij")
    return np.sin(0.7 * i + 1.3 * j) + 0.05 * i * j


def main():
    x = test_image()
    print(
        f"// PyWavelets {version('PyWavelets')} (mode=\"periodization\", Mallat layout), printed by"
        " `python3 tools/wavelet_reference.py`."
    )
    for wavelet, level in CASES:
        coeffs = pywt.wavedec2(x, wavelet, mode="periodization", level=level)
        array, _ = pywt.coeffs_to_array(coeffs)
        assert array.shape == x.shape
        name = f"PYWT_{wavelet.upper()}_LEVEL{level}"
        print(f"const {name}: [f64; {array.size}] = [")
        for row in array:
            print("    " + " ".join(f"{float(v)!r}," for v in row))
        print("];")


if __name__ == "__main__":
    main()
