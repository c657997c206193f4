package io.demlearn.testkit;

import io.demlearn.stack.EmbeddedKafkaBroker;

/**
 * Hands a real in-process Kafka broker (KRaft, single node) to tests: declare a parameter of type
 * {@link EmbeddedKafkaBroker} in a test, a lifecycle method or a constructor. One broker is started
 * per test JVM, on first use, and stopped (its data deleted) when the JVM's tests end. Tests share
 * it: give every test its own topic or experiment names.
 */
public final class LocalKafkaExtension extends PerJvmResource<EmbeddedKafkaBroker> {
  public LocalKafkaExtension() {
    super(EmbeddedKafkaBroker.class, EmbeddedKafkaBroker::startTemporary);
  }
}
