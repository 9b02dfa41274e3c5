'''Answers for the similarity tests: independent implementations and planted copies.

Two answer cells of a toy assignment, each with its released stub. For each cell,
``INDEPENDENT`` holds answers written separately for these tests (different loop
orders, vectorised and naive, different padding and window code), and ``PLANTED``
holds disguised copies of one of them (``ORIGIN``): renamed variables, reordered
independent statements, added comments and docstrings, the work split into helper
functions. The answers are written here for the tests; none is the course's solution.
'''

from __future__ import annotations

# --- cell 1: a convolution layer's forward pass ---------------------------------------

CONV_SIGNATURE = '''def conv_forward(x, w, b, conv_param):
    """Forward pass of a conv layer.

    x : (N, C, H, W), w : (F, C, HH, WW), b : (F,),
    conv_param : dict with 'stride' and 'pad'.
    Returns (out, cache).
    """
'''

CONV_STUB = CONV_SIGNATURE + '''    # YOUR CODE HERE
    raise NotImplementedError()
    return out, cache
'''

CONV_INDEPENDENT = {
    # six nested loops, one window product per output value
    "loops_nfij": CONV_SIGNATURE + '''    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    out = np.zeros((N, F, H_out, W_out), dtype=x.dtype)
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    top = i * stride
                    left = j * stride
                    window = xp[n, :, top:top + HH, left:left + WW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    cache = (x, w, b, conv_param)
    return out, cache
''',
    # loops over positions first, all filters at once per window
    "positions_then_filters": CONV_SIGNATURE + '''    s = conv_param['stride']
    p = conv_param['pad']
    n_img, _, height, width = x.shape
    n_filt, _, fh, fw = w.shape
    rows = (height - fh + 2 * p) // s + 1
    cols = (width - fw + 2 * p) // s + 1
    padded = np.zeros((n_img, x.shape[1], height + 2 * p, width + 2 * p), dtype=x.dtype)
    padded[:, :, p:p + height, p:p + width] = x
    out = np.empty((n_img, n_filt, rows, cols), dtype=x.dtype)
    for r in range(rows):
        for c in range(cols):
            patch = padded[:, :, r * s:r * s + fh, c * s:c * s + fw]
            for k in range(n_filt):
                out[:, k, r, c] = (patch * w[k]).sum(axis=(1, 2, 3)) + b[k]
    cache = (x, w, b, conv_param)
    return out, cache
''',
    # einsum per output position
    "einsum_per_position": CONV_SIGNATURE + '''    S = conv_param.get("stride", 1)
    P = conv_param.get("pad", 0)
    HH, WW = w.shape[2], w.shape[3]
    x_pad = np.pad(x, [(0, 0), (0, 0), (P, P), (P, P)])
    Ho = (x_pad.shape[2] - HH) // S + 1
    Wo = (x_pad.shape[3] - WW) // S + 1
    out = np.zeros((x.shape[0], w.shape[0], Ho, Wo), dtype=x.dtype)
    for y in range(Ho):
        y0 = y * S
        for z in range(Wo):
            z0 = z * S
            piece = x_pad[:, :, y0:y0 + HH, z0:z0 + WW]
            out[:, :, y, z] = np.einsum("nchw,fchw->nf", piece, w)
    out += b[None, :, None, None]
    cache = (x, w, b, conv_param)
    return out, cache
''',
    # scalar accumulation, no array arithmetic at all inside the loops
    "scalar_accumulate": CONV_SIGNATURE + '''    step = conv_param["stride"]
    zeros = conv_param["pad"]
    N, C, H, W = x.shape
    F, _, KH, KW = w.shape
    outH = (H + 2 * zeros - KH) // step + 1
    outW = (W + 2 * zeros - KW) // step + 1
    out = np.zeros((N, F, outH, outW), dtype=x.dtype)
    for img in range(N):
        for flt in range(F):
            for oy in range(outH):
                for ox in range(outW):
                    acc = b[flt]
                    for ch in range(C):
                        for ky in range(KH):
                            iy = oy * step + ky - zeros
                            if iy < 0 or iy >= H:
                                continue
                            for kx in range(KW):
                                ix = ox * step + kx - zeros
                                if 0 <= ix < W:
                                    acc += x[img, ch, iy, ix] * w[flt, ch, ky, kx]
                    out[img, flt, oy, ox] = acc
    cache = (x, w, b, conv_param)
    return out, cache
''',
    # no Python loop: a strided view of all windows, then one tensordot
    "strided_tensordot": CONV_SIGNATURE + '''    from numpy.lib.stride_tricks import sliding_window_view
    st, pd = conv_param["stride"], conv_param["pad"]
    kernel = w.shape[2:]
    framed = np.pad(x, ((0, 0), (0, 0), (pd, pd), (pd, pd)))
    views = sliding_window_view(framed, kernel, axis=(2, 3))[:, :, ::st, ::st]
    # views: (N, C, Ho, Wo, HH, WW)
    res = np.tensordot(views, w, axes=([1, 4, 5], [1, 2, 3]))
    out = res.transpose(0, 3, 1, 2) + b.reshape(1, -1, 1, 1)
    out = np.ascontiguousarray(out, dtype=x.dtype)
    cache = (x, w, b, conv_param)
    return out, cache
''',
    # flattened filters and a dot product per image and position
    "flatten_dot": CONV_SIGNATURE + '''    stride = conv_param["stride"]
    pad = conv_param["pad"]
    num, depth, ih, iw = x.shape
    nf, _, kh, kw = w.shape
    if (ih + 2 * pad - kh) % stride or (iw + 2 * pad - kw) % stride:
        raise ValueError("stride does not fit")
    oh = (ih + 2 * pad - kh) // stride + 1
    ow = (iw + 2 * pad - kw) // stride + 1
    flat_w = w.reshape(nf, -1)
    big = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((num, nf, oh, ow), dtype=x.dtype)
    for i in range(num):
        for a in range(oh):
            for c in range(ow):
                col = big[i, :, a * stride:a * stride + kh, c * stride:c * stride + kw]
                out[i, :, a, c] = flat_w @ col.ravel() + b
    cache = (x, w, b, conv_param)
    return out, cache
''',
}

