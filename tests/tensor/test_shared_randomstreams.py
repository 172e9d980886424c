"""RandomStreams (numpy RandomState streams) against numbers drawn by Theano 1.0.5.

Every literal below was produced by Theano 1.0.5 running the same code with
``import theano`` (the tutorial "Using Random Numbers" and its "Copying Random State
Between Graphs" example, plus one call per distribution).
"""
import numpy as np
import pytest

import jitgraph
import jitgraph.tensor as T
from jitgraph import function
from jitgraph.tensor import raw_random
from jitgraph.tensor.shared_randomstreams import RandomStreams

# Theano tutorial, srng = RandomStreams(seed=234)
TUTORIAL_F1 = [[0.12672381400898758, 0.9709159656786431], [0.13989097862581312, 0.887548254199325]]
TUTORIAL_F2 = [[0.3197141503373775, 0.47584376667160355], [0.24129163169315337, 0.4204608139408894]]
TUTORIAL_G = [[0.3732844727674915, -0.6574667187293483], [-0.3630237287579288, -0.9748462455013606]]
TUTORIAL_F_RNG_SEED_89234 = [[0.28439104826995065, 0.5055214080650566],
                             [0.0021596108670541847, 0.9814496331453434]]
TUTORIAL_F_SRNG_SEED_902340 = [[0.33919835277152444, 0.8534487758536424],
                               [0.14881562020223282, 0.7965941342086273]]
TUTORIAL_G_SRNG_SEED_902340 = [[1.1442008240114772, -1.6324488253206124],
                               [-0.4399053827934302, 1.1156434138246334]]


def _exact(actual, expected, dtype="float64"):
    actual = np.asarray(actual)
    assert actual.dtype == np.dtype(dtype), actual.dtype
    np.testing.assert_array_equal(actual, np.asarray(expected, dtype=dtype))


def test_tutorial_values(mode):
    srng = RandomStreams(seed=234)
    rv_u = srng.uniform((2, 2))
    rv_n = srng.normal((2, 2))
    f = function([], rv_u, mode=mode)
    g = function([], rv_n, no_default_updates=True, mode=mode)
    nearly_zeros = function([], rv_u + rv_u - 2 * rv_u, mode=mode)

    _exact(f(), TUTORIAL_F1)
    _exact(f(), TUTORIAL_F2)                   # the default update advanced the stream
    _exact(g(), TUTORIAL_G)
    _exact(g(), TUTORIAL_G)                    # no_default_updates: same numbers each call
    _exact(nearly_zeros(), np.zeros((2, 2)))   # one draw per call, used three times

    rng_val = rv_u.rng.get_value(borrow=True)
    assert isinstance(rng_val, np.random.RandomState)
    rng_val.seed(89234)
    rv_u.rng.set_value(rng_val, borrow=True)
    _exact(f(), TUTORIAL_F_RNG_SEED_89234)

    srng.seed(902340)
    _exact(f(), TUTORIAL_F_SRNG_SEED_902340)
    _exact(g(), TUTORIAL_G_SRNG_SEED_902340)


def test_tutorial_sharing_streams_between_functions(mode):
    srng = RandomStreams(seed=234)
    rv_u = srng.uniform((2, 2))
    f = function([], rv_u, mode=mode)
    nearly_zeros = function([], rv_u + rv_u - 2 * rv_u, mode=mode)
    state_after_v0 = rv_u.rng.get_value().get_state()
    nearly_zeros()                    # advances the same stream as f
    v1 = f()
    rng = rv_u.rng.get_value(borrow=True)
    rng.set_state(state_after_v0)
    rv_u.rng.set_value(rng, borrow=True)
    v2 = f()                          # back to the state before nearly_zeros ran
    v3 = f()
    _exact(v1, TUTORIAL_F2)
    _exact(v2, TUTORIAL_F1)
    _exact(v3, TUTORIAL_F2)


def test_copying_random_state_between_graphs(mode):
    # Theano tutorial: two graphs seeded 123 and 987, then made to share the stream state.
    class Graph:
        def __init__(self, seed):
            self.rng = RandomStreams(seed)
            self.y = self.rng.uniform(size=(1,))

    g1, g2 = Graph(123), Graph(987)
    f1, f2 = function([], g1.y, mode=mode), function([], g2.y, mode=mode)
    np.testing.assert_allclose(f1(), [0.72803009], rtol=0, atol=5e-9)
    np.testing.assert_allclose(f2(), [0.55056769], rtol=0, atol=5e-9)
    for su1, su2 in zip(g1.rng.state_updates, g2.rng.state_updates):
        su2[0].set_value(su1[0].get_value())
    a, b = f1(), f2()
    np.testing.assert_allclose(a, [0.59044123], rtol=0, atol=5e-9)
    np.testing.assert_array_equal(a, b)


