"""Theano's ``theano.sandbox``: the MRG31k3p random streams (``rng_mrg``) and the
multinomial-from-uniform ops they use (``multinomial``)."""
