package io.demlearn.schemas.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;

/**
 * A schema registry client speaking the Confluent REST API over http(s), with optional basic
 * authentication. Works against Confluent Schema Registry, Apicurio ({@code .../apis/ccompat/v7}),
 * Karapace and Redpanda.
 *
 * <p>Several comma-separated base URLs may be given; a request that cannot reach one (connection
 * error or 5xx answer) goes to the next, and the whole list is tried up to four times with growing
 * pauses (registration is idempotent; Apicurio answers 500 to concurrent registrations of one
 * schema). Ids and schemas are cached: a registered schema is asked for once per subject, a schema
 * id once per client.
 */
public final class RestSchemaRegistryClient implements SchemaRegistryClient {
  private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final List<URI> baseUrls;
  private final String authorization;
  private final HttpClient http;
  private final Duration requestTimeout;
  private final Map<SubjectSchema, Integer> idsBySubjectSchema = new ConcurrentHashMap<>();
  private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();

  private record SubjectSchema(String subject, Schema schema) {}

  /**
   * @param urls one or more base URLs, comma-separated (e.g. {@code http://host:8081} or {@code
   *     http://host:8080/apis/ccompat/v7})
   * @param userInfo {@code user:password} for basic authentication, or null
   * @param sslContext TLS context for https URLs, or null for the JVM's default
   * @param requestTimeout time limit of one HTTP request
   */
  public RestSchemaRegistryClient(
      String urls, String userInfo, SSLContext sslContext, Duration requestTimeout) {
    this.baseUrls = parseUrls(urls);
    this.authorization =
        userInfo == null || userInfo.isBlank()
            ? null
            : "Basic "
                + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8));
    HttpClient.Builder builder =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(10))
            .version(HttpClient.Version.HTTP_1_1);
    if (sslContext != null) {
      builder.sslContext(sslContext);
    }
    this.http = builder.build();
    this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout");
  }

  static List<URI> parseUrls(String urls) {
    if (urls == null || urls.isBlank()) {
      throw new IllegalArgumentException("schema registry URL is empty");
    }
    List<URI> out = new ArrayList<>();
    for (String part : urls.split(",")) {
      String u = part.trim();
      if (u.isEmpty()) {
        continue;
      }
      URI uri;
      try {
        uri = URI.create(u.endsWith("/") ? u.substring(0, u.length() - 1) : u);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("schema registry URL '" + u + "' is not a valid URL", e);
      }
      if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
        throw new IllegalArgumentException(
            "schema registry URL '" + u + "' must start with http://, https:// or mock://");
      }
      out.add(uri);
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("schema registry URL '" + urls + "' names no URL");
    }
    return List.copyOf(out);
  }

  @Override
  public int register(String subject, Schema schema) {
    String path = "/subjects/" + enc(subject) + "/versions";
    try {
      return idOf(subject, schema, path, "register under " + subject);
    } catch (IncompatibleSchemaException e) {
      if (e.getMessage() == null || !e.getMessage().contains("already exists")) {
        throw e;
      }
      // two clients registered a subject's first version at once (Apicurio refuses the second
      // with 409): the subject exists now, and registering again returns its id
      return idOf(subject, schema, path, "register under " + subject);
    }
  }

  @Override
  public int lookup(String subject, Schema schema) {
    return idOf(subject, schema, "/subjects/" + enc(subject), "look up under " + subject);
  }

  private int idOf(String subject, Schema schema, String path, String what) {
    SubjectSchema key = new SubjectSchema(subject, schema);
    Integer cached = idsBySubjectSchema.get(key);
    if (cached != null) {
      return cached;
    }
    int id = requiredInt(send("POST", path, schemaBody(schema)), "id", what);
    idsBySubjectSchema.put(key, id);
    schemasById.putIfAbsent(id, schema);
    return id;
  }

  @Override
  public Schema schemaById(int id) {
    Schema cached = schemasById.get(id);
    if (cached != null) {
      return cached;
    }
    JsonNode answer = send("GET", "/schemas/ids/" + id, null);
    JsonNode text = answer.get("schema");
    if (text == null || !text.isTextual()) {
      throw new SchemaRegistryException(
          describe() + " answered schema id " + id + " without a 'schema' field: " + answer, null);
    }
    Schema schema;
    try {
      schema = new Schema.Parser().parse(text.asText());
    } catch (SchemaParseException e) {
      throw new SchemaRegistryException(
          "schema id "
              + id
              + " at "
              + describe()
              + " is not a valid Avro schema: "
              + e.getMessage(),
          e);
    }
    Schema previous = schemasById.putIfAbsent(id, schema);
    return previous != null ? previous : schema;
  }

  @Override
  public boolean isCompatible(String subject, Schema schema) {
    try {
      JsonNode answer =
          send(
              "POST",
              "/compatibility/subjects/" + enc(subject) + "/versions/latest",
              schemaBody(schema));
      JsonNode flag = answer.get("is_compatible");
      if (flag == null || !flag.isBoolean()) {
        throw new SchemaRegistryException(
            describe() + " answered a compatibility check without 'is_compatible': " + answer,
            null);
      }
      return flag.booleanValue();
    } catch (SchemaNotFoundException e) {
      return true; // no version yet: anything is compatible
    }
  }

  @Override
  public void setCompatibility(String subject, CompatibilityLevel level) {
    ObjectNode body = JSON.createObjectNode().put("compatibility", level.name());
    send("PUT", "/config/" + enc(subject), body);
  }

  @Override
  public CompatibilityLevel compatibility(String subject) {
    JsonNode answer;
    try {
      answer = send("GET", "/config/" + enc(subject) + "?defaultToGlobal=true", null);
    } catch (SchemaNotFoundException e) {
      answer = send("GET", "/config", null);
    }
    JsonNode level =
        answer.has("compatibilityLevel")
            ? answer.get("compatibilityLevel")
            : answer.get("compatibility");
    if (level == null || !level.isTextual()) {
      throw new SchemaRegistryException(
          describe() + " answered a config request without a compatibility level: " + answer, null);
    }
    return CompatibilityLevel.parse(level.asText());
  }

  @Override
  public List<String> subjects() {
    JsonNode answer = send("GET", "/subjects", null);
    List<String> out = new ArrayList<>();
    answer.forEach(n -> out.add(n.asText()));
    out.sort(null);
    return out;
  }

  @Override
  public String describe() {
    return "schema registry " + String.join(",", baseUrls.stream().map(URI::toString).toList());
  }

  private static ObjectNode schemaBody(Schema schema) {
    return JSON.createObjectNode().put("schema", schema.toString());
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static int requiredInt(JsonNode answer, String field, String what) {
    JsonNode n = answer.get(field);
    if (n == null || !n.canConvertToInt()) {
      throw new SchemaRegistryException(
          "registry answer to '" + what + "' has no integer '" + field + "': " + answer, null);
    }
    return n.intValue();
  }

  /**
   * Attempts per request: a registry answering 5xx or unreachable is asked again, after a pause.
   */
  private static final int ATTEMPTS = 4;

  private JsonNode send(String method, String path, JsonNode body) {
    SchemaRegistryException lastFailure = null;
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (attempt > 0) {
        try {
          Thread.sleep(100L << attempt);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new SchemaRegistryException("interrupted while calling the schema registry", e);
        }
      }
      for (URI base : baseUrls) {
        URI uri = URI.create(base + path);
        HttpRequest.Builder req =
            HttpRequest.newBuilder(uri)
                .timeout(requestTimeout)
                .header("Accept", CONTENT_TYPE + ", application/json");
        if (authorization != null) {
          req.header("Authorization", authorization);
        }
        if (body != null) {
          req.header("Content-Type", CONTENT_TYPE);
          req.method(method, HttpRequest.BodyPublishers.ofString(body.toString()));
        } else {
          req.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> response;
        try {
          response = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
          lastFailure =
              new SchemaRegistryException(
                  "cannot reach schema registry at "
                      + base
                      + " ("
                      + method
                      + " "
                      + path
                      + "): "
                      + e,
                  e);
          continue;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new SchemaRegistryException("interrupted while calling " + uri, e);
        }
        int status = response.statusCode();
        if (status >= 200 && status < 300) {
          return parse(response.body(), uri);
        }
        SchemaRegistryException failure = errorFor(method, uri, status, response.body());
        if (status >= 500) {
          // another URL, or a second try, may succeed (registries answer 5xx to concurrent writes)
          lastFailure = failure;
          continue;
        }
        throw failure;
      }
    }
    throw lastFailure;
  }

  private static JsonNode parse(String text, URI uri) {
    try {
      return JSON.readTree(text.isEmpty() ? "{}" : text);
    } catch (IOException e) {
      throw new SchemaRegistryException(uri + " answered something that is not JSON: " + text, e);
    }
  }

  private static SchemaRegistryException errorFor(String method, URI uri, int status, String text) {
    String message = text;
    int errorCode = -1;
    try {
      JsonNode node = JSON.readTree(text);
      if (node != null && node.has("message")) {
        message = node.get("message").asText();
      }
      if (node != null && node.has("error_code")) {
        errorCode = node.get("error_code").asInt();
      }
    } catch (IOException ignored) {
      // not JSON: keep the raw body as the message
    }
    String what = method + " " + uri + " -> HTTP " + status + ": " + message;
    if (status == 409) {
      return new IncompatibleSchemaException(
          "schema refused as incompatible by the registry: " + what, status, errorCode);
    }
    if (status == 404) {
      return new SchemaNotFoundException("not found in the registry: " + what, status, errorCode);
    }
    if (status == 401 || status == 403) {
      return new SchemaRegistryException(
          "not authorised by the schema registry (check basic.auth.user.info): " + what,
          status,
          errorCode,
          null);
    }
    if (status == 422) {
      return new SchemaRegistryException(
          "the registry refused the schema as invalid: " + what, status, errorCode, null);
    }
    return new SchemaRegistryException("schema registry error: " + what, status, errorCode, null);
  }
}
