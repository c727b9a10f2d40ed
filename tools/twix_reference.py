"""Writes data/mri/gre_twix_reference.json: what the independent reader twixtools 0.24 (`pip install twixtools`)
reads from data/mri/gre.dat, for crates/inversa/src/io/twix/tests.rs. Run from the repository root."""
import json, numpy as np, twixtools
scan = twixtools.read_twix('data/mri/gre.dat')[-1]
yaps = scan['hdr']['MeasYaps']
images = [m for m in scan['mdb'] if m.is_image_scan()]
data = np.stack([m.data for m in images])  # [readouts, channels, samples]
line = 80
centre = next(m for m in images if m.cLin == line).data
# The root-sum-of-squares image by numpy's FFT: centred inverse DFT of [coils, readout, line] k-space, readout
# cropped to its central 160 (oversampling 2), scaled to a 99th percentile of 1; 16 pixels along the diagonal.
k = np.zeros((data.shape[1], data.shape[2], yaps['sKSpace']['lPhaseEncodingLines']), complex)
for m in images:
    k[:, :, m.cLin] = m.data
img = np.fft.fftshift(np.fft.ifft2(np.fft.ifftshift(k, axes=(1, 2))), axes=(1, 2))[:, 80:240, :]
rss = np.sqrt((np.abs(img) ** 2).sum(0))
rss /= np.sort(rss.ravel())[rss.size * 99 // 100]
ref = {
    'rss_diagonal_every_10': [float(rss[i, i]) for i in range(0, 160, 10)],
    'image_readouts': len(images),
    'channels': int(data.shape[1]),
    'samples': int(data.shape[2]),
    'lines': sorted({int(m.cLin) for m in images}),
    'base_resolution': yaps['sKSpace']['lBaseResolution'],
    'phase_lines': yaps['sKSpace']['lPhaseEncodingLines'],
    'readout_oversampling': scan['hdr']['Dicom']['flReadoutOSFactor'],
    'fov_mm': [yaps['sSliceArray']['asSlice'][0]['dReadoutFOV'], yaps['sSliceArray']['asSlice'][0]['dPhaseFOV']],
    'energy': float(np.sum(np.abs(data.astype(np.complex128)) ** 2)),
    'line': line,
    'line_samples_150_160': [[[float(z.real), float(z.imag)] for z in centre[c, 150:160]] for c in range(centre.shape[0])],
}
json.dump(ref, open('data/mri/gre_twix_reference.json', 'w'), indent=1)
print({k: v for k, v in ref.items() if k not in ('lines', 'line_samples_150_160')})
