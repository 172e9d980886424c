"""Native MRG31k3p draws (csrc_templates/mrg31k3p.h + mrg_uniform.c.tmpl) and the
multinomial/choice ops built on them (multinomial_from_uniform.c.tmpl,
choice_from_uniform.c.tmpl), against the numpy reference (FAST_COMPILE).

The draw must give the reference's numbers bit for bit — samples and the state written
back to the shared variable — whatever the thread count, so every comparison here is
exact, except the normal's log/sqrt/cos/sin, which come from the core's elementwise code
(libm against numpy's own kernels) and may differ by an ulp.
"""
import numpy as np
import pytest

import jitgraph
import jitgraph.tensor as T
from jitgraph.compile.native_program import NativeStage
from jitgraph.sandbox import mrg31k3p
from jitgraph.sandbox.multinomial import ChoiceFromUniform, MultinomialFromUniform
from jitgraph.sandbox.rng_mrg import DEFAULT_N_STREAMS, MRG_RandomStreams, MRGUniform

SANDBOX_OPS = (MRGUniform, MultinomialFromUniform)     # ChoiceFromUniform is a subclass
SEEDS = [1, 12345, (1, 2, 3, 4, 5, 6), mrg31k3p.M2 - 1]
DTYPES = ["float32", "float64"]


def _compile(inputs, outputs, mode, **kw):
    f = jitgraph.function(inputs, outputs, mode=mode, **kw)
    if mode == "FAST_RUN":
        stages = f._program.stages
        fallback = [s[1] for s in stages if type(s) is tuple and isinstance(s[1].op, SANDBOX_OPS)]
        assert not fallback, f"ran the reference for {fallback}"
        native_ops = {type(n.op) for s in stages if isinstance(s, NativeStage) for n in s.nodes}
        assert native_ops & {MRGUniform, MultinomialFromUniform, ChoiceFromUniform}, native_ops
    return f


def _set_threads(f, n):
    """Run f's native segments with ``n`` OpenMP threads (the order must not depend on it)."""
    for s in f._program.stages:
        if isinstance(s, NativeStage):
            s.caller._call.num_threads = n


def _states(srng):
    return [np.array(old.get_value()) for old, *_ in srng.state_updates]


def _both_modes(build, seed, args_per_call=((),)):
    """``build(srng)`` -> (inputs, outputs) compiled under FAST_RUN and FAST_COMPILE from
    streams seeded alike; each is called once per entry of ``args_per_call``. The samples
    and the shared states after every call must be identical."""
    runs = {}
    for mode in ("FAST_RUN", "FAST_COMPILE"):
        srng = MRG_RandomStreams(seed)
        inputs, outputs = build(srng)
        f = _compile(inputs, outputs, mode)
        runs[mode] = [(f(*args), _states(srng)) for args in args_per_call]
    for (native, native_states), (ref, ref_states) in zip(runs["FAST_RUN"], runs["FAST_COMPILE"]):
        for a, b in zip(native, ref):
            assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, a.shape, b.dtype, b.shape)
            np.testing.assert_array_equal(a, b)
        for a, b in zip(native_states, ref_states):
            np.testing.assert_array_equal(a, b)
    return runs["FAST_RUN"]


# ---------------------------------------------------------------- uniform

@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_uniform_equals_reference(dtype, seed):
    sizes = [(), (1,), (7,), (2, 3), (0,), (4, 0, 3), (300,), (3, 5, 7)]
    runs = _both_modes(lambda s: ([], [s.uniform(sz, dtype=dtype) for sz in sizes]
                                  + [s.uniform((5, 4), low=-2.0, high=3.0, dtype=dtype, nstreams=3)]),
                       seed, args_per_call=[()] * 3)
    (first, _), (second, states) = runs[0], runs[1]
    assert [a.shape for a in first[:-1]] == sizes
    assert not np.array_equal(first[6], second[6])          # successive calls draw anew
    assert all(((a > 0) & (a < 1)).all() for a in first[:-1])
    assert len(states) == len(sizes) + 1


