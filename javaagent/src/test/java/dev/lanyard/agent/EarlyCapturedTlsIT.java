package dev.lanyard.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lanyard.agent.Mesh.Server;
import dev.lanyard.agent.Mesh.Workload;
import dev.lanyard.earlytls.Captures;
import dev.lanyard.earlytls.EarlyCaptureApp;
import dev.lanyard.earlytls.EarlyTlsAgent;
import dev.lanyard.testkit.FreePorts;
import dev.lanyard.testkit.JvmProcess;
import dev.lanyard.testkit.SpireCluster;
import dev.lanyard.testkit.SpireExtension;
import dev.lanyard.testkit.TestPki;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS defaults kept before Lanyard could act (issue 9 point 13), in real JVMs with the real
 * javaagent against real SPIRE. Each client JVM runs another javaagent listed BEFORE Lanyard's,
 * whose premain keeps {@code SSLContext.getDefault()}, {@code SSLSocketFactory.getDefault()},
 * {@code HttpsURLConnection.getDefaultSSLSocketFactory()} and an {@code SSLContext.getInstance("TLS")}
 * initialised with {@code init(null, null, null)}, and calls a Web PKI server with each (so their
 * session caches hold a session made before Lanyard existed); the application keeps the same four
 * in its main class's static initializer. Then it calls, with all eight:
 *
 * <ul>
 *   <li>a javaagent mesh server (JDK {@code HttpsServer}), which answers with the client SPIFFE ID
 *       it verified: every kept object must present the client's SVID there;
 *   <li>the Web PKI server, on a host in {@code LANYARD_MESH_HOSTS}, with a certificate the JVM's
 *       trust store accepts: every kept object must refuse it (no silent fallback to Web PKI, not
 *       even by resuming the session made in premain), and the server must see no request.
 * </ul>
 *
 * One client has its SVID at start; the other starts with no registration entry
 * ({@code then=degrade}), so the static initializer's objects are kept while degraded: its calls
 * fail closed with an error naming Lanyard until the entry is registered, then succeed with no
 * restart.
 */
class EarlyCapturedTlsIT {
  private static final int CAPTURES = 8;

  @RegisterExtension
  static final SpireExtension spire = SpireExtension.builder().svidTtl(Duration.ofMinutes(5)).build();

