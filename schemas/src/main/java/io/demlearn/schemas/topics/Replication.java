package io.demlearn.schemas.topics;

/**
 * How the topics of an experiment, and those Kafka Streams makes for its aggregator, are
 * replicated: the number of replicas of each partition and the number that must have a write before
 * it counts ({@code min.insync.replicas}, with producers' {@code acks=all}). With a factor of 3 and
 * a minimum of 2, one broker can be down without losing a write or stopping the experiment.
 *
 * @param factor replicas of each partition, or -1 for the broker's {@code
 *     default.replication.factor}
 * @param minInsyncReplicas the topics' {@code min.insync.replicas}, or -1 for the broker's default
 */
public record Replication(short factor, int minInsyncReplicas) {
  /** The brokers' own defaults for both. */
  public static final Replication CLUSTER_DEFAULT = new Replication((short) -1, -1);

  public Replication {
    if (factor == 0 || factor < -1) {
      throw new IllegalArgumentException(
          "replication factor must be >= 1 (or -1 for the broker default), got " + factor);
    }
    if (minInsyncReplicas == 0 || minInsyncReplicas < -1) {
      throw new IllegalArgumentException(
          "min.insync.replicas must be >= 1 (or -1 for the broker default), got "
              + minInsyncReplicas);
    }
    if (factor > 0 && minInsyncReplicas > factor) {
      throw new IllegalArgumentException(
          "min.insync.replicas ("
              + minInsyncReplicas
              + ") cannot be above the replication factor ("
              + factor
              + "): no write could ever succeed");
    }
  }

  /**
   * What a cluster of {@code brokers} gets unless told otherwise: min(3, brokers) replicas, and one
   * fewer in sync (at least 1), so that one broker may be down.
   */
  public static Replication forBrokers(int brokers) {
    short factor = (short) Math.max(1, Math.min(3, brokers));
    return new Replication(factor, defaultMinInsync(factor));
  }

  /** The minimum in sync that lets one of {@code factor} replicas be down (at least 1). */
  public static int defaultMinInsync(int factor) {
    return Math.max(1, factor - 1);
  }

  /** For messages: "3 replicas, 2 in sync" or "the brokers' defaults". */
  public String describe() {
    if (this.equals(CLUSTER_DEFAULT)) {
      return "the brokers' default replication";
    }
    return (factor > 1
            ? factor + " replicas"
            : factor == 1 ? "1 replica" : "the brokers' default replicas")
        + ", "
        + (minInsyncReplicas > 0 ? minInsyncReplicas + " in sync" : "the brokers' default in sync");
  }
}
