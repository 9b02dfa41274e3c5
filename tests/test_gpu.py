"""Real-GPU checks: run only where CuPy sees a CUDA device (skipped otherwise)."""

import numpy as np
import pytest

import convref

pytestmark = pytest.mark.gpu


def test_conv_and_pool_on_the_gpu_match_numpy():
    import cupy

    from convref import backend

    backend.reset_cupy_module()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 16, 16)).astype(np.float32)
    w = rng.standard_normal((8, 3, 3, 3)).astype(np.float32)
    b = rng.standard_normal(8).astype(np.float32)
    p = {"stride": 1, "pad": 1}
    out_cpu, cache_cpu = convref.conv_forward_im2col(x, w, b, p)
    out_gpu, cache_gpu = convref.conv_forward_im2col(cupy.asarray(x), cupy.asarray(w), cupy.asarray(b), p)
    assert isinstance(out_gpu, cupy.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(out_gpu), out_cpu, rtol=1e-4, atol=1e-4)
    dout = rng.standard_normal(out_cpu.shape).astype(np.float32)
    for g, gc in zip(convref.conv_backward_im2col(cupy.asarray(dout), cache_gpu),
                     convref.conv_backward_im2col(dout, cache_cpu), strict=True):
        np.testing.assert_allclose(cupy.asnumpy(g), gc, rtol=1e-3, atol=1e-3)
    pool = {"pool_height": 2, "pool_width": 2, "stride": 2}
    pout, pcache = convref.max_pool_forward_fast(cupy.asarray(out_cpu), pool)
    np.testing.assert_array_equal(cupy.asnumpy(pout), convref.max_pool_forward_naive(out_cpu, pool)[0])
