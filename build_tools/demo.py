"""`make demo`: the seed tutorial's Theano examples, run and printed.

(Replaced by the seed's Keras model once the Keras layer lands.)
"""
import numpy as np

import jitgraph as theano
import jitgraph.tensor as T


def main():
    print("jitgraph", theano.__version__, "| floatX =", theano.config.floatX, "| device =", theano.config.device)

    print("\n# 1. Symbolic operation: y = 5x^2 + 20")
    x = T.scalar("x")
    y = 5 * x ** 2 + 20
    compute = theano.function([x], y)
    print("compute(7) =", compute(7))

    print("\n# 2. Symbolic differentiation: dy/dx = 10x")
    y_prime = T.grad(y, x)
    diff = theano.function([x], y_prime)
    print("diff(7) =", diff(7))
    print("pp(dy/dx):", theano.pp(y_prime))
    print("after the rewrites:", theano.pp(diff.maker.fgraph.outputs[0]))

    print("\n# 3. Shared variables")
    shared_var = theano.shared(np.arange(6, dtype=theano.config.floatX).reshape(2, 3))
    print("shared_var.get_value() =\n", shared_var.get_value())

    print("\n# 4. Givens: y = 2x with x taken from a shared variable")
    compute = theano.function([x], 2 * x)
    print("method 1: compute(7) =", compute(7))
    x_value = theano.shared(7)
    compute = theano.function([], 2 * x, givens=[x, x_value])
    print("method 2: compute() =", compute())

    print("\n# 5. Updates: x_val += 1 after every call")
    x_val = theano.shared(0)
    increase = theano.function([], x_val, updates=(x_val, x_val + 1))
    print("increase() ->", [int(increase()) for _ in range(5)], "| x_val now", x_val.get_value())

    print("\n# 6. Logistic regression by gradient descent (shared weights, updates)")
    rng = np.random.RandomState(0)
    n, d = 400, 5
    data_x = rng.randn(n, d)
    true_w = rng.randn(d)
    data_y = (data_x @ true_w > 0).astype(theano.config.floatX)
    xs, ys = T.matrix("x"), T.vector("y")
    w = theano.shared(np.zeros(d), name="w")
    b = theano.shared(0.0, name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(xs, w) - b))
    xent = -ys * T.log(p_1) - (1 - ys) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w ** 2).sum()
    gw, gb = T.grad(cost, [w, b])
    train = theano.function([xs, ys], [cost, T.mean(T.eq(p_1 > 0.5, ys))],
                            updates=[(w, w - 0.5 * gw), (b, b - 0.5 * gb)])
    for step in range(101):
        c, acc = train(data_x, data_y)
        if step % 25 == 0:
            print(f"step {step:3d}: cost {float(c):.4f}  accuracy {float(acc):.3f}")


if __name__ == "__main__":
    main()