def test_distributions_match_theano(mode):
    srng = RandomStreams(seed=42)

    def run(var, *args, inputs=()):
        return function(list(inputs), var, mode=mode)(*args)

    _exact(run(srng.binomial((5,), n=3, p=0.4)), [1, 2, 0, 0, 3], "int64")
    _exact(run(srng.random_integers((6,), low=-2, high=5)), [3, 2, -2, -1, 4, 4], "int64")
    lo, hi = T.lvector(), T.lvector()
    _exact(run(srng.random_integers(None, low=lo, high=hi), [0, 10, 100], [1, 20, 200], inputs=[lo, hi]),
           [0, 10, 113], "int64")
    _exact(run(srng.choice((4,), a=10, replace=False)), [9, 3, 6, 1], "int64")
    _exact(run(srng.choice((5,), a=3, p=[0.1, 0.2, 0.7])), [2, 1, 2, 2, 2], "int64")
    _exact(run(srng.permutation((2,), n=5)), [[0, 1, 4, 3, 2], [1, 4, 3, 2, 0]], "int64")
    _exact(run(srng.multinomial((2,), n=5, pvals=[.2, .3, .5])), [[1, 3, 1], [0, 1, 4]], "int64")
    _exact(run(srng.poisson((4,), lam=3.0)), [6, 6, 3, 3], "int64")
    low, high = T.dvector(), T.dvector()
    _exact(run(srng.uniform(low=low, high=high), [0., 10., 100.], [1., 20., 200.], inputs=[low, high]),
           [0.5434030676903124, 19.20009226437316, 149.64667035967165])
    _exact(run(srng.normal((3,), avg=5.0, std=0.1)), [4.880215855052699, 4.9442247781172215, 4.847126166234494])
    _exact(run(srng.uniform((3,), dtype="float32")),
           [0.0036303072702139616, 0.8178300261497498, 0.7412827610969543], "float32")
    x = T.dmatrix()
    _exact(run(srng.uniform(x.shape), np.zeros((2, 3)), inputs=[x]),
           [[0.8791358871980453, 0.3584815225733641, 0.4865137983725186],
            [0.5125597000903308, 0.3632030959511354, 0.7193764256573532]])
    _exact(run(srng.uniform((x.shape[0], 2)), np.zeros((3, 1)), inputs=[x]),
           [[0.8814784176329411, 0.3072581638887394], [0.9602087979216042, 0.30848606328904415],
            [0.49111020448164333, 0.38607075747365305]])
    avg = T.dvector()
    _exact(run(srng.normal((2, -1), avg=avg), [1., 2., 3.], inputs=[avg]),   # -1: from avg's shape
           [[1.199056847459854, 0.8226918338150577, 0.9872513290892582],
            [1.469055913833242, 1.5936302066026518, 3.2581182944032756]])


def test_non_contiguous_and_empty_arguments(mode):
    low = T.dvector()
    contiguous = np.array([0., 10., 100.])
    strided = np.zeros((3, 2))
    strided[:, 0] = contiguous
    f = function([low], RandomStreams(seed=42).uniform(low=low, high=1000.0), mode=mode,
                 no_default_updates=True)
    np.testing.assert_array_equal(f(strided[:, 0]), f(contiguous))
    assert f(np.zeros(0)).shape == (0,)


def test_types_and_shapes():
    srng = RandomStreams(seed=1)
    u = srng.uniform((2, 1))
    assert u.type == T.TensorType("float64", (False, True))
    assert srng.binomial((3,), p=0.5).dtype == "int64"
    assert srng.permutation((2,), n=4).ndim == 2
    assert srng.multinomial((3,), n=2, pvals=[.5, .5]).ndim == 2
    x = T.dmatrix()
    assert srng.normal(x.shape).ndim == 2
    assert isinstance(u.rng, raw_random.RandomStateSharedVariable)
    assert u.update[0] is u.rng and u.rng.default_update is u.update[1]
    assert srng.updates()[0] == u.update and len(srng.updates()) == 5
    assert srng[u.rng] is u.rng.get_value(borrow=True)


