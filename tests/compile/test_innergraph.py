"""Inner graphs: capture by free variables or by loop invariance, run, pickle."""
import pickle

import numpy as np

import jitgraph as theano
import jitgraph.tensor as T
from jitgraph.compile.innergraph import capture_invariant, capture_roots


def test_capture_roots_takes_roots_and_shared_but_not_constants():
    x = T.dvector("x")
    W = theano.shared(np.array([1.0, 2.0]), name="W")
    out = T.exp(x) * W + 3.0
    free, inner = capture_roots([out])
    assert set(free) == {x, W}
    assert all(v.owner is None and not isinstance(v, theano.SharedVariable) for v in inner.inputs)
    values = [np.array([0.0, 1.0]) if v is x else W.get_value() for v in free]
    np.testing.assert_allclose(inner.run(values)[0], np.exp([0.0, 1.0]) * [1.0, 2.0] + 3.0)


def test_capture_roots_stops_at_the_boundary():
    x = T.dvector("x")
    h = T.exp(x)
    free, inner = capture_roots([h * 2], boundary=[h])
    assert free == [h]
    np.testing.assert_array_equal(inner.run([np.array([1.0, 2.0])])[0], [2.0, 4.0])


def test_outputs_that_alias_inputs_constants_or_each_other_are_copied():
    x = T.dvector("x")
    c = T.constant(np.array([5.0]))
    free, inner = capture_roots([x, x.T, c, x])
    xv = np.array([1.0, 2.0])
    outs = inner.run([xv])
    assert not any(np.shares_memory(o, xv) for o in (outs[0], outs[1], outs[3]))
    assert not np.shares_memory(outs[2], c.data)
    assert not np.shares_memory(outs[0], outs[3])


def test_capture_invariant_hoists_what_does_not_depend_on_the_index():
    x = T.dvector("x")
    i = T.lscalar("i")
    heavy = T.exp(x).sum()
    out = x[i] * heavy
    invariants, body = capture_invariant([out], [i])
    assert heavy in invariants and x in invariants
    ops = {type(n.op).__name__ for n in theano.graph.basic.io_toposort(body.inputs, body.outputs)}
    assert "CAReduce" not in ops and "Subtensor" in ops
    xv = np.array([1.0, 2.0])
    values = [np.asarray(1, "int64")] + [np.exp(xv).sum() if v is heavy else xv for v in invariants]
    assert body.run(values)[0] == 2.0 * np.exp(xv).sum()


def test_capture_invariant_extra_and_independent_outputs():
    x, y = T.dvectors("x", "y")
    i = T.lscalar("i")
    invariants, body = capture_invariant([x * 2, x[i]], [i], extra=[y])
    assert invariants[-1] is y and len(body.inputs) == 1 + len(invariants)


def test_inner_graph_pickles_without_its_compiled_program():
    x = T.dvector("x")
    free, inner = capture_roots([x * 3])
    inner.run([np.ones(2)])
    clone = pickle.loads(pickle.dumps(inner))
    assert clone._compiled is None
    np.testing.assert_array_equal(clone.run([np.ones(2)])[0], [3.0, 3.0])
