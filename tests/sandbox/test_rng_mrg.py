"""MRG_RandomStreams against numbers drawn by Theano 1.0.5 (its default C code path),
plus the MRG31k3p core on its own.

Uniform and binomial/multinomial/choice literals must match exactly. Normal samples go
through log/sqrt/cos/sin, whose float32 versions differ by an ulp between libraries,
so they are compared with a tolerance of a few ulps.
"""
import numpy as np
import pytest

import jitgraph
import jitgraph.tensor as T
from jitgraph import function
from jitgraph.sandbox import mrg31k3p
from jitgraph.sandbox.rng_mrg import DEFAULT_N_STREAMS, MRG_RandomStreams, MRGUniform, guess_n_streams

# ---------------------------------------------------------------- Theano 1.0.5's numbers

UNIFORM_2x3 = {  # (dtype, seed) -> (first call, second call) of uniform((2, 3))
    ("float32", 12345): ([[0.7353243827819824, 0.25856855511665344, 0.694080650806427],
                          [0.7705745697021484, 0.49391013383865356, 0.9062023162841797]],
                         [[0.61420738697052, 0.948997974395752, 0.1804683953523636],
                          [0.8138928413391113, 0.9027785062789917, 0.009030415676534176]]),
    ("float32", (1, 2, 3, 4, 5, 6)): ([[0.0037538392934948206, 0.8410847187042236, 0.9649227857589722],
                                       [0.48346447944641113, 0.5654910802841187, 0.5712883472442627]],
                                      [[0.0017363409278914332, 0.802814245223999, 0.1938399374485016],
                                       [0.7028656601905823, 0.8828232288360596, 0.4141216278076172]]),
    ("float64", 12345): ([[0.7353244530968368, 0.2585685825906694, 0.6940806899219751],
                          [0.7705746139399707, 0.4939101580530405, 0.9062023567967117]],
                         [[0.6142074400559068, 0.9489980279468, 0.18046841165050864],
                          [0.8138928869739175, 0.9027785388752818, 0.009030417073518038]]),
    ("float64", (1, 2, 3, 4, 5, 6)): ([[0.0037538395263254642, 0.8410847620107234, 0.9649228709749877],
                                       [0.4834645017981529, 0.5654911459423602, 0.5712883793748915]],
                                      [[0.001736341044306755, 0.8028143234550953, 0.1938399518840015],
                                       [0.702865747269243, 0.882823271676898, 0.41412164364010096]]),
}
# seed 42
UNIFORM_7 = {
    "float32": [0.08075200766324997, 0.0803399458527565, 0.07790070027112961, 0.317646861076355,
                0.14608217775821686, 0.7610065340995789, 0.3308568596839905],
    "float64": [0.08075201511383057, 0.08033995237201452, 0.07790070725604892, 0.3176469011232257,
                0.14608219265937805, 0.7610066216439009, 0.33085688203573227],
}
# seed 42, uniform((300,)): 50 streams; entries 0, 1, 49, 50, 51, 299 and the sum
UNIFORM_300 = {
    "float32": ([0.08075200766324997, 0.9267639517784119, 0.31069839000701904, 0.0803399458527565,
                 0.34734228253364563, 0.7373213171958923], 149.34080438269302),
    "float64": ([0.08075201511383057, 0.9267640095204115, 0.3106984253972769, 0.08033995237201452,
                 0.34734230581671, 0.7373213926330209], 149.3408156274818),
}
# seed 42, uniform(x.shape) with x of shape (3, 4): a symbolic size means 60*256 streams
UNIFORM_SYMBOLIC = {
    "float32": [[0.08075200766324997, 0.9267639517784119, 0.8597198128700256, 0.25074446201324463],
                [0.8466410636901855, 0.47915154695510864, 0.9586000442504883, 0.4539477229118347],
                [0.7931029200553894, 0.9452769160270691, 0.9763921499252319, 0.278089702129364]],
    "float64": [[0.08075201511383057, 0.9267640095204115, 0.8597198463976383, 0.2507445006631315],
                [0.8466411442495883, 0.4791515697725117, 0.958600074518472, 0.4539477494545281],
                [0.7931029833853245, 0.9452769756317139, 0.976392237469554, 0.2780897212214768]],
}
# seed 42, uniform((2, 3), low=-1, high=3)
UNIFORM_LOW_HIGH = {
    "float32": [[-0.6769919395446777, 2.7070558071136475, 2.4388792514801025],
                [0.0029778480529785156, 2.386564254760742, 0.9166061878204346]],
    "float64": [[-0.6769919395446777, 2.707056038081646, 2.4388793855905533],
                [0.002978002652525902, 2.386564576998353, 0.9166062790900469]],
}
# seed 42, uniform((5,), nstreams=2)
UNIFORM_NSTREAMS_2 = {
    "float32": [0.08075200766324997, 0.9267639517784119, 0.0803399458527565, 0.34734228253364563,
                0.07790070027112961],
    "float64": [0.08075201511383057, 0.9267640095204115, 0.08033995237201452, 0.34734230581671,
                0.07790070725604892],
}
# seed 7, normal((5,)): first and second call; normal((2, 2), avg=2, std=3)
NORMAL_5 = {
    "float32": ([0.7574840188026428, 1.9078831672668457, 0.026576902717351913, 2.8359270095825195,
                 -0.30904263257980347],
                [2.6285181045532227, 0.42167532444000244, -2.0716230869293213, 1.310491919517517,
                 -0.6830499172210693]),
    "float64": ([0.7574838831903759, 1.9078833382758538, 0.026576762807749694, 2.8359269788914427,
                 -0.30904189216942335],
                [2.6285178608934725, 0.4216752624040469, -2.071623362982862, 1.3104919989008113,
                 -0.6830497473277408]),
}
NORMAL_AVG_STD = {
    "float32": [[-6.711195945739746, 3.496273994445801], [3.288969039916992, 7.601865291595459]],
    "float64": [[-6.711195780477993, 3.4962736476731133], [3.288968983436007, 7.601865464606898]],
}
# Under floatX=float32, seed 7: uniform((2, 3)) is float32
UNIFORM_FLOATX32 = [[0.013458668254315853, 0.154468834400177, 0.4766199588775635],
                    [0.2084590345621109, 0.9744417667388916, 0.24652524292469025]]
