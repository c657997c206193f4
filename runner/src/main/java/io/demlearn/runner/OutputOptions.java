package io.demlearn.runner;

import io.demlearn.schemas.topics.ExperimentTopics;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import picocli.CommandLine.Option;

/** An experiment's id and where its results go, for the commands that run one. */
final class OutputOptions {
  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT);

  @Option(
      names = "--experiment",
      paramLabel = "ID",
      description = "Experiment id, part of every topic name (default: <algorithm>-<date>-<time>).")
  String experimentId;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      description = "Output folder (default: runs/<experiment id>).")
  Path out;

  @Option(names = "--overwrite", description = "Replace the results already in the output folder.")
  boolean overwrite;

  /** The id given, else {@code <prefix>-<date>-<time>}; checked. */
  String id(String prefix) {
    String id = experimentId != null ? experimentId : newId(prefix);
    try {
      ExperimentTopics.checkId(id);
    } catch (IllegalArgumentException e) {
      throw new UserException(e.getMessage(), e);
    }
    return id;
  }

  /** {@code <prefix>-<date>-<time>}: an id for an experiment the user did not name. */
  static String newId(String prefix) {
    return prefix + "-" + LocalDateTime.now().format(STAMP);
  }

  /** The output folder of experiment {@code id}, checked; nothing is created yet. */
  RunOutput output(String id) {
    return new RunOutput(out != null ? out : Path.of("runs", id), overwrite);
  }
}
