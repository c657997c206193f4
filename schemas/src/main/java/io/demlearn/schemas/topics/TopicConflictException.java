package io.demlearn.schemas.topics;

import java.util.List;

/** Topics exist already with settings that differ from what the experiment needs. */
public final class TopicConflictException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final List<String> conflicts;

  public TopicConflictException(List<String> conflicts) {
    super(
        "existing topics conflict with the experiment's topic settings (delete them, or use another"
            + " experiment id):\n  - "
            + String.join("\n  - ", conflicts));
    this.conflicts = List.copyOf(conflicts);
  }

  /** One line per differing setting, naming the topic, the setting, found and wanted values. */
  public List<String> conflicts() {
    return conflicts;
  }
}