CONV_ORIGIN = "loops_nfij"

CONV_PLANTED = {
    # the same answer with every variable renamed
    "renamed": CONV_SIGNATURE + '''    step, border = conv_param["stride"], conv_param["pad"]
    num, chans, rows, cols = x.shape
    nfilt, _, kr, kc = w.shape
    out_rows = 1 + (rows + 2 * border - kr) // step
    out_cols = 1 + (cols + 2 * border - kc) // step
    framed = np.pad(x, ((0, 0), (0, 0), (border, border), (border, border)), mode="constant")
    result = np.zeros((num, nfilt, out_rows, out_cols), dtype=x.dtype)
    for img in range(num):
        for k in range(nfilt):
            for r in range(out_rows):
                for q in range(out_cols):
                    y0 = r * step
                    x0 = q * step
                    patch = framed[img, :, y0:y0 + kr, x0:x0 + kc]
                    result[img, k, r, q] = np.sum(patch * w[k]) + b[k]
    cache = (x, w, b, conv_param)
    return result, cache
''',
    # independent statements in another order
    "reordered": CONV_SIGNATURE + '''    F, _, HH, WW = w.shape
    N, C, H, W = x.shape
    stride, pad = conv_param["stride"], conv_param["pad"]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    W_out = 1 + (W + 2 * pad - WW) // stride
    H_out = 1 + (H + 2 * pad - HH) // stride
    cache = (x, w, b, conv_param)
    out = np.zeros((N, F, H_out, W_out), dtype=x.dtype)
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    left = j * stride
                    top = i * stride
                    window = xp[n, :, top:top + HH, left:left + WW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return out, cache
''',
    # comments and docstrings everywhere, strings reworded, blank lines
    "commented": CONV_SIGNATURE + '''    """My implementation: loop over every output value."""
    # read the hyper-parameters
    stride, pad = conv_param['stride'], conv_param['pad']

    # shapes of the input and the filters
    N, C, H, W = x.shape  # batch, channels, height, width
    F, _, HH, WW = w.shape

    # output size, formula from the lecture
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride

    # zero padding around the height and the width only
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode='constant')
    out = np.zeros((N, F, H_out, W_out), dtype=x.dtype)

    for n in range(N):  # every image
        for f in range(F):  # every filter
            for i in range(H_out):
                for j in range(W_out):
                    """Position of the window's top-left corner."""
                    top = i * stride
                    left = j * stride
                    window = xp[n, :, top:top + HH, left:left + WW]
                    # elementwise product, summed, plus the bias
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]

    cache = (x, w, b, conv_param)  # for the backward pass
    return out, cache
''',
    # the same work split into helper functions
    "helpers": '''def _pad_input(x, pad):
    """Zero-pad the spatial axes."""
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")


def _out_size(n, k, stride, pad):
    return 1 + (n + 2 * pad - k) // stride


def _one_value(xp, w, b, n, f, i, j, stride, HH, WW):
    top = i * stride
    left = j * stride
    window = xp[n, :, top:top + HH, left:left + WW]
    return np.sum(window * w[f]) + b[f]


''' + CONV_SIGNATURE + '''    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = _out_size(H, HH, stride, pad)
    W_out = _out_size(W, WW, stride, pad)
    xp = _pad_input(x, pad)
    out = np.zeros((N, F, H_out, W_out), dtype=x.dtype)
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    out[n, f, i, j] = _one_value(xp, w, b, n, f, i, j, stride, HH, WW)
    cache = (x, w, b, conv_param)
    return out, cache
''',
}


