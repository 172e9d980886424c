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


def test_pydotprint_writes_dot(tmp_path):
    from jitgraph.printing import pydotprint
    x = T.dvector("x")
    f = theano.function([x], T.exp(x) * 2 + 1)
    written = pydotprint(f, str(tmp_path / "graph.png"), print_output_file=False)
    text = (tmp_path / "graph.dot").read_text()
    assert written[0].endswith("graph.dot")
    assert text.startswith("digraph") and "FusedElemwise" in text and "x" in text


def test_profile_summary_lists_rewrite_passes():
    import io
    x = T.dvector("x")
    f = theano.function([x], T.exp(x) * 2 + 1, profile=True)
    f([1.0])
    buf = io.StringIO()
    f.profile.summary(file=buf)
    text = buf.getvalue()
    assert "Rewrites" in text and "fusion" in text and "merge" in text
