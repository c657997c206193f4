package io.demlearn.testkit;

import io.demlearn.stack.EmbeddedKafkaBroker;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Hands a real in-process Kafka broker (KRaft, single node) to tests: declare a parameter of type
 * {@link EmbeddedKafkaBroker} in a test, a lifecycle method or a constructor. One broker is
 * started per test JVM, on first use, and stopped (its data deleted) when the JVM's tests end.
 * Tests share it: give every test its own topic or experiment names.
 */
public final class LocalKafkaExtension implements ParameterResolver {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(LocalKafkaExtension.class);

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == EmbeddedKafkaBroker.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return broker(context);
  }

  /** The broker of this test JVM, started on first use. */
  public static EmbeddedKafkaBroker broker(ExtensionContext context) {
    return context
        .getRoot()
        .getStore(NAMESPACE)
        .computeIfAbsent("broker", k -> EmbeddedKafkaBroker.startTemporary(), EmbeddedKafkaBroker.class);
  }
}
