import os
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def _shared_data_dir():
    env = os.environ.get("SKLEARN_ECGMCG_SHARED_DATA")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data():
    """Path to ../shared/data (real PTB-XL subset and one PTB record); skips when absent."""
    path = _shared_data_dir()
    if not (path / "ptbxl" / "ptbxl_database.csv").is_file():
        pytest.skip(f"shared data not found at {path} (set SKLEARN_ECGMCG_SHARED_DATA)")
    return path


@pytest.fixture(scope="session")
def ptbxl_path(shared_data):
    return shared_data / "ptbxl"


@pytest.fixture(scope="session")
def ptbdb_path(shared_data):
    return shared_data / "ptbdb"


@pytest.fixture(scope="module")
def one_torch_thread():
    """Tiny networks run faster on one torch thread on a shared 2-core machine."""
    import torch

    n_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n_threads)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
