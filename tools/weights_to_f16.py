#!/usr/bin/env python3
"""Halve a safetensors weights file for bundling: every f32 tensor is stored as f16, the
metadata (architecture, sizes) is kept. Inversa widens the values back to f32 when it loads them.

    python3 tools/weights_to_f16.py fashion_unet.safetensors data/weights/fashion_unet.safetensors
"""
import json
import struct
import sys

import numpy as np


def read(path):
    raw = open(path, "rb").read()
    (size,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + size])
    body = raw[8 + size :]
    return header, body


def main(source, target):
    header, body = read(source)
    metadata = header.pop("__metadata__", {})
    tensors, offset, chunks = {}, 0, []
    for name in sorted(header):
        info = header[name]
        start, end = info["data_offsets"]
        data = body[start:end]
        if info["dtype"] == "F32":
            data = np.frombuffer(data, dtype="<f4").astype("<f2").tobytes()
            info = dict(info, dtype="F16")
        tensors[name] = {"dtype": info["dtype"], "shape": info["shape"],
                         "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        chunks.append(data)
    out_header = {"__metadata__": metadata, **tensors}
    encoded = json.dumps(out_header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(target, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)) + encoded + b"".join(chunks))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: weights_to_f16.py SOURCE.safetensors TARGET.safetensors")
    main(sys.argv[1], sys.argv[2])
