"""The rows of `make bench`: what each framework computes, side by side.

Every row has an input maker (the same arrays for every framework) and one small
setup function per framework. A setup builds or compiles whatever the framework needs,
outside the timing, and returns a zero-argument callable: one call is one timed
operation, and it returns the result (brought to completion: JAX results are blocked
on) so the runner can check it against numpy's. Frameworks are imported inside the
setups, so one that is missing only empties its own column.

The runner (bench.py) pins thread counts before this module, and numpy, is imported.
"""
from dataclasses import dataclass, field

import numpy as np

FRAMEWORKS = ("numpy", "jitgraph", "pytensor", "jax")


@dataclass(frozen=True)
class Sizes:
    """Problem sizes: the issue's in a full run, smaller ones for `--quick`."""

    small_vector: int = 10**6
    large_vector: int = 10**7
    matrix: tuple = (4096, 1024)

    @classmethod
    def quick(cls):
        return cls(small_vector=10**5, large_vector=10**6, matrix=(1024, 256))


@dataclass
class Row:
    """One line of the table.

    ``baseline`` names the (row, framework) every ratio on this line is taken against;
    ``kind`` is "call" (timed in process) or "build" (timed across fresh processes).
    """

    name: str
    group: str
    label: str
    make_inputs: object
    setups: dict
    baseline: tuple = None
    kind: str = "call"
    notes: list = field(default_factory=list)


def _rng():
    return np.random.default_rng(1234)


def _pytensor_c_mode():
    """PyTensor's C backend, as the issue asks (not its default Numba linker)."""
    from pytensor.compile.mode import Mode
    return Mode(linker="cvm", optimizer="fast_run")


def _jax_blocked(fn):
    """A callable that runs a jitted JAX function to completion."""
    import jax

    def run(*args):
        return jax.block_until_ready(fn(*args))
    return run


# --- call overhead: f(x) = x + 1 on a 0-d float64 array and on a Python float ---------

def call_inputs_0d(sizes):
    return {"x": np.array(1.5)}


def call_inputs_float(sizes):
    return {"x": 1.5}


def call_numpy(inputs):
    x = inputs["x"]
    return lambda: np.add(x, 1.0)


def call_jitgraph(inputs):
    import jitgraph
    import jitgraph.tensor as T
    x = T.dscalar("x")
    f = jitgraph.function([x], x + 1)
    value = inputs["x"]
    return lambda: f(value)


def call_pytensor(inputs):
    import pytensor
    import pytensor.tensor as pt
    x = pt.dscalar("x")
    f = pytensor.function([x], x + 1, mode=_pytensor_c_mode())
    value = inputs["x"]
    return lambda: f(value)


def call_jax(inputs):
    import jax
    f = jax.jit(lambda x: x + 1)
    value = inputs["x"]
    return lambda: f(value).block_until_ready()


# --- elementwise: tanh(a*x + b) * exp(-x*x) + sqrt(abs(x)) on float32 vectors ---------

def elemwise_inputs(n):
    rng = _rng()
    return {name: rng.standard_normal(n, dtype=np.float32) for name in ("x", "a", "b")}


def elemwise_numpy(inputs):
    x, a, b = inputs["x"], inputs["a"], inputs["b"]
    return lambda: np.tanh(a * x + b) * np.exp(-x * x) + np.sqrt(np.abs(x))


def elemwise_expression(x, a, b):
    """jitgraph's graph of the row's expression (also the GPU section's, bench_cuda_cases.py)."""
    import jitgraph.tensor as T
    return T.tanh(a * x + b) * T.exp(-x * x) + T.sqrt(abs(x))


def elemwise_jitgraph(inputs):
    import jitgraph
    import jitgraph.tensor as T
    x, a, b = T.fvector("x"), T.fvector("a"), T.fvector("b")
    f = jitgraph.function([x, a, b], elemwise_expression(x, a, b))
    args = inputs["x"], inputs["a"], inputs["b"]
    return lambda: f(*args)


def elemwise_pytensor(inputs):
    import pytensor
    import pytensor.tensor as pt
    x, a, b = pt.fvector("x"), pt.fvector("a"), pt.fvector("b")
    f = pytensor.function([x, a, b], pt.tanh(a * x + b) * pt.exp(-x * x) + pt.sqrt(abs(x)),
                          mode=_pytensor_c_mode())
    args = inputs["x"], inputs["a"], inputs["b"]
    return lambda: f(*args)


def elemwise_jax(inputs):
    import jax
    import jax.numpy as jnp
    f = _jax_blocked(jax.jit(lambda x, a, b: jnp.tanh(a * x + b) * jnp.exp(-x * x) + jnp.sqrt(jnp.abs(x))))
    args = [jnp.asarray(inputs[k]) for k in ("x", "a", "b")]
    return lambda: f(*args)


