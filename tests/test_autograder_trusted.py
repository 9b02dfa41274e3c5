"""The trust boundary, piece by piece: the data-only wire, the sandboxed kernel, the
stand-ins the checks call, and what the sandbox lets a kernel see and do."""

from __future__ import annotations

import base64
import functools
import io
import os
import pickle
import sys
from pathlib import Path

import numpy as np
import pytest

from autograder.grade.kernel import CellTimeout, Kernel, RemoteFunction, StudentError
from autograder.grade.sandbox import Limits, bwrap_works
from autograder.run import wire

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / "autograder" / "run"
needs_bwrap = pytest.mark.skipif(not bwrap_works(), reason="bubblewrap does not work here")


# -- the wire -----------------------------------------------------------------------------

def _roundtrip(value):
    read, write = os.pipe()
    ends = wire.Channel(read, write, lambda obj: {"id": 7},
                        lambda record: ("handle", record["id"]), 1 << 20)
    ends.send({"value": value})
    got = ends.receive()["value"]
    os.close(read), os.close(write)
    return got


def test_wire_carries_data_exactly():
    value = {(1, "a"): [None, True, 3, 2.5, float("inf"), "s"],
             "arr": np.arange(6, dtype=np.float32).reshape(2, 3), "scalar": np.int64(4),
             "nested": ({"x": np.zeros((0, 2))},)}
    got = _roundtrip(value)
    assert got.keys() == value.keys()
    assert got[(1, "a")] == value[(1, "a")]
    assert got["arr"].dtype == np.float32 and np.array_equal(got["arr"], value["arr"])
    assert got["scalar"] == 4 and isinstance(got["scalar"], np.int64)
    assert type(got["nested"]) is tuple and got["nested"][0]["x"].shape == (0, 2)


def test_anything_else_stays_behind_a_handle():
    class Sneaky(list):
        pass

    for value in (object(), Sneaky([1]), np.array([object()]), lambda: 1):
        assert _roundtrip(value) == ("handle", 7)