@pytest.mark.parametrize("dtype", DTYPES)
def test_symbolic_sizes_equal_reference(dtype):
    x = T.matrix(dtype=dtype)
    size = T.lvector()
    isize = T.ivector()        # an int32 size vector
    n = T.lscalar()

    def build(s):
        return [x, size, isize, n], [s.uniform(x.shape, dtype=dtype), s.uniform(size, ndim=2, dtype=dtype),
                                     s.uniform(isize, ndim=3, dtype=dtype), s.uniform(n, dtype=dtype)]

    calls = [(np.zeros((3, 4), dtype), [5, 7], np.array([2, 1, 3], "int32"), 9),
             (np.zeros((0, 4), dtype), [0, 4], np.array([2, 0, 3], "int32"), 0),
             (np.zeros((1, 1), dtype), [3, 0], np.array([1, 1, 1], "int32"), 1),
             (np.zeros((6, 2), dtype), [2, 2], np.array([4, 3, 2], "int32"), 20000)]
    runs = _both_modes(build, 42, calls)
    assert [r.shape for r in runs[1][0]] == [(0, 4), (0, 4), (2, 0, 3), (0,)]


@pytest.mark.parametrize("dtype", DTYPES)
def test_parallel_draw_keeps_the_reference_order(dtype):
    # Above JG_OMP_MIN samples the streams run in blocks on several threads: stream
    # counts that are not a multiple of the block, and fewer streams than threads.
    cases = [((200, 300), None), ((100003,), DEFAULT_N_STREAMS), ((40000,), 7), ((70000,), 129)]
    srng = MRG_RandomStreams(2024)
    draws = [srng.uniform(size, dtype=dtype, nstreams=nstreams) for size, nstreams in cases]
    start = _states(srng)
    expected = [mrg31k3p.draw_uniform(state, int(np.prod(size)), dtype) for state, (size, _) in zip(start, cases)]
    f = _compile([], draws, "FAST_RUN")
    for threads in (1, 2, 3, 8):
        for (old, *_), state in zip(srng.state_updates, start):
            old.set_value(state)
        _set_threads(f, threads)
        for got, (_, want), (size, _) in zip(f(), expected, cases):
            np.testing.assert_array_equal(got, want.reshape(size))
        for got, (want, _) in zip(_states(srng), expected):
            np.testing.assert_array_equal(got, want)


# ---------------------------------------------------------------- state handling

def test_state_update_lands_in_the_shared_variable():
    srng = MRG_RandomStreams(99)
    u = srng.uniform((10,))
    shared_state = u.rstate
    f = _compile([], u, "FAST_RUN")
    for _ in range(3):
        before = shared_state.get_value()
        after, expected = mrg31k3p.draw_uniform(before, 10, "float64")
        np.testing.assert_array_equal(f(), expected)
        np.testing.assert_array_equal(shared_state.get_value(), after)
        assert shared_state.get_value().dtype == np.int32
    frozen = _compile([], u, "FAST_RUN", no_default_updates=True)
    state = shared_state.get_value()
    np.testing.assert_array_equal(frozen(), frozen())
    np.testing.assert_array_equal(shared_state.get_value(), state)
    # an explicit update of the state by the draw's new state, as Theano code writes it
    explicit = _compile([], u, "FAST_RUN", no_default_updates=True, updates=[u.update])
    explicit()
    np.testing.assert_array_equal(shared_state.get_value(), mrg31k3p.draw_uniform(state, 10, "float64")[0])


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
def test_state_input_with_any_strides_is_not_modified(mode):
    rstate = T.imatrix()
    new_state, sample = MRGUniform.new(rstate, 2, "float32", (3, 5))
    f = _compile([rstate], [new_state, sample], mode)
    base = mrg31k3p.substream_states(np.array([7, 8, 9, 10, 11, 12], "int32"), 4)
    wide = np.zeros((4, 12), "int32")
    wide[:, ::2] = base
    layouts = [base, wide[:, ::2], base[::-1], np.asfortranarray(base)]
    for state in layouts:
        kept = state.copy()
        want_state, want = mrg31k3p.draw_uniform(state, 15, "float32")
        got_state, got = f(state)
        np.testing.assert_array_equal(got_state, want_state)
        np.testing.assert_array_equal(got, want.reshape(3, 5))
        np.testing.assert_array_equal(state, kept)
    # out-of-range words (a state nobody seeded) still follow the reference's arithmetic
    odd = np.array([[-1, 2**31 - 1, -2**31, 5, -7, 2**31 - 1]], "int32")
    want_state, want = mrg31k3p.draw_uniform(odd, 15, "float32")
    got_state, got = f(odd)
    np.testing.assert_array_equal(got_state, want_state)
    np.testing.assert_array_equal(got, want.reshape(3, 5))


