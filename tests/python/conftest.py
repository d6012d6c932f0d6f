import os
import shutil
import tempfile

import pytest

SHARED = os.environ.get("VERGER_SHARED_DIR", os.path.join(os.path.dirname(__file__), "../../../shared"))
TRAINING = os.path.join(SHARED, "datasets", "fruits-360-10", "Training")


@pytest.fixture
def tmp_out():
    d = tempfile.mkdtemp(prefix="verger_py_")
    yield d
    shutil.rmtree(d, ignore_errors=True)
