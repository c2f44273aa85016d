from hypothesis import given
from hypothesis import strategies as st

from hollow.sessions.apportion import apportion

amounts = st.lists(st.integers(-(2**62), 2**62), max_size=30)
scales = st.tuples(st.integers(0, 10**15), st.integers(1, 10**15))


@given(amounts, scales)
def test_total_is_the_floor_of_the_scaled_total(values, scale):
    num, den = scale
    out = apportion(values, num, den)
    assert sum(out) == sum(values) * num // den
    for v, o in zip(values, out):  # every share within one unit of its exact value
        assert v * num // den <= o <= v * num // den + 1


@given(amounts.filter(bool), scales, st.integers(-50, 50))
def test_a_given_target_is_met_exactly(values, scale, offset):
    num, den = scale
    target = sum(values) * num // den + offset
    assert sum(apportion(values, num, den, target=target)) == target


@given(st.lists(st.integers(0, 10**12), min_size=1, max_size=20), scales)
def test_scaling_transfers_keeps_every_class_net_zero_sum(amounts_, scale):
    # transfers in a ring: class i pays class i+1; whatever the scale, nets still sum to zero
    num, den = scale
    scaled = apportion(amounts_, num, den)
    n = len(scaled)
    nets = [0] * (n + 1)
    for i, a in enumerate(scaled):
        nets[i] -= a
        nets[i + 1] += a
    assert sum(nets) == 0


def test_identity_scale_changes_nothing():
    assert apportion([5, -3, 7], 1, 1) == [5, -3, 7]


def test_largest_remainders_get_the_extra_units():
    # 1/3 each of 1, 1, 2 -> exact 0.33, 0.33, 0.67; total floor(4/3) = 1 goes to the third
    assert apportion([1, 1, 2], 1, 3) == [0, 0, 1]
