package dev.lanyard.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireOptions;
import dev.lanyard.testkit.TempDir;
import dev.lanyard.testkit.TestPki;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What JWT-SVIDs and audit records cost a request, against a real SPIRE server and SPIRE Agent:
 * one client app under the javaagent sends warm HTTPS requests (one connection, one request at a
 * time) to an ordinary HTTPS server, in three configurations run in turn, round after round (so a
 * shared machine slows all alike), compared round by round:
 *
 * <ul>
 *   <li>{@code jwt-off}: no {@code LANYARD_JWT_AUDIENCES}, {@code LANYARD_AUDIT=off};
 *   <li>{@code jwt-on}: the server's host gets a JWT-SVID (cached: one Workload API call per half
 *       lifetime of 5 minutes), {@code LANYARD_AUDIT=off};
 *   <li>{@code jwt-on-audit-all}: the same with {@code LANYARD_AUDIT=all}, one {@code jwt.send}
 *       record (JSON line on stderr) per request.
 * </ul>
 *
 * Run by {@code bench/jwt.sh}; writes {@code bench/results/jwt-<date>.md} and {@code .json}.
 */
public final class JwtBench {
  private static final Path AGENT_JAR = Path.of("javaagent/target/lanyard-javaagent.jar").toAbsolutePath();
  private static final Path COMPAT = Path.of("compat-apps/target").toAbsolutePath();
  private static final int CLIENT_GID = 6201;
  private static final Pattern SUMMARY = Pattern.compile(
      "SUMMARY ok=(\\d+) failed=(\\d+) p50_us=(\\d+) p99_us=(\\d+) elapsed_ms=(\\d+)"
          + " per_second=([0-9.]+)");
  private static final List<String> CONFIGS = List.of("jwt-off", "jwt-on", "jwt-on-audit-all");

  private final String command;
  private final int rounds;
  private final int requests;
  private final String app;
  private final Path out;
  private final TempDir work = TempDir.create("lanyard-jwt-bench-");
  private final Map<String, Map<String, List<Double>>> samples = new LinkedHashMap<>();

  private JwtBench(String command, int rounds, int requests, String app, Path out) {
    this.command = command;
    this.rounds = rounds;
    this.requests = requests;
    this.app = app;
    this.out = out;
    for (String config : CONFIGS) {
      Map<String, List<Double>> metrics = new LinkedHashMap<>();
      for (String metric : List.of("p50_us", "p99_us", "per_second")) {
        metrics.put(metric, new ArrayList<>());
      }
      samples.put(config, metrics);
    }
  }

