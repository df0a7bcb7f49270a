"""Settings shared by the test files: tiny networks and fast, seeded CPU training.

The tests check behaviour, not learning quality, so their networks are as small as
an encoder allows. Import as ``from _settings import TINY, FAST`` (pytest puts
``tests/`` on ``sys.path`` through its ``conftest.py``).
"""

TINY = {"width": 4, "blocks": (1,)}  # ResNet1d encoder: 4 channels, one block
FAST = {"batch_size": 8, "device": "cpu", "random_state": 0}
