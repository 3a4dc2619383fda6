"""A quiz shows its options in an order of the participant's own (issue 15): the same for them on
every reopen, another for their neighbour, so that neither the authored order nor the screen
beside tells where the right option is."""

import json
import os
import subprocess
import sys
from collections import Counter

from latsar.kernel import activities
from latsar.kernel.activities import display_order

from .test_activity_feedback import quizzes

#: Forty participants, named as the hub names them.  Fixed names make the test deterministic.
PARTICIPANTS = [f"peserta{n:03d}" for n in range(1, 41)]

#: Fewest times out of 40 the right option must be shown at each position, for every quiz.  If the
#: order were uniform, one position of one quiz gets fewer than 3 with probability 1.4e-4
#: (binomial, n = 40, p = 1/4), so for 26 quizzes × 4 positions about 1.5 % of all possible
#: wordings would trip it (at 4 it would be 10 %); a rewording that does is a change of the
#: question, not a flaky run.  Today's lessons: at least 5.  No shuffle, a shuffle seeded by the
#: question alone, or one by the participant alone with the right option's index as written
#: each put all 40 in one position.
FEWEST = 3


def test_one_participant_sees_the_same_order_every_time():
    found = list(quizzes())
    orders = {}
    for where, question, options, _answer, _reasons in found:
        order = display_order(question, len(options), "peserta001")
        assert sorted(order) == list(range(len(options))), where
        assert display_order(question, len(options), "peserta001") == order, where
        orders[where] = order
    # and after a kernel restart: another process, another hash seed, the hub's variable
    code = ("import json, sys; from latsar.kernel.activities import display_order; "
            "print(json.dumps({w: display_order(q, n) for w, q, n in json.load(sys.stdin)}))")
    env = dict(os.environ, JUPYTERHUB_USER="peserta001", PYTHONHASHSEED="12345")
    out = subprocess.run([sys.executable, "-c", code], input=json.dumps([(w, q, len(o)) for w, q, o, _a, _r in found]),
                         capture_output=True, text=True, env=env, check=True).stdout
    assert json.loads(out) == orders


def test_the_right_option_moves_between_participants():
    pooled = Counter()
    for where, question, options, answer, _reasons in quizzes():
        shown_at = Counter(display_order(question, len(options), user).index(answer) for user in PARTICIPANTS)
        assert min(shown_at[p] for p in range(len(options))) >= FEWEST, (where, sorted(shown_at.items()))
        if len(options) == 4:
            pooled.update(shown_at)
    # over all quizzes, each position holds the answer about a quarter of the time
    total = sum(pooled.values())
    assert total >= 26 * len(PARTICIPANTS)
    assert all(0.2 * total <= pooled[p] <= 0.3 * total for p in range(4)), pooled


def test_neighbours_see_different_orders():
    for where, question, options, _answer, _reasons in quizzes():
        orders = {tuple(display_order(question, len(options), user)) for user in PARTICIPANTS}
        assert len(orders) >= 10, where  # of the 24 orders of four options


def test_the_participant_is_the_hub_user_else_the_os_user(monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_USER", "peserta002")
    monkeypatch.setattr(activities.getpass, "getuser", lambda: "jovyan")
    assert activities.participant() == "peserta002"
    assert display_order("Soal?", 4) == display_order("Soal?", 4, "peserta002")
    monkeypatch.delenv("JUPYTERHUB_USER")
    assert activities.participant() == "jovyan"  # one laptop, `latsar demo`
    assert display_order("Soal?", 4) == display_order("Soal?", 4, "jovyan")

    def no_name():
        raise KeyError("getpwuid(): uid not found: 1234")

    monkeypatch.setattr(activities.getpass, "getuser", no_name)
    assert activities.participant() == ""  # a container without a name for its uid: still an order
    assert sorted(display_order("Soal?", 4)) == [0, 1, 2, 3]