def test_floatx32_dtype(floatX32):
    srng = RandomStreams(seed=3)
    assert srng.uniform((2,)).dtype == "float32"
    assert srng.normal((2,)).dtype == "float32"
    assert srng.uniform((2,), low=np.float64(0)).dtype == "float64"


def test_draws_advance_and_freeze(mode):
    srng = RandomStreams(seed=5)
    u = srng.uniform((3,))
    f = function([], u, mode=mode)
    frozen = function([], u, mode=mode, no_default_updates=[u.rng])
    a = frozen()
    np.testing.assert_array_equal(frozen(), a)
    b, c = f(), f()
    np.testing.assert_array_equal(b, a)       # f starts from the same state ...
    assert not np.array_equal(b, c)           # ... and moves it on
    assert not np.array_equal(frozen(), a)    # frozen reads the (moved) shared state


def test_perform_does_not_mutate_the_input_generator():
    srng = RandomStreams(seed=5)
    u = srng.uniform((3,))
    node = u.owner
    rng = np.random.RandomState(7)
    before = rng.get_state()
    storage = [[None], [None]]
    node.op.perform(node, [rng, np.array([3]), np.array(0.0), np.array(1.0)], storage)
    after = rng.get_state()
    np.testing.assert_array_equal(before[1], after[1])
    assert before[2] == after[2]
    new_rng, sample = storage[0][0], storage[1][0]
    assert new_rng is not rng and sample.shape == (3,)
    np.testing.assert_array_equal(sample, np.random.RandomState(7).uniform(0.0, 1.0, (3,)))
    assert not raw_random.RandomStateType.values_eq(new_rng, rng)
    assert raw_random.RandomStateType.values_eq(rng, np.random.RandomState(7))


def test_get_value_is_a_copy():
    srng = RandomStreams(seed=5)
    u = srng.uniform((3,))
    rng = u.rng.get_value()
    rng.uniform()                               # drawing from the copy ...
    f = function([], u)
    np.testing.assert_array_equal(f(), np.random.RandomState(
        int(np.random.RandomState(5).randint(2 ** 30))).uniform(size=(3,)))   # ... changes nothing


def test_no_gradient_through_draws():
    srng = RandomStreams(seed=5)
    low = T.dscalar()
    u = srng.uniform((3,), low=low, high=low + 1)
    g = jitgraph.grad(u.sum(), low)
    np.testing.assert_array_equal(function([low], g)(0.5), 0.0)


def test_bad_inputs():
    srng = RandomStreams(seed=5)
    with pytest.raises(ValueError, match="negative dimension"):
        srng.uniform((2, -3))
    with pytest.raises(TypeError, match="size entry 0 must be an int"):
        srng.uniform((2.5,))
    with pytest.raises(ValueError, match="ndim=3 but size"):
        srng.uniform((2, 2), ndim=3)
    with pytest.raises(ValueError, match="more than the 1 of the requested size"):
        srng.uniform((2,), low=T.dmatrix())
    with pytest.raises(TypeError, match="integer vector"):
        srng.uniform(T.dvector(), ndim=1)
    with pytest.raises(ValueError, match="pass ndim="):
        srng.uniform(T.lvector())
    with pytest.raises(TypeError, match="RandomState variable"):
        raw_random.uniform(jitgraph.shared(np.zeros(2)), (2,))
    size = T.lvector()
    u = srng.uniform(size, ndim=2)
    f = function([size], u)
    with pytest.raises(ValueError, match="has 3 entries"):
        f([1, 2, 3])
    with pytest.raises(ValueError, match="negative dimension"):
        f([2, -1])
    np.testing.assert_array_equal(f([0, 3]).shape, (0, 3))    # empty draws are fine


def test_infer_shape():
    srng = RandomStreams(seed=1)
    x = T.dmatrix()
    u = srng.uniform((x.shape[0], 3))
    node = u.owner
    _, inferred = node.op.infer_shape(node, [None, (2,), (), ()])
    f = function([x], list(inferred) + [u.shape])
    *dims, actual = f(np.zeros((4, 1)))
    assert tuple(dims) == tuple(actual) == (4, 3)
    low = T.dvector()
    auto = srng.uniform(low=low, high=1.0)        # size None: the shape of low + high
    (dim,) = auto.owner.op.infer_shape(auto.owner, [None, (1,), (low.shape[0],), ()])[1]
    assert function([low], dim)(np.zeros(6)) == 6
    perm = srng.permutation(n=5)                   # one more dimension than size
    with pytest.raises(NotImplementedError, match="argument values"):
        perm.owner.op.infer_shape(perm.owner, [None, (0,), ()])
