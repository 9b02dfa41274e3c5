"""Backends: NumPy by default, CuPy when asked for; arrays in = same kind out.

The CuPy paths are exercised with a NumPy-backed stand-in (``fake_cupy``).
"""

import fake_cupy
import numpy as np
import pytest

import convref
from convref import backend
from convref.backend import asnumpy, get_array_module, get_backend


@pytest.fixture
def cupy():
    fake = fake_cupy.make()
    backend.set_cupy_module(fake)
    yield fake
    backend.reset_cupy_module()


def test_default_is_numpy(monkeypatch):
    monkeypatch.delenv("CONVREF_DEVICE", raising=False)
    assert get_backend() is np


def test_unknown_device_is_rejected(monkeypatch):
    monkeypatch.setenv("CONVREF_DEVICE", "tpu")
    with pytest.raises(ValueError, match="'tpu' is not a device"):
        get_backend()


def test_gpu_without_cupy_says_how_to_get_it(monkeypatch):
    backend.set_cupy_module(None)
    try:
        monkeypatch.setenv("CONVREF_DEVICE", "gpu")
        with pytest.raises(RuntimeError, match=r"\.\[gpu\]"):
            get_backend()
        monkeypatch.setenv("CONVREF_DEVICE", "auto")
        assert get_backend() is np
    finally:
        backend.reset_cupy_module()


def test_gpu_and_auto_pick_cupy_when_present(monkeypatch, cupy):
    for device in ("gpu", "auto"):
        monkeypatch.setenv("CONVREF_DEVICE", device)
        assert get_backend() is cupy


def _gpu(a, cupy):
    return cupy.asarray(a)


LAYERS = {
    "conv_naive": (convref.conv_forward_naive, convref.conv_backward_naive, "conv"),
    "conv_im2col": (convref.conv_forward_im2col, convref.conv_backward_im2col, "conv"),
    "maxpool_naive": (convref.max_pool_forward_naive, convref.max_pool_backward_naive, "pool"),
    "maxpool_fast": (convref.max_pool_forward_fast, convref.max_pool_backward_fast, "pool"),
    "avgpool": (convref.avg_pool_forward, convref.avg_pool_backward, "pool"),
}


@pytest.mark.parametrize("name", LAYERS)
def test_layers_keep_the_array_kind_and_the_numbers(name, cupy):
    forward, backward, kind = LAYERS[name]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 6, 6))
    if kind == "conv":
        w, b = rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
        p = {"stride": 1, "pad": 1}
        cpu_out, cpu_cache = forward(x, w, b, p)
        out, cache = forward(_gpu(x, cupy), _gpu(w, cupy), _gpu(b, cupy), p)
    else:
        p = {"pool_height": 2, "pool_width": 2, "stride": 2}
        cpu_out, cpu_cache = forward(x, p)
        out, cache = forward(_gpu(x, cupy), p)
    assert isinstance(out, cupy.ndarray)
    assert get_array_module(out) is cupy
    np.testing.assert_allclose(asnumpy(out), cpu_out, rtol=1e-12)
    dout = rng.standard_normal(cpu_out.shape)
    grads = backward(_gpu(dout, cupy), cache)
    cpu_grads = backward(dout, cpu_cache)
    grads = grads if isinstance(grads, tuple) else (grads,)
    cpu_grads = cpu_grads if isinstance(cpu_grads, tuple) else (cpu_grads,)
    for g, cg in zip(grads, cpu_grads, strict=True):
        assert isinstance(g, cupy.ndarray), type(g)
        np.testing.assert_allclose(asnumpy(g), cg, rtol=1e-12, atol=1e-12)


def test_im2col_col2im_affine_relu_keep_the_kind(cupy):
    x = _gpu(np.arange(2 * 2 * 4 * 4, dtype=float).reshape(2, 2, 4, 4), cupy)
    cols = convref.im2col(x, 2, 2, stride=2)
    assert isinstance(cols, cupy.ndarray)
    assert isinstance(convref.col2im(cols, x.shape, 2, 2, stride=2), cupy.ndarray)
    out, cache = convref.affine_forward(x, _gpu(np.ones((32, 3)), cupy), _gpu(np.zeros(3), cupy))
    assert isinstance(out, cupy.ndarray)
    assert all(isinstance(g, cupy.ndarray) for g in convref.affine_backward(out, cache))
    r, rc = convref.relu_forward(x)
    assert isinstance(r, cupy.ndarray) and isinstance(convref.relu_backward(r, rc), cupy.ndarray)


def test_numpy_inputs_stay_numpy_even_with_cupy_present(cupy):
    out, _ = convref.conv_forward_im2col(np.ones((1, 1, 3, 3)), np.ones((1, 1, 3, 3)), np.zeros(1),
                                         {"stride": 1, "pad": 0})
    assert type(out) is np.ndarray


def test_gpu_available_follows_the_module_in_use(cupy):
    assert backend.gpu_available()
    backend.set_cupy_module(None)
    assert not backend.gpu_available()


def test_synchronize_waits_on_cupy_and_is_a_no_op_for_numpy():
    calls = []

    class Stream:
        def synchronize(self):
            calls.append("sync")

    fake = fake_cupy.make()
    fake.cuda = type("cuda", (), {"get_current_stream": staticmethod(Stream)})
    backend.synchronize(np)
    backend.synchronize(fake)
    assert calls == ["sync"]
    assert backend.backend_name(np) == "numpy" and backend.backend_name(fake) == "cupy"
