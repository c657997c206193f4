package io.demlearn.schemas.registry;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;
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

  /** Key store (JKS or PKCS12) of a client certificate, for registries that require one. */
  public static final String SSL_KEYSTORE_LOCATION = "schema.registry.ssl.keystore.location";

  public static final String SSL_KEYSTORE_PASSWORD = "schema.registry.ssl.keystore.password";
  public static final String SSL_KEYSTORE_TYPE = "schema.registry.ssl.keystore.type";

  /** The client key's password (default: the key store's). */
  public static final String SSL_KEY_PASSWORD = "schema.registry.ssl.key.password";

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
    KeyStore trust =
        store(config, SSL_TRUSTSTORE_LOCATION, SSL_TRUSTSTORE_PASSWORD, SSL_TRUSTSTORE_TYPE);
    KeyStore keys = store(config, SSL_KEYSTORE_LOCATION, SSL_KEYSTORE_PASSWORD, SSL_KEYSTORE_TYPE);
    if (trust == null && keys == null) {
      return null;
    }
    try {
      TrustManagerFactory tmf = null;
      if (trust != null) {
        tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
      }
      KeyManagerFactory kmf = null;
      if (keys != null) {
        Object keyPassword = config.get(SSL_KEY_PASSWORD);
        if (keyPassword == null) {
          keyPassword = config.get(SSL_KEYSTORE_PASSWORD);
        }
        kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, keyPassword == null ? null : keyPassword.toString().toCharArray());
      }
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(
          kmf == null ? null : kmf.getKeyManagers(),
          tmf == null ? null : tmf.getTrustManagers(),
          null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "settings '"
              + SSL_KEYSTORE_LOCATION
              + "' / '"
              + SSL_TRUSTSTORE_LOCATION
              + "': cannot use the stores: "
              + e.getMessage(),
          e);
    }
  }

  /** The store a location setting names, or null if it names none. */
  private static KeyStore store(
      Map<String, ?> config, String locationKey, String passwordKey, String typeKey) {
    Object location = config.get(locationKey);
    if (location == null || location.toString().isBlank()) {
      return null;
    }
    Path path = Path.of(location.toString());
    Object password = config.get(passwordKey);
    Object type = config.get(typeKey);
    try (InputStream in = Files.newInputStream(path)) {
      KeyStore store = KeyStore.getInstance(type == null ? "PKCS12" : type.toString());
      store.load(in, password == null ? null : password.toString().toCharArray());
      return store;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "setting '"
              + locationKey
              + "' = '"
              + path
              + "': cannot load the store: "
              + e.getMessage(),
          e);
    }
  }
}
