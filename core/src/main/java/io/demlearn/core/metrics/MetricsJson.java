package io.demlearn.core.metrics;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * One line of {@code metrics.jsonl}: the round's metrics, then its timings and, for a run through
 * Kafka, its traffic ({@code bytes}, see {@link RoundTraffic}). Every field but {@code seconds},
 * {@code timings} and {@code bytes} follows from the settings and the seed alone, so two runs with
 * the same settings write the same lines apart from those. Maps are written in key order, so that a
 * line rebuilt from the log ({@code demlearn replay}) is the line written live.
 */
public final class MetricsJson {
  private static final ObjectMapper JSON =
      new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT);

  private MetricsJson() {}

  /** A line without traffic (the simulator's: no records are written). */
  public static String line(RoundMetrics m, double seconds, Map<String, Double> timings) {
    return line(m, seconds, timings, null);
  }

  /** A line; {@code traffic} null leaves {@code bytes} out. */
  public static String line(
      RoundMetrics m, double seconds, Map<String, Double> timings, RoundTraffic traffic) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("round", m.round());
    o.put("hierarchyVersion", m.hierarchyVersion());
    o.put("scoredAgents", m.scoredAgents());
    o.put("cSpe", m.cSpe());
    o.put("cGen", m.cGen());
    o.put("global", m.global());
    o.put("gSpe", m.gSpe());
    o.put("gGen", m.gGen());
    o.put("groupMembers", new TreeMap<>(m.groupMembers()));
    o.put("seconds", seconds);
    o.put("timings", new TreeMap<>(timings));
    if (traffic != null) {
      o.put("bytes", traffic.json());
    }
    try {
      return JSON.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
