package io.demlearn.testkit;

import io.demlearn.stack.LocalSchemaRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Hands a real schema registry (Apicurio 2.4.2 in memory, a child JVM; see {@link
 * LocalSchemaRegistry}) to tests: declare a parameter of type {@link LocalSchemaRegistry}. One
 * registry is started per test JVM, on first use, and stopped when the JVM's tests end. Its log is
 * written under {@code target/}.
 */
public final class LocalRegistryExtension extends PerJvmResource<LocalSchemaRegistry> {
  public LocalRegistryExtension() {
    super(LocalSchemaRegistry.class, LocalRegistryExtension::start);
  }

  private static LocalSchemaRegistry start() {
    Path logDir = Path.of("target");
    try {
      Files.createDirectories(logDir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return LocalSchemaRegistry.start(
        0,
        logDir.resolve("schema-registry-" + ProcessHandle.current().pid() + ".log"),
        null,
        false,
        Duration.ofSeconds(120));
  }
}