# --- a*x + b*y + c (x, y float32 vectors; a, b, c float32 scalars), and numpy's x + y --

def axpbyc_inputs(n):
    rng = _rng()
    return {"x": rng.standard_normal(n, dtype=np.float32), "y": rng.standard_normal(n, dtype=np.float32),
            "a": np.float32(0.5), "b": np.float32(-1.25), "c": np.float32(3.0)}


def add_xy_numpy(inputs):
    """The memory-bound floor the fused a*x + b*y + c is held to: one pass, two reads, one write."""
    x, y = inputs["x"], inputs["y"]
    return lambda: x + y


def axpbyc_numpy(inputs):
    x, y, a, b, c = (inputs[k] for k in "xyabc")
    return lambda: a * x + b * y + c


def axpbyc_jitgraph(inputs):
    import jitgraph
    import jitgraph.tensor as T
    x, y = T.fvector("x"), T.fvector("y")
    a, b, c = T.fscalar("a"), T.fscalar("b"), T.fscalar("c")
    f = jitgraph.function([x, y, a, b, c], a * x + b * y + c)
    args = [inputs[k] for k in "xyabc"]
    return lambda: f(*args)


def axpbyc_pytensor(inputs):
    import pytensor
    import pytensor.tensor as pt
    x, y = pt.fvector("x"), pt.fvector("y")
    a, b, c = pt.fscalar("a"), pt.fscalar("b"), pt.fscalar("c")
    f = pytensor.function([x, y, a, b, c], a * x + b * y + c, mode=_pytensor_c_mode())
    args = [inputs[k] for k in "xyabc"]
    return lambda: f(*args)


def axpbyc_jax(inputs):
    import jax
    import jax.numpy as jnp
    f = _jax_blocked(jax.jit(lambda x, y, a, b, c: a * x + b * y + c))
    args = [jnp.asarray(inputs[k]) for k in "xyabc"]
    return lambda: f(*args)


# --- sum of squares of a float32 matrix ------------------------------------------------

def matrix_inputs(sizes):
    return {"x": _rng().standard_normal(sizes.matrix, dtype=np.float32)}


def sum_squares_numpy(inputs):
    x = inputs["x"]
    return lambda: (x * x).sum()


def sum_squares_jitgraph(inputs):
    import jitgraph
    import jitgraph.tensor as T
    x = T.fmatrix("x")
    f = jitgraph.function([x], (x ** 2).sum())
    value = inputs["x"]
    return lambda: f(value)


def sum_squares_pytensor(inputs):
    import pytensor
    import pytensor.tensor as pt
    x = pt.fmatrix("x")
    f = pytensor.function([x], (x ** 2).sum(), mode=_pytensor_c_mode())
    value = inputs["x"]
    return lambda: f(value)


def sum_squares_jax(inputs):
    import jax
    import jax.numpy as jnp
    f = _jax_blocked(jax.jit(lambda x: (x ** 2).sum()))
    value = jnp.asarray(inputs["x"])
    return lambda: f(value)


# --- row softmax of a float32 matrix ---------------------------------------------------

def softmax_numpy(inputs):
    x = inputs["x"]

    def softmax():
        e = np.exp(x - x.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    return softmax


def softmax_jitgraph(inputs):
    import jitgraph
    import jitgraph.tensor as T
    x = T.fmatrix("x")
    f = jitgraph.function([x], T.nnet.softmax(x))
    value = inputs["x"]
    return lambda: f(value)


def softmax_pytensor(inputs):
    import pytensor
    import pytensor.tensor as pt
    x = pt.fmatrix("x")
    f = pytensor.function([x], pt.special.softmax(x, axis=-1), mode=_pytensor_c_mode())
    value = inputs["x"]
    return lambda: f(value)


def softmax_jax(inputs):
    import jax
    import jax.numpy as jnp
    f = _jax_blocked(jax.jit(lambda x: jax.nn.softmax(x, axis=-1)))
    value = jnp.asarray(inputs["x"])
    return lambda: f(value)


# --- one SGD step of a tanh MLP with softmax + crossentropy (float32, no dropout) -------
# Each step returns the cost before its update; the first call's cost is the same in
# every framework (same weights, same batch), which is what the result check compares.

# float32, so that no framework promotes the float32 updates to float64 (PyTensor would).
LEARNING_RATE = np.float32(0.01)


def mlp_inputs(layers, batch):
    """Glorot-uniform weights, zero biases, a standard-normal batch and integer labels."""
    rng = _rng()
    params = []
    for fan_in, fan_out in zip(layers[:-1], layers[1:]):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        params.append(rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32))
        params.append(np.zeros(fan_out, np.float32))
    return {"params": params, "x": rng.standard_normal((batch, layers[0]), dtype=np.float32),
            "y": rng.integers(0, layers[-1], batch).astype(np.int32)}