# --- cell 2: max pooling's backward pass ----------------------------------------------

POOL_SIGNATURE = '''def max_pool_backward(dout, cache):
    """Backward pass of max pooling.

    dout : (N, C, H_out, W_out); cache : (x, pool_param).
    Returns dx, the shape of x: each window's gradient goes to its first maximum.
    """
'''

POOL_STUB = POOL_SIGNATURE + '''    # YOUR CODE HERE
    raise NotImplementedError()
    return dx
'''

POOL_INDEPENDENT = {
    # loops over every window, argmax then unravel
    "argmax_loops": POOL_SIGNATURE + '''    x, pool_param = cache
    ph, pw = pool_param["pool_height"], pool_param["pool_width"]
    stride = pool_param["stride"]
    N, C, H_out, W_out = dout.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    region = x[n, c, i * stride:i * stride + ph, j * stride:j * stride + pw]
                    r, q = np.unravel_index(np.argmax(region), region.shape)
                    dx[n, c, i * stride + r, j * stride + q] += dout[n, c, i, j]
    return dx
''',
    # windows over all images and channels at once, a mask of the first maximum
    "mask_per_window": POOL_SIGNATURE + '''    x, params = cache
    hh = params['pool_height']
    ww = params['pool_width']
    s = params['stride']
    dx = np.zeros(x.shape, dtype=x.dtype)
    _, _, rows, cols = dout.shape
    for r in range(rows):
        for c in range(cols):
            block = x[:, :, r * s:r * s + hh, c * s:c * s + ww]
            flat = block.reshape(block.shape[0], block.shape[1], -1)
            first = flat.argmax(axis=2)
            mask = np.zeros_like(flat)
            np.put_along_axis(mask, first[..., None], 1, axis=2)
            mask = mask.reshape(block.shape)
            dx[:, :, r * s:r * s + hh, c * s:c * s + ww] += mask * dout[:, :, r:r + 1, c:c + 1]
    return dx
''',
    # scalar search for the first maximum, no NumPy helpers
    "scalar_search": POOL_SIGNATURE + '''    x, pp = cache
    size_h, size_w, step = pp["pool_height"], pp["pool_width"], pp["stride"]
    dx = np.zeros_like(x)
    for a in range(dout.shape[0]):
        for d in range(dout.shape[1]):
            for oy in range(dout.shape[2]):
                for ox in range(dout.shape[3]):
                    best_y, best_x = oy * step, ox * step
                    for u in range(size_h):
                        for v in range(size_w):
                            yy, xx = oy * step + u, ox * step + v
                            if x[a, d, yy, xx] > x[a, d, best_y, best_x]:
                                best_y, best_x = yy, xx
                    dx[a, d, best_y, best_x] += dout[a, d, oy, ox]
    return dx
''',
    # reshaped windows (stride equal to the window only), vectorised argmax
    "reshape_tiles": POOL_SIGNATURE + '''    x, conf = cache
    k_h, k_w = conf["pool_height"], conf["pool_width"]
    if conf["stride"] != k_h or k_h != k_w:
        raise ValueError("this version needs square windows that tile the input")
    N, C, H, W = x.shape
    tiles = x.reshape(N, C, H // k_h, k_h, W // k_w, k_w).transpose(0, 1, 2, 4, 3, 5)
    tiles = tiles.reshape(N, C, H // k_h, W // k_w, k_h * k_w)
    where = np.argmax(tiles, axis=-1)
    grads = np.zeros_like(tiles)
    np.put_along_axis(grads, where[..., None], dout[..., None], axis=-1)
    grads = grads.reshape(N, C, H // k_h, W // k_w, k_h, k_w).transpose(0, 1, 2, 4, 3, 5)
    return grads.reshape(N, C, H, W)
''',
}

