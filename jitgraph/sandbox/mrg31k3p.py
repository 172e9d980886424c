"""The MRG31k3p generator (L'Ecuyer & Touzin, 2000) exactly as Theano 1.0.5 runs it.

This module is the one place that knows the integer arithmetic; the Ops in
``rng_mrg.py`` call it, and a native (C/CUDA) backend must reproduce it bit for bit.

A *stream* is 6 integers ``(x11, x12, x13, x21, x22, x23)``: two multiple recursive
components, the first modulo ``M1 = 2**31 - 1``, the second modulo ``M2 = 2**31 - 21069``.
A state array has shape ``(n_streams, 6)`` and dtype int32 (Theano's layout). Streams
are spaced ``2**72`` steps apart (``substream_states``); after handing out a block of
streams, the generator's base state jumps ``2**134`` steps (``jump_2p134``).

Sample ``i`` of a draw of ``n`` values comes from stream ``i % n_streams``, so stream
``s`` produces samples ``s, s + n_streams, s + 2 * n_streams, ...`` in that order.

All arithmetic here is done in int64 on values below ``2**32``, which gives the same
results as Theano's C code, which computes in int32 and relies on wrap-around (see
``mrg31k3p_step``).
"""
import numpy as np

M1 = 2147483647          # 2**31 - 1
M2 = 2147462579          # 2**31 - 21069
MASK12 = 511             # 2**9 - 1
MASK13 = 16777215        # 2**24 - 1
MASK2 = 65535            # 2**16 - 1
MULT2 = 21069

# Converting a raw value in [1, M1] to a float, as Theano's C code does:
# float64: raw * 2**-31 (exact); float32: float32(raw) * float32(4.6566126e-10), a
# float32 product. float32(4.6566126e-10) is 2**-31 * (1 - 2**-24), so float32 samples
# stay below 1.0 even for raw == M1 (which rounds to 2**31 in float32).
NORM_FLOAT64 = 4.656612873077392578125e-10     # 2**-31
NORM_FLOAT32 = np.float32(4.6566126e-10)

# Jump matrices: component 1 (mod M1) and component 2 (mod M2) advanced 2**72 steps
# (spacing between streams) and 2**134 steps (spacing between blocks of streams).
A1P72 = np.array([[1516919229, 758510237, 499121365],
                  [1884998244, 1516919229, 335398200],
                  [601897748, 1884998244, 358115744]], dtype=np.int64)
A2P72 = np.array([[1228857673, 1496414766, 954677935],
                  [1133297478, 1407477216, 1496414766],
                  [2002613992, 1639496704, 1407477216]], dtype=np.int64)
A1P134 = np.array([[1702500920, 1849582496, 1656874625],
                   [828554832, 1702500920, 1512419905],
                   [1143731069, 828554832, 102237247]], dtype=np.int64)
A2P134 = np.array([[796789021, 1464208080, 607337906],
                   [1241679051, 1431130166, 1464208080],
                   [1401213391, 1178684362, 1431130166]], dtype=np.int64)


def _reduce_once(y, m):
    """Theano's ``if (y < 0 || y >= m) y -= m`` on an int32 that may have wrapped.

    For a true (unwrapped) value ``0 <= y < 2**32`` the int32 test is the same as
    ``y >= m``, and the wrapped subtraction gives the true ``y - m``.
    """
    return np.where(y >= m, y - m, y)


def mrg31k3p_step(state):
    """One step of every stream in ``state``.

    ``state``: int64 array of shape ``(n, 6)`` (not modified).
    Returns ``(new_state, raw)``: the advanced int64 states and, per stream, the raw
    output in ``[1, M1]`` (``x11 - x21`` brought into that range).
    """
    x11, x12, x13, x21, x22, x23 = (state[:, k] for k in range(6))

    # First component: x1[n] = (2**22 x1[n-2] + 2**7 x1[n-3] + x1[n-3]) mod M1,
    # with the multiplications done by shifts on the split words.
    y1 = (((x12 & MASK12) << 22) + (x12 >> 9)
          + ((x13 & MASK13) << 7) + (x13 >> 24))
    y1 = _reduce_once(y1, M1)
    y1 = _reduce_once(y1 + x13, M1)
    new1 = (y1, x11, x12)

    # Second component: x2[n] = (2**15 x2[n-1] + 2**15 x2[n-3] + x2[n-3]) mod M2,
    # where 2**15 * x mod M2 is computed as (x & MASK2) << 15 + MULT2 * (x >> 16).
    t1 = _reduce_once(((x21 & MASK2) << 15) + MULT2 * (x21 >> 16), M2)
    t2 = _reduce_once(((x23 & MASK2) << 15) + MULT2 * (x23 >> 16), M2)
    t2 = _reduce_once(t2 + x23, M2)
    t2 = _reduce_once(t2 + t1, M2)
    new2 = (t2, x21, x22)

    new_state = np.stack(new1 + new2, axis=1)
    diff = y1 - t2
    raw = np.where(diff <= 0, diff + M1, diff)
    return new_state, raw