def mlp784_inputs(sizes):
    return mlp_inputs((784, 512, 512, 10), 128)


def mlp20_inputs(sizes):
    return mlp_inputs((20, 64, 64, 2), 32)


def mlp_step_numpy(inputs):
    """Forward and backward by hand: eight matrix products, updates in place."""
    params = [p.copy() for p in inputs["params"]]
    w1, b1, w2, b2, w3, b3 = params
    x, y = inputs["x"], inputs["y"]
    rows = np.arange(len(y))

    def step():
        h1 = np.tanh(x @ w1 + b1)
        h2 = np.tanh(h1 @ w2 + b2)
        z = h2 @ w3 + b3
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        cost = -np.mean(np.log(p[rows, y]))
        d3 = p
        d3[rows, y] -= 1
        d3 /= np.float32(len(y))
        d2 = (d3 @ w3.T) * (1 - h2 * h2)
        d1 = (d2 @ w2.T) * (1 - h1 * h1)
        grads = (x.T @ d1, d1.sum(axis=0), h1.T @ d2, d2.sum(axis=0), h2.T @ d3, d3.sum(axis=0))
        for param, grad in zip(params, grads):
            param -= LEARNING_RATE * grad
        return cost
    return step


def mlp_matmuls_numpy(inputs):
    """Only the eight products of mlp_step_numpy, same shapes, into preallocated outputs."""
    w1, _, w2, _, w3, _ = inputs["params"]
    x = inputs["x"]
    rng = _rng()
    batch = x.shape[0]
    h1, h2 = (rng.standard_normal((batch, w.shape[1]), dtype=np.float32) for w in (w1, w2))
    d1, d2, d3 = (rng.standard_normal((batch, w.shape[1]), dtype=np.float32) for w in (w1, w2, w3))
    products = [(x, w1), (h1, w2), (h2, w3),                   # forward
                (h2.T, d3), (d3, w3.T), (h1.T, d2), (d2, w2.T), (x.T, d1)]   # backward
    outs = [np.empty((a.shape[0], b.shape[1]), np.float32) for a, b in products]

    def matmuls():
        for (a, b), out in zip(products, outs):
            np.matmul(a, b, out=out)
        return outs[-1]
    return matmuls


def mlp_sgd_graph(params, x, y):
    """jitgraph's SGD step on the shared ``params`` for batch ``x`` (float32 matrix) and
    labels ``y`` (int32 vector): (cost, updates). Also the GPU section's (bench_cuda_cases.py)."""
    import jitgraph.tensor as T
    w1, b1, w2, b2, w3, b3 = params
    h1 = T.tanh(T.dot(x, w1) + b1)
    h2 = T.tanh(T.dot(h1, w2) + b2)
    p = T.nnet.softmax(T.dot(h2, w3) + b3)
    cost = T.nnet.categorical_crossentropy(p, y).mean()
    grads = T.grad(cost, params)
    return cost, [(v, v - LEARNING_RATE * g) for v, g in zip(params, grads)]


def mlp_step_jitgraph(inputs):
    import jitgraph
    import jitgraph.tensor as T
    params = [jitgraph.shared(p, name=f"p{i}") for i, p in enumerate(inputs["params"])]
    x, y = T.fmatrix("x"), T.ivector("y")
    cost, updates = mlp_sgd_graph(params, x, y)
    f = jitgraph.function([x, y], cost, updates=updates)
    data = inputs["x"], inputs["y"]
    return lambda: f(*data)


def mlp_step_pytensor(inputs):
    import pytensor
    import pytensor.tensor as pt
    params = [pytensor.shared(p, name=f"p{i}") for i, p in enumerate(inputs["params"])]
    w1, b1, w2, b2, w3, b3 = params
    x, y = pt.fmatrix("x"), pt.ivector("y")
    h1 = pt.tanh(pt.dot(x, w1) + b1)
    h2 = pt.tanh(pt.dot(h1, w2) + b2)
    p = pt.special.softmax(pt.dot(h2, w3) + b3, axis=-1)
    cost = -pt.mean(pt.log(p[pt.arange(y.shape[0]), y]))   # PyTensor dropped nnet's crossentropy
    grads = pytensor.grad(cost, params)
    f = pytensor.function([x, y], cost, mode=_pytensor_c_mode(),
                          updates=[(v, v - LEARNING_RATE * g) for v, g in zip(params, grads)])
    data = inputs["x"], inputs["y"]
    return lambda: f(*data)


