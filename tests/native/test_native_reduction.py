"""Native reductions over leading axes (column sums: the bias gradient of a dense layer),
against the numpy reference: contiguous blocks of columns, strided inputs, NaN, empty."""
import numpy as np
import pytest

import jitgraph
import jitgraph.tensor as T

REDUCTIONS = {"sum": T.sum, "prod": T.prod, "max": T.max, "min": T.min, "all": T.all, "any": T.any}


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "bool"])
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@pytest.mark.parametrize("axis", [0, (0, 1)])
def test_leading_axes_match_the_reference(dtype, name, axis):
    if dtype == "bool" and name == "prod":
        pytest.skip("prod of booleans is not a reduction Theano defines")
    x = T.tensor3(dtype=dtype)
    native = jitgraph.function([x], REDUCTIONS[name](x, axis=axis))
    reference = jitgraph.function([x], REDUCTIONS[name](x, axis=axis), mode="FAST_COMPILE")
    v = np.random.RandomState(0).uniform(-2, 2, (3, 4, 300)).astype(dtype)   # 300 columns: two blocks
    if dtype.startswith("float"):
        v[1, 2, 7] = np.nan
    for a in (v, v[:, :, ::2], np.zeros((0, 4, 5), dtype)):
        if name in ("max", "min") and a.size == 0:
            with pytest.raises(ValueError, match="empty"):
                native(a)
            continue
        np.testing.assert_allclose(native(a), reference(a), rtol=1e-5, atol=1e-6)
