"""Writes the Keras 1.2.2 reference files that tests/keras/test_saving.py loads.

Runs ONLY under the oracle (real Keras 1.2.2 on Theano 1.0.5), never in the tests:

    /tmp/oracle/bin/oracle-python tests/keras/data/make_reference.py

For each model it writes, next to this script:
  <name>.h5          model.save() after a few SGD/Adam steps (architecture, weights, optimizer state)
  <name>_weights.h5  model.save_weights() of the same model
  <name>.json        model.to_json()
  <name>.npz         the inputs, what Keras predicted, one more batch and the weights
                     (and optimizer weights) Keras had after one more train_on_batch on it.
"""
import json
import os

import numpy as np

from keras.layers import Dense, Dropout, Input, BatchNormalization
from keras.models import Sequential, Model
from keras.optimizers import SGD, Adam

HERE = os.path.dirname(os.path.abspath(__file__))


def learnable_problem(rng, n, n_features, n_classes):
    """A linearly separable-ish problem: labels from a fixed random projection."""
    x = rng.uniform(-1, 1, size=(n, n_features)).astype('float32')
    projection = rng.normal(size=(n_features, n_classes))
    labels = np.argmax(x.dot(projection), axis=1)
    y = np.eye(n_classes, dtype='float32')[labels]
    return x, y


def seed_mlp(dropout):
    """The seed program's MLP (issue 6); optionally without its Dropout layers."""
    model = Sequential()
    model.add(Dense(64, input_dim=20, init='uniform', activation='tanh'))
    if dropout:
        model.add(Dropout(0.5))
    model.add(Dense(64, init='uniform', activation='tanh'))
    if dropout:
        model.add(Dropout(0.5))
    model.add(Dense(2, init='uniform', activation='softmax'))
    # decay is large so that a lost iteration counter would change the next step.
    sgd = SGD(lr=0.1, decay=0.05, momentum=0.9, nesterov=True)
    model.compile(loss='mean_squared_error', optimizer=sgd, metrics=['accuracy'])
    return model


def functional_bn_mlp():
    """Keras 1's functional API: Input -> Dense -> BatchNormalization -> Dense, with Adam."""
    inputs = Input(shape=(8,), name='features')
    hidden = Dense(16, activation='relu')(inputs)
    hidden = BatchNormalization()(hidden)
    outputs = Dense(3, activation='softmax')(hidden)
    model = Model(input=inputs, output=outputs)
    model.compile(loss='categorical_crossentropy', optimizer=Adam(lr=0.01), metrics=['accuracy'])
    return model


def write(name, model, x, y, x_test, steps, batch):
    for i in range(steps):
        model.train_on_batch(x[i * batch:(i + 1) * batch], y[i * batch:(i + 1) * batch])
    base = os.path.join(HERE, name)
    model.save(base + '.h5')
    model.save_weights(base + '_weights.h5')
    with open(base + '.json', 'w') as f:
        f.write(model.to_json())
    predicted = model.predict(x_test, batch_size=len(x_test))
    x_next, y_next = x[steps * batch:(steps + 1) * batch], y[steps * batch:(steps + 1) * batch]
    model.train_on_batch(x_next, y_next)
    record = dict(x_test=x_test, predicted=predicted, x_next=x_next, y_next=y_next)
    for i, w in enumerate(model.get_weights()):
        record['weight_after_step_%d' % i] = w
    for i, w in enumerate(model.optimizer.get_weights()):
        record['optimizer_weight_after_step_%d' % i] = w
    np.savez(base + '.npz', **record)


def main():
    np.random.seed(1337)
    rng = np.random.RandomState(20)
    x, y = learnable_problem(rng, 96, 20, 2)
    x_test = learnable_problem(rng, 16, 20, 2)[0]
    write('keras122_seed_mlp', seed_mlp(dropout=True), x, y, x_test, steps=5, batch=16)
    write('keras122_mlp_no_dropout', seed_mlp(dropout=False), x, y, x_test, steps=5, batch=16)

    x, y = learnable_problem(rng, 64, 8, 3)
    x_test = learnable_problem(rng, 10, 8, 3)[0]
    write('keras122_functional_bn', functional_bn_mlp(), x, y, x_test, steps=3, batch=16)


if __name__ == '__main__':
    main()
