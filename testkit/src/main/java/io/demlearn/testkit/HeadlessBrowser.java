package io.demlearn.testkit;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real headless browser (Debian's {@code chromium}) driven over the Chrome DevTools Protocol on
 * loopback: loads a page, gathers every console error, uncaught exception and failed load, and
 * evaluates an expression in the page. {@link #assumeAvailable()} skips a test, saying why, where
 * no chromium is installed.
 */
public final class HeadlessBrowser implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern LISTENING = Pattern.compile("DevTools listening on (ws://\\S+)");
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  /** What a page showed: its errors, and the value of the expression evaluated in it. */
  public record Page(List<String> errors, JsonNode value) {}

  private final Process process;
  private final Path profile;
  private final WebSocket socket;
  private final AtomicInteger ids = new AtomicInteger();
  private final Map<Integer, CompletableFuture<JsonNode>> answers = new ConcurrentHashMap<>();
  private final LinkedBlockingQueue<JsonNode> events = new LinkedBlockingQueue<>();

  private HeadlessBrowser(Process process, Path profile, String url) {
    this.process = process;
    this.profile = profile;
    this.socket =
        HttpClient.newHttpClient()
            .newWebSocketBuilder()
            .connectTimeout(TIMEOUT)
            .buildAsync(URI.create(url), new Listener())
            .join();
  }

  /** The browser's command: {@code chromium}, or the {@code demlearn.chromium} property. */
  public static String command() {
    return System.getProperty("demlearn.chromium", "chromium");
  }

  /** Skips the calling test, saying why, where the browser cannot be run. */
  public static void assumeAvailable() {
    boolean found;
    try {
      Process p = new ProcessBuilder(command(), "--version").redirectErrorStream(true).start();
      found = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      found = false;
    }
    assumeTrue(
        found,
        "skipped: no headless browser ('"
            + command()
            + " --version' fails; Debian's package chromium provides it)");
  }

  /** Starts the browser on a free loopback port, with a profile of its own. */
  public static HeadlessBrowser start() throws IOException, InterruptedException {
    Path profile = Files.createTempDirectory("demlearn-chromium-");
    Process p =
        new ProcessBuilder(
                command(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-extensions",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                "--user-data-dir=" + profile,
                "about:blank")
            .redirectErrorStream(true)
            .start();
    CompletableFuture<String> url = new CompletableFuture<>();
    StringBuilder log = new StringBuilder();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                  Matcher m = LISTENING.matcher(line);
                  if (m.find()) {
                    url.complete(m.group(1));
                  } else if (!url.isDone()) {
                    log.append(line).append('\n');
                  }
                }
              } catch (IOException ignored) {
                // the browser has stopped
              }
              url.complete(null);
            },
            "chromium-output");
    reader.setDaemon(true);
    reader.start();
    String ws;
    try {
      ws = url.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (Exception e) {
      ws = null;
    }
    if (ws == null) {
      p.destroyForcibly();
      throw new IOException("chromium did not start its DevTools endpoint; it said:\n" + log);
    }
    return new HeadlessBrowser(p, profile, ws);
  }

  /**
   * Opens {@code file} in a new tab, waits for it to load, and evaluates {@code expression} in it
   * (its value returned as JSON).
   */
  public Page load(Path file, String expression) throws Exception {
    String target =
        call(null, "Target.createTarget", Map.of("url", "about:blank")).path("targetId").asText();
    String session =
        call(null, "Target.attachToTarget", Map.of("targetId", target, "flatten", true))
            .path("sessionId")
            .asText();
    call(session, "Runtime.enable", Map.of());
    call(session, "Log.enable", Map.of());
    call(session, "Page.enable", Map.of());
    events.clear();
    call(session, "Page.navigate", Map.of("url", file.toUri().toString()));
    List<String> errors = new ArrayList<>();
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    boolean loaded = false;
    while (!loaded) {
      JsonNode e = events.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (e == null) {
        throw new IOException("the page " + file + " did not load in " + TIMEOUT);
      }
      loaded = error(e, session, errors);
    }
    JsonNode result =
        call(
            session,
            "Runtime.evaluate",
            Map.of("expression", expression, "returnByValue", true, "awaitPromise", true));
    if (result.has("exceptionDetails")) {
      throw new IOException("evaluating in " + file + " failed: " + result.get("exceptionDetails"));
    }
    for (JsonNode e; (e = events.poll()) != null; ) {
      error(e, session, errors);
    }
    return new Page(errors, result.path("result").path("value"));
  }

  /** Adds the error an event reports, if any; true for the page's load event. */
  private static boolean error(JsonNode e, String session, List<String> errors) {
    if (!session.equals(e.path("sessionId").asText())) {
      return false;
    }
    JsonNode p = e.path("params");
    switch (e.path("method").asText()) {
      case "Page.loadEventFired":
        return true;
      case "Runtime.exceptionThrown":
        errors.add("exception: " + p.path("exceptionDetails"));
        break;
      case "Runtime.consoleAPICalled":
        if (p.path("type").asText().matches("error|assert")) {
          errors.add("console." + p.path("type").asText() + ": " + p.path("args"));
        }
        break;
      case "Log.entryAdded":
        if ("error".equals(p.path("entry").path("level").asText())) {
          errors.add("log: " + p.path("entry").path("text").asText());
        }
        break;
      default:
        break;
    }
    return false;
  }

  private JsonNode call(String session, String method, Map<String, Object> params)
      throws Exception {
    int id = ids.incrementAndGet();
    ObjectNode message = JSON.createObjectNode();
    message.put("id", id);
    message.put("method", method);
    message.set("params", JSON.valueToTree(params));
    if (session != null) {
      message.put("sessionId", session);
    }
    CompletableFuture<JsonNode> answer = new CompletableFuture<>();
    answers.put(id, answer);
    socket.sendText(JSON.writeValueAsString(message), true).join();
    JsonNode reply = answer.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    if (reply.has("error")) {
      throw new IOException(method + " failed: " + reply.get("error"));
    }
    return reply.path("result");
  }

  @Override
  public void close() throws IOException {
    socket.abort();
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try (Stream<Path> files = Files.walk(profile)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  /** Whole messages from the browser: answers to their calls, events to the queue. */
  private final class Listener implements WebSocket.Listener {
    private final StringBuilder partial = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        try {
          JsonNode m = JSON.readTree(partial.toString());
          if (m.has("id")) {
            CompletableFuture<JsonNode> f = answers.remove(m.get("id").asInt());
            if (f != null) {
              f.complete(m);
            }
          } else {
            events.add(m);
          }
        } catch (IOException e) {
          // not JSON: the protocol never sends that
        }
        partial.setLength(0);
      }
      ws.request(1);
      return null;
    }
  }
}
