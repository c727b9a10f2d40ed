"""Writes the small seed inputs of the fuzz targets into fuzz/seeds/<target>/ (standard library only).

Run from the repository root: python3 fuzz/make_seeds.py
The task-file target is seeded from tasks/*.toml directly (pass tasks/ as a second corpus folder).
"""
import json
import pathlib
import struct
import zlib

ROOT = pathlib.Path(__file__).resolve().parent / "seeds"


def npy(descr, shape, body):
    dims = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (descr, dims)
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + body


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width, height, depth, color, rows, interlace=0, extra=b""):
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, interlace)
    raw = b"".join(b"\x00" + r for r in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def safetensors(metadata, tensors):
    header = {"__metadata__": metadata}
    data = b""
    for name, (shape, values) in tensors.items():
        blob = struct.pack("<%df" % len(values), *values)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [len(data), len(data) + len(blob)]}
        data += blob
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def main():
    seeds = {
        "npy": {
            "f4.npy": npy("<f4", [2, 3], struct.pack("<6f", *range(6))),
            "f8.npy": npy("<f8", [3], struct.pack("<3d", 0.5, -1.0, 2.0)),
            "c8.npy": npy("<c8", [1, 2], struct.pack("<4f", 1, 2, 3, -4)),
            "u1.npy": npy("|u1", [2, 2], bytes([0, 64, 128, 255])),
            "u2.npy": npy("<u2", [2], struct.pack("<2H", 0, 65535)),
            "scalar.npy": npy("<f8", [], struct.pack("<d", 1.0)),
        },
        "png": {
            "grey8.png": png(3, 2, 8, 0, [bytes([0, 128, 255]), bytes([1, 2, 3])]),
            "rgb16.png": png(2, 1, 16, 2, [bytes(range(12))]),
            "grey1.png": png(8, 2, 1, 0, [b"\xa5", b"\x5a"]),
            "rgba8.png": png(1, 2, 8, 6, [bytes([1, 2, 3, 4]), bytes([5, 6, 7, 8])]),
            "greyalpha8.png": png(2, 1, 8, 4, [bytes([9, 255, 10, 0])]),
            "palette.png": png(2, 2, 8, 3, [b"\x00\x01", b"\x01\x00"],
                               extra=chunk(b"PLTE", bytes([0, 0, 0, 255, 255, 255])) + chunk(b"tRNS", b"\x80")),
            "interlaced.png": png(3, 3, 8, 0, [b"\x01\x02\x03"] * 3, interlace=1),
        },
        "weights": {},
    }
    loaders = {  # selector byte of fuzz_targets/weights.rs -> metadata
        0: {"architecture": "dncnn", "depth": "2", "features": "1"},
        1: {"architecture": "diffusion-unet", "channels": "2", "levels": "1", "blocks": "1", "groups": "1",
            "classes": "2", "timesteps": "2", "prediction": "epsilon", "schedule": "linear"},
        2: {"architecture": "fashion-classifier", "channels": "1", "classes": "2"},
        3: {"architecture": "fashion-gan", "latent": "1", "channels": "4"},
        4: {"architecture": "lpn", "hidden": "1", "layers": "1", "beta": "10", "alpha": "0.01"},
        5: {"architecture": "drunet", "channels": "1", "blocks": "1"},
        6: {"architecture": "deep-cd", "channels": "1"},
        7: {"architecture": "none"},
    }
    for selector, metadata in loaders.items():
        tensors = {"layer0.weight": ([1, 2, 3, 3], [0.1] * 18), "layer0.bias": ([1], [0.0])}
        seeds["weights"]["%d.safetensors" % selector] = bytes([selector]) + safetensors(metadata, tensors)
    for target, files in seeds.items():
        folder = ROOT / target
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (folder / name).write_bytes(data)


if __name__ == "__main__":
    main()