def mlp_step_jax(inputs):
    """Functional SGD: the step returns new weights; donating the old ones lets XLA update in place."""
    import jax
    import jax.numpy as jnp

    def loss(params, x, y):
        w1, b1, w2, b2, w3, b3 = params
        h1 = jnp.tanh(x @ w1 + b1)
        h2 = jnp.tanh(h1 @ w2 + b2)
        logp = jax.nn.log_softmax(h2 @ w3 + b3, axis=-1)
        return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))

    def sgd(params, x, y):
        cost, grads = jax.value_and_grad(loss)(params, x, y)
        return [p - LEARNING_RATE * g for p, g in zip(params, grads)], cost

    step = jax.jit(sgd, donate_argnums=0)
    state = [[jnp.asarray(p) for p in inputs["params"]]]
    x, y = jnp.asarray(inputs["x"]), jnp.asarray(inputs["y"])

    def run():
        state[0], cost = jax.block_until_ready(step(state[0], x, y))
        return cost
    return run


MLP_STEP = {"numpy": mlp_step_numpy, "jitgraph": mlp_step_jitgraph,
            "pytensor": mlp_step_pytensor, "jax": mlp_step_jax}


def _count(n):
    """10**7 -> '1e7'."""
    return f"{n:.0e}".replace("e+0", "e").replace("e+", "e")


def build_rows(sizes):
    """The table, top to bottom; row names are what `--only` takes (besides group names)."""
    n_small, n_large = sizes.small_vector, sizes.large_vector
    rows_, cols = sizes.matrix
    call_setups = {"numpy": call_numpy, "jitgraph": call_jitgraph, "pytensor": call_pytensor, "jax": call_jax}
    elemwise_setups = {"numpy": elemwise_numpy, "jitgraph": elemwise_jitgraph,
                       "pytensor": elemwise_pytensor, "jax": elemwise_jax}
    return [
        Row("call_0d", "call_overhead", "f(x)=x+1, 0-d float64 array", call_inputs_0d, call_setups),
        Row("call_float", "call_overhead", "f(x)=x+1, Python float", call_inputs_float, call_setups),
        Row("elemwise_small", "elemwise", f"tanh(a*x+b)*exp(-x*x)+sqrt(|x|), f32 n={_count(n_small)}",
            lambda s: elemwise_inputs(n_small), elemwise_setups),
        Row("elemwise_large", "elemwise", f"tanh(a*x+b)*exp(-x*x)+sqrt(|x|), f32 n={_count(n_large)}",
            lambda s: elemwise_inputs(n_large), elemwise_setups),
        Row("add_xy", "axpbyc", f"numpy x + y, f32 n={_count(n_large)} (floor)",
            lambda s: axpbyc_inputs(n_large), {"numpy": add_xy_numpy}),
        Row("axpbyc", "axpbyc", f"a*x + b*y + c, f32 n={_count(n_large)}", lambda s: axpbyc_inputs(n_large),
            {"numpy": axpbyc_numpy, "jitgraph": axpbyc_jitgraph, "pytensor": axpbyc_pytensor, "jax": axpbyc_jax},
            baseline=("add_xy", "numpy")),
        Row("sum_squares", "reductions", f"sum(x**2), f32 {rows_}x{cols}", matrix_inputs,
            {"numpy": sum_squares_numpy, "jitgraph": sum_squares_jitgraph,
             "pytensor": sum_squares_pytensor, "jax": sum_squares_jax}),
        Row("softmax", "reductions", f"row softmax, f32 {rows_}x{cols}", matrix_inputs,
            {"numpy": softmax_numpy, "jitgraph": softmax_jitgraph, "pytensor": softmax_pytensor,
             "jax": softmax_jax}),
        Row("mlp784_matmuls", "mlp", "numpy: the 8 matmuls of the 784 step (floor)", mlp784_inputs,
            {"numpy": mlp_matmuls_numpy}),
        Row("mlp784_step", "mlp", "SGD step, MLP 784-512-512-10, batch 128", mlp784_inputs, MLP_STEP,
            baseline=("mlp784_matmuls", "numpy")),
        Row("mlp20_step", "mlp", "SGD step, MLP 20-64-64-2, batch 32", mlp20_inputs, MLP_STEP),
        Row("build_cold", "build", "build 784 step: fresh cache, new process", mlp784_inputs, MLP_STEP,
            kind="build"),
        Row("build_warm", "build", "build 784 step: warm cache, new process", mlp784_inputs, MLP_STEP,
            kind="build"),
    ]
