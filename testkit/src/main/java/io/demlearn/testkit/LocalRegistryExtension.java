package io.demlearn.testkit;

import io.demlearn.stack.LocalSchemaRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Hands a real schema registry (Apicurio 2.4.2 in memory, a child JVM; see {@link
 * LocalSchemaRegistry}) to tests: declare a parameter of type {@link LocalSchemaRegistry}. One
 * registry is started per test JVM, on first use, and stopped when the JVM's tests end. Its log is
 * written under {@code target/}.
 */
public final class LocalRegistryExtension implements ParameterResolver {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(LocalRegistryExtension.class);

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == LocalSchemaRegistry.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return registry(context);
  }

  /** The registry of this test JVM, started on first use. */
  public static LocalSchemaRegistry registry(ExtensionContext context) {
    return context
        .getRoot()
        .getStore(NAMESPACE)
        .computeIfAbsent("registry", k -> start(), LocalSchemaRegistry.class);
  }

  private static LocalSchemaRegistry start() {
    Path logDir = Path.of("target");
    try {
      Files.createDirectories(logDir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return LocalSchemaRegistry.start(0, logDir.resolve("schema-registry-" + ProcessHandle.current().pid() + ".log"),
        null, false, Duration.ofSeconds(120));
  }
}
