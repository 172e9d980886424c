"""pp and debugprint."""
import jitgraph as theano
import jitgraph.tensor as T
from jitgraph.printing import debugprint, pp


def test_pp_infix():
    x, y = T.dscalars("x", "y")
    assert pp(x * 2 + y) == "((x * TensorConstant{2}) + y)"
    assert pp(T.exp(-x)) == "exp((-x))"


def test_debugprint_shows_shared_subtrees_once():
    x = T.dscalar("x")
    a = T.exp(x)
    text = debugprint([a + a], file="str")
    lines = text.splitlines()
    assert lines[0].startswith("Elemwise{add} [id A]")
    assert sum("Elemwise{exp}" in line for line in lines) == 2
    assert sum(line.strip().startswith("|x") for line in lines) == 1   # the second exp is not expanded


def test_debugprint_function():
    x = T.dscalar("x")
    f = theano.function([x], x * 2)
    text = debugprint(f, file="str")
    assert "Elemwise{mul}" in text and "x [id" in text
