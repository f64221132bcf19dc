package dev.lanyard.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lanyard.demo.DemoReport.IdentityRow;
import dev.lanyard.testkit.Command;
import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.ManagedProcess;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireOptions;
import dev.lanyard.testkit.TempDir;
import dev.lanyard.webhook.inject.InjectorConfigLoader;
import dev.lanyard.webhook.inject.PodInjector;
import dev.lanyard.webhook.workload.ManifestInjector;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * {@code make demo}: the AI-agent pipeline of {@code demo-apps/k8s}, run on this machine with a
 * real SPIRE server and SPIRE Agent. Each pod becomes local processes (its app container, and the
 * sidecar where there is one) started with exactly the environment the webhook would inject,
 * computed by the injection core behind {@code lanyard inject} and then made local by {@link
 * LocalEnvironment}. Prints the assessment with the SPIFFE ID behind every step (and the JWT-SVID
 * subject the notifier's sidecar verified on the notify hop), every process's identity from its
 * admin endpoint, one call the LLM gateway refuses in the handshake and one the notifier's sidecar
 * refuses for want of a JWT-SVID. Everything it starts is stopped again, also on Ctrl-C.
 */
public final class LocalDemo {
  static final String TRUST_DOMAIN = "lanyard.demo";
  static final String EVENT = "Multiple failed SSH login attempts from 203.0.113.5";
  static final String ORCHESTRATOR = "orchestrator";
  static final String GATEWAY = "llm-gateway";
  static final String NOTIFIER = "notifier";
  private static final int FIRST_GID = 7101;
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Everything the run showed, for the test. */
  record Result(JsonNode assessment, List<IdentityRow> identities, Map<String, String> registered,
      int refusedStatus, JsonNode refusedAnswer, String refusalLine, JsonNode refusalAudit,
      Jwt jwt) {}

  /**
   * The JWT-SVID hop (orchestrator to notifier).
   *
   * @param sentFor the orchestrator's {@code LANYARD_JWT_AUDIENCES}, as injected and made local
   * @param required the notifier sidecar's {@code LANYARD_INBOUND_JWT_AUDIENCE}, likewise
   * @param refusedStatus the orchestrator's answer to {@code POST /notify-without-jwt}
   * @param refusalLine the sidecar's {@code jwt.accept} audit record on stderr
   * @param refusalAudit the same record from the sidecar's {@code GET /audit}
   * @param ticketsFiled how many tickets the notifier app filed (the refused request must add none)
   */
  record Jwt(String sentFor, String required, int refusedStatus, JsonNode refusedAnswer,
      String refusalLine, JsonNode refusalAudit, long ticketsFiled) {}

  /** A running local process and its plan. */
  private record Running(LocalProcessPlan plan, ManagedProcess process) {}

  private final PrintStream out;
  private final DemoPaths paths;
  private final Deque<AutoCloseable> cleanup = new ArrayDeque<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private final long started = System.nanoTime();

  private LocalDemo(PrintStream out, DemoPaths paths) {
    this.out = out;
    this.paths = paths;
  }

  public static void main(String[] args) {
    int exit;
    try {
      run(System.out, DemoPaths.detect());
      exit = 0;
    } catch (Exception e) {
      System.out.flush();
      System.err.println("\nmake demo FAILED: " + e.getMessage());
      exit = 1;
    }
    System.exit(exit);
  }

  /** Runs the demo, printing to {@code out}; throws with the reason when any part fails. */
  static Result run(PrintStream out, DemoPaths paths) throws Exception {
    LocalDemo demo = new LocalDemo(out, paths);
    Thread hook = new Thread(demo::stopEverything, "lanyard-demo-cleanup");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      return demo.run();
    } finally {
      demo.stopEverything();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // Ctrl-C: the hook is already running
      }
    }
  }

  private Result run() throws Exception {
    paths.requireBuilt();
    out.println("Lanyard demo: an AI-agent pipeline, one SPIFFE identity per workload, real SPIRE,");
    out.println("every workload a real process with the environment the webhook would inject.");
    out.println();

    DemoManifests manifests = DemoManifests.read(paths.manifests());
    TempDir work = TempDir.create("lanyard-demo-");
    cleanup.push(work);
    Path hosts = writeHostsFile(work.path(), manifests.serviceHosts());

    SpireCluster spire = SpireCluster.start(SpireOptions.builder().trustDomain(TRUST_DOMAIN)
        .svidTtl(Duration.ofMinutes(10)).build());
    cleanup.push(spire);
    step("SPIRE server and SPIRE Agent running after " + elapsed() + " (trust domain " + TRUST_DOMAIN
        + ")");

    // One entry per pod, with the ID the ClusterSPIFFEID would give it, told apart by gid.
    Map<String, String> registered = new LinkedHashMap<>();
    Map<String, Integer> gids = new HashMap<>();
    SpiffeIdTemplate template = manifests.spiffeIdTemplate();
    int gid = FIRST_GID;
    for (JsonNode deployment : manifests.deployments()) {
      String name = DemoManifests.name(deployment);
      String id = template.render(TRUST_DOMAIN, deployment.path("metadata").path("namespace").asText(),
          deployment.path("spec").path("template").path("spec").path("serviceAccountName").asText());
      spire.register(id, "unix:gid:" + gid);
      registered.put(name, id);
      gids.put(name, gid++);
    }
    step(registered.size() + " SPIRE entries from the ClusterSPIFFEID template in "
        + paths.repo().relativize(paths.manifests()) + "/clusterspiffeid.yaml:");
    registered.forEach((name, id) -> out.printf("      %-56s unix:gid:%d%n", id, gids.get(name)));

    // Entries reach the SPIRE Agent at its next sync; starting the workloads before that would
    // only make their javaagents back off and retry.
    for (Map.Entry<String, String> entry : registered.entrySet()) {
      spire.awaitSvidForGid(gids.get(entry.getKey()), entry.getValue(), READY_TIMEOUT);
    }
    out.println("      served by the SPIRE Agent after " + elapsed());

    List<LocalProcessPlan> plans = plan(manifests, spire, hosts);
    step("environment of every container computed by lanyard inject's core (PodInjector), made local:");
    for (LocalProcessPlan plan : plans) {
      out.printf("      %-18s %-16s %-9s %s%n", plan.pod(), plan.container(), plan.role(),
          plan.describeInjection());
    }

    String jwtAudiences = plan(plans, ORCHESTRATOR, "javaagent").env().get("LANYARD_JWT_AUDIENCES");
    String notifierFullName = URI.create(plan(plans, ORCHESTRATOR, "javaagent").env()
        .get("NOTIFIER_FQDN_URL")).getHost();
    String inboundJwtAudience = plan(plans, NOTIFIER, "sidecar").env()
        .get("LANYARD_INBOUND_JWT_AUDIENCE");
    if (jwtAudiences == null || inboundJwtAudience == null) {
      throw new IllegalStateException("the injection core gave the orchestrator LANYARD_JWT_AUDIENCES="
          + jwtAudiences + " and the notifier's sidecar LANYARD_INBOUND_JWT_AUDIENCE="
          + inboundJwtAudience + "; expected both from the manifests' lanyard.dev/jwt-audiences and"
          + " lanyard.dev/inbound-jwt-audience annotations");
    }

    List<Running> running = start(plans, gids, work.path());
    awaitReady(running);
    step(running.size() + " processes up and holding their SVIDs after " + elapsed());

    JsonNode assessment = post(port(running, ORCHESTRATOR) + "/assess", EVENT);
    if (assessment.path("status").asInt() != 200) {
      throw new IllegalStateException("POST /assess answered " + assessment);
    }
    JsonNode body = assessment.path("body");
    step("POST /assess {\"text\": \"" + EVENT + "\"}");
    DemoReport.assessment(body).forEach(line -> out.println("    " + line));
    DemoReport.jwtHop(body, jwtAudiences, inboundJwtAudience)
        .forEach(line -> out.println("    " + line));

    List<IdentityRow> identities = identities(running);
    step("identity of every Lanyard process, from its admin endpoint GET /identity:");
    DemoReport.identities(identities).forEach(line -> out.println("  " + line));

    step("refused: the orchestrator calls the LLM gateway itself (POST /ask-llm)");
    JsonNode refused = post(port(running, ORCHESTRATOR) + "/ask-llm", EVENT);
    String orchestratorId = registered.get(ORCHESTRATOR);
    ManagedProcess gateway = process(running, GATEWAY, "javaagent");
    // The JDK HttpsServer swallows failed handshakes; the javaagent's audit record on stderr is
    // the refusal line (the same record is kept for the admin endpoint's /audit).
    String refusalLine = gateway.awaitOutput(Pattern.compile("[^\\n]*\"peer_spiffe_id\":\""
        + Pattern.quote(orchestratorId) + "\"[^\\n]*\"result\":\"denied\"[^\\n]*"),
        Duration.ofSeconds(20)).group().trim();
    JsonNode audit = auditRecordFor(running, GATEWAY, orchestratorId);
    out.println("    orchestrator answered " + refused.path("status").asInt() + ": "
        + refused.path("body").path("error").asText(refused.path("body").toString()));
    out.println("    llm-gateway's javaagent refused it in the TLS handshake; its audit record (stderr,"
        + " and GET /audit):");
    out.println("    " + refusalLine);

    step("refused: the orchestrator calls the notifier without a JWT-SVID (POST /notify-without-jwt)");
    out.println("    it uses the full name " + notifierFullName + ", which its LANYARD_JWT_AUDIENCES ("
        + jwtAudiences + ")");
    out.println("    does not name: mTLS passes, no token is sent");
    JsonNode unsigned = post(port(running, ORCHESTRATOR) + "/notify-without-jwt", EVENT);
    ManagedProcess notifierSidecar = process(running, NOTIFIER, "sidecar");
    String jwtRefusalLine = notifierSidecar.awaitOutput(Pattern.compile(
        "[^\\n]*\"action\":\"jwt.accept\"[^\\n]*\"result\":\"denied\"[^\\n]*"),
        Duration.ofSeconds(20)).group().trim();
    JsonNode jwtAudit = auditRecord(running, NOTIFIER, record -> "jwt.accept".equals(
        record.path("action").asText()) && "denied".equals(record.path("result").asText()));
    long ticketsFiled = process(running, NOTIFIER, "app").output().lines()
        .filter(line -> line.startsWith("notifier: filed ")).count();
    out.println("    orchestrator answered " + unsigned.path("status").asInt() + ": "
        + unsigned.path("body").path("error").asText(unsigned.path("body").toString()).strip());
    out.println("    the notifier's sidecar refused the request (401; the app filed " + ticketsFiled
        + (ticketsFiled == 1 ? " ticket, the assessment's" : " tickets") + "); its audit record:");
    out.println("    " + jwtRefusalLine);

    Result result = new Result(body, identities, registered, refused.path("status").asInt(),
        refused.path("body"), refusalLine, audit, new Jwt(jwtAudiences, inboundJwtAudience,
        unsigned.path("status").asInt(), unsigned.path("body"), jwtRefusalLine, jwtAudit, ticketsFiled));
    check(result);
    out.println();
    out.println("Demo passed in " + elapsed() + ": " + registered.size()
        + " workloads, a distinct SPIFFE ID behind every step, a JWT-SVID on the notify hop,"
        + " both refusals recorded.");
    return result;
  }

  private List<LocalProcessPlan> plan(DemoManifests manifests, SpireCluster spire, Path hosts) {
    Map<String, Integer> ports = new HashMap<>();
    Set<Integer> used = new HashSet<>();
    LocalEnvironment environment = new LocalEnvironment(spire.workloadApiAddress(),
        paths.javaagentJar().toString(), hostName(),
        (pod, podPort) -> ports.computeIfAbsent(pod + ":" + podPort, key -> freshPort(used)),
        manifests::serviceTarget);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // The hosts file stands in for cluster DNS: <service>.<namespace>.svc -> 127.0.0.1.
    List<String> javaCommand = List.of(java, "-Djdk.net.hosts.file=" + hosts);
    List<String> sidecarCommand = List.of(java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx64m", "-jar",
        paths.sidecarJar().toString());
    Map<String, String> localPaths = Map.of(
        "/app/demo-workloads.jar", paths.workloadsJar().toString(),
        "/app/notifier.py", paths.notifierScript().toString());
    ManifestInjector injector = new ManifestInjector(new PodInjector(InjectorConfigLoader.defaults()));
    List<LocalProcessPlan> plans = new ArrayList<>();
    for (JsonNode deployment : manifests.deployments()) {
      JsonNode injected = injector.inject(deployment, "default").object();
      plans.addAll(LocalProcessPlan.of(deployment, injected, environment, localPaths, javaCommand,
          sidecarCommand));
    }
    return plans;
  }

  private List<Running> start(List<LocalProcessPlan> plans, Map<String, Integer> gids, Path dir) {
    List<Running> running = new ArrayList<>();
    for (LocalProcessPlan plan : plans) {
      Map<String, String> env = new LinkedHashMap<>();
      // Nothing of this shell's Lanyard or JVM settings leaks in: the process gets the pod's env.
      System.getenv().keySet().stream()
          .filter(key -> key.startsWith("LANYARD_") || key.equals("JAVA_TOOL_OPTIONS")
              || key.equals("SPIFFE_ENDPOINT_SOCKET") || key.equals("_JAVA_OPTIONS")
              || key.equals("JDK_JAVA_OPTIONS") || key.equalsIgnoreCase("http_proxy")
              || key.equalsIgnoreCase("no_proxy") || key.equalsIgnoreCase("https_proxy"))
          .forEach(key -> env.put(key, null));
      env.putAll(plan.env());
      String name = plan.pod() + "." + plan.container();
      ManagedProcess process = ManagedProcess.start(name,
          Command.asGid(gids.get(plan.pod()), plan.command()), env, dir, dir.resolve(name + ".log"));
      cleanup.push(process);
      running.add(new Running(plan, process));
    }
    return running;
  }

  private void awaitReady(List<Running> running) throws InterruptedException {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    for (Running each : running) {
      LocalProcessPlan plan = each.plan();
      while (!(ready(plan.adminAddress()) && listening(plan.appPort()))) {
        if (!each.process().isAlive() || System.nanoTime() > deadline) {
          throw new IllegalStateException(each.process().name() + (each.process().isAlive()
              ? " not ready within " + READY_TIMEOUT : " exited") + "; its output:\n"
              + each.process().tail(40));
        }
        Thread.sleep(100);
      }
    }
  }

  private boolean ready(String admin) {
    if (admin == null) {
      return true;
    }
    try {
      return http.send(HttpRequest.newBuilder(URI.create("http://" + admin + "/ready")).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static boolean listening(int port) {
    if (port < 0) {
      return true;
    }
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private List<IdentityRow> identities(List<Running> running) throws Exception {
    List<IdentityRow> rows = new ArrayList<>();
    for (Running each : running) {
      String admin = each.plan().adminAddress();
      if (admin != null) {
        String body = http.send(HttpRequest.newBuilder(URI.create("http://" + admin + "/identity"))
            .build(), HttpResponse.BodyHandlers.ofString()).body();
        rows.add(new IdentityRow(each.plan().pod(), each.plan().role(), admin, JSON.readTree(body)));
      }
    }
    return rows;
  }

  private JsonNode auditRecordFor(List<Running> running, String pod, String peerId) throws Exception {
    return auditRecord(running, pod, record -> peerId.equals(record.path("peer_spiffe_id").asText())
        && "denied".equals(record.path("result").asText()));
  }

  private JsonNode auditRecord(List<Running> running, String pod, Predicate<JsonNode> wanted)
      throws Exception {
    String admin = running.stream().filter(r -> r.plan().pod().equals(pod) && r.plan().adminAddress() != null)
        .findFirst().orElseThrow().plan().adminAddress();
    // One JSON audit record per line, newest last.
    String records = http.send(HttpRequest.newBuilder(URI.create("http://" + admin + "/audit?limit=50"))
        .build(), HttpResponse.BodyHandlers.ofString()).body();
    for (String line : records.lines().toList()) {
      JsonNode record = line.isBlank() ? JSON.createObjectNode() : JSON.readTree(line);
      if (wanted.test(record)) {
        return record;
      }
    }
    throw new IllegalStateException(pod + "'s /audit has no such record: " + records);
  }

  /** The demo checks its own claims, so {@code make demo} fails loudly when one does not hold. */
  static void check(Result result) {
    List<String> problems = new ArrayList<>();
    Set<String> stepIds = new HashSet<>();
    for (JsonNode step : result.assessment().path("steps")) {
      String workload = step.path("workload").asText();
      String expected = result.registered().get(workload);
      String id = step.path("spiffe_id").asText();
      if (!id.equals(expected)) {
        problems.add("step " + step.path("step").asText() + " answered by " + id + ", expected " + expected);
      }
      if (!step.path("caller_seen").asText().equals(result.registered().get(ORCHESTRATOR))) {
        problems.add("step " + step.path("step").asText() + " saw caller " + step.path("caller_seen"));
      }
      stepIds.add(id);
    }
    if (stepIds.size() != 4) {
      problems.add("expected 4 distinct SPIFFE IDs across the steps, got " + stepIds);
    }
    String orchestrator = result.registered().get(ORCHESTRATOR);
    if (result.refusedStatus() != 502 || !result.refusalLine().contains(orchestrator)
        || !result.refusalAudit().path("result").asText().equals("denied")) {
      problems.add("the orchestrator's call to the LLM gateway was not refused as expected: "
          + result.refusedStatus() + " " + result.refusedAnswer());
    }
    for (JsonNode step : result.assessment().path("steps")) {
      if (step.path("step").asText().equals("notify")
          && !step.path("jwt_subject").asText().equals(orchestrator)) {
        problems.add("the notifier saw JWT-SVID subject " + step.path("jwt_subject")
            + ", expected " + orchestrator);
      }
    }
    Jwt jwt = result.jwt();
    if (jwt.refusedStatus() != 502 || !jwt.refusedAnswer().path("error").asText().contains(" 401")
        || !jwt.refusalLine().contains("\"missing_token\"")
        || !"missing_token".equals(jwt.refusalAudit().path("rule").asText())) {
      problems.add("the call to the notifier without a JWT-SVID was not refused as expected: "
          + jwt.refusedStatus() + " " + jwt.refusedAnswer() + " " + jwt.refusalLine());
    }
    if (jwt.ticketsFiled() != 1) {
      problems.add("the notifier app filed " + jwt.ticketsFiled() + " tickets, expected 1 (the"
          + " request without a JWT-SVID must not reach it)");
    }
    if (!problems.isEmpty()) {
      throw new IllegalStateException("the demo did not show what it should:\n  - "
          + String.join("\n  - ", problems));
    }
  }

  private JsonNode post(String url, String text) throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url))
        .timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("text", text))))
        .build(), HttpResponse.BodyHandlers.ofString());
    return JSON.createObjectNode().put("status", response.statusCode())
        .set("body", JSON.readTree(response.body()));
  }

  private static String port(List<Running> running, String pod) {
    return running.stream().filter(r -> r.plan().pod().equals(pod) && r.plan().appPort() > 0)
        .findFirst().map(r -> "http://127.0.0.1:" + r.plan().appPort())
        .orElseThrow(() -> new IllegalStateException("no running " + pod));
  }

  private static LocalProcessPlan plan(List<LocalProcessPlan> plans, String pod, String role) {
    return plans.stream().filter(p -> p.pod().equals(pod) && p.role().equals(role)).findFirst()
        .orElseThrow(() -> new IllegalStateException("no " + role + " process for " + pod));
  }

  private static ManagedProcess process(List<Running> running, String pod, String role) {
    return running.stream().filter(r -> r.plan().pod().equals(pod) && r.plan().role().equals(role))
        .findFirst().orElseThrow().process();
  }

  private static Path writeHostsFile(Path dir, List<String> names) throws IOException {
    StringBuilder text = new StringBuilder("127.0.0.1 localhost\n");
    names.forEach(name -> text.append("127.0.0.1 ").append(name).append('\n'));
    return Files.writeString(dir.resolve("hosts"), text);
  }

  private static int freshPort(Set<Integer> used) {
    while (true) {
      int port = FreePorts.next();
      if (used.add(port)) {
        return port;
      }
    }
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "localhost";
    }
  }

  private int stepNumber;

  private void step(String text) {
    out.println();
    out.println("[" + (++stepNumber) + "] " + text);
  }

  private String elapsed() {
    return String.format("%.1f s", (System.nanoTime() - started) / 1e9);
  }

  /** Stops processes, then SPIRE, then removes the temp dirs; safe to call twice. */
  private synchronized void stopEverything() {
    while (!cleanup.isEmpty()) {
      try {
        cleanup.pop().close();
      } catch (Exception e) {
        System.err.println("cleanup: " + e);
      }
    }
  }
}
