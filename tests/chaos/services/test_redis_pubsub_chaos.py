"""Redis pub/sub under chaos: a subscriber across a server restart; lost publishes."""

from __future__ import annotations

from collections.abc import Callable

from chaoslab.services import RedisServer

from ._app import Publisher, ResubscribingSubscriber, fast_client, wait_until


def test_pubsub_subscriber_survives_server_restart_and_resubscribes_to_all_channels(
    redis_factory: Callable[..., RedisServer],
) -> None:
    """Redis is killed and restarted under a subscriber: the subscriber reconnects,
    resubscribes to every channel, and receives what is published afterwards."""
    server = redis_factory()
    subscriber = ResubscribingSubscriber(server.url, ["events", "alerts"]).start()
    publisher = Publisher(fast_client(server.url, retries=1))
    try:
        wait_until(lambda: subscriber.confirmed_subscriptions == 2)
        assert publisher.publish("events", "before") == 1

        server.restart(kill=True)

        wait_until(lambda: subscriber.confirmed_subscriptions == 4)
        assert publisher.publish("events", "after") == 1
        assert publisher.publish("alerts", "after") == 1
        wait_until(lambda: len(subscriber.messages) == 3)
    finally:
        subscriber.stop()

    assert subscriber.connection_errors >= 1
    assert subscriber.messages == [("events", "before"), ("events", "after"), ("alerts", "after")]
    assert publisher.undelivered == []


def test_publish_with_no_subscribers_is_detected(redis_url: str) -> None:
    """A publish nobody receives (PUBLISH returns 0) is detected and recorded, not lost
    silently; with a subscriber listening, the same publish is delivered."""
    publisher = Publisher(fast_client(redis_url))

    assert publisher.publish("orders", "nobody hears this") == 0
    assert publisher.undelivered == [("orders", "nobody hears this")]

    subscriber = ResubscribingSubscriber(redis_url, ["orders"]).start()
    try:
        wait_until(lambda: subscriber.confirmed_subscriptions == 1)
        assert publisher.publish("orders", "heard") == 1
        wait_until(lambda: subscriber.messages == [("orders", "heard")])
    finally:
        subscriber.stop()
    assert publisher.undelivered == [("orders", "nobody hears this")]
