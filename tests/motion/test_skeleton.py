"""Skeleton specs: left-right mirroring."""

import numpy as np
import pytest

from dancegen.motion.skeleton import SKELETONS


@pytest.mark.parametrize("name", sorted(SKELETONS))
def test_mirror_swaps_sides_and_is_an_involution(name):
    spec = SKELETONS[name]
    rng = np.random.default_rng(0)
    joints = rng.normal(size=(5, spec.num_joints, 3)).astype(np.float32)
    once = spec.mirror(joints)
    np.testing.assert_allclose(spec.mirror(once), joints)
    li, ri = spec.index("left_knee"), spec.index("right_knee")
    np.testing.assert_allclose(once[:, li, 0], -joints[:, ri, 0])
    np.testing.assert_allclose(once[:, li, 1:], joints[:, ri, 1:])
    assert sorted(spec.mirror_permutation) == list(range(spec.num_joints))
