package io.demlearn.schemas.serde;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.util.ClassSecurityValidator;

/**
 * Avro (since 1.11.4) instantiates only classes it trusts when it maps a schema to Java classes. A
 * serde built for a generated record class trusts that class's package, through Avro's own API, so
 * that nobody has to set {@code org.apache.avro.SERIALIZABLE_PACKAGES} on every JVM. Classes named
 * by a writer's schema are still checked: only packages of record classes that code chose to read
 * or write are ever added.
 */
final class TrustedPackages {
  private static final Set<String> TRUSTED = ConcurrentHashMap.newKeySet();

  private TrustedPackages() {}

  static void trust(Class<?> recordClass) {
    String pkg = recordClass.getPackageName();
    if (!TRUSTED.add(pkg)) {
      return;
    }
    synchronized (TrustedPackages.class) {
      ClassSecurityValidator.ClassSecurityPredicate previous = ClassSecurityValidator.getGlobal();
      ClassSecurityValidator.setGlobal(
          ClassSecurityValidator.composite(previous, c -> pkg.equals(c.getPackageName())));
    }
  }
}
