"""Hypothesis strategies for layer geometries that fit by construction."""

from hypothesis import strategies as st


@st.composite
def conv_cases(draw, max_batch=2, max_channels=3, max_out=4):
    """(x_shape, w_shape, conv_param) with every combination the layer supports."""
    N = draw(st.integers(1, max_batch))
    C = draw(st.integers(1, max_channels))
    F = draw(st.integers(1, 3))
    HH = draw(st.integers(1, 4))
    WW = draw(st.integers(1, 4))
    stride = draw(st.integers(1, 3))
    pad = draw(st.integers(0, 2))
    dilation = draw(st.integers(1, 2))
    sizes = []
    for field in (HH, WW):
        extent = dilation * (field - 1) + 1
        out = draw(st.integers(1, max_out))
        size = (out - 1) * stride + extent - 2 * pad
        if size < 1:  # too much padding for this output size: grow the input to fit
            size += ((1 - size + stride - 1) // stride) * stride
        sizes.append(size)
    H, W = sizes
    param = {"stride": stride, "pad": pad, "dilation": dilation}
    return (N, C, H, W), (F, C, HH, WW), param


@st.composite
def pool_cases(draw):
    N = draw(st.integers(1, 2))
    C = draw(st.integers(1, 3))
    ph = draw(st.integers(1, 3))
    pw = draw(st.integers(1, 3))
    stride = draw(st.integers(1, 3))
    H = (draw(st.integers(1, 4)) - 1) * stride + ph
    W = (draw(st.integers(1, 4)) - 1) * stride + pw
    return (N, C, H, W), {"pool_height": ph, "pool_width": pw, "stride": stride}
