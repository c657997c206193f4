package io.demlearn.schemas.registry;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Settings of a schema registry client, under the names Confluent's serializers use, so that one
 * client properties file configures both.
 */
public final class SchemaRegistryConfig {
  /** One or more comma-separated base URLs, or {@code mock://scope}. */
  public static final String URL = "schema.registry.url";

  /** {@code user:password} for basic authentication. */
  public static final String BASIC_AUTH_USER_INFO = "basic.auth.user.info";

  /** Trust store (JKS or PKCS12) for https registries with a private CA. */
  public static final String SSL_TRUSTSTORE_LOCATION = "schema.registry.ssl.truststore.location";

  public static final String SSL_TRUSTSTORE_PASSWORD = "schema.registry.ssl.truststore.password";
  public static final String SSL_TRUSTSTORE_TYPE = "schema.registry.ssl.truststore.type";

  /** Time limit of one registry request, in milliseconds (default 30000). */
  public static final String REQUEST_TIMEOUT_MS = "schema.registry.request.timeout.ms";

  public static final String MOCK_SCHEME = "mock://";

  private SchemaRegistryConfig() {}

  /** A client for the registry that {@code config} names. */
  public static SchemaRegistryClient clientFor(Map<String, ?> config) {
    Object url = config.get(URL);
    if (url == null || url.toString().isBlank()) {
      throw new IllegalArgumentException(
          "missing setting '" + URL + "' (the schema registry URL, or mock://scope for tests)");
    }
    String urls = url.toString().trim();
    if (urls.startsWith(MOCK_SCHEME)) {
      String scope = urls.substring(MOCK_SCHEME.length());
      if (scope.isEmpty() || scope.contains(",")) {
        throw new IllegalArgumentException(
            "setting '"
                + URL
                + "' = '"
                + urls
                + "': a mock registry URL is mock://<one scope name>");
      }
      return InMemorySchemaRegistry.scope(scope);
    }
    Object userInfo = config.get(BASIC_AUTH_USER_INFO);
    Object timeout = config.get(REQUEST_TIMEOUT_MS);
    Duration requestTimeout;
    try {
      requestTimeout =
          Duration.ofMillis(timeout == null ? 30_000 : Long.parseLong(timeout.toString().trim()));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "setting '"
              + REQUEST_TIMEOUT_MS
              + "' = '"
              + timeout
              + "' is not a number of milliseconds",
          e);
    }
    return new RestSchemaRegistryClient(
        urls, userInfo == null ? null : userInfo.toString(), sslContext(config), requestTimeout);
  }

  private static SSLContext sslContext(Map<String, ?> config) {
    Object location = config.get(SSL_TRUSTSTORE_LOCATION);
    if (location == null || location.toString().isBlank()) {
      return null;
    }
    Path path = Path.of(location.toString());
    Object password = config.get(SSL_TRUSTSTORE_PASSWORD);
    Object type = config.get(SSL_TRUSTSTORE_TYPE);
    try (InputStream in = Files.newInputStream(path)) {
      KeyStore store = KeyStore.getInstance(type == null ? "PKCS12" : type.toString());
      store.load(in, password == null ? null : password.toString().toCharArray());
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), null);
      return context;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "setting '"
              + SSL_TRUSTSTORE_LOCATION
              + "' = '"
              + path
              + "': cannot load trust store: "
              + e.getMessage(),
          e);
    }
  }
}
