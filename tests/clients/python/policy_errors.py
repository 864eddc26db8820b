"""Drives admin requests that the broker's topic policy (kafkaoperator.policy.TopicLimits) rejects, through
confluent-kafka-python's AdminClient and kafka-python's KafkaAdminClient, and prints one JSON line with the error
code, name and message each client surfaced, so the test can check that users see POLICY_VIOLATION and why.

The broker must run with create.topic.policy.class.name and alter.config.policy.class.name set to
kafkaoperator.policy.TopicLimits, policy.topic.max.partitions=6 and retention.ms in policy.topic.forbidden.configs.

usage: policy_errors.py BOOTSTRAP
"""
import json
import sys

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic
import kafka.errors
from kafka.admin import ConfigResource as KpConfigResource, ConfigResourceType, KafkaAdminClient
from kafka.admin import NewPartitions as KpNewPartitions, NewTopic as KpNewTopic


def confluent_outcome(futures):
    (future,) = futures.values()
    try:
        future.result(timeout=20)
        return {"ok": True}
    except KafkaException as e:
        err = e.args[0]
        return {"ok": False, "code": err.code(), "name": err.name(), "message": err.str()}


def kafka_python_outcome(call, errors_of):
    """kafka-python raises for CreateTopics/CreatePartitions errors (the message embeds the whole response) and
    returns the response for AlterConfigs; both become the same outcome."""
    try:
        code, message = errors_of(call())
    except kafka.errors.KafkaError as e:
        code, message = e.errno, str(e)
    return {"ok": code == 0, "code": code, "name": kafka.errors.for_code(code).__name__, "message": message}


def main():
    bootstrap = sys.argv[1]
    out = {"confluent": {}, "kafka_python": {}}

    admin = AdminClient({"bootstrap.servers": bootstrap})
    c = out["confluent"]
    c["create_validate_only"] = confluent_outcome(
        admin.create_topics([NewTopic("team-py.big", 7, 1)], validate_only=True, operation_timeout=10))
    c["create"] = confluent_outcome(admin.create_topics([NewTopic("team-py.big", 7, 1)], operation_timeout=10))
    c["create_allowed"] = confluent_outcome(admin.create_topics([NewTopic("team-py.ok", 2, 1)], operation_timeout=10))
    c["create_partitions"] = confluent_outcome(admin.create_partitions([NewPartitions("team-py.ok", 9)], operation_timeout=10))
    c["alter_configs"] = confluent_outcome(admin.alter_configs(
        [ConfigResource("topic", "team-py.ok", set_config={"retention.ms": "1000"})]))

    kp = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="policy-errors")
    k = out["kafka_python"]
    k["create"] = kafka_python_outcome(
        lambda: kp.create_topics([KpNewTopic("team-kp.big", 7, 1)]), lambda r: tuple(r.topic_errors[0][1:3]))
    k["create_partitions"] = kafka_python_outcome(
        lambda: kp.create_partitions({"team-py.ok": KpNewPartitions(9)}), lambda r: tuple(r.topic_errors[0][1:3]))
    k["alter_configs"] = kafka_python_outcome(
        lambda: kp.alter_configs([KpConfigResource(ConfigResourceType.TOPIC, "team-py.ok", configs={"retention.ms": "1000"})]),
        lambda r: tuple(r.resources[0][0:2]))
    kp.close()

    print(json.dumps(out))


if __name__ == "__main__":
    main()
