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


@pytest.mark.django_db(transaction=True)
def test_an_outbox_listener_runs_inside_the_publishing_transaction_and_can_undo_it():
    seen = []

    def outbox(event):
        seen.append((event.name, transaction.get_connection().in_atomic_block))
        if event.payload.get("fail"):
            raise RuntimeError("outbox full")

    events.subscribe(outbox, in_transaction=True)
    try:
        with transaction.atomic():
            first = events.publish("payment.made", vendor_ids=[1])
        with pytest.raises(RuntimeError), transaction.atomic():
            events.publish("payment.made", vendor_ids=[1], payload={"fail": True})
    finally:
        events._in_transaction_listeners.remove(outbox)
    assert seen == [("payment.made", True), ("payment.made", True)]
    second = events.Event(name="payment.made", vendor_ids=(1,))
    assert first.id != second.id  # every event has its own id, for receivers to deduplicate on


@pytest.mark.django_db(transaction=True)
def test_publish_many_hands_an_outbox_the_whole_batch_in_one_call():
    calls = []

    def outbox(*batch):
        calls.append([event.name for event in batch])

    events.subscribe(outbox, in_transaction=True)
    try:
        with transaction.atomic():
            published = events.publish_many([("alert.raised", [1], {"alert_id": n}) for n in range(3)])
    finally:
        events._in_transaction_listeners.remove(outbox)
    assert calls == [["alert.raised"] * 3]
    assert len({event.id for event in published}) == 3
