"""One build-time sample: a fresh process builds the 784 MLP training step and runs it once.

Run by bench.py as `python bench_build_child.py FRAMEWORK`; the parent points the
framework's compile cache at a directory of its choosing through the environment and
reads back one JSON line: the system-wide monotonic clock at the first result (the
parent took the same clock just before starting this process) and that result.
"""
import json
import sys
import time


def main():
    framework = sys.argv[1]
    import bench_cases   # here, not above: numpy's import counts, as in any user's script
    setup = bench_cases.MLP_STEP[framework]
    step = setup(bench_cases.mlp784_inputs(None))
    cost = float(step())
    first_result_at = time.monotonic()
    print(json.dumps({"first_result_at": first_result_at, "result": cost}))


if __name__ == "__main__":
    main()
