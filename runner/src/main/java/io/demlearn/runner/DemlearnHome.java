package io.demlearn.runner;

import java.nio.file.Path;

/**
 * The directory for the launcher's local state (background stack, logs): the system property {@code
 * demlearn.home} (the launcher sets it to {@code <repository>/.demlearn}), else the environment
 * variable {@code DEMLEARN_HOME}, else {@code ~/.demlearn}.
 */
final class DemlearnHome {
  private DemlearnHome() {}

  static Path dir() {
    String prop = System.getProperty("demlearn.home");
    if (prop != null && !prop.isBlank()) {
      return Path.of(prop);
    }
    String env = System.getenv("DEMLEARN_HOME");
    if (env != null && !env.isBlank()) {
      return Path.of(env);
    }
    return Path.of(System.getProperty("user.home"), ".demlearn");
  }
}
