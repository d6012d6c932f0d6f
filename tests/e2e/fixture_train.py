"""Shared fixture: one `verger run` over fruits-360-10/Training with MobileNetV2, written in all three
formats with PCA (95% of the variance), so the tests that only read such an output (PCA against
scikit-learn, Parquet against CSV) don't each extract 4,814 images again. Checks the run's own summary."""
import sys

from verger_test_util import *

out = os.environ["VERGER_FIXTURE_TRAIN"]
p = run_verger("run", "--input", TRAINING, "--output", out, "--model", "mobilenetv2", "--format", "csv,npy,parquet",
               "--variance", "0.95", "--threads", "2", "--overwrite", "--progress", "log")
m = read_manifest(out)
check(m["images"]["ok"] == 4814 and m["images"]["failed"] == 0, m["images"])
check(m["formats"] == ["csv", "npy", "parquet"], m["formats"])
check(m["reduced"]["rows"] == 4814, m.get("reduced"))
# Time by stage: every stage ran, and the consumer thread's stages fit inside the extraction's wall time.
st = m["stage_seconds"]
check(set(st) == {"list", "read", "decode", "wait_for_input", "inference", "write"} and min(st.values()) >= 0, st)
check(st["read"] > 0 and st["decode"] > 0 and st["inference"] > 0 and st["write"] > 0, st)
check(st["wait_for_input"] + st["inference"] + st["write"] <= m["wall_time_s"] * 1.02, (st, m["wall_time_s"]))
check("time by stage" in p.stderr and "inference" in p.stderr, p.stderr[-2000:])
print(f"fixture ready: {out} ({m['images_per_s']:.1f} images/s)")