def test_wire_refuses_what_could_run_code_or_is_malformed():
    evil = io.BytesIO()
    np.save(evil, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    ends = wire.Channel(-1, -1, None, None)
    with pytest.raises(wire.WireError, match="bad array"):
        ends.decode({"$a": base64.b64encode(evil.getvalue()).decode()})
    for tree in ({"$x": 1}, {"$a": 5}, {"$a": "not base64!"}, {"$l": 1}, {"a": 1, "b": 2}, [1],
                 {"$d": [[{"$l": []}, 1]]}):
        with pytest.raises(wire.WireError):
            ends.decode(tree)
    with pytest.raises(wire.WireError, match="nested too deeply"):
        ends.encode(functools.reduce(lambda inner, _: [inner], range(100), 1))
    read, write = os.pipe()
    ends = wire.Channel(read, write, None, None, 50)
    ends.send({"pickle": pickle.dumps(1).hex(), "more": "x" * 100})
    with pytest.raises(wire.WireError, match="larger than"):
        ends.receive()
    os.close(read), os.close(write)
    for data, problem in ((b'{"$l": [1]}', "malformed message"), (b"{not json", "not JSON"),
                          (b"[1]", "malformed value"), (b'{"op": "reply"}', "unknown tag")):
        read, write = os.pipe()
        os.write(write, len(data).to_bytes(8, "big") + data)
        with pytest.raises(wire.WireError, match=problem):
            wire.Channel(read, write, None, None).receive()
        os.close(read), os.close(write)


# -- the kernel, through the grader's stand-ins -----------------------------------------------

@pytest.fixture(params=["bwrap", "unsafe"])
def kernel(request, tmp_path):
    if request.param == "bwrap" and not bwrap_works():
        pytest.skip("bubblewrap does not work here")
    scratch = tmp_path / "student"
    scratch.mkdir()
    scratch.chmod(0o777)
    k = Kernel(scratch, [], RUN, Limits(memory_mb=1024, processes=32),
               sandboxed=request.param == "bwrap")
    k.deadline = float("inf")
    yield k
    k.close()


STUDENT = """
import numpy as np
def double(x, scale=2):
    return helper(x) * scale
def helper(x):
    return np.asarray(x)
def layer(x):
    return x + 1, object()
def loud(n):
    print("hello " * n)
    return n
def picky(x):
    raise ValueError(f"bad x={x}")
class Custom(Exception):
    pass
def weird():
    raise Custom("mine")
def forever():
    while True:
        pass
"""


def test_student_functions_are_called_with_data_and_return_data(kernel):
    result = kernel.run_cell(STUDENT)
    assert result["error"] is None and {"double", "helper", "layer"} <= set(result["defined"])
    found, double = kernel.get_global("double")
    assert found and isinstance(double, RemoteFunction)
    assert [p for p in double.__signature__.parameters] == ["x", "scale"]
    out = double(np.arange(3.0), scale=3)
    assert isinstance(out, np.ndarray) and out.tolist() == [0.0, 3.0, 6.0]
    out, cache = kernel.get_global("layer")[1](np.ones(2))
    assert out.tolist() == [2.0, 2.0] and type(cache).__name__ == "Remote"
    with pytest.raises(ValueError, match="bad x=3"):
        kernel.get_global("picky")[1](3)
    with pytest.raises(StudentError, match="Custom: mine"):
        kernel.get_global("weird")[1]()
    printed = []
    kernel.sink = lambda out, err, dropped: printed.append(out)
    assert kernel.get_global("loud")[1](2) == 2 and "".join(printed) == "hello hello \n"


def test_a_check_lends_helpers_that_are_withdrawn_afterwards(kernel):
    from convkit.checks import replaced_globals

    kernel.run_cell(STUDENT)
    double = kernel.get_global("double")[1]
    calls = []

    def stand_in(x):
        calls.append(x)
        return np.full(2, 5.0)

    with replaced_globals(double, helper=stand_in):
        assert double(np.zeros(2)).tolist() == [10.0, 10.0]
    assert len(calls) == 1 and calls[0].tolist() == [0.0, 0.0]
    assert double(np.ones(2)).tolist() == [2.0, 2.0]  # the student's helper is back
    assert kernel.lent == {}
    # a student that kept the lent helper cannot call it once the check is over
    kernel.run_cell("kept = []\ndef keep():\n    kept.append(helper)\n")
    with replaced_globals(double, helper=stand_in):
        kernel.get_global("keep")[1]()
    kernel.run_cell("try:\n    kept[0](1)\nexcept Exception as e:\n    err = repr(e)\n")
    assert "withdrawn" in kernel.get_global("err")[1]
    # a helper's own OSError is the student's exception, not a dead kernel
    pid = kernel.proc.pid

    def missing(x):
        raise FileNotFoundError(f"no file {x}")

    with replaced_globals(double, helper=missing), pytest.raises(FileNotFoundError,
                                                                 match="no file 1"):
        double(1)
    assert kernel.proc.pid == pid and double(1) == 2


def test_time_limits_stop_the_student_not_the_grader(kernel):
    import time

    kernel.run_cell(STUDENT)
    forever = kernel.get_global("forever")[1]
    kernel.deadline = time.monotonic() + 1.0
    with pytest.raises(CellTimeout):
        forever()
    kernel.deadline = float("inf")
    assert kernel.get_global("double")[1](1) == 2  # the same kernel goes on


def test_a_dead_kernel_is_restarted_with_the_cells_replayed(kernel):
    kernel.run_cell(STUDENT)
    kernel.run_cell("import os\ndef die():\n    os._exit(1)\n")
    from autograder.grade.kernel import KernelError

    old_double = kernel.get_global("double")[1]
    with pytest.raises(KernelError, match="died"):
        kernel.get_global("die")[1]()
    assert kernel.get_global("double")[1](2) == 4  # restarted, the cells were run again
    pid = kernel.proc.pid
    with pytest.raises(LookupError, match="is gone"):  # a stand-in from before the restart
        kernel.get_global("double")[1](old_double)
    assert kernel.get_global("double")[1](3) == 6 and kernel.proc.pid == pid  # not restarted


@needs_bwrap
def test_the_sandbox_shows_nothing_of_the_course_and_bounds_processes(tmp_path):
    scratch = tmp_path / "student"
    scratch.mkdir()
    scratch.chmod(0o777)
    (scratch / "mine.ipynb").write_text("{}")
    k = Kernel(scratch, [], RUN, Limits(memory_mb=1024, processes=16), sandboxed=True)
    k.deadline = float("inf")
    try:
        result = k.run_cell(f"""
import os, socket
seen = {{}}
for path in {[str(ROOT / "solutions"), str(ROOT / ".git"), str(ROOT / "src" / "convref"),
              str(ROOT / "nbgrader_config.py"), "/root", "/etc/shadow", "/work", "/tmp"]!r}:
    try:
        seen[path] = sorted(os.listdir(path)) if os.path.isdir(path) else open(path).read(10)
    except OSError as err:
        seen[path] = type(err).__name__
try:
    import convref
    seen["convref"] = "imported"
except ImportError:
    seen["convref"] = "ImportError"
try:
    socket.create_connection(("127.0.0.1", 22), timeout=1)
    seen["net"] = "connected"
except OSError as err:
    seen["net"] = type(err).__name__
children = 0
try:
    for _ in range(100):
        if os.fork() == 0:
            import time
            time.sleep(30)
            os._exit(0)
        children += 1
except OSError:
    pass
here = sorted(os.listdir("."))
""")
        assert result["error"] is None, result["error"]
        seen = k.get_global("seen")[1]
        assert seen[str(ROOT / "solutions")] in ("FileNotFoundError", [])
        assert seen[str(ROOT / ".git")] in ("FileNotFoundError", [])
        assert seen[str(ROOT / "src" / "convref")] in ("FileNotFoundError", [])
        assert seen[str(ROOT / "nbgrader_config.py")] == "FileNotFoundError"
        assert seen["/etc/shadow"] == "FileNotFoundError"
        # the kernel's /tmp is its own: empty, but for the folders leading to the
        # Python environment when that lives under the host's /tmp (a CI checkout)
        env_dirs = sorted({Path(p).resolve().relative_to("/tmp").parts[0]
                           for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)
                           if Path(p).resolve().is_relative_to("/tmp")})
        assert seen["/tmp"] == env_dirs and seen["convref"] == "ImportError"
        assert seen["net"] != "connected"
        assert k.get_global("children")[1] < 16
        assert k.get_global("here")[1] == ["mine.ipynb"]
    finally:
        k.close()


def test_only_names_the_grader_looks_up_get_stand_ins():
    from autograder.grade.execute import names_used

    used = names_used(["import numpy as np\ndef helper(v):\n    return im2col(v) + np.pi\n",
                       "check(conv_forward, x)", "this is not python"])
    assert {"im2col", "conv_forward", "check", "x", "np", "helper"} <= used
    assert "student_only_name" not in used


def test_an_environment_under_the_hosts_tmp_stays_visible(monkeypatch, tmp_path):
    """A CI checkout may keep its virtualenv under /tmp: the kernel's private /tmp
    must be mounted before the environment, or it hides Python itself."""
    from autograder.grade import sandbox

    env = "/tmp/some-checkout/.venv"
    for name in ("prefix", "exec_prefix"):
        monkeypatch.setattr(sandbox.sys, name, env)
    args, _ = sandbox.command(tmp_path, [], tmp_path, 12345, Limits(), sandboxed=True)
    pairs = list(zip(args, args[1:], strict=False))
    private_tmp = pairs.index(("--tmpfs", "/tmp"))
    env_bind = next(i for i, (a, b) in enumerate(pairs) if a == "--ro-bind" and b == env)
    assert private_tmp < env_bind
