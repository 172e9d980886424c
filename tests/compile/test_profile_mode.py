"""profile=True (time per node) and Mode(linker=, optimizer=) objects."""
import io
import pickle

import numpy as np
import pytest

import jitgraph as theano
import jitgraph.tensor as T
from jitgraph import Mode, function
from jitgraph.compile.mode import get_default_mode, get_mode
from jitgraph.compile.profiling import ProfileStats


# ------------------------------------------------------------ profile

def test_profile_counts_calls_and_time_per_node():
    x = T.dvector("x")
    W = theano.shared(np.ones(3), name="W")
    f = function([x], T.tanh(x * W).sum(), profile=True, name="prof")
    assert isinstance(f.profile, ProfileStats)
    for _ in range(3):
        f(np.arange(3.0))
    stats = f.profile
    nodes = list(f.maker.fgraph.toposort())
    assert set(stats.node_calls) == set(nodes)
    assert all(stats.node_calls[n] == 3 for n in nodes)
    assert all(stats.node_time[n] >= 0 for n in nodes)
    assert stats.total_time() == pytest.approx(sum(stats.node_time.values()))
    assert stats.apply_callcount is stats.node_calls and stats.apply_time is stats.node_time
    by_class = stats.op_class_time()
    # FAST_RUN fused x * W, tanh and the sum into one node
    assert set(by_class) == {"FusedReduce"}
    assert by_class["FusedReduce"][1] == 3     # one fused node, three calls


def test_profile_summary_lists_classes_and_nodes():
    x = T.dvector("x")
    with theano.config.change_flags(optimizer_excluding="reduction_fusion"):   # two nodes to list
        f = function([x], T.exp(x).sum(), profile=True, name="summed")
    f(np.ones(4))
    buf = io.StringIO()
    f.profile.summary(file=buf)
    text = buf.getvalue()
    assert "summed" in text
    assert "Class" in text and "Apply" in text
    assert "Elemwise{exp}" in text and "CAReduce" in text
    lines = [ln for ln in text.splitlines() if ln.strip().endswith("Elemwise{exp}(x)")]
    assert len(lines) == 1 and lines[0].split()[2] == "1"       # one call
    buf = io.StringIO()
    f.profile.summary(file=buf, n_apply_to_print=1)
    apply_part = buf.getvalue().split("Apply")[1].split("Rewrites")[0]
    assert len([ln for ln in apply_part.splitlines()[2:] if ln.strip()]) == 1


def test_profile_off_by_default_and_given_stats_object_is_used():
    x = T.dvector("x")
    assert function([x], x * 2).profile is None
    stats = ProfileStats("mine")
    f = function([x], x * 2, profile=stats)
    f([1.0])
    assert f.profile is stats
    assert stats.node_calls == {n: 1 for n in f.maker.fgraph.toposort()}


def test_profiled_function_pickles():
    x = T.dvector("x")
    f = function([x], x + 1, profile=ProfileStats("p"))
    f([1.0])
    g = pickle.loads(pickle.dumps(f))
    g([2.0])
    # g has its own copy of the stats: what f had recorded, plus its own call.
    n_nodes = len(f.maker.fgraph.toposort())
    assert g.profile is not f.profile
    assert sum(g.profile.node_calls.values()) == 2 * n_nodes
    assert all(g.profile.node_calls[n] == 1 for n in g.maker.fgraph.toposort())
    assert sum(f.profile.node_calls.values()) == n_nodes


# ------------------------------------------------------------ Mode

@pytest.mark.parametrize("linker", ["py", "c", "c|py", "c|py_nogc", "vm", "vm_nogc", "cvm", "cvm_nogc", "c&py"])
def test_theano_linker_names_compile_and_run(linker):
    x = T.dvector("x")
    f = function([x], (x ** 2).sum(), mode=Mode(linker=linker))
    assert f([1.0, 2.0]) == 5.0
    assert f.maker.mode.provided_linker == linker


@pytest.mark.parametrize("optimizer", [None, "None", "merge", "fast_compile", "fast_run", "o1", "o2", "o3",
                                       "o4", "stabilize", "fast_run_stable", "unsafe", "default"])
def test_theano_optimizer_names(optimizer):
    x = T.dscalar("x")
    f = function([x], x * 3, mode=Mode(linker="py", optimizer=optimizer))
    assert f(2.0) == 6.0


def test_mode_normalises_names():
    assert Mode(linker="py").linker == "reference"
    assert Mode(linker="cvm").linker == "native"
    assert Mode(linker="c&py").linker == "debug"
    assert Mode(linker="py", optimizer=None).optimizer is None
    assert Mode(optimizer="o1").optimizer == "fast_compile"
    default = Mode()
    assert default.linker == "native" and default.optimizer == "fast_run"
    assert Mode("py", "fast_compile") == theano.FAST_COMPILE
    with theano.config.change_flags(optimizer="fast_compile"):
        assert Mode(linker="py").optimizer == "fast_compile"


@pytest.mark.parametrize("kwargs,match", [({"linker": "fortran"}, "unknown linker 'fortran'.*cvm"),
                                          ({"optimizer": "fastest"}, "unknown optimizer 'fastest'.*fast_run"),
                                          ({"linker": 3}, "unknown linker")])
def test_unknown_linker_or_optimizer_is_rejected(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Mode(**kwargs)


def test_mode_strings_and_objects_in_function():
    x = T.dscalar("x")
    for mode in ("FAST_RUN", "FAST_COMPILE", "DEBUG", "DebugMode", Mode(linker="py", optimizer="fast_compile"),
                 theano.compile.mode.FAST_RUN, get_default_mode()):
        assert function([x], x + 1, mode=mode)(1.0) == 2.0
    with pytest.raises(ValueError, match="unknown mode 'FASTEST'"):
        function([x], x, mode="FASTEST")
    with theano.config.change_flags(mode="FAST_COMPILE"):
        assert get_default_mode() is get_mode("FAST_COMPILE")


def test_mode_including_excluding_and_pickling():
    m = Mode(linker="py", optimizer="fast_run")
    assert m.including("fusion") == m and m.excluding("fusion") == m
    m2 = pickle.loads(pickle.dumps(m))
    assert m2 == m and m2.provided_linker == "py"
    x = T.dscalar("x")
    f = pickle.loads(pickle.dumps(function([x], x * 2, mode=m)))
    assert f(4.0) == 8.0
