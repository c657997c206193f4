package io.demlearn.pipeline.service;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;

/**
 * The project's own meters, by name, for every service; Prometheus sees them with base units and
 * {@code _total} on counters: {@code demlearn_updates_published_total}, {@code
 * demlearn_updates_accepted_total}, {@code demlearn_records_refused_total{topic,reason}}, {@code
 * demlearn_group_models_total{level}}, {@code demlearn_hierarchies_published_total}, {@code
 * demlearn_rounds_trained_total} and {@code demlearn_phase_seconds{phase,level}} (train, publish,
 * aggregate per level, cluster). Counts are this process's, re-processing after a failure included.
 */
public final class ServiceMeters {
  private ServiceMeters() {}

  /** A registry that keeps nothing: for a service without a metrics endpoint. */
  public static MeterRegistry none() {
    return new CompositeMeterRegistry();
  }

  /** How long a phase of a round took in this service. */
  public static Timer phase(MeterRegistry r, String phase) {
    return Timer.builder("demlearn.phase")
        .description("Duration of a round's phase in this service")
        .tag("phase", phase)
        .tag("level", "")
        .register(r);
  }

  /** How long aggregating a level took: from its group's last input written to its model. */
  public static Timer phase(MeterRegistry r, String phase, int level) {
    return Timer.builder("demlearn.phase")
        .description("Duration of a round's phase in this service")
        .tag("phase", phase)
        .tag("level", Integer.toString(level))
        .register(r);
  }

  /** Model updates a worker published (acknowledged by the broker). */
  public static Counter updatesPublished(MeterRegistry r) {
    return Counter.builder("demlearn.updates.published")
        .description("Model updates published by this worker's agents")
        .register(r);
  }

  /** Rounds of local training a worker finished. */
  public static Counter roundsTrained(MeterRegistry r) {
    return Counter.builder("demlearn.rounds.trained")
        .description("Agents' local training rounds finished in this worker")
        .register(r);
  }

  /** Model updates the aggregator counted into a round. */
  public static Counter updatesAccepted(MeterRegistry r) {
    return Counter.builder("demlearn.updates.accepted")
        .description("Model updates counted into their round by the aggregator")
        .register(r);
  }

  /** Records refused (written as dead letters), by the topic they came from and why. */
  public static Counter refused(MeterRegistry r, String topic, String reason) {
    return Counter.builder("demlearn.records.refused")
        .description("Records refused and written as dead letters, by source topic and reason")
        .tag("topic", topic)
        .tag("reason", reason)
        .register(r);
  }

  /** Group models the aggregator wrote, by level. */
  public static Counter groupModels(MeterRegistry r, int level) {
    return Counter.builder("demlearn.group.models")
        .description("Group models written, by level")
        .tag("level", Integer.toString(level))
        .register(r);
  }

  /** Hierarchy versions the clusterer published. */
  public static Counter hierarchiesPublished(MeterRegistry r) {
    return Counter.builder("demlearn.hierarchies.published")
        .description("Hierarchy versions published by the clusterer")
        .register(r);
  }
}