  @Test
  void tlsDefaultsKeptBeforeTheJavaagentOrTheSvidPresentTheSvidAndNeverFallBackToWebPki(
      @TempDir Path dir) throws Exception {
    long began = System.nanoTime();
    SpireCluster cluster = spire.cluster();
    Workload server = Workload.register(cluster, 5601, "/ns/early/sa/server");
    Workload prompt = Workload.register(cluster, 5602, "/ns/early/sa/prompt");
    Workload late = new Workload(5603, "spiffe://" + cluster.trustDomain() + "/ns/early/sa/late");
    server.awaitSvid(cluster);
    prompt.awaitSvid(cluster);

    TestPki webPkiCa = TestPki.create("Lanyard early-capture test Web PKI");
    Path trustStore = dir.resolve("webpki-ca.p12");
    try (OutputStream out = Files.newOutputStream(trustStore)) {
      webPkiCa.trustStore().store(out, "changeit".toCharArray());
    }
    Path earlyAgent = earlyAgentJar(dir.resolve("early-tls-agent.jar"));
    String promptAdmin = "127.0.0.1:" + FreePorts.next();
    String lateAdmin = "127.0.0.1:" + FreePorts.next();

    try (WebPkiServer webPki = new WebPkiServer(
            webPkiCa.server("localhost", List.of("localhost"), List.of("127.0.0.1")));
        Server mesh = Mesh.server(cluster, server, "JdkHttpsServerApp", Mesh.env());
        JvmProcess promptApp = client("prompt", cluster, prompt, earlyAgent, trustStore, mesh,
            webPki, "wait=20s,then=fail", promptAdmin, 60).start();
        JvmProcess lateApp = client("late", cluster, late, earlyAgent, trustStore, mesh, webPki,
            "wait=2s,then=degrade", lateAdmin, 90).start()) {
      // Degraded: every kept object is refused by the mesh, each refusal naming Lanyard.
      lateApp.awaitOutput("MAIN captures=" + CAPTURES, Duration.ofSeconds(30));
      awaitCount(lateApp, "FAIL ", " target=mesh ", 2 * CAPTURES, Duration.ofSeconds(30));
      assertThat(Admin.get(lateAdmin, "/ready").statusCode()).isEqualTo(503);
      String degraded = lateApp.output();
      assertThat(lines(degraded, " target=mesh")).as(degraded)
          .allMatch(line -> line.startsWith("FAIL ") && line.contains("lanyard"));
      long registered = System.nanoTime();
      cluster.register(late.spiffeId(), "unix:gid:" + late.gid());

      promptApp.awaitOutput("DONE reached=", Duration.ofSeconds(70));
      lateApp.awaitOutput("DONE reached=", Duration.ofSeconds(90));
      long lateReachedMs = (System.nanoTime() - registered) / 1_000_000;
      String promptOut = promptApp.output();
      String lateOut = lateApp.output();

      for (JvmProcess app : List.of(promptApp, lateApp)) {
        String out = app.output();
        String id = app == promptApp ? prompt.spiffeId() : late.spiffeId();
        assertThat(out).as(out).contains("DONE reached=" + CAPTURES + "/" + CAPTURES);
        // Premain's calls, before Lanyard's premain, went through: the JVM trusts the Web PKI CA.
        assertThat(lines(out, "PREMAIN ")).as(out).hasSize(4)
            .allMatch(line -> line.startsWith("PREMAIN OK ") && line.contains("target=webpki"));
        // Each of the eight kept objects reached the mesh server with the workload's SVID.
        List<String> meshOk = lines(out, "OK ").stream().filter(l -> l.contains(" target=mesh "))
            .collect(Collectors.toList());
        assertThat(meshOk).as(out).hasSize(CAPTURES)
            .allMatch(line -> line.endsWith(" body=peer=" + id));
        // After premain, no Web PKI call succeeded: all refused by Lanyard (mesh host, no SVID).
        List<String> webPkiCalls = lines(out, "OK ").stream()
            .filter(l -> l.contains(" target=webpki ")).collect(Collectors.toList());
        assertThat(webPkiCalls).as(out).isEmpty();
        assertThat(lines(out, "FAIL ").stream().filter(l -> l.contains(" target=webpki ")))
            .as(out).hasSizeGreaterThanOrEqualTo(CAPTURES)
            .allMatch(line -> line.contains("lanyard: ") && line.contains("LANYARD_MESH_HOSTS"));
        // The two contexts initialised before the hooks (the default one and the TLS one) are
        // named once each in the javaagent's log, as adopted.
        assertThat(adoptionLines(out)).as(out).hasSize(2)
            .anyMatch(line -> line.contains("SSLContextImpl$DefaultSSLContext"))
            .anyMatch(line -> line.contains("SSLContextImpl$TLSContext"))
            .allMatch(line -> line.contains("first used since by dev.lanyard.earlytls.Captures.get("));
        assertThat(out).contains("TLS classes were loaded before the javaagent");
      }
      // The Web PKI server saw only premain's requests (4 per JVM): nothing after Lanyard.
      assertThat(webPki.requests()).isEqualTo(8);
      // /identity names both adopted contexts, who used them first, and nothing uncovered.
      for (String admin : List.of(promptAdmin, lateAdmin)) {
        String identity = Admin.get(admin, "/identity").body();
        assertThat(identity).as(identity)
            .contains("\"spiffe_id\":\"" + (admin.equals(promptAdmin) ? prompt : late).spiffeId())
            .contains("\"uncovered\":[]")
            .containsPattern("\"early_tls_contexts\":\\[\\{\"context\":\"sun\\.security\\.ssl\\."
                + "SSLContextImpl\\$DefaultSSLContext\",\"adopted_at\":\"[^\"]+\",\"first_used_by\":"
                + "\"dev\\.lanyard\\.earlytls\\.Captures\\.get\\([^\"]+\",\"sessions_dropped\":\\d+\\},"
                + "\\{\"context\":\"sun\\.security\\.ssl\\.SSLContextImpl\\$TLSContext\"");
      }

      System.out.printf("FIGURES early-captured-tls: 8 kept objects per JVM (4 in another"
              + " javaagent's premain, 4 in main's static initializer) | prompt JVM: %d/8 reached"
              + " the mesh with its SVID, %d Web PKI calls refused, 0 accepted; %s | degraded JVM:"
              + " %d mesh calls refused before the SVID (all naming lanyard), %d/8 with its SVID"
              + " %d ms after the entry was registered, %d Web PKI calls refused, 0 accepted; %s |"
              + " 2 early contexts adopted per JVM, dropping %d + %d sessions cached in premain |"
              + " Web PKI server requests: %d (premain's only) | %d s%n",
          count(promptOut, "OK ", " target=mesh "), count(promptOut, "FAIL ", " target=webpki "),
          installLine(promptOut), count(degraded, "FAIL ", " target=mesh "),
          count(lateOut, "OK ", " target=mesh "), lateReachedMs,
          count(lateOut, "FAIL ", " target=webpki "), installLine(lateOut),
          droppedSessions(promptOut), droppedSessions(lateOut), webPki.requests(),
          (System.nanoTime() - began) / 1_000_000_000L);
    }
  }

