"""The gcc step (jitgraph/cache/build.py): flags, build info, error messages."""
import cffi
import pytest

from jitgraph import config
from jitgraph.cache import CompileError, CompilerNotFoundError, compile_shared_library
from jitgraph.cache.build import error_line_numbers, source_excerpt

BROKEN_SOURCE = """\
/* line 1 */
int helper_a(void) { return 1; }   /* line 2 */
int helper_b(void) { return 2; }   /* line 3 */
int helper_c(void) { return 3; }   /* line 4 */
int jg_entry(void *c) { return undeclared_thing; }   /* line 5 */
int helper_d(void) { return 4; }   /* line 6 */
int helper_e(void) { return 5; }   /* line 7 */
int helper_f(void) { return 6; }   /* line 8 */
int helper_g(void) { return 7; }   /* line 9 */
"""


def _call_int(path, name):
    ffi = cffi.FFI()
    ffi.cdef(f"int {name}(void);")
    lib = ffi.dlopen(path)
    return getattr(lib, name)()


def test_builds_a_loadable_shared_library(tmp_path):
    src = tmp_path / "m.c"
    src.write_text("#include <math.h>\nint answer(void) { return (int)sqrt(1764.0); }\n")
    out = tmp_path / "m.so"
    info = compile_shared_library(str(src), str(out), flags=["-O2"], libs=["m"])
    assert _call_int(str(out), "answer") == 42
    command = info["command"]
    assert command[1:3] == ["-shared", "-fPIC"] and "-O2" in command
    assert command.index("-lm") > command.index(str(src))        # libraries after the source
    assert info["command_line"].startswith(info["compiler"])
    assert "gcc" in info["compiler_version"].lower()
    assert info["libs"] == ["m"] and info["seconds"] > 0


def test_user_cxxflags_follow_the_callers_flags(tmp_path):
    src = tmp_path / "m.c"
    src.write_text("int answer(void) { return JG_ANSWER; }\n")
    out = tmp_path / "m.so"
    with config.change_flags(cxxflags="-DJG_ANSWER=7"):
        info = compile_shared_library(str(src), str(out), flags=["-DJG_UNUSED=1"])
    assert _call_int(str(out), "answer") == 7
    assert info["flags"] == ["-DJG_UNUSED=1", "-DJG_ANSWER=7"]


def test_library_versions_are_recorded(tmp_path):
    src = tmp_path / "m.c"
    src.write_text("int answer(void) { return 1; }\n")
    info = compile_shared_library(str(src), str(tmp_path / "m.so"), library_versions={"openblas": "0.3.28"})
    assert info["library_versions"] == {"openblas": "0.3.28"}


def test_compile_error_shows_message_source_context_and_path(tmp_path):
    src = tmp_path / "source.c"
    src.write_text(BROKEN_SOURCE)
    with pytest.raises(CompileError) as info:
        compile_shared_library(str(src), str(tmp_path / "m.so"))
    err = info.value
    text = str(err)
    assert "undeclared_thing" in text and "error:" in text                  # gcc's own message
    assert "generated source around line 5:" in text
    assert "> 5 | int jg_entry(void *c) { return undeclared_thing; }" in text
    for n in (2, 3, 4, 6, 7, 8):                                              # ±3 lines
        assert f"  {n} | int helper_" in text
    assert "/* line 1 */" not in text and "/* line 9 */" not in text
    assert f"source kept at: {src}" in text
    assert err.returncode != 0 and not (tmp_path / "m.so").exists()


def test_compile_error_names_the_kept_copy_once_moved(tmp_path):
    src = tmp_path / "build" / "source.c"
    src.parent.mkdir()
    src.write_text(BROKEN_SOURCE)
    with pytest.raises(CompileError) as info:
        compile_shared_library(str(src), str(tmp_path / "build" / "m.so"))
    kept = str(tmp_path / "failed" / "source.c")
    text = str(info.value.kept_at(kept))
    assert f"source kept at: {kept}" in text
    assert str(src) not in text          # the build directory's path is gone from command and output


def test_link_error_shows_the_linker_message(tmp_path):
    src = tmp_path / "m.c"
    src.write_text("int answer(void) { return 1; }\n")
    with pytest.raises(CompileError, match="jgnosuchlib"):
        compile_shared_library(str(src), str(tmp_path / "m.so"), libs=["jgnosuchlib"])


def test_missing_compiler_is_a_clear_compile_error(tmp_path):
    src = tmp_path / "m.c"
    src.write_text("int answer(void) { return 1; }\n")
    with pytest.raises(CompilerNotFoundError, match="C compiler 'jitgraph-no-such-cc' not found") as info:
        compile_shared_library(str(src), str(tmp_path / "m.so"), cxx="jitgraph-no-such-cc")
    assert isinstance(info.value, CompileError)
    with config.change_flags(cxx="jitgraph-no-such-cc"):
        with pytest.raises(CompilerNotFoundError, match="config.cxx='jitgraph-no-such-cc'"):
            compile_shared_library(str(src), str(tmp_path / "m.so"))


def test_error_line_numbers_and_excerpt():
    output = ("s.c: In function 'f':\n"
              "s.c:12:5: error: 'x' undeclared\n"
              "s.c:12:9: error: 'y' undeclared\n"
              "s.c:3: error: old style\n"
              "s.c:7:1: warning: unused\n"
              "s.c:20:2: fatal error: missing.h: No such file\n")
    assert error_line_numbers(output) == [12, 3, 20]
    source = "\n".join(f"line{i}" for i in range(1, 11))
    assert source_excerpt(source, 1) == "> 1 | line1\n  2 | line2\n  3 | line3\n  4 | line4"
    assert source_excerpt(source, 10).splitlines()[-1] == "> 10 | line10"
