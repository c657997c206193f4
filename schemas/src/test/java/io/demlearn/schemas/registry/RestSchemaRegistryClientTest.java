package io.demlearn.schemas.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The REST client's HTTP behaviour (authentication header, failover, error mapping) against a
 * scripted HTTP endpoint; its behaviour against a real registry is in RegistrySerdeIT.
 */
class RestSchemaRegistryClientTest {
  private final List<HttpServer> servers = new CopyOnWriteArrayList<>();
  private final List<String> authorizations = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() {
    servers.forEach(s -> s.stop(0));
  }

  private String serve(int status, String body) throws IOException {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", exchange -> answer(exchange, status, body));
    server.start();
    servers.add(server);
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private void answer(HttpExchange exchange, int status, String body) throws IOException {
    authorizations.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
    exchange.getRequestBody().readAllBytes();
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
    exchange.close();
  }

  private static SchemaRegistryClient client(String urls, String userInfo) {
    return SchemaRegistryConfig.clientFor(
        userInfo == null
            ? Map.of(SchemaRegistryConfig.URL, urls)
            : Map.of(
                SchemaRegistryConfig.URL,
                urls,
                SchemaRegistryConfig.BASIC_AUTH_USER_INFO,
                userInfo));
  }

  @Test
  void sendsBasicAuthAndCachesRegisteredIds() throws IOException {
    String url = serve(200, "{\"id\":42}");
    SchemaRegistryClient c = client(url, "alice:s3cret");
    assertThat(c.register("t-value", InMemorySchemaRegistryTest.V1)).isEqualTo(42);
    assertThat(c.register("t-value", InMemorySchemaRegistryTest.V1)).isEqualTo(42);
    assertThat(authorizations).containsExactly("Basic YWxpY2U6czNjcmV0");
    // the registered schema is known by id without asking again
    assertThat(c.schemaById(42)).isEqualTo(InMemorySchemaRegistryTest.V1);
    assertThat(authorizations).hasSize(1);
  }

  @Test
  void failsOverToTheNextUrlOnServerErrors() throws IOException {
    String broken = serve(503, "{\"error_code\":50301,\"message\":\"busy\"}");
    String good = serve(200, "{\"id\":7}");
    assertThat(client(broken + "," + good, null).register("t-value", InMemorySchemaRegistryTest.V1))
        .isEqualTo(7);
  }

  @Test
  void mapsRegistryErrorsToNamedExceptions() throws IOException {
    String conflict =
        serve(409, "{\"error_code\":409,\"message\":\"Schema being registered is incompatible\"}");
    assertThatThrownBy(
            () -> client(conflict, null).register("t-value", InMemorySchemaRegistryTest.V1))
        .isInstanceOf(IncompatibleSchemaException.class)
        .hasMessageContaining("incompatible")
        .hasMessageContaining("/subjects/t-value/versions");
    String missing = serve(404, "{\"error_code\":40403,\"message\":\"Schema not found\"}");
    assertThatThrownBy(() -> client(missing, null).schemaById(5))
        .isInstanceOfSatisfying(
            SchemaNotFoundException.class, e -> assertThat(e.errorCode()).isEqualTo(40403));
    String denied = serve(401, "{\"error_code\":401,\"message\":\"Unauthorized\"}");
    assertThatThrownBy(() -> client(denied, "a:b").subjects())
        .hasMessageContaining("basic.auth.user.info");
  }

  @Test
  void anUnreachableRegistryIsNamed() {
    int closedPort;
    try (var socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    assertThatThrownBy(() -> client("http://127.0.0.1:" + closedPort, null).subjects())
        .isInstanceOf(SchemaRegistryException.class)
        .hasMessageContaining("cannot reach schema registry at http://127.0.0.1:" + closedPort);
  }
}