  private static JvmProcess.Builder client(String name, SpireCluster cluster, Workload workload,
      Path earlyAgent, Path trustStore, Server mesh, WebPkiServer webPki, String startup,
      String admin, int deadlineSeconds) throws Exception {
    Path testClasses = Path.of(EarlyCaptureApp.class.getProtectionDomain().getCodeSource()
        .getLocation().toURI());
    return JvmProcess.builder(name)
        .classpath(testClasses)
        // The other javaagent first, then Lanyard's (JvmProcess's own javaagent() goes first).
        .jvmArg("-javaagent:" + earlyAgent + "=" + webPki.url(),
            "-javaagent:" + Mesh.AGENT_JAR.toAbsolutePath(),
            "-Djavax.net.ssl.trustStore=" + trustStore,
            "-Djavax.net.ssl.trustStorePassword=changeit",
            "-Djavax.net.ssl.trustStoreType=PKCS12",
            // Each call its own connection: a kept-alive one from premain would need no handshake.
            "-Dhttp.keepAlive=false")
        .mainClass(EarlyCaptureApp.class.getName())
        .args(mesh.httpsUrl(), webPki.url(), Integer.toString(deadlineSeconds))
        .gid(workload.gid())
        .env("SPIFFE_ENDPOINT_SOCKET", cluster.workloadApiAddress())
        .env("LANYARD_ADMIN_ADDRESS", admin)
        .env("LANYARD_STARTUP", startup)
        .env("LANYARD_MESH_HOSTS", "localhost");
  }

  /** A jar whose manifest names {@link EarlyTlsAgent} as its premain class. */
  static Path earlyAgentJar(Path jar) throws Exception {
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    manifest.getMainAttributes().put(new Attributes.Name("Premain-Class"),
        EarlyTlsAgent.class.getName());
    Path classes = Path.of(EarlyTlsAgent.class.getProtectionDomain().getCodeSource().getLocation()
        .toURI());
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest)) {
      for (Class<?> type : List.of(EarlyTlsAgent.class, Captures.class)) {
        String entry = type.getName().replace('.', '/') + ".class";
        out.putNextEntry(new JarEntry(entry));
        out.write(Files.readAllBytes(classes.resolve(entry)));
        out.closeEntry();
      }
    }
    return jar;
  }

  private static void awaitCount(JvmProcess app, String prefix, String containing, int count,
      Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (count(app.output(), prefix, containing) < count) {
      if (System.nanoTime() > deadline || !app.isAlive()) {
        throw new AssertionError("fewer than " + count + " '" + prefix + "..." + containing
            + "' lines:\n" + app.output());
      }
      Thread.sleep(100);
    }
  }

  private static List<String> lines(String output, String prefix) {
    return output.lines().filter(line -> line.startsWith(prefix)).collect(Collectors.toList());
  }

  private static long count(String output, String prefix, String containing) {
    return output.lines().filter(l -> l.startsWith(prefix) && l.contains(containing)).count();
  }

  private static List<String> adoptionLines(String output) {
    return lines(output, "lanyard: an SSLContext initialised before the javaagent's hooks");
  }

  /** The sessions the early contexts had cached (premain's calls) that adoption dropped. */
  private static int droppedSessions(String output) {
    return adoptionLines(output).stream()
        .mapToInt(line -> Integer.parseInt(line.replaceFirst(".*; (\\d+) session.*", "$1")))
        .sum();
  }

  private static String installLine(String output) {
    return output.lines().filter(l -> l.contains("TLS classes were loaded before the javaagent"))
        .findFirst().map(l -> l.replaceFirst("^.*(hooks installed before main in \\d+ ms).*$", "$1"))
        .orElse("no install line");
  }

  /**
   * An HTTPS server with an ordinary (non-SPIFFE) certificate for localhost from a CA the client
   * JVMs trust; it counts the requests it answered.
   */
  static final class WebPkiServer implements AutoCloseable {
    private final SSLServerSocket listener;
    private final AtomicInteger requests = new AtomicInteger();

    WebPkiServer(TestPki.Issued certificate) throws IOException {
      listener = (SSLServerSocket) certificate.presentingContext().getServerSocketFactory()
          .createServerSocket(0, 50, InetAddress.getLoopbackAddress());
      Thread acceptor = new Thread(this::acceptLoop, "webpki-server");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    String url() {
      return "https://localhost:" + listener.getLocalPort() + "/";
    }

    int requests() {
      return requests.get();
    }

    private void acceptLoop() {
      while (!listener.isClosed()) {
        try {
          SSLSocket socket = (SSLSocket) listener.accept();
          Thread connection = new Thread(() -> serve(socket), "webpki-connection");
          connection.setDaemon(true);
          connection.start();
        } catch (IOException closed) {
          return;
        }
      }
    }

    private void serve(SSLSocket socket) {
      try (socket) {
        socket.setSoTimeout(5000);
        BufferedReader in = new BufferedReader(
            new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
        String line = in.readLine();
        if (line == null) {
          return;
        }
        while (line != null && !line.isEmpty()) {
          line = in.readLine();
        }
        requests.incrementAndGet();
        socket.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n"
            + "Connection: close\r\n\r\nwebpki").getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
      } catch (IOException refused) {
        // a client that refused this certificate
      }
    }

    @Override
    public void close() throws IOException {
      listener.close();
    }
  }
}