POOL_ORIGIN = "argmax_loops"

POOL_PLANTED = {
    # every disguise at once: renamed, reordered, commented, split into a helper
    "all_disguises": '''def locate(win):
    """Row and column of the first largest value."""
    return np.unravel_index(np.argmax(win), win.shape)


''' + POOL_SIGNATURE + '''    # unpack the cache
    inp, settings = cache
    st = settings["stride"]
    height_p, width_p = settings["pool_height"], settings["pool_width"]
    grad = np.zeros_like(inp)
    B, K, R, Q = dout.shape  # upstream gradient shape
    for bb in range(B):
        for kk in range(K):
            for rr in range(R):
                for qq in range(Q):
                    # the window under output (rr, qq)
                    piece = inp[bb, kk, rr * st:rr * st + height_p, qq * st:qq * st + width_p]
                    dy, dxx = locate(piece)
                    grad[bb, kk, rr * st + dy, qq * st + dxx] += dout[bb, kk, rr, qq]
    return grad
''',
}

# --- cell 3: a written answer (markdown) ----------------------------------------------

WRITTEN_STUB = "YOUR ANSWER HERE"

WRITTEN_INDEPENDENT = {
    "halves_the_map": (
        "Pooling with 2x2 windows and stride 2 keeps one value out of every four, so the "
        "activation map shrinks to half its height and half its width. The layers after it "
        "do a quarter of the work, and a small shift of the input often leaves the maximum "
        "in the same window, which makes the output less sensitive to exact positions."
    ),
    "parameters_and_overfitting": (
        "It has no weights to learn. Its job is to make the representation smaller, which "
        "lowers the number of parameters and the computation in the rest of the network and "
        "helps to control overfitting. Max pooling also passes on only the strongest response "
        "in each region."
    ),
    "strided_conv_instead": (
        "**Why pool?** Down-sampling. Some architectures drop pooling altogether and use "
        "convolutions with a larger stride now and then; the network then learns how to "
        "down-sample instead of taking a fixed maximum, at the price of extra parameters."
    ),
}

WRITTEN_ORIGIN = "halves_the_map"

WRITTEN_PLANTED = {
    # the same paragraph, sentences swapped, a few words changed, markup added
    "reworded": (
        "*Pooling* with 2x2 windows and stride 2 keeps one value out of every four, so the "
        "activation map shrinks to half its height and half its width.\n\nA small shift of "
        "the input often leaves the maximum in the same window, which makes the output less "
        "sensitive to exact positions. The layers after it do a quarter of the work."
    ),
}

CELLS = {
    "conv_forward": (CONV_STUB, CONV_INDEPENDENT, CONV_ORIGIN, CONV_PLANTED),
    "max_pool_backward": (POOL_STUB, POOL_INDEPENDENT, POOL_ORIGIN, POOL_PLANTED),
    "written": (WRITTEN_STUB, WRITTEN_INDEPENDENT, WRITTEN_ORIGIN, WRITTEN_PLANTED),
}
KINDS = {"written": "markdown"}  # the others are code cells