def test_float_conversion_edges():
    # Streams whose next raw output is 1 and M1: the smallest and the largest sample.
    rstate = T.imatrix()
    outs = {dt: MRGUniform.new(rstate, 1, dt, (2,))[1] for dt in DTYPES}
    f = _compile([rstate], [outs["float32"], outs["float64"]], "FAST_RUN")
    # raw = y1 - t2 brought into [1, M1]: x12 = 512 makes y1 = 1, t2 = 0; all zeros give
    # y1 = t2 = 0, that is M1
    states = np.array([[0, 512, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0]], "int32")
    new, raw = mrg31k3p.mrg31k3p_step(states.astype(np.int64))
    assert raw.tolist() == [1, mrg31k3p.M1]
    f32, f64 = f(states)
    np.testing.assert_array_equal(f32, mrg31k3p.raw_to_float(raw, "float32"))
    np.testing.assert_array_equal(f64, mrg31k3p.raw_to_float(raw, "float64"))
    assert f32[1] < 1 and f64[1] < 1 and f32[0] > 0


# ---------------------------------------------------------------- distributions

@pytest.mark.parametrize("seed", [3, 77, (5, 4, 3, 2, 1, 9)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_binomial_equals_reference(dtype, seed):
    # The uniforms under a binomial have dtype floatX.
    p = T.vector(dtype=dtype)
    m = T.lscalar()

    def build(s):
        return [p, m], [s.binomial((3, 4), p=0.3), s.binomial((m, 4), p=p, dtype="int8"),
                        s.binomial(p=p, dtype=dtype)]

    pv = np.zeros(8, dtype)
    pv[::2] = [0.1, 0.5, 0.9, 0.5]
    calls = [(pv[::2], 2), (pv[::2], 0), (np.array([0.0, 1.0, 0.25, 0.75], dtype), 5)]
    with jitgraph.config.change_flags(floatX=dtype):
        runs = _both_modes(build, seed, calls)
    assert runs[0][0][1].dtype == np.int8 and runs[2][0][1].shape == (5, 4)
    assert runs[0][0][0].dtype == np.int64 and runs[0][0][2].dtype == np.dtype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_normal_draws_equal_reference(dtype):
    tol = {"float32": 2e-6, "float64": 1e-14}[dtype]
    results = {}
    for mode in ("FAST_RUN", "FAST_COMPILE"):
        srng = MRG_RandomStreams(7)
        x = T.matrix(dtype=dtype)
        normals = [srng.normal(x.shape, avg=2.0, std=3.0, dtype=dtype), srng.normal((0, 3), dtype=dtype)]
        uniforms = [new.owner.outputs[1] for _, new, _, _ in srng.state_updates]   # the draws underneath
        f = _compile([x], normals + uniforms, mode)
        results[mode] = [f(np.zeros(shape, dtype)) for shape in ((3, 3), (2, 5), (0, 2))]
    for native, ref in zip(results["FAST_RUN"], results["FAST_COMPILE"]):
        for a, b in zip(native[:2], ref[:2]):
            assert a.dtype == b.dtype == np.dtype(dtype) and a.shape == b.shape
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
        for a, b in zip(native[2:], ref[2:]):
            np.testing.assert_array_equal(a, b)


def test_debug_mode_runs_the_draw_natively():
    srng = MRG_RandomStreams(5)
    pvals = T.dmatrix()
    unis = T.dvector()
    f = jitgraph.function([pvals, unis], [srng.uniform((4, 3)), MultinomialFromUniform("int64")(pvals, unis, 2),
                                          ChoiceFromUniform("int64")(pvals, unis, 2)], mode="DEBUG")
    assert {type(n.op) for n in f._program.native} >= {MRGUniform, MultinomialFromUniform, ChoiceFromUniform}
    for _ in range(2):
        f([[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]], [0.1, 0.7, 0.5, 0.95])


# ---------------------------------------------------------------- multinomial and choice

def _pvals(rows, cols, dtype, seed):
    rng = np.random.RandomState(seed)
    p = rng.uniform(0.05, 1.0, size=(rows, cols))
    p /= p.sum(axis=1, keepdims=True)
    if rows > 1:
        p[1] *= 0.6         # a row that sums to less than the largest uniforms: no outcome
    return p.astype(dtype)


def _compare_from_uniform(op, dtype, cases):
    pvals, unis, n = T.matrix(dtype=dtype), T.vector(dtype=dtype), T.lscalar()
    out = op(pvals, unis, n)
    f_native = _compile([pvals, unis, n], out, "FAST_RUN")
    f_ref = _compile([pvals, unis, n], out, "FAST_COMPILE")
    for p, u, k in cases:
        a, b = f_native(p, u, k), f_ref(p, u, k)
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)


def _cases(dtype, n_values, n_at_most_cols):
    """(pvals, unis, n) for several shapes, contiguous, strided and reversed. The first
    draw of every row uses a running sum of the row itself (a tie the comparison must
    break as the reference does: the sum must exceed the uniform)."""
    rng = np.random.RandomState(1)
    cases = []
    for rows, cols in [(5, 4), (1, 7), (0, 3), (3, 0), (40, 30)]:
        for n in n_values:
            if n_at_most_cols and n > cols:
                continue
            p = _pvals(rows, cols, dtype, rows + cols)
            u = rng.uniform(0, 1, size=rows * n).astype(dtype)
            if cols:
                sums = np.cumsum(p.astype(np.float64), axis=1)
                u[:rows] = sums[np.arange(rows), rng.randint(cols, size=rows)]
            wide_p = np.zeros((rows, 2 * cols), dtype)
            wide_p[:, ::2] = p
            wide_u = np.zeros(2 * rows * n, dtype)
            wide_u[::2] = u
            cases += [(p, u, n), (wide_p[:, ::2], wide_u[::2], n), (p[::-1], u[::-1], n)]
    return cases


@pytest.mark.parametrize("odtype", ["int64", "int8", "auto"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_multinomial_from_uniform_equals_reference(dtype, odtype):
    _compare_from_uniform(MultinomialFromUniform(odtype), dtype, _cases(dtype, [1, 3, 1000], False))


@pytest.mark.parametrize("replace", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
def test_choice_from_uniform_equals_reference(dtype, replace):
    # Without replacement each draw renormalises the row in the dtype of pvals: float32
    # rows exercise its rounding.
    _compare_from_uniform(ChoiceFromUniform("int64", replace=replace), dtype, _cases(dtype, [1, 2, 3], not replace))
    large = [(_pvals(600, 60, dtype, 2), np.random.RandomState(3).uniform(size=600 * 3).astype(dtype), 3)]
    _compare_from_uniform(ChoiceFromUniform("int32", replace=replace), dtype, large)


@pytest.mark.parametrize("dtype", DTYPES)
def test_choice_renormalises_like_the_reference(dtype):
    # The second draw's uniform is set exactly to a running sum of the row as the
    # reference renormalised it, so an ulp of difference in that row changes the pick.
    from jitgraph.sandbox.multinomial import _drop_and_renormalize
    rows, cols = 300, 6
    p = _pvals(rows, cols, dtype, 4)
    rng = np.random.RandomState(5)
    first = rng.uniform(0, 0.5, size=rows)
    second = np.empty(rows)
    for r in range(rows):
        row = p[r].copy()
        running = np.cumsum(row.astype(np.float64))
        m = int(np.flatnonzero(running > first[r])[0])
        _drop_and_renormalize(row, m, running[m])
        second[r] = np.cumsum(row.astype(np.float64))[rng.randint(cols - 1)]
    unis = np.concatenate([first, second])
    pvals, u = T.matrix(dtype=dtype), T.dvector()
    out = ChoiceFromUniform("int64", replace=False)(pvals, u, 2)
    native = _compile([pvals, u], out, "FAST_RUN")(p, unis)
    np.testing.assert_array_equal(native, _compile([pvals, u], out, "FAST_COMPILE")(p, unis))


@pytest.mark.parametrize("seed", [5, 11])
def test_streams_multinomial_and_choice_equal_reference(seed):
    pvals = T.fmatrix()

    def build(s):
        return [pvals], [s.multinomial(pvals=pvals, n=4), s.choice(size=3, p=pvals, replace=False),
                         s.choice(size=5, p=pvals)]

    p = _pvals(7, 5, "float32", 0)
    _both_modes(build, seed, [(p,), (p,), (p[::-1],)])


# ---------------------------------------------------------------- errors

def _raise_alike(inputs, output, args, exc, match, op_name):
    """Both modes raise ``exc`` naming the node (its op ``op_name``) and matching ``match``."""
    for mode in ("FAST_RUN", "FAST_COMPILE"):
        f = _compile(inputs, output, mode, no_default_updates=True)
        with pytest.raises(exc, match=match) as info:
            f(*args)
        assert op_name in str(info.value), (mode, str(info.value))


def test_draw_errors_match_reference():
    size = T.lvector()
    srng = MRG_RandomStreams(1)
    u2 = srng.uniform(size, ndim=2)
    for bad, match in [([3], r"size \(3,\) has 1 entries, 2 expected"),
                       ([2, -3], r"negative dimension in size \(2, -3\)"),
                       ([2 ** 16, 2 ** 16], r"at most 2\*\*31 - 1 samples .* asks for 4294967296")]:
        _raise_alike([size], u2, [bad], ValueError, match, "MRGUniform{float64, 2D}")
    rstate = T.imatrix()
    sample = MRGUniform.new(rstate, 1, "float64", (4,))[1]
    for bad in (np.zeros((3, 5), "int32"), np.zeros((0, 6), "int32")):
        _raise_alike([rstate], sample, [bad], ValueError, r"must have shape \(n_streams >= 1, 6\)",
                     "MRGUniform{float64, 1D}")


def test_multinomial_and_choice_errors_match_reference():
    pvals, unis, n = T.dmatrix(), T.dvector(), T.lscalar()
    p = np.full((2, 3), 1 / 3)
    multinomial = MultinomialFromUniform("int64")(pvals, unis, n)
    _raise_alike([pvals, unis, n], multinomial, [p, np.full(5, 0.5), 2], ValueError,
                 r"unis has 5 samples, expected pvals.shape\[0\] \* n = 2 \* 2", "MultinomialFromUniform")
    choice = ChoiceFromUniform("int64")(pvals, unis, n)
    _raise_alike([pvals, unis, n], choice, [p, np.full(8, 0.5), 4], ValueError,
                 "cannot draw 4 samples without replacement from 3 outcomes", "ChoiceFromUniform")
    _raise_alike([pvals, unis, n], choice, [p, np.full(3, 0.5), 2], ValueError, "unis has 3 samples",
                 "ChoiceFromUniform")
