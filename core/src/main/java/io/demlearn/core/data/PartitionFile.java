package io.demlearn.core.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.demlearn.core.data.ImagePool.SampleRef;
import io.demlearn.core.data.ImagePool.Split;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads a partition file such as {@code fmnist-50agents-seed1.json}: {@code {"dataset": ...,
 * "agents": [{"id", "labels", "train": ["train:6175", ...], "test": [...]}]}}, where each sample is
 * {@code train:i} or {@code t10k:i}, an index into the original IDX files. Every problem is
 * reported with the file, the agent and the entry.
 */
public final class PartitionFile {
  private PartitionFile() {}

  public static Partition read(Path file, ImagePool pool) {
    JsonNode root = readJson(file);
    JsonNode agents = agents(file, root);
    String dataset = root.hasNonNull("dataset") ? root.get("dataset").asText() : "unknown";
    if (DataSetKind.labels().contains(dataset)) {
      ImageShape theirs = DataSetKind.parse(dataset).shape();
      ImageShape pools = pool.shape(theirs.classes());
      if (!theirs.equals(pools)) {
        throw new DataException(
            "partition file "
                + file
                + " splits "
                + dataset
                + ", whose images are "
                + theirs.size()
                + ", but the data in "
                + pool.dir()
                + " are "
                + pools.size()
                + " images");
      }
    }
    List<Partition.AgentPlan> plans = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    Set<String> used = new HashSet<>();
    for (int i = 0; i < agents.size(); i++) {
      JsonNode a = agents.get(i);
      String id = id(file, a, i);
      if (!ids.add(id)) {
        throw new DataException("partition file " + file + ": agent id " + id + " appears twice");
      }
      List<Integer> labels = new ArrayList<>();
      if (a.has("labels")) {
        a.get("labels").forEach(l -> labels.add(l.asInt()));
      }
      List<SampleRef> train = refs(file, id, "train", a.get("train"), pool, used);
      List<SampleRef> test = refs(file, id, "test", a.get("test"), pool, used);
      if (train.isEmpty() || test.isEmpty()) {
        throw new DataException(
            "partition file "
                + file
                + ": agent "
                + id
                + " has no "
                + (train.isEmpty() ? "train" : "test")
                + " samples");
      }
      plans.add(new Partition.AgentPlan(id, List.copyOf(labels), train, test));
    }
    return new Partition(dataset, List.copyOf(plans));
  }

  /** The agents' ids in file order, without reading any sample. */
  public static List<String> agentIds(Path file) {
    JsonNode agents = agents(file, readJson(file));
    List<String> ids = new ArrayList<>(agents.size());
    for (int i = 0; i < agents.size(); i++) {
      ids.add(id(file, agents.get(i), i));
    }
    return ids;
  }

  private static JsonNode readJson(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new DataException("partition file " + file + " does not exist");
    }
    try {
      return new ObjectMapper().readTree(file.toFile());
    } catch (IOException e) {
      throw new DataException(
          "partition file " + file + " is not valid JSON: " + e.getMessage(), e);
    }
  }

  private static JsonNode agents(Path file, JsonNode root) {
    JsonNode agents = root.get("agents");
    if (agents == null || !agents.isArray() || agents.isEmpty()) {
      throw new DataException("partition file " + file + " has no \"agents\" array");
    }
    return agents;
  }

  private static String id(Path file, JsonNode agent, int index) {
    JsonNode idNode = agent.get("id");
    if (idNode == null || !idNode.isTextual() || idNode.asText().isBlank()) {
      throw new DataException("partition file " + file + ": agent #" + index + " has no \"id\"");
    }
    return idNode.asText();
  }

  private static List<SampleRef> refs(
      Path file, String agent, String field, JsonNode node, ImagePool pool, Set<String> used) {
    if (node == null || !node.isArray()) {
      throw new DataException(
          "partition file " + file + ": agent " + agent + " has no \"" + field + "\" array");
    }
    List<SampleRef> out = new ArrayList<>(node.size());
    for (JsonNode entry : node) {
      String text = entry.asText();
      int colon = text.indexOf(':');
      Split split =
          colon < 0
              ? null
              : switch (text.substring(0, colon)) {
                case "train" -> Split.TRAIN;
                case "t10k" -> Split.T10K;
                default -> null;
              };
      int index;
      try {
        index = split == null ? -1 : Integer.parseInt(text.substring(colon + 1));
      } catch (NumberFormatException e) {
        index = -1;
      }
      if (split == null || index < 0) {
        throw new DataException(
            entry(file, agent, field, text) + " is not train:<index> or t10k:<index>");
      }
      if (index >= pool.size(split)) {
        throw new DataException(
            entry(file, agent, field, text)
                + " is out of range: "
                + pool.dir()
                + " has "
                + pool.size(split)
                + " "
                + split.prefix()
                + " images");
      }
      if (!used.add(text)) {
        throw new DataException(
            "partition file "
                + file
                + ": sample '"
                + text
                + "' is dealt twice (again to agent "
                + agent
                + ", "
                + field
                + ")");
      }
      out.add(new SampleRef(split, index));
    }
    return List.copyOf(out);
  }

  private static String entry(Path file, String agent, String field, String text) {
    return "partition file " + file + ": agent " + agent + ", " + field + " entry '" + text + "'";
  }
}
