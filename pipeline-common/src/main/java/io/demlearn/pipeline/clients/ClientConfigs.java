package io.demlearn.pipeline.clients;

import io.demlearn.pipeline.records.Experiment;
import io.demlearn.schemas.topics.ExperimentTopics;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * Kafka client settings the services share: records up to the topics' size limit, low latency
 * (rounds wait on every hop: no lingering; a fetch returns as soon as one record is there, and
 * waits at the broker otherwise, so idle consumers cost nothing), idempotent writes. Consumers read
 * committed records only, except the readers of group models ({@link #groupModelConsumer}).
 */
public final class ClientConfigs {
  /** How long a group member may be silent before its partitions go to the others. */
  public static final int SESSION_TIMEOUT_MS = 10_000;

  private ClientConfigs() {}

  /** A producer: idempotent, acks from all replicas, no lingering. */
  public static Map<String, Object> producer(Map<String, Object> client, String clientId) {
    Map<String, Object> p = new HashMap<>(client);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, 1024 * 1024);
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, ExperimentTopics.DEFAULT_MAX_MESSAGE_BYTES);
    p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 4L * ExperimentTopics.DEFAULT_MAX_MESSAGE_BYTES);
    return p;
  }

  /**
   * How long a {@link #batchingProducer} holds a record for others to join its request: at the rate
   * 1,000 agents' updates come from two cores (hundreds per second) a batch gathers tens.
   */
  public static final int BATCH_LINGER_MS = 50;

  /**
   * A producer of many large records in bursts (the agents' updates): like {@link #producer}, but a
   * record waits up to {@link #BATCH_LINGER_MS} for more to share its request, which cuts the
   * requests the broker and every reader of the topic handle by as much. Its user flushes when
   * nothing more is coming soon, so that the wait never delays the end of a round.
   */
  public static Map<String, Object> batchingProducer(Map<String, Object> client, String clientId) {
    Map<String, Object> p = producer(client, clientId);
    p.put(ProducerConfig.LINGER_MS_CONFIG, BATCH_LINGER_MS);
    return p;
  }

  /**
   * A consumer reading committed records only, from the earliest, without committing on its own.
   */
  public static Map<String, Object> consumer(
      Map<String, Object> client, String clientId, String groupId) {
    Map<String, Object> c = new HashMap<>(client);
    c.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    if (groupId != null) {
      c.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
      // a member that died hands its partitions on after this long (Kafka's default: 45 s)
      c.putIfAbsent(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, SESSION_TIMEOUT_MS);
    }
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    // reading a topic that does not exist (a mistyped experiment id) must not create it
    c.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.put(
        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG,
        ExperimentTopics.DEFAULT_MAX_MESSAGE_BYTES);
    c.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 4 * ExperimentTopics.DEFAULT_MAX_MESSAGE_BYTES);
    return c;
  }

  /**
   * A consumer of an experiment's group models that reads them as soon as they are written, before
   * the aggregator's transaction commits: each is a deterministic function of the round's updates,
   * so one from an aborted transaction equals the one written again, and nothing read early can
   * differ from what commits. Not so under a straggler policy, where which updates a round averages
   * depends on timing: then it reads committed group models only.
   */
  public static Map<String, Object> groupModelConsumer(
      Map<String, Object> client, String clientId, Experiment experiment) {
    Map<String, Object> c = consumer(client, clientId, null);
    if (!experiment.closesEarly()) {
      c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
    }
    return c;
  }
}
