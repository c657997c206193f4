package io.demlearn.testkit;

import java.util.function.Supplier;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Hands one instance of a resource to every test parameter of its type: started on first use, in
 * the root context's store, so that all the tests of a JVM share it, and closed (JUnit closes what
 * the store holds) when they end.
 */
abstract class PerJvmResource<T extends AutoCloseable> implements ParameterResolver {
  private final Class<T> type;
  private final Supplier<T> start;

  PerJvmResource(Class<T> type, Supplier<T> start) {
    this.type = type;
    this.start = start;
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == type;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return context
        .getRoot()
        .getStore(ExtensionContext.Namespace.create(getClass()))
        .computeIfAbsent(type.getName(), k -> start.get(), type);
  }
}