def raw_to_float(raw, dtype):
    """Raw outputs (int64, in [1, M1]) as uniform floats in (0, 1), Theano's rounding."""
    dtype = np.dtype(dtype).name
    if dtype == "float64":
        return raw.astype(np.float64) * NORM_FLOAT64
    if dtype == "float32":
        return raw.astype(np.float32) * NORM_FLOAT32
    raise TypeError(f"MRG31k3p draws float32 or float64 samples, not {dtype}")


def draw_uniform(state, n_elements, dtype):
    """``n_elements`` uniform samples from the streams in ``state``.

    ``state``: int32 array ``(n_streams, 6)``; it is not modified.
    Returns ``(new_state, samples)``: the int32 state after the draw and a flat array
    of ``n_elements`` samples of ``dtype``. Streams beyond ``n_elements`` stay put.
    """
    work = np.array(state, dtype=np.int64)
    n_streams = work.shape[0]
    raw = np.empty(n_elements, dtype=np.int64)
    for start in range(0, n_elements, n_streams):
        active = min(n_streams, n_elements - start)
        work[:active], raw[start:start + active] = mrg31k3p_step(work[:active])
    return work.astype(np.int32), raw_to_float(raw, dtype)


# ------------------------------------------------------------ stream spacing

def mat_vec_mod(A, s, m):
    """``(A @ s) mod m`` for each row ``s`` of ``states`` (shape ``(n, 3)``), exact in
    int64: every product is below 2**62 and is reduced before the sum (Theano's
    ``matVecModM``)."""
    s = np.asarray(s, dtype=np.int64)
    return ((s[:, None, :] * A[None, :, :]) % m).sum(axis=2) % m


def mat_mat_mod(A, B, m):
    """``(A @ B) mod m`` for 3x3 int64 matrices with entries below ``m``."""
    return ((A[:, :, None] * B[None, :, :]) % m).sum(axis=1) % m


def jump(states, A1, A2):
    """Apply the jump matrices to each row of ``states`` (``(n, 6)``)."""
    states = np.asarray(states, dtype=np.int64)
    return np.concatenate([mat_vec_mod(A1, states[:, :3], M1),
                           mat_vec_mod(A2, states[:, 3:], M2)], axis=1)


def jump_2p134(rstate):
    """The base state ``rstate`` (6 ints) advanced ``2**134`` steps, as int32."""
    return jump(np.asarray(rstate).reshape(1, 6), A1P134, A2P134)[0].astype(np.int32)


def substream_states(rstate, n_streams):
    """``n_streams`` stream states, the first ``rstate``, each the previous advanced
    ``2**72`` steps (Theano's ``get_substream_rstates``), as an int32 ``(n, 6)`` array.

    Built by doubling: the block of the first ``k`` streams, advanced ``k * 2**72``
    steps, gives the next ``k`` streams; modular matrix products are exact, so this
    equals Theano's one-by-one stepping.
    """
    if n_streams < 1:
        raise ValueError(f"n_streams must be at least 1, got {n_streams}")
    out = np.empty((n_streams, 6), dtype=np.int64)
    out[0] = np.asarray(rstate, dtype=np.int64)
    P1, P2 = A1P72, A2P72
    filled = 1
    while filled < n_streams:
        take = min(filled, n_streams - filled)
        out[filled:filled + take] = jump(out[:take], P1, P2)
        filled += take
        P1, P2 = mat_mat_mod(P1, P1, M1), mat_mat_mod(P2, P2, M2)
    return out.astype(np.int32)


def check_seed(seed):
    """A seed (one int, or 6 ints) as Theano's 6-int base state, validated."""
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        seed = int(seed)
        if seed <= 0:
            raise ValueError(f"MRG_RandomStreams: seed must be a positive int, got {seed}")
        if seed >= M2:
            raise ValueError(f"MRG_RandomStreams: seed must be less than {M2}, got {seed}")
        return np.array([seed] * 6, dtype=np.int32)
    if isinstance(seed, (str, bytes)) or not hasattr(seed, "__len__") or \
            not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in seed):
        raise TypeError(f"MRG_RandomStreams: seed must be 1 integer or 6 integers, got {seed!r}")
    values = [int(v) for v in seed]
    if len(values) != 6:
        raise TypeError(f"MRG_RandomStreams: seed must be 1 integer or 6 integers, got {len(values)}")
    if any(v < 0 for v in values):
        raise ValueError(f"MRG_RandomStreams: seed values must not be negative, got {values}")
    if not any(values[:3]):
        raise ValueError(f"MRG_RandomStreams: the first 3 values of the seed must not all be 0: {values}")
    if not any(values[3:]):
        raise ValueError(f"MRG_RandomStreams: the last 3 values of the seed must not all be 0: {values}")
    if any(v >= M1 for v in values[:3]):
        raise ValueError(f"MRG_RandomStreams: the first 3 values of the seed must be less than {M1}: {values}")
    if any(v >= M2 for v in values[3:]):
        raise ValueError(f"MRG_RandomStreams: the last 3 values of the seed must be less than {M2}: {values}")
    return np.array(values, dtype=np.int32)
