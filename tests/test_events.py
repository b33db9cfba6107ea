import pytest
from django.db import transaction

from ppp import events


@pytest.fixture
def received():
    got = []
    listener = events.subscribe(got.append)
    yield got
    events._listeners.remove(listener)


@pytest.mark.django_db(transaction=True)
def test_listeners_hear_an_event_only_once_the_change_commits(received):
    with transaction.atomic():
        events.publish("deliverable.accepted", vendor_ids=[3, 1, 3], payload={"deliverable": 7})
        assert received == []
    assert [(e.name, e.vendor_ids, e.payload) for e in received] == [
        ("deliverable.accepted", (1, 3), {"deliverable": 7})
    ]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_announces_nothing(received):
    with pytest.raises(RuntimeError), transaction.atomic():
        events.publish("payment.made", vendor_ids=[1])
        raise RuntimeError
    assert received == []


@pytest.mark.django_db(transaction=True)
def test_a_broken_listener_does_not_hide_the_event_from_the_others(received):
    def broken(event):
        raise ValueError("boom")

    events._listeners.insert(0, broken)
    try:
        events.publish("alert.raised", vendor_ids=[2])
    finally:
        events._listeners.remove(broken)
    assert len(received) == 1