  public static void main(String[] args) throws Exception {
    String command = "bench/jwt.sh";
    int rounds = 5;
    int requests = 3000;
    String app = "JdkHttpClientApp";
    Path out = Path.of("bench/results");
    for (int i = 0; i < args.length; i += 2) {
      switch (args[i]) {
        case "--command" -> command = args[i + 1];
        case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
        case "--requests" -> requests = Integer.parseInt(args[i + 1]);
        case "--app" -> app = args[i + 1];
        case "--out" -> out = Path.of(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]
            + "; options: --rounds N --requests N --app <compat client> --out DIR");
      }
    }
    new JwtBench(command, rounds, requests, app, out).run();
  }

  private void run() throws Exception {
    double[] loadStart = Machine.loadAverage();
    String revision = Revision.of("javaagent", "spiffe-tls", "compat-apps");
    Path agentJar = Files.copy(AGENT_JAR, work.dir("snapshot").resolve("lanyard-javaagent.jar"));
    TestPki pki = TestPki.create("bench-web-ca");
    TestPki.Issued web = pki.server("localhost", List.of("localhost"), List.of("127.0.0.1"));
    Path keystore = write(work.dir("pki").resolve("server.p12"), web.keyStore("changeit".toCharArray()));
    Path truststore = write(work.dir("pki").resolve("trust.p12"), pki.trustStore());
    try (SpireCluster spire = SpireCluster.start(SpireOptions.builder()
        .svidTtl(Duration.ofMinutes(30)).jwtTtl(Duration.ofMinutes(10)).build())) {
      String id = "spiffe://" + spire.trustDomain() + "/ns/bench/sa/jwt-client";
      spire.register(id, "unix:gid:" + CLIENT_GID);
      spire.awaitSvidForGid(CLIENT_GID, id, Duration.ofSeconds(60));
      String spireVersion = Machine.firstLine(List.of(
          dev.lanyard.testkit.Tools.require("spire-server").toString(), "--version"));
      try (JvmProcess server = JvmProcess.builder("jwt-bench-server")
          .classpath(compatClasspath()).mainClass("dev.lanyard.compat.NettyServerApp")
          .args("--port", "0", "--bind", "127.0.0.1", "--tls", "keystore", "--keystore",
              keystore.toString(), "--password", "changeit")
          .start()) {
        int port = Integer.parseInt(server.awaitOutput("LISTENING port=(\\d+)",
            Duration.ofSeconds(60)).group(1));
        List<String> clientCommand = null;
        for (int round = 0; round <= rounds; round++) {
          // Round 0 warms the machine's caches and is discarded; the order rotates per round.
          for (int i = 0; i < CONFIGS.size(); i++) {
            String config = CONFIGS.get((i + round) % CONFIGS.size());
            JvmProcess.Builder client = JvmProcess.builder("jwt-bench-" + config + "-" + round)
                .gid(CLIENT_GID).javaagent(agentJar).classpath(compatClasspath())
                .mainClass("dev.lanyard.compat." + app)
                .jvmArg("-Djavax.net.ssl.trustStore=" + truststore,
                    "-Djavax.net.ssl.trustStorePassword=changeit")
                .args("--url", "https://localhost:" + port + "/hello", "--requests",
                    Integer.toString(requests), "--tls", "default")
                .env("SPIFFE_ENDPOINT_SOCKET", spire.workloadApiAddress())
                .env("LANYARD_ADMIN_ADDRESS", "off")
                .env("LANYARD_AUDIT", config.endsWith("audit-all") ? "all" : "off");
            if (!config.equals("jwt-off")) {
              client.env("LANYARD_JWT_AUDIENCES", "localhost=bench");
            }
            if (clientCommand == null) {
              clientCommand = client.command();
            }
            record(config, round, client);
          }
        }
        write(loadStart, revision, spireVersion, clientCommand);
      }
    }
  }

  private void record(String config, int round, JvmProcess.Builder client) {
    try (JvmProcess process = client.start()) {
      int exit = process.awaitExit(Duration.ofMinutes(5));
      Matcher summary = SUMMARY.matcher(process.output());
      if (exit != 0 || !summary.find() || !summary.group(2).equals("0")) {
        throw new IllegalStateException(config + " run failed (exit " + exit + "):\n"
            + process.output());
      }
      if (config.startsWith("jwt-on") && !process.output().contains("jwt.send")
          && config.endsWith("audit-all")) {
        throw new IllegalStateException(config + " wrote no jwt.send audit record");
      }
      System.out.println("jwt-bench: round " + round + " " + config + ": p50 "
          + summary.group(3) + " us, p99 " + summary.group(4) + " us, " + summary.group(6)
          + " req/s");
      if (round == 0) {
        return;
      }
      samples.get(config).get("p50_us").add(Double.parseDouble(summary.group(3)));
      samples.get(config).get("p99_us").add(Double.parseDouble(summary.group(4)));
      samples.get(config).get("per_second").add(Double.parseDouble(summary.group(6)));
    }
  }

  private void write(double[] loadStart, String revision, String spireVersion,
      List<String> clientCommand) throws IOException {
    double[] loadEnd = Machine.loadAverage();
    String date = DateTimeFormatter.ISO_LOCAL_DATE.format(Instant.now().atOffset(ZoneOffset.UTC));
    Map<String, List<Double>> off = samples.get("jwt-off");
    Map<String, List<Double>> on = samples.get("jwt-on");
    Map<String, List<Double>> audit = samples.get("jwt-on-audit-all");
    StringBuilder md = new StringBuilder();
    md.append("# JWT-SVID and audit cost per request, ").append(Instant.now()
        .truncatedTo(java.time.temporal.ChronoUnit.SECONDS)).append("\n\n")
        .append("Produced by `").append(command).append("` (rounds=").append(rounds)
        .append(", requests per run=").append(requests).append(", client ").append(app)
        .append(").\n\n")
        .append("| machine | |\n|---|---|\n")
        .append("| processors | ").append(Machine.processors()).append(" |\n")
        .append("| CPU | ").append(Machine.cpuModel()).append(" |\n")
        .append("| JDK | ").append(Machine.jdk()).append(" |\n")
        .append("| Lanyard | ").append(revision).append(" |\n")
        .append("| SPIRE | ").append(spireVersion).append(" (JWT-SVID TTL 10 min) |\n")
        .append("| load average start / end | ").append(load(loadStart)).append(" / ")
        .append(load(loadEnd)).append(" |\n\n")
        .append("Each run: one `").append(app).append("` JVM under the javaagent sends ")
        .append(requests).append(" GETs over one warm HTTPS connection to an ordinary HTTPS ")
        .append("server (`NettyServerApp`, key store, no javaagent), one at a time; latency ")
        .append("per request from the client's own histogram. The three configurations run in ")
        .append("turn in every round (order rotating, one discarded warm-up round); figures are ")
        .append("medians over rounds of the round-by-round differences and ratios, min-max in ")
        .append("brackets. The machine is shared (see load), so absolute numbers are indicative.\n\n")
        .append("| comparison | p50 added, us | p50 ratio | p99 added, us | p99 ratio | req/s ratio |\n")
        .append("|---|---|---|---|---|---|\n");
    row(md, "JWT-SVID sending on ÷ off (cached token, audit off)", on, off);
    row(md, "audit all ÷ off (JWT on: one jwt.send record per request)", audit, on);
    row(md, "JWT on + audit all ÷ JWT off + audit off", audit, off);
    md.append("\n| configuration | p50, us | p99, us | req/s |\n|---|---|---|---|\n");
    for (String config : CONFIGS) {
      Map<String, List<Double>> s = samples.get(config);
      md.append("| ").append(config).append(" | ").append(Stats.summary(s.get("p50_us"), 0))
          .append(" | ").append(Stats.summary(s.get("p99_us"), 0)).append(" | ")
          .append(Stats.summary(s.get("per_second"), 0)).append(" |\n");
    }
    md.append("\nClient command (first configuration; the others differ only in `LANYARD_JWT_AUDIENCES`"
        + " and `LANYARD_AUDIT`):\n\n```\n").append(String.join(" ", clientCommand))
        .append("\n```\n");
    Files.createDirectories(out);
    Path markdown = out.resolve("jwt-" + date + ".md");
    Files.writeString(markdown, md.toString());
    ObjectNode json = Json.object().put("command", command).put("rounds", rounds)
        .put("requests_per_run", requests).put("client", app).put("revision", revision)
        .put("load_start", load(loadStart)).put("load_end", load(loadEnd));
    ObjectNode sampled = json.putObject("samples");
    for (String config : CONFIGS) {
      ObjectNode metrics = sampled.putObject(config);
      samples.get(config).forEach((metric, values) -> {
        ArrayNode array = metrics.putArray(metric);
        values.forEach(array::add);
      });
    }
    Files.writeString(out.resolve("jwt-" + date + ".json"), Json.write(json));
    System.out.println("jwt-bench: wrote " + markdown);
    System.out.print(md);
  }

  private static void row(StringBuilder md, String name, Map<String, List<Double>> a,
      Map<String, List<Double>> b) {
    md.append("| ").append(name).append(" | ")
        .append(Stats.summary(Stats.differences(a.get("p50_us"), b.get("p50_us")), 0)).append(" | ")
        .append(Stats.summary(Stats.ratios(a.get("p50_us"), b.get("p50_us")), 3)).append(" | ")
        .append(Stats.summary(Stats.differences(a.get("p99_us"), b.get("p99_us")), 0)).append(" | ")
        .append(Stats.summary(Stats.ratios(a.get("p99_us"), b.get("p99_us")), 3)).append(" | ")
        .append(Stats.summary(Stats.ratios(a.get("per_second"), b.get("per_second")), 3))
        .append(" |\n");
  }

  private static String load(double[] load) {
    return load == null ? "?" : String.format(java.util.Locale.ROOT, "%.2f %.2f %.2f",
        load[0], load[1], load[2]);
  }

  private String compatClasspath() {
    try {
      return COMPAT.resolve("classes") + ":" + Files.readString(COMPAT.resolve("classpath.txt")).trim();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("compat-apps not built", e);
    }
  }

  private static Path write(Path file, KeyStore store) throws Exception {
    try (OutputStream stream = Files.newOutputStream(file)) {
      store.store(stream, "changeit".toCharArray());
    }
    return file;
  }
}