SUBSTREAM_STATES_12345 = [[12345] * 6,
                          [1613322692, 623311037, 1722317882, 1563970864, 792350268, 619030428],
                          [951422716, 416944718, 1329311079, 1678647957, 55905791, 588091391]]
BASE_STATE_AFTER_ONE_BLOCK = [336690377, 597094797, 1245771585, 85196284, 523477687, 2094976052]
PVALS = [[.2, .3, .5], [.9, .05, .05], [0.1, 0.1, 0.8]]

TOL = {"float32": 4e-7, "float64": 1e-13}


def _exact(actual, expected, dtype):
    actual = np.asarray(actual)
    assert actual.dtype == np.dtype(dtype), actual.dtype
    np.testing.assert_array_equal(actual, np.asarray(expected, dtype=dtype))


def _close(actual, expected, dtype):
    actual = np.asarray(actual)
    assert actual.dtype == np.dtype(dtype), actual.dtype
    np.testing.assert_allclose(actual, np.asarray(expected, dtype="float64"), rtol=TOL[dtype],
                               atol=TOL[dtype])


DTYPES = ["float32", "float64"]


@pytest.mark.parametrize("dtype,seed", list(UNIFORM_2x3))
def test_uniform_matches_theano_and_advances(dtype, seed, mode):
    srng = MRG_RandomStreams(seed)
    f = function([], srng.uniform((2, 3), dtype=dtype), mode=mode)
    first, second = UNIFORM_2x3[dtype, seed]
    _exact(f(), first, dtype)
    _exact(f(), second, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_uniform_stream_counts_and_sizes(dtype, mode):
    _exact(function([], MRG_RandomStreams(42).uniform((7,), dtype=dtype), mode=mode)(), UNIFORM_7[dtype],
           dtype)
    big = function([], MRG_RandomStreams(42).uniform((300,), dtype=dtype), mode=mode)()
    entries, total = UNIFORM_300[dtype]
    _exact(big[[0, 1, 49, 50, 51, 299]], entries, dtype)
    assert big.astype("float64").sum() == total
    x = T.matrix(dtype=dtype)
    f = function([x], MRG_RandomStreams(42).uniform(x.shape, dtype=dtype), mode=mode)
    _exact(f(np.zeros((3, 4), dtype)), UNIFORM_SYMBOLIC[dtype], dtype)
    two = MRG_RandomStreams(42).uniform((5,), dtype=dtype, nstreams=2)
    _exact(function([], two, mode=mode)(), UNIFORM_NSTREAMS_2[dtype], dtype)
    low_high = MRG_RandomStreams(42).uniform((2, 3), low=-1.0, high=3.0, dtype=dtype)
    _close(function([], low_high, mode=mode)(), UNIFORM_LOW_HIGH[dtype], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_normal_matches_theano(dtype, mode):
    f = function([], MRG_RandomStreams(7).normal((5,), dtype=dtype), mode=mode)   # odd size
    first, second = NORMAL_5[dtype]
    _close(f(), first, dtype)
    _close(f(), second, dtype)
    g = function([], MRG_RandomStreams(7).normal((2, 2), avg=2.0, std=3.0, dtype=dtype), mode=mode)
    _close(g(), NORMAL_AVG_STD[dtype], dtype)
    x = T.matrix(dtype=dtype)
    h = function([x], MRG_RandomStreams(7).normal(x.shape, dtype=dtype), mode=mode)   # symbolic size
    _close(h(np.zeros((1, 5), dtype)), [first], dtype)


def test_binomial_matches_theano(mode):
    f = function([], MRG_RandomStreams(3).binomial((3, 4), p=0.3), mode=mode)
    _exact(f(), [[1, 1, 1, 1], [0, 0, 0, 0], [0, 0, 0, 0]], "int64")
    _exact(f(), [[0, 0, 1, 0], [1, 0, 1, 0], [0, 0, 1, 0]], "int64")
    p = T.dvector()
    g = function([p], MRG_RandomStreams(3).binomial((2, 4), p=p), mode=mode)   # p broadcast to size
    _exact(g([0.1, 0.5, 0.9, 0.5]), [[1, 1, 1, 0], [0, 0, 1, 1]], "int64")
    strided = np.zeros(8)
    strided[::2] = [0.1, 0.5, 0.9, 0.5]
    g = function([p], MRG_RandomStreams(3).binomial((2, 4), p=p), mode=mode)
    _exact(g(strided[::2]), [[1, 1, 1, 0], [0, 0, 1, 1]], "int64")                 # non-contiguous p
    h = function([p], MRG_RandomStreams(3).binomial(p=p, dtype="int8"), mode=mode)    # size from p
    out = h(np.ones(10))
    _exact(out, np.ones(10), "int8")


def test_floatx32(floatX32, mode):
    _exact(function([], MRG_RandomStreams(7).uniform((2, 3)), mode=mode)(), UNIFORM_FLOATX32, "float32")
    binomial = function([], MRG_RandomStreams(3).binomial((3, 4), p=0.3), mode=mode)()
    _exact(binomial, [[1, 1, 1, 1], [0, 0, 0, 0], [0, 0, 0, 0]], "int64")
    _close(function([], MRG_RandomStreams(7).normal((5,)), mode=mode)(), NORMAL_5["float32"][0], "float32")


def test_multinomial_and_choice_match_theano(mode):
    pvals = T.dmatrix()
    f = function([pvals], MRG_RandomStreams(5).multinomial(pvals=pvals, n=1), mode=mode)
    _exact(f(PVALS), [[1, 0, 0], [1, 0, 0], [0, 0, 1]], "int64")
    _exact(f(PVALS), [[1, 0, 0], [0, 1, 0], [0, 0, 1]], "int64")
    f4 = function([pvals], MRG_RandomStreams(5).multinomial(pvals=pvals, n=4), mode=mode)
    _exact(f4(PVALS), [[2, 0, 2], [4, 0, 0], [1, 0, 3]], "int64")
    c = function([pvals], MRG_RandomStreams(5).choice(size=2, p=pvals, replace=False), mode=mode)
    _exact(c(PVALS), [[0, 2], [0, 2], [2, 1]], "int64")
    _exact(c(PVALS), [[0, 1], [1, 0], [2, 1]], "int64")
    p32 = T.fmatrix()
    c3 = function([p32], MRG_RandomStreams(5).choice(size=3, p=p32, replace=False), mode=mode)
    _exact(c3(np.array([[.1, .2, .3, .4], [.25, .25, .25, .25]], "float32")), [[0, 3, 2], [2, 1, 3]], "int64")
    with_replacement = function([pvals], MRG_RandomStreams(5).choice(size=50, p=pvals), mode=mode)
    drawn = with_replacement([[0.0, 1.0, 0.0]])
    _exact(drawn, np.ones((1, 50)), "int64")


def test_reseed_and_copying_state_match_theano(mode):
    srng = MRG_RandomStreams(11)
    f = function([], [srng.uniform((2, 2)), srng.normal((3,))], mode=mode)
    f()
    srng.seed(99)
    u, n = f()
    _exact(u, [[0.19034403562545776, 0.898795974906534], [0.026468480937182903, 0.23388864193111658]], "float64")
    _close(n, [-1.0065238058367734, 0.2473385509518959, -0.8030664014139659], "float64")

    # The tutorial's "copying random state between graphs", MRG flavour.
    g1, g2 = MRG_RandomStreams(123), MRG_RandomStreams(987)
    f1 = function([], g1.uniform(size=(1,)), mode=mode)
    f2 = function([], g2.uniform(size=(1,)), mode=mode)
    _exact(f1(), [0.23648804426193237], "float64")
    _exact(f2(), [0.8976723556406796], "float64")
    g2.rstate = g1.rstate
    for su1, su2 in zip(g1.state_updates, g2.state_updates):
        su2[0].set_value(su1[0].get_value())
    _exact(f1(), [0.2352812890894711], "float64")
    _exact(f2(), [0.2352812890894711], "float64")


def test_substream_states_match_theano():
    srng = MRG_RandomStreams(12345)
    _exact(srng.get_substream_rstates(3, "float64"), SUBSTREAM_STATES_12345, "int32")
    _exact(srng.rstate, BASE_STATE_AFTER_ONE_BLOCK, "int32")


# ---------------------------------------------------------------- defaults and updates

def test_no_default_updates_freezes_draws(mode):
    srng = MRG_RandomStreams(1)
    u = srng.uniform((4,))
    frozen = function([], u, mode=mode, no_default_updates=True)
    a = frozen()
    np.testing.assert_array_equal(frozen(), a)
    f = function([], u, mode=mode)
    np.testing.assert_array_equal(f(), a)
    assert not np.array_equal(f(), a)
    assert u.rstate.default_update is u.update[1] and srng.updates()[0][0] is u.rstate


def test_perform_does_not_mutate_state():
    srng = MRG_RandomStreams(1)
    u = srng.uniform((4,))
    node = u.rstate.default_update.owner
    state = u.rstate.get_value()
    before = state.copy()
    storage = [[None], [None]]
    node.op.perform(node, [state, np.array([4])], storage)
    np.testing.assert_array_equal(state, before)
    assert storage[0][0].dtype == np.int32 and not np.array_equal(storage[0][0], before)


def test_guess_n_streams():
    assert guess_n_streams((2, 3)) == 6
    assert guess_n_streams((7,)) == 1
    assert guess_n_streams([300]) == 50
    assert guess_n_streams((10 ** 6,)) == DEFAULT_N_STREAMS
    assert guess_n_streams((np.int64(5),)) == DEFAULT_N_STREAMS    # Theano counts Python ints only
    assert guess_n_streams((T.lscalar(),)) == DEFAULT_N_STREAMS
    assert guess_n_streams((0,)) == 1


def test_gradient_through_low_and_high():
    # u * (high - low) + low is differentiable in low and high (Theano refuses; the
    # obvious meaning is the reparameterisation gradient).
    high = T.dscalar()
    srng = MRG_RandomStreams(42)
    sample = srng.uniform((7,), low=0.0, high=high)
    g = jitgraph.grad(sample.sum(), high)
    np.testing.assert_allclose(function([high], g, no_default_updates=True)(2.0), np.sum(UNIFORM_7["float64"]),
                               rtol=1e-12)


def test_dropout_style_gradient_through_binomial_mask():
    x = T.dmatrix()
    w = jitgraph.shared(np.ones((3, 2)))
    h = T.dot(x, w)
    mask = MRG_RandomStreams(3).binomial(size=h.shape, p=0.5, dtype="float64")
    gw = jitgraph.grad((h * mask).sum(), w)
    f = function([x], [gw, mask], no_default_updates=True)
    grad_value, mask_value = f(np.ones((4, 3)))
    np.testing.assert_allclose(grad_value, np.ones((3, 4)).dot(mask_value))


# ---------------------------------------------------------------- the generator core

def _reference_step(s):
    """Theano's C recurrence on one stream with Python ints and explicit int32 wrap-around."""
    def i32(v):
        v &= 0xFFFFFFFF
        return v - (1 << 32) if v >= 1 << 31 else v

    def fix(y, m):
        return i32(y - m) if (y < 0 or y >= m) else y

    M1, M2 = mrg31k3p.M1, mrg31k3p.M2
    x11, x12, x13, x21, x22, x23 = s
    y1 = i32(((x12 & 511) << 22) + (x12 >> 9) + ((x13 & 16777215) << 7) + (x13 >> 24))
    y1 = fix(i32(fix(y1, M1) + x13), M1)
    x13, x12, x11 = x12, x11, y1
    y1 = fix(i32(((x21 & 65535) << 15) + 21069 * (x21 >> 16)), M2)
    y2 = fix(i32(((x23 & 65535) << 15) + 21069 * (x23 >> 16)), M2)
    y2 = fix(i32(y2 + x23), M2)
    y2 = fix(i32(y2 + y1), M2)
    x23, x22, x21 = x22, x21, y2
    raw = x11 - x21 + M1 if x11 <= x21 else x11 - x21
    return [x11, x12, x13, x21, x22, x23], raw


def test_step_matches_int32_reference():
    rng = np.random.RandomState(0)
    states = np.concatenate([rng.randint(0, mrg31k3p.M1, size=(200, 3)),
                             rng.randint(0, mrg31k3p.M2, size=(200, 3))], axis=1)
    states[0] = [mrg31k3p.M1 - 1] * 3 + [mrg31k3p.M2 - 1] * 3     # largest words: overflow paths
    states[1] = [0, 0, 1, 0, 0, 1]
    new, raw = mrg31k3p.mrg31k3p_step(states.astype(np.int64))
    for k in range(len(states)):
        want_state, want_raw = _reference_step([int(v) for v in states[k]])
        assert new[k].tolist() == want_state and raw[k] == want_raw, k


def test_jump_matrices_are_powers_of_the_one_step_matrix():
    one_step_1 = np.array([[0, 4194304, 129], [1, 0, 0], [0, 1, 0]], dtype=np.int64)    # x[n-2]*2^22 + x[n-3]*(2^7+1)
    one_step_2 = np.array([[32768, 0, 32769], [1, 0, 0], [0, 1, 0]], dtype=np.int64)   # x[n-1]*2^15 + x[n-3]*(2^15+1)
    state = np.array([[12, 345, 6789, 98, 7654, 321]], dtype=np.int64)
    stepped, _ = mrg31k3p.mrg31k3p_step(state)
    np.testing.assert_array_equal(stepped, mrg31k3p.jump(state, one_step_1, one_step_2))
    p1, p2 = one_step_1, one_step_2
    for k in range(1, 135):
        p1, p2 = mrg31k3p.mat_mat_mod(p1, p1, mrg31k3p.M1), mrg31k3p.mat_mat_mod(p2, p2, mrg31k3p.M2)
        if k == 72:
            np.testing.assert_array_equal(p1, mrg31k3p.A1P72)
            np.testing.assert_array_equal(p2, mrg31k3p.A2P72)
    np.testing.assert_array_equal(p1, mrg31k3p.A1P134)
    np.testing.assert_array_equal(p2, mrg31k3p.A2P134)


def test_substream_doubling_equals_one_by_one():
    base = np.array([1, 2, 3, 4, 5, 6], dtype=np.int32)
    states = mrg31k3p.substream_states(base, 37)
    row = base.reshape(1, 6)
    for k in range(37):
        np.testing.assert_array_equal(states[k], row[0])
        row = mrg31k3p.jump(row, mrg31k3p.A1P72, mrg31k3p.A2P72)


def test_draw_order_and_float_range():
    state = mrg31k3p.substream_states(np.full(6, 7, np.int32), 3)
    new, samples = mrg31k3p.draw_uniform(state, 7, "float64")
    expected, work = [], state.astype(np.int64)
    for _ in range(3):
        work, raw = mrg31k3p.mrg31k3p_step(work)
        expected.extend(raw * 2.0 ** -31)
    np.testing.assert_array_equal(samples, expected[:7])    # sample i from stream i % 3
    assert new.dtype == np.int32
    edge = np.array([1, mrg31k3p.M1], dtype=np.int64)
    for dtype in DTYPES:
        values = mrg31k3p.raw_to_float(edge, dtype)
        assert values.dtype == np.dtype(dtype) and 0 < values[0] and values[1] < 1


# ---------------------------------------------------------------- bad inputs

def test_bad_inputs():
    srng = MRG_RandomStreams(1)
    with pytest.raises(ValueError, match="negative dimension"):
        srng.uniform((2, -1))
    with pytest.raises(ValueError, match="negative dimension"):
        srng.normal((-3,))
    with pytest.raises(TypeError, match="size entries must be ints"):
        srng.uniform((2.0, 3))
    with pytest.raises(TypeError, match="tuple of ints"):
        srng.uniform("big")
    with pytest.raises(ValueError, match="must be a vector"):
        srng.uniform(T.lmatrix())
    with pytest.raises(ValueError, match="pass ndim="):
        srng.uniform(T.lvector())
    with pytest.raises(TypeError, match="float32 or float64"):
        srng.uniform((2,), dtype="int32")
    with pytest.raises(ValueError, match="p has 2 dimension"):
        srng.binomial((3,), p=T.dmatrix())
    with pytest.raises(ValueError, match="does not broadcast"):
        srng.binomial((3, 1), p=T.dvector())
    with pytest.raises(NotImplementedError, match="n=1"):
        srng.binomial((3,), n=2)
    with pytest.raises(ValueError, match="would change the sample's shape"):
        srng.uniform((3,), low=T.dmatrix())
    with pytest.raises(ValueError, match="does not use size"):
        srng.multinomial(size=(2,), pvals=[[0.5, 0.5]])
    with pytest.raises(NotImplementedError, match="matrix"):
        srng.multinomial(pvals=[0.5, 0.5])
    with pytest.raises(TypeError, match="pvals must be given"):
        srng.multinomial()
    with pytest.raises(NotImplementedError, match="truncate"):
        srng.normal((2,), truncate=True)
    for seed, exc in [(0, ValueError), (-4, ValueError), (mrg31k3p.M2, ValueError), ([1, 2, 3], TypeError),
                      ([0, 0, 0, 1, 1, 1], ValueError), ([1, 1, 1, 0, 0, 0], ValueError), ("x", TypeError)]:
        with pytest.raises(exc, match="seed"):
            MRG_RandomStreams(seed)
    with pytest.raises(TypeError, match="int32 matrix"):
        MRGUniform(T.TensorType("float64", (False,)))(T.dmatrix(), (3,))

    size = T.lvector()
    f = function([size], srng.uniform(size, ndim=2))
    with pytest.raises(ValueError, match="negative dimension"):
        f([2, -3])
    with pytest.raises(ValueError, match="has 1 entries, 2 expected"):
        f([3])
    assert f([0, 4]).shape == (0, 4)
    pvals = T.dmatrix()
    c = function([pvals], srng.choice(size=4, p=pvals, replace=False))
    with pytest.raises(ValueError, match="without replacement"):
        c([[0.5, 0.5]])


def test_theano_module_paths():
    import jitgraph as theano
    import jitgraph.sandbox.rng_mrg
    from jitgraph.tensor.shared_randomstreams import RandomStreams
    assert theano.sandbox.rng_mrg.MRG_RandomStreams is MRG_RandomStreams
    assert theano.tensor.shared_randomstreams.RandomStreams is RandomStreams
    assert jitgraph.sandbox.rng_mrg.mrg_uniform is MRGUniform


def test_infer_shape():
    from jitgraph.sandbox.multinomial import ChoiceFromUniform, MultinomialFromUniform
    x = T.dmatrix()
    srng = MRG_RandomStreams(1)
    draw = MRGUniform.new(srng.get_substream_rstates(2), None, "float64", (x.shape[0], 3))
    node = draw[1].owner
    state_shape, sample_shape = node.op.infer_shape(node, [(2, 6), (2,)])
    f = function([x], list(sample_shape) + [draw[1].shape], no_default_updates=True)
    *dims, actual = f(np.zeros((5, 1)))
    assert state_shape == (2, 6) and tuple(dims) == tuple(actual) == (5, 3)

    pvals, unis, n = T.dmatrix(), T.dvector(), T.lscalar()
    rows, cols = pvals.shape[0], pvals.shape[1]
    counts = MultinomialFromUniform("int64")(pvals, unis, n)
    choice = ChoiceFromUniform("int64")(pvals, unis, n)
    (counts_shape,) = counts.owner.op.infer_shape(counts.owner, [(rows, cols), (unis.shape[0],), ()])
    (choice_shape,) = choice.owner.op.infer_shape(choice.owner, [(rows, cols), (unis.shape[0],), ()])
    g = function([pvals, unis, n], list(counts_shape) + list(choice_shape) + [counts.shape, choice.shape])
    *dims, counts_actual, choice_actual = g(np.full((2, 3), 1 / 3), np.full(4, 0.5), 2)
    assert tuple(dims[:2]) == tuple(counts_actual) == (2, 3)
    assert tuple(dims[2:]) == tuple(choice_actual) == (2, 2)
