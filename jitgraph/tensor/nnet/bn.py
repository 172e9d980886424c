"""``theano.tensor.nnet.bn``: batch normalisation from given statistics."""


def batch_normalization(inputs, gamma, beta, mean, std, mode="low_mem"):
    """``(inputs - mean) * (gamma / std) + beta``, the statistics broadcasting against
    ``inputs`` as elementwise operands do. ``mode`` ('low_mem' or 'high_mem') picked one
    of two Theano implementations of the same values; here both build this expression."""
    if mode not in ("low_mem", "high_mem"):
        raise ValueError(f'batch_normalization: mode must be either "low_mem", "high_mem", got {mode!r}')
    return (inputs - mean) * (gamma / std) + beta


__all__ = ["batch_normalization"]
